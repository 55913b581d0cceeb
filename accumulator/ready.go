package accumulator

import (
	"math"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/partitioner"
)

// NoDeadline is the nextCheck Ready returns when no partition is waiting
// for linger or backoff to pass: the sender may sleep until something else
// (an append, a response, a flush) wakes it.
const NoDeadline = time.Duration(math.MaxInt64)

// LeaderFunc tells Ready and the sender who leads a partition: the leader's
// broker id and the partition's leader epoch (-1 if unknown), and ok=false
// when the metadata knows no leader. It is called without accumulator locks
// held, from the goroutine calling Ready; it must not block.
type LeaderFunc func(tp samsa.TopicPartition) (leader int32, epoch int32, ok bool)

// Ready returns the brokers that have sendable data (Java's
// RecordAccumulator.ready).
//
// It looks at the first batch of every partition queue. A partition whose
// leader is unknown adds its topic to unknownLeaders (the sender then
// refreshes metadata). Otherwise, unless the partition is muted or its
// first batch is backing off after a failure, the leader is ready when one
// of these holds: the batch is full (the queue has two or more batches, or
// the batch is closed); linger has passed since its creation (or its last
// attempt); appenders are blocked waiting for buffer memory; the
// accumulator is closed; a flush is in progress.
//
// nextCheck is how long until a partition that is not sendable yet may
// become so (linger or backoff remaining), [NoDeadline] if none is waiting; the
// sender sleeps at most that long unless woken by an append. A retried
// batch skips its backoff when the partition's leader epoch grew since the
// attempt (KIP-951).
//
// Ready allocates only its results. Safe for concurrent use; the sender
// calls it on every pass.
func (a *Accumulator) Ready(now time.Time, leaderOf LeaderFunc) (ready []int32, nextCheck time.Duration, unknownLeaders []string) {
	nextCheck = NoDeadline
	exhausted := a.pool.Queued() > 0
	closing := a.closed.Load()
	flushing := a.flushes.Load() > 0
	linger := a.cfg.linger
	a.forEachQueue(func(pq *partitionQueue) bool {
		if pq.n.Load() == 0 {
			return true
		}
		leader, epoch, ok := leaderOf(pq.tp)
		if !ok {
			if !slices.Contains(unknownLeaders, pq.tp.Topic) {
				unknownLeaders = append(unknownLeaders, pq.tp.Topic)
			}
			return true
		}
		if slices.Contains(ready, leader) || pq.muted.Load() {
			return true
		}
		pq.mu.Lock()
		b := pq.dq.front()
		if b == nil {
			pq.mu.Unlock()
			return true
		}
		b.maybeUpdateLeaderEpoch(epoch)
		waited := now.Sub(b.lastAttempt)
		backingOff := b.backingOff(now)
		full := pq.dq.len() > 1 || b.isFull()
		wait := linger
		if backingOff {
			wait = b.backoff
		}
		pq.mu.Unlock()
		if !backingOff && (full || waited >= wait || exhausted || closing || flushing) {
			ready = append(ready, leader)
		} else {
			nextCheck = min(nextCheck, max(wait-waited, 0))
		}
		return true
	})
	return ready, nextCheck, unknownLeaders
}

// DrainDecision is a [SequenceFunc]'s verdict on a partition's first
// batch.
type DrainDecision uint8

const (
	// DrainBatch drains the batch with the returned producer state.
	DrainBatch DrainDecision = iota
	// SkipPartition leaves the batch queued and goes on with the next
	// partition.
	SkipPartition
	// StopDrain leaves the batch queued and ends this Drain: Java stops
	// draining a broker when a partition has no valid producer id yet, is
	// not in the transaction yet, or must wait for an earlier batch's retry.
	StopDrain
)

// SequenceFunc is the idempotent producer's hook into Drain (Java's
// sequence assignment in drainBatchesForOneNode). Drain calls it for each
// partition's first batch it is about to take, under that partition's
// lock, so it must be quick, must not block and must not call the
// Accumulator. It reads the batch (TopicPartition, NumRecords,
// ProducerState — already assigned on a retry — and Attempts) and returns
// the producer state to send it with and a decision.
//
// A first attempt gets a fresh base sequence (and the producer's sequence
// for the partition advances by NumRecords); a retry keeps its sequence
// unless the producer reset sequences after an epoch bump. When a retried
// batch's state changes, Drain rewrites its header (records.SetProducerState)
// without re-encoding it. The state is ignored unless the decision is
// DrainBatch.
type SequenceFunc func(b *Batch) (ProducerState, DrainDecision)

// Drain takes at most one batch from the head of each of node's partitions
// for one ProduceRequest (Java's drainBatchesForOneNode) and returns them
// finished: compressed, producer state assigned, header and CRC written.
//
// partitions are the partitions node leads. Drain starts where the previous
// Drain for node stopped, so that no partition is starved when the request
// fills up, and skips partitions that are muted, empty or backing off. It
// stops before a batch that would take the request over maxRequestSize
// bytes (counted as the batches' sizes; leave room for the request's own
// framing), except that the first batch always goes, even alone over the
// limit. A [SequenceFunc] may skip partitions or stop the drain.
//
// Batches are finished outside every lock. A batch that fails to finish (it
// cannot with options New validated) is completed with that error instead
// of being returned. The caller owns the returned batches (see [Batch]).
// Safe for concurrent use, though one sender goroutine calls it.
func (a *Accumulator) Drain(now time.Time, node int32, partitions []samsa.TopicPartition, maxRequestSize int) []*Batch {
	n := len(partitions)
	if n == 0 {
		return nil
	}
	a.drainMu.Lock()
	start := a.drainIndex[node] % n
	a.drainMu.Unlock()

	var out []*Batch
	size := 0
	next := (start + 1) % n // where the next Drain starts: rotate by default
	for k := 0; k < n; k++ {
		i := (start + k) % n
		pq := a.lookup(partitions[i])
		if pq == nil || pq.n.Load() == 0 || pq.muted.Load() {
			continue
		}
		b, stop := a.drainOne(pq, now, size, maxRequestSize, len(out) > 0)
		if stop {
			next = i // this partition goes first next time
			break
		}
		if b == nil {
			continue
		}
		if err := a.finish(b); err != nil {
			b.Complete(-1, -1, err)
			continue
		}
		size += len(b.finished)
		out = append(out, b)
		a.stats.batchesDrained.Add(1)
		a.stats.recordsDrained.Add(int64(b.count))
		a.stats.bytesDrained.Add(int64(len(b.finished)))
		a.stats.uncompressedBytes.Add(int64(b.uncompressed))
	}
	a.drainMu.Lock()
	a.drainIndex[node] = next
	a.drainMu.Unlock()
	return out
}

