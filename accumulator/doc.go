// Package accumulator is the producer's staging area between Send and the
// network (Java's RecordAccumulator and BufferPool): it collects records
// into per-partition record batches, decides when each broker has enough to
// send, and hands the sender finished batches for its ProduceRequests.
//
// Its place in the producer pipeline:
//
//	Send → interceptors → serializers → partitioner
//	  → Accumulator.Append            (caller's goroutine; may block on buffer memory)
//	sender loop:
//	  → Accumulator.Ready              which brokers have sendable data
//	  → Accumulator.Drain              finished batches for one broker's request
//	  → ProduceRequest ... response
//	  → Batch.Complete                 per-record completions, buffer back to the pool
//	    or Accumulator.Reenqueue        retry with backoff
//	    or Accumulator.SplitAndReenqueue (MESSAGE_TOO_LARGE)
//	  → Accumulator.ExpiredBatches     delivery timeout
//
// # Appending
//
// Each partition has a queue of [Batch]es; only the last one is open.
// [Accumulator.Append] encodes the record (record batch v2, through
// internal/records) straight into the open batch's buffer and remembers
// the record's [Completion] in a pooled per-batch slice: appending to an
// open batch allocates nothing. A record that does not fit starts a new
// batch, whose buffer comes from the [BufferPool] (Java's buffer.memory),
// taken outside the partition's lock; when memory runs out Append blocks,
// first come first served, until a batch completes, the max block time
// passes (samsa.ErrBufferFull) or the caller's ctx ends. A record larger
// than the batch size gets a batch of its own, sized to fit.
//
// Partition choice stays with the producer, except that
// [Accumulator.AppendWith] accepts a partitioner: if it is
// partitioner.AppendAware (KIP-794 uniform sticky), every append is
// reported to it under the partition's lock and the choice is re-checked
// when the partition has no room left, exactly as Java's built-in
// partitioner works inside its accumulator. [Accumulator.PartitionLoad]
// gives the queue lengths for adaptive partitioning.
//
// # Sending
//
// [Accumulator.Ready] looks at each queue's first batch and reports the
// brokers with a batch that is full, has lingered long enough, or must go
// now because memory is exhausted, a flush is in progress or the
// accumulator is closing — unless the partition is muted (max.in.flight=1)
// or its batch is backing off after a failure. [Accumulator.Drain] takes at
// most one batch per partition for one broker, round-robin so no partition
// starves, up to the request size, assigns producer ids and sequences
// through a [SequenceFunc] and finishes the batches (compression, header,
// CRC) outside every lock.
//
// # Ownership of batch bytes
//
// A drained batch belongs to the sender until it calls Complete,
// Reenqueue or SplitAndReenqueue on it. Its bytes live in a pooled buffer
// that is reused as soon as it completes, so the sender must be done with
// them first; with internal/wire that is the case once Conn.DoAsync
// returns, because the request is copied into the connection's write
// buffer. See [Batch].
//
// # Concurrency
//
// Everything is safe for concurrent use. The accumulator owns no
// goroutines. Completions run on the goroutine that completes a batch,
// never under a lock, in record order.
package accumulator
