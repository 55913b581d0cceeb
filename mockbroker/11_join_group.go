package mockbroker

import (
	"bytes"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// joinRequest is a JoinGroup as the coordinator needs it.
type joinRequest struct {
	version            int16
	memberID           string
	instanceID         string
	static             bool
	clientID, host     string
	session, rebalance time.Duration
	protocolType       string
	protocols          []groupProtocol
}

// handleJoinGroup serves JoinGroup v0-9 as Kafka's classic group
// coordinator does. A new dynamic member gets MEMBER_ID_REQUIRED and a
// member id from v4 (KIP-394) and joins when it comes back with it; a
// static member (group.instance.id, v5+, KIP-345) that rejoins replaces
// its old member id, which is fenced, and rejoins a stable group without a
// rebalance as long as the group's protocol stays the same. The response
// waits until every member has joined or the rebalance timeout has passed
// (members that did not rejoin are removed), then the leader gets every
// member's metadata for the protocol the members voted for; followers get
// none. Errors: INVALID_GROUP_ID, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// INVALID_SESSION_TIMEOUT (outside the configured bounds),
// INCONSISTENT_GROUP_PROTOCOL (another protocol type, or no protocol in
// common with the members), UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, or an
// injected error.
func handleJoinGroup(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.JoinGroupRequest)
	out, err := lockedAwait(rc, r, rc.joinGroupLocked)
	if err != nil {
		return nil, err
	}
	resp := r.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.MemberID = out.memberID
	resp.Generation = out.generation
	if out.err != nil {
		resp.ErrorCode = out.err.Code
		return resp, nil
	}
	resp.ProtocolType = kmsg.StringPtr(out.protocolType)
	resp.Protocol = kmsg.StringPtr(out.protocol)
	resp.LeaderID = out.leader
	resp.SkipAssignment = out.skipAssignment
	resp.Members = out.members
	return resp, nil
}

// joinGroupLocked handles a JoinGroup: it returns the outcome at once, or
// the channel the outcome arrives on when the rebalance goes on. c.mu must
// be held.
func (rc *reqCtx) joinGroupLocked(r *kmsg.JoinGroupRequest) (*joinOutcome, <-chan *joinOutcome) {
	c := rc.c
	if rc.fault != nil {
		return joinFailure(rc.fault, r.MemberID), nil
	}
	if e := rc.groupErrLocked(r.Group, false); e != nil {
		return joinFailure(e, r.MemberID), nil
	}
	session := time.Duration(r.SessionTimeoutMillis) * time.Millisecond
	if session < c.cfg.groups.minSession || session > c.cfg.groups.maxSession {
		return joinFailure(kerr.InvalidSessionTimeout, r.MemberID), nil
	}
	// v0 has no rebalance timeout: the session timeout serves for both.
	rebalance := session
	if r.Version >= 1 && r.RebalanceTimeoutMillis >= 0 {
		rebalance = time.Duration(r.RebalanceTimeoutMillis) * time.Millisecond
	}
	j := &joinRequest{
		version:      r.Version,
		memberID:     r.MemberID,
		clientID:     rc.clientID(),
		host:         rc.clientHost(),
		session:      session,
		rebalance:    rebalance,
		protocolType: r.ProtocolType,
	}
	if r.InstanceID != nil {
		j.instanceID, j.static = *r.InstanceID, true
	}
	for _, p := range r.Protocols {
		j.protocols = append(j.protocols, groupProtocol{name: p.Name, metadata: bytes.Clone(p.Metadata)})
	}

	g := c.groupLocked(r.Group)
	isNew := g == nil
	if isNew {
		if r.MemberID != "" {
			return joinFailure(kerr.UnknownMemberID, r.MemberID), nil
		}
		g = newGroup(r.Group)
	}
	var out *joinOutcome
	var wait <-chan *joinOutcome
	switch {
	case !g.supportsProtocols(j.protocolType, j.protocols):
		out = joinFailure(kerr.InconsistentGroupProtocol, r.MemberID)
	case j.memberID == "":
		out, wait = c.joinNewMemberLocked(g, j)
	default:
		out, wait = c.joinKnownMemberLocked(g, j)
	}
	c.maybeCompleteJoinLocked(g)
	if isNew && (len(g.members) > 0 || len(g.pending) > 0) {
		c.addGroupLocked(g)
	}
	c.scheduleGroupLocked(g)
	return out, wait
}

// joinNewMemberLocked handles a JoinGroup without a member id. c.mu must
// be held.
func (c *Cluster) joinNewMemberLocked(g *group, j *joinRequest) (*joinOutcome, <-chan *joinOutcome) {
	if j.static {
		id := newMemberID(j.instanceID)
		if m := g.members[g.static[j.instanceID]]; m != nil {
			return c.rejoinStaticLocked(g, m, id, j)
		}
		return nil, c.addMemberLocked(g, id, j)
	}
	id := newMemberID(j.clientID)
	if j.version >= 4 {
		g.pending[id] = time.Now().Add(j.session)
		return joinFailure(kerr.MemberIDRequired, id), nil
	}
	return nil, c.addMemberLocked(g, id, j)
}

