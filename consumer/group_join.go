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
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
)

// run is one rebalance round: JoinGroup until admitted, the leader's
// assignment, SyncGroup. It runs on its own goroutine and touches the
// shared state only through joined and setMemberID. Retriable failures
// (a moved coordinator, a rebalance restarting) are retried here; an
// outcome that needs the listener (a lost generation) or the application
// (a failure) is returned to Poll.
func (g *group) run(ctx context.Context, a joinArgs) rebalanceResult {
	c := g.c
	res := rebalanceResult{seq: a.seq}
	memberID := a.memberID
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			res.err = err
			return res
		}
		if attempt > 0 {
			if err := sleepCtx(ctx, c.cfg.backoff(attempt-1, c.jitter())); err != nil {
				res.err = err
				return res
			}
		}
		conn, err := g.conn(ctx)
		if err != nil {
			c.log.Debug("consumer: group coordinator unavailable", slog.String("group", g.id), slog.Any("error", err))
			continue
		}
		jreq, err := g.joinRequest(a, memberID)
		if err != nil {
			res.err, res.fatal = &GroupError{Group: g.id, Op: "JoinGroup", Err: err}, true
			return res
		}
		c.met.joinTotal()
		resp, err := conn.Do(ctx, jreq)
		if err != nil {
			c.met.joinFailed()
			g.dropConn(conn, err)
			continue
		}
		jresp, ok := resp.(*kmsg.JoinGroupResponse)
		if !ok {
			c.met.joinFailed()
			continue
		}
		if code := jresp.ErrorCode; code != 0 {
			c.met.joinFailed()
			err := kerr.ForCode(code)
			switch {
			case errors.Is(err, kerr.MemberIDRequired):
				// KIP-394: join again at once with the id the
				// coordinator assigned.
				memberID = jresp.MemberID
				g.setMemberID(a.seq, memberID)
				attempt = -1
			case errors.Is(err, kerr.UnknownMemberID):
				memberID = ""
				g.setMemberID(a.seq, "")
				attempt = -1
			case errors.Is(err, kerr.RebalanceInProgress):
				attempt = 0
			case errors.Is(err, kerr.NotCoordinator), errors.Is(err, kerr.CoordinatorNotAvailable):
				g.dropConn(conn, err)
			case errors.Is(err, kerr.CoordinatorLoadInProgress):
			case errors.Is(err, kerr.FencedInstanceID):
				res.err, res.fatal = &FencedInstanceError{Group: g.id, InstanceID: g.instanceID}, true
				return res
			default:
				res.err = &GroupError{Group: g.id, Op: "JoinGroup", Err: err}
				return res
			}
			continue
		}
		if jresp.Protocol == nil || (jresp.ProtocolType != nil && *jresp.ProtocolType != assignor.ProtocolType) {
			res.err = &GroupError{Group: g.id, Op: "JoinGroup", Err: fmt.Errorf("%w: the coordinator chose no consumer protocol", kerr.InconsistentGroupProtocol)}
			return res
		}
		protocol := *jresp.Protocol
		memberID = jresp.MemberID
		leader := jresp.LeaderID == memberID
		if !g.joined(a.seq, jresp.Generation, memberID, protocol, leader) {
			res.err = context.Canceled
			return res
		}
		var assignments []kmsg.SyncGroupRequestGroupAssignment
		if leader && !jresp.SkipAssignment {
			if assignments, err = g.assign(ctx, protocol, jresp.Members); err != nil {
				res.err = &GroupError{Group: g.id, Op: "assign", Err: err}
				return res
			}
		}
		sreq := kmsg.NewPtrSyncGroupRequest()
		sreq.Group, sreq.Generation, sreq.MemberID, sreq.InstanceID = g.id, jresp.Generation, memberID, g.instanceIDPtr()
		pt := assignor.ProtocolType
		sreq.ProtocolType, sreq.Protocol = &pt, &protocol
		sreq.GroupAssignment = assignments
		c.met.syncTotal()
		resp, err = conn.Do(ctx, sreq)
		if err != nil {
			c.met.syncFailed()
			g.dropConn(conn, err)
			continue
		}
		sresp, ok := resp.(*kmsg.SyncGroupResponse)
		if !ok {
			c.met.syncFailed()
			continue
		}
		if code := sresp.ErrorCode; code != 0 {
			c.met.syncFailed()
			err := kerr.ForCode(code)
			switch {
			case errors.Is(err, kerr.RebalanceInProgress):
				attempt = -1 // join again, keeping the member id
			case errors.Is(err, kerr.UnknownMemberID):
				res.reset, res.resetMember = true, true
				return res
			case errors.Is(err, kerr.IllegalGeneration):
				res.reset = true
				return res
			case errors.Is(err, kerr.NotCoordinator), errors.Is(err, kerr.CoordinatorNotAvailable):
				g.dropConn(conn, err)
			case errors.Is(err, kerr.FencedInstanceID):
				res.err, res.fatal = &FencedInstanceError{Group: g.id, InstanceID: g.instanceID}, true
				return res
			default:
				res.err = &GroupError{Group: g.id, Op: "SyncGroup", Err: err}
				return res
			}
			continue
		}
		res.assignment = sresp.MemberAssignment
		return res
	}
}

