package accumulator

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/partitioner"
)

// maxPartition bounds the partition ids the accumulator accepts. Queues are
// indexed by partition id, so an absurd id (the producer validates ids
// against metadata first) must not allocate a huge index.
const maxPartition = 1 << 20

// Accumulator collects records into per-partition batches for the sender
// (Java's RecordAccumulator).
//
// Producers call Append from any number of goroutines; the sender calls
// Ready, Drain, ExpiredBatches, Reenqueue, SplitAndReenqueue and the
// batches' Complete. Every method is safe for concurrent use. The
// Accumulator owns no goroutines; Close only stops appends.
//
// Each partition has a queue of batches guarded by its own mutex, so
// appends to different partitions do not contend. Only the last batch of a
// queue is open for appends; records are encoded straight into its pooled
// buffer, and nothing is allocated per record.
type Accumulator struct {
	cfg        config
	pool       *BufferPool
	compressor records.Compressor

	topicsMu sync.Mutex // serializes adding topics
	topics   atomic.Pointer[map[string]*topicQueues]
	// lastTopic is the topic lookup found last: comparing a name (most
	// often the very same string) costs less than hashing it per record.
	lastTopic atomic.Pointer[topicQueues]

	closed  atomic.Bool  // appends fail; every batch is sendable
	flushes atomic.Int32 // flushes in progress

	incMu      sync.Mutex // guards the fields below and Batch.id/prev/next
	incHead    *Batch
	incTail    *Batch
	incCount   int
	nextID     uint64
	incClosed  bool          // set with closed, under incMu: no new batches
	flushWake  chan struct{} // closed when an incomplete batch completes
	drainMu    sync.Mutex
	drainIndex map[int32]int

	stats counters
}

// topicQueues holds the queues of one topic, indexed by partition id.
type topicQueues struct {
	name  string
	mu    sync.Mutex // serializes growing parts
	parts atomic.Pointer[[]*partitionQueue]
}

// partitionQueue is one partition's deque of batches (Java's
// Deque<ProducerBatch>, whose monitor is its lock).
type partitionQueue struct {
	tp    samsa.TopicPartition
	mu    sync.Mutex
	dq    deque
	n     atomic.Int32 // dq.len(), readable without mu
	muted atomic.Bool
}

func (pq *partitionQueue) pushBack(b *Batch) {
	pq.dq.pushBack(b)
	b.queued = true
	pq.n.Store(int32(pq.dq.len()))
}

func (pq *partitionQueue) popFront() *Batch {
	b := pq.dq.popFront()
	if b != nil {
		b.queued = false
		b.closed = true
		pq.n.Store(int32(pq.dq.len()))
	}
	return b
}

// allBatchesFull reports whether the queue has no batch with room left
// (Java's allBatchesFull).
func (pq *partitionQueue) allBatchesFull() bool {
	last := pq.dq.back()
	return last == nil || last.isFull()
}

// New returns an Accumulator with its own [BufferPool]. Options are
// validated together; a violation returns a *samsa.ConfigError.
func New(opts ...Option) (*Accumulator, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pool, err := NewBufferPool(cfg.bufferMemory, cfg.batchSize)
	if err != nil {
		return nil, err
	}
	a := &Accumulator{cfg: cfg, pool: pool, drainIndex: make(map[int32]int)}
	empty := map[string]*topicQueues{}
	a.topics.Store(&empty)
	return a, nil
}

// Pool returns the accumulator's buffer pool, for metrics (available
// memory, waiting appenders).
func (a *Accumulator) Pool() *BufferPool { return a.pool }

// BatchSize returns the configured batch size.
func (a *Accumulator) BatchSize() int { return a.cfg.batchSize }

