package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
)

// pendingPart is a partition whose position is being looked up, with the
// incarnation it had when the lookup started.
type pendingPart struct {
	ps          *partState
	incarnation uint64
}

// resolvePositions gives positions to partitions that wait for one: first
// their committed offsets (with a group id), then offset resets by
// ListOffsets to each partition's leader. Results are applied only to
// partitions whose position was not changed meanwhile (by a seek, say). It
// returns the first failure; partitions it could not resolve keep waiting.
// It runs on the resolver goroutine (resolveAsync).
func (c *client) resolvePositions(ctx context.Context) error {
	var errs firstErr
	// Committed offsets.
	c.mu.Lock()
	var committed []pendingPart
	var tps []samsa.TopicPartition
	for tp, ps := range c.parts {
		if ps.awaitingCommitted && !ps.hasPos {
			committed = append(committed, pendingPart{ps, ps.incarnation})
			tps = append(tps, tp)
		}
	}
	c.mu.Unlock()
	if len(committed) > 0 {
		offsets, err := c.fetchCommitted(ctx, tps)
		if err != nil {
			errs.set(err)
		} else {
			c.mu.Lock()
			for _, p := range committed {
				ps := p.ps
				if ps.removed || ps.incarnation != p.incarnation || !ps.awaitingCommitted {
					continue
				}
				if off, ok := offsets[ps.tp]; ok {
					c.setPositionLocked(ps, off.Offset, off.LeaderEpoch)
				} else {
					c.applyResetPolicyLocked(ps, -1)
				}
			}
			c.fetcher.wakeLocked()
			c.mu.Unlock()
		}
	}
	// Offset resets, grouped by leader. Topics missing from the metadata
	// (partitions assigned by hand before any metadata about them) are
	// looked up and the resets retried at once, rather than after a
	// retry backoff.
	missing := c.resetPositions(ctx, &errs)
	if len(missing) > 0 {
		if _, err := c.cl.Refresh(ctx, missing...); err != nil {
			errs.set(err)
		} else if missing = c.resetPositions(ctx, &errs); len(missing) > 0 {
			errs.set(fmt.Errorf("%w: no metadata for %v", kerr.UnknownTopicOrPartition, missing))
		}
	}
	return errs.err
}

// resetPositions looks up the offsets that partitions without a position
// reset to, one ListOffsets per leader, and sets them. Failures go to errs;
// it returns the topics missing from the metadata, whose partitions it
// left alone.
func (c *client) resetPositions(ctx context.Context, errs *firstErr) (missing []string) {
	snap := c.cl.Snapshot()
	type leaderReq struct {
		parts []pendingPart
		epoch []int32
	}
	byLeader := make(map[int32]*leaderReq)
	c.mu.Lock()
	for tp, ps := range c.parts {
		if ps.reset == resetNone || ps.hasPos {
			continue
		}
		t := snap.Topics[tp.Topic]
		if t == nil {
			if !slices.Contains(missing, tp.Topic) {
				missing = append(missing, tp.Topic)
			}
			continue
		}
		p, ok := t.Partition(tp.Partition)
		if !ok || p.Leader < 0 {
			c.cl.TriggerRefresh()
			errs.set(fmt.Errorf("%w: no leader known for %s", kerr.LeaderNotAvailable, tp))
			continue
		}
		lr := byLeader[p.Leader]
		if lr == nil {
			lr = &leaderReq{}
			byLeader[p.Leader] = lr
		}
		lr.parts = append(lr.parts, pendingPart{ps, ps.incarnation})
		lr.epoch = append(lr.epoch, p.LeaderEpoch)
	}
	c.mu.Unlock()
	for leader, lr := range byLeader {
		targets := make([]resetTarget, len(lr.parts))
		c.mu.Lock()
		for i, p := range lr.parts {
			targets[i] = p.ps.reset
		}
		c.mu.Unlock()
		offs, perr, err := c.listOffsets(ctx, leader, lr.parts, lr.epoch, targets)
		if err != nil {
			errs.set(err)
			c.cl.TriggerRefresh()
			continue
		}
		c.mu.Lock()
		for i, p := range lr.parts {
			ps := p.ps
			if ps.removed || ps.incarnation != p.incarnation || ps.reset != targets[i] {
				continue
			}
			if perr[i] != nil {
				errs.set(fmt.Errorf("samsa: consumer: offset reset of %s: %w", ps.tp, perr[i]))
				if !errors.Is(perr[i], kerr.OffsetNotAvailable) {
					c.cl.TriggerRefresh()
				}
				continue
			}
			c.log.Debug("consumer: reset offset", slog.String("partition", ps.tp.String()), slog.Int64("offset", offs[i].Offset))
			c.setPositionLocked(ps, offs[i].Offset, offs[i].LeaderEpoch)
		}
		c.fetcher.wakeLocked()
		c.mu.Unlock()
	}
	return missing
}

