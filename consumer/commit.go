package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
)

// The committer sends OffsetCommit requests in the order commits are asked
// for, pipelined on the coordinator connection, from one goroutine it owns.
// Async callbacks are delivered in that same order, on the goroutine of a
// later Poll, CommitSync, CommitAsync or Close, as in the Java client.
type committer struct {
	c    *client
	wake chan struct{} // cap 1: pokes the sender

	mu      sync.Mutex
	queue   []*commitReq // waiting to be sent
	pending []*commitReq // async commits whose callbacks were not delivered, in call order

	// deliver is held while callbacks are delivered, so they run in order;
	// a callback that commits does not wait for it (TryLock).
	deliver sync.Mutex
}

// commitReq is one commit.
type commitReq struct {
	offsets map[samsa.TopicPartition]samsa.Offset
	async   bool
	auto    bool // an auto commit: failures are logged, not reported
	cb      func(map[samsa.TopicPartition]samsa.Offset, error)
	done    chan struct{} // closed when err is set
	err     error
}

func newCommitter(c *client) *committer {
	return &committer{c: c, wake: make(chan struct{}, 1)}
}

// submit queues a commit for sending and returns the async commits whose
// callbacks are still due, which were all submitted before it.
func (cm *committer) submit(r *commitReq) []*commitReq {
	cm.mu.Lock()
	earlier := slices.Clone(cm.pending)
	cm.queue = append(cm.queue, r)
	if r.async {
		cm.pending = append(cm.pending, r)
	}
	cm.mu.Unlock()
	select {
	case cm.wake <- struct{}{}:
	default:
	}
	return earlier
}

// loop sends queued commits in order until the client closes; what is
// still queued then fails with samsa.ErrClosed.
func (cm *committer) loop(ctx context.Context) {
	for {
		cm.mu.Lock()
		var r *commitReq
		if len(cm.queue) > 0 {
			r = cm.queue[0]
			cm.queue[0] = nil
			cm.queue = cm.queue[1:]
		}
		cm.mu.Unlock()
		if r != nil {
			cm.send(ctx, r)
			continue
		}
		select {
		case <-cm.wake:
		case <-ctx.Done():
			cm.mu.Lock()
			rest := cm.queue
			cm.queue = nil
			cm.mu.Unlock()
			for _, r := range rest {
				cm.complete(r, samsa.ErrClosed)
			}
			return
		}
	}
}

// complete records a commit's outcome and wakes whoever waits for it.
func (cm *committer) complete(r *commitReq, err error) {
	// The metrics are updated before done is closed, so that a CommitSync
	// that returns has been counted.
	if err == nil {
		cm.c.met.committed(len(r.offsets), nil)
	} else {
		cm.c.met.committed(0, err)
	}
	r.err = err
	close(r.done)
	if r.async {
		cm.c.wakePoll()
	}
}

// send sends one commit, asynchronously: the response completes it.
func (cm *committer) send(ctx context.Context, r *commitReq) {
	c := cm.c
	if len(r.offsets) == 0 {
		cm.complete(r, nil)
		return
	}
	id, err := c.commitIdentity()
	if err != nil {
		cm.complete(r, err)
		return
	}
	lctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
	conn, _, err := c.cl.Coordinator(lctx, cluster.GroupCoordinator, c.cfg.groupID)
	cancel()
	if err != nil {
		cm.complete(r, &CommitError{Err: err})
		return
	}
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = c.cfg.groupID
	req.Generation, req.MemberID, req.InstanceID = id.generation, id.memberID, id.instanceID
	byTopic := make(map[string]int)
	for _, tp := range sortedKeys(r.offsets) {
		off := r.offsets[tp]
		ti, ok := byTopic[tp.Topic]
		if !ok {
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
			ti = len(req.Topics) - 1
			byTopic[tp.Topic] = ti
		}
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = tp.Partition, off.Offset, off.LeaderEpoch
		md := off.Metadata
		p.Metadata = &md
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, p)
	}
	// v10 names topics by id; the consumer speaks by name.
	conn.DoAsync(cappedRequest{Request: req, max: 9}, time.Now().Add(c.cfg.requestTimeout), func(resp kmsg.Response, err error) {
		cm.complete(r, c.commitResult(id, r.offsets, resp, err))
	})
}

// commitIdentity is who commits: the group generation and member, or -1
// and "" for a consumer that assigned its partitions itself.
type commitIdentity struct {
	generation int32
	memberID   string
	instanceID *string
}

