package mockbroker

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// staticMember is a member with a group.instance.id.
func staticMember(t testing.TB, c *Cluster, group, instance string, topics ...string) *member {
	m := newMember(t, c, group, topics...)
	m.instance = kmsg.StringPtr(instance)
	return m
}

// restart is what a static member's process restart looks like: a new
// connection, no member id, the same instance id.
func (m *member) restart(t testing.TB, c *Cluster) *member {
	n := staticMember(t, c, m.group, *m.instance, "t")
	n.protocols = m.protocols
	return n
}

// TestGroupStaticRejoin checks KIP-345: a static member that restarts
// gets a new member id and its old assignment without a rebalance, and
// its old member id is fenced.
func TestGroupStaticRejoin(t *testing.T) {
	// Static members get no MEMBER_ID_REQUIRED that would hold the first
	// rebalance for both; the initial delay does.
	c := NewTest(t, WithTopic("t", 6), WithGroupInitialRebalanceDelay(100*time.Millisecond))
	a, b := staticMember(t, c, "g", "a", "t"), staticMember(t, c, "g", "b", "t")
	joinAll(t, a, b) // static members get no MEMBER_ID_REQUIRED
	assert.True(t, strings.HasPrefix(a.id, "a-"), "a static member's id starts with its instance id: %s", a.id)
	if a.id != a.leader {
		a, b = b, a // make a the leader
	}
	got := syncAll(t, map[string]int32{"t": 6}, a, b)

	// The follower restarts.
	b2 := b.restart(t, c)
	resp := b2.endJoin(b2.startJoin())
	require.Equal(t, "NONE", codeName(resp.ErrorCode), "answered at once, without a rebalance")
	assert.NotEqual(t, b.id, b2.id)
	assert.Equal(t, int32(1), b2.gen, "same generation")
	assert.Equal(t, a.id, resp.LeaderID)
	assert.Empty(t, resp.Members)
	assert.False(t, resp.SkipAssignment)
	state, _ := c.GroupState("g")
	assert.Equal(t, "Stable", state)
	sresp := await(t, b2.startSync(nil)).(*kmsg.SyncGroupResponse)
	require.Equal(t, "NONE", codeName(sresp.ErrorCode))
	assert.Equal(t, got[b.id], sresp.MemberAssignment, "the assignment survives the restart")
	assert.Equal(t, "NONE", codeName(b2.heartbeat()))

	// Everything the old instance sends is fenced.
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(b.heartbeat()))
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(await(t, b.startSync(nil)).(*kmsg.SyncGroupResponse).ErrorCode))
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(b.commit("t", 0, 1)))
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(b.endJoin(b.startJoin()).ErrorCode))
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(b.leave()))
	assert.Equal(t, "NONE", codeName(b2.commit("t", 0, 1)))

	// The leader restarts: it gets the members with SkipAssignment (v9).
	a2 := a.restart(t, c)
	resp = a2.endJoin(a2.startJoin())
	require.Equal(t, "NONE", codeName(resp.ErrorCode))
	assert.Equal(t, a2.id, resp.LeaderID, "the new member id leads")
	assert.True(t, resp.SkipAssignment)
	assert.Len(t, resp.Members, 2)
	gen, _ := c.GroupGeneration("g")
	assert.Equal(t, int32(1), gen)
	members, err := c.GroupMembers("g")
	require.NoError(t, err)
	var ids []string
	for _, m := range members {
		ids = append(ids, m.MemberID+"/"+m.InstanceID)
	}
	assert.ElementsMatch(t, []string{a2.id + "/" + *a2.instance, b2.id + "/" + *b2.instance}, ids)

	// A restart with a protocol the group would switch to rebalances.
	require.Equal(t, kerr.FencedInstanceID.Name, codeName(a.endJoin(a.startJoin()).ErrorCode), "the old leader is fenced too")
	a2.protocols = consumerProtocols(t, []string{"range", "roundrobin"}, "t")
	b2.protocols = a2.protocols
	rejoinAll(t, c, a2, b2)
	syncAll(t, map[string]int32{"t": 6}, a2, b2)
	assert.Equal(t, "range", a2.protocol)
	b3 := b2.restart(t, c)
	b3.protocols = consumerProtocols(t, []string{"roundrobin"}, "t")
	bj := b3.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	aj := a2.startJoin()
	require.Equal(t, "NONE", codeName(b3.endJoin(bj).ErrorCode))
	require.Equal(t, "NONE", codeName(a2.endJoin(aj).ErrorCode))
	assert.Equal(t, "roundrobin", b3.protocol)
	assert.Equal(t, int32(3), b3.gen)
}

