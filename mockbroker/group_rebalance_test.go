package mockbroker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// stableGroup makes members join group and sync, with the range assignor
// over topic "t" of 6 partitions.
func stableGroup(t testing.TB, c *Cluster, ms ...*member) {
	t.Helper()
	joinAll(t, ms...)
	// Every SyncGroup answered means the group was Stable.
	syncAll(t, map[string]int32{"t": 6}, ms...)
}

func TestGroupProtocolVote(t *testing.T) {
	tests := []struct {
		name    string
		offers  [][]string
		want    string
		refused int // index of a member refused with INCONSISTENT_GROUP_PROTOCOL, or -1
	}{
		{"common protocol only", [][]string{{"roundrobin", "range"}, {"range", "roundrobin"}, {"range"}}, "range", -1},
		{"majority of first choices", [][]string{{"roundrobin", "range"}, {"roundrobin", "range"}, {"range", "roundrobin"}}, "roundrobin", -1},
		{"tie goes to the first member's choice", [][]string{{"sticky", "range"}, {"range", "sticky"}}, "sticky", -1},
		{"nothing in common", [][]string{{"range"}, {"roundrobin"}}, "range", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewTest(t, WithTopic("t", 6))
			var ms []*member
			for _, names := range tt.offers {
				m := newMember(t, c, "g", "t")
				m.protocols = consumerProtocols(t, names, "t")
				ms = append(ms, m)
			}
			// The first member forms the group alone, so that the
			// others must share a protocol with it; then they join and
			// it rejoins.
			joinAll(t, ms[0])
			syncAll(t, map[string]int32{"t": 6}, ms[0])
			joining := []*member{ms[0]}
			for i, m := range ms[1:] {
				if i+1 == tt.refused {
					resp := m.tc.do(m.joinReq()).(*kmsg.JoinGroupResponse)
					assert.Equal(t, kerr.InconsistentGroupProtocol.Name, codeName(resp.ErrorCode))
					continue
				}
				m.requestID()
				joining = append(joining, m)
			}
			chs := make([]<-chan asyncResult, len(joining))
			for i := len(joining) - 1; i >= 0; i-- {
				chs[i] = joining[i].startJoin()
				if i == len(joining)-1 && i > 0 {
					waitState(t, c, "g", "PreparingRebalance")
				}
			}
			for i, m := range joining {
				require.Equal(t, "NONE", codeName(m.endJoin(chs[i]).ErrorCode))
				assert.Equal(t, tt.want, m.protocol)
			}
		})
	}
}

func TestGroupJoinRefusals(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 1), WithGroupMinSessionTimeout(time.Second), WithGroupMaxSessionTimeout(time.Minute))
	a := newMember(t, c, "g", "t")
	joinAll(t, a)
	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	fresh := groupOn(t, c, coord, "fresh")
	other := func(m *member) *member {
		id, err := c.GroupCoordinator(m.group)
		require.NoError(t, err)
		addr, err := c.Addr(1 - id)
		require.NoError(t, err)
		m.tc = dialClient(t, addr)
		return m
	}
	tests := []struct {
		name  string
		setup func(m *member)
		want  *kerr.Error
	}{
		{"session timeout too short", func(m *member) { m.session = 999 * time.Millisecond }, kerr.InvalidSessionTimeout},
		{"session timeout too long", func(m *member) { m.session = time.Minute + time.Millisecond }, kerr.InvalidSessionTimeout},
		{"negative session timeout", func(m *member) { m.session = -time.Second }, kerr.InvalidSessionTimeout},
		{"another protocol type", func(m *member) { m.protocolType = "connect" }, kerr.InconsistentGroupProtocol},
		{"no protocols", func(m *member) { m.protocols = nil }, kerr.InconsistentGroupProtocol},
		{"empty group id", func(m *member) { m.group = "" }, kerr.InvalidGroupID},
		{"wrong broker", func(m *member) { other(m) }, kerr.NotCoordinator},
		{"unknown member id", func(m *member) { m.id = "nobody" }, kerr.UnknownMemberID},
		{"empty protocol type in a new group", func(m *member) { m.group, m.protocolType = fresh, "" }, kerr.InconsistentGroupProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMember(t, c, "g", "t")
			tt.setup(m)
			resp := m.tc.do(m.joinReq()).(*kmsg.JoinGroupResponse)
			assert.Equal(t, tt.want.Name, codeName(resp.ErrorCode))
			assert.Equal(t, int32(-1), resp.Generation)
		})
	}
	assert.Equal(t, []string{"g"}, c.Groups(), "refused joins create no group")
	gen, err := c.GroupGeneration("g")
	require.NoError(t, err)
	assert.Equal(t, int32(1), gen, "refused joins do not rebalance")
}

