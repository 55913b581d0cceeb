package mockbroker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
)

// codeName names a Kafka error code, "NONE" for 0, so that failed
// assertions on codes read well.
func codeName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	return kerr.ForCode(code).Name
}

// errName names an expected error, "NONE" for nil.
func errName(e *kerr.Error) string {
	if e == nil {
		return "NONE"
	}
	return e.Name
}

// asyncResult is the response to a request sent with async.
type asyncResult struct {
	resp kmsg.Response
	err  error
}

// async sends req now and reads its response in a goroutine, for requests
// the broker answers later (JoinGroup, SyncGroup). The goroutine is owned
// by the test: cleanup closes the connection and waits for it. The client
// must not be used again until the result has been awaited.
func (tc *testClient) async(req kmsg.Request) <-chan asyncResult {
	tc.t.Helper()
	corr := tc.send(req)
	ch := make(chan asyncResult, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := tc.recv(req, corr)
		ch <- asyncResult{resp, err}
	}()
	tc.t.Cleanup(func() {
		tc.conn.Close()
		<-done
	})
	return ch
}

// await waits for an async result, failing the test after a deadline.
func await(t testing.TB, ch <-chan asyncResult) kmsg.Response {
	t.Helper()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		return r.resp
	case <-time.After(15 * time.Second):
		t.Fatal("timed out waiting for a response")
		return nil
	}
}

// pending reports whether an async result has not arrived yet, without
// waiting.
func pending(ch <-chan asyncResult) bool { return len(ch) == 0 }

// subscription encodes a consumer-protocol subscription to topics.
func subscription(t testing.TB, topics ...string) []byte {
	t.Helper()
	b, err := assignor.EncodeSubscription(assignor.Subscription{Topics: topics, GenerationID: assignor.DefaultGeneration}, 3)
	require.NoError(t, err)
	return b
}

// consumerProtocols offers the named assignors, each with a subscription
// to topics.
func consumerProtocols(t testing.TB, names []string, topics ...string) []kmsg.JoinGroupRequestProtocol {
	t.Helper()
	var out []kmsg.JoinGroupRequestProtocol
	for _, n := range names {
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = n, subscription(t, topics...)
		out = append(out, p)
	}
	return out
}

// member is a group member driven by a test, over its own connection to
// the group's coordinator.
type member struct {
	t        testing.TB
	tc       *testClient
	group    string
	id       string
	instance *string
	gen      int32
	leader   string
	protocol string

	protocolType string
	protocols    []kmsg.JoinGroupRequestProtocol
	session      time.Duration
	rebalance    time.Duration
	version      int16 // JoinGroup version; the other APIs use their newest

	// members is what the last JoinGroup response listed (the leader's).
	members []kmsg.JoinGroupResponseMember
	skip    bool
}

// newMember returns a consumer-group member of group that subscribes to
// topics with the range assignor, connected to the group's coordinator.
func newMember(t testing.TB, c *Cluster, group string, topics ...string) *member {
	t.Helper()
	return &member{
		t:            t,
		tc:           coordinatorClient(t, c, group),
		group:        group,
		gen:          -1,
		protocolType: assignor.ProtocolType,
		protocols:    consumerProtocols(t, []string{"range"}, topics...),
		session:      10 * time.Second,
		rebalance:    10 * time.Second,
		version:      9,
	}
}

// coordinatorClient connects to the broker coordinating group.
func coordinatorClient(t testing.TB, c *Cluster, group string) *testClient {
	t.Helper()
	id, err := c.GroupCoordinator(group)
	require.NoError(t, err)
	addr, err := c.Addr(id)
	require.NoError(t, err)
	return dialClient(t, addr)
}

func (m *member) joinReq() *kmsg.JoinGroupRequest {
	r := kmsg.NewPtrJoinGroupRequest()
	r.SetVersion(m.version)
	r.Group = m.group
	r.MemberID = m.id
	r.InstanceID = m.instance
	r.SessionTimeoutMillis = int32(m.session / time.Millisecond)
	r.RebalanceTimeoutMillis = int32(m.rebalance / time.Millisecond)
	r.ProtocolType = m.protocolType
	r.Protocols = m.protocols
	return r
}

