package accumulator

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// Completion receives the outcome of one record appended to the
// accumulator. The producer supplies one per record (typically a pooled
// object that also carries the user's callback), so the accumulator itself
// allocates nothing per record.
//
// OnComplete is called exactly once per record, on the goroutine that
// completes the record's batch (the sender's, or the caller of
// [Accumulator.AbortIncomplete]), never while an accumulator lock is held.
// The records of one batch are completed in record order, and batches of
// one partition complete in offset order when the broker acknowledges them
// in order. OnComplete must not block and must not panic: a blocked
// completion stalls the sender, and a panic propagates to the goroutine that
// completed the batch. The producer recovers panics of user callbacks before
// they get here.
type Completion interface {
	OnComplete(r RecordResult)
}

// RecordResult is the outcome of one record.
type RecordResult struct {
	// Partition is the partition the record was appended to.
	Partition samsa.TopicPartition
	// Offset is the record's offset: the batch's base offset plus the
	// record's index in the batch; -1 if the record failed or the offset is
	// not known (acks=0, a duplicate acknowledged without offset).
	Offset int64
	// Timestamp is the broker's log append time when the topic uses
	// LogAppendTime, otherwise the record's own timestamp; -1 if the record
	// failed.
	Timestamp int64
	// LogAppendTime reports that Timestamp is the broker's log append time.
	LogAppendTime bool
	// Err is nil if the record was written, else why it was not.
	Err error
}

// ProducerState is the idempotent producer's identity and the base sequence
// of one batch, written into the batch header at drain time.
type ProducerState struct {
	// ProducerID is the producer id, -1 if not idempotent.
	ProducerID int64
	// Epoch is the producer epoch, -1 if not idempotent.
	Epoch int16
	// BaseSequence is the sequence number of the batch's first record, -1
	// if not assigned.
	BaseSequence int32
	// Transactional marks the batch as part of a transaction; it requires a
	// producer id.
	Transactional bool
}

// NoProducerState is the state of a batch of a producer that is not
// idempotent, and of every batch before a [SequenceFunc] assigned one.
var NoProducerState = ProducerState{ProducerID: -1, Epoch: -1, BaseSequence: -1}

// HasSequence reports whether a base sequence is assigned.
func (s ProducerState) HasSequence() bool { return s.BaseSequence >= 0 }

// recordEntry is what a batch remembers per record besides its bytes.
type recordEntry struct {
	done Completion
	ts   int64
}

// recsPool recycles the per-batch completion slices, so that appending a
// record never allocates once the slices have grown to the usual batch.
var recsPool = sync.Pool{New: func() any { s := make([]recordEntry, 0, 64); return &s }}

// Batch is a record batch of one partition, from its first record until
// its completion.
//
// Life cycle and ownership:
//
//  1. Open: the last batch of its partition's queue; appenders encode
//     records into its buffer under the queue's lock. Nobody else touches
//     it.
//  2. Queued: closed for appends (full, or no longer the last batch) and
//     waiting in the queue.
//  3. Drained: [Accumulator.Drain] removed it from the queue, assigned its
//     producer state and finished it (compression, header, CRC). From here
//     the caller of Drain owns it: it reads [Batch.Records] to build a
//     ProduceRequest, and ends the batch with exactly one of Complete,
//     [Accumulator.Reenqueue] (back to 2) or
//     [Accumulator.SplitAndReenqueue].
//  4. Done: Complete ran. The buffer went back to the pool and Records
//     returns nil; the other accessors still answer. Records must not be
//     called concurrently with a Complete that may win (an expiry racing a
//     response): read the bytes only while the batch is yours.
//
// The bytes returned by Records live in the batch's pooled buffer, which
// the next batch reuses as soon as this one completes. The owner must
// therefore finish with the bytes before it completes (or re-enqueues) the
// batch: a sender that hands them to internal/wire is done with them when
// Conn.DoAsync returns, because the connection copies the request into its
// write buffer before then; a sender that writes them itself must wait for
// the write to end. Completing a batch whose bytes are still being read
// lets a new batch overwrite them.
//
// The accessors are safe to call by the batch's owner. Complete and
// CompleteEach are safe for concurrent use with each other (the first one
// wins) and with every accumulator method.
type Batch struct {
	tp  samsa.TopicPartition
	acc *Accumulator
	pq  *partitionQueue

	// Guarded by pq.mu while the batch is queued; owned by the drainer
	// afterwards.
	builder     records.Builder
	mem         []byte // pooled buffer, nil for split batches
	limit       int    // bytes the batch may grow to, header included
	count       int
	recs        []recordEntry
	recsBox     *[]recordEntry
	closed      bool // no more appends
	queued      bool // in pq.dq
	attempts    int
	backoff     time.Duration
	lastAttempt time.Time
	drainedAt   time.Time
	leaderEpoch int32
	// attempts when the leader epoch last grew (KIP-951).
	attemptsAtLeaderChange int
	state                  ProducerState
	rewriteState           bool // state changed after the batch was finished
	finished               []byte
	uncompressed           int

	createdAt time.Time
	split     bool

	// Guarded by acc.incMu: the list of incomplete batches in creation
	// order, which flush waits on.
	id         uint64
	prev, next *Batch

	done atomic.Bool
}

// TopicPartition returns the batch's partition.
func (b *Batch) TopicPartition() samsa.TopicPartition { return b.tp }

// NumRecords returns the number of records in the batch.
func (b *Batch) NumRecords() int { return b.count }

