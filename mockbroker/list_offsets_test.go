package mockbroker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

func listOffsetsReq(version int16, topic string, partition int32, ts int64) *kmsg.ListOffsetsRequest {
	req := kmsg.NewPtrListOffsetsRequest()
	req.SetVersion(version)
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp = partition, ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

func TestListOffsets(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	base := time.Now().Add(-time.Hour).UnixMilli()
	// Batch 1: timestamps base, base+10, base+5; batch 2: base+30, base+20.
	var b records.Builder
	b.Reset(nil, base)
	for _, d := range []int64{0, 10, 5} {
		b.Append(base+d, nil, []byte("v"), nil)
	}
	b1, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(t, err)
	require.Zero(t, tc.produce("t", 0, b1).ErrorCode)
	b.Reset(nil, base+30)
	b.Append(base+30, nil, []byte("v"), nil)
	b.Append(base+20, nil, []byte("v"), nil)
	b2, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(t, err)
	require.Zero(t, tc.produce("t", 0, b2).ErrorCode)

	tests := []struct {
		name       string
		ts         int64
		wantOffset int64
		wantTs     int64
	}{
		{"earliest", -2, 0, -1},
		{"latest", -1, 5, -1},
		{"max timestamp", -3, 3, base + 30},
		{"before everything", base - 100, 0, base},
		{"exact", base + 10, 1, base + 10},
		{"between, in the first batch", base + 6, 1, base + 10},
		{"in the second batch", base + 11, 3, base + 30},
		{"after everything", base + 31, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tc.do(listOffsetsReq(7, "t", 0, tt.ts)).(*kmsg.ListOffsetsResponse)
			sp := resp.Topics[0].Partitions[0]
			require.Zero(t, sp.ErrorCode)
			assert.Equal(t, tt.wantOffset, sp.Offset)
			assert.Equal(t, tt.wantTs, sp.Timestamp)
			if tt.wantOffset >= 0 {
				assert.Zero(t, sp.LeaderEpoch)
			}
		})
	}

	t.Run("after DeleteRecords", func(t *testing.T) {
		dr := kmsg.NewPtrDeleteRecordsRequest()
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Offset = 2
		rt.Partitions = append(rt.Partitions, rp)
		dr.Topics = append(dr.Topics, rt)
		tc.do(dr)
		sp := tc.do(listOffsetsReq(7, "t", 0, -2)).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		assert.Equal(t, int64(2), sp.Offset)
		sp = tc.do(listOffsetsReq(7, "t", 0, base)).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		assert.Equal(t, int64(2), sp.Offset, "deleted records are not found")
		assert.Equal(t, base+5, sp.Timestamp)
	})
	t.Run("errors", func(t *testing.T) {
		sp := tc.do(listOffsetsReq(7, "nope", 0, -1)).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		assert.Equal(t, kerr.UnknownTopicOrPartition.Code, sp.ErrorCode)
		req := listOffsetsReq(7, "t", 0, -1)
		req.Topics[0].Partitions[0].CurrentLeaderEpoch = 5
		sp = tc.do(req).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		assert.Equal(t, kerr.UnknownLeaderEpoch.Code, sp.ErrorCode)
	})
}

func TestListOffsetsReadCommitted(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	require.Zero(t, tc.produce("t", 0, batch(t, 1, "a")).ErrorCode)
	require.Zero(t, tc.produce("t", 0, txnBatch(t, 3, "txn")).ErrorCode)
	req := listOffsetsReq(7, "t", 0, -1)
	req.IsolationLevel = readCommitted
	assert.Equal(t, int64(1), tc.do(req).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0].Offset)
	assert.Equal(t, int64(2), tc.do(listOffsetsReq(7, "t", 0, -1)).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0].Offset)
}
