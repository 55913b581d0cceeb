package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
)

// The group client speaks the classic consumer group protocol:
//
//	FindCoordinator → JoinGroup (MEMBER_ID_REQUIRED retry, KIP-394)
//	  → the leader runs the assignor the coordinator chose
//	  → SyncGroup → the member's assignment
//	heartbeats on their own goroutine; LeaveGroup on Close (dynamic members)
//
// State transitions happen on the goroutine that calls Poll, as in the Java
// client, so the RebalanceListener runs there too. Only the network part of
// a rebalance (JoinGroup, the leader's assignment, SyncGroup) runs on a
// goroutine of its own, so that Poll keeps returning the records of the
// partitions a member keeps during a cooperative rebalance.

// memberState is where a member is in the group protocol.
type memberState int8

const (
	// stateUnjoined: not a member of a generation (yet, or any more).
	stateUnjoined memberState = iota
	// stateJoining: a JoinGroup/SyncGroup round is in flight.
	stateJoining
	// stateStable: the member has its assignment for the current
	// generation.
	stateStable
)

// group is the consumer's membership in its group. Fields after the
// comment are guarded by client.mu.
type group struct {
	c          *client
	id         string
	instanceID string
	protocol   assignor.RebalanceProtocol
	strategy   rebalanceStrategy
	hbWake     chan struct{} // cap 1: pokes the heartbeat goroutine

	joinMu   sync.Mutex // guards joinConn
	joinConn *wire.Conn // JoinGroup/SyncGroup connection, with a long timeout

	// Guarded by client.mu.
	memberID      string
	generation    int32
	protocolName  string
	leader        bool
	state         memberState
	awaitingSync  bool // JoinGroup answered, SyncGroup pending: heartbeats run
	rejoin        bool
	rejoinReason  string
	prepared      bool // the pre-join step (commit, eager revoke) ran for the coming join
	lost          bool // the generation was reset while holding partitions
	fatal         error
	retryAt       time.Time // no join before this, after a failed one
	joinFailures  int       // failed rounds in a row, for the backoff
	lastHeartbeat time.Time
	counts        map[string]int32 // leader: partition counts the assignment used
	rb            *rebalance       // the rebalance in flight, if any
	rbSeq         uint64
}

// rebalance is one JoinGroup/SyncGroup round in flight.
type rebalance struct {
	seq    uint64
	cancel context.CancelFunc
	done   chan rebalanceResult // cap 1
}

// rebalanceResult is how a rebalance round ended.
type rebalanceResult struct {
	seq   uint64
	err   error // the round failed; Poll returns it
	fatal bool  // ... and the consumer cannot go on
	// reset: SyncGroup said the generation (and, with resetMember, the
	// member id) is gone: what the member holds is lost.
	reset, resetMember bool
	assignment         []byte
}

// joinArgs is what a rebalance round joins with, captured when it starts.
type joinArgs struct {
	seq        uint64
	memberID   string
	generation int32 // generation of the owned partitions
	topics     []string
	owned      []samsa.TopicPartition
	reason     string
}

func newGroup(c *client, protocol assignor.RebalanceProtocol) *group {
	g := &group{
		c:          c,
		id:         c.cfg.groupID,
		instanceID: c.cfg.instanceID,
		protocol:   protocol,
		generation: assignor.DefaultGeneration,
		hbWake:     make(chan struct{}, 1),
	}
	if protocol == assignor.Cooperative {
		g.strategy = cooperativeStrategy{}
	} else {
		g.strategy = eagerStrategy{}
	}
	return g
}

func (g *group) instanceIDPtr() *string {
	if g.instanceID == "" {
		return nil
	}
	id := g.instanceID
	return &id
}

// subscribedLocked reports whether the group assigns the partitions.
func (c *client) subscribedLocked() bool {
	return c.sub.kind == subTopics || c.sub.kind == subPattern
}

// requestRejoinLocked asks for a rebalance at the next Poll.
func (g *group) requestRejoinLocked(reason string) {
	if !g.rejoin {
		g.rejoin, g.rejoinReason = true, reason
	}
	g.c.wakePoll()
}

// resetGenerationLocked forgets the generation (and the member id when
// resetMember): what the member holds is lost, and it must rejoin.
func (g *group) resetGenerationLocked(resetMember bool, reason string) {
	c := g.c
	g.generation, g.protocolName, g.leader = assignor.DefaultGeneration, "", false
	if resetMember {
		g.memberID = ""
	}
	g.state, g.awaitingSync = stateUnjoined, false
	if g.rb != nil {
		g.rb.cancel()
		g.rb = nil
		g.rbSeq++
	}
	if len(c.parts) > 0 {
		g.lost = true
	}
	g.requestRejoinLocked(reason)
}

