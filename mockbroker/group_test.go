package mockbroker

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
)

// assignedPartitions decodes a consumer-protocol assignment.
func assignedPartitions(t testing.TB, b []byte) []samsa.TopicPartition {
	t.Helper()
	a, _, err := assignor.DecodeAssignment(b)
	require.NoError(t, err)
	var out []samsa.TopicPartition
	for _, tp := range a.Partitions {
		for _, p := range tp.Partitions {
			out = append(out, samsa.TopicPartition{Topic: tp.Topic, Partition: p})
		}
	}
	return out
}

// TestGroupLifecycle drives three members through a whole life:
// MEMBER_ID_REQUIRED, one generation with a leader that sees everyone,
// assignments distributed by SyncGroup, heartbeats, a member leaving and
// the rebalance it causes, and the group emptying.
func TestGroupLifecycle(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 6))
	ms := []*member{newMember(t, c, "g", "t"), newMember(t, c, "g", "t"), newMember(t, c, "g", "t")}
	joinAll(t, ms...)

	leader := ms[0].leader
	for i, m := range ms {
		assert.Equal(t, int32(1), m.gen, "member %d", i)
		assert.Equal(t, leader, m.leader, "member %d agrees on the leader", i)
		assert.Equal(t, "range", m.protocol)
		assert.True(t, strings.HasPrefix(m.id, "mockbroker-test-"), "member ids start with the client id: %s", m.id)
		if m.id == leader {
			require.Len(t, m.members, 3, "the leader sees every member")
			for _, jm := range m.members {
				assert.Equal(t, subscription(t, "t"), jm.ProtocolMetadata)
			}
		} else {
			assert.Empty(t, m.members, "followers see no members")
		}
	}
	state, err := c.GroupState("g")
	require.NoError(t, err)
	assert.Equal(t, "CompletingRebalance", state)

	got := syncAll(t, map[string]int32{"t": 6}, ms...)
	seen := map[samsa.TopicPartition]string{}
	for _, m := range ms {
		parts := assignedPartitions(t, got[m.id])
		assert.Len(t, parts, 2, "range gives each of 3 members 2 of 6 partitions")
		for _, tp := range parts {
			require.Empty(t, seen[tp], "%v assigned twice", tp)
			seen[tp] = m.id
		}
	}
	assert.Len(t, seen, 6)
	waitState(t, c, "g", "Stable")
	gms, err := c.GroupMembers("g")
	require.NoError(t, err)
	require.Len(t, gms, 3)
	for _, gm := range gms {
		require.Contains(t, got, gm.MemberID)
		assert.Equal(t, "mockbroker-test", gm.ClientID)
		assert.Equal(t, "/127.0.0.1", gm.ClientHost)
		assert.Equal(t, []string{"range"}, gm.Protocols)
		assert.Equal(t, assignedPartitions(t, got[gm.MemberID]), gm.Partitions)
		assert.NoError(t, gm.AssignmentErr)
	}
	for _, m := range ms {
		assert.Equal(t, "NONE", codeName(m.heartbeat()))
	}

	// One member leaves: the others are told to rejoin and split its
	// partitions.
	assert.Equal(t, "NONE", codeName(ms[2].leave()))
	waitState(t, c, "g", "PreparingRebalance")
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(ms[0].heartbeat()))
	joinAll(t, ms[0], ms[1])
	assert.Equal(t, int32(2), ms[0].gen)
	got = syncAll(t, map[string]int32{"t": 6}, ms[0], ms[1])
	assert.Len(t, assignedPartitions(t, got[ms[0].id]), 3)
	assert.Len(t, assignedPartitions(t, got[ms[1].id]), 3)
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(ms[2].heartbeat()), "a member that left is unknown")

	// The last members leave: the group is empty, one generation on.
	assert.Equal(t, "NONE", codeName(ms[0].leave()))
	assert.Equal(t, "NONE", codeName(ms[1].leave()))
	waitState(t, c, "g", "Empty")
	gen, err := c.GroupGeneration("g")
	require.NoError(t, err)
	assert.Equal(t, int32(3), gen)
	leaderID, err := c.GroupLeader("g")
	require.NoError(t, err)
	assert.Empty(t, leaderID)
}