// requestID sends a JoinGroup without a member id and expects
// MEMBER_ID_REQUIRED with the id to use.
func (m *member) requestID() {
	m.t.Helper()
	m.id = ""
	resp := m.tc.do(m.joinReq()).(*kmsg.JoinGroupResponse)
	require.Equal(m.t, kerr.MemberIDRequired.Name, codeName(resp.ErrorCode))
	require.NotEmpty(m.t, resp.MemberID)
	m.id = resp.MemberID
}

// startJoin sends a JoinGroup with the member's current id.
func (m *member) startJoin() <-chan asyncResult {
	m.t.Helper()
	return m.tc.async(m.joinReq())
}

// endJoin waits for the JoinGroup response and, on success, takes the
// generation, leader, protocol and member id from it.
func (m *member) endJoin(ch <-chan asyncResult) *kmsg.JoinGroupResponse {
	m.t.Helper()
	resp := await(m.t, ch).(*kmsg.JoinGroupResponse)
	if resp.ErrorCode == 0 {
		m.id, m.gen, m.leader = resp.MemberID, resp.Generation, resp.LeaderID
		if resp.Protocol != nil {
			m.protocol = *resp.Protocol
		}
		m.members, m.skip = resp.Members, resp.SkipAssignment
	}
	return resp
}

func (m *member) syncReq(assignments map[string][]byte) *kmsg.SyncGroupRequest {
	r := kmsg.NewPtrSyncGroupRequest()
	r.SetVersion(5)
	r.Group, r.Generation, r.MemberID, r.InstanceID = m.group, m.gen, m.id, m.instance
	r.ProtocolType, r.Protocol = kmsg.StringPtr(m.protocolType), kmsg.StringPtr(m.protocol)
	for id, a := range assignments {
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = id, a
		r.GroupAssignment = append(r.GroupAssignment, ga)
	}
	return r
}

// startSync sends a SyncGroup (with assignments if the member leads).
func (m *member) startSync(assignments map[string][]byte) <-chan asyncResult {
	m.t.Helper()
	return m.tc.async(m.syncReq(assignments))
}

func (m *member) heartbeat() int16 {
	m.t.Helper()
	r := kmsg.NewPtrHeartbeatRequest()
	r.SetVersion(4)
	r.Group, r.Generation, r.MemberID, r.InstanceID = m.group, m.gen, m.id, m.instance
	return m.tc.do(r).(*kmsg.HeartbeatResponse).ErrorCode
}

func (m *member) leave() int16 {
	m.t.Helper()
	r := kmsg.NewPtrLeaveGroupRequest()
	r.SetVersion(5)
	lm := kmsg.NewLeaveGroupRequestMember()
	lm.MemberID, lm.InstanceID = m.id, m.instance
	r.Group, r.Members = m.group, []kmsg.LeaveGroupRequestMember{lm}
	resp := m.tc.do(r).(*kmsg.LeaveGroupResponse)
	require.Zero(m.t, resp.ErrorCode)
	require.Len(m.t, resp.Members, 1)
	return resp.Members[0].ErrorCode
}

// commit commits one offset as the member (version 8) and returns the
// partition's error code.
func (m *member) commit(topic string, partition int32, offset int64) int16 {
	m.t.Helper()
	return commitOne(m.t, m.tc, 8, m.group, m.gen, m.id, m.instance, topic, partition, offset)
}

func commitOne(t testing.TB, tc *testClient, version int16, group string, gen int32, memberID string, instance *string, topic string, partition int32, offset int64) int16 {
	t.Helper()
	r := kmsg.NewPtrOffsetCommitRequest()
	r.SetVersion(version)
	r.Group, r.Generation, r.MemberID, r.InstanceID = group, gen, memberID, instance
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset = partition, offset
	rt.Partitions = append(rt.Partitions, rp)
	r.Topics = append(r.Topics, rt)
	resp := tc.do(r).(*kmsg.OffsetCommitResponse)
	require.Len(t, resp.Topics, 1)
	require.Len(t, resp.Topics[0].Partitions, 1)
	return resp.Topics[0].Partitions[0].ErrorCode
}

