package accumulator

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/samsa-go/samsa/internal/records"
)

// linkTail appends b to the incomplete list with the next id. incMu is
// held.
func (a *Accumulator) linkTail(b *Batch) {
	b.id = a.nextID
	a.nextID++
	b.prev, b.next = a.incTail, nil
	if a.incTail != nil {
		a.incTail.next = b
	} else {
		a.incHead = b
	}
	a.incTail = b
	a.incCount++
}

// linkAfter inserts b after at, with at's id, so the list stays ordered by
// id (split batches take their original's place). incMu is held.
func (a *Accumulator) linkAfter(at, b *Batch) {
	b.id = at.id
	b.prev, b.next = at, at.next
	if at.next != nil {
		at.next.prev = b
	} else {
		a.incTail = b
	}
	at.next = b
	a.incCount++
}

// unlink removes b from the incomplete list. incMu is held.
func (a *Accumulator) unlink(b *Batch) {
	if b.prev != nil {
		b.prev.next = b.next
	} else if a.incHead == b {
		a.incHead = b.next
	} else {
		return // not linked
	}
	if b.next != nil {
		b.next.prev = b.prev
	} else {
		a.incTail = b.prev
	}
	b.prev, b.next = nil, nil
	a.incCount--
}

// unqueue takes a batch that is being completed out of its queue, if it is
// still there.
func (a *Accumulator) unqueue(b *Batch) {
	pq := b.pq
	pq.mu.Lock()
	if b.queued {
		pq.dq.remove(b)
		b.queued = false
		pq.n.Store(int32(pq.dq.len()))
	}
	b.closed = true
	pq.mu.Unlock()
}

// freeBuffers gives b's completion slice back to its pool and its memory
// back to the BufferPool, and drops its encoded form.
func (a *Accumulator) freeBuffers(b *Batch) {
	b.putRecs()
	b.builder = records.Builder{}
	b.finished = nil
	if b.mem != nil {
		a.pool.Deallocate(b.mem)
		b.mem = nil
	}
}

// release gives a completed batch's memory back and lets flushes waiting
// on it go on.
func (a *Accumulator) release(b *Batch) {
	if b.uncompressed == 0 {
		b.uncompressed = b.builder.Len()
	}
	a.freeBuffers(b)
	a.incMu.Lock()
	a.unlink(b)
	if a.flushWake != nil {
		close(a.flushWake)
		a.flushWake = nil
	}
	a.incMu.Unlock()
}

// BeginFlush makes every batch sendable at once, ignoring linger, until
// the matching AwaitFlushCompletion returns (Java's beginFlush). Flushes
// nest: each BeginFlush must be followed by one AwaitFlushCompletion. The
// producer's Flush is BeginFlush, wake the sender, AwaitFlushCompletion.
// Safe for concurrent use.
func (a *Accumulator) BeginFlush() { a.flushes.Add(1) }

// FlushInProgress reports whether a flush is under way.
func (a *Accumulator) FlushInProgress() bool { return a.flushes.Load() > 0 }

// AwaitFlushCompletion blocks until every batch created before the call
// has completed (successfully or not) — and with it every record appended
// before the call — or until ctx ends, in which case it returns an error
// wrapping ctx.Err(). Batches created by a split count as their original.
// It ends the flush begun by BeginFlush either way. Safe for concurrent
// use.
func (a *Accumulator) AwaitFlushCompletion(ctx context.Context) error {
	defer a.endFlush()
	a.incMu.Lock()
	target := a.nextID
	for a.incHead != nil && a.incHead.id < target {
		if a.flushWake == nil {
			a.flushWake = make(chan struct{})
		}
		wake := a.flushWake
		pending := a.incCount
		a.incMu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("samsa: flush interrupted with batches still incomplete (%d or fewer): %w", pending, ctx.Err())
		}
		a.incMu.Lock()
	}
	a.incMu.Unlock()
	return nil
}

func (a *Accumulator) endFlush() {
	for {
		n := a.flushes.Load()
		if n <= 0 || a.flushes.CompareAndSwap(n, n-1) {
			return
		}
	}
}

// Close stops the accumulator from taking records: Append, and allocations
// blocked waiting for memory, fail with an error wrapping samsa.ErrClosed.
// Queued batches stay; Ready treats them all as sendable so that the
// sender can drain them before it stops (Java's close). Close is
// idempotent and does not block.
func (a *Accumulator) Close() {
	a.incMu.Lock()
	a.incClosed = true
	a.closed.Store(true)
	a.incMu.Unlock()
	a.pool.Close()
}

// Closed reports whether Close was called.
func (a *Accumulator) Closed() bool { return a.closed.Load() }

