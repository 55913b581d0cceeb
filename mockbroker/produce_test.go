package mockbroker

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

func TestProduceAssignsOffsetsAndStores(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	ts := time.Now().Add(-time.Hour).UnixMilli()
	for i, want := range []int64{0, 3, 5} {
		values := [][]string{{"a", "b", "c"}, {"d", "e"}, {"f"}}[i]
		sp := tc.produce("t", 0, batch(t, ts, values...))
		require.Zero(t, sp.ErrorCode, "%v", sp.ErrorMessage)
		assert.Equal(t, want, sp.BaseOffset)
		assert.Equal(t, int64(-1), sp.LogAppendTime)
		assert.Zero(t, sp.LogStartOffset)
	}
	hwm, err := c.HighWatermark("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(6), hwm)

	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 6)
	for i, r := range recs {
		assert.Equal(t, int64(i), r.Offset)
		assert.Equal(t, string(rune('a'+i)), string(r.Value))
		assert.Equal(t, ts, r.Timestamp.UnixMilli())
		assert.False(t, r.LogAppendTime)
		require.Len(t, r.Headers, 1)
		assert.Equal(t, "h", r.Headers[0].Key)
		assert.Equal(t, int64(-1), r.ProducerID)
		assert.Zero(t, r.LeaderEpoch)
	}

	// A fetch returns the batches byte for byte, with the base offsets and
	// leader epochs the broker set.
	fp := tc.fetchOne("t", 0, 0)
	require.Zero(t, fp.ErrorCode)
	assert.Equal(t, int64(6), fp.HighWatermark)
	assert.Equal(t, int64(6), fp.LastStableOffset)
	got := decodeAll(t, fp.RecordBatches)
	require.Len(t, got, 6)
	for i, r := range got {
		assert.Equal(t, int64(i), r.Offset)
	}
	hdr, _, _, err := records.ReadBatch(fp.RecordBatches)
	require.NoError(t, err)
	assert.Equal(t, int32(0), hdr.PartitionLeaderEpoch)
}

func TestProduceAcksZeroSendsNoResponse(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	tc.send(produceReq(9, 0, "t", 0, batch(t, 1, "x")))
	// The next response on the connection answers the next request.
	resp := tc.do(metadataReq(9, "t")).(*kmsg.MetadataResponse)
	require.Len(t, resp.Topics, 1)
	hwm, err := c.HighWatermark("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), hwm)
}

func TestProduceLogAppendTime(t *testing.T) {
	for _, viaOption := range []bool{true, false} {
		t.Run(map[bool]string{true: "option", false: "topic config"}[viaOption], func(t *testing.T) {
			var c *Cluster
			if viaOption {
				c = NewTest(t, WithLogAppendTime("t"), WithTopic("t", 1))
			} else {
				c = NewTest(t)
				require.NoError(t, c.CreateTopicWithConfigs("t", 1, map[string]string{"message.timestamp.type": "LogAppendTime"}))
			}
			tc := dialClient(t, c.Addrs()[0])
			before := time.Now().UnixMilli()
			sp := tc.produce("t", 0, batch(t, 1000, "a", "b"))
			after := time.Now().UnixMilli()
			require.Zero(t, sp.ErrorCode)
			assert.GreaterOrEqual(t, sp.LogAppendTime, before)
			assert.LessOrEqual(t, sp.LogAppendTime, after)
			recs, err := c.Records("t", 0)
			require.NoError(t, err)
			for _, r := range recs {
				assert.True(t, r.LogAppendTime)
				assert.Equal(t, sp.LogAppendTime, r.Timestamp.UnixMilli())
			}
			got := decodeAll(t, tc.fetchOne("t", 0, 0).RecordBatches)
			require.Len(t, got, 2)
			assert.Equal(t, sp.LogAppendTime, got[1].Timestamp)
		})
	}
}

func TestProduceErrors(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 2), WithAutoCreateTopics(true))
	require.NoError(t, c.CreateTopicWithConfigs("small", 1, map[string]string{"max.message.bytes": "200"}))
	require.NoError(t, c.CreateTopicWithConfigs("compact", 1, map[string]string{"cleanup.policy": "compact"}))
	good := batch(t, 1, "v")
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-1] ^= 0xff
	nonZeroBase := bytes.Clone(good)
	records.SetBaseOffset(nonZeroBase, 7)
	badMagic := bytes.Clone(good)
	badMagic[16] = 1
	var nullKey records.Builder
	nullKey.Reset(nil, 1)
	nullKey.Append(1, []byte("k"), []byte("v"), nil)
	nullKey.Append(1, nil, []byte("v"), nil)
	nullKeyBatch, err := nullKey.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(t, err)
	big := batch(t, 1, string(make([]byte, 300)))

	leaderOf := func(p int32) int32 { l, err := c.Leader("t", p); require.NoError(t, err); return l }
	// Partition 0 and 1 have different leaders; talk to partition 0's.
	require.NotEqual(t, leaderOf(0), leaderOf(1))
	tc := leaderClient(t, c, "t", 0)

	tests := []struct {
		name      string
		topic     string
		partition int32
		acks      int16
		records   []byte
		want      *kerr.Error
	}{
		{"unknown topic (no auto-create on produce)", "nope", 0, -1, good, kerr.UnknownTopicOrPartition},
		{"invalid topic name", "no way", 0, -1, good, kerr.InvalidTopicException},
		{"unknown partition", "t", 9, -1, good, kerr.UnknownTopicOrPartition},
		{"not the leader", "t", 1, -1, good, kerr.NotLeaderOrFollower},
		{"bad acks", "t", 0, 2, good, kerr.InvalidRequiredAcks},
		{"CRC mismatch", "t", 0, -1, corrupt, kerr.CorruptMessage},
		{"truncated batch", "t", 0, -1, good[:len(good)-3], kerr.CorruptMessage},
		{"two batches", "t", 0, -1, append(bytes.Clone(good), good...), kerr.InvalidRecord},
		{"no batch", "t", 0, -1, nil, kerr.InvalidRecord},
		{"magic 1", "t", 0, -1, badMagic, kerr.InvalidRecord},
		{"non-zero base offset", "t", 0, -1, nonZeroBase, kerr.InvalidRecord},
		{"larger than max.message.bytes", "small", 0, -1, big, kerr.MessageTooLarge},
		{"null key on a compacted topic", "compact", 0, -1, nullKeyBatch, kerr.InvalidRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.topic != "t" {
				// single-partition topics: talk to their leader
				l, err := c.Leader(tt.topic, 0)
				if err == nil && l != leaderOf(0) {
					require.NoError(t, c.MoveLeader(tt.topic, 0, leaderOf(0)))
				}
			}
			before, _ := c.HighWatermark(tt.topic, tt.partition)
			resp := tc.do(produceReq(9, tt.acks, tt.topic, tt.partition, tt.records)).(*kmsg.ProduceResponse)
			sp := resp.Topics[0].Partitions[0]
			assert.Equal(t, tt.want.Code, sp.ErrorCode, "got %v", kerr.ForCode(sp.ErrorCode))
			assert.Equal(t, int64(-1), sp.BaseOffset)
			require.NotNil(t, sp.ErrorMessage)
			after, _ := c.HighWatermark(tt.topic, tt.partition)
			assert.Equal(t, before, after, "nothing appended")
		})
	}
	_, err = c.Leader("nope", 0)
	assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition, "produce never auto-creates")
}

