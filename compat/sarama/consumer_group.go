package saramacompat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/serde"
)

var _ sarama.ConsumerGroup = (*consumerGroup)(nil)

// consumerGroup is sarama.ConsumerGroup on one samsa consumer subscribed
// to the group.
//
// Consume drives the samsa consumer's Poll on the caller's goroutine, as
// sarama's Consume holds the caller. samsa's rebalance listener, run
// inside Poll, starts and ends sessions: a session calls the handler's
// Setup, runs ConsumeClaim for each claim on a goroutine of its own (fed by
// a feed, like a partition consumer), commits the offsets the handler
// marked (every AutoCommit.Interval and when it ends) and calls Cleanup.
//
// Eager strategies: a rebalance revokes every partition, which ends the
// session, and Consume returns once Poll does. The new assignment, which
// arrives in the same Poll, is held (paused) until the next Consume starts
// a session with it. Cooperative strategies: revoked claims have their
// Messages closed and their ConsumeClaim awaited (Rebalance.Timeout at
// most), added partitions get new claims in the running session, and
// Consume returns only when its ctx ends, a ConsumeClaim returns on its
// own, or the group closes.
//
// Between sessions the partitions the member keeps are paused and moved
// back to the offsets last marked (or to where their claims began), so
// that the next session resumes where the handler left off, as sarama's
// does by reading the committed offsets.
type consumerGroup struct {
	groupID string
	cfg     *sarama.Config
	set     *consumerSettings
	meta    metadata
	sc      *consumer.Consumer[[]byte, []byte]
	coop    bool

	errors    chan error
	closed    chan struct{}
	life      context.Context // ends with Close
	stop      context.CancelFunc
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // the high watermark refresher

	consumeMu sync.Mutex // one Consume at a time; Close waits for it

	// The fields below are used by the goroutine running Consume (the
	// listener runs there too, inside Poll) and, after Consume ended, by
	// Close; mu guards them against Pause/Resume and the refresher.
	mu         sync.Mutex
	handler    sarama.ConsumerGroupHandler
	consumeCtx context.Context
	topics     []string
	sess       *session
	ended      bool  // this Consume's session ended in a rebalance
	setupErr   error // Setup failed: Consume returns it
	held       map[samsa.TopicPartition]bool
	userPaused map[samsa.TopicPartition]bool
	offsets    map[samsa.TopicPartition]*markedOffset
}

// markedOffset is a partition's offset as the handler marked it.
type markedOffset struct {
	offset   int64
	metadata string
	dirty    bool // not committed yet
}

// NewConsumerGroup returns a sarama.ConsumerGroup that consumes with
// samsa: the drop-in for sarama.NewConsumerGroup. cfg is honoured as
// documented in the package; a nil cfg is sarama.NewConfig(). Members made
// by sarama and by saramacompat can share a group.
func NewConsumerGroup(addrs []string, groupID string, cfg *sarama.Config) (sarama.ConsumerGroup, error) {
	cfg, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	set, err := consumerConfig(addrs, cfg)
	if err != nil {
		return nil, err
	}
	g := &consumerGroup{
		groupID:    groupID,
		cfg:        cfg,
		set:        set,
		errors:     make(chan error, cfg.ChannelBufferSize),
		closed:     make(chan struct{}),
		held:       map[samsa.TopicPartition]bool{},
		userPaused: map[samsa.TopicPartition]bool{},
		offsets:    map[samsa.TopicPartition]*markedOffset{},
	}
	as, err := assignors(cfg, func() int32 { return g.sc.GroupMetadata().Generation })
	if err != nil {
		return nil, err
	}
	gopts, err := groupConfig(groupID, cfg, as)
	if err != nil {
		return nil, err
	}
	g.coop = true
	for _, a := range as {
		if !slices.Contains(a.Protocols(), assignor.Cooperative) {
			g.coop = false
		}
	}
	cl, err := openCluster(addrs, cfg)
	if err != nil {
		return nil, err
	}
	opts := append(slices.Clone(set.opts), gopts...)
	opts = append(opts, consumer.WithRebalanceListener(listener{g}))
	sc, err := consumer.New(serde.Bytes(), serde.Bytes(), opts...)
	if err != nil {
		_ = cl.Close()
		return nil, consumerNewError(err)
	}
	g.sc = sc
	g.meta = metadata{cl: cl, cfg: cfg}
	g.life, g.stop = context.WithCancel(context.Background())
	g.wg.Add(1)
	go g.refreshHighWaterMarks()
	return g, nil
}

// Errors returns the channel of errors the group met (with
// Consumer.Return.Errors; otherwise they are logged), buffered to
// ChannelBufferSize; an error that finds it full is dropped, as in
// sarama. It is closed by Close.
func (g *consumerGroup) Errors() <-chan error { return g.errors }

