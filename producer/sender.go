package producer

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/partitioner"
)

// sender is the producer's I/O loop (Java's Sender): one goroutine per
// producer, as in the Java client. Each pass it expires overdue batches,
// asks the accumulator which brokers have sendable data, drains one
// ProduceRequest per ready broker (up to max in flight per connection),
// writes it with wire.Conn.DoAsync, and handles the answers that arrived:
// completion, retry, split, failure.
//
// One goroutine was chosen over per-broker workers because Send already
// does the per-record work on the callers' goroutines; what is left per
// batch (finishing it, one copy into the connection's buffer, the
// callbacks) is cheap, and a single owner of the in-flight state keeps the
// ordering rules (muting, retries in order, callbacks in offset order)
// simple. Nothing on it blocks on the network: writes go through DoAsync
// onto connections that are already dialled (dials run on short-lived
// goroutines the sender owns), and responses are handed over by the
// connections' reader goroutines through a queue.
type sender struct {
	c *core

	wake     chan struct{} // capacity 1: a pending wake-up
	done     chan struct{} // closed when run returns
	closeReq atomic.Bool
	forceReq chan struct{}
	forceMu  sync.Once
	aborted  atomic.Int64 // batches failed by a forced close

	respMu  sync.Mutex
	resps   []*inflightReq // answered requests, in arrival order
	initRes *initOutcome   // InitProducerId's answer, not yet taken

	idem  *idempotence // nil unless idempotent
	guard callbackGuard

	connMu sync.Mutex
	conns  map[int32]*brokerConn

	// Owned by the sender goroutine.
	view      *metaView
	leaderOf  accumulator.LeaderFunc
	inflight  map[int32]int
	reqs      map[*inflightReq]struct{}
	readyAt   map[int32]time.Time // last pass each broker had sendable data
	drainedAt map[int32]time.Time // last pass each broker was drained
	loadBuf   []partitioner.PartitionLoad
	respBuf   []*inflightReq
	// lastErr is the error of the last failed attempt of every batch put
	// back for a retry, so that a batch that then expires reports it.
	lastErr map[*accumulator.Batch]error
}

// noDeadline is the delay of a pass after which only a wake-up (an append,
// an answer, a finished dial, Flush or Close) can bring work; it equals
// what Accumulator.Ready reports when no partition waits for linger or
// backoff.
const noDeadline = time.Duration(math.MaxInt64)

// brokerConn is the sender's produce connection to one broker.
type brokerConn struct {
	conn    *wire.Conn
	dialing bool
	retryAt time.Time // after a failed dial, no new dial before this
}

// inflightReq is one ProduceRequest from write to answer.
type inflightReq struct {
	s      *sender
	node   int32
	req    *produceRequest
	sentAt time.Time
	resp   *kmsg.ProduceResponse
	err    error
}

func newSender(c *core) *sender {
	s := &sender{
		c:         c,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		forceReq:  make(chan struct{}),
		conns:     map[int32]*brokerConn{},
		inflight:  map[int32]int{},
		reqs:      map[*inflightReq]struct{}{},
		readyAt:   map[int32]time.Time{},
		drainedAt: map[int32]time.Time{},
		lastErr:   map[*accumulator.Batch]error{},
	}
	s.leaderOf = s.leader
	return s
}

// giveInit hands InitProducerId's answer to the sender.
func (s *sender) giveInit(o *initOutcome) {
	s.respMu.Lock()
	s.initRes = o
	s.respMu.Unlock()
	s.wakeup()
}

// takeInit returns InitProducerId's answer once, or nil.
func (s *sender) takeInit() *initOutcome {
	s.respMu.Lock()
	defer s.respMu.Unlock()
	o := s.initRes
	s.initRes = nil
	return o
}

// wakeup makes the sender run a pass soon. It never blocks.
func (s *sender) wakeup() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// beginClose makes the sender deliver what is left and then stop.
func (s *sender) beginClose() {
	s.closeReq.Store(true)
	s.wakeup()
}

// force makes the sender fail everything incomplete and stop now.
func (s *sender) force() { s.forceMu.Do(func() { close(s.forceReq) }) }

func (s *sender) leader(tp samsa.TopicPartition) (int32, int32, bool) {
	if s.view == nil {
		return -1, -1, false
	}
	return s.view.leader(tp)
}

