package mockbroker

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// TestGroupGarbageBytes checks that protocol metadata and assignments,
// which are opaque to a broker, may be anything: a consumer group whose
// subscriptions and assignments do not decode works as any other, its
// inspection reports the decode error, and OffsetDelete, which cannot tell
// what it subscribes to, treats every topic as subscribed.
func TestGroupGarbageBytes(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2), WithTopic("u", 1))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	garbage := []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0xff, 0xff, 0x80, 0, 0, 0, 1}}}
	a.protocols, b.protocols = garbage, garbage
	joinAll(t, a, b)
	leader, follower := a, b
	if b.id == b.leader {
		leader, follower = b, a
	}
	require.Len(t, leader.members, 2)
	assert.Equal(t, garbage[0].Metadata, leader.members[0].ProtocolMetadata)

	fs := follower.startSync(nil)
	ls := leader.startSync(map[string][]byte{leader.id: {0, 3, 0xff, 0xff, 0xff, 0xff, 9}}) // the follower gets nothing
	lresp := await(t, ls).(*kmsg.SyncGroupResponse)
	fresp := await(t, fs).(*kmsg.SyncGroupResponse)
	require.Zero(t, lresp.ErrorCode)
	require.Zero(t, fresp.ErrorCode)
	assert.Equal(t, []byte{0, 3, 0xff, 0xff, 0xff, 0xff, 9}, lresp.MemberAssignment)
	assert.Equal(t, []byte{}, fresp.MemberAssignment, "a member the leader left out gets an empty assignment")

	members, err := c.GroupMembers("g")
	require.NoError(t, err)
	for _, m := range members {
		if m.MemberID == leader.id {
			assert.ErrorIs(t, m.AssignmentErr, samsa.ErrMalformedResponse)
			assert.Nil(t, m.Partitions)
		} else {
			assert.Error(t, m.AssignmentErr, "an empty assignment is not a consumer assignment either")
		}
	}
	r := kmsg.NewPtrDescribeGroupsRequest()
	r.SetVersion(5)
	r.Groups = []string{"g"}
	dg := a.tc.do(r).(*kmsg.DescribeGroupsResponse).Groups[0]
	assert.Equal(t, "Stable", dg.State)

	require.Zero(t, a.commit("u", 0, 1))
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "g"
	odt := kmsg.NewOffsetDeleteRequestTopic()
	odt.Topic, odt.Partitions = "u", []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
	od.Topics = append(od.Topics, odt)
	resp := a.tc.do(od).(*kmsg.OffsetDeleteResponse)
	require.Zero(t, resp.ErrorCode)
	assert.Equal(t, kerr.GroupSubscribedToTopic.Name, codeName(resp.Topics[0].Partitions[0].ErrorCode))
}

func TestGroupOptions(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		option string
	}{
		{"negative delay", []Option{WithGroupInitialRebalanceDelay(-time.Second)}, "mockbroker.WithGroupInitialRebalanceDelay"},
		{"zero minimum", []Option{WithGroupMinSessionTimeout(0)}, "mockbroker.WithGroupMinSessionTimeout"},
		{"maximum below minimum", []Option{WithGroupMinSessionTimeout(time.Minute), WithGroupMaxSessionTimeout(time.Second)}, "mockbroker.WithGroupMaxSessionTimeout"},
		{"maximum below the default minimum", []Option{WithGroupMaxSessionTimeout(time.Microsecond)}, "mockbroker.WithGroupMaxSessionTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			var ce *samsa.ConfigError
			require.True(t, errors.As(err, &ce), "%T", err)
			assert.Equal(t, tt.option, ce.Option)
		})
	}
	c := NewTest(t, WithGroupMinSessionTimeout(6*time.Second), WithGroupMaxSessionTimeout(6*time.Second), WithTopic("t", 1))
	m := newMember(t, c, "g", "t")
	m.session = 6 * time.Second
	joinAll(t, m)
	m.session = 5 * time.Second
	m.id = ""
	assert.Equal(t, kerr.InvalidSessionTimeout.Name, codeName(m.tc.do(m.joinReq()).(*kmsg.JoinGroupResponse).ErrorCode))
}