// handleError reports err on Errors, never blocking.
func (g *consumerGroup) handleError(err error, tp *samsa.TopicPartition) {
	var ce *sarama.ConsumerError
	if tp != nil && !errors.As(err, &ce) {
		err = &sarama.ConsumerError{Topic: tp.Topic, Partition: tp.Partition, Err: err}
	}
	if !g.set.returnErrors {
		sarama.Logger.Println(err)
		return
	}
	select {
	case <-g.closed:
	case g.errors <- err:
	default:
	}
}

// Consume joins the group with topics and runs sessions for handler until
// the session ends (eager: at the next rebalance), ctx ends or the group
// closes. Call it in a loop, as with sarama.
func (g *consumerGroup) Consume(ctx context.Context, topics []string, handler sarama.ConsumerGroupHandler) error {
	select {
	case <-g.closed:
		return sarama.ErrClosedConsumerGroup
	default:
	}
	g.consumeMu.Lock()
	defer g.consumeMu.Unlock()
	select {
	case <-g.closed:
		return sarama.ErrClosedConsumerGroup
	default:
	}
	if len(topics) == 0 {
		return fmt.Errorf("no topics provided")
	}
	for _, t := range topics {
		if _, err := g.meta.topic(ctx, t); err != nil {
			return err
		}
	}
	sorted := slices.Clone(topics)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if !slices.Equal(sorted, g.topics) {
		if err := g.sc.Subscribe(sorted...); err != nil {
			return toSarama(err)
		}
		g.topics = sorted
	}

	g.mu.Lock()
	g.handler, g.consumeCtx, g.ended, g.setupErr = handler, ctx, false, nil
	held := len(g.held) > 0
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.handler, g.consumeCtx = nil, nil
		g.mu.Unlock()
	}()
	if held {
		// Partitions kept from the last session (or assigned after it
		// ended) start this one.
		g.startSession(g.sc.Assignment())
	}

	for {
		if err := g.takeSetupErr(); err != nil {
			return err
		}
		s := g.current()
		switch {
		case ctx.Err() != nil, g.life.Err() != nil:
			g.endSession(context.Canceled, true, true)
			return nil
		case g.hasEnded():
			return nil
		case s != nil && s.ctx.Err() != nil:
			// A ConsumeClaim returned on its own, or a revoked one
			// outlived the rebalance timeout: the session is over.
			g.endSession(context.Cause(s.ctx), true, true)
			return nil
		}
		recs, err := g.poll(ctx, s)
		g.route(recs)
		if err != nil && ctx.Err() == nil && g.life.Err() == nil && (s == nil || s.ctx.Err() == nil) {
			g.pollError(err)
		}
	}
}

// poll runs one Poll that ends early when ctx, the group or the session s
// ends.
func (g *consumerGroup) poll(ctx context.Context, s *session) ([]consumer.Record[[]byte, []byte], error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopLife := context.AfterFunc(g.life, cancel)
	defer stopLife()
	if s != nil {
		stopSess := context.AfterFunc(s.ctx, cancel)
		defer stopSess()
	}
	return g.sc.Poll(pctx)
}

func (g *consumerGroup) current() *session {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sess
}

func (g *consumerGroup) hasEnded() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ended
}

func (g *consumerGroup) takeSetupErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	err := g.setupErr
	g.setupErr = nil
	return err
}

// route hands polled records to their claims; records of a partition
// without a claim (revoked meanwhile) are dropped, and its position is
// moved back when a session ends.
func (g *consumerGroup) route(recs []consumer.Record[[]byte, []byte]) {
	if len(recs) == 0 {
		return
	}
	g.mu.Lock()
	s := g.sess
	g.mu.Unlock()
	deliver(recs, func(tp samsa.TopicPartition) *claim {
		if s == nil {
			return nil
		}
		return s.claim(tp)
	})
}

// pollError reports a Poll failure and waits a backoff, so a persistent
// failure does not spin.
func (g *consumerGroup) pollError(err error) {
	var fe *consumer.FetchError
	if errors.As(err, &fe) {
		tp := fe.TopicPartition
		g.handleError(toSarama(fe.Err), &tp)
	} else {
		g.handleError(toSarama(err), nil)
	}
	t := time.NewTimer(g.set.retryBackoff)
	defer t.Stop()
	select {
	case <-g.life.Done():
	case <-t.C:
	}
}