// commitIdentity returns the identity to commit with; a group member that
// is rebalancing cannot commit.
func (c *client) commitIdentity() (commitIdentity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub.kind != subTopics && c.sub.kind != subPattern {
		return commitIdentity{generation: -1}, nil
	}
	g := c.group
	if g.fatal != nil {
		return commitIdentity{}, g.fatal
	}
	if g.state != stateStable || g.generation < 0 {
		return commitIdentity{}, ErrRebalanceInProgress
	}
	return commitIdentity{generation: g.generation, memberID: g.memberID, instanceID: g.instanceIDPtr()}, nil
}

// commitResult turns an OffsetCommit response into the commit's outcome,
// acting on errors that concern the group: a rebalance to join, a
// generation that is gone, a fenced instance, a moved coordinator.
func (c *client) commitResult(id commitIdentity, offsets map[samsa.TopicPartition]samsa.Offset, resp kmsg.Response, err error) error {
	if err != nil {
		c.coordinatorError(err)
		return &CommitError{Err: err}
	}
	cr, ok := resp.(*kmsg.OffsetCommitResponse)
	if !ok {
		return &CommitError{Err: fmt.Errorf("%w: OffsetCommit answered with %T", samsa.ErrMalformedResponse, resp)}
	}
	failed := make(map[samsa.TopicPartition]error)
	answered := 0
	for _, t := range cr.Topics {
		for _, p := range t.Partitions {
			answered++
			if perr := kerr.ForCode(p.ErrorCode); perr != nil {
				failed[samsa.TopicPartition{Topic: t.Topic, Partition: p.Partition}] = perr
			}
		}
	}
	if answered < len(offsets) {
		for tp := range offsets {
			found := false
			for _, t := range cr.Topics {
				for _, p := range t.Partitions {
					if t.Topic == tp.Topic && p.Partition == tp.Partition {
						found = true
					}
				}
			}
			if !found {
				failed[tp] = fmt.Errorf("%w: the coordinator did not answer for the partition", samsa.ErrMalformedResponse)
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	for _, perr := range failed {
		c.coordinatorError(perr)
		if c.group != nil && id.generation >= 0 {
			c.group.onCommitError(id, perr)
		}
	}
	return &CommitError{Errors: failed}
}

// commitSync implements Consumer.CommitSync; the caller runs the
// interceptors' OnCommit.
func (c *client) commitSync(ctx context.Context, offsets map[samsa.TopicPartition]samsa.Offset) (map[samsa.TopicPartition]samsa.Offset, error) {
	if c.commits == nil {
		return nil, ErrNoGroup
	}
	if c.isClosing() && !c.closingCommitsAllowed() {
		return nil, samsa.ErrClosed
	}
	if offsets == nil {
		c.mu.Lock()
		offsets = c.consumedOffsetsLocked(nil)
		c.mu.Unlock()
	} else {
		offsets = maps.Clone(offsets)
		if err := validateOffsets(offsets); err != nil {
			return nil, err
		}
	}
	ctx, cancel := c.withAPITimeout(ctx)
	defer cancel()
	c.commits.runCallbacks()
	defer c.commits.runCallbacks()
	for attempt := 0; ; attempt++ {
		r := &commitReq{offsets: offsets, done: make(chan struct{})}
		earlier := c.commits.submit(r)
		select {
		case <-r.done:
		case <-ctx.Done():
			return offsets, fmt.Errorf("samsa: consumer: commit: %w", ctx.Err())
		}
		// Async commits sent before this one complete before it returns,
		// so that their callbacks run first (deferred runCallbacks).
		for _, e := range earlier {
			select {
			case <-e.done:
			case <-ctx.Done():
				return offsets, fmt.Errorf("samsa: consumer: commit: %w", ctx.Err())
			}
		}
		if r.err == nil || !retriableErr(r.err) {
			return offsets, r.err
		}
		if err := sleepCtx(ctx, c.cfg.backoff(attempt, c.jitter())); err != nil {
			return offsets, fmt.Errorf("samsa: consumer: commit: %w (last error: %v)", err, r.err)
		}
	}
}

// validateOffsets rejects negative offsets, as Java does.
func validateOffsets(offsets map[samsa.TopicPartition]samsa.Offset) error {
	for tp, off := range offsets {
		if off.Offset < 0 {
			return fmt.Errorf("samsa: consumer: commit offset %d for %s: offsets to commit are at least 0", off.Offset, tp)
		}
	}
	return nil
}

// commitAsync implements Consumer.CommitAsync.
func (c *client) commitAsync(offsets map[samsa.TopicPartition]samsa.Offset, cb func(map[samsa.TopicPartition]samsa.Offset, error)) {
	r := &commitReq{async: true, cb: cb, done: make(chan struct{})}
	switch {
	case c.commits == nil:
		if cb != nil {
			cb(offsets, ErrNoGroup)
		}
		c.onCommit(offsets, ErrNoGroup)
		return
	case c.isClosing():
		if cb != nil {
			cb(offsets, samsa.ErrClosed)
		}
		c.onCommit(offsets, samsa.ErrClosed)
		return
	}
	if offsets == nil {
		c.mu.Lock()
		offsets = c.consumedOffsetsLocked(nil)
		c.mu.Unlock()
	} else {
		offsets = maps.Clone(offsets)
		if err := validateOffsets(offsets); err != nil {
			// Reported through the callback, in order with the others.
			r.offsets, r.err = offsets, err
			close(r.done)
			c.commits.mu.Lock()
			c.commits.pending = append(c.commits.pending, r)
			c.commits.mu.Unlock()
			c.commits.runCallbacks()
			return
		}
	}
	r.offsets = offsets
	c.commits.runCallbacks()
	c.commits.submit(r)
}

// runCallbacks delivers, in call order, the callbacks of async commits that
// completed, stopping at the first that has not. It runs on the caller's
// goroutine and no lock is held while a callback runs.
func (cm *committer) runCallbacks() {
	if !cm.deliver.TryLock() {
		return // another goroutine (or a callback further up) delivers
	}
	defer cm.deliver.Unlock()
	for {
		cm.mu.Lock()
		if len(cm.pending) == 0 {
			cm.mu.Unlock()
			return
		}
		r := cm.pending[0]
		select {
		case <-r.done:
		default:
			cm.mu.Unlock()
			return
		}
		cm.pending[0] = nil
		cm.pending = cm.pending[1:]
		cm.mu.Unlock()
		cm.deliverOne(r)
	}
}

// deliverOne runs the interceptors' OnCommit and the callback of one
// completed async commit.
func (cm *committer) deliverOne(r *commitReq) {
	c := cm.c
	if r.auto {
		if r.err != nil && !errors.Is(r.err, samsa.ErrClosed) {
			c.log.Warn("consumer: auto commit failed", slog.Any("error", r.err))
		}
	}
	c.onCommit(r.offsets, r.err)
	if r.cb != nil {
		r.cb(r.offsets, r.err)
	}
}

// awaitPending waits until every async commit submitted so far completed,
// or ctx ends, then delivers their callbacks. Close uses it.
func (cm *committer) awaitPending(ctx context.Context) {
	cm.mu.Lock()
	pending := append([]*commitReq(nil), cm.pending...)
	cm.mu.Unlock()
	for _, r := range pending {
		select {
		case <-r.done:
		case <-ctx.Done():
			return
		}
	}
	cm.runCallbacks()
}

// maybeAutoCommit sends an async commit of the consumed positions when the
// auto commit interval passed, and returns when the next one is due (zero
// when auto commit is off). A member that is rebalancing skips it.
func (c *client) maybeAutoCommit() time.Time {
	if !*c.cfg.autoCommit || c.commits == nil {
		return time.Time{}
	}
	now := time.Now()
	c.mu.Lock()
	if c.nextAutoCommit.IsZero() {
		c.nextAutoCommit = now.Add(c.cfg.autoCommitInterval)
	}
	if now.Before(c.nextAutoCommit) {
		next := c.nextAutoCommit
		c.mu.Unlock()
		return next
	}
	c.nextAutoCommit = now.Add(c.cfg.autoCommitInterval)
	next := c.nextAutoCommit
	if (c.sub.kind == subTopics || c.sub.kind == subPattern) && c.group.state != stateStable {
		c.mu.Unlock()
		return next
	}
	offsets := c.consumedOffsetsLocked(nil)
	c.mu.Unlock()
	if len(offsets) > 0 {
		c.commits.submit(&commitReq{offsets: offsets, async: true, auto: true, done: make(chan struct{})})
	}
	return next
}

// autoCommitSync commits positions synchronously if auto commit is on: before
// partitions are revoked, and on Close. only selects partitions (nil: all).
// Failures are logged, as in Java, and returned.
func (c *client) autoCommitSync(ctx context.Context, only func(*partState) bool) error {
	if !*c.cfg.autoCommit || c.commits == nil {
		return nil
	}
	c.mu.Lock()
	offsets := c.consumedOffsetsLocked(only)
	c.mu.Unlock()
	if len(offsets) == 0 {
		return nil
	}
	_, err := c.commitSync(ctx, offsets)
	c.onCommit(offsets, err)
	if err != nil {
		c.log.Warn("consumer: commit before rebalance or close failed", slog.Any("error", err))
	}
	return err
}