// run is the sender goroutine's body.
func (s *sender) run() {
	s.guard.enter()
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-s.forceReq:
			s.abort()
			return
		default:
		}
		now := time.Now()
		s.handleResponses(now)
		delay := s.runOnce(now)
		if s.closeReq.Load() && !s.c.acc.HasIncomplete() {
			return
		}
		if delay <= 0 {
			continue
		}
		if delay < noDeadline {
			timer.Reset(delay)
		}
		select {
		case <-s.wake:
		case <-timer.C:
		case <-s.forceReq:
		}
		timer.Stop()
	}
}

// abort is the forced end of a Close: every incomplete batch, queued or in
// flight, fails. DoAsync has returned for every request written, so no
// connection still reads a batch's bytes.
func (s *sender) abort() {
	s.handleResponses(time.Now())
	if n := s.c.acc.AbortIncomplete(errForcedClose); n > 0 {
		s.aborted.Add(int64(n))
	}
}

// runOnce is one pass of the loop. It returns how long the sender may sleep
// before the next pass unless woken: 0 to go again at once,
// noDeadline when only a wake-up can bring work.
func (s *sender) runOnce(now time.Time) time.Duration {
	c := s.c
	v := c.currentView()
	if v == nil {
		return noDeadline // nothing can be queued before the bootstrap
	}
	s.view = v
	delay := noDeadline

	expired, nextExpiry := c.acc.ExpiredBatches(now, c.cfg.deliveryTimeout)
	for _, b := range expired {
		s.fail(b, s.expiryError(b, now))
	}
	if !nextExpiry.IsZero() {
		delay = min(delay, nextExpiry.Sub(now))
	}
	if next := s.expireInflight(now); !next.IsZero() {
		delay = min(delay, next.Sub(now))
	}
	if s.idem != nil {
		delay = min(delay, s.idem.maintain(now))
	}

	ready, nextCheck, unknown := c.acc.Ready(now, s.leaderOf)
	delay = min(delay, nextCheck)
	if len(unknown) > 0 {
		c.cluster.Load().TriggerRefresh()
		delay = min(delay, max(c.cfg.retryBackoff, time.Millisecond))
	}
	for _, node := range ready {
		s.readyAt[node] = now
	}
	if c.load != nil {
		s.reportLoad(now, v)
	}
	sent := false
	for _, node := range ready {
		if s.inflight[node] >= c.cfg.maxInFlight {
			continue // a response will wake us
		}
		conn, retryAt := s.connFor(node, now)
		if conn == nil {
			if !retryAt.IsZero() {
				delay = min(delay, retryAt.Sub(now))
			}
			continue
		}
		batches := c.acc.Drain(now, node, v.byNode[node], c.cfg.maxRequestSize)
		if len(batches) == 0 {
			continue
		}
		s.drainedAt[node] = now
		s.send(node, conn, batches, now)
		sent = true
	}
	if sent {
		return 0
	}
	return max(delay, 0)
}

// send writes one ProduceRequest for batches to node.
func (s *sender) send(node int32, conn *wire.Conn, batches []*accumulator.Batch, now time.Time) {
	c := s.c
	if c.cfg.maxInFlight == 1 {
		for _, b := range batches {
			c.acc.Mute(b.TopicPartition())
		}
	}
	if v, ok := conn.Version(0); !ok || v < minProduceVersion {
		err := fmt.Errorf("samsa: broker %d (%s) does not support Produce v%d or later (record batch v2): %w",
			node, conn.Addr(), minProduceVersion, samsa.ErrUnsupportedVersion)
		for _, b := range batches {
			s.fail(b, &ProduceError{Partition: b.TopicPartition(), Attempts: b.Attempts() + 1, Err: err})
			c.acc.Unmute(b.TopicPartition())
		}
		return
	}
	if s.idem != nil {
		s.idem.sent(batches)
	}
	r := &inflightReq{s: s, node: node, sentAt: now,
		req: newProduceRequest(int16(c.cfg.acks), int32(c.cfg.requestTimeout.Milliseconds()), batches)}
	s.inflight[node]++
	s.reqs[r] = struct{}{}
	c.met.requestSent(node, r.req)
	conn.DoAsync(r.req, now.Add(c.cfg.requestTimeout), r.done)
	// DoAsync copied the request into the connection's buffer: the batches'
	// bytes may be reused from here on.
	c.met.requestWritten(node, r.req)
}

