package mockbroker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// fetchOffset fetches one committed offset with OffsetFetch v7 and
// returns the partition's answer.
func fetchOffset(t testing.TB, tc *testClient, group, topic string, partition int32) kmsg.OffsetFetchResponseTopicPartition {
	t.Helper()
	r := kmsg.NewPtrOffsetFetchRequest()
	r.SetVersion(7)
	r.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = topic, []int32{partition}
	r.Topics = append(r.Topics, rt)
	resp := tc.do(r).(*kmsg.OffsetFetchResponse)
	require.Zero(t, resp.ErrorCode, codeName(resp.ErrorCode))
	require.Len(t, resp.Topics, 1)
	require.Len(t, resp.Topics[0].Partitions, 1)
	return resp.Topics[0].Partitions[0]
}

// TestGroupOffsetCommitChecks checks the generation checks of
// OffsetCommit for a group with members and for a group without.
func TestGroupOffsetCommitChecks(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	a, b := newMember(t, c, "g", "t"), newMember(t, c, "g", "t")
	joinAll(t, a, b)
	assert.Equal(t, kerr.RebalanceInProgress.Name, codeName(a.commit("t", 0, 1)), "between JoinGroup and SyncGroup")
	syncAll(t, map[string]int32{"t": 2}, a, b)

	tests := []struct {
		name     string
		version  int16
		group    string
		gen      int32
		memberID string
		instance *string
		topic    string
		part     int32
		want     *kerr.Error
	}{
		{"member", 8, "g", 1, a.id, nil, "t", 0, nil},
		{"member v9", 9, "g", 1, b.id, nil, "t", 1, nil},
		{"stale generation", 8, "g", 0, a.id, nil, "t", 0, kerr.IllegalGeneration},
		{"unknown member", 8, "g", 1, "nobody", nil, "t", 0, kerr.UnknownMemberID},
		{"unknown instance", 8, "g", 1, a.id, kmsg.StringPtr("i"), "t", 0, kerr.UnknownMemberID},
		{"manual commit to an active group", 8, "g", -1, "", nil, "t", 0, kerr.UnknownMemberID},
		{"v0 to an active group", 0, "g", -1, "", nil, "t", 0, kerr.UnknownMemberID},
		{"generation of an unknown group", 8, "fresh", 3, "m", nil, "t", 0, kerr.IllegalGeneration},
		{"generation of an unknown group v9", 9, "fresh", 3, "m", nil, "t", 0, kerr.GroupIDNotFound},
		{"unknown topic", 8, "g", 1, a.id, nil, "nope", 0, kerr.UnknownTopicOrPartition},
		{"unknown partition", 8, "g", 1, a.id, nil, "t", 2, kerr.UnknownTopicOrPartition},
		{"manual commit creates a group", 2, "manual", -1, "", nil, "t", 1, nil},
		{"v0 manual commit", 0, "manual-v0", -1, "", nil, "t", 0, nil},
		{"manual commit with a member id to an empty group", 8, "manual", -1, "whoever", nil, "t", 0, nil},
		{"generation to an empty group", 8, "manual", 0, "", nil, "t", 0, kerr.UnknownMemberID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := commitOne(t, a.tc, tt.version, tt.group, tt.gen, tt.memberID, tt.instance, tt.topic, tt.part, 42)
			assert.Equal(t, errName(tt.want), codeName(got))
		})
	}
	state, err := c.GroupState("manual")
	require.NoError(t, err)
	assert.Equal(t, "Empty", state)
	offsets, err := c.CommittedOffsets("manual")
	require.NoError(t, err)
	assert.Equal(t, map[samsa.TopicPartition]int64{{Topic: "t", Partition: 0}: 42, {Topic: "t", Partition: 1}: 42}, offsets)
	offsets, err = c.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Equal(t, map[samsa.TopicPartition]int64{{Topic: "t", Partition: 0}: 42, {Topic: "t", Partition: 1}: 42}, offsets)
	_, err = c.GroupState("fresh")
	assert.ErrorIs(t, err, ErrUnknownGroup, "failed commits create no group")

	// A commit is refused with too much metadata.
	r := kmsg.NewPtrOffsetCommitRequest()
	r.SetVersion(8)
	r.Group, r.Generation, r.MemberID = "g", a.gen, a.id
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	for i, md := range []string{strings.Repeat("m", 4096), strings.Repeat("m", 4097)} {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.Metadata = int32(i), 7, kmsg.StringPtr(md)
		rt.Partitions = append(rt.Partitions, rp)
	}
	r.Topics = append(r.Topics, rt)
	resp := a.tc.do(r).(*kmsg.OffsetCommitResponse)
	assert.Equal(t, "NONE", codeName(resp.Topics[0].Partitions[0].ErrorCode))
	assert.Equal(t, kerr.OffsetMetadataTooLarge.Name, codeName(resp.Topics[0].Partitions[1].ErrorCode))
}

