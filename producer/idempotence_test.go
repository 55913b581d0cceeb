package producer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// storedRecords returns every record of a partition.
func storedRecords(t *testing.T, cl *mockbroker.Cluster, topic string, partition int32) []mockbroker.Record {
	t.Helper()
	recs, err := cl.Records(topic, partition)
	require.NoError(t, err)
	return recs
}

func TestIdempotentByDefault(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 3))
	p := newStringProducer(t, cl, producer.WithBatchSize(300), producer.WithLinger(time.Millisecond))
	for _, o := range sendAll(t, p, "t", producer.AnyPartition, "r", 300) {
		require.NoError(t, o.err)
	}
	pid := int64(-1)
	for part := range int32(3) {
		for i, r := range storedRecords(t, cl, "t", part) {
			require.GreaterOrEqual(t, r.ProducerID, int64(0), "records carry a producer id")
			if pid < 0 {
				pid = r.ProducerID
			}
			assert.Equal(t, pid, r.ProducerID)
			assert.Equal(t, int16(0), r.ProducerEpoch)
			assert.Equal(t, int32(i), r.Sequence, "partition %d: sequences run from 0 without gaps", part)
		}
	}
	assert.Equal(t, 1, cl.Requests(22), "one InitProducerId")
}

func TestIdempotenceConfig(t *testing.T) {
	brokers := producer.WithBrokers("127.0.0.1:9092")
	for _, tc := range []struct {
		name     string
		conflict producer.Option
	}{
		{"acks=1", producer.WithAcks(producer.AcksLeader)},
		{"acks=0", producer.WithAcks(producer.AcksNone)},
		{"retries=0", producer.WithRetries(0)},
		{"6 in flight", producer.WithMaxInFlight(6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := producer.New(serde.String(), serde.String(), brokers, producer.WithIdempotence(true), tc.conflict)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce, "explicit idempotence with a conflicting option")
			assert.Contains(t, ce.Option, "WithIdempotence")
			p, err := producer.New(serde.String(), serde.String(), brokers, tc.conflict)
			require.NoError(t, err, "default idempotence gives way silently")
			require.NoError(t, p.Close(testCtx(t)))
		})
	}

	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithAcks(producer.AcksLeader))
	_, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "t", Value: "v"})
	require.NoError(t, err)
	recs := storedRecords(t, cl, "t", 0)
	require.Len(t, recs, 1)
	assert.Equal(t, int64(-1), recs[0].ProducerID, "idempotence was turned off by acks=1")
	assert.Zero(t, cl.Requests(22))
}

func TestIdempotentEpochBump(t *testing.T) {
	for _, code := range []*kerr.Error{kerr.UnknownProducerID, kerr.InvalidProducerEpoch, kerr.OutOfOrderSequenceNumber} {
		t.Run(code.Name, func(t *testing.T) {
			cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
			p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
			ctx := testCtx(t)
			_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r0"})
			require.NoError(t, err)
			// The broker rejects the next batch as if it had lost the
			// producer's state (or the sequence the producer expects next).
			cl.InjectError(0, code, 1)
			md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r1"})
			require.NoError(t, err)
			assert.Equal(t, int64(1), md.Offset)
			_, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r2"})
			require.NoError(t, err)
			recs := storedRecords(t, cl, "t", 0)
			require.Len(t, recs, 3)
			assert.Equal(t, int16(0), recs[0].ProducerEpoch)
			assert.Equal(t, int16(1), recs[1].ProducerEpoch, "retried under a new epoch")
			assert.Equal(t, int32(0), recs[1].Sequence, "a new epoch starts at sequence 0")
			assert.Equal(t, int16(1), recs[2].ProducerEpoch)
			assert.Equal(t, int32(1), recs[2].Sequence)
			assert.Equal(t, recs[0].ProducerID, recs[2].ProducerID, "the epoch is bumped locally, the id kept")
			assert.Equal(t, 1, cl.Requests(22))
		})
	}
}

func TestIdempotentDuplicateIsSuccess(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithLinger(0))
	ctx := testCtx(t)
	_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r0"})
	require.NoError(t, err)
	cl.InjectError(0, kerr.DuplicateSequenceNumber, 1)
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r1"})
	require.NoError(t, err, "the broker has the batch already")
	assert.Equal(t, int64(-1), md.Offset, "and kept no offset to report")
}

func TestIdempotentInitProducerIDFailures(t *testing.T) {
	t.Run("retriable", func(t *testing.T) {
		cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
		cl.InjectError(22, kerr.CoordinatorNotAvailable, 2)
		p := newStringProducer(t, cl, producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
		_, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "t", Value: "v"})
		require.NoError(t, err)
		assert.Equal(t, 3, cl.Requests(22))
	})
	t.Run("fatal", func(t *testing.T) {
		cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
		cl.InjectError(22, kerr.ClusterAuthorizationFailed, 1)
		p := newStringProducer(t, cl)
		for i := range 3 {
			_, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(i)})
			require.Error(t, err)
			assert.ErrorIs(t, err, kerr.ClusterAuthorizationFailed)
		}
		assert.Equal(t, 1, cl.Requests(22), "a fatal error is not retried")
		assert.Empty(t, storedRecords(t, cl, "t", 0))
	})
}

func TestIdempotentGapAfterExpiryBumpsEpoch(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRequestTimeout(200*time.Millisecond),
		producer.WithDeliveryTimeout(200*time.Millisecond), producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	ctx := testCtx(t)
	_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r0"})
	require.NoError(t, err)
	g := holdProduce(t, cl)
	_, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "lost"})
	require.Error(t, err)
	g.release()
	// The expired batch had sequence 1; whatever became of it, the next
	// batch goes out under a new epoch from sequence 0 and is written.
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r2"})
	require.NoError(t, err)
	recs := storedRecords(t, cl, "t", 0)
	last := recs[len(recs)-1]
	assert.Equal(t, md.Offset, last.Offset)
	assert.Equal(t, "r2", string(last.Value))
	assert.Equal(t, int16(1), last.ProducerEpoch)
	assert.Equal(t, int32(0), last.Sequence)
}

func TestIdempotentOrderWithFiveInFlight(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	require.NoError(t, cl.SetLatency(0, 2*time.Millisecond)) // keep several requests in flight
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithBatchSize(200),
		producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	ctx := testCtx(t)
	col := newCollector()
	const n = 600
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprintf("r%d", i)}, col.cb))
		switch i {
		case 50:
			cl.InjectError(0, kerr.NotLeaderOrFollower, 2)
		case 200:
			cl.DropResponse(0, 2)
		case 400:
			require.NoError(t, cl.DropConnections(0))
		}
	}
	last := int64(-1)
	for _, o := range col.wait(t, n) {
		require.NoError(t, o.err)
		require.Greater(t, o.md.Offset, last, "callbacks in offset order")
		last = o.md.Offset
	}
	assertStoredOnce(t, cl, "t", 1, "r", n, false)
	assertInSendOrder(t, cl, "t", 1)
}