// TestGroupStaticLeave checks that a static member that does not rejoin a
// rebalance stays in the new generation (it is only removed when its
// session or the sync phase times out), that static members can be
// removed by instance id (KIP-345's admin removal), and that a wrong member
// id for an instance is fenced.
func TestGroupStaticLeave(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6), WithGroupInitialRebalanceDelay(100*time.Millisecond))
	a, b := staticMember(t, c, "g", "a", "t"), staticMember(t, c, "g", "b", "t")
	a.rebalance, b.rebalance = 200*time.Millisecond, 200*time.Millisecond
	stableGroup(t, c, a, b)

	// a rejoins with new metadata; b does not rejoin.
	a.protocols = consumerProtocols(t, []string{"range"}, "t", "u")
	start := time.Now()
	require.Equal(t, "NONE", codeName(a.endJoin(a.startJoin()).ErrorCode))
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "the join waited for the rebalance timeout")
	assert.Equal(t, a.id, a.leader, "leadership moves to a member that rejoined")
	assert.Len(t, a.members, 2, "the silent static member stays in the generation")
	syncAll(t, map[string]int32{"t": 6, "u": 1}, a)
	waitMembers(t, c, "g", 1) // b never synced
	joinAll(t, a)
	syncAll(t, map[string]int32{"t": 6, "u": 1}, a)

	// Leaving by instance id, with the member id of another instance.
	c2 := staticMember(t, c, "g", "c", "t")
	c2.rebalance = time.Second
	cj := c2.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	aj := a.startJoin()
	require.Equal(t, "NONE", codeName(c2.endJoin(cj).ErrorCode))
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	syncAll(t, map[string]int32{"t": 6, "u": 1}, a, c2)
	r := kmsg.NewPtrLeaveGroupRequest()
	r.SetVersion(3)
	r.Group = "g"
	wrong := kmsg.NewLeaveGroupRequestMember()
	wrong.MemberID, wrong.InstanceID = a.id, kmsg.StringPtr("c")
	byInstance := kmsg.NewLeaveGroupRequestMember()
	byInstance.InstanceID = kmsg.StringPtr("c")
	unknown := kmsg.NewLeaveGroupRequestMember()
	unknown.InstanceID = kmsg.StringPtr("zzz")
	r.Members = []kmsg.LeaveGroupRequestMember{wrong, byInstance, unknown}
	resp := a.tc.do(r).(*kmsg.LeaveGroupResponse)
	require.Zero(t, resp.ErrorCode)
	require.Len(t, resp.Members, 3)
	assert.Equal(t, kerr.FencedInstanceID.Name, codeName(resp.Members[0].ErrorCode))
	assert.Equal(t, "NONE", codeName(resp.Members[1].ErrorCode))
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(resp.Members[2].ErrorCode))
	waitMembers(t, c, "g", 1)
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(a.heartbeat()))
}

func TestGroupLeaveGroupVersions(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	for v := int16(0); v <= 5; v++ {
		t.Run("v"+itoa(int(v)), func(t *testing.T) {
			group := "leave-" + itoa(int(v))
			a := newMember(t, c, group, "t")
			stableGroup(t, c, a)
			r := kmsg.NewPtrLeaveGroupRequest()
			r.SetVersion(v)
			r.Group = group
			if v < 3 {
				r.MemberID = "nobody"
				resp := a.tc.do(r).(*kmsg.LeaveGroupResponse)
				assert.Equal(t, kerr.UnknownMemberID.Name, codeName(resp.ErrorCode), "before v3 the member's error is the response's")
				r.MemberID = a.id
				resp = a.tc.do(r).(*kmsg.LeaveGroupResponse)
				assert.Equal(t, "NONE", codeName(resp.ErrorCode))
			} else {
				lm := kmsg.NewLeaveGroupRequestMember()
				lm.MemberID = a.id
				other := kmsg.NewLeaveGroupRequestMember()
				other.MemberID = "nobody"
				r.Members = []kmsg.LeaveGroupRequestMember{lm, other}
				resp := a.tc.do(r).(*kmsg.LeaveGroupResponse)
				assert.Equal(t, "NONE", codeName(resp.ErrorCode))
				require.Len(t, resp.Members, 2)
				assert.Equal(t, "NONE", codeName(resp.Members[0].ErrorCode))
				assert.Equal(t, kerr.UnknownMemberID.Name, codeName(resp.Members[1].ErrorCode))
			}
			waitState(t, c, group, "Empty")
		})
	}

	// A pending member id can leave; an unknown group answers per member.
	p := newMember(t, c, "leave-pending", "t")
	p.requestID()
	assert.Equal(t, "NONE", codeName(p.leave()))
	assert.Zero(t, pendingIDs(c, "leave-pending"))
	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	n := newMember(t, c, groupOn(t, c, coord, "leave-none"), "t")
	n.id = "x"
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(n.leave()))
}
