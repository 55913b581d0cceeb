package mockbroker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The coordinator's hot paths are the requests every member of every
// group sends all the time: heartbeats, offset commits and offset fetches.
// Each benchmark measures one round trip over loopback, the client side
// (kmsg encoding and decoding) included.

func BenchmarkGroupHeartbeat(b *testing.B) {
	c := NewTest(b, WithTopic("t", 6), WithLogger(nil))
	m := newMember(b, c, "g", "t")
	joinAll(b, m)
	syncAll(b, map[string]int32{"t": 6}, m)
	r := kmsg.NewPtrHeartbeatRequest()
	r.SetVersion(4)
	r.Group, r.Generation, r.MemberID = m.group, m.gen, m.id
	b.ReportAllocs()
	for b.Loop() {
		if resp := m.tc.do(r).(*kmsg.HeartbeatResponse); resp.ErrorCode != 0 {
			b.Fatal(codeName(resp.ErrorCode))
		}
	}
}

// BenchmarkGroupOffsetCommit commits one offset for each of 6 partitions
// per request, as a consumer's auto-commit does.
func BenchmarkGroupOffsetCommit(b *testing.B) {
	c := NewTest(b, WithTopic("t", 6), WithLogger(nil))
	m := newMember(b, c, "g", "t")
	joinAll(b, m)
	syncAll(b, map[string]int32{"t": 6}, m)
	r := kmsg.NewPtrOffsetCommitRequest()
	r.SetVersion(8)
	r.Group, r.Generation, r.MemberID = m.group, m.gen, m.id
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	for p := range int32(6) {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = p, int64(p)
		rt.Partitions = append(rt.Partitions, rp)
	}
	r.Topics = append(r.Topics, rt)
	b.ReportAllocs()
	for b.Loop() {
		resp := m.tc.do(r).(*kmsg.OffsetCommitResponse)
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
			b.Fatal(codeName(code))
		}
		r.Topics[0].Partitions[0].Offset++
	}
}

// BenchmarkGroupOffsetFetch fetches every committed offset of a group (6
// partitions), as a consumer does when it is assigned partitions.
func BenchmarkGroupOffsetFetch(b *testing.B) {
	c := NewTest(b, WithTopic("t", 6), WithLogger(nil))
	tc := coordinatorClient(b, c, "g")
	for p := range int32(6) {
		if code := commitOne(b, tc, 8, "g", -1, "", nil, "t", p, 100); code != 0 {
			b.Fatal(codeName(code))
		}
	}
	r := kmsg.NewPtrOffsetFetchRequest()
	r.SetVersion(8)
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = "g"
	r.Groups = append(r.Groups, rg)
	b.ReportAllocs()
	for b.Loop() {
		resp := tc.do(r).(*kmsg.OffsetFetchResponse)
		if len(resp.Groups[0].Topics) != 1 || len(resp.Groups[0].Topics[0].Partitions) != 6 {
			b.Fatal("wrong offsets")
		}
	}
}

// BenchmarkGroupRebalance measures one rebalance of a one-member group:
// the leader's JoinGroup and its SyncGroup with the assignment.
func BenchmarkGroupRebalance(b *testing.B) {
	c := NewTest(b, WithTopic("t", 6), WithLogger(nil))
	m := newMember(b, c, "g", "t")
	joinAll(b, m)
	assignments := rangeAssign(b, m, map[string]int32{"t": 6})
	b.ReportAllocs()
	for b.Loop() {
		if resp := m.endJoin(m.startJoin()); resp.ErrorCode != 0 {
			b.Fatal(codeName(resp.ErrorCode))
		}
		if resp := await(b, m.startSync(assignments)).(*kmsg.SyncGroupResponse); resp.ErrorCode != 0 {
			b.Fatal(codeName(resp.ErrorCode))
		}
	}
}