// TestGroupOffsetRoundTrip commits offsets with leader epochs and metadata
// and reads them back with every OffsetFetch version.
func TestGroupOffsetRoundTrip(t *testing.T) {
	c := NewTest(t, WithTopic("t", 3), WithTopic("u", 1))
	tc := coordinatorClient(t, c, "g")
	r := kmsg.NewPtrOffsetCommitRequest()
	r.SetVersion(8)
	r.Group = "g"
	for _, topic := range []string{"u", "t"} {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = topic
		for _, p := range []int32{1, 0} {
			if topic == "u" && p == 1 {
				continue
			}
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, 100+int64(p), 5+p
			if p == 0 {
				rp.Metadata = kmsg.StringPtr("meta-" + topic)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		r.Topics = append(r.Topics, rt)
	}
	cresp := tc.do(r).(*kmsg.OffsetCommitResponse)
	require.Len(t, cresp.Topics, 2)
	assert.Equal(t, "u", cresp.Topics[0].Topic, "the response follows the request's order")
	for _, rt := range cresp.Topics {
		for _, rp := range rt.Partitions {
			require.Zero(t, rp.ErrorCode)
		}
	}

	type row struct {
		Topic     string
		Partition int32
		Offset    int64
		Epoch     int32
		Metadata  string
		Code      int16
	}
	want := []row{
		{"t", 0, 100, 5, "meta-t", 0},
		{"t", 1, 101, 6, "", 0},
		{"t", 2, -1, -1, "", 0}, // nothing committed
		{"u", 0, 100, 5, "meta-u", 0},
	}
	for v := int16(0); v <= 9; v++ {
		t.Run("v"+itoa(int(v)), func(t *testing.T) {
			for _, all := range []bool{false, true} {
				if all && v < 2 {
					continue
				}
				expect := want
				if all {
					expect = []row{want[0], want[1], want[3]} // only what is committed
				}
				if v < 5 {
					// no leader epochs before v5
					expect = append([]row(nil), expect...)
					for i := range expect {
						expect[i].Epoch = -1
					}
				}
				r := kmsg.NewPtrOffsetFetchRequest()
				r.SetVersion(v)
				var got []row
				if v >= 8 {
					rg := kmsg.NewOffsetFetchRequestGroup()
					rg.Group = "g"
					if !all {
						for _, topic := range []string{"t", "u"} {
							rt := kmsg.NewOffsetFetchRequestGroupTopic()
							rt.Topic = topic
							rt.Partitions = map[string][]int32{"t": {0, 1, 2}, "u": {0}}[topic]
							rg.Topics = append(rg.Topics, rt)
						}
					}
					r.Groups = append(r.Groups, rg)
					resp := tc.do(r).(*kmsg.OffsetFetchResponse)
					require.Len(t, resp.Groups, 1)
					require.Zero(t, resp.Groups[0].ErrorCode)
					for _, rt := range resp.Groups[0].Topics {
						for _, rp := range rt.Partitions {
							got = append(got, row{rt.Topic, rp.Partition, rp.Offset, rp.LeaderEpoch, deref(rp.Metadata), rp.ErrorCode})
						}
					}
				} else {
					r.Group = "g"
					if !all {
						for _, topic := range []string{"t", "u"} {
							rt := kmsg.NewOffsetFetchRequestTopic()
							rt.Topic = topic
							rt.Partitions = map[string][]int32{"t": {0, 1, 2}, "u": {0}}[topic]
							r.Topics = append(r.Topics, rt)
						}
					}
					resp := tc.do(r).(*kmsg.OffsetFetchResponse)
					require.Zero(t, resp.ErrorCode)
					for _, rt := range resp.Topics {
						for _, rp := range rt.Partitions {
							epoch := rp.LeaderEpoch
							if v < 5 {
								epoch = -1
							}
							got = append(got, row{rt.Topic, rp.Partition, rp.Offset, epoch, deref(rp.Metadata), rp.ErrorCode})
						}
					}
				}
				assert.Equal(t, expect, got, "all partitions: %v", all)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// TestGroupOffsetFetchErrors checks where group errors of OffsetFetch go
// in each version, several groups in one v8 request, and that a commit
// does not outlive its topic.
func TestGroupOffsetFetchErrors(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 1))
	coord, err := c.GroupCoordinator("g")
	require.NoError(t, err)
	here := coordinatorClient(t, c, "g")
	addr, err := c.Addr(1 - coord)
	require.NoError(t, err)
	there := dialClient(t, addr)
	require.Zero(t, commitOne(t, here, 8, "g", -1, "", nil, "t", 0, 9))

	for v := int16(0); v <= 7; v++ {
		r := kmsg.NewPtrOffsetFetchRequest()
		r.SetVersion(v)
		r.Group = "g"
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = "t", []int32{0}
		r.Topics = append(r.Topics, rt)
		resp := there.do(r).(*kmsg.OffsetFetchResponse)
		if v < 2 {
			require.Len(t, resp.Topics, 1, "v%d", v)
			assert.Equal(t, kerr.NotCoordinator.Name, codeName(resp.Topics[0].Partitions[0].ErrorCode), "v%d: per partition", v)
			assert.Equal(t, int64(-1), resp.Topics[0].Partitions[0].Offset)
		} else {
			assert.Equal(t, kerr.NotCoordinator.Name, codeName(resp.ErrorCode), "v%d: top level", v)
			assert.Empty(t, resp.Topics)
		}
	}

	// v8: one request, groups on both brokers, each answered on its own.
	other := groupOn(t, c, 1-coord, "other")
	unknown := groupOn(t, c, coord, "unknown")
	r := kmsg.NewPtrOffsetFetchRequest()
	r.SetVersion(8)
	for _, g := range []string{"g", other, unknown} {
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g
		rt := kmsg.NewOffsetFetchRequestGroupTopic()
		rt.Topic, rt.Partitions = "t", []int32{0}
		rg.Topics = append(rg.Topics, rt)
		r.Groups = append(r.Groups, rg)
	}
	resp := here.do(r).(*kmsg.OffsetFetchResponse)
	require.Len(t, resp.Groups, 3)
	assert.Equal(t, "NONE", codeName(resp.Groups[0].ErrorCode))
	assert.Equal(t, int64(9), resp.Groups[0].Topics[0].Partitions[0].Offset)
	assert.Equal(t, kerr.NotCoordinator.Name, codeName(resp.Groups[1].ErrorCode))
	assert.Equal(t, "NONE", codeName(resp.Groups[2].ErrorCode))
	assert.Equal(t, int64(-1), resp.Groups[2].Topics[0].Partitions[0].Offset, "an unknown group has no offsets")

	// Injected errors: request-wide at the top, scoped per partition.
	c.InjectError(int16(kmsg.OffsetFetch), kerr.CoordinatorLoadInProgress, 1)
	r7 := kmsg.NewPtrOffsetFetchRequest()
	r7.SetVersion(7)
	r7.Group = "g"
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Name, codeName(here.do(r7).(*kmsg.OffsetFetchResponse).ErrorCode))
	c.InjectError(int16(kmsg.OffsetFetch), kerr.UnstableOffsetCommit, 1, OnPartition("t", 0))
	assert.Equal(t, kerr.UnstableOffsetCommit.Name, codeName(fetchOffset(t, here, "g", "t", 0).ErrorCode))
	assert.Equal(t, int64(9), fetchOffset(t, here, "g", "t", 0).Offset)
	c.InjectError(int16(kmsg.OffsetCommit), kerr.CoordinatorNotAvailable, 1, OnTopic("t"))
	assert.Equal(t, kerr.CoordinatorNotAvailable.Name, codeName(commitOne(t, here, 8, "g", -1, "", nil, "t", 0, 10)))
	assert.Equal(t, int64(9), fetchOffset(t, here, "g", "t", 0).Offset, "the failed commit took no effect")

	// A deleted topic takes its commits along, even if it comes back.
	require.NoError(t, c.DeleteTopic("t"))
	require.NoError(t, c.CreateTopic("t", 1))
	assert.Equal(t, int64(-1), fetchOffset(t, here, "g", "t", 0).Offset)
	offsets, err := c.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Empty(t, offsets)
}
