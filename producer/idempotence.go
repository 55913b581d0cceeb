package producer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
)

// idempotence is the idempotent producer's state (the part of Java's
// TransactionManager that serves enable.idempotence): the producer id and
// epoch from InitProducerId, and per partition the next sequence number,
// the last acknowledged one and the batches in flight.
//
// It is owned by the sender goroutine. Its sequence method is the
// accumulator's SequenceFunc, which Drain calls under a partition's lock —
// and only the sender calls Drain — so no lock of its own is needed. The
// InitProducerId request runs on a goroutine of its own, which hands its
// answer back through the sender's response queue.
//
// The rules, after Java's:
//   - Sequences are assigned when a batch is drained, never at append.
//   - A fresh batch of a partition may go whenever nothing of an older
//     producer epoch is in flight for the partition, and, until the broker
//     has acknowledged the partition's first batch of the epoch (before
//     that it would accept any sequence), nothing at all is.
//   - A retried batch (it keeps its sequence) may go only when nothing of
//     its partition is in flight: retries of one partition go one at a
//     time, lowest sequence first (the accumulator re-enqueues them in
//     sequence order), so the broker sees sequences without gaps.
//   - DUPLICATE_SEQUENCE_NUMBER is a success without an offset.
//   - OUT_OF_ORDER_SEQUENCE_NUMBER for a batch whose predecessor failed is
//     retried; for the batch the broker should have accepted next, or one
//     the broker has already passed, it means the broker lost track (or,
//     not knowing the producer yet, accepted a later batch first), as do
//     UNKNOWN_PRODUCER_ID and INVALID_PRODUCER_EPOCH: the producer bumps
//     its epoch and retries.
//   - A batch with a sequence that fails for good (delivery timeout, a
//     fatal error) leaves a gap: the producer bumps its epoch too.
//   - An epoch bump waits until no request is in flight, then increments
//     the epoch locally (an idempotent producer may, KIP-360) — or, when
//     the epoch is exhausted, asks InitProducerId for a new producer id —
//     and restarts every partition's sequences at 0. Batches put back for
//     a retry are sequenced again in their queue order.
type idempotence struct {
	s *sender

	id    int64 // -1 until InitProducerId answered
	epoch int16

	initializing bool      // an InitProducerId request is out
	retryAt      time.Time // after a failed InitProducerId
	failures     int       // consecutive InitProducerId failures
	bumpNeeded   bool
	fatal        error // a non-retriable InitProducerId failure: nothing more is sent

	parts map[samsa.TopicPartition]*partSeq
}

// partSeq is one partition's sequence bookkeeping.
type partSeq struct {
	next      int32                // sequence of the next fresh batch
	lastAcked int32                // last sequence the broker acknowledged, -1 before any
	inflight  []*accumulator.Batch // drained and not yet answered
}

// initOutcome is the answer to an InitProducerId request.
type initOutcome struct {
	id    int64
	epoch int16
	err   error
}

func newIdempotence() *idempotence {
	return &idempotence{id: -1, epoch: -1, parts: map[samsa.TopicPartition]*partSeq{}}
}

func (ip *idempotence) part(tp samsa.TopicPartition) *partSeq {
	ps := ip.parts[tp]
	if ps == nil {
		ps = &partSeq{lastAcked: -1}
		ip.parts[tp] = ps
	}
	return ps
}

// current reports whether st carries the producer's current identity.
func (ip *idempotence) current(st accumulator.ProducerState) bool {
	return st.HasSequence() && st.ProducerID == ip.id && st.Epoch == ip.epoch
}