func TestProduceNotLeaderNamesCurrentLeader(t *testing.T) {
	c := NewTest(t, WithBrokers(2), WithTopic("t", 1))
	l, err := c.Leader("t", 0)
	require.NoError(t, err)
	addr, err := c.Addr(1 - l)
	require.NoError(t, err)
	tc := dialClient(t, addr)
	resp := tc.do(produceReq(10, -1, "t", 0, batch(t, 1, "x"))).(*kmsg.ProduceResponse)
	sp := resp.Topics[0].Partitions[0]
	assert.Equal(t, kerr.NotLeaderOrFollower.Code, sp.ErrorCode)
	assert.Equal(t, l, sp.CurrentLeader.LeaderID)
	assert.Zero(t, sp.CurrentLeader.LeaderEpoch)
	require.Len(t, resp.Brokers, 1)
	assert.Equal(t, l, resp.Brokers[0].NodeID)
}

func TestProduceByTopicID(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	id, err := c.TopicID("t")
	require.NoError(t, err)
	tc := dialClient(t, c.Addrs()[0])
	// Produce v13 addresses topics by id; kmsg knows it even though the
	// broker advertises up to v11, so check the broker refuses it.
	req := produceReq(13, -1, "", 0, batch(t, 1, "x"))
	req.Topics[0].TopicID = id
	tc.send(req)
	tc.expectClosed()
}

func TestProduceCompressed(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	for _, codec := range []records.Codec{records.CodecGzip, records.CodecSnappy, records.CodecLZ4, records.CodecZstd} {
		var b records.Builder
		b.Reset(nil, 5)
		for i := 0; i < 50; i++ {
			b.Append(5, nil, bytes.Repeat([]byte("compress me "), 10), nil)
		}
		out, err := b.Finish(records.NewFinishOptions(codec, 0))
		require.NoError(t, err)
		sp := tc.produce("t", 0, out)
		require.Zero(t, sp.ErrorCode, "%s: %v", codec, sp.ErrorMessage)
	}
	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	assert.Len(t, recs, 200)
	// A batch whose compressed section is garbage is CORRUPT_MESSAGE.
	var b records.Builder
	b.Reset(nil, 5)
	b.Append(5, nil, bytes.Repeat([]byte("x"), 1000), nil)
	out, err := b.Finish(records.NewFinishOptions(records.CodecGzip, 0))
	require.NoError(t, err)
	out[records.HeaderSize+12] ^= 0xff
	binary.BigEndian.PutUint32(out[17:], crc32c(out[21:]))
	sp := tc.produce("t", 0, out)
	assert.Equal(t, kerr.CorruptMessage.Code, sp.ErrorCode)
}