// lookup returns the queue of tp, or nil if no record was ever appended to
// it. It takes no lock and does not allocate.
func (a *Accumulator) lookup(tp samsa.TopicPartition) *partitionQueue {
	tq := a.lastTopic.Load()
	if tq == nil || tq.name != tp.Topic {
		if tq = (*a.topics.Load())[tp.Topic]; tq == nil {
			return nil
		}
		a.lastTopic.Store(tq)
	}
	parts := tq.parts.Load()
	if parts == nil || tp.Partition < 0 || int(tp.Partition) >= len(*parts) {
		return nil
	}
	return (*parts)[tp.Partition]
}

// queue returns the queue of tp, creating it on first use. Creation copies
// the topic's index (and, for a new topic, the topic map) so that lookups
// stay lock-free; producers write to a bounded set of partitions, so the
// copies stop after warm-up.
func (a *Accumulator) queue(tp samsa.TopicPartition) *partitionQueue {
	if pq := a.lookup(tp); pq != nil {
		return pq
	}
	tq := a.topic(tp.Topic)
	tq.mu.Lock()
	defer tq.mu.Unlock()
	var cur []*partitionQueue
	if p := tq.parts.Load(); p != nil {
		cur = *p
	}
	i := int(tp.Partition)
	if i < len(cur) && cur[i] != nil {
		return cur[i]
	}
	next := make([]*partitionQueue, max(len(cur), i+1))
	copy(next, cur)
	pq := &partitionQueue{tp: tp}
	next[i] = pq
	tq.parts.Store(&next)
	return pq
}