// TestGroupJoinVersions runs a one-member join, sync and heartbeat at
// every JoinGroup version: MEMBER_ID_REQUIRED from v4 only.
func TestGroupJoinVersions(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	for v := int16(0); v <= 9; v++ {
		t.Run("v"+itoa(int(v)), func(t *testing.T) {
			group := "versions-" + itoa(int(v))
			m := newMember(t, c, group, "t")
			m.version = v
			first := m.tc.do(m.joinReq()).(*kmsg.JoinGroupResponse)
			if v >= 4 {
				require.Equal(t, kerr.MemberIDRequired.Name, codeName(first.ErrorCode))
				assert.Equal(t, int32(-1), first.Generation)
				m.id = first.MemberID
				first = m.endJoin(m.startJoin())
			} else {
				m.endJoin(asyncDone(first))
			}
			require.Equal(t, "NONE", codeName(first.ErrorCode))
			assert.Equal(t, int32(1), first.Generation)
			assert.Equal(t, first.MemberID, first.LeaderID)
			if v >= 7 {
				require.NotNil(t, first.ProtocolType)
				assert.Equal(t, "consumer", *first.ProtocolType)
			}
			got := syncAll(t, map[string]int32{"t": 2}, m)
			assert.Len(t, assignedPartitions(t, got[m.id]), 2)
			assert.Equal(t, "NONE", codeName(m.heartbeat()))
		})
	}
}

// asyncDone wraps a response already received as an async result.
func asyncDone(resp kmsg.Response) <-chan asyncResult {
	ch := make(chan asyncResult, 1)
	ch <- asyncResult{resp: resp}
	return ch
}

// TestGroupMemberIDRequired checks KIP-394: a member id handed out with
// MEMBER_ID_REQUIRED makes a rebalance wait for its owner, and expires
// after one session timeout if its owner never joins.
func TestGroupMemberIDRequired(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	a := newMember(t, c, "g", "t")
	joinAll(t, a)
	syncAll(t, map[string]int32{"t": 2}, a)

	b := newMember(t, c, "g", "t")
	b.requestID()
	assert.True(t, strings.HasPrefix(b.id, "mockbroker-test-"))
	state, _ := c.GroupState("g")
	assert.Equal(t, "Stable", state, "a member id alone does not rebalance")

	// The leader rejoins: the rebalance waits for the pending member.
	aj := a.startJoin()
	waitState(t, c, "g", "PreparingRebalance")
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(b.heartbeat()), "a pending member id is no member yet")
	assert.True(t, pending(aj), "the rebalance waits for the pending member")
	bj := b.startJoin()
	require.Equal(t, "NONE", codeName(a.endJoin(aj).ErrorCode))
	require.Equal(t, "NONE", codeName(b.endJoin(bj).ErrorCode))
	assert.Equal(t, int32(2), a.gen)
	assert.Len(t, a.members, 2)

	// A member id nobody uses expires after its session timeout.
	x := newMember(t, c, "g", "t")
	x.session = 50 * time.Millisecond
	x.requestID()
	eventually(t, "the pending member id to expire", func() bool { return pendingIDs(c, "g") == 0 })
	resp := x.tc.do(x.joinReq()).(*kmsg.JoinGroupResponse)
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(resp.ErrorCode))

	// Unknown member ids of unknown groups are refused.
	y := newMember(t, c, "nope", "t")
	y.id = "made-up"
	resp = y.tc.do(y.joinReq()).(*kmsg.JoinGroupResponse)
	assert.Equal(t, kerr.UnknownMemberID.Name, codeName(resp.ErrorCode))
	_, err := c.GroupState("nope")
	assert.ErrorIs(t, err, ErrUnknownGroup)
	assert.ErrorIs(t, err, kerr.GroupIDNotFound)
}

// pendingIDs counts the member ids of a group handed out with
// MEMBER_ID_REQUIRED and not used yet.
func pendingIDs(c *Cluster, group string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.groupLocked(group); g != nil {
		return len(g.pending)
	}
	return 0
}