// done is the DoAsync callback. It runs on the connection's reader
// goroutine (or on the sender's, for acks=0 and unsent requests), so it
// only hands the answer over.
func (r *inflightReq) done(resp kmsg.Response, err error) {
	r.resp, _ = resp.(*kmsg.ProduceResponse)
	r.err = err
	s := r.s
	s.respMu.Lock()
	s.resps = append(s.resps, r)
	s.respMu.Unlock()
	s.wakeup()
}

// handleResponses processes the answers that arrived since the last pass.
func (s *sender) handleResponses(now time.Time) {
	s.respMu.Lock()
	rs := s.resps
	s.resps = s.respBuf[:0]
	s.respMu.Unlock()
	for i, r := range rs {
		s.inflight[r.node]--
		delete(s.reqs, r)
		s.c.met.responseReceived(r.node, now.Sub(r.sentAt), r.err == nil)
		s.handle(r, now)
		rs[i] = nil
	}
	s.respBuf = rs[:0]
}

// handle completes, retries or fails every batch of one answered request.
func (s *sender) handle(r *inflightReq, now time.Time) {
	c := s.c
	batches := r.req.batches
	if s.idem != nil {
		for _, b := range batches {
			s.idem.answered(b)
		}
	}
	defer func() {
		if c.cfg.maxInFlight == 1 {
			for _, b := range batches {
				c.acc.Unmute(b.TopicPartition())
			}
		}
	}()
	if r.err != nil {
		c.log.Debug("samsa: produce request failed", "broker", r.node, "batches", len(batches), "err", r.err)
		if cl := c.cluster.Load(); cl != nil && isTransportError(r.err) {
			cl.TriggerRefresh()
		}
		for _, b := range batches {
			s.retryOrFail(b, r.err, "", nil, now)
		}
		return
	}
	if r.resp == nil { // acks=0: nothing comes back
		for _, b := range batches {
			s.forget(b)
			b.Complete(-1, -1, nil)
		}
		return
	}
	for i, b := range batches {
		tp := b.TopicPartition()
		p := findPartition(r.resp, r.req, i, tp)
		if p == nil {
			err := fmt.Errorf("%w: the produce response has no answer for %s", samsa.ErrMalformedResponse, tp)
			s.retryOrFail(b, err, "", nil, now)
			continue
		}
		if p.ErrorCode == 0 {
			s.succeed(b, p.BaseOffset, p.LogAppendTime)
			continue
		}
		var msg string
		if p.ErrorMessage != nil {
			msg = *p.ErrorMessage
		}
		s.retryOrFail(b, kerr.ForCode(p.ErrorCode), msg, p.ErrorRecords, now)
	}
}

// findPartition returns the answer for the i-th batch of req. Brokers answer
// in request order, so the guess by position is almost always right; a
// search covers any other order.
func findPartition(resp *kmsg.ProduceResponse, req *produceRequest, i int, tp samsa.TopicPartition) *kmsg.ProduceResponseTopicPartition {
	ti, pi := req.position(i)
	if ti < len(resp.Topics) && resp.Topics[ti].Topic == tp.Topic {
		if ps := resp.Topics[ti].Partitions; pi < len(ps) && ps[pi].Partition == tp.Partition {
			return &ps[pi]
		}
	}
	for t := range resp.Topics {
		if resp.Topics[t].Topic != tp.Topic {
			continue
		}
		for p := range resp.Topics[t].Partitions {
			if resp.Topics[t].Partitions[p].Partition == tp.Partition {
				return &resp.Topics[t].Partitions[p]
			}
		}
	}
	return nil
}