// drainOne takes the first batch of pq if it may go now. It reports stop
// when the drain must end here.
func (a *Accumulator) drainOne(pq *partitionQueue, now time.Time, size, maxRequestSize int, haveSome bool) (*Batch, bool) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	b := pq.dq.front()
	if b == nil || b.backingOff(now) {
		return nil, false
	}
	if haveSome && size+b.estimatedSize() > maxRequestSize {
		return nil, true
	}
	state := b.state
	if a.cfg.sequencer != nil {
		var d DrainDecision
		state, d = a.cfg.sequencer(b)
		switch d {
		case SkipPartition:
			return nil, false
		case StopDrain:
			return nil, true
		}
	}
	pq.popFront()
	if b.finished != nil && state != b.state {
		b.rewriteState = true
	}
	b.state = state
	b.drainedAt = now
	return b, false
}

// finish encodes a drained batch's header: compresses and finishes a new
// batch, or rewrites the producer state of a retried one. The drainer owns
// b, so no lock is needed.
func (a *Accumulator) finish(b *Batch) error {
	if b.finished != nil {
		if b.rewriteState {
			records.SetProducerState(b.finished, b.state.ProducerID, b.state.Epoch, b.state.BaseSequence)
			b.rewriteState = false
		}
		return nil
	}
	b.uncompressed = b.builder.Len()
	o := records.NewFinishOptions(a.cfg.codec, a.cfg.level)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence = b.state.ProducerID, b.state.Epoch, b.state.BaseSequence
	o.Transactional = b.state.Transactional
	o.Compressor = &a.compressor
	out, err := b.builder.Finish(o)
	if err != nil {
		return err
	}
	b.finished = out
	return nil
}

// Mute stops Ready and Drain from considering tp until Unmute: with
// max.in.flight=1 the sender mutes a partition while its batch is in
// flight, so batches go out strictly one after the other. Safe for
// concurrent use.
func (a *Accumulator) Mute(tp samsa.TopicPartition) {
	if tp.Partition < 0 || tp.Partition >= maxPartition {
		return
	}
	a.queue(tp).muted.Store(true)
}

// Unmute undoes Mute.
func (a *Accumulator) Unmute(tp samsa.TopicPartition) {
	if pq := a.lookup(tp); pq != nil {
		pq.muted.Store(false)
	}
}

// IsMuted reports whether tp is muted.
func (a *Accumulator) IsMuted(tp samsa.TopicPartition) bool {
	pq := a.lookup(tp)
	return pq != nil && pq.muted.Load()
}

// QueuedBatches returns the number of batches queued for tp.
func (a *Accumulator) QueuedBatches(tp samsa.TopicPartition) int {
	if pq := a.lookup(tp); pq != nil {
		return int(pq.n.Load())
	}
	return 0
}

// PartitionLoad appends to dst, in ascending partition order, the queue
// length of every partition of topic that has a queue, and returns the
// extended slice: the input of KIP-794 adaptive partitioning
// ([partitioner.LoadAware]). NotDrainedFor is left 0 for the sender to
// fill in from its per-broker drain times; the sender reports the load
// only once the result covers every partition of the topic (Java starts
// adaptive partitioning only then) and drops partitions without a leader.
// It takes no lock. Safe for concurrent use.
func (a *Accumulator) PartitionLoad(topic string, dst []partitioner.PartitionLoad) []partitioner.PartitionLoad {
	tq := (*a.topics.Load())[topic]
	if tq == nil {
		return dst
	}
	parts := tq.parts.Load()
	if parts == nil {
		return dst
	}
	for _, pq := range *parts {
		if pq != nil {
			dst = append(dst, partitioner.PartitionLoad{Partition: pq.tp.Partition, QueuedBatches: int(pq.n.Load())})
		}
	}
	return dst
}

// backoffFor returns the retry backoff after attempts failed attempts
// (Java's ExponentialBackoff with multiplier 2 and jitter 0.2):
// initial·2^(attempts-1), at most max, times a random factor in
// [0.8, 1.2), then capped at max again.
func (a *Accumulator) backoffFor(attempts int) time.Duration {
	initial, maxB := a.cfg.retryBackoff, a.cfg.retryBackoffMax
	if initial <= 0 || maxB <= initial {
		return initial
	}
	expMax := math.Log2(float64(maxB) / float64(initial))
	exp := math.Min(float64(max(attempts-1, 0)), expMax)
	term := float64(initial) * math.Pow(2, exp)
	factor := 1 - backoffJitter + 2*backoffJitter*a.cfg.random()
	d := time.Duration(factor * term)
	return min(d, maxB)
}
