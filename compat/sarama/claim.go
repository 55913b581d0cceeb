package saramacompat

import (
	"sync/atomic"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
)

var _ sarama.ConsumerGroupClaim = (*claim)(nil)

// claim is sarama.ConsumerGroupClaim: one partition of a session, its
// messages delivered by a feed, consumed by the handler's ConsumeClaim on
// a goroutine of its own.
type claim struct {
	s       *session
	tp      samsa.TopicPartition
	initial int64
	f       *feed
	hwm     atomic.Int64
	started bool        // under s.mu
	revoked atomic.Bool // ended by revocation, not by the handler
	exited  chan struct{}
}

func newClaim(s *session, tp samsa.TopicPartition, initial int64) *claim {
	g := s.g
	c := &claim{s: s, tp: tp, initial: initial, exited: make(chan struct{})}
	c.f = newFeed(g.set.channelBuffer, false, g.set.interceptors,
		func() { _ = g.sc.Pause(tp) },
		func() { g.release(tp) })
	c.hwm.Store(max(initial, 0))
	go c.f.run(nil)
	return c
}

// run is the claim's goroutine: ConsumeClaim, then, unless the claim was
// revoked or the session is ending anyway, the end of the session
// (sarama's ErrSessionConsumeClaimExited).
func (c *claim) run() {
	defer c.s.wg.Done()
	defer close(c.exited)
	defer func() { <-c.f.done }()
	defer c.f.close()
	if err := c.s.handler.ConsumeClaim(c.s, c); err != nil {
		c.s.g.handleError(err, &c.tp)
	}
	if !c.revoked.Load() {
		c.s.cancel(sarama.ErrSessionConsumeClaimExited)
	}
}

// enqueue hands polled messages to the feed; nil drops them.
func (c *claim) enqueue(msgs []*sarama.ConsumerMessage) {
	if c == nil {
		return
	}
	items := make([]feedItem, len(msgs))
	for i, m := range msgs {
		items[i] = feedItem{msg: m}
	}
	if n := len(msgs); n > 0 {
		c.raiseHighWaterMark(msgs[n-1].Offset + 1)
	}
	c.f.push(items...)
}

func (c *claim) flowPaused() bool {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return c.f.flowPaused
}

func (c *claim) raiseHighWaterMark(v int64) {
	for {
		cur := c.hwm.Load()
		if v <= cur || c.hwm.CompareAndSwap(cur, v) {
			return
		}
	}
}

// Topic returns the claimed partition's topic.
func (c *claim) Topic() string { return c.tp.Topic }

// Partition returns the claimed partition.
func (c *claim) Partition() int32 { return c.tp.Partition }

// InitialOffset returns the offset the claim started at, as sarama
// reports it: the committed offset, or Consumer.Offsets.Initial
// (OffsetOldest, OffsetNewest) when nothing was committed.
func (c *claim) InitialOffset() int64 { return c.initial }

// HighWaterMarkOffset returns the partition's high watermark as last seen.
func (c *claim) HighWaterMarkOffset() int64 { return c.hwm.Load() }

// Messages returns the claim's messages, buffered to ChannelBufferSize.
// It is closed when the claim ends: at the end of the session, or when the
// partition is revoked (cooperative).
func (c *claim) Messages() <-chan *sarama.ConsumerMessage { return c.f.messages }
