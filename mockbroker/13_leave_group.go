package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleLeaveGroup serves LeaveGroup v0-5: one member (v0-2) or a batch
// (v3+, with a result per member) leaves, and the group rebalances. A
// member is named by its member id, or, to remove a static member
// administratively (KIP-345), by its instance id with an empty member id;
// a member id handed out with MEMBER_ID_REQUIRED and not used yet may
// leave too. Per-member errors: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (the
// instance id belongs to another member id). Group errors (top level):
// INVALID_GROUP_ID, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, or an
// injected error. Before v3 the one member's error is the top-level error.
func handleLeaveGroup(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.LeaveGroupRequest)
	resp := r.ResponseKind().(*kmsg.LeaveGroupResponse)
	leaving := r.Members
	if r.Version < 3 {
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = r.MemberID
		leaving = []kmsg.LeaveGroupRequestMember{m}
	}
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	e := rc.fault
	if e == nil {
		e = rc.groupErrLocked(r.Group, false)
	}
	if e != nil {
		resp.ErrorCode = e.Code
		return resp, nil
	}
	g := rc.c.groupLocked(r.Group)
	for _, lm := range leaving {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = lm.MemberID, lm.InstanceID
		if e := rc.leaveLocked(g, lm); e != nil {
			rm.ErrorCode = e.Code
			if r.Version < 3 && resp.ErrorCode == 0 {
				resp.ErrorCode = e.Code
			}
		}
		resp.Members = append(resp.Members, rm)
	}
	if g != nil {
		rc.c.scheduleGroupLocked(g)
	}
	return resp, nil
}

// leaveLocked removes one leaving member. c.mu must be held.
func (rc *reqCtx) leaveLocked(g *group, lm kmsg.LeaveGroupRequestMember) *kerr.Error {
	c := rc.c
	if g == nil {
		return kerr.UnknownMemberID
	}
	reason := "left the group"
	if lm.Reason != nil {
		reason += ": " + *lm.Reason
	}
	if lm.MemberID == "" {
		if lm.InstanceID == nil {
			return kerr.UnknownMemberID
		}
		m := g.members[g.static[*lm.InstanceID]]
		if m == nil {
			return kerr.UnknownMemberID
		}
		c.removeMemberLocked(g, m, "static member removed by instance id")
		return nil
	}
	if _, ok := g.pending[lm.MemberID]; ok {
		delete(g.pending, lm.MemberID)
		c.maybeCompleteJoinLocked(g)
		return nil
	}
	if g.fenced(lm.InstanceID, lm.MemberID) {
		return kerr.FencedInstanceID
	}
	m := g.members[lm.MemberID]
	if m == nil {
		return kerr.UnknownMemberID
	}
	c.removeMemberLocked(g, m, reason)
	return nil
}