// listOffsets asks a leader for the earliest or latest offsets of some
// partitions. It returns per partition the offset or an error.
func (c *client) listOffsets(ctx context.Context, leader int32, parts []pendingPart, epochs []int32, targets []resetTarget) ([]samsa.Offset, []error, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = int8(c.cfg.isolation)
	req.TimeoutMillis = int32(c.cfg.requestTimeout / time.Millisecond)
	index := make(map[samsa.TopicPartition]int, len(parts))
	topicIdx := make(map[string]int)
	for i, p := range parts {
		tp := p.ps.tp
		index[tp] = i
		ti, ok := topicIdx[tp.Topic]
		if !ok {
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
			ti = len(req.Topics) - 1
			topicIdx[tp.Topic] = ti
		}
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.CurrentLeaderEpoch = epochs[i]
		rp.Timestamp = samsa.OffsetLatest
		if targets[i] == resetEarliest {
			rp.Timestamp = samsa.OffsetEarliest
		}
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, rp)
	}
	conn, err := c.cl.Conn(ctx, leader)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.do(ctx, conn, req)
	if err != nil {
		return nil, nil, err
	}
	lr, ok := resp.(*kmsg.ListOffsetsResponse)
	if !ok {
		return nil, nil, fmt.Errorf("%w: ListOffsets answered with %T", samsa.ErrMalformedResponse, resp)
	}
	offs := make([]samsa.Offset, len(parts))
	errs := make([]error, len(parts))
	for i := range errs {
		errs[i] = fmt.Errorf("%w: the broker did not answer for the partition", samsa.ErrMalformedResponse)
	}
	for _, t := range lr.Topics {
		for _, p := range t.Partitions {
			i, ok := index[samsa.TopicPartition{Topic: t.Topic, Partition: p.Partition}]
			if !ok {
				continue
			}
			if p.ErrorCode != 0 {
				errs[i] = kerr.ForCode(p.ErrorCode)
				continue
			}
			off := p.Offset
			if lr.Version == 0 {
				off = -1
				if len(p.OldStyleOffsets) > 0 {
					off = p.OldStyleOffsets[0]
				}
			}
			if off < 0 {
				errs[i] = fmt.Errorf("%w: offset %d", kerr.OffsetNotAvailable, off)
				continue
			}
			offs[i] = samsa.Offset{Offset: off, LeaderEpoch: p.LeaderEpoch}
			errs[i] = nil
		}
	}
	return offs, errs, nil
}