// poll advances the group protocol; it runs on the polling goroutine
// (holding the poll slot), which is where listener methods run.
func (g *group) poll(ctx context.Context) error {
	c := g.c
	var errs firstErr
	for range 16 { // a few transitions per call at most; Poll calls again
		c.mu.Lock()
		if g.fatal != nil {
			err := g.fatal
			c.mu.Unlock()
			return err
		}
		if !c.subscribedLocked() {
			c.mu.Unlock()
			return errs.err
		}
		if rb := g.rb; rb != nil {
			select {
			case res := <-rb.done:
				g.rb = nil
				c.mu.Unlock()
				errs.set(g.finish(ctx, res))
				continue
			default:
				c.mu.Unlock()
				return errs.err // still rebalancing
			}
		}
		if g.lost {
			g.lost, g.prepared = false, false
			lost := c.assignedLocked()
			c.removePartitionsLocked(lost)
			c.mu.Unlock()
			c.log.Info("consumer: partitions lost", slog.String("group", g.id), slog.Int("partitions", len(lost)))
			if len(lost) > 0 {
				errs.set(c.callListener(ctx, onLost, lost))
			}
			continue
		}
		if c.sub.kind == subPattern && c.sub.snap == nil {
			// Match the pattern against every topic before the first join.
			c.mu.Unlock()
			snap, err := c.cl.Refresh(ctx)
			if err != nil {
				errs.set(err)
				return errs.err
			}
			c.mu.Lock()
			g.matchPatternLocked(snap)
			c.mu.Unlock()
			continue
		}
		g.checkMetadataLocked()
		if g.state == stateStable && !g.rejoin {
			c.mu.Unlock()
			return errs.err
		}
		if !g.retryAt.IsZero() && time.Now().Before(g.retryAt) {
			c.mu.Unlock()
			return errs.err
		}
		if !g.prepared {
			g.prepared = true
			c.mu.Unlock()
			errs.set(g.prepare(ctx))
			continue
		}
		g.launchLocked()
		c.mu.Unlock()
		return errs.err
	}
	return errs.err
}

// nextDeadline is when Poll should look at the group again by itself: when
// a failed join may be retried, and — for a pattern subscription or on the
// leader — once per metadata refresh, to notice topics or partitions that
// change the assignment.
func (g *group) nextDeadline() time.Time {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.rejoin && g.rb == nil {
		return g.retryAt
	}
	if c.sub.kind == subPattern || (g.leader && g.state == stateStable) {
		return time.Now().Add(min(c.cfg.metadataMaxAge, 5*time.Second))
	}
	return time.Time{}
}

// prepare runs before a member (re)joins (Java's onJoinPrepare): it
// commits what was consumed if auto commit is on, then revokes what the
// protocol gives up before joining — everything under eager, the
// partitions of topics no longer subscribed under cooperative.
func (g *group) prepare(ctx context.Context) error {
	c := g.c
	var errs firstErr
	c.mu.Lock()
	stable := g.state == stateStable && g.generation >= 0
	owned := c.assignedLocked()
	topics := slices.Clone(c.sub.topics)
	c.mu.Unlock()
	if stable && len(owned) > 0 {
		c.commitBeforeRevoke(nil) // the join goes on if it fails, as in Java
	}
	revoke, always := g.strategy.revokeBeforeJoin(owned, topics)
	if len(revoke) > 0 || (always && stable) {
		errs.set(c.callListener(ctx, onRevoked, revoke))
	}
	if len(revoke) > 0 {
		c.mu.Lock()
		c.removePartitionsLocked(revoke)
		c.mu.Unlock()
	}
	return errs.err
}

// launchLocked starts a rebalance round on its own goroutine.
func (g *group) launchLocked() {
	c := g.c
	g.rbSeq++
	a := joinArgs{
		seq:        g.rbSeq,
		memberID:   g.memberID,
		generation: g.generation,
		topics:     slices.Clone(c.sub.topics),
		reason:     g.rejoinReason,
	}
	if g.strategy.reportsOwned() {
		a.owned = c.assignedLocked()
	}
	if a.reason == "" {
		a.reason = "joining the group"
	}
	ctx, cancel := context.WithCancel(c.ctx)
	rb := &rebalance{seq: a.seq, cancel: cancel, done: make(chan rebalanceResult, 1)}
	g.rb = rb
	g.state, g.rejoin, g.rejoinReason = stateJoining, false, ""
	c.log.Debug("consumer: joining group", slog.String("group", g.id), slog.String("reason", a.reason))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		rb.done <- g.run(ctx, a)
		c.wakePoll()
	}()
}

