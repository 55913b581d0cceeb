package mockbroker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

func createTopicReq(version int16, name string, partitions int32, rf int16, configs map[string]string) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.SetVersion(version)
	req.TimeoutMillis = 5000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, partitions, rf
	for k, v := range configs {
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name, cfg.Value = k, kmsg.StringPtr(v)
		rt.Configs = append(rt.Configs, cfg)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestCreateTopics(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("exists", 1), WithDefaultPartitions(4))
	tc := dialClient(t, c.Addrs()[1])
	tests := []struct {
		name       string
		req        *kmsg.CreateTopicsRequest
		want       *kerr.Error
		partitions int32
		rf         int16
	}{
		{"defaults", createTopicReq(7, "d", -1, -1, nil), nil, 4, 3},
		{"explicit", createTopicReq(7, "e", 2, 2, nil), nil, 2, 2},
		{"log append time", createTopicReq(7, "lat", 1, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}), nil, 1, 1},
		{"exists", createTopicReq(7, "exists", 1, 1, nil), kerr.TopicAlreadyExists, -1, -1},
		{"invalid name", createTopicReq(7, "a*b", 1, 1, nil), kerr.InvalidTopicException, -1, -1},
		{"zero partitions", createTopicReq(7, "z", 0, 1, nil), kerr.InvalidPartitions, -1, -1},
		{"replication factor above brokers", createTopicReq(7, "r", 1, 4, nil), kerr.InvalidReplicationFactor, -1, -1},
		{"unknown config", createTopicReq(7, "u", 1, 1, map[string]string{"no.such.config": "1"}), kerr.InvalidConfig, -1, -1},
		{"bad config value", createTopicReq(7, "b", 1, 1, map[string]string{"message.timestamp.type": "Sometimes"}), kerr.InvalidConfig, -1, -1},
		{"negative max.message.bytes", createTopicReq(7, "m", 1, 1, map[string]string{"max.message.bytes": "-5"}), kerr.InvalidConfig, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tc.do(tt.req).(*kmsg.CreateTopicsResponse)
			require.Len(t, resp.Topics, 1)
			st := resp.Topics[0]
			assert.Equal(t, tt.req.Topics[0].Topic, st.Topic)
			if tt.want != nil {
				assert.Equal(t, tt.want.Code, st.ErrorCode, "got %v", kerr.ForCode(st.ErrorCode))
				assert.NotNil(t, st.ErrorMessage)
				return
			}
			require.Zero(t, st.ErrorCode, "%v", st.ErrorMessage)
			assert.Equal(t, tt.partitions, st.NumPartitions)
			assert.Equal(t, tt.rf, st.ReplicationFactor)
			id, err := c.TopicID(st.Topic)
			require.NoError(t, err)
			assert.Equal(t, id, st.TopicID)
			assert.NotEmpty(t, st.Configs)
		})
	}
	recs := tc.do(metadataReq(12, "lat")).(*kmsg.MetadataResponse)
	require.Zero(t, recs.Topics[0].ErrorCode)
	c.mu.Lock()
	assert.True(t, c.topics["lat"].cfg.logAppendTime)
	c.mu.Unlock()
}

func TestCreateTopicsValidateOnlyAndAssignment(t *testing.T) {
	c := NewTest(t, WithBrokers(3))
	tc := dialClient(t, c.Addrs()[0])
	req := createTopicReq(5, "v", 3, 2, nil)
	req.ValidateOnly = true
	st := tc.do(req).(*kmsg.CreateTopicsResponse).Topics[0]
	assert.Zero(t, st.ErrorCode)
	assert.Equal(t, int32(3), st.NumPartitions)
	_, err := c.Leader("v", 0)
	assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition, "validate only creates nothing")

	req = createTopicReq(5, "a", -1, -1, nil)
	for p, reps := range [][]int32{{2, 0}, {1, 2}} {
		ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		ra.Partition, ra.Replicas = int32(p), reps
		req.Topics[0].ReplicaAssignment = append(req.Topics[0].ReplicaAssignment, ra)
	}
	st = tc.do(req).(*kmsg.CreateTopicsResponse).Topics[0]
	require.Zero(t, st.ErrorCode, "%v", st.ErrorMessage)
	for p, want := range []int32{2, 1} {
		l, err := c.Leader("a", int32(p))
		require.NoError(t, err)
		assert.Equal(t, want, l)
	}

	bad := createTopicReq(5, "b", 2, -1, nil)
	bad.Topics[0].ReplicaAssignment = req.Topics[0].ReplicaAssignment
	assert.Equal(t, kerr.InvalidRequest.Code, tc.do(bad).(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode)

	unknownBroker := createTopicReq(5, "c", -1, -1, nil)
	ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	ra.Replicas = []int32{7}
	unknownBroker.Topics[0].ReplicaAssignment = append(unknownBroker.Topics[0].ReplicaAssignment, ra)
	assert.Equal(t, kerr.InvalidReplicaAssignment.Code, tc.do(unknownBroker).(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode)

	dup := createTopicReq(5, "d", 1, 1, nil)
	dup.Topics = append(dup.Topics, dup.Topics[0])
	for _, st := range tc.do(dup).(*kmsg.CreateTopicsResponse).Topics {
		assert.Equal(t, kerr.InvalidRequest.Code, st.ErrorCode)
	}
}

func TestDeleteTopics(t *testing.T) {
	c := NewTest(t, WithTopic("a", 1), WithTopic("b", 1), WithTopic("c", 1), WithAutoCreateTopics(false))
	tc := dialClient(t, c.Addrs()[0])

	req := kmsg.NewPtrDeleteTopicsRequest()
	req.SetVersion(5)
	req.TopicNames = []string{"a", "nope"}
	resp := tc.do(req).(*kmsg.DeleteTopicsResponse)
	require.Len(t, resp.Topics, 2)
	assert.Zero(t, resp.Topics[0].ErrorCode)
	assert.Equal(t, kerr.UnknownTopicOrPartition.Code, resp.Topics[1].ErrorCode)

	id, err := c.TopicID("b")
	require.NoError(t, err)
	req = kmsg.NewPtrDeleteTopicsRequest()
	req.SetVersion(6)
	for _, tid := range [][16]byte{id, {4}} {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.TopicID = tid
		req.Topics = append(req.Topics, rt)
	}
	both := kmsg.NewDeleteTopicsRequestTopic()
	both.Topic, both.TopicID = kmsg.StringPtr("c"), [16]byte{5}
	req.Topics = append(req.Topics, both)
	resp = tc.do(req).(*kmsg.DeleteTopicsResponse)
	require.Len(t, resp.Topics, 3)
	assert.Zero(t, resp.Topics[0].ErrorCode)
	require.NotNil(t, resp.Topics[0].Topic)
	assert.Equal(t, "b", *resp.Topics[0].Topic)
	assert.Equal(t, kerr.UnknownTopicID.Code, resp.Topics[1].ErrorCode)
	assert.Equal(t, kerr.InvalidRequest.Code, resp.Topics[2].ErrorCode)

	names := topicNames(tc.do(metadataReq(12)).(*kmsg.MetadataResponse))
	assert.Equal(t, []string{"c"}, names)
	_, err = c.Records("a", 0)
	assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition)
}

