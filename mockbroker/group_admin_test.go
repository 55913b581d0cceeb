package mockbroker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// TestCoordinatorPartition checks the placement of keys against Java's
// String.hashCode computed independently (Utils.abs(hash) % 50), including
// non-ASCII keys and the key whose hash is Integer.MIN_VALUE.
func TestCoordinatorPartition(t *testing.T) {
	tests := []struct {
		key  string
		hash int32
		part int
	}{
		{"g", 103, 3},
		{"my-group", -1906497762, 12},
		{"console-consumer-12345", 158455506, 6},
		{"orders-service", 23943117, 17},
		{"été", 227742, 42},
		{"gr\U0001F600up", 462876329, 29},
		{"polygenelubricants", -2147483648, 0},
		{"", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			assert.Equal(t, tt.hash, javaStringHash(tt.key))
			assert.Equal(t, tt.part, coordinatorPartition(tt.key))
		})
	}
}

func TestFindCoordinator(t *testing.T) {
	c := NewTest(t, WithBrokers(4))
	tc := dialClient(t, c.Addrs()[0])
	keys := []string{"g", "my-group", "console-consumer-12345", "orders-service", "polygenelubricants"}
	// Partition p's replicas are brokers p%4, p%4+1, p%4+2.
	want := map[string]int32{"g": 3, "my-group": 0, "console-consumer-12345": 2, "orders-service": 1, "polygenelubricants": 0}
	for v := int16(0); v <= 6; v++ {
		t.Run("v"+itoa(int(v)), func(t *testing.T) {
			for _, keyType := range []int8{0, 1} {
				if v == 0 && keyType == 1 {
					continue
				}
				r := kmsg.NewPtrFindCoordinatorRequest()
				r.SetVersion(v)
				r.CoordinatorType = keyType
				if v >= 4 {
					r.CoordinatorKeys = keys
					resp := tc.do(r).(*kmsg.FindCoordinatorResponse)
					require.Len(t, resp.Coordinators, len(keys))
					for i, co := range resp.Coordinators {
						assert.Equal(t, keys[i], co.Key)
						assert.Zero(t, co.ErrorCode)
						assert.Equal(t, want[co.Key], co.NodeID, co.Key)
						addr, _ := c.Addr(co.NodeID)
						assert.Equal(t, addr, co.Host+":"+itoa(int(co.Port)))
					}
					continue
				}
				for _, key := range keys {
					r.CoordinatorKey = key
					resp := tc.do(r).(*kmsg.FindCoordinatorResponse)
					assert.Zero(t, resp.ErrorCode)
					assert.Equal(t, want[key], resp.NodeID, key)
					addr, _ := c.Addr(resp.NodeID)
					assert.Equal(t, addr, resp.Host+":"+itoa(int(resp.Port)))
				}
			}
		})
	}
	for key, b := range want {
		got, err := c.GroupCoordinator(key)
		require.NoError(t, err)
		assert.Equal(t, b, got, key)
	}

	// An unknown key type is an invalid request.
	r := kmsg.NewPtrFindCoordinatorRequest()
	r.SetVersion(3)
	r.CoordinatorType, r.CoordinatorKey = 2, "g"
	resp := tc.do(r).(*kmsg.FindCoordinatorResponse)
	assert.Equal(t, kerr.InvalidRequest.Name, codeName(resp.ErrorCode))
	assert.Equal(t, int32(-1), resp.NodeID)

	// The coordinator moves to the next replica while one is stopped,
	// and is unavailable once every replica is.
	require.NoError(t, c.StopBroker(3))
	got, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	assert.Equal(t, int32(0), got, "g's replicas are 3, 0, 1")
	require.NoError(t, c.StopBroker(1))
	tc = dialClient(t, c.Addrs()[0])
	r.SetVersion(4)
	r.CoordinatorType, r.CoordinatorKeys = 0, []string{"g"}
	require.NoError(t, c.StopBroker(0))
	_, err = c.GroupCoordinator("g")
	assert.ErrorIs(t, err, kerr.CoordinatorNotAvailable)
	tc = dialClient(t, c.Addrs()[0])
	resp = tc.do(r).(*kmsg.FindCoordinatorResponse)
	require.Len(t, resp.Coordinators, 1)
	assert.Equal(t, kerr.CoordinatorNotAvailable.Name, codeName(resp.Coordinators[0].ErrorCode))
	assert.Equal(t, int32(-1), resp.Coordinators[0].NodeID)
	require.NoError(t, c.RestartBroker(3))
	got, err = c.GroupCoordinator("g")
	require.NoError(t, err)
	assert.Equal(t, int32(3), got, "the preferred broker coordinates again")

	c.InjectError(int16(kmsg.FindCoordinator), kerr.CoordinatorLoadInProgress, 1)
	resp = tc.do(r).(*kmsg.FindCoordinatorResponse)
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Name, codeName(resp.Coordinators[0].ErrorCode))
}