// startSession starts a session with the given partitions: their claims
// (starting at their positions), Setup, then a ConsumeClaim goroutine per
// claim and the committer. It runs on Consume's goroutine.
func (g *consumerGroup) startSession(tps []samsa.TopicPartition) {
	g.mu.Lock()
	ctx, handler := g.consumeCtx, g.handler
	for _, tp := range tps {
		delete(g.held, tp)
	}
	g.mu.Unlock()
	md := g.sc.GroupMetadata()
	s := newSession(g, ctx, handler, md)
	for _, tp := range tps {
		s.addClaim(tp)
	}
	g.mu.Lock()
	g.sess = s
	g.mu.Unlock()
	for _, tp := range tps {
		g.release(tp)
	}
	if err := handler.Setup(s); err != nil {
		g.endSession(err, false, true)
		g.mu.Lock()
		g.setupErr = err
		g.mu.Unlock()
		return
	}
	s.startAll()
}

// endSession ends the current session: its context is cancelled with
// cause, every claim's Messages closes, the ConsumeClaims are awaited,
// Cleanup runs, the marked offsets are committed (with AutoCommit, or when
// commit is forced by a revocation) and, with keep, the partitions the
// member still holds are moved back to their marked offsets and paused
// until the next session.
func (g *consumerGroup) endSession(cause error, cleanup, keep bool) {
	g.mu.Lock()
	s := g.sess
	g.sess = nil
	g.mu.Unlock()
	if s == nil {
		return
	}
	s.end(cause, cleanup)
	if g.cfg.Consumer.Offsets.AutoCommit.Enable {
		g.commit(s.partitions())
	}
	if !keep {
		return
	}
	for _, c := range s.claimList() {
		g.hold(c)
	}
}

// hold pauses a partition the member keeps between sessions and moves it
// back to where the next session must resume.
func (g *consumerGroup) hold(c *claim) {
	g.mu.Lock()
	resume := c.initial
	if mo := g.offsets[c.tp]; mo != nil {
		resume = mo.offset
	}
	g.held[c.tp] = true
	g.mu.Unlock()
	_ = g.sc.Pause(c.tp)
	// resume may be sarama's OffsetOldest or OffsetNewest, which are
	// samsa's OffsetEarliest and OffsetLatest.
	_ = g.sc.Seek(c.tp, resume)
}

// release resumes a partition for a session unless the application
// paused it.
func (g *consumerGroup) release(tp samsa.TopicPartition) {
	g.mu.Lock()
	paused := g.userPaused[tp]
	g.mu.Unlock()
	if !paused {
		_ = g.sc.Resume(tp)
	}
}

// mark records a marked offset: forward only, unless reset.
func (g *consumerGroup) mark(tp samsa.TopicPartition, offset int64, metadata string, reset bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	mo := g.offsets[tp]
	if mo == nil {
		return // not a partition of this member (sarama ignores it too)
	}
	if (!reset && offset > mo.offset) || (reset && offset <= mo.offset) {
		mo.offset, mo.metadata, mo.dirty = offset, metadata, true
	}
}

// track starts tracking a claimed partition's marked offset at its
// initial offset (not dirty: nothing to commit yet).
func (g *consumerGroup) track(tp samsa.TopicPartition, initial int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.offsets[tp]; !ok {
		g.offsets[tp] = &markedOffset{offset: initial}
	}
}

// commit commits the dirty marked offsets of tps (nil: all) and reports a
// failure on Errors.
func (g *consumerGroup) commit(tps []samsa.TopicPartition) {
	g.mu.Lock()
	offs := map[samsa.TopicPartition]samsa.Offset{}
	for tp, mo := range g.offsets {
		if mo.dirty && (tps == nil || slices.Contains(tps, tp)) {
			offs[tp] = samsa.Offset{Offset: mo.offset, LeaderEpoch: -1, Metadata: mo.metadata}
		}
	}
	g.mu.Unlock()
	if len(offs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Net.ReadTimeout)
	defer cancel()
	if err := g.sc.CommitSync(ctx, offs); err != nil {
		g.handleError(commitError(err), nil)
		return
	}
	g.mu.Lock()
	for tp, o := range offs {
		if mo := g.offsets[tp]; mo != nil && mo.offset == o.Offset {
			mo.dirty = false
		}
	}
	g.mu.Unlock()
}

// commitError translates a failed commit: the first broker error as
// sarama's KError.
func commitError(err error) error {
	var ce *consumer.CommitError
	if errors.As(err, &ce) {
		for _, e := range ce.Errors {
			return toSarama(e)
		}
		if ce.Err != nil {
			return toSarama(ce.Err)
		}
	}
	return toSarama(err)
}

// forget drops revoked partitions' marked offsets and held state.
func (g *consumerGroup) forget(tps []samsa.TopicPartition) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, tp := range tps {
		delete(g.offsets, tp)
		delete(g.held, tp)
	}
}

// Pause stops fetching the given partitions until resumed.
func (g *consumerGroup) Pause(partitions map[string][]int32) {
	g.setPaused(toTPs(partitions), true)
}

// Resume resumes the given partitions.
func (g *consumerGroup) Resume(partitions map[string][]int32) {
	g.setPaused(toTPs(partitions), false)
}