// TestGroupRebalanceOnJoin checks that a new member makes a stable group
// rebalance: the others learn it from their heartbeats and the new
// member's JoinGroup waits until they have rejoined.
func TestGroupRebalanceOnJoin(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	a := newMember(t, c, "g", "t")
	stableGroup(t, c, a)

	b := newMember(t, c, "g", "t")
	b.requestID()
	bj := b.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(a.heartbeat()))
	assert.True(t, pending(bj), "the join waits for the old member")
	// Offsets can still be committed with the old generation while the
	// group prepares (an eager consumer commits before it revokes).
	assert.Equal(t, "NONE", codeName(a.commit("t", 0, 5)))

	aj := a.startJoin()
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	require.Equal(t, "NONE", codeName(b.endJoin(bj).ErrorCode))
	assert.Equal(t, int32(2), a.gen)
	assert.Equal(t, a.id, a.leader, "the leader keeps leading")
	got := syncAll(t, map[string]int32{"t": 6}, a, b)
	assert.Len(t, assignedPartitions(t, got[a.id]), 3)
	assert.Len(t, assignedPartitions(t, got[b.id]), 3)

	// A follower rejoining with the same metadata gets the current
	// generation back without a rebalance; with new metadata it rebalances.
	resp := b.endJoin(b.startJoin())
	require.Equal(t, "NONE", codeName(resp.ErrorCode))
	assert.Equal(t, int32(2), resp.Generation)
	state, _ := c.GroupState("g")
	assert.Equal(t, "Stable", state)
	b.protocols = consumerProtocols(t, []string{"range"}, "t", "u")
	bj = b.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	aj = a.startJoin()
	require.Equal(t, "NONE", codeName(b.endJoin(bj).ErrorCode))
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	assert.Equal(t, int32(3), b.gen)
}

// TestGroupSessionExpiry checks that a member that stops heartbeating is
// removed after its session timeout and the others rebalance without it.
func TestGroupSessionExpiry(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	b.session = 100 * time.Millisecond
	stableGroup(t, c, a, b)

	// a keeps heartbeating; b is silent.
	eventually(t, "a to be told to rejoin", func() bool { return a.heartbeat() == kerr.RebalanceInProgress.Code })
	waitMembers(t, c, "g", 1)
	// a rejoins with a short session of its own, and then falls silent
	// too: the group empties.
	a.session = 100 * time.Millisecond
	joinAll(t, a)
	assert.Equal(t, int32(2), a.gen)
	assert.Len(t, a.members, 1)
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(b.heartbeat()))
	waitState(t, c, "g", "Empty")
	gen, err := c.GroupGeneration("g")
	require.NoError(t, err)
	assert.Equal(t, int32(3), gen)
}

// TestGroupRebalanceTimeoutRemovesSilentMember checks that a member that
// keeps heartbeating but does not rejoin is removed when the rebalance
// timeout passes, and the rebalance completes with the others.
func TestGroupRebalanceTimeoutRemovesSilentMember(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	a.rebalance, b.rebalance = 300*time.Millisecond, 300*time.Millisecond
	stableGroup(t, c, a, b)

	n := newMember(t, c, "g", "t")
	n.rebalance = 300 * time.Millisecond
	n.requestID()
	start := time.Now()
	nj := n.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	aj := a.startJoin()
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(b.heartbeat()), "b is alive but does not rejoin")
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	require.Equal(t, "NONE", codeName(n.endJoin(nj).ErrorCode))
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "the join waited for the rebalance timeout")
	assert.Equal(t, int32(2), a.gen)
	leader := a
	if n.id == n.leader {
		leader = n
	}
	assert.Len(t, leader.members, 2, "b is gone")
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(b.heartbeat()))
	waitMembers(t, c, "g", 2)
}

