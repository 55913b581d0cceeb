package mockbroker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// waiting reports whether a fetch is long-polling on the partition.
func waiting(c *Cluster, topic string, partition int32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.partitionLocked(topic, partition)
	return p != nil && len(p.waiters) > 0
}

func TestFetchLongPollWakesOnProduce(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	consumer := dialClient(t, c.Addrs()[0])
	producer := dialClient(t, c.Addrs()[0])
	req := fetchReq(12, "t", 0, 0, 20*time.Second, 1)
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.PartitionMaxBytes = 1, 1<<20
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, rp)
	start := time.Now()
	corr := consumer.send(req)
	eventually(t, "the fetch to wait", func() bool { return waiting(c, "t", 1) })
	require.Zero(t, producer.produce("t", 1, batch(t, 1, "wake")).ErrorCode)
	resp, err := consumer.recv(req, corr)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "woken by the produce, not the 20 s max wait")
	fr := resp.(*kmsg.FetchResponse)
	require.Len(t, fr.Topics[0].Partitions, 2)
	assert.Empty(t, fr.Topics[0].Partitions[0].RecordBatches)
	got := decodeAll(t, fr.Topics[0].Partitions[1].RecordBatches)
	require.Len(t, got, 1)
	assert.Equal(t, "wake", string(got[0].Value))
	assert.False(t, waiting(c, "t", 1), "the waiter is gone")
}

func TestFetchMaxWaitAndMinBytes(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	const wait = 150 * time.Millisecond

	start := time.Now()
	resp := tc.do(fetchReq(12, "t", 0, 0, wait, 1)).(*kmsg.FetchResponse)
	assert.GreaterOrEqual(t, time.Since(start), wait, "no data: waits max wait")
	assert.Empty(t, resp.Topics[0].Partitions[0].RecordBatches)
	assert.NotNil(t, resp.Topics[0].Partitions[0].RecordBatches, "empty records, not null")

	require.Zero(t, tc.produce("t", 0, batch(t, 1, "small")).ErrorCode)
	start = time.Now()
	resp = tc.do(fetchReq(12, "t", 0, 0, wait, 1<<20)).(*kmsg.FetchResponse)
	assert.GreaterOrEqual(t, time.Since(start), wait, "less than min bytes: waits max wait")
	assert.Len(t, decodeAll(t, resp.Topics[0].Partitions[0].RecordBatches), 1, "then answers with what it has")

	start = time.Now()
	resp = tc.do(fetchReq(12, "t", 0, 0, 20*time.Second, 1)).(*kmsg.FetchResponse)
	assert.Less(t, time.Since(start), 10*time.Second, "min bytes reached: answers at once")
	assert.NotEmpty(t, resp.Topics[0].Partitions[0].RecordBatches)
}

func TestFetchByteLimits(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])
	var sizes []int
	for _, v := range []string{"first", "second", "third"} {
		b := batch(t, 1, v)
		sizes = append(sizes, len(b))
		require.Zero(t, tc.produce("t", 0, b).ErrorCode)
	}
	big := batch(t, 1, string(make([]byte, 5000)))
	require.Zero(t, tc.produce("t", 1, big).ErrorCode)

	t.Run("partition limit cuts the last batch", func(t *testing.T) {
		req := fetchReq(12, "t", 0, 0, 0, 0)
		limit := sizes[0] + sizes[1] + 10
		req.Topics[0].Partitions[0].PartitionMaxBytes = int32(limit)
		raw := tc.do(req).(*kmsg.FetchResponse).Topics[0].Partitions[0].RecordBatches
		assert.Len(t, raw, limit, "two whole batches and 10 bytes of the third")
		assert.Len(t, decodeAll(t, raw), 2)
	})
	t.Run("fetch from the middle of the log", func(t *testing.T) {
		got := decodeAll(t, tc.fetchOne("t", 0, 1).RecordBatches)
		require.Len(t, got, 2)
		assert.Equal(t, "second", string(got[0].Value))
	})
	t.Run("KIP-74: the first batch comes whole", func(t *testing.T) {
		req := fetchReq(12, "t", 1, 0, 0, 0)
		req.Topics[0].Partitions[0].PartitionMaxBytes = 100
		raw := tc.do(req).(*kmsg.FetchResponse).Topics[0].Partitions[0].RecordBatches
		assert.Len(t, raw, len(big))
		assert.Len(t, decodeAll(t, raw), 1)
	})
	t.Run("response limit spans partitions", func(t *testing.T) {
		req := fetchReq(12, "t", 1, 0, 0, 0)
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.PartitionMaxBytes = 0, 1<<20
		req.Topics[0].Partitions = append(req.Topics[0].Partitions, rp)
		req.MaxBytes = int32(len(big) + 7)
		parts := tc.do(req).(*kmsg.FetchResponse).Topics[0].Partitions
		require.Len(t, parts, 2)
		assert.Len(t, parts[0].RecordBatches, len(big), "first partition: its whole first batch, beyond the limit")
		assert.Len(t, parts[1].RecordBatches, 7, "second partition: what is left of the budget")
		assert.Empty(t, decodeAll(t, parts[1].RecordBatches))
	})
}

