package saramacompat

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
)

var _ sarama.ConsumerGroupSession = (*session)(nil)

// session is sarama.ConsumerGroupSession: one generation of claims (eager)
// or the claims of one Consume call (cooperative), the ConsumeClaim
// goroutines running them and the committer.
type session struct {
	g       *consumerGroup
	handler sarama.ConsumerGroupHandler
	md      consumer.GroupMetadata

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	claims map[samsa.TopicPartition]*claim

	wg        sync.WaitGroup // ConsumeClaim goroutines and the committer
	stopOnce  sync.Once
	committer chan struct{} // closed to stop the committer
}

func newSession(g *consumerGroup, parent context.Context, handler sarama.ConsumerGroupHandler, md consumer.GroupMetadata) *session {
	ctx, cancel := context.WithCancelCause(parent)
	s := &session{
		g: g, handler: handler, md: md, ctx: ctx, cancel: cancel,
		claims:    map[samsa.TopicPartition]*claim{},
		committer: make(chan struct{}),
	}
	if g.cfg.Consumer.Offsets.AutoCommit.Enable {
		s.wg.Add(1)
		go s.autoCommit(g.cfg.Consumer.Offsets.AutoCommit.Interval)
	}
	return s
}

// autoCommit is the committer goroutine: it commits the marked offsets
// every interval until the session ends.
func (s *session) autoCommit(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.committer:
			return
		case <-t.C:
			s.g.commit(nil)
		}
	}
}

// addClaim makes the claim of a newly assigned partition. Its initial
// offset is the one sarama reports: the committed offset, or
// Consumer.Offsets.Initial itself (OffsetOldest or OffsetNewest) when
// there is none; samsa resolves the latter when it fetches.
func (s *session) addClaim(tp samsa.TopicPartition) {
	initial := s.g.cfg.Consumer.Offsets.Initial
	ctx, cancel := context.WithTimeout(s.g.life, s.g.cfg.Net.ReadTimeout)
	if offs, err := s.g.sc.Committed(ctx, tp); err != nil {
		s.g.handleError(commitError(err), &tp)
	} else if o, ok := offs[tp]; ok && o.Offset >= 0 {
		initial = o.Offset
	}
	cancel()
	c := newClaim(s, tp, initial)
	s.g.track(tp, initial)
	s.mu.Lock()
	s.claims[tp] = c
	s.mu.Unlock()
}

// startAll starts the ConsumeClaim goroutine of every claim not started
// yet.
func (s *session) startAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.claims {
		if !c.started {
			c.started = true
			s.wg.Add(1)
			go c.run()
		}
	}
}

// claim returns the claim of tp, or nil.
func (s *session) claim(tp samsa.TopicPartition) *claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims[tp]
}

func (s *session) claimList() []*claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*claim, 0, len(s.claims))
	for _, c := range s.claims {
		out = append(out, c)
	}
	return out
}

func (s *session) partitions() []samsa.TopicPartition {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]samsa.TopicPartition, 0, len(s.claims))
	for tp := range s.claims {
		out = append(out, tp)
	}
	return out
}

// revoke ends the claims of tps (cooperative): their Messages close and
// their ConsumeClaim must return within Rebalance.Timeout, otherwise the
// whole session ends with sarama.ErrRebalanceTimedOut.
func (s *session) revoke(tps []samsa.TopicPartition) error {
	s.mu.Lock()
	var stopping []*claim
	for _, tp := range tps {
		if c := s.claims[tp]; c != nil {
			delete(s.claims, tp)
			c.revoked.Store(true)
			c.f.close()
			if c.started {
				stopping = append(stopping, c)
			}
		}
	}
	s.mu.Unlock()
	t := time.NewTimer(s.g.cfg.Consumer.Group.Rebalance.Timeout)
	defer t.Stop()
	for _, c := range stopping {
		select {
		case <-c.exited:
		case <-t.C:
			s.cancel(sarama.ErrRebalanceTimedOut)
			return sarama.ErrRebalanceTimedOut
		}
	}
	return nil
}

// end ends the session: cancel, close every claim, wait for the
// goroutines, then Cleanup (when cleanup is set).
func (s *session) end(cause error, cleanup bool) {
	s.cancel(cause)
	claims := s.claimList()
	for _, c := range claims {
		c.f.close()
	}
	s.stopOnce.Do(func() { close(s.committer) })
	s.wg.Wait()
	for _, c := range claims {
		<-c.f.done
	}
	if cleanup {
		if err := s.handler.Cleanup(s); err != nil {
			s.g.handleError(err, nil)
		}
	}
}

// Claims returns the partitions claimed, by topic, sorted.
func (s *session) Claims() map[string][]int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]int32{}
	for tp := range s.claims {
		out[tp.Topic] = append(out[tp.Topic], tp.Partition)
	}
	for _, ps := range out {
		slices.Sort(ps)
	}
	return out
}

// MemberID returns the member id the coordinator gave this member.
func (s *session) MemberID() string { return s.g.sc.GroupMetadata().MemberID }

// GenerationID returns the group generation the claims belong to.
func (s *session) GenerationID() int32 { return s.g.sc.GroupMetadata().Generation }

// MarkOffset marks offset (the next offset to read) of a claimed partition
// for commit; it only moves forward.
func (s *session) MarkOffset(topic string, partition int32, offset int64, metadata string) {
	s.g.mark(samsa.TopicPartition{Topic: topic, Partition: partition}, offset, metadata, false)
}

// ResetOffset marks an offset that may be behind the one marked.
func (s *session) ResetOffset(topic string, partition int32, offset int64, metadata string) {
	s.g.mark(samsa.TopicPartition{Topic: topic, Partition: partition}, offset, metadata, true)
}

// MarkMessage marks msg as processed: MarkOffset(msg.Offset+1).
func (s *session) MarkMessage(msg *sarama.ConsumerMessage, metadata string) {
	s.MarkOffset(msg.Topic, msg.Partition, msg.Offset+1, metadata)
}

// Commit commits the marked offsets now and waits for the answer.
func (s *session) Commit() { s.g.commit(nil) }

// Context returns the session's context, which ends with the session.
func (s *session) Context() context.Context { return s.ctx }