func TestIdempotentProducer(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	const pid = 4000

	sp := tc.produce("t", 0, idemBatch(t, pid, 0, 0, "a", "b"))
	require.Zero(t, sp.ErrorCode)
	sp = tc.produce("t", 0, idemBatch(t, pid, 0, 2, "c"))
	require.Zero(t, sp.ErrorCode)
	assert.Equal(t, int64(2), sp.BaseOffset)

	t.Run("retry of an earlier batch answers its offset", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid, 0, 0, "a", "b"))
		assert.Zero(t, sp.ErrorCode)
		assert.Equal(t, int64(0), sp.BaseOffset)
		hwm, _ := c.HighWatermark("t", 0)
		assert.Equal(t, int64(3), hwm, "nothing written twice")
	})
	t.Run("gap", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid, 0, 5, "x"))
		assert.Equal(t, kerr.OutOfOrderSequenceNumber.Code, sp.ErrorCode)
	})
	t.Run("new epoch must start at 0", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid, 1, 3, "x"))
		assert.Equal(t, kerr.OutOfOrderSequenceNumber.Code, sp.ErrorCode)
		sp = tc.produce("t", 0, idemBatch(t, pid, 1, 0, "x"))
		assert.Zero(t, sp.ErrorCode)
	})
	t.Run("old epoch is fenced", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid, 0, 3, "x"))
		assert.Equal(t, kerr.InvalidProducerEpoch.Code, sp.ErrorCode)
	})
	t.Run("unknown producer may start anywhere", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid+1, 0, 42, "x"))
		assert.Zero(t, sp.ErrorCode)
	})
	t.Run("sequence wraps", func(t *testing.T) {
		sp := tc.produce("t", 0, idemBatch(t, pid+2, 0, 1<<31-2, "x", "y"))
		require.Zero(t, sp.ErrorCode)
		sp = tc.produce("t", 0, idemBatch(t, pid+2, 0, 0, "z"))
		assert.Zero(t, sp.ErrorCode)
	})
	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(pid), recs[0].ProducerID)
	assert.Equal(t, int32(1), recs[1].Sequence)
}

func TestPipelinedProducesKeepOrder(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	var reqs []kmsg.Request
	var corrs []int32
	for i := 0; i < 20; i++ {
		req := produceReq(9, -1, "t", 0, batch(t, 1, "v"))
		reqs = append(reqs, req)
		corrs = append(corrs, tc.send(req))
	}
	for i, req := range reqs {
		resp, err := tc.recv(req, corrs[i])
		require.NoError(t, err)
		assert.Equal(t, int64(i), resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].BaseOffset)
	}
}

func TestBlackhole(t *testing.T) {
	c := NewTest(t, WithBlackhole(), WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	for i := 0; i < 3; i++ {
		sp := tc.produce("t", 0, batch(t, 1, "a", "b"))
		require.Zero(t, sp.ErrorCode)
		assert.Equal(t, int64(2*i), sp.BaseOffset)
	}
	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	assert.Empty(t, recs)
	fp := tc.fetchOne("t", 0, 0)
	assert.Zero(t, fp.ErrorCode)
	assert.Equal(t, int64(6), fp.HighWatermark)
	assert.Empty(t, fp.RecordBatches)
	// Corruption is still caught.
	bad := batch(t, 1, "a")
	bad[len(bad)-1] ^= 1
	assert.Equal(t, kerr.CorruptMessage.Code, tc.produce("t", 0, bad).ErrorCode)
}

// Produce requests are read into recycled buffers. Nothing the broker
// keeps may alias them: the logs hold copies, and a request seen by a hook
// (which may keep it) is never recycled.
func TestProduceRequestBuffersAreRecycledSafely(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	var kept []*kmsg.ProduceRequest
	c.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if r, ok := req.(*kmsg.ProduceRequest); ok && len(kept) < 3 {
			kept = append(kept, r)
		}
		return nil, nil, false
	})
	tc := dialClient(t, c.Addrs()[0])
	ts := time.Now().UnixMilli()
	value := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 50<<10) }
	const n = 40
	for i := range n {
		sp := tc.produce("t", 0, batch(t, ts, value(i), value(i+1)))
		require.Zero(t, sp.ErrorCode)
		if i == 2 {
			c.mu.Lock()
			c.hooks = nil // later requests are recycled
			c.mu.Unlock()
		}
	}
	recs, err := c.Records("t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 2*n)
	for i, r := range recs {
		require.Equal(t, value(i/2+i%2), string(r.Value), "record %d", i)
	}
	require.Len(t, kept, 3)
	for i, r := range kept {
		got := decodeAll(t, r.Topics[0].Partitions[0].Records)
		require.Len(t, got, 2)
		assert.Equal(t, value(i), string(got[0].Value), "request %d, seen by a hook, was overwritten", i)
	}
}