func TestFetchErrors(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 1))
	leader, err := c.Leader("t", 0)
	require.NoError(t, err)
	tc := leaderClient(t, c, "t", 0)
	for i := 0; i < 3; i++ {
		require.Zero(t, tc.produce("t", 0, batch(t, 1, "v")).ErrorCode)
	}

	epochReq := func(epoch int32) *kmsg.FetchRequest {
		req := fetchReq(12, "t", 0, 2, 0, 0)
		req.Topics[0].Partitions[0].CurrentLeaderEpoch = epoch
		return req
	}
	tests := []struct {
		name string
		req  *kmsg.FetchRequest
		want *kerr.Error
	}{
		{"offset past the high watermark", fetchReq(12, "t", 0, 4, 0, 0), kerr.OffsetOutOfRange},
		{"unknown topic", fetchReq(12, "nope", 0, 0, 0, 0), kerr.UnknownTopicOrPartition},
		{"unknown partition", fetchReq(12, "t", 5, 0, 0, 0), kerr.UnknownTopicOrPartition},
		{"fenced leader epoch", epochReq(-1), nil},
		{"future leader epoch", epochReq(3), kerr.UnknownLeaderEpoch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			tt.req.MaxWaitMillis, tt.req.MinBytes = 10_000, 1
			fp := tc.do(tt.req).(*kmsg.FetchResponse).Topics[0].Partitions[0]
			if tt.want == nil {
				assert.Zero(t, fp.ErrorCode)
				return
			}
			assert.Equal(t, tt.want.Code, fp.ErrorCode)
			assert.Equal(t, int64(-1), fp.HighWatermark)
			assert.Empty(t, fp.RecordBatches)
			assert.NotNil(t, fp.RecordBatches, "empty records, not null")
			assert.Less(t, time.Since(start), 5*time.Second, "an error answers at once")
		})
	}

	t.Run("below the log start offset", func(t *testing.T) {
		dr := kmsg.NewPtrDeleteRecordsRequest()
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Offset = 2
		rt.Partitions = append(rt.Partitions, rp)
		dr.Topics = append(dr.Topics, rt)
		require.Zero(t, tc.do(dr).(*kmsg.DeleteRecordsResponse).Topics[0].Partitions[0].ErrorCode)
		assert.Equal(t, kerr.OffsetOutOfRange.Code, tc.fetchOne("t", 0, 1).ErrorCode)
		fp := tc.fetchOne("t", 0, 2)
		assert.Zero(t, fp.ErrorCode)
		assert.Equal(t, int64(2), fp.LogStartOffset)
	})

	t.Run("fenced after a leader move", func(t *testing.T) {
		require.NoError(t, c.MoveLeader("t", 0, 1-leader))
		require.NoError(t, c.MoveLeader("t", 0, leader))
		fp := tc.do(epochReq(0)).(*kmsg.FetchResponse).Topics[0].Partitions[0]
		assert.Equal(t, kerr.FencedLeaderEpoch.Code, fp.ErrorCode)
		fp = tc.do(epochReq(2)).(*kmsg.FetchResponse).Topics[0].Partitions[0]
		assert.Zero(t, fp.ErrorCode)
	})

	t.Run("not the leader, v16 names the leader", func(t *testing.T) {
		addr, err := c.Addr(1 - leader)
		require.NoError(t, err)
		other := dialClient(t, addr)
		req := fetchReq(12, "t", 0, 0, 0, 0)
		fp := other.do(req).(*kmsg.FetchResponse).Topics[0].Partitions[0]
		assert.Equal(t, kerr.NotLeaderOrFollower.Code, fp.ErrorCode)
	})
}

func TestFetchByTopicID(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	require.Zero(t, tc.produce("t", 0, batch(t, 1, "x")).ErrorCode)
	id, err := c.TopicID("t")
	require.NoError(t, err)
	for _, tid := range [][16]byte{id, {9}} {
		req := fetchReq(13, "", 0, 0, 0, 0)
		req.Topics[0].TopicID = tid
		resp := tc.do(req).(*kmsg.FetchResponse)
		require.Len(t, resp.Topics, 1)
		assert.Equal(t, tid, resp.Topics[0].TopicID)
		fp := resp.Topics[0].Partitions[0]
		if tid == id {
			assert.Zero(t, fp.ErrorCode)
			assert.Len(t, decodeAll(t, fp.RecordBatches), 1)
		} else {
			assert.Equal(t, kerr.UnknownTopicID.Code, fp.ErrorCode)
		}
	}
}