// sequence is the accumulator's SequenceFunc; see the type's rules.
func (ip *idempotence) sequence(b *accumulator.Batch) (accumulator.ProducerState, accumulator.DrainDecision) {
	if ip.id < 0 || ip.bumpNeeded || ip.fatal != nil {
		return accumulator.NoProducerState, accumulator.StopDrain
	}
	ps := ip.part(b.TopicPartition())
	if st := b.ProducerState(); ip.current(st) {
		if len(ps.inflight) > 0 {
			return accumulator.NoProducerState, accumulator.SkipPartition
		}
		return st, accumulator.DrainBatch
	}
	if ps.lastAcked < 0 && len(ps.inflight) > 0 {
		// Until the broker has acknowledged a batch of this epoch it does
		// not know the producer and would accept any sequence first: one
		// batch at a time, so that a later batch cannot overtake a failed
		// earlier one.
		return accumulator.NoProducerState, accumulator.SkipPartition
	}
	for _, f := range ps.inflight {
		if !ip.current(f.ProducerState()) {
			return accumulator.NoProducerState, accumulator.SkipPartition
		}
	}
	seq := ps.next
	ps.next = addSequence(seq, b.NumRecords())
	return accumulator.ProducerState{ProducerID: ip.id, Epoch: ip.epoch, BaseSequence: seq}, accumulator.DrainBatch
}

// addSequence advances a sequence number by n, wrapping after MaxInt32 to
// 0 as Kafka does.
func addSequence(seq int32, n int) int32 {
	s := int64(seq) + int64(n)
	if s > math.MaxInt32 {
		s -= math.MaxInt32 + 1
	}
	return int32(s)
}

// sent records drained batches as in flight, in sequence order.
func (ip *idempotence) sent(batches []*accumulator.Batch) {
	for _, b := range batches {
		st := b.ProducerState()
		if !st.HasSequence() {
			continue
		}
		ps := ip.part(b.TopicPartition())
		i := len(ps.inflight)
		for i > 0 && ps.inflight[i-1].ProducerState().BaseSequence > st.BaseSequence {
			i--
		}
		ps.inflight = append(ps.inflight, nil)
		copy(ps.inflight[i+1:], ps.inflight[i:])
		ps.inflight[i] = b
	}
}

// answered takes b out of its partition's in-flight list: its request
// came back, whatever the outcome.
func (ip *idempotence) answered(b *accumulator.Batch) {
	ps := ip.parts[b.TopicPartition()]
	if ps == nil {
		return
	}
	for i, f := range ps.inflight {
		if f == b {
			copy(ps.inflight[i:], ps.inflight[i+1:])
			ps.inflight[len(ps.inflight)-1] = nil
			ps.inflight = ps.inflight[:len(ps.inflight)-1]
			return
		}
	}
}

// acked notes that the broker has b (written now or before).
func (ip *idempotence) acked(b *accumulator.Batch) {
	st := b.ProducerState()
	if !ip.current(st) {
		return
	}
	ps := ip.part(b.TopicPartition())
	last := addSequence(st.BaseSequence, b.NumRecords()-1)
	if ps.lastAcked < 0 || seqAfter(last, ps.lastAcked) {
		ps.lastAcked = last
	}
}

// seqAfter reports whether sequence a comes after b, allowing for the wrap.
func seqAfter(a, b int32) bool {
	d := int64(a) - int64(b)
	return d > 0 && d < math.MaxInt32/2 || d < -math.MaxInt32/2
}

// waitsForPredecessor reports whether an OUT_OF_ORDER_SEQUENCE_NUMBER for
// b only means that a batch before it has not been written yet: b starts
// after the sequence the broker expects next (the one after the last
// acknowledged). Otherwise b was the one expected, and the broker lost
// track of the producer, or the broker already has later sequences (it
// accepted a later batch first, which a broker that did not know the
// producer yet may do); either way b can only be written under a new
// epoch.
func (ip *idempotence) waitsForPredecessor(b *accumulator.Batch) bool {
	st := b.ProducerState()
	if !ip.current(st) {
		return true // it gets new sequences when it is drained again
	}
	ps := ip.part(b.TopicPartition())
	expected := addSequence(ps.lastAcked, 1)
	if ps.lastAcked < 0 {
		expected = 0
	}
	return seqAfter(st.BaseSequence, expected)
}

// failed notes a batch that failed for good: if it held sequences of the
// current epoch, the partition now has a gap and the epoch must be bumped.
func (ip *idempotence) failed(b *accumulator.Batch) {
	if ip.current(b.ProducerState()) {
		ip.bumpNeeded = true
	}
}