// joinedLocked records the generation a JoinGroup response gave the
// member, unless the round was abandoned meanwhile; heartbeats start.
func (g *group) joined(seq uint64, generation int32, memberID, protocol string, leader bool) bool {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.rb == nil || g.rb.seq != seq {
		return false
	}
	g.generation, g.memberID, g.protocolName, g.leader = generation, memberID, protocol, leader
	g.awaitingSync = true
	g.lastHeartbeat = time.Now()
	select {
	case g.hbWake <- struct{}{}:
	default:
	}
	return true
}

// setMemberID records a member id the coordinator handed out before the
// join completed (MEMBER_ID_REQUIRED), so Close can still leave with it.
func (g *group) setMemberID(seq uint64, id string) {
	c := g.c
	c.mu.Lock()
	if g.rb != nil && g.rb.seq == seq {
		g.memberID = id
	}
	c.mu.Unlock()
}

// finish applies the outcome of a rebalance round (Java's onJoinComplete):
// the new assignment, revocations under cooperative, listener calls.
func (g *group) finish(ctx context.Context, res rebalanceResult) error {
	c := g.c
	c.mu.Lock()
	g.awaitingSync = false
	if res.seq != g.rbSeq {
		c.mu.Unlock()
		return nil // abandoned (poll timeout, unsubscribe); already handled
	}
	switch {
	case res.err != nil:
		g.state = stateUnjoined
		if res.fatal {
			g.fatal = res.err
		} else {
			g.retryAt = time.Now().Add(c.cfg.backoff(g.joinFailures, c.jitter()))
			g.joinFailures++
			g.requestRejoinLocked("the last join failed")
		}
		c.mu.Unlock()
		c.met.rebalanceFailed()
		return res.err
	case res.reset:
		g.resetGenerationLocked(res.resetMember, "the generation ended during SyncGroup")
		c.mu.Unlock()
		return nil
	}
	g.retryAt, g.joinFailures = time.Time{}, 0
	assignment, _, err := assignor.DecodeAssignment(res.assignment)
	if err != nil {
		g.state = stateUnjoined
		g.requestRejoinLocked("the assignment could not be decoded")
		c.mu.Unlock()
		return &GroupError{Group: g.id, Op: "assignment", Err: err}
	}
	assigned := make(map[samsa.TopicPartition]bool)
	for _, tps := range assignment.Partitions {
		for _, p := range tps.Partitions {
			assigned[samsa.TopicPartition{Topic: tps.Topic, Partition: p}] = true
		}
	}
	var added, revoked []samsa.TopicPartition
	for tp := range assigned {
		if _, ok := c.parts[tp]; !ok {
			added = append(added, tp)
		}
	}
	for tp := range c.parts {
		if !assigned[tp] {
			revoked = append(revoked, tp)
		}
	}
	sortTPs(added)
	sortTPs(revoked)
	g.state, g.prepared = stateStable, false
	g.lastHeartbeat = time.Now()
	c.nextAutoCommit = time.Now().Add(c.cfg.autoCommitInterval)
	for tp := range assigned {
		if !slices.Contains(c.sub.topics, tp.Topic) {
			g.requestRejoinLocked("the assignment does not match the subscription")
			break
		}
	}
	generation := g.generation
	c.mu.Unlock()
	c.log.Info("consumer: joined group", slog.String("group", g.id), slog.Int("generation", int(generation)),
		slog.Int("assigned", len(assigned)), slog.Int("added", len(added)), slog.Int("revoked", len(revoked)))
	c.met.rebalanced()

	var errs firstErr
	if len(revoked) > 0 {
		// Cooperative second phase (KIP-429): give up what moved, then
		// rejoin so its new owner gets it.
		only := func(ps *partState) bool { return !assigned[ps.tp] }
		c.commitBeforeRevoke(only)
		errs.set(c.callListener(ctx, onRevoked, revoked))
		c.mu.Lock()
		c.removePartitionsLocked(revoked)
		g.requestRejoinLocked("partitions were revoked")
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.addPartitionsLocked(added)
	c.mu.Unlock()
	errs.set(c.callListener(ctx, onAssigned, added))
	return errs.err
}

// commitBeforeRevoke commits positions (only: some partitions, nil: all)
// before partitions are revoked, if auto commit is on. Like Java, which
// waits up to the rebalance timeout for it, it does not give up when the
// Poll's own deadline passes — losing this commit would hand the partitions
// over at older offsets — but Close cancels it. Failures are logged.
func (c *client) commitBeforeRevoke(only func(*partState) bool) {
	ctx, cancel := context.WithTimeout(c.closingCtx, c.cfg.maxPollInterval)
	defer cancel()
	_ = c.autoCommitSync(ctx, only)
}

// onCommitError reacts to a commit error concerning the group (called from
// a connection's reader goroutine; must not block).
func (g *group) onCommitError(id commitIdentity, err error) {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if id.generation != g.generation || id.memberID != g.memberID {
		return // about an older generation
	}
	switch {
	case errors.Is(err, kerr.RebalanceInProgress):
		if g.state == stateStable {
			g.requestRejoinLocked("a commit found the group rebalancing")
		}
	case errors.Is(err, kerr.UnknownMemberID):
		if g.state == stateStable {
			g.resetGenerationLocked(true, "a commit found the member unknown")
		}
	case errors.Is(err, kerr.IllegalGeneration):
		if g.state == stateStable {
			g.resetGenerationLocked(false, "a commit found the generation gone")
		}
	case errors.Is(err, kerr.FencedInstanceID):
		g.fatal = &FencedInstanceError{Group: g.id, InstanceID: g.instanceID}
		c.wakePoll()
	}
}

// checkMetadataLocked asks for a rebalance when the metadata changed in a
// way that changes the assignment: a pattern matches other topics, or (on
// the leader) a subscribed topic's partition count changed.
func (g *group) checkMetadataLocked() {
	c := g.c
	snap := c.cl.Snapshot()
	if c.sub.kind == subPattern && snap != c.sub.snap {
		g.matchPatternLocked(snap)
	}
	if g.leader && g.state == stateStable && g.counts != nil {
		for topic, n := range g.counts {
			t := snap.Topics[topic]
			if t == nil || t.Err != nil {
				continue
			}
			if int32(len(t.Partitions)) != n {
				g.requestRejoinLocked(fmt.Sprintf("topic %q now has %d partitions", topic, len(t.Partitions)))
				g.counts = nil
				return
			}
		}
	}
}

// matchPatternLocked re-evaluates a pattern subscription against a
// snapshot; a change of the matched topics asks for a rebalance.
func (g *group) matchPatternLocked(snap *cluster.Snapshot) {
	c := g.c
	names := make([]string, 0, len(snap.Topics))
	for name, t := range snap.Topics {
		if t.Err == nil {
			names = append(names, name)
		}
	}
	matched := matchTopics(c.sub.pattern, names, func(n string) bool { return snap.Topics[n].Internal })
	first := c.sub.snap == nil
	c.sub.snap = snap
	if !slices.Equal(matched, c.sub.topics) {
		c.sub.topics = matched
		if !first {
			c.log.Info("consumer: subscribed pattern matches other topics", slog.String("group", g.id), slog.Any("topics", matched))
		}
		g.requestRejoinLocked("the subscribed pattern matches other topics")
	}
}

// leave revokes (or, without a valid generation, loses) what the member
// holds and leaves the group (Java's onLeavePrepare and maybeLeaveGroup):
// for Close and Unsubscribe. Static members do not send LeaveGroup, so that
// a restart within the session timeout keeps their partitions.
func (g *group) leave(ctx context.Context, reason string) error {
	c := g.c
	var errs firstErr
	c.mu.Lock()
	valid := g.state == stateStable && g.generation >= 0
	owned := c.assignedLocked()
	c.mu.Unlock()
	if len(owned) > 0 {
		if valid {
			_ = c.autoCommitSync(ctx, nil)
			errs.set(c.callListener(ctx, onRevoked, owned))
		} else {
			errs.set(c.callListener(ctx, onLost, owned))
		}
	}
	c.mu.Lock()
	c.removePartitionsLocked(owned)
	memberID := g.memberID
	if g.rb != nil {
		g.rb.cancel()
		g.rb = nil
		g.rbSeq++
	}
	g.state, g.awaitingSync, g.rejoin, g.prepared, g.lost = stateUnjoined, false, false, false, false
	g.generation, g.protocolName, g.leader, g.counts = assignor.DefaultGeneration, "", false, nil
	if g.instanceID == "" {
		g.memberID = ""
	}
	c.mu.Unlock()
	if memberID != "" && g.instanceID == "" {
		g.sendLeave(ctx, memberID, reason)
	}
	return errs.err
}