// joinRequest builds a JoinGroup offering every configured assignor, each
// with a v3 subscription (owned partitions and their generation under the
// cooperative protocol, none under eager).
func (g *group) joinRequest(a joinArgs, memberID string) (*kmsg.JoinGroupRequest, error) {
	c := g.c
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group = g.id
	req.SessionTimeoutMillis = int32(c.cfg.sessionTimeout / time.Millisecond)
	req.RebalanceTimeoutMillis = int32(c.cfg.maxPollInterval / time.Millisecond)
	req.MemberID = memberID
	req.InstanceID = g.instanceIDPtr()
	req.ProtocolType = assignor.ProtocolType
	reason := a.reason
	req.Reason = &reason
	owned := groupByTopic(a.owned)
	generation := a.generation
	if len(owned) == 0 {
		generation = assignor.DefaultGeneration
	}
	for _, as := range c.cfg.assignors {
		sub := assignor.Subscription{
			Topics:          a.topics,
			OwnedPartitions: owned,
			GenerationID:    generation,
			RackID:          c.cfg.rack,
		}
		sub.UserData = as.SubscriptionUserData(a.topics, owned, generation)
		meta, err := assignor.EncodeSubscription(sub, assignor.MaxSubscriptionVersion)
		if err != nil {
			return nil, err
		}
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = as.Name(), meta
		req.Protocols = append(req.Protocols, p)
	}
	return req, nil
}