// addMemberLocked adds a joining member and makes the group rebalance.
// c.mu must be held.
func (c *Cluster) addMemberLocked(g *group, id string, j *joinRequest) <-chan *joinOutcome {
	m := &groupMember{
		id:               id,
		instanceID:       j.instanceID,
		static:           j.static,
		clientID:         j.clientID,
		clientHost:       j.host,
		sessionTimeout:   j.session,
		rebalanceTimeout: j.rebalance,
		protocolType:     j.protocolType,
		protocols:        j.protocols,
		expires:          time.Now().Add(j.session),
	}
	ch := m.awaitJoin()
	if g.state == groupPreparingRebalance && !g.delayUntil.IsZero() {
		g.newMemberAdded = true
	}
	g.addMember(m)
	c.maybePrepareRebalanceLocked(g, "member "+id+" joined")
	return ch
}

// joinKnownMemberLocked handles a JoinGroup with a member id: a member id
// handed out with MEMBER_ID_REQUIRED joins now; a member rejoining a stable
// group starts a rebalance if it leads or its protocols changed, and
// otherwise just gets the current generation back. c.mu must be held.
func (c *Cluster) joinKnownMemberLocked(g *group, j *joinRequest) (*joinOutcome, <-chan *joinOutcome) {
	if _, ok := g.pending[j.memberID]; ok {
		delete(g.pending, j.memberID)
		if j.static {
			// Kafka never hands out a pending id to a static member; a
			// client presenting one with an instance id is confused
			// and starts over.
			return joinFailure(kerr.UnknownMemberID, j.memberID), nil
		}
		return nil, c.addMemberLocked(g, j.memberID, j)
	}
	var instanceID *string
	if j.static {
		instanceID = &j.instanceID
	}
	if g.fenced(instanceID, j.memberID) {
		return joinFailure(kerr.FencedInstanceID, j.memberID), nil
	}
	m := g.members[j.memberID]
	if m == nil || j.static && g.static[j.instanceID] == "" {
		return joinFailure(kerr.UnknownMemberID, j.memberID), nil
	}
	m.expires = time.Now().Add(j.session)
	switch g.state {
	case groupPreparingRebalance:
		m.update(j)
		return nil, m.awaitJoin()
	case groupCompletingRebalance:
		if m.matches(j.protocols) {
			// The member missed its JoinGroup response: resend it.
			return g.currentJoin(m, m.id == g.leader), nil
		}
		m.update(j)
		ch := m.awaitJoin()
		c.prepareRebalanceLocked(g, "member "+m.id+" rejoined with new metadata")
		return nil, ch
	case groupStable:
		if m.id != g.leader && m.matches(j.protocols) {
			return g.currentJoin(m, false), nil
		}
		// A leader's rejoin rebalances so that it can reassign after
		// changes members cannot see (topic metadata, for consumers).
		m.update(j)
		ch := m.awaitJoin()
		c.prepareRebalanceLocked(g, "member "+m.id+" rejoined")
		return nil, ch
	}
	return joinFailure(kerr.UnknownMemberID, j.memberID), nil
}

// rejoinStaticLocked handles a static member joining without a member id
// while its instance id is known: it gets a new member id and the old one
// is fenced. A stable group whose chosen protocol would stay the same
// does not rebalance: the member gets the current generation (the leader
// with every member and SkipAssignment, v9+, KIP-814) and its assignment
// from SyncGroup. c.mu must be held.
func (c *Cluster) rejoinStaticLocked(g *group, m *groupMember, id string, j *joinRequest) (*joinOutcome, <-chan *joinOutcome) {
	old := m.id
	g.replaceStatic(m, id)
	m.clientID, m.clientHost = j.clientID, j.host
	m.update(j)
	m.expires = time.Now().Add(j.session)
	c.log.Info("static group member rejoined", "group", g.id, "instance", m.instanceID, "old_member", old, "member", id)
	switch g.state {
	case groupStable:
		if g.selectProtocol() == g.protocol {
			leader := m.id == g.leader
			out := g.currentJoin(m, leader)
			out.skipAssignment = leader
			return out, nil
		}
		ch := m.awaitJoin()
		c.prepareRebalanceLocked(g, "static member "+id+" rejoined with a protocol change")
		return nil, ch
	case groupCompletingRebalance:
		// The leader may already be assigning for the old member id.
		ch := m.awaitJoin()
		c.prepareRebalanceLocked(g, "static member "+id+" rejoined during the sync phase")
		return nil, ch
	}
	return nil, m.awaitJoin()
}