// retryOrFail decides the fate of a batch whose attempt failed with cause:
// split it (MESSAGE_TOO_LARGE), put it back for a retry (a retriable error
// within the retries and the delivery timeout), or fail its records.
func (s *sender) retryOrFail(b *accumulator.Batch, cause error, msg string, recErrs []kmsg.ProduceResponseTopicPartitionErrorRecord, now time.Time) {
	c := s.c
	if b.IsDone() {
		s.forget(b)
		return // expired or aborted while in flight: the late answer changes nothing
	}
	tp := b.TopicPartition()
	idemRetry := false
	if s.idem != nil {
		dup, retry, bump := s.idem.classify(b, cause)
		if dup { // written before: the broker kept no offset to report
			s.succeed(b, -1, -1)
			return
		}
		if bump {
			s.idem.bumpNeeded = true
		}
		idemRetry = retry
	}
	if errors.Is(cause, kerr.MessageTooLarge) && b.NumRecords() > 1 {
		n, err := c.acc.SplitAndReenqueue(b)
		if err == nil {
			s.forget(b)
			c.log.Debug("samsa: batch too large for the broker; split", "partition", tp.String(), "records", b.NumRecords(), "batches", n)
			return
		}
		if errors.Is(err, accumulator.ErrBatchCompleted) {
			return
		}
		cause = fmt.Errorf("%w (splitting failed: %v)", cause, err)
	}
	elapsed := now.Sub(b.CreatedAt())
	retriable := idemRetry || isRetriable(cause)
	if retriable && b.Attempts() < c.cfg.retries && elapsed < c.cfg.deliveryTimeout {
		if needsMetadata(cause) {
			if cl := c.cluster.Load(); cl != nil {
				cl.TriggerRefresh()
			}
		}
		c.log.Debug("samsa: retrying batch", "partition", tp.String(), "attempt", b.Attempts()+1, "err", cause)
		if err := c.acc.Reenqueue(b, now); err == nil {
			s.lastErr[b] = &ProduceError{Partition: tp, Attempts: b.Attempts(), Message: msg, Err: cause}
			c.met.retry(tp.Topic, b.NumRecords())
		}
		return
	}
	if retriable && elapsed >= c.cfg.deliveryTimeout {
		cause = fmt.Errorf("%w; last error: %w", accumulator.ExpiryError(b, now), cause)
	}
	perr := &ProduceError{Partition: tp, Attempts: b.Attempts() + 1, Message: msg, Err: cause}
	if errors.Is(cause, kerr.MessageTooLarge) {
		perr.Err = fmt.Errorf("%w: %w", &accumulator.RecordTooLargeError{Size: len(b.Records()),
			Reason: "the broker refused it (MESSAGE_TOO_LARGE)"}, cause)
	}
	c.log.Warn("samsa: produce failed", "partition", tp.String(), "records", b.NumRecords(), "err", perr)
	if len(recErrs) == 0 {
		s.fail(b, perr)
		return
	}
	// KIP-467: the broker named the records it rejected; the others failed
	// only because they shared the batch.
	byIndex := make(map[int]string, len(recErrs))
	for _, re := range recErrs {
		m := ""
		if re.ErrorMessage != nil {
			m = *re.ErrorMessage
		}
		byIndex[int(re.RelativeOffset)] = m
	}
	s.forget(b)
	if s.idem != nil {
		s.idem.failed(b)
	}
	c.met.failed(tp.Topic, b.NumRecords())
	b.CompleteEach(-1, -1, func(i int) error {
		if m, ok := byIndex[i]; ok {
			return &ProduceError{Partition: tp, Attempts: perr.Attempts, Message: m, Err: cause}
		}
		return &ProduceError{Partition: tp, Attempts: perr.Attempts,
			Message: "the record was part of a batch that had invalid records", Err: cause}
	})
}

// succeed completes every record of b as written at baseOffset (-1 if
// unknown).
func (s *sender) succeed(b *accumulator.Batch, baseOffset, logAppendTime int64) {
	s.forget(b)
	if s.idem != nil {
		s.idem.acked(b)
	}
	b.Complete(baseOffset, logAppendTime, nil)
}

// fail completes every record of b with err.
func (s *sender) fail(b *accumulator.Batch, err error) {
	s.forget(b)
	if s.idem != nil && !b.IsDone() {
		s.idem.failed(b)
	}
	if b.Complete(-1, -1, err) {
		s.c.met.failed(b.TopicPartition().Topic, b.NumRecords())
	}
}

// forget drops what the sender remembers about a batch that completes.
func (s *sender) forget(b *accumulator.Batch) {
	if len(s.lastErr) > 0 {
		delete(s.lastErr, b)
	}
}