// assign runs on the leader: it decodes every member's subscription,
// refreshes the metadata of every subscribed topic, runs the assignor the
// coordinator chose and encodes an assignment for every member.
func (g *group) assign(ctx context.Context, protocol string, members []kmsg.JoinGroupResponseMember) ([]kmsg.SyncGroupRequestGroupAssignment, error) {
	c := g.c
	var as assignor.Assignor
	for _, a := range c.cfg.assignors {
		if a.Name() == protocol {
			as = a
		}
	}
	if as == nil {
		return nil, fmt.Errorf("%w: the coordinator chose assignor %q, which this member does not offer", kerr.InconsistentGroupProtocol, protocol)
	}
	in := make([]assignor.Member, 0, len(members))
	var topics []string
	for _, m := range members {
		sub, _, err := assignor.DecodeSubscription(m.ProtocolMetadata)
		if err != nil {
			return nil, fmt.Errorf("subscription of member %s: %w", m.MemberID, err)
		}
		mem := assignor.Member{MemberID: m.MemberID, Subscription: sub}
		if m.InstanceID != nil {
			mem.GroupInstanceID = *m.InstanceID
		}
		in = append(in, mem)
		topics = append(topics, sub.Topics...)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	snap, err := c.cl.Refresh(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata of the subscribed topics: %w", err)
	}
	counts := make(map[string]int32, len(topics))
	for _, t := range topics {
		if mt := snap.Topics[t]; mt != nil && mt.Err == nil && len(mt.Partitions) > 0 {
			counts[t] = int32(len(mt.Partitions))
		}
	}
	result, err := as.Assign(counts, in)
	if err != nil {
		return nil, err
	}
	if g.protocol == assignor.Cooperative && as.Name() != assignor.CooperativeSticky().Name() {
		if err := validateCooperative(in, result); err != nil {
			return nil, err
		}
	}
	out := make([]kmsg.SyncGroupRequestGroupAssignment, 0, len(in))
	for _, m := range in {
		b, err := assignor.EncodeAssignment(result[m.MemberID], assignor.MaxAssignmentVersion)
		if err != nil {
			return nil, fmt.Errorf("assignment of member %s: %w", m.MemberID, err)
		}
		sa := kmsg.NewSyncGroupRequestGroupAssignment()
		sa.MemberID, sa.MemberAssignment = m.MemberID, b
		out = append(out, sa)
	}
	c.mu.Lock()
	g.counts = counts
	c.mu.Unlock()
	return out, nil
}

// conn returns the connection JoinGroup and SyncGroup go over: a dedicated
// one to the coordinator whose request timeout covers the rebalance
// timeout, since the coordinator holds JoinGroup until every member joined.
func (g *group) conn(ctx context.Context) (*wire.Conn, error) {
	c := g.c
	lctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
	defer cancel()
	pooled, _, err := c.cl.Coordinator(lctx, cluster.GroupCoordinator, g.id)
	if err != nil {
		return nil, err
	}
	addr := pooled.Addr()
	g.joinMu.Lock()
	defer g.joinMu.Unlock()
	if jc := g.joinConn; jc != nil {
		if jc.Err() == nil && jc.Addr() == addr {
			return jc, nil
		}
		jc.Close()
		g.joinConn = nil
	}
	o := c.wireOpts
	o.RequestTimeout = max(c.cfg.requestTimeout, c.cfg.maxPollInterval+5*time.Second)
	jc, err := wire.Dial(lctx, addr, o)
	if err != nil {
		return nil, err
	}
	g.joinConn = jc
	return jc, nil
}

// dropConn forgets a join connection that failed, and the coordinator if
// the failure says it moved.
func (g *group) dropConn(conn *wire.Conn, err error) {
	g.c.coordinatorError(err)
	if errors.Is(err, kerr.NotCoordinator) || errors.Is(err, kerr.CoordinatorNotAvailable) || conn.Err() != nil {
		g.joinMu.Lock()
		if g.joinConn == conn {
			g.joinConn = nil
		}
		g.joinMu.Unlock()
		conn.Close()
	}
}

// closeConn closes the join connection, for Close.
func (g *group) closeConn() {
	g.joinMu.Lock()
	jc := g.joinConn
	g.joinConn = nil
	g.joinMu.Unlock()
	if jc != nil {
		jc.Close()
	}
}

// groupByTopic converts partitions to the per-topic form of the consumer
// protocol, topics and partitions sorted.
func groupByTopic(tps []samsa.TopicPartition) []assignor.TopicPartitions {
	if len(tps) == 0 {
		return nil
	}
	tps = slices.Clone(tps)
	sortTPs(tps)
	var out []assignor.TopicPartitions
	for _, tp := range tps {
		if n := len(out); n == 0 || out[n-1].Topic != tp.Topic {
			out = append(out, assignor.TopicPartitions{Topic: tp.Topic})
		}
		last := &out[len(out)-1]
		last.Partitions = append(last.Partitions, tp.Partition)
	}
	return out
}