// TestGroupSyncTimeoutRemovesMember checks that a member that does not
// send SyncGroup within the rebalance timeout after the join phase is
// removed, and the group rebalances.
func TestGroupSyncTimeoutRemovesMember(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	a.rebalance, b.rebalance = 200*time.Millisecond, 200*time.Millisecond
	joinAll(t, a, b)
	leader, follower := a, b
	if b.id == b.leader {
		leader, follower = b, a
	}
	resp := await(t, leader.startSync(rangeAssign(t, leader, map[string]int32{"t": 6}))).(*kmsg.SyncGroupResponse)
	require.Equal(t, "NONE", codeName(resp.ErrorCode))
	// The follower never syncs (nor heartbeats): it is removed when the
	// sync phase times out, long before its session would.
	eventually(t, "the leader to be told to rejoin", func() bool { return leader.heartbeat() == kerr.RebalanceInProgress.Code })
	waitMembers(t, c, "g", 1)
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(follower.heartbeat()))
}

func TestGroupSyncGroup(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 6))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	joinAll(t, a, b)
	leader, follower := a, b
	if b.id == b.leader {
		leader, follower = b, a
	}

	// The follower's SyncGroup waits for the leader's.
	fs := follower.startSync(nil)
	assert.Equal(t, "NONE", codeName(leader.heartbeat()), "heartbeats are fine while syncing")
	assert.True(t, pending(fs))
	// The leader's assignment for an unknown member is ignored.
	assignments := rangeAssign(t, leader, map[string]int32{"t": 6})
	assignments["stranger"] = []byte{1, 2, 3}
	ls := leader.startSync(assignments)
	for _, ch := range []<-chan asyncResult{fs, ls} {
		resp := await(t, ch).(*kmsg.SyncGroupResponse)
		require.Equal(t, "NONE", codeName(resp.ErrorCode))
		require.NotNil(t, resp.Protocol)
		assert.Equal(t, "range", *resp.Protocol)
		assert.Len(t, assignedPartitions(t, resp.MemberAssignment), 3)
	}
	// In a stable group SyncGroup returns the current assignment.
	resp := await(t, follower.startSync(nil)).(*kmsg.SyncGroupResponse)
	assert.Equal(t, assignments[follower.id], resp.MemberAssignment)

	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	nope := groupOn(t, c, coord, "nope")
	addr, err := c.Addr(1 - coord)
	require.NoError(t, err)
	wrongBroker := dialClient(t, addr)
	tests := []struct {
		name   string
		change func(r *kmsg.SyncGroupRequest)
		tc     *testClient
		want   *kerr.Error
	}{
		{"stale generation", func(r *kmsg.SyncGroupRequest) { r.Generation-- }, nil, kerr.IllegalGeneration},
		{"unknown member", func(r *kmsg.SyncGroupRequest) { r.MemberID = "nobody" }, nil, kerr.UnknownMemberID},
		{"unknown group", func(r *kmsg.SyncGroupRequest) { r.Group = nope }, nil, kerr.UnknownMemberID},
		{"empty group id", func(r *kmsg.SyncGroupRequest) { r.Group = "" }, nil, kerr.InvalidGroupID},
		{"protocol type", func(r *kmsg.SyncGroupRequest) { r.ProtocolType = kmsg.StringPtr("connect") }, nil, kerr.InconsistentGroupProtocol},
		{"protocol name", func(r *kmsg.SyncGroupRequest) { r.Protocol = kmsg.StringPtr("sticky") }, nil, kerr.InconsistentGroupProtocol},
		{"unknown instance id is not fenced", func(r *kmsg.SyncGroupRequest) { r.InstanceID = kmsg.StringPtr("i") }, nil, nil},
		{"wrong broker", func(r *kmsg.SyncGroupRequest) {}, wrongBroker, kerr.NotCoordinator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := follower.syncReq(nil)
			tt.change(r)
			tc := tt.tc
			if tc == nil {
				tc = follower.tc
			}
			resp := await(t, tc.async(r)).(*kmsg.SyncGroupResponse)
			assert.Equal(t, errName(tt.want), codeName(resp.ErrorCode))
		})
	}

	// A rebalance starting while a follower waits in SyncGroup answers it
	// with REBALANCE_IN_PROGRESS.
	rejoinAll(t, c, a, b)
	fs = follower.startSync(nil)
	eventually(t, "the follower's SyncGroup to arrive", func() bool { return syncWaiters(c, "g") == 1 })
	n := newMember(t, c, "g", "t")
	n.requestID()
	nj := n.startJoin()
	resp = await(t, fs).(*kmsg.SyncGroupResponse)
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(resp.ErrorCode))
	assert.Empty(t, resp.MemberAssignment)
	resp = await(t, follower.tc.async(follower.syncReq(nil))).(*kmsg.SyncGroupResponse)
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(resp.ErrorCode), "SyncGroup while preparing")
	aj, bj := a.startJoin(), b.startJoin()
	for _, j := range []struct {
		m  *member
		ch <-chan asyncResult
	}{{a, aj}, {b, bj}, {n, nj}} {
		require.Equal(t, "NONE", codeName(j.m.endJoin(j.ch).ErrorCode))
		assert.Equal(t, int32(3), j.m.gen)
	}
}