// TestGroupWaitingRequestsAndShutdown checks that requests waiting in the
// coordinator end with their connection: a stopped coordinator or a closed
// cluster drops them, Close returns, and the group stays consistent.
func TestGroupWaitingRequestsAndShutdown(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 2))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	a.rebalance, b.rebalance = 300*time.Millisecond, 300*time.Millisecond
	joinAll(t, a)
	syncAll(t, map[string]int32{"t": 2}, a)
	b.requestID()
	bj := b.startJoin() // waits for a to rejoin
	waitState(t, c, "g", "PreparingRebalance")

	// The coordinator stops: b's connection closes and its join with it.
	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	require.NoError(t, c.StopBroker(coord))
	select {
	case r := <-bj:
		require.Error(t, r.err, "the waiting JoinGroup ends with its connection")
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting JoinGroup outlived its broker")
	}
	// The group carries on at the new coordinator: a, which does not
	// rejoin, is removed after the rebalance timeout, and the generation
	// completes with b, which counts as joined.
	eventually(t, "the rebalance to complete without a", func() bool {
		gen, err := c.GroupGeneration("g")
		return err == nil && gen >= 2
	})
	checkGroupInvariants(t, c)

	// A join waiting when the cluster closes ends, and Close returns.
	x, n := newMember(t, c, "h", "t"), newMember(t, c, "h", "t")
	joinAll(t, x)
	syncAll(t, map[string]int32{"t": 2}, x)
	n.requestID()
	nj := n.startJoin()
	waitState(t, c, "h", "PreparingRebalance")
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return while a JoinGroup waited")
	}
	require.Error(t, (<-nj).err)
	_, err = c.GroupState("g")
	assert.ErrorIs(t, err, samsa.ErrClosed)
	_, err = c.GroupCoordinator("g")
	assert.ErrorIs(t, err, samsa.ErrClosed)
}

// TestGroupInjectedErrors checks that InjectError and DropResponse apply
// to the group APIs: an injected error answers the request and it takes no
// effect.
func TestGroupInjectedErrors(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	a := newMember(t, c, "g", "t")
	stableGroup(t, c, a)
	inject := func(key kmsg.Key) { c.InjectError(int16(key), kerr.CoordinatorLoadInProgress, 1) }
	want := kerr.CoordinatorLoadInProgress.Name

	inject(kmsg.JoinGroup)
	assert.Equal(t, want, codeName(a.endJoin(a.startJoin()).ErrorCode))
	inject(kmsg.SyncGroup)
	assert.Equal(t, want, codeName(await(t, a.startSync(nil)).(*kmsg.SyncGroupResponse).ErrorCode))
	inject(kmsg.LeaveGroup)
	r := kmsg.NewPtrLeaveGroupRequest()
	r.SetVersion(5)
	r.Group = "g"
	r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: a.id}}
	assert.Equal(t, want, codeName(a.tc.do(r).(*kmsg.LeaveGroupResponse).ErrorCode))
	inject(kmsg.OffsetCommit)
	assert.Equal(t, want, codeName(a.commit("t", 0, 1)))
	inject(kmsg.DeleteGroups)
	dg := kmsg.NewPtrDeleteGroupsRequest()
	dg.Groups = []string{"g"}
	assert.Equal(t, want, codeName(a.tc.do(dg).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode))
	inject(kmsg.OffsetDelete)
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "g"
	assert.Equal(t, want, codeName(a.tc.do(od).(*kmsg.OffsetDeleteResponse).ErrorCode))

	gen, err := c.GroupGeneration("g")
	require.NoError(t, err)
	assert.Equal(t, int32(1), gen, "nothing took effect")
	offsets, err := c.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Empty(t, offsets)

	// A dropped response: the leave takes effect, the connection closes.
	c.DropResponse(int16(kmsg.LeaveGroup), 1)
	a.tc.send(r)
	a.tc.expectClosed()
	waitState(t, c, "g", "Empty")
}
