package mockbroker

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

func topicNames(resp *kmsg.MetadataResponse) []string {
	var names []string
	for _, t := range resp.Topics {
		if t.Topic != nil {
			names = append(names, *t.Topic)
		}
	}
	return names
}

func TestMetadataDescribesCluster(t *testing.T) {
	c := NewTest(t, WithBrokers(4), WithTopic("orders", 5), WithClusterID("cid"))
	tc := dialClient(t, c.Addrs()[2])
	resp := tc.do(metadataReq(12, "orders")).(*kmsg.MetadataResponse)
	require.Len(t, resp.Brokers, 4)
	for i, b := range resp.Brokers {
		assert.Equal(t, int32(i), b.NodeID)
		assert.Equal(t, "127.0.0.1", b.Host)
		addr, err := c.Addr(int32(i))
		require.NoError(t, err)
		assert.Equal(t, addr, b.Host+":"+itoa(int(b.Port)))
	}
	assert.Equal(t, int32(0), resp.ControllerID)
	require.NotNil(t, resp.ClusterID)
	assert.Equal(t, "cid", *resp.ClusterID)
	require.Len(t, resp.Topics, 1)
	mt := resp.Topics[0]
	assert.Zero(t, mt.ErrorCode)
	id, err := c.TopicID("orders")
	require.NoError(t, err)
	assert.Equal(t, id, mt.TopicID)
	assert.NotEqual(t, [16]byte{}, id)
	require.Len(t, mt.Partitions, 5)
	for i, p := range mt.Partitions {
		assert.Equal(t, int32(i), p.Partition)
		assert.Len(t, p.Replicas, 3, "replicas are min(3, brokers)")
		assert.Equal(t, p.Replicas[0], p.Leader, "the preferred replica leads")
		assert.ElementsMatch(t, p.Replicas, p.ISR)
		assert.Empty(t, p.OfflineReplicas)
		assert.Zero(t, p.LeaderEpoch)
		l, err := c.Leader("orders", int32(i))
		require.NoError(t, err)
		assert.Equal(t, l, p.Leader)
	}
}

func TestMetadataTopicSelection(t *testing.T) {
	c := NewTest(t, WithTopic("b", 1), WithTopic("a", 1))
	tests := []struct {
		name string
		req  *kmsg.MetadataRequest
		want []string
	}{
		{"v0 empty list means all", metadataReq(0, []string{}...), []string{"a", "b"}},
		{"v1 null means all", metadataReq(1), []string{"a", "b"}},
		{"v1 empty list means none", metadataReq(1, []string{}...), nil},
		{"v12 named", metadataReq(12, "b"), []string{"b"}},
		{"duplicates collapse", metadataReq(12, "a", "a"), []string{"a"}},
	}
	tests[0].req.Topics = []kmsg.MetadataRequestTopic{}
	tests[2].req.Topics = []kmsg.MetadataRequestTopic{}
	tc := dialClient(t, c.Addrs()[0])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tc.do(tt.req).(*kmsg.MetadataResponse)
			assert.Equal(t, tt.want, topicNames(resp))
		})
	}
}

func TestMetadataAutoCreate(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		version    int16
		allow      bool
		wantCode   int16
		partitions int
	}{
		{"on, allowed", []Option{WithDefaultPartitions(3)}, 12, true, 0, 3},
		{"on, v3 always allowed", nil, 3, false, 0, 1},
		{"on, client disallows", nil, 12, false, kerr.UnknownTopicOrPartition.Code, 0},
		{"off", []Option{WithAutoCreateTopics(false)}, 12, true, kerr.UnknownTopicOrPartition.Code, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewTest(t, tt.opts...)
			tc := dialClient(t, c.Addrs()[0])
			req := metadataReq(tt.version, "fresh")
			req.AllowAutoTopicCreation = tt.allow
			resp := tc.do(req).(*kmsg.MetadataResponse)
			require.Len(t, resp.Topics, 1)
			assert.Equal(t, tt.wantCode, resp.Topics[0].ErrorCode)
			assert.Len(t, resp.Topics[0].Partitions, tt.partitions)
			_, err := c.Leader("fresh", 0)
			if tt.wantCode == 0 {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition)
			}
		})
	}
}

func TestMetadataInvalidAndByID(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])
	resp := tc.do(metadataReq(12, "bad/name", "t")).(*kmsg.MetadataResponse)
	require.Len(t, resp.Topics, 2)
	assert.Equal(t, kerr.InvalidTopicException.Code, resp.Topics[0].ErrorCode)
	assert.Zero(t, resp.Topics[1].ErrorCode)

	id, err := c.TopicID("t")
	require.NoError(t, err)
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	for _, tid := range [][16]byte{id, {1, 2, 3}} {
		rt := kmsg.NewMetadataRequestTopic()
		rt.TopicID = tid
		req.Topics = append(req.Topics, rt)
	}
	resp = tc.do(req).(*kmsg.MetadataResponse)
	require.Len(t, resp.Topics, 2)
	assert.Zero(t, resp.Topics[0].ErrorCode)
	require.NotNil(t, resp.Topics[0].Topic)
	assert.Equal(t, "t", *resp.Topics[0].Topic)
	assert.Len(t, resp.Topics[0].Partitions, 2)
	assert.Equal(t, kerr.UnknownTopicID.Code, resp.Topics[1].ErrorCode)
}

func TestMetadataAfterStopBroker(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 3))
	leaders := map[int32]int32{}
	for p := int32(0); p < 3; p++ {
		l, err := c.Leader("t", p)
		require.NoError(t, err)
		leaders[p] = l
	}
	require.NoError(t, c.StopBroker(0))
	tc := dialClient(t, c.Addrs()[0])
	resp := tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	var ids []int32
	for _, b := range resp.Brokers {
		ids = append(ids, b.NodeID)
	}
	assert.Equal(t, []int32{1, 2}, ids)
	assert.Equal(t, int32(1), resp.ControllerID)
	for _, p := range resp.Topics[0].Partitions {
		assert.NotEqual(t, int32(0), p.Leader)
		assert.False(t, slices.Contains(p.ISR, 0))
		assert.Equal(t, []int32{0}, p.OfflineReplicas)
		if leaders[p.Partition] == 0 {
			assert.Equal(t, int32(1), p.LeaderEpoch, "a moved leadership bumps the epoch")
		} else {
			assert.Zero(t, p.LeaderEpoch)
		}
	}
}