// expiryError is the error a batch that reached its delivery timeout
// fails with: an *accumulator.DeliveryTimeoutError, inside a *ProduceError
// that keeps the last attempt's error when the batch had been retried.
func (s *sender) expiryError(b *accumulator.Batch, now time.Time) error {
	exp := accumulator.ExpiryError(b, now)
	last, ok := s.lastErr[b].(*ProduceError)
	if !ok {
		return exp
	}
	return &ProduceError{Partition: last.Partition, Attempts: b.Attempts(), Message: last.Message,
		Err: fmt.Errorf("%w; last error: %w", exp, last.Err)}
}

// expireInflight fails the batches in flight whose delivery timeout has
// passed (Java's getExpiredInflightBatches). Their requests stay in flight;
// a late answer finds the batches done and is ignored. It returns when the
// next batch in flight expires, zero if none is in flight.
func (s *sender) expireInflight(now time.Time) time.Time {
	var next time.Time
	dt := s.c.cfg.deliveryTimeout
	for r := range s.reqs {
		for _, b := range r.req.batches {
			if b.IsDone() {
				continue
			}
			at := b.CreatedAt().Add(dt)
			if !now.Before(at) {
				s.fail(b, s.expiryError(b, now))
				continue
			}
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	return next
}

// connFor returns a live produce connection to node, or nil while one is
// being dialled (the dial wakes the sender when it ends) or, after a failed
// dial, until retryAt.
func (s *sender) connFor(node int32, now time.Time) (*wire.Conn, time.Time) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	bc := s.conns[node]
	if bc == nil {
		bc = &brokerConn{}
		s.conns[node] = bc
	}
	if bc.conn != nil {
		select {
		case <-bc.conn.Done():
			bc.conn = nil
		default:
			return bc.conn, time.Time{}
		}
	}
	if bc.dialing {
		return nil, time.Time{}
	}
	if now.Before(bc.retryAt) {
		return nil, bc.retryAt
	}
	c := s.c
	cl := c.cluster.Load()
	bc.dialing = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		conn, err := cl.ConnFor(c.life, node, cluster.PurposeProduce)
		s.connMu.Lock()
		bc.dialing = false
		bc.conn = conn
		if err != nil {
			bc.retryAt = time.Now().Add(max(c.cfg.retryBackoff, time.Millisecond))
		}
		s.connMu.Unlock()
		if err != nil && c.life.Err() == nil {
			c.log.Warn("samsa: cannot connect to broker", "broker", node, "err", err)
			cl.TriggerRefresh()
		}
		s.wakeup()
	}()
	return nil, time.Time{}
}

// reportLoad tells a LoadAware partitioner the queue lengths of every topic
// whose partitions all have a queue (KIP-794 adaptive partitioning).
func (s *sender) reportLoad(now time.Time, v *metaView) {
	for topic, ti := range v.topics {
		load := s.c.acc.PartitionLoad(topic, s.loadBuf[:0])
		s.loadBuf = load
		if int32(len(load)) < ti.parts.Count || len(load) == 0 {
			s.c.load.UpdateLoad(topic, nil)
			continue
		}
		n := 0
		for _, l := range load {
			leader := ti.leaders[l.Partition]
			if leader < 0 {
				continue
			}
			if r, d := s.readyAt[leader], s.drainedAt[leader]; r.After(d) {
				l.NotDrainedFor = r.Sub(d)
			}
			load[n] = l
			n++
		}
		s.c.load.UpdateLoad(topic, load[:n])
	}
}

// isRetriable reports whether a failed attempt may be retried: a retriable
// broker error, or a transport failure.
func isRetriable(err error) bool {
	return kerr.IsRetriable(err) || isTransportError(err)
}

// isTransportError reports a request that failed on the connection rather
// than at the broker: it may or may not have been processed.
func isTransportError(err error) bool {
	return errors.Is(err, samsa.ErrConnectionClosed) || errors.Is(err, samsa.ErrRequestTimeout) ||
		errors.Is(err, samsa.ErrMalformedResponse) || errors.Is(err, wire.ErrNotSent)
}

// needsMetadata reports errors after which the partition's leader may have
// moved (Java's InvalidMetadataException family).
func needsMetadata(err error) bool {
	for _, e := range []*kerr.Error{kerr.NotLeaderOrFollower, kerr.UnknownTopicOrPartition, kerr.LeaderNotAvailable,
		kerr.FencedLeaderEpoch, kerr.UnknownLeaderEpoch, kerr.KafkaStorageError} {
		if errors.Is(err, e) {
			return true
		}
	}
	return isTransportError(err)
}
