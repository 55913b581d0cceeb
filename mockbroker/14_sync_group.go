package mockbroker

import (
	"bytes"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleSyncGroup serves SyncGroup v0-5 as Kafka's classic coordinator
// does. After a rebalance, a follower's SyncGroup waits until the leader's
// arrives with the assignments; then every member gets its own (an empty
// one if the leader left it out) and the group is Stable. In a stable
// group SyncGroup returns the member's current assignment. Errors:
// INVALID_GROUP_ID, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION,
// INCONSISTENT_GROUP_PROTOCOL (v5+: a protocol type or name other than the
// group's), REBALANCE_IN_PROGRESS (the group is preparing a rebalance, or
// one started while the request waited), or an injected error.
func handleSyncGroup(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.SyncGroupRequest)
	out, err := lockedAwait(rc, r, rc.syncGroupLocked)
	if err != nil {
		return nil, err
	}
	resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
	resp.MemberAssignment = []byte{}
	if out.err != nil {
		resp.ErrorCode = out.err.Code
		return resp, nil
	}
	resp.ProtocolType = kmsg.StringPtr(out.protocolType)
	resp.Protocol = kmsg.StringPtr(out.protocol)
	if out.assignment != nil {
		resp.MemberAssignment = out.assignment
	}
	return resp, nil
}

// syncGroupLocked handles a SyncGroup: it returns the outcome at once, or
// the channel it arrives on once the leader has synced. c.mu must be held.
func (rc *reqCtx) syncGroupLocked(r *kmsg.SyncGroupRequest) (*syncOutcome, <-chan *syncOutcome) {
	c := rc.c
	fail := func(err *kerr.Error) (*syncOutcome, <-chan *syncOutcome) { return &syncOutcome{err: err}, nil }
	if rc.fault != nil {
		return fail(rc.fault)
	}
	if e := rc.groupErrLocked(r.Group, false); e != nil {
		return fail(e)
	}
	g := c.groupLocked(r.Group)
	if g == nil {
		return fail(kerr.UnknownMemberID)
	}
	if g.fenced(r.InstanceID, r.MemberID) {
		return fail(kerr.FencedInstanceID)
	}
	m := g.members[r.MemberID]
	switch {
	case m == nil:
		return fail(kerr.UnknownMemberID)
	case r.Generation != g.generation:
		return fail(kerr.IllegalGeneration)
	case r.ProtocolType != nil && *r.ProtocolType != g.protocolType,
		r.Protocol != nil && *r.Protocol != g.protocol:
		return fail(kerr.InconsistentGroupProtocol)
	}
	m.expires = time.Now().Add(m.sessionTimeout)
	switch g.state {
	case groupPreparingRebalance:
		return fail(kerr.RebalanceInProgress)
	case groupStable:
		delete(g.pendingSync, m.id)
		return &syncOutcome{assignment: m.assignment, protocolType: g.protocolType, protocol: g.protocol}, nil
	case groupCompletingRebalance:
		m.finishSync(&syncOutcome{err: kerr.RebalanceInProgress}) // a SyncGroup sent again
		ch := make(chan *syncOutcome, 1)
		m.sync = ch
		delete(g.pendingSync, m.id)
		if m.id == g.leader {
			assignments := make(map[string][]byte, len(r.GroupAssignment))
			for _, a := range r.GroupAssignment {
				if g.members[a.MemberID] != nil {
					assignments[a.MemberID] = bytes.Clone(a.MemberAssignment)
				}
			}
			c.completeSyncLocked(g, assignments)
		}
		c.scheduleGroupLocked(g)
		return nil, ch
	}
	return fail(kerr.UnknownMemberID) // Empty: the member cannot exist
}