// TestGroupCoordinatorFailover checks that a group survives the stop of
// its coordinator: its members find the next one, which knows the group.
func TestGroupCoordinatorFailover(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 6))
	a := newMember(t, c, "g", "t")
	stableGroup(t, c, a)
	require.Zero(t, a.commit("t", 0, 17))
	old, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	require.NoError(t, c.StopBroker(old))
	a.tc.expectClosed()
	a.tc = coordinatorClient(t, c, "g")
	assert.Equal(t, "NONE", codeName(a.heartbeat()), "the new coordinator knows the member")
	assert.Equal(t, int64(17), fetchOffset(t, a.tc, "g", "t", 0).Offset)
	old2, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	assert.NotEqual(t, old, old2)
}

func TestDescribeGroups(t *testing.T) {
	c := NewTest(t, WithTopic("t", 6))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	joinAll(t, a, b)
	describe := func(v int16, groups ...string) []kmsg.DescribeGroupsResponseGroup {
		r := kmsg.NewPtrDescribeGroupsRequest()
		r.SetVersion(v)
		r.Groups = groups
		r.IncludeAuthorizedOperations = v >= 3
		return a.tc.do(r).(*kmsg.DescribeGroupsResponse).Groups
	}
	// Between JoinGroup and SyncGroup: members without metadata.
	dg := describe(5, "g")[0]
	assert.Equal(t, "CompletingRebalance", dg.State)
	assert.Equal(t, "consumer", dg.ProtocolType)
	assert.Empty(t, dg.Protocol)
	require.Len(t, dg.Members, 2)
	assert.Empty(t, dg.Members[0].ProtocolMetadata)

	got := syncAll(t, map[string]int32{"t": 6}, a, b)
	for v := int16(0); v <= 6; v++ {
		t.Run("v"+itoa(int(v)), func(t *testing.T) {
			gs := describe(v, "g", "unknown")
			require.Len(t, gs, 2)
			dg := gs[0]
			assert.Zero(t, dg.ErrorCode)
			assert.Equal(t, "Stable", dg.State)
			assert.Equal(t, "range", dg.Protocol)
			require.Len(t, dg.Members, 2)
			for _, m := range dg.Members {
				assert.Equal(t, subscription(t, "t"), m.ProtocolMetadata)
				assert.Equal(t, got[m.MemberID], m.MemberAssignment)
				assert.Equal(t, "mockbroker-test", m.ClientID)
				assert.Equal(t, "/127.0.0.1", m.ClientHost)
			}
			if v >= 3 {
				assert.Equal(t, int32(groupOpsAll), dg.AuthorizedOperations)
			}
			if v >= 6 {
				assert.Equal(t, kerr.GroupIDNotFound.Name, codeName(gs[1].ErrorCode))
			} else {
				assert.Zero(t, gs[1].ErrorCode)
				assert.Equal(t, "Dead", gs[1].State)
			}
		})
	}
	c.InjectError(int16(kmsg.DescribeGroups), kerr.CoordinatorLoadInProgress, 1)
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Name, codeName(describe(5, "g")[0].ErrorCode))
}

func TestListGroups(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 6))
	g0, g1 := groupOn(t, c, 0, "list"), groupOn(t, c, 1, "list")
	a := newMember(t, c, g0, "t")
	stableGroup(t, c, a)
	b := newMember(t, c, g1, "t")
	b.protocolType = "connect"
	b.protocols = []kmsg.JoinGroupRequestProtocol{{Name: "default", Metadata: []byte("anything")}}
	joinAll(t, b)
	manual := groupOn(t, c, 0, "manual")
	require.Zero(t, commitOne(t, a.tc, 8, manual, -1, "", nil, "t", 0, 1))

	list := func(broker int32, v int16, states, types []string) []listRow {
		addr, err := c.Addr(broker)
		require.NoError(t, err)
		r := kmsg.NewPtrListGroupsRequest()
		r.SetVersion(v)
		r.StatesFilter, r.TypesFilter = states, types
		resp := dialClient(t, addr).do(r).(*kmsg.ListGroupsResponse)
		require.Zero(t, resp.ErrorCode)
		var out []listRow
		for _, g := range resp.Groups {
			out = append(out, listRow{g.Group, g.ProtocolType, g.GroupState})
		}
		return out
	}
	onZero := []listRow{{g0, "consumer", "Stable"}, {manual, "", "Empty"}}
	if manual < g0 {
		onZero[0], onZero[1] = onZero[1], onZero[0]
	}
	assert.Equal(t, onZero, list(0, 5, nil, nil), "each broker lists the groups it coordinates")
	assert.Equal(t, []listRow{{g1, "connect", "CompletingRebalance"}}, list(1, 5, nil, nil))
	noStates := []listRow{{onZero[0].Group, onZero[0].Type, ""}, {onZero[1].Group, onZero[1].Type, ""}}
	assert.Equal(t, noStates, list(0, 3, nil, nil), "no states before v4")
	assert.Equal(t, []listRow{{g0, "consumer", "Stable"}}, list(0, 4, []string{"stable", "PreparingRebalance"}, nil))
	assert.Empty(t, list(0, 5, nil, []string{"consumer"}), "every group is classic")
	assert.Len(t, list(0, 5, nil, []string{"Classic"}), 2)
	c.InjectError(int16(kmsg.ListGroups), kerr.CoordinatorLoadInProgress, 1)
	r := kmsg.NewPtrListGroupsRequest()
	r.SetVersion(5)
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Name, codeName(a.tc.do(r).(*kmsg.ListGroupsResponse).ErrorCode))
}