func TestCreatePartitions(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])
	mk := func(topic string, count int32, validate bool, assignment ...[]int32) *kmsg.CreatePartitionsRequest {
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.SetVersion(3)
		req.ValidateOnly = validate
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = topic, count
		for _, a := range assignment {
			ra := kmsg.NewCreatePartitionsRequestTopicAssignment()
			ra.Replicas = a
			rt.Assignment = append(rt.Assignment, ra)
		}
		req.Topics = append(req.Topics, rt)
		return req
	}
	code := func(req *kmsg.CreatePartitionsRequest) int16 {
		return tc.do(req).(*kmsg.CreatePartitionsResponse).Topics[0].ErrorCode
	}
	assert.Equal(t, kerr.UnknownTopicOrPartition.Code, code(mk("nope", 3, false)))
	assert.Equal(t, kerr.InvalidPartitions.Code, code(mk("t", 2, false)))
	assert.Equal(t, kerr.InvalidPartitions.Code, code(mk("t", 1, false)))
	assert.Equal(t, kerr.InvalidReplicaAssignment.Code, code(mk("t", 4, false, []int32{0, 1, 2})), "one list for two new partitions")
	assert.Equal(t, kerr.InvalidReplicaAssignment.Code, code(mk("t", 3, false, []int32{0})), "wrong replication factor")
	assert.Zero(t, code(mk("t", 5, true)))
	_, err := c.Leader("t", 2)
	assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition, "validate only adds nothing")
	assert.Zero(t, code(mk("t", 3, false, []int32{2, 0, 1})))
	l, err := c.Leader("t", 2)
	require.NoError(t, err)
	assert.Equal(t, int32(2), l)
	assert.Zero(t, code(mk("t", 5, false)))
	md := tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	assert.Len(t, md.Topics[0].Partitions, 5)
}

func TestDeleteRecords(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 1))
	tc := leaderClient(t, c, "t", 0)
	for i := 0; i < 3; i++ {
		require.Zero(t, tc.produce("t", 0, batch(t, 1, "a", "b")).ErrorCode)
	}
	del := func(tc *testClient, partition int32, offset int64) kmsg.DeleteRecordsResponseTopicPartition {
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.SetVersion(2)
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = partition, offset
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		return tc.do(req).(*kmsg.DeleteRecordsResponse).Topics[0].Partitions[0]
	}
	sp := del(tc, 0, 3)
	require.Zero(t, sp.ErrorCode)
	assert.Equal(t, int64(3), sp.LowWatermark)
	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, int64(3), recs[0].Offset, "the log starts mid-batch")
	got := decodeAll(t, tc.fetchOne("t", 0, 3).RecordBatches)
	assert.Equal(t, int64(2), got[0].Offset, "a fetch returns the whole batch holding the start offset")

	assert.Equal(t, int64(3), del(tc, 0, 1).LowWatermark, "never backwards")
	assert.Equal(t, kerr.OffsetOutOfRange.Code, del(tc, 0, 7).ErrorCode)
	assert.Equal(t, kerr.UnknownTopicOrPartition.Code, del(tc, 4, 0).ErrorCode)
	sp = del(tc, 0, -1)
	assert.Equal(t, int64(6), sp.LowWatermark, "-1 is the high watermark")
	start, err := c.LogStartOffset("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(6), start)

	l, err := c.Leader("t", 0)
	require.NoError(t, err)
	addr, err := c.Addr(1 - l)
	require.NoError(t, err)
	assert.Equal(t, kerr.NotLeaderOrFollower.Code, del(dialClient(t, addr), 0, 0).ErrorCode)
}
