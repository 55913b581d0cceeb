package producer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/partitioner"
)

// topicInfo is what the producer needs to know about one topic, derived
// from one cluster snapshot.
type topicInfo struct {
	name    string
	parts   partitioner.Partitions // Count and the partitions with a leader
	leaders []int32                // leader per partition id, -1 if none
	epochs  []int32                // leader epoch per partition id
	err     error                  // the topic's metadata error, nil when healthy
}

// metaView is the producer's index over one immutable cluster snapshot:
// per-topic partition facts for Send and per-broker partition lists for
// the sender. It is rebuilt once per new snapshot and then shared
// read-only.
type metaView struct {
	snap   *cluster.Snapshot
	topics map[string]*topicInfo
	byNode map[int32][]samsa.TopicPartition
	// last is the topic found last: comparing a name (most often the
	// very same string) costs less than hashing it on every Send.
	last atomic.Pointer[topicInfo]
}

// topic returns the facts about topic, nil if the snapshot has none.
func (v *metaView) topic(topic string) *topicInfo {
	if ti := v.last.Load(); ti != nil && ti.name == topic {
		return ti
	}
	ti := v.topics[topic]
	if ti != nil {
		v.last.Store(ti)
	}
	return ti
}

func buildView(s *cluster.Snapshot) *metaView {
	v := &metaView{snap: s, topics: make(map[string]*topicInfo, len(s.Topics)), byNode: map[int32][]samsa.TopicPartition{}}
	for name, t := range s.Topics {
		ti := &topicInfo{name: name, err: t.Err}
		n := int32(0)
		for _, p := range t.Partitions {
			n = max(n, p.ID+1)
		}
		ti.parts.Count = n
		ti.leaders = make([]int32, n)
		ti.epochs = make([]int32, n)
		for i := range ti.leaders {
			ti.leaders[i], ti.epochs[i] = -1, -1
		}
		for _, p := range t.Partitions {
			if p.ID < 0 {
				continue
			}
			ti.epochs[p.ID] = p.LeaderEpoch
			if p.Leader < 0 {
				continue
			}
			if _, ok := s.Brokers[p.Leader]; !ok {
				continue // a leader the metadata lists no address for cannot be sent to
			}
			ti.leaders[p.ID] = p.Leader
			ti.parts.Available = append(ti.parts.Available, p.ID)
			v.byNode[p.Leader] = append(v.byNode[p.Leader], samsa.TopicPartition{Topic: name, Partition: p.ID})
		}
		slices.Sort(ti.parts.Available)
		v.topics[name] = ti
	}
	return v
}

// leader returns the leader and leader epoch of tp in the view.
func (v *metaView) leader(tp samsa.TopicPartition) (int32, int32, bool) {
	ti := v.topics[tp.Topic]
	if ti == nil || tp.Partition < 0 || tp.Partition >= ti.parts.Count {
		return -1, -1, false
	}
	l := ti.leaders[tp.Partition]
	return l, ti.epochs[tp.Partition], l >= 0
}

// currentView returns the view of the cluster's current snapshot, or nil
// before the cluster is bootstrapped. It costs two atomic loads unless the
// snapshot changed, in which case the first caller rebuilds the view.
func (c *core) currentView() *metaView {
	cl := c.cluster.Load()
	if cl == nil {
		return nil
	}
	s := cl.Snapshot()
	if v := c.view.Load(); v != nil && v.snap == s {
		return v
	}
	c.viewMu.Lock()
	defer c.viewMu.Unlock()
	if v := c.view.Load(); v != nil && v.snap == s {
		return v
	}
	v := buildView(s)
	c.view.Store(v)
	return v
}