func TestFetchReadCommittedStopsAtOpenTransaction(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	require.Zero(t, tc.produce("t", 0, batch(t, 1, "plain")).ErrorCode)
	require.Zero(t, tc.produce("t", 0, txnBatch(t, 9, "in txn")).ErrorCode)

	req := fetchReq(12, "t", 0, 0, 0, 0)
	req.IsolationLevel = readCommitted
	fp := tc.do(req).(*kmsg.FetchResponse).Topics[0].Partitions[0]
	assert.Equal(t, int64(2), fp.HighWatermark)
	assert.Equal(t, int64(1), fp.LastStableOffset)
	assert.NotNil(t, fp.AbortedTransactions)
	assert.Len(t, decodeAll(t, fp.RecordBatches), 1)

	fp = tc.fetchOne("t", 0, 0)
	assert.Len(t, decodeAll(t, fp.RecordBatches), 2, "read_uncommitted sees the open transaction")
	assert.Nil(t, fp.AbortedTransactions)
}

func TestPipelinedLongPollKeepsResponseOrder(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	fetch := fetchReq(12, "t", 0, 0, 200*time.Millisecond, 1)
	meta := metadataReq(12, "t")
	fc := tc.send(fetch)
	mc := tc.send(meta)
	start := time.Now()
	_, err := tc.recv(fetch, fc) // fails on a correlation id mismatch
	require.NoError(t, err)
	_, err = tc.recv(meta, mc)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func sessionFetch(id, epoch int32, parts ...int32) *kmsg.FetchRequest {
	req := fetchReq(12, "t", 0, 0, 0, 0)
	req.SessionID, req.SessionEpoch = id, epoch
	req.Topics[0].Partitions = nil
	for _, p := range parts {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.PartitionMaxBytes = p, 1<<20
		req.Topics[0].Partitions = append(req.Topics[0].Partitions, rp)
	}
	if len(parts) == 0 {
		req.Topics = nil
	}
	return req
}

func partitionsOf(resp *kmsg.FetchResponse) []int32 {
	var ps []int32
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			ps = append(ps, p.Partition)
		}
	}
	return ps
}

func TestFetchSessions(t *testing.T) {
	c := NewTest(t, WithTopic("t", 3))
	tc := dialClient(t, c.Addrs()[0])

	resp := tc.do(sessionFetch(0, 0, 0, 1, 2)).(*kmsg.FetchResponse)
	require.Zero(t, resp.ErrorCode)
	id := resp.SessionID
	require.NotZero(t, id, "epoch 0 opens a session")
	assert.Equal(t, []int32{0, 1, 2}, partitionsOf(resp), "a full fetch lists every partition")

	resp = tc.do(sessionFetch(id, 1)).(*kmsg.FetchResponse)
	assert.Equal(t, id, resp.SessionID)
	assert.Empty(t, partitionsOf(resp), "nothing changed")

	require.Zero(t, tc.produce("t", 1, batch(t, 1, "x")).ErrorCode)
	resp = tc.do(sessionFetch(id, 2)).(*kmsg.FetchResponse)
	assert.Equal(t, []int32{1}, partitionsOf(resp), "only the partition with data")
	assert.Len(t, decodeAll(t, resp.Topics[0].Partitions[0].RecordBatches), 1)

	// The client moves partition 1 on; nothing is new after that.
	req := sessionFetch(id, 3, 1)
	req.Topics[0].Partitions[0].FetchOffset = 1
	resp = tc.do(req).(*kmsg.FetchResponse)
	assert.Empty(t, partitionsOf(resp))

	t.Run("wrong epoch", func(t *testing.T) {
		resp := tc.do(sessionFetch(id, 9)).(*kmsg.FetchResponse)
		assert.Equal(t, kerr.InvalidFetchSessionEpoch.Code, resp.ErrorCode)
	})
	t.Run("unknown session", func(t *testing.T) {
		resp := tc.do(sessionFetch(id+1, 1)).(*kmsg.FetchResponse)
		assert.Equal(t, kerr.FetchSessionIDNotFound.Code, resp.ErrorCode)
	})
	t.Run("forgotten partitions are left out", func(t *testing.T) {
		req := sessionFetch(id, 4)
		ft := kmsg.NewFetchRequestForgottenTopic()
		ft.Topic, ft.Partitions = "t", []int32{2}
		req.ForgottenTopics = append(req.ForgottenTopics, ft)
		tc.do(req)
		require.Zero(t, tc.produce("t", 2, batch(t, 1, "y")).ErrorCode)
		resp := tc.do(sessionFetch(id, 5)).(*kmsg.FetchResponse)
		assert.Empty(t, partitionsOf(resp))
	})
	t.Run("long poll within a session", func(t *testing.T) {
		req := sessionFetch(id, 6)
		req.MaxWaitMillis, req.MinBytes = 20_000, 1
		corr := tc.send(req)
		eventually(t, "the fetch to wait", func() bool { return waiting(c, "t", 0) })
		other := dialClient(t, c.Addrs()[0])
		require.Zero(t, other.produce("t", 0, batch(t, 1, "z")).ErrorCode)
		resp, err := tc.recv(req, corr)
		require.NoError(t, err)
		assert.Equal(t, []int32{0}, partitionsOf(resp.(*kmsg.FetchResponse)))
	})
	t.Run("close", func(t *testing.T) {
		resp := tc.do(sessionFetch(id, -1, 0)).(*kmsg.FetchResponse)
		assert.Zero(t, resp.SessionID)
		assert.Zero(t, resp.ErrorCode)
		resp = tc.do(sessionFetch(id, 7)).(*kmsg.FetchResponse)
		assert.Equal(t, kerr.FetchSessionIDNotFound.Code, resp.ErrorCode)
	})
	t.Run("sessionless", func(t *testing.T) {
		resp := tc.do(sessionFetch(0, -1, 0)).(*kmsg.FetchResponse)
		assert.Zero(t, resp.SessionID)
		assert.Equal(t, []int32{0}, partitionsOf(resp))
	})
	t.Run("lost when the broker restarts", func(t *testing.T) {
		resp := tc.do(sessionFetch(0, 0, 0)).(*kmsg.FetchResponse)
		id := resp.SessionID
		require.NotZero(t, id)
		require.NoError(t, c.StopBroker(0))
		require.NoError(t, c.RestartBroker(0))
		tc := dialClient(t, c.Addrs()[0])
		resp = tc.do(sessionFetch(id, 1)).(*kmsg.FetchResponse)
		assert.Equal(t, kerr.FetchSessionIDNotFound.Code, resp.ErrorCode)
	})
}

