package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// refreshCall is one Metadata request that any number of Refresh callers
// wait for.
type refreshCall struct {
	// all and topics are set by the loop when it starts the call, under
	// Cluster.mu; waiters counts the callers that joined it.
	all     bool
	topics  map[string]struct{}
	waiters int

	done chan struct{} // closed when snap/err are set
	snap *Snapshot
	err  error
}

func newRefreshCall() *refreshCall { return &refreshCall{done: make(chan struct{})} }

// covers reports whether the call asks for every topic in topics.
func (rc *refreshCall) covers(topics []string) bool {
	if rc.all {
		return true
	}
	for _, t := range topics {
		if _, ok := rc.topics[t]; !ok {
			return false
		}
	}
	return true
}

// Refresh fetches fresh metadata for the tracked topics and returns the
// snapshot it published. The given topics become tracked first: once
// asked for, a topic stays in every later refresh, periodic ones
// included. Concurrent callers share one Metadata request; a caller whose
// topics the request in flight does not cover waits for the next one,
// which starts as soon as the current one ends.
//
// Topic-level problems (an unknown topic, a partition without a leader)
// are not errors of Refresh: see Topic.Err and Partition.Err. Refresh
// fails when no broker answered; ctx bounds the caller's wait only.
func (c *Cluster) Refresh(ctx context.Context, topics ...string) (*Snapshot, error) {
	for _, t := range topics {
		if err := samsa.ValidateTopic(t); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	if c.isClosing() {
		c.mu.Unlock()
		return nil, errClosed("refresh")
	}
	for _, t := range topics {
		c.tracked[t] = struct{}{}
	}
	rc := c.inflight
	if rc == nil || !rc.covers(topics) {
		if c.next == nil {
			c.next = newRefreshCall()
			select {
			case c.wake <- struct{}{}:
			default:
			}
		}
		rc = c.next
	}
	rc.waiters++
	c.mu.Unlock()

	select {
	case <-rc.done:
		return rc.snap, rc.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closing:
		return nil, errClosed("refresh")
	}
}

// TrackAllTopics makes every later refresh ask for all topics in the
// cluster (for pattern subscriptions). It does not refresh by itself.
func (c *Cluster) TrackAllTopics() {
	c.mu.Lock()
	c.trackAll = true
	c.mu.Unlock()
}

// TriggerRefresh asks for a refresh of the tracked topics soon, e.g.
// after NOT_LEADER_OR_FOLLOWER. It never blocks. Triggers are debounced:
// a refresh starts at most once per RetryBackoff, and any number of
// triggers before it starts collapse into it.
func (c *Cluster) TriggerRefresh() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

func (c *Cluster) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// loop is the refresh goroutine: periodic refresh every MetadataMaxAge,
// debounced triggered refreshes, immediate on-demand ones. After a failed
// refresh it retries with exponential backoff.
func (c *Cluster) loop() {
	timer := time.NewTimer(c.opts.MetadataMaxAge)
	defer timer.Stop()
	due := time.Now().Add(c.opts.MetadataMaxAge)
	failures := 0
	for {
		select {
		case <-c.closing:
			return
		case <-timer.C:
		case <-c.wake:
		case <-c.trigger:
			at := c.lastAttempt.Add(c.opts.RetryBackoff)
			if wait := time.Until(at); wait > 0 {
				if at.Before(due) {
					timer.Reset(wait)
					due = at
				}
				continue
			}
		}
		// Triggers that arrived before this refresh starts are satisfied
		// by it.
		select {
		case <-c.trigger:
		default:
		}
		c.lastAttempt = time.Now()
		next := c.opts.MetadataMaxAge
		if err := c.refreshOnce(); err != nil {
			failures++
			next = c.opts.backoff(failures)
			if !c.isClosing() {
				c.log.Warn("metadata refresh failed", "err", err, "retry_in", next)
			}
		} else {
			failures = 0
		}
		timer.Reset(next)
		due = time.Now().Add(next)
	}
}

// refreshOnce runs the pending refresh call (or a new one for periodic
// and triggered refreshes) and completes it.
func (c *Cluster) refreshOnce() error {
	c.mu.Lock()
	rc := c.next
	c.next = nil
	if rc == nil {
		rc = newRefreshCall()
	}
	rc.all = c.trackAll
	rc.topics = make(map[string]struct{}, len(c.tracked))
	for t := range c.tracked {
		rc.topics[t] = struct{}{}
	}
	c.inflight = rc
	c.mu.Unlock()

	topics := make([]string, 0, len(rc.topics))
	for t := range rc.topics {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	resp, err := c.fetchMetadata(topics, rc.all)
	var snap *Snapshot
	if err == nil {
		snap = c.publish(resp)
	}

	c.mu.Lock()
	c.inflight = nil
	c.mu.Unlock()
	rc.snap, rc.err = snap, err
	close(rc.done)
	return err
}

// fetchMetadata asks the brokers, those with a live connection first and
// otherwise in random order, then the seeds, until one answers.
func (c *Cluster) fetchMetadata(topics []string, all bool) (*kmsg.MetadataResponse, error) {
	ctx := c.ctx
	var errs []error
	for _, id := range c.brokerOrder() {
		conn, err := c.ConnFor(ctx, id, PurposeGeneral)
		if err == nil {
			var resp *kmsg.MetadataResponse
			if resp, err = c.requestMetadata(ctx, conn, topics, all); err == nil {
				return resp, nil
			}
		}
		errs = append(errs, fmt.Errorf("broker %d: %w", id, err))
		if ctx.Err() != nil {
			return nil, errClosed("refresh")
		}
	}
	// Every known broker failed (or none is known): go back to the seeds,
	// as Java's metadata.recovery.strategy=rebootstrap does.
	for _, seed := range c.seeds {
		conn, err := wire.Dial(ctx, seed, c.opts.Wire)
		if err == nil {
			var resp *kmsg.MetadataResponse
			resp, err = c.requestMetadata(ctx, conn, topics, all)
			_ = conn.Close()
			if err == nil {
				return resp, nil
			}
		}
		errs = append(errs, fmt.Errorf("seed %s: %w", seed, err))
		if ctx.Err() != nil {
			return nil, errClosed("refresh")
		}
	}
	return nil, fmt.Errorf("%w: metadata refresh: %w", samsa.ErrNoBrokers, errors.Join(errs...))
}

// brokerOrder lists the known brokers: those with a live general-purpose
// connection first, each group shuffled.
func (c *Cluster) brokerOrder() []int32 {
	snap := c.Snapshot()
	if snap == nil {
		return nil
	}
	var live, rest []int32
	c.poolMu.Lock()
	for id := range snap.Brokers {
		if e := c.pool[connKey{broker: id, purpose: PurposeGeneral}]; e != nil && alive(e.conn) {
			live = append(live, id)
		} else {
			rest = append(rest, id)
		}
	}
	c.poolMu.Unlock()
	rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	rand.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append(live, rest...)
}

// requestMetadata sends one Metadata request on conn. topics nil and all
// false asks for brokers only.
func (c *Cluster) requestMetadata(ctx context.Context, conn *wire.Conn, topics []string, all bool) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	if !all {
		// A non-nil empty list asks for no topics; nil would mean all.
		req.Topics = make([]kmsg.MetadataRequestTopic, 0, len(topics))
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	req.AllowAutoTopicCreation = c.opts.AllowAutoTopicCreation
	kresp, err := conn.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, ok := kresp.(*kmsg.MetadataResponse)
	if !ok {
		return nil, fmt.Errorf("%w: Metadata answered with %T", samsa.ErrMalformedResponse, kresp)
	}
	if resp.ErrorCode != 0 {
		return nil, fmt.Errorf("samsa: Metadata from %s: %w", conn.Addr(), kerr.ForCode(resp.ErrorCode))
	}
	if len(resp.Brokers) == 0 {
		return nil, fmt.Errorf("%w: Metadata from %s lists no brokers", samsa.ErrMalformedResponse, conn.Addr())
	}
	if req.GetVersion() == 0 && !all && len(topics) == 0 {
		// v0 cannot ask for no topics: an empty list means all of them.
		resp.Topics = nil
	}
	return resp, nil
}