type listRow struct{ Group, Type, State string }

func TestDeleteGroups(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 6))
	g := groupOn(t, c, 0, "del")
	elsewhere := groupOn(t, c, 1, "del")
	unknown := groupOn(t, c, 0, "unknown")
	a := newMember(t, c, g, "t")
	stableGroup(t, c, a)
	require.Zero(t, a.commit("t", 0, 5))
	del := func(v int16, groups ...string) map[string]string {
		r := kmsg.NewPtrDeleteGroupsRequest()
		r.SetVersion(v)
		r.Groups = groups
		out := map[string]string{}
		for _, dg := range a.tc.do(r).(*kmsg.DeleteGroupsResponse).Groups {
			out[dg.Group] = codeName(dg.ErrorCode)
		}
		return out
	}
	assert.Equal(t, map[string]string{
		g:         kerr.NonEmptyGroup.Name,
		elsewhere: kerr.NotCoordinator.Name,
		unknown:   kerr.GroupIDNotFound.Name,
		"":        kerr.InvalidGroupID.Name,
	}, del(3, g, elsewhere, unknown, "", g))
	assert.Equal(t, "NONE", codeName(a.leave()))
	waitState(t, c, g, "Empty")
	assert.Equal(t, map[string]string{g: "NONE"}, del(0, g))
	_, err := c.GroupState(g)
	assert.ErrorIs(t, err, ErrUnknownGroup)
	assert.Equal(t, int64(-1), fetchOffset(t, a.tc, g, "t", 0).Offset, "the offsets went with the group")
	assert.Equal(t, map[string]string{g: kerr.GroupIDNotFound.Name}, del(2, g))
}

func TestOffsetDelete(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2), WithTopic("u", 1))
	a := newMember(t, c, "g", "t")
	stableGroup(t, c, a)
	for _, tp := range []struct {
		topic string
		part  int32
	}{{"t", 0}, {"t", 1}, {"u", 0}} {
		require.Zero(t, a.commit(tp.topic, tp.part, 3))
	}
	offsetDelete := func(group string) (int16, map[string]string) {
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Group = group
		for _, topic := range []string{"t", "u", "nope"} {
			rt := kmsg.NewOffsetDeleteRequestTopic()
			rt.Topic = topic
			rt.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
			r.Topics = append(r.Topics, rt)
		}
		resp := a.tc.do(r).(*kmsg.OffsetDeleteResponse)
		out := map[string]string{}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				out[rt.Topic] = codeName(rp.ErrorCode)
			}
		}
		return resp.ErrorCode, out
	}
	code, parts := offsetDelete("g")
	assert.Zero(t, code)
	assert.Equal(t, map[string]string{"t": kerr.GroupSubscribedToTopic.Name, "u": "NONE", "nope": kerr.UnknownTopicOrPartition.Name}, parts)
	offsets, err := c.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Len(t, offsets, 2, "u-0 is gone, t's offsets stay")

	// Once the group is empty, every topic's offsets can go.
	assert.Equal(t, "NONE", codeName(a.leave()))
	waitState(t, c, "g", "Empty")
	code, parts = offsetDelete("g")
	assert.Zero(t, code)
	assert.Equal(t, "NONE", parts["t"])
	offsets, err = c.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Len(t, offsets, 1, "t-1 was not named")

	code, _ = offsetDelete("unknown")
	assert.Equal(t, kerr.GroupIDNotFound.Name, codeName(code))

	// A group of another protocol type with members refuses.
	b := newMember(t, c, "connect", "t")
	b.protocolType = "connect"
	b.protocols = []kmsg.JoinGroupRequestProtocol{{Name: "default", Metadata: []byte("anything")}}
	joinAll(t, b)
	code, _ = offsetDelete("connect")
	assert.Equal(t, kerr.NonEmptyGroup.Name, codeName(code))
}