func TestSyntheticFetch(t *testing.T) {
	c := NewTest(t, WithSyntheticFetch(100), WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	offset := int64(0)
	for i := 0; i < 3; i++ {
		fp := tc.fetchOne("t", 0, offset)
		require.Zero(t, fp.ErrorCode)
		recs := decodeAll(t, fp.RecordBatches)
		require.NotEmpty(t, recs)
		for j, r := range recs {
			assert.Equal(t, offset+int64(j), r.Offset)
			assert.Len(t, r.Value, 100)
		}
		offset += int64(len(recs))
		assert.Equal(t, offset, fp.HighWatermark)
	}
	assert.Equal(t, kerr.UnknownTopicOrPartition.Code, tc.fetchOne("nope", 0, 0).ErrorCode)
	assert.Equal(t, kerr.OffsetOutOfRange.Code, tc.fetchOne("t", 0, -5).ErrorCode)
	fp := tc.fetchOne("t", 0, 1<<40)
	require.Zero(t, fp.ErrorCode)
	assert.Equal(t, int64(1<<40), decodeAll(t, fp.RecordBatches)[0].Offset, "any offset")
}

func TestFetchSessionEviction(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	first := tc.do(sessionFetch(0, 0, 0)).(*kmsg.FetchResponse).SessionID
	require.NotZero(t, first)
	second := tc.do(sessionFetch(0, 0, 0)).(*kmsg.FetchResponse).SessionID
	// Use the first so that the second is the least recently used.
	require.Zero(t, tc.do(sessionFetch(first, 1)).(*kmsg.FetchResponse).ErrorCode)
	for i := 0; i < maxFetchSessions-2; i++ {
		require.NotZero(t, tc.do(sessionFetch(0, 0, 0)).(*kmsg.FetchResponse).SessionID)
	}
	require.Zero(t, tc.do(sessionFetch(second, 1)).(*kmsg.FetchResponse).ErrorCode, "the cache is exactly full")
	require.Zero(t, tc.do(sessionFetch(first, 2)).(*kmsg.FetchResponse).ErrorCode)
	// One more session evicts the least recently used one: not first or
	// second, which were just used.
	require.NotZero(t, tc.do(sessionFetch(0, 0, 0)).(*kmsg.FetchResponse).SessionID)
	assert.Zero(t, tc.do(sessionFetch(first, 3)).(*kmsg.FetchResponse).ErrorCode)
	assert.Zero(t, tc.do(sessionFetch(second, 2)).(*kmsg.FetchResponse).ErrorCode)
	c.mu.Lock()
	assert.Len(t, c.brokers[0].sessions.byID, maxFetchSessions)
	c.mu.Unlock()
}
