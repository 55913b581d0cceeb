package mockbroker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleHeartbeat serves Heartbeat v0-4: a heartbeat of a member of the
// current generation extends its session by its session timeout and is
// answered REBALANCE_IN_PROGRESS while the group prepares a rebalance, so
// that the member rejoins. Errors: INVALID_GROUP_ID, NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE, UNKNOWN_MEMBER_ID (unknown group or member,
// or an empty group), FENCED_INSTANCE_ID (a static member replaced by a
// newer instance), ILLEGAL_GENERATION, or an injected error.
func handleHeartbeat(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.HeartbeatRequest)
	resp := r.ResponseKind().(*kmsg.HeartbeatResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	if e := rc.heartbeatLocked(r); e != nil {
		resp.ErrorCode = e.Code
	}
	return resp, nil
}

func (rc *reqCtx) heartbeatLocked(r *kmsg.HeartbeatRequest) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	if e := rc.groupErrLocked(r.Group, false); e != nil {
		return e
	}
	g := rc.c.groupLocked(r.Group)
	if g == nil {
		return kerr.UnknownMemberID
	}
	if g.fenced(r.InstanceID, r.MemberID) {
		return kerr.FencedInstanceID
	}
	m := g.members[r.MemberID]
	switch {
	case m == nil:
		return kerr.UnknownMemberID
	case r.Generation != g.generation:
		return kerr.IllegalGeneration
	}
	m.expires = time.Now().Add(m.sessionTimeout)
	if g.state == groupPreparingRebalance {
		return kerr.RebalanceInProgress
	}
	return nil
}
