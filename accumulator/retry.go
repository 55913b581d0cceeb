package accumulator

import (
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// Reenqueue puts a drained batch back at the head of its partition's queue
// for a retry (Java's reenqueue): its attempt count grows by one, now
// becomes its last attempt, and it backs off (see [WithRetryBackoff])
// before Ready and Drain consider it again. A batch with a base sequence is
// inserted in sequence order among the sequenced batches at the head, so
// that batches of one partition that failed in flight go out again in
// their original order whatever order their failures arrive in; a batch
// without one goes first.
//
// The batch keeps its finished bytes, so a retry is not re-encoded or
// re-compressed. The caller must be done with those bytes (see [Batch]). A
// batch already completed returns an error wrapping [ErrBatchCompleted],
// one still queued [ErrBatchQueued]. Safe for concurrent use.
func (a *Accumulator) Reenqueue(b *Batch, now time.Time) error {
	pq := b.pq
	pq.mu.Lock()
	defer pq.mu.Unlock()
	// Checked under the queue's lock: Complete marks the batch done before
	// it takes this lock to unqueue it, so either we see done here, or
	// Complete finds the batch queued and takes it out again.
	if err := a.checkDrained(b, "re-enqueue"); err != nil {
		return err
	}
	b.attempts++
	b.lastAttempt = now
	b.backoff = a.backoffFor(b.attempts)
	a.insertHead(pq, b)
	a.stats.batchesRetried.Add(1)
	return nil
}

func (a *Accumulator) checkDrained(b *Batch, op string) error {
	switch {
	case b.done.Load():
		return fmt.Errorf("samsa: cannot %s batch of %d records for %s: %w", op, b.count, b.tp, ErrBatchCompleted)
	case b.queued:
		return fmt.Errorf("samsa: cannot %s batch of %d records for %s: %w", op, b.count, b.tp, ErrBatchQueued)
	}
	return nil
}

// insertHead puts a retried batch back at the head of pq (Java's
// insertInSequenceOrder for a sequenced batch, addFirst otherwise). pq.mu
// is held.
func (a *Accumulator) insertHead(pq *partitionQueue, b *Batch) {
	b.closed = true
	i := 0
	if seq := b.state.BaseSequence; seq >= 0 {
		for i < pq.dq.len() {
			o := pq.dq.at(i)
			if !o.state.HasSequence() || o.state.BaseSequence >= seq {
				break
			}
			i++
		}
	}
	pq.dq.insert(i, b)
	b.queued = true
	pq.n.Store(int32(pq.dq.len()))
}

// SplitAndReenqueue splits a drained batch the broker refused as too large
// (MESSAGE_TOO_LARGE) into smaller batches and puts them at the head of
// its partition's queue, in record order, and returns how many it made
// (Java's splitAndReenqueue).
//
// The records are decoded from the batch and re-encoded into new batches of
// at most the batch size and at most half the original's records, so that
// repeated splits always make progress (Java splits by batch size only,
// which cannot shrink an uncompressed batch). Each record keeps its
// timestamp, key, value, headers and Completion; the new batches keep the
// original's creation time (the delivery timeout still counts from it) and
// attempt count, do not back off, and, when the original had a base
// sequence, take consecutive sequences from it. The original batch is
// retired without completing its records. The new batches' buffers come
// from outside the pool, as in Java.
//
// A batch of one record cannot be split: the error wraps
// samsa.ErrRecordTooLarge and the batch is left to the caller, who
// completes it with that error. An error wrapping [ErrBatchCompleted] or
// [ErrBatchQueued] means the batch was not drained or already done; a
// batch that does not decode returns that error. Safe for concurrent use.
func (a *Accumulator) SplitAndReenqueue(b *Batch) (int, error) {
	pq := b.pq
	pq.mu.Lock()
	err := a.checkDrained(b, "split")
	pq.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if b.count < 2 {
		return 0, &RecordTooLargeError{Size: b.estimatedSize(),
			Reason: "the broker refused the batch as too large and a batch of one record cannot be split"}
	}
	if b.finished == nil {
		return 0, fmt.Errorf("samsa: cannot split batch for %s: %w", b.tp, ErrBatchQueued)
	}
	parts, err := a.splitBatch(b)
	if err != nil {
		return 0, err
	}
	if !b.done.CompareAndSwap(false, true) {
		// Completed (expired, aborted) while we split: the records are
		// accounted for; drop the copies.
		for _, nb := range parts {
			nb.putRecs()
		}
		return 0, fmt.Errorf("samsa: cannot split batch of %d records for %s: %w", b.count, b.tp, ErrBatchCompleted)
	}
	pq.mu.Lock()
	if b.state.HasSequence() {
		for _, nb := range parts {
			a.insertHead(pq, nb)
		}
	} else {
		for i := len(parts) - 1; i >= 0; i-- {
			a.insertHead(pq, parts[i])
		}
	}
	pq.mu.Unlock()

	a.incMu.Lock()
	at := b
	for _, nb := range parts {
		a.linkAfter(at, nb)
		at = nb
	}
	a.unlink(b)
	a.incMu.Unlock()
	// The completions moved to the new batches; give back the rest.
	a.freeBuffers(b)
	a.stats.batchesSplit.Add(1)
	return len(parts), nil
}

// splitBatch re-encodes the records of b into new batches. b is owned by
// the caller.
func (a *Accumulator) splitBatch(b *Batch) ([]*Batch, error) {
	hdr, raw, _, err := records.ReadBatch(b.finished)
	if err != nil {
		return nil, err
	}
	var dec records.Decoder
	recs, err := dec.Records(hdr, raw, make([]records.Record, 0, b.count))
	if err != nil {
		return nil, err
	}
	if len(recs) != len(b.recs) {
		return nil, fmt.Errorf("%w: batch for %s decodes to %d records, %d were appended",
			samsa.ErrCorruptBatch, b.tp, len(recs), len(b.recs))
	}
	limit := max(a.cfg.batchSize, 1)
	maxRecs := (len(recs) + 1) / 2
	seq := b.state.BaseSequence

	var parts []*Batch
	var cur *Batch
	var headers []samsa.Header
	for i := range recs {
		r := &recs[i]
		headers = headers[:0]
		for _, h := range r.Headers {
			headers = append(headers, samsa.Header{Key: string(h.Key), Value: h.Value})
		}
		if cur != nil {
			need := cur.builder.EstimatedSize(r.Timestamp, r.Key, r.Value, headers)
			if cur.count >= maxRecs || !cur.hasRoomFor(need) {
				cur = nil
			}
		}
		if cur == nil {
			size := max(limit, records.HeaderSize+records.RecordSize(0, 0, r.Key, r.Value, headers))
			cur = &Batch{tp: b.tp, acc: a, pq: b.pq, limit: size, createdAt: b.createdAt,
				lastAttempt: b.lastAttempt, attempts: b.attempts, leaderEpoch: b.leaderEpoch,
				attemptsAtLeaderChange: b.attemptsAtLeaderChange, state: NoProducerState, closed: true, split: true}
			cur.builder.Reset(make([]byte, 0, size), r.Timestamp)
			cur.takeRecs()
			parts = append(parts, cur)
		}
		cur.builder.Append(r.Timestamp, r.Key, r.Value, headers)
		cur.count++
		cur.recs = append(cur.recs, b.recs[i])
	}
	if seq >= 0 {
		for _, nb := range parts {
			nb.state = ProducerState{ProducerID: b.state.ProducerID, Epoch: b.state.Epoch,
				BaseSequence: seq, Transactional: b.state.Transactional}
			seq = incrementSequence(seq, nb.count)
		}
	}
	return parts, nil
}

// incrementSequence advances a sequence number by n, wrapping at
// MaxInt32 as Kafka does.
func incrementSequence(seq int32, n int) int32 {
	s := int64(seq) + int64(n)
	if s > 1<<31-1 {
		s -= 1 << 31
	}
	return int32(s)
}

// ExpiredBatches takes out of their queues the batches that have been
// waiting delivery timeout or longer since their creation, and returns
// them (Java's expiredBatches), with the earliest time a batch still queued
// will expire (zero if none is queued). Each queue is examined from its
// head and stops at the first batch that has not expired. Muted partitions
// are included.
//
// The caller owns the returned batches and completes them, normally with
// [ExpiryError]; an idempotent producer also marks their sequences
// unresolved if they had been sent before. Safe for concurrent use.
func (a *Accumulator) ExpiredBatches(now time.Time, deliveryTimeout time.Duration) ([]*Batch, time.Time) {
	var expired []*Batch
	var next time.Time
	a.forEachQueue(func(pq *partitionQueue) bool {
		if pq.n.Load() == 0 {
			return true
		}
		pq.mu.Lock()
		for b := pq.dq.front(); b != nil; b = pq.dq.front() {
			deadline := b.createdAt.Add(deliveryTimeout)
			if now.Before(deadline) {
				if next.IsZero() || deadline.Before(next) {
					next = deadline
				}
				break
			}
			expired = append(expired, pq.popFront())
		}
		pq.mu.Unlock()
		return true
	})
	a.stats.batchesExpired.Add(int64(len(expired)))
	return expired, next
}