// joinAll makes members join (each asks for a member id first if it needs
// one) and waits until every JoinGroup is answered; they must succeed.
func joinAll(t testing.TB, ms ...*member) {
	t.Helper()
	// Every member gets its id first, so that the rebalance waits for
	// all of them (the ids are pending until used).
	for _, m := range ms {
		if m.id == "" && m.instance == nil && m.version >= 4 {
			m.requestID()
		}
	}
	chs := make([]<-chan asyncResult, len(ms))
	for i, m := range ms {
		chs[i] = m.startJoin()
	}
	for i, m := range ms {
		resp := m.endJoin(chs[i])
		require.Zero(t, resp.ErrorCode, "member %d: JoinGroup: %s", i, codeName(resp.ErrorCode))
	}
}

// rangeAssign runs the range assignor over the leader's member list for
// the given partition counts and encodes each member's assignment.
func rangeAssign(t testing.TB, leader *member, metadata map[string]int32) map[string][]byte {
	t.Helper()
	var ms []assignor.Member
	for _, jm := range leader.members {
		s, _, err := assignor.DecodeSubscription(jm.ProtocolMetadata)
		require.NoError(t, err)
		am := assignor.Member{MemberID: jm.MemberID, Subscription: s}
		if jm.InstanceID != nil {
			am.GroupInstanceID = *jm.InstanceID
		}
		ms = append(ms, am)
	}
	plan, err := assignor.Range().Assign(metadata, ms)
	require.NoError(t, err)
	out := make(map[string][]byte, len(plan))
	for id, a := range plan {
		b, err := assignor.EncodeAssignment(a, 3)
		require.NoError(t, err)
		out[id] = b
	}
	return out
}

// syncAll sends every member's SyncGroup (the leader's with the range
// assignment for metadata, last, so that the followers wait for it) and
// returns the assignments the members received, by member id.
func syncAll(t testing.TB, metadata map[string]int32, ms ...*member) map[string][]byte {
	t.Helper()
	var leader *member
	chs := make([]<-chan asyncResult, len(ms))
	for i, m := range ms {
		if m.id == m.leader {
			leader = m
			continue
		}
		chs[i] = m.startSync(nil)
	}
	require.NotNil(t, leader, "no member leads")
	for i, m := range ms {
		if m == leader {
			chs[i] = m.startSync(rangeAssign(t, leader, metadata))
		}
	}
	got := make(map[string][]byte, len(ms))
	for i, m := range ms {
		resp := await(t, chs[i]).(*kmsg.SyncGroupResponse)
		require.Zero(t, resp.ErrorCode, "member %s: SyncGroup: %s", m.id, codeName(resp.ErrorCode))
		got[m.id] = resp.MemberAssignment
	}
	return got
}

// waitState waits until the group is in state.
func waitState(t testing.TB, c *Cluster, group, state string) {
	t.Helper()
	eventually(t, "group "+group+" in state "+state, func() bool {
		s, err := c.GroupState(group)
		return err == nil && s == state
	})
}

// waitMembers waits until the group has n members.
func waitMembers(t testing.TB, c *Cluster, group string, n int) {
	t.Helper()
	eventually(t, "group "+group+" with "+itoa(n)+" members", func() bool {
		ms, err := c.GroupMembers(group)
		return err == nil && len(ms) == n
	})
}

// rejoinAll makes the members of a group that has a generation rejoin:
// the leader first, which starts the rebalance, then the others, which in
// a stable group would otherwise just get the current generation back.
func rejoinAll(t testing.TB, c *Cluster, ms ...*member) {
	t.Helper()
	chs := make([]<-chan asyncResult, len(ms))
	for i, m := range ms {
		if m.id != "" && m.id == m.leader {
			chs[i] = m.startJoin()
		}
	}
	waitState(t, c, ms[0].group, "PreparingRebalance")
	for i, m := range ms {
		if chs[i] == nil {
			chs[i] = m.startJoin()
		}
	}
	for i, m := range ms {
		resp := m.endJoin(chs[i])
		require.Zero(t, resp.ErrorCode, "member %d: JoinGroup: %s", i, codeName(resp.ErrorCode))
	}
}

// groupOn returns a group id starting with prefix that broker coordinates.
func groupOn(t testing.TB, c *Cluster, broker int32, prefix string) string {
	t.Helper()
	for i := range 1000 {
		id := prefix + "-" + itoa(i)
		if b, err := c.GroupCoordinator(id); err == nil && b == broker {
			return id
		}
	}
	t.Fatalf("no group id with prefix %q on broker %d", prefix, broker)
	return ""
}
