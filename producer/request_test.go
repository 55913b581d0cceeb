package producer

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
)

// drainedBatches appends a few records to three partitions of two topics
// and drains them as one request would carry them.
func drainedBatches(t testing.TB) []*accumulator.Batch {
	t.Helper()
	acc, err := accumulator.New(accumulator.WithLinger(0))
	require.NoError(t, err)
	tps := []samsa.TopicPartition{{Topic: "alpha", Partition: 0}, {Topic: "beta", Partition: 3}, {Topic: "alpha", Partition: 2}}
	for i, tp := range tps {
		for j := range i + 1 {
			_, err := acc.Append(context.Background(), tp, time.Now().UnixMilli(), []byte{byte(j)}, bytes.Repeat([]byte{'v'}, 10*j), nil, nil)
			require.NoError(t, err)
		}
	}
	batches := acc.Drain(time.Now(), 1, tps, 1<<20)
	require.Len(t, batches, len(tps))
	return batches
}

// TestProduceRequestDecodesWithKmsg encodes the producer's request at
// every version it speaks and decodes it with kmsg's own ProduceRequest,
// an independent codec.
func TestProduceRequestDecodesWithKmsg(t *testing.T) {
	batches := drainedBatches(t)
	req := newProduceRequest(-1, 1234, batches)
	require.Len(t, req.topics, 2, "batches are grouped by topic")
	for v := int16(minProduceVersion); v <= maxProduceVersion; v++ {
		req.SetVersion(v)
		assert.Equal(t, v >= 9, req.IsFlexible())
		body := req.AppendTo([]byte("prefix"))
		require.Equal(t, "prefix", string(body[:6]))
		assert.Equal(t, len(body)-6, req.size)

		var got kmsg.ProduceRequest
		got.Version = v
		require.NoError(t, got.ReadFrom(body[6:]), "version %d", v)
		assert.Nil(t, got.TransactionID)
		assert.Equal(t, int16(-1), got.Acks)
		assert.Equal(t, int32(1234), got.TimeoutMillis)
		require.Len(t, got.Topics, 2)
		i := 0
		for ti, topic := range got.Topics {
			for pi, p := range topic.Partitions {
				b := req.batches[i]
				assert.Equal(t, b.TopicPartition(), samsa.TopicPartition{Topic: topic.Topic, Partition: p.Partition})
				assert.Equal(t, b.Records(), p.Records)
				gt, gp := req.position(i)
				assert.Equal(t, [2]int{ti, pi}, [2]int{gt, gp})
				i++
			}
		}
		assert.Equal(t, len(batches), i)

		// kmsg encodes the same request to the same bytes.
		assert.Equal(t, got.AppendTo(nil), body[6:], "version %d", v)
	}
	assert.ErrorIs(t, req.ReadFrom(nil), errEncodeOnly)
	assert.Equal(t, int16(0), req.Key())
	assert.Equal(t, int16(-1), req.RequiredAcks())
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	assert.Equal(t, req.GetVersion(), resp.Version)
}

func BenchmarkProduceRequestAppendTo(b *testing.B) {
	batches := drainedBatches(b)
	req := newProduceRequest(-1, 30000, batches)
	req.SetVersion(maxProduceVersion)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for range b.N {
		buf = req.AppendTo(buf[:0])
	}
}