// AbortIncomplete closes the accumulator and completes every incomplete
// batch with err: queued batches and drained batches whose request is in
// flight alike (Java's abortIncompleteBatches, used by a forced close). A
// nil err is replaced by one wrapping samsa.ErrClosed. It returns the
// number of batches it completed.
//
// Because it completes drained batches, whose bytes the sender may still be
// reading, it must be called by the sender's goroutine or after the sender
// has stopped. Records appended concurrently either land in a batch that is
// aborted or fail with samsa.ErrClosed.
func (a *Accumulator) AbortIncomplete(err error) int {
	if err == nil {
		err = errAborted
	}
	a.incMu.Lock()
	a.incClosed = true
	a.closed.Store(true)
	all := make([]*Batch, 0, a.incCount)
	for b := a.incHead; b != nil; b = b.next {
		all = append(all, b)
	}
	a.incMu.Unlock()
	a.pool.Close()
	n := 0
	for _, b := range all {
		if b.Complete(-1, -1, err) {
			n++
		}
	}
	return n
}

// AbortUndrained completes every batch still queued with err, leaving
// batches in flight alone (Java's abortUndrainedBatches, used when a fatal
// error means no new batch may be sent). A nil err is replaced by one
// wrapping samsa.ErrClosed. It does not close the accumulator. It returns
// the number of batches it completed. Safe for concurrent use.
func (a *Accumulator) AbortUndrained(err error) int {
	if err == nil {
		err = errAborted
	}
	var taken []*Batch
	a.forEachQueue(func(pq *partitionQueue) bool {
		if pq.n.Load() == 0 {
			return true
		}
		pq.mu.Lock()
		for b := pq.popFront(); b != nil; b = pq.popFront() {
			taken = append(taken, b)
		}
		pq.mu.Unlock()
		return true
	})
	n := 0
	for _, b := range taken {
		if b.Complete(-1, -1, err) {
			n++
		}
	}
	return n
}

// HasUndrained reports whether any partition has a queued batch. The
// sender keeps running after Close until this is false and nothing is in
// flight.
func (a *Accumulator) HasUndrained() bool {
	found := false
	a.forEachQueue(func(pq *partitionQueue) bool {
		found = pq.n.Load() > 0
		return !found
	})
	return found
}

// HasIncomplete reports whether any batch, queued or in flight, has not
// completed.
func (a *Accumulator) HasIncomplete() bool {
	a.incMu.Lock()
	defer a.incMu.Unlock()
	return a.incHead != nil
}

// counters are the accumulator's cumulative statistics, updated with one
// atomic add per batch (never per record).
type counters struct {
	batchesCreated    atomic.Int64
	batchesDrained    atomic.Int64
	recordsDrained    atomic.Int64
	bytesDrained      atomic.Int64
	uncompressedBytes atomic.Int64
	batchesRetried    atomic.Int64
	batchesSplit      atomic.Int64
	batchesExpired    atomic.Int64
}

// Stats is a snapshot of the accumulator's counters, for the producer's
// metrics. The per-batch values behind sarama's batch-size,
// records-per-request and compression-ratio histograms are read from each
// drained batch instead (NumRecords, UncompressedSize, len(Records())).
type Stats struct {
	// BatchesCreated counts batches created by appends (not by splits).
	BatchesCreated int64
	// BatchesDrained, RecordsDrained and BytesDrained count what Drain
	// handed out, retries included; BytesDrained is after compression,
	// UncompressedBytesDrained before.
	BatchesDrained           int64
	RecordsDrained           int64
	BytesDrained             int64
	UncompressedBytesDrained int64
	// BatchesRetried counts Reenqueue calls, BatchesSplit batches split
	// by SplitAndReenqueue, BatchesExpired batches ExpiredBatches returned.
	BatchesRetried int64
	BatchesSplit   int64
	BatchesExpired int64
	// IncompleteBatches is the number of batches not yet completed.
	IncompleteBatches int
	// BufferTotal and BufferAvailable are the pool's total and free memory
	// in bytes; WaitingAppends the appends blocked waiting for it.
	BufferTotal     int
	BufferAvailable int
	WaitingAppends  int
}

// Stats returns a snapshot of the counters. Safe for concurrent use.
func (a *Accumulator) Stats() Stats {
	a.incMu.Lock()
	inc := a.incCount
	a.incMu.Unlock()
	return Stats{
		BatchesCreated:           a.stats.batchesCreated.Load(),
		BatchesDrained:           a.stats.batchesDrained.Load(),
		RecordsDrained:           a.stats.recordsDrained.Load(),
		BytesDrained:             a.stats.bytesDrained.Load(),
		UncompressedBytesDrained: a.stats.uncompressedBytes.Load(),
		BatchesRetried:           a.stats.batchesRetried.Load(),
		BatchesSplit:             a.stats.batchesSplit.Load(),
		BatchesExpired:           a.stats.batchesExpired.Load(),
		IncompleteBatches:        inc,
		BufferTotal:              a.pool.TotalMemory(),
		BufferAvailable:          a.pool.AvailableMemory(),
		WaitingAppends:           a.pool.Queued(),
	}
}