// classify sorts out the errors the idempotent producer handles
// itself: dup for a duplicate (a success), retry for errors it retries,
// bump for those that also need a new epoch.
func (ip *idempotence) classify(b *accumulator.Batch, err error) (dup, retry, bump bool) {
	switch {
	case errors.Is(err, kerr.DuplicateSequenceNumber):
		return true, false, false
	case errors.Is(err, kerr.OutOfOrderSequenceNumber):
		return false, true, !ip.waitsForPredecessor(b)
	case errors.Is(err, kerr.UnknownProducerID), errors.Is(err, kerr.InvalidProducerEpoch):
		return false, true, true
	}
	return false, false, false
}

// maintain runs on every sender pass: it starts InitProducerId when the
// producer has no id, delivers its answer, and bumps the epoch once
// nothing is in flight. It returns how long the sender may sleep as far as
// it is concerned.
func (ip *idempotence) maintain(now time.Time) time.Duration {
	s := ip.s
	c := s.c
	if o := s.takeInit(); o != nil {
		ip.initializing = false
		switch {
		case o.err == nil:
			ip.id, ip.epoch, ip.failures = o.id, o.epoch, 0
			ip.resetSequences()
			c.log.Debug("samsa: idempotent producer id assigned", "producer_id", o.id, "epoch", o.epoch)
		case isRetriable(o.err) || errors.Is(o.err, kerr.CoordinatorLoadInProgress) || errors.Is(o.err, kerr.ConcurrentTransactions):
			ip.failures++
			ip.retryAt = now.Add(min(c.cfg.retryBackoff<<min(ip.failures-1, 10), max(c.cfg.retryBackoffMax, c.cfg.retryBackoff)))
			c.log.Warn("samsa: InitProducerId failed; retrying", "err", o.err)
		default:
			ip.fatal = fmt.Errorf("samsa: the idempotent producer cannot get a producer id: %w", o.err)
			c.log.Error("samsa: idempotent producer disabled by a fatal error", "err", o.err)
		}
	}
	if ip.fatal != nil {
		c.acc.AbortUndrained(ip.fatal)
		return noDeadline
	}
	if ip.bumpNeeded && len(s.reqs) == 0 && !ip.initializing {
		if ip.epoch >= 0 && ip.epoch < math.MaxInt16-1 {
			ip.epoch++
			ip.resetSequences()
			c.log.Info("samsa: idempotent producer bumped its epoch", "producer_id", ip.id, "epoch", ip.epoch)
		} else {
			ip.id, ip.epoch = -1, -1 // exhausted: a new producer id
		}
		ip.bumpNeeded = false
	}
	if ip.id >= 0 || ip.initializing || !c.acc.HasUndrained() {
		return noDeadline
	}
	if now.Before(ip.retryAt) {
		return ip.retryAt.Sub(now)
	}
	ip.initializing = true
	cl := c.cluster.Load()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		s.giveInit(initProducerID(c, cl))
	}()
	return noDeadline
}

// resetSequences restarts every partition at sequence 0 for a new
// producer id or epoch.
func (ip *idempotence) resetSequences() {
	for _, ps := range ip.parts {
		ps.next, ps.lastAcked = 0, -1
	}
}

// initProducerID asks any broker for a producer id (an idempotent producer
// needs no coordinator). It runs on its own goroutine; Close ends it.
func initProducerID(c *core, cl *cluster.Cluster) *initOutcome {
	ctx, cancel := context.WithTimeout(c.life, c.cfg.requestTimeout)
	defer cancel()
	conn, _, err := cl.AnyConn(ctx)
	if err != nil {
		return &initOutcome{err: err}
	}
	req := kmsg.NewPtrInitProducerIDRequest()
	req.ProducerID, req.ProducerEpoch = -1, -1
	resp, err := conn.Do(ctx, req)
	if err != nil {
		return &initOutcome{err: err}
	}
	r := resp.(*kmsg.InitProducerIDResponse)
	if r.ErrorCode != 0 {
		return &initOutcome{err: kerr.ForCode(r.ErrorCode)}
	}
	return &initOutcome{id: r.ProducerID, epoch: r.ProducerEpoch}
}