// Records returns the finished record batch, ready to go into a
// ProduceRequest: nil before Drain finished it and after it completed. See
// [Batch] for how long the bytes may be used.
func (b *Batch) Records() []byte { return b.finished }

// UncompressedSize returns the size of the batch before compression, its
// header included. With len(Records()) it gives the compression ratio.
func (b *Batch) UncompressedSize() int {
	if b.uncompressed > 0 {
		return b.uncompressed
	}
	return b.builder.Len()
}

// estimatedSize is the size the batch will take in a request: the finished
// size once finished, otherwise the uncompressed size (an upper bound).
func (b *Batch) estimatedSize() int {
	if b.finished != nil {
		return len(b.finished)
	}
	return b.builder.Len()
}

// Attempts returns how many times the batch was put back for a retry.
func (b *Batch) Attempts() int { return b.attempts }

// CreatedAt returns when the batch was created; the delivery timeout
// counts from here. Split batches keep their original batch's time.
func (b *Batch) CreatedAt() time.Time { return b.createdAt }

// LastAttempt returns when the batch was last put back for a retry, or its
// creation time.
func (b *Batch) LastAttempt() time.Time { return b.lastAttempt }

// DrainedAt returns the time passed to the Drain that last took the batch.
func (b *Batch) DrainedAt() time.Time { return b.drainedAt }

// ProducerState returns the producer id, epoch and base sequence the batch
// was (or will be) sent with; [NoProducerState] until assigned.
func (b *Batch) ProducerState() ProducerState { return b.state }

// IsSplit reports whether the batch came from [Accumulator.SplitAndReenqueue].
func (b *Batch) IsSplit() bool { return b.split }

// IsDone reports whether the batch was completed.
func (b *Batch) IsDone() bool { return b.done.Load() }

// isFull reports whether no record may be added (Java's isFull).
func (b *Batch) isFull() bool {
	return b.closed || b.count > 0 && b.builder.Len() >= b.limit
}

// hasRoomFor reports whether a record of need bytes fits. The first record
// always fits: the buffer was sized for it.
func (b *Batch) hasRoomFor(need int) bool {
	return b.count == 0 || b.builder.Len()+need <= b.limit
}

// maybeUpdateLeaderEpoch remembers the attempt at which the partition's
// leader epoch last grew (KIP-951): a retry to a new leader need not back
// off. epoch < 0 means unknown.
func (b *Batch) maybeUpdateLeaderEpoch(epoch int32) {
	if epoch >= 0 && (b.leaderEpoch < 0 || epoch > b.leaderEpoch) {
		b.leaderEpoch = epoch
		b.attemptsAtLeaderChange = b.attempts
	}
}

func (b *Batch) leaderChangedForRetry() bool {
	return b.attempts >= 1 && b.attempts == b.attemptsAtLeaderChange
}

// backingOff reports whether a retried batch must still wait at now.
func (b *Batch) backingOff(now time.Time) bool {
	return b.attempts > 0 && now.Sub(b.lastAttempt) < b.backoff && !b.leaderChangedForRetry()
}

// Complete ends the batch: every record's [Completion] is called, in
// record order, with offset baseOffset+index (or -1 when err is not nil or
// baseOffset < 0), timestamp logAppendTime if it is >= 0 (else the
// record's own), and err. Then the batch's buffer goes back to the pool and
// flushes waiting on the batch are released.
//
// Only the first call of Complete or CompleteEach acts; it returns true,
// later calls return false (a response that arrives after the batch
// expired is ignored this way). A batch still in its queue is taken out of
// it first. Complete never runs completions under an accumulator lock.
func (b *Batch) Complete(baseOffset, logAppendTime int64, err error) bool {
	return b.complete(baseOffset, logAppendTime, err, nil)
}

// CompleteEach is Complete with a per-record outcome, for a broker that
// rejected some records of a batch (KIP-467): errOf(i) is the error of
// record i, nil for a record that was written. errOf is called once per
// record, in order, outside accumulator locks; nil errOf means success for
// every record.
func (b *Batch) CompleteEach(baseOffset, logAppendTime int64, errOf func(index int) error) bool {
	return b.complete(baseOffset, logAppendTime, nil, errOf)
}

func (b *Batch) complete(baseOffset, logAppendTime int64, err error, errOf func(int) error) bool {
	if !b.done.CompareAndSwap(false, true) {
		return false
	}
	a := b.acc
	a.unqueue(b)
	// Deferred so that the buffer and the flush waiters are released even
	// if a completion panics.
	defer a.release(b)
	for i := range b.recs {
		r := &b.recs[i]
		e := err
		if errOf != nil {
			e = errOf(i)
		}
		if r.done == nil {
			continue
		}
		res := RecordResult{Partition: b.tp, Offset: -1, Timestamp: -1, Err: e}
		if e == nil {
			res.Timestamp = r.ts
			if logAppendTime >= 0 {
				res.Timestamp, res.LogAppendTime = logAppendTime, true
			}
			if baseOffset >= 0 {
				res.Offset = baseOffset + int64(i)
			}
		}
		r.done.OnComplete(res)
	}
	return true
}

// takeRecs gives the batch a pooled completion slice.
func (b *Batch) takeRecs() {
	b.recsBox = recsPool.Get().(*[]recordEntry)
	b.recs = (*b.recsBox)[:0]
}

// putRecs returns the completion slice to the pool, dropping the
// references it holds.
func (b *Batch) putRecs() {
	if b.recsBox == nil {
		return
	}
	clear(b.recs)
	*b.recsBox = b.recs[:0]
	recsPool.Put(b.recsBox)
	b.recsBox, b.recs = nil, nil
}