// syncWaiters counts the members of a group with a SyncGroup waiting.
func syncWaiters(c *Cluster, group string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	if g := c.groupLocked(group); g != nil {
		for _, m := range g.members {
			if m.sync != nil {
				n++
			}
		}
	}
	return n
}

func TestGroupHeartbeatErrors(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 6))
	a := newMember(t, c, "g", "t")
	stableGroup(t, c, a)
	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	addr, err := c.Addr(1 - coord)
	require.NoError(t, err)
	wrong := dialClient(t, addr)
	tests := []struct {
		name   string
		change func(r *kmsg.HeartbeatRequest)
		tc     *testClient
		want   *kerr.Error
	}{
		{"ok", func(*kmsg.HeartbeatRequest) {}, nil, nil},
		{"stale generation", func(r *kmsg.HeartbeatRequest) { r.Generation = 0 }, nil, kerr.IllegalGeneration},
		{"unknown member", func(r *kmsg.HeartbeatRequest) { r.MemberID = "x" }, nil, kerr.UnknownMemberID},
		{"unknown group", func(r *kmsg.HeartbeatRequest) { r.Group = groupOn(t, c, coord, "x") }, nil, kerr.UnknownMemberID},
		{"empty group id", func(r *kmsg.HeartbeatRequest) { r.Group = "" }, nil, kerr.InvalidGroupID},
		{"wrong broker", func(*kmsg.HeartbeatRequest) {}, wrong, kerr.NotCoordinator},
	}
	for _, tt := range tests {
		for _, v := range []int16{0, 3, 4} {
			t.Run(tt.name+"/v"+itoa(int(v)), func(t *testing.T) {
				r := kmsg.NewPtrHeartbeatRequest()
				r.SetVersion(v)
				r.Group, r.Generation, r.MemberID = a.group, a.gen, a.id
				tt.change(r)
				tc := tt.tc
				if tc == nil {
					tc = a.tc
				}
				assert.Equal(t, errName(tt.want), codeName(tc.do(r).(*kmsg.HeartbeatResponse).ErrorCode))
			})
		}
	}
	c.InjectError(int16(kmsg.Heartbeat), kerr.CoordinatorLoadInProgress, 1)
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Name, codeName(a.heartbeat()))
	assert.Equal(t, "NONE", codeName(a.heartbeat()))
}

// TestGroupInitialRebalanceDelay checks group.initial.rebalance.delay.ms:
// members joining an empty group within the delay form the first
// generation together, even though the first one had joined alone.
func TestGroupInitialRebalanceDelay(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6), WithGroupInitialRebalanceDelay(150*time.Millisecond))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	a.requestID()
	start := time.Now()
	aj := a.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	assert.True(t, pending(aj), "the first member waits for the delay")
	b.requestID()
	bj := b.startJoin()
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	require.Equal(t, "NONE", codeName(b.endJoin(bj).ErrorCode))
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	assert.Equal(t, int32(1), a.gen, "one generation for both")
	assert.Equal(t, int32(1), b.gen)

	// A stable group rebalances without the delay.
	syncAll(t, map[string]int32{"t": 6}, a, b)
	start = time.Now()
	rejoinAll(t, c, a, b)
	assert.Equal(t, int32(2), a.gen)
	assert.Less(t, time.Since(start), 5*time.Second)
}