// fetchCommitted reads the group's committed offsets of some partitions
// (OffsetFetch, requiring stable offsets, KIP-447). Partitions without a
// committed offset are absent from the result. Retriable failures are
// returned; the caller decides whether to retry.
func (c *client) fetchCommitted(ctx context.Context, tps []samsa.TopicPartition) (map[samsa.TopicPartition]samsa.Offset, error) {
	if c.cfg.groupID == "" {
		return nil, ErrNoGroup
	}
	conn, _, err := c.cl.Coordinator(ctx, cluster.GroupCoordinator, c.cfg.groupID)
	if err != nil {
		return nil, err
	}
	// v10 names topics by id; the consumer speaks by name.
	version, ok := conn.Version(9)
	if !ok {
		return nil, fmt.Errorf("%w: OffsetFetch", samsa.ErrUnsupportedVersion)
	}
	version = min(version, 9)
	byTopic := make(map[string][]int32)
	var order []string
	for _, tp := range tps {
		if _, ok := byTopic[tp.Topic]; !ok {
			order = append(order, tp.Topic)
		}
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.RequireStable = true
	if version >= 8 {
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = c.cfg.groupID
		for _, t := range order {
			gt := kmsg.NewOffsetFetchRequestGroupTopic()
			gt.Topic, gt.Partitions = t, byTopic[t]
			g.Topics = append(g.Topics, gt)
		}
		req.Groups = append(req.Groups, g)
	} else {
		req.Group = c.cfg.groupID
		for _, t := range order {
			rt := kmsg.NewOffsetFetchRequestTopic()
			rt.Topic, rt.Partitions = t, byTopic[t]
			req.Topics = append(req.Topics, rt)
		}
	}
	resp, err := c.do(ctx, conn, cappedRequest{Request: req, max: version})
	if err != nil {
		c.coordinatorError(err)
		return nil, err
	}
	fr, ok := resp.(*kmsg.OffsetFetchResponse)
	if !ok {
		return nil, fmt.Errorf("%w: OffsetFetch answered with %T", samsa.ErrMalformedResponse, resp)
	}
	type part struct {
		partition   int32
		offset      int64
		leaderEpoch int32
		metadata    *string
		code        int16
	}
	var groupCode int16
	var parts []struct {
		topic string
		p     part
	}
	if fr.Version >= 8 {
		for _, g := range fr.Groups {
			if g.Group != c.cfg.groupID {
				continue
			}
			groupCode = g.ErrorCode
			for _, t := range g.Topics {
				for _, p := range t.Partitions {
					parts = append(parts, struct {
						topic string
						p     part
					}{t.Topic, part{p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode}})
				}
			}
		}
	} else {
		groupCode = fr.ErrorCode
		for _, t := range fr.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, struct {
					topic string
					p     part
				}{t.Topic, part{p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode}})
			}
		}
	}
	if err := kerr.ForCode(groupCode); err != nil {
		c.coordinatorError(err)
		return nil, fmt.Errorf("samsa: consumer: fetching committed offsets of group %q: %w", c.cfg.groupID, err)
	}
	out := make(map[samsa.TopicPartition]samsa.Offset)
	for _, tp := range parts {
		if err := kerr.ForCode(tp.p.code); err != nil {
			c.coordinatorError(err)
			return nil, fmt.Errorf("samsa: consumer: fetching the committed offset of %s-%d: %w", tp.topic, tp.p.partition, err)
		}
		if tp.p.offset < 0 {
			continue
		}
		off := samsa.Offset{Offset: tp.p.offset, LeaderEpoch: tp.p.leaderEpoch}
		if tp.p.metadata != nil {
			off.Metadata = *tp.p.metadata
		}
		out[samsa.TopicPartition{Topic: tp.topic, Partition: tp.p.partition}] = off
	}
	return out, nil
}

// coordinatorError forgets the coordinator after an error saying it moved.
func (c *client) coordinatorError(err error) {
	if errors.Is(err, kerr.NotCoordinator) || errors.Is(err, kerr.CoordinatorNotAvailable) ||
		errors.Is(err, samsa.ErrConnectionClosed) || errors.Is(err, samsa.ErrRequestTimeout) {
		c.cl.InvalidateCoordinator(cluster.GroupCoordinator, c.cfg.groupID)
	}
}

// committed implements Consumer.Committed, retrying retriable failures
// until ctx ends.
func (c *client) committed(ctx context.Context, tps []samsa.TopicPartition) (map[samsa.TopicPartition]samsa.Offset, error) {
	if c.cfg.groupID == "" {
		return nil, ErrNoGroup
	}
	if c.isClosing() {
		return nil, samsa.ErrClosed
	}
	if len(tps) == 0 {
		return map[samsa.TopicPartition]samsa.Offset{}, nil
	}
	ctx, cancel := c.withAPITimeout(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		out, err := c.fetchCommitted(ctx, tps)
		if err == nil {
			return out, nil
		}
		if !retriableErr(err) || ctx.Err() != nil {
			return nil, err
		}
		if serr := sleepCtx(ctx, c.cfg.backoff(attempt, c.jitter())); serr != nil {
			return nil, fmt.Errorf("%w (last error: %v)", serr, err)
		}
	}
}

// retriableErr reports whether a request may succeed if sent again: a
// retriable Kafka error or a connection failure.
func retriableErr(err error) bool {
	return kerr.IsRetriable(err) || errors.Is(err, samsa.ErrConnectionClosed) ||
		errors.Is(err, samsa.ErrRequestTimeout) || errors.Is(err, samsa.ErrNoBrokers) ||
		errors.Is(err, cluster.ErrUnknownBroker)
}