// PauseAll pauses every partition the member holds.
func (g *consumerGroup) PauseAll() { g.setPaused(g.sc.Assignment(), true) }

// ResumeAll resumes every partition the member holds.
func (g *consumerGroup) ResumeAll() { g.setPaused(g.sc.Assignment(), false) }

func (g *consumerGroup) setPaused(tps []samsa.TopicPartition, paused bool) {
	for _, tp := range tps {
		g.mu.Lock()
		if paused {
			g.userPaused[tp] = true
		} else {
			delete(g.userPaused, tp)
		}
		held := g.held[tp]
		var flow bool
		if s := g.sess; s != nil {
			if c := s.claim(tp); c != nil {
				flow = c.flowPaused()
			}
		}
		g.mu.Unlock()
		switch {
		case paused:
			_ = g.sc.Pause(tp)
		case !held && !flow:
			_ = g.sc.Resume(tp)
		}
	}
}

func toTPs(m map[string][]int32) []samsa.TopicPartition {
	var out []samsa.TopicPartition
	for t, ps := range m {
		for _, p := range ps {
			out = append(out, samsa.TopicPartition{Topic: t, Partition: p})
		}
	}
	return out
}

// refreshHighWaterMarks keeps the claims' high watermarks, as the
// Consumer's refresher does.
func (g *consumerGroup) refreshHighWaterMarks() {
	defer g.wg.Done()
	t := time.NewTicker(max(g.cfg.Consumer.MaxWaitTime, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-g.life.Done():
			return
		case <-t.C:
		}
		s := g.current()
		if s == nil {
			continue
		}
		hwms := g.meta.highWaterMarks(g.life, s.partitions())
		for tp, hwm := range hwms {
			if c := s.claim(tp); c != nil {
				c.raiseHighWaterMark(hwm)
			}
		}
	}
}

// Close leaves the group (a static member only stops), ends a running
// Consume and its session, closes Errors and releases every connection.
// It returns the last error left on Errors, as sarama's does. Idempotent.
func (g *consumerGroup) Close() error {
	g.closeOnce.Do(func() {
		close(g.closed)
		g.stop()
		g.consumeMu.Lock() // a running Consume returns once its Poll does
		defer g.consumeMu.Unlock()
		g.endSession(context.Canceled, true, false)
		g.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Net.ReadTimeout)
		defer cancel()
		if err := g.sc.Close(ctx); err != nil {
			g.closeErr = toSarama(err)
		}
		_ = g.meta.cl.Close()
		close(g.errors)
		for err := range g.errors {
			g.closeErr = err
		}
	})
	return g.closeErr
}

// listener is samsa's rebalance listener for the group; it runs inside
// Poll on Consume's goroutine (or inside Close).
type listener struct{ g *consumerGroup }

// OnPartitionsAssigned starts a session, adds claims to the running one
// (cooperative), or holds the partitions for the next Consume.
func (l listener) OnPartitionsAssigned(_ context.Context, tps []samsa.TopicPartition) error {
	g := l.g
	g.mu.Lock()
	s, running, ended := g.sess, g.handler != nil, g.ended
	if s == nil && (!running || ended) {
		for _, tp := range tps {
			g.held[tp] = true
		}
	}
	g.mu.Unlock()
	switch {
	case s != nil:
		for _, tp := range tps {
			s.addClaim(tp)
			g.release(tp)
		}
		s.startAll()
	case running && !ended:
		g.startSession(g.sc.Assignment())
	default:
		for _, tp := range tps {
			_ = g.sc.Pause(tp)
		}
	}
	return nil
}

// OnPartitionsRevoked ends the session (eager) or the revoked claims
// (cooperative), committing their marked offsets.
func (l listener) OnPartitionsRevoked(_ context.Context, tps []samsa.TopicPartition) error {
	l.revoke(tps, true)
	return nil
}

// OnPartitionsLost is OnPartitionsRevoked without the commit: the
// partitions may already belong to another member.
func (l listener) OnPartitionsLost(_ context.Context, tps []samsa.TopicPartition) error {
	l.revoke(tps, false)
	return nil
}

func (l listener) revoke(tps []samsa.TopicPartition, commit bool) {
	g := l.g
	if len(tps) == 0 {
		return
	}
	s := g.current()
	switch {
	case s == nil:
	case g.coop:
		if err := s.revoke(tps); err != nil {
			g.handleError(err, nil)
		}
		if commit && g.cfg.Consumer.Offsets.AutoCommit.Enable {
			g.commit(tps)
		}
	default:
		// endSession commits the marked offsets (with AutoCommit, as
		// sarama's offset manager does) before the partitions go.
		g.endSession(context.Canceled, true, false)
		g.mu.Lock()
		if g.handler != nil {
			g.ended = true
		}
		g.mu.Unlock()
	}
	g.forget(tps)
}
