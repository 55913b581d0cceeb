package saramacompat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
)

// metadata answers the Consumer's cluster questions — topics, partitions,
// offsets — from saramacompat's own samsa cluster client, the way
// sarama's Client answers them: with Metadata.Retry.Max retries,
// Metadata.Retry.Backoff apart.
type metadata struct {
	cl  *cluster.Cluster
	cfg *sarama.Config
}

// attempts runs op until it succeeds, fails with an error that is not
// retriable, or has been tried Metadata.Retry.Max+1 times.
func (m *metadata) attempts(ctx context.Context, op func(ctx context.Context) error) error {
	r := &m.cfg.Metadata.Retry
	var err error
	for i := 0; ; i++ {
		if err = op(ctx); err == nil || !retriable(err) || i >= r.Max {
			return err
		}
		d := r.Backoff
		if r.BackoffFunc != nil {
			d = r.BackoffFunc(i+1, r.Max)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// retriable reports whether a metadata or offset lookup may succeed when
// tried again.
func retriable(err error) bool {
	var ke sarama.KError
	if errors.As(err, &ke) {
		switch ke {
		case sarama.ErrUnknownTopicOrPartition, sarama.ErrLeaderNotAvailable, sarama.ErrNotLeaderForPartition,
			sarama.ErrRequestTimedOut, sarama.ErrOffsetNotAvailable, sarama.ErrFencedLeaderEpoch,
			sarama.ErrUnknownLeaderEpoch:
			return true
		}
		return false
	}
	return kerr.IsRetriable(err) || errors.Is(err, samsa.ErrConnectionClosed) || errors.Is(err, samsa.ErrRequestTimeout)
}

// topic returns a topic's metadata, refreshed; errors are sarama's.
func (m *metadata) topic(ctx context.Context, name string) (*cluster.Topic, error) {
	var out *cluster.Topic
	err := m.attempts(ctx, func(ctx context.Context) error {
		snap, err := m.cl.Refresh(ctx, name)
		if err != nil {
			return toSarama(err)
		}
		t, ok := snap.Topics[name]
		switch {
		case !ok:
			return sarama.ErrUnknownTopicOrPartition
		case t.Err != nil:
			// sarama's metadata refresh names the topic in front of its
			// error.
			return fmt.Errorf("%s: %w", name, toSarama(t.Err))
		case len(t.Partitions) == 0:
			return sarama.ErrUnknownTopicOrPartition
		}
		out = t
		return nil
	})
	return out, err
}

// topics lists every topic in the cluster, sorted.
func (m *metadata) topics(ctx context.Context) ([]string, error) {
	m.cl.TrackAllTopics()
	var names []string
	err := m.attempts(ctx, func(ctx context.Context) error {
		snap, err := m.cl.Refresh(ctx)
		if err != nil {
			return toSarama(err)
		}
		names = names[:0]
		for name, t := range snap.Topics {
			if t.Err == nil {
				names = append(names, name)
			}
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

// partitions returns a topic's partition ids, sorted, as sarama's
// Client.Partitions does.
func (m *metadata) partitions(ctx context.Context, topic string) ([]int32, error) {
	t, err := m.topic(ctx, topic)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, len(t.Partitions))
	for i, p := range t.Partitions {
		ids[i] = p.ID
	}
	return ids, nil
}

// offset returns the offset at which a partition starts (ts
// samsa.OffsetEarliest) or ends (samsa.OffsetLatest, the high watermark),
// asked of its leader, as sarama's Client.GetOffset does.
func (m *metadata) offset(ctx context.Context, tp samsa.TopicPartition, ts int64) (int64, error) {
	var off int64
	err := m.attempts(ctx, func(ctx context.Context) error {
		t, err := m.topic(ctx, tp.Topic)
		if err != nil {
			return err
		}
		p, ok := t.Partition(tp.Partition)
		if !ok {
			return sarama.ErrUnknownTopicOrPartition
		}
		if p.Leader < 0 {
			return sarama.ErrLeaderNotAvailable
		}
		offs, err := m.listOffsets(ctx, p.Leader, []samsa.TopicPartition{tp}, ts)
		if err != nil {
			m.cl.TriggerRefresh()
			return err
		}
		off = offs[0]
		return nil
	})
	return off, err
}

// listOffsets sends one ListOffsets request for partitions led by one
// broker and returns their offsets in order; a partition the broker
// refused fails the whole call with the broker's error, as sarama's.
func (m *metadata) listOffsets(ctx context.Context, leader int32, tps []samsa.TopicPartition, ts int64) ([]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = int8(m.cfg.Consumer.IsolationLevel)
	index := make(map[samsa.TopicPartition]int, len(tps))
	byTopic := map[string]int{}
	for i, tp := range tps {
		index[tp] = i
		ti, ok := byTopic[tp.Topic]
		if !ok {
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
			ti = len(req.Topics) - 1
			byTopic[tp.Topic] = ti
		}
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.Timestamp = ts
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, rp)
	}
	conn, err := m.cl.Conn(ctx, leader)
	if err != nil {
		return nil, toSarama(err)
	}
	resp, err := conn.Do(ctx, req)
	if err != nil {
		return nil, toSarama(err)
	}
	lr, ok := resp.(*kmsg.ListOffsetsResponse)
	if !ok {
		return nil, &Error{Sarama: sarama.ErrIncompleteResponse, Cause: fmt.Errorf("%w: ListOffsets answered with %T", samsa.ErrMalformedResponse, resp)}
	}
	out := make([]int64, len(tps))
	seen := 0
	for _, t := range lr.Topics {
		for _, p := range t.Partitions {
			i, ok := index[samsa.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			if !ok {
				continue
			}
			if p.ErrorCode != 0 {
				return nil, sarama.KError(p.ErrorCode)
			}
			off := p.Offset
			if lr.Version == 0 {
				off = -1
				if len(p.OldStyleOffsets) > 0 {
					off = p.OldStyleOffsets[0]
				}
			}
			out[i] = off
			seen++
		}
	}
	if seen != len(tps) {
		return nil, sarama.ErrIncompleteResponse
	}
	return out, nil
}

// highWaterMarks asks the leaders of tps for their high watermarks, one
// request per leader; partitions whose lookup failed are left out.
func (m *metadata) highWaterMarks(ctx context.Context, tps []samsa.TopicPartition) map[samsa.TopicPartition]int64 {
	snap := m.cl.Snapshot()
	byLeader := map[int32][]samsa.TopicPartition{}
	for _, tp := range tps {
		if b, ok := snap.Leader(tp.Topic, tp.Partition); ok {
			byLeader[b.ID] = append(byLeader[b.ID], tp)
		}
	}
	out := make(map[samsa.TopicPartition]int64, len(tps))
	for leader, group := range byLeader {
		offs, err := m.listOffsets(ctx, leader, group, samsa.OffsetLatest)
		if err != nil {
			m.cl.TriggerRefresh()
			continue
		}
		for i, tp := range group {
			out[tp] = offs[i]
		}
	}
	return out
}