func (a *Accumulator) topic(topic string) *topicQueues {
	if tq := (*a.topics.Load())[topic]; tq != nil {
		return tq
	}
	a.topicsMu.Lock()
	defer a.topicsMu.Unlock()
	old := *a.topics.Load()
	if tq := old[topic]; tq != nil {
		return tq
	}
	next := make(map[string]*topicQueues, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	tq := &topicQueues{name: topic}
	next[topic] = tq
	a.topics.Store(&next)
	return tq
}

// forEachQueue calls f for every partition queue that exists, topic by
// topic, partitions in ascending order.
func (a *Accumulator) forEachQueue(f func(pq *partitionQueue) bool) {
	for _, tq := range *a.topics.Load() {
		parts := tq.parts.Load()
		if parts == nil {
			continue
		}
		for _, pq := range *parts {
			if pq != nil && !f(pq) {
				return
			}
		}
	}
}

// AppendOptions are the per-call choices of [Accumulator.AppendWith].
type AppendOptions struct {
	// Topic is the record's topic.
	Topic string
	// Partition is the record's partition, or partitioner.NoPartition to
	// let Partitioner choose.
	Partition int32
	// Partitioner chooses the partition when Partition is NoPartition
	// (through partitioner.Resolve, with Partitions). If it implements
	// partitioner.AppendAware, the accumulator reports every append to it
	// under the partition's lock, and re-asks it, under that lock, when the
	// chosen partition has no batch with room left: a KIP-794 sticky
	// partitioner can then complete a deferred switch without one more
	// record landing on the old partition.
	Partitioner partitioner.Partitioner
	// Partitions is the topic's partition count and available partitions,
	// passed to Partitioner. When Partition is explicit and Partitions.Count
	// is positive, Partition must be below it.
	Partitions partitioner.Partitions
	// BlockDeadline is when a wait for buffer memory gives up with
	// samsa.ErrBufferFull. The zero value means the configured max block
	// time from now. The producer passes the deadline of its whole send, so
	// that the time spent waiting for metadata counts too (Java's
	// max.block.ms budget); a deadline in the past fails at once if memory
	// is short.
	BlockDeadline time.Time
}

// AppendResult tells the producer whether to wake the sender.
type AppendResult struct {
	// Partition is the partition the record went to.
	Partition int32
	// BatchIsFull reports that the partition has a batch that cannot take
	// more records (its queue holds more than one batch, or its last batch
	// is full): the sender has work without waiting for linger.
	BatchIsFull bool
	// NewBatchCreated reports that the record started a new batch.
	NewBatchCreated bool
}

// Append encodes one record into the open batch of partition tp, starting
// a new batch when there is none or the record does not fit. timestamp is
// the record's timestamp in Unix milliseconds; key, value and headers are
// copied into the batch, so the caller may reuse them when Append returns.
// done (which may be nil) is completed exactly once, when the record's
// batch completes (see [Completion]).
//
// A new batch takes a buffer from the pool, outside the partition's lock;
// if the memory is in use Append blocks up to the configured max block
// time. It fails with an error wrapping samsa.ErrBufferFull when that
// passes, ctx.Err() when ctx ends first, samsa.ErrRecordTooLarge when the
// record is larger than the buffer memory, and samsa.ErrClosed once Close
// has begun. On error done is not called. Append into an open batch does
// not allocate. Safe for concurrent use.
func (a *Accumulator) Append(ctx context.Context, tp samsa.TopicPartition, timestamp int64, key, value []byte,
	headers []samsa.Header, done Completion) (AppendResult, error) {
	o := AppendOptions{Topic: tp.Topic, Partition: tp.Partition}
	return a.appendRecord(ctx, &o, timestamp, key, value, headers, done)
}

// AppendWith is Append with per-call options: a partition chosen by a
// partitioner, and a deadline for the wait for buffer memory. A partition
// that cannot be used returns a *partitioner.PartitionError. See
// [AppendOptions].
func (a *Accumulator) AppendWith(ctx context.Context, o *AppendOptions, timestamp int64, key, value []byte,
	headers []samsa.Header, done Completion) (AppendResult, error) {
	return a.appendRecord(ctx, o, timestamp, key, value, headers, done)
}

func (a *Accumulator) appendRecord(ctx context.Context, o *AppendOptions, timestamp int64, key, value []byte,
	headers []samsa.Header, done Completion) (AppendResult, error) {
	if a.closed.Load() {
		return AppendResult{Partition: o.Partition}, errClosedAppend
	}
	part, chosen, err := a.choosePartition(o, key, value)
	if err != nil {
		return AppendResult{Partition: part}, err
	}
	var aware partitioner.AppendAware
	if chosen {
		aware, _ = o.Partitioner.(partitioner.AppendAware)
	}
	var buf []byte // allocated for a new batch, not used yet
	reask := false
	for {
		pq := a.queue(samsa.TopicPartition{Topic: o.Topic, Partition: part})
		pq.mu.Lock()
		if aware != nil {
			full := pq.allBatchesFull()
			if full {
				// Let a deferred sticky switch complete before this record
				// lands on a partition that has had its share.
				aware.OnAppend(partitioner.Append{Topic: o.Topic, Partition: part, Keyed: key != nil, AllBatchesFull: true})
			}
			if full || reask {
				reask = false
				p, err := partitioner.Resolve(o.Partitioner, o.Topic, partitioner.NoPartition, key, value, o.Partitions)
				if err != nil {
					pq.mu.Unlock()
					a.pool.Deallocate(buf)
					return AppendResult{Partition: p}, err
				}
				if p != part {
					pq.mu.Unlock()
					part = p
					continue
				}
			}
		}
		if a.closed.Load() {
			pq.mu.Unlock()
			a.pool.Deallocate(buf)
			return AppendResult{Partition: part}, errClosedAppend
		}
		if n, ok := a.tryAppend(pq, timestamp, key, value, headers, done); ok {
			res := a.appended(pq, aware, part, key != nil, n, false)
			pq.mu.Unlock()
			if buf != nil {
				a.pool.Deallocate(buf) // another goroutine opened a batch meanwhile
			}
			return res, nil
		}
		if buf == nil {
			pq.mu.Unlock()
			size := max(a.cfg.batchSize, records.HeaderSize+records.RecordSize(0, 0, key, value, headers))
			buf, err = a.pool.Allocate(ctx, size, a.maxBlock(o.BlockDeadline))
			if err != nil {
				return AppendResult{Partition: part}, err
			}
			// The partition may have changed while we waited.
			reask = true
			continue
		}
		b := a.newBatch(pq, buf, timestamp)
		if b == nil {
			pq.mu.Unlock()
			a.pool.Deallocate(buf)
			return AppendResult{Partition: part}, errClosedAppend
		}
		pq.pushBack(b)
		n, _ := a.tryAppend(pq, timestamp, key, value, headers, done)
		res := a.appended(pq, aware, part, key != nil, n, true)
		pq.mu.Unlock()
		return res, nil
	}
}

// choosePartition returns the record's partition and whether a partitioner
// chose it.
func (a *Accumulator) choosePartition(o *AppendOptions, key, value []byte) (int32, bool, error) {
	if o.Partition == partitioner.NoPartition {
		p, err := partitioner.Resolve(o.Partitioner, o.Topic, partitioner.NoPartition, key, value, o.Partitions)
		return p, true, err
	}
	if o.Partition < 0 || o.Partition >= maxPartition || o.Partitions.Count > 0 && o.Partition >= o.Partitions.Count {
		return o.Partition, false, &partitioner.PartitionError{Topic: o.Topic, Partition: o.Partition,
			Count: o.Partitions.Count, Reason: "the record's explicit partition is out of range"}
	}
	return o.Partition, false, nil
}

func (a *Accumulator) maxBlock(deadline time.Time) time.Duration {
	if deadline.IsZero() {
		return a.cfg.maxBlock
	}
	return deadline.Sub(a.cfg.clock())
}

// tryAppend appends the record to the queue's open batch and returns the
// bytes it took, or reports false when there is no open batch with room.
// pq.mu is held.
func (a *Accumulator) tryAppend(pq *partitionQueue, ts int64, key, value []byte, headers []samsa.Header,
	done Completion) (int, bool) {
	last := pq.dq.back()
	if last == nil || last.closed {
		return 0, false
	}
	need := last.builder.EstimatedSize(ts, key, value, headers)
	if !last.hasRoomFor(need) {
		// Java closes the batch here: it is as good as full.
		last.closed = true
		return 0, false
	}
	last.builder.Append(ts, key, value, headers)
	last.count++
	last.recs = append(last.recs, recordEntry{done: done, ts: ts})
	return need, true
}

// appended reports an append to an AppendAware partitioner and builds the
// result. pq.mu is held, so reports for one partition arrive in order.
func (a *Accumulator) appended(pq *partitionQueue, aware partitioner.AppendAware, part int32, keyed bool,
	n int, newBatch bool) AppendResult {
	full := pq.allBatchesFull()
	if aware != nil {
		aware.OnAppend(partitioner.Append{Topic: pq.tp.Topic, Partition: part, Keyed: keyed, Bytes: n, AllBatchesFull: full})
	}
	return AppendResult{Partition: part, BatchIsFull: pq.dq.len() > 1 || full, NewBatchCreated: newBatch}
}

// newBatch creates a batch in buf for pq and registers it as incomplete,
// or returns nil if the accumulator closed. pq.mu is held.
//
// The closed check is repeated under incMu because AbortIncomplete sets
// incClosed and then snapshots the incomplete list under the same lock: a
// batch either makes it into the snapshot or is never created.
func (a *Accumulator) newBatch(pq *partitionQueue, buf []byte, baseTimestamp int64) *Batch {
	now := a.cfg.clock()
	b := &Batch{tp: pq.tp, acc: a, pq: pq, mem: buf, limit: cap(buf), createdAt: now, lastAttempt: now,
		leaderEpoch: -1, state: NoProducerState}
	b.builder.Reset(buf, baseTimestamp)
	b.takeRecs()
	a.incMu.Lock()
	if a.incClosed {
		a.incMu.Unlock()
		b.putRecs()
		return nil
	}
	a.linkTail(b)
	a.incMu.Unlock()
	a.stats.batchesCreated.Add(1)
	return b
}