// bootstrap returns the cluster, connecting to the seed brokers on first
// use. Concurrent callers share one bootstrap; one that fails is retried
// by the next caller. ctx and deadline bound the caller's wait; Close ends
// a bootstrap in progress.
func (c *core) bootstrap(ctx context.Context, deadline time.Time) (*cluster.Cluster, error) {
	if cl := c.cluster.Load(); cl != nil {
		return cl, nil
	}
	select {
	case c.bootSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.life.Done():
		return nil, errClosed
	}
	defer func() { <-c.bootSem }()
	if cl := c.cluster.Load(); cl != nil {
		return cl, nil
	}
	if c.closing.Load() {
		return nil, errClosed
	}
	bctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	cl, err := cluster.New(bctx, c.cfg.brokers, cluster.Options{
		Wire:                   c.cfg.wireOptions(),
		MetadataMaxAge:         c.cfg.metadataMaxAge,
		RetryBackoff:           c.cfg.retryBackoff,
		RetryBackoffMax:        max(c.cfg.retryBackoffMax, c.cfg.retryBackoff),
		AllowAutoTopicCreation: c.cfg.autoCreateTopic,
		Logger:                 c.log,
	})
	if err != nil {
		if c.life.Err() != nil {
			return nil, errClosed
		}
		return nil, err
	}
	// Close may have started while we bootstrapped; it waits for bootSem
	// before it looks at c.cluster, so storing here is seen by it.
	c.cluster.Store(cl)
	c.sender.wakeup()
	return cl, nil
}

// waitOnMetadata returns the facts about topic once the metadata knows the
// topic and, if partition >= 0, that partition (Java's waitOnMetadata).
// It refreshes the metadata as needed until the max block time, ctx or
// Close end the wait. A topic the brokers reject as invalid or
// unauthorized fails at once. When it had to wait it also returns the
// deadline of the send's max block budget, which the wait for buffer
// memory then shares; the zero time when the metadata was there at once
// (the budget is then whole, counted from the append).
func (c *core) waitOnMetadata(ctx context.Context, topic string, partition int32) (*topicInfo, time.Time, error) {
	if v := c.currentView(); v != nil {
		if ti := v.topic(topic); ti != nil && ti.parts.Count > 0 && partition < ti.parts.Count {
			return ti, time.Time{}, nil // the fast path: no clock, no allocation, no lock
		}
	}
	start := time.Now()
	deadline := start.Add(c.cfg.maxBlock)
	ti, err := c.awaitMetadata(ctx, topic, partition, start, deadline)
	return ti, deadline, err
}

func (c *core) awaitMetadata(ctx context.Context, topic string, partition int32, start, deadline time.Time) (*topicInfo, error) {
	cl, err := c.bootstrap(ctx, deadline)
	if err != nil {
		return nil, err
	}
	var lastErr error
	var count int32
	for {
		v := c.currentView()
		ti := v.topics[topic]
		if ti != nil {
			count = ti.parts.Count
			if ti.parts.Count > 0 && partition < ti.parts.Count {
				return ti, nil
			}
			if ti.parts.Count > 0 {
				lastErr = &partitioner.PartitionError{Topic: topic, Partition: partition, Count: ti.parts.Count,
					Reason: "the record's explicit partition is beyond the topic's partitions"}
			}
			if ti.err != nil {
				lastErr = ti.err
				if errors.Is(ti.err, kerr.InvalidTopicException) {
					return nil, fmt.Errorf("%w: the broker rejects topic %q: %w", samsa.ErrInvalidTopic, topic, ti.err)
				}
				if errors.Is(ti.err, kerr.TopicAuthorizationFailed) {
					return nil, fmt.Errorf("samsa: not authorized to produce to topic %q: %w", topic, ti.err)
				}
			}
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, &MetadataError{Topic: topic, Partition: max(partition, -1), Partitions: count, Waited: now.Sub(start), Cause: lastErr}
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		stop := context.AfterFunc(c.life, cancel)
		_, rerr := cl.Refresh(rctx, topic)
		stop()
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case c.life.Err() != nil:
			return nil, errClosed
		case rerr != nil && !errors.Is(rerr, context.DeadlineExceeded):
			lastErr = rerr
		}
		// A fresh answer that still lacks the topic (being created, say):
		// give the brokers a moment before asking again.
		if ti := c.currentView().topics[topic]; ti == nil || ti.parts.Count == 0 || partition >= ti.parts.Count {
			if err := c.pause(ctx, deadline, c.cfg.retryBackoff); err != nil {
				return nil, err
			}
		}
	}
}

// pause waits d, or until deadline, ctx or Close, whichever is first; it
// returns ctx's error or errClosed if one of those ended it.
func (c *core) pause(ctx context.Context, deadline time.Time, d time.Duration) error {
	d = min(d, time.Until(deadline))
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.life.Done():
		return errClosed
	}
}
