package producer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/partitioner"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

func TestSendSyncReturnsMetadata(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 3))
	p := newStringProducer(t, cl, producer.WithLinger(0))
	ctx := testCtx(t)
	ts := time.UnixMilli(1_700_000_000_123)
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Key: "k", Value: "hello", Timestamp: ts,
		Headers: []samsa.Header{{Key: "h", Value: []byte("v")}}, Partition: producer.ToPartition(2)})
	require.NoError(t, err)
	assert.Equal(t, "t", md.Topic)
	assert.Equal(t, int32(2), md.Partition)
	assert.Equal(t, int64(0), md.Offset)
	assert.True(t, ts.Equal(md.Timestamp), "timestamp %v, want %v", md.Timestamp, ts)
	assert.Equal(t, 1, md.SerializedKeySize)
	assert.Equal(t, 5, md.SerializedValueSize)

	recs, err := cl.Records("t", 2)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "k", string(recs[0].Key))
	assert.Equal(t, "hello", string(recs[0].Value))
	assert.Equal(t, []samsa.Header{{Key: "h", Value: []byte("v")}}, recs[0].Headers)
	assert.True(t, ts.Equal(recs[0].Timestamp))

	md, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "second", Partition: producer.ToPartition(2)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), md.Offset)
	assert.WithinDuration(t, time.Now(), md.Timestamp, time.Minute, "a zero timestamp means now")
}

func TestZeroPartitionIsNotPartitionZero(t *testing.T) {
	assert.Equal(t, producer.AnyPartition, producer.Record[string, string]{}.Partition)
	id, ok := producer.AnyPartition.ID()
	assert.False(t, ok)
	assert.Equal(t, int32(-1), id)
	id, ok = producer.ToPartition(0).ID()
	assert.True(t, ok)
	assert.Equal(t, int32(0), id)

	// Unkeyed records (a nil key: a string key "" would be hashed) without
	// a partition are spread by the sticky partitioner; with 8 partitions
	// and a batch size of one record, not every record lands on partition 0.
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("spread", 8))
	p, err := producer.New(serde.Bytes(), serde.String(), producer.WithBrokers(cl.Addrs()...),
		producer.WithBatchSize(0), producer.WithLinger(0))
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close(testCtx(t))) }()
	ctx := testCtx(t)
	parts := map[int32]bool{}
	for i := range 64 {
		md, err := p.SendSync(ctx, &producer.Record[[]byte, string]{Topic: "spread", Value: fmt.Sprint(i)})
		require.NoError(t, err)
		parts[md.Partition] = true
	}
	assert.Greater(t, len(parts), 1, "records all went to %v", parts)
}

func TestSendErrorsNeverCallTheCallback(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2), mockbroker.WithAutoCreateTopics(false))
	failing := serde.SerializerFunc[string](func(_ string, _ *[]samsa.Header, v string) ([]byte, error) {
		if v == "bad" {
			return nil, errors.New("cannot encode bad")
		}
		return []byte(v), nil
	})
	p, err := producer.New(serde.String(), failing, producer.WithBrokers(cl.Addrs()...),
		producer.WithMaxBlock(50*time.Millisecond), producer.WithMaxRequestSize(1000), producer.WithLinger(0))
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close(testCtx(t))) }()
	ctx := testCtx(t)

	called := 0
	cb := func(producer.RecordMetadata, error) { called++ }
	tests := []struct {
		name  string
		rec   *producer.Record[string, string]
		check func(t *testing.T, err error)
	}{
		{"nil record", nil, func(t *testing.T, err error) { assert.ErrorIs(t, err, producer.ErrNilRecord) }},
		{"invalid topic", &producer.Record[string, string]{Topic: "bad topic!", Value: "v"},
			func(t *testing.T, err error) { assert.ErrorIs(t, err, samsa.ErrInvalidTopic) }},
		{"empty topic", &producer.Record[string, string]{Value: "v"},
			func(t *testing.T, err error) { assert.ErrorIs(t, err, samsa.ErrInvalidTopic) }},
		{"serializer error", &producer.Record[string, string]{Topic: "t", Value: "bad"}, func(t *testing.T, err error) {
			var se *producer.SerializationError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, serde.FieldValue, se.Field)
			var serr *serde.Error
			assert.ErrorAs(t, err, &serr)
			assert.Contains(t, err.Error(), "cannot encode bad")
		}},
		{"too large", &producer.Record[string, string]{Topic: "t", Value: strings.Repeat("x", 2000)},
			func(t *testing.T, err error) { assert.ErrorIs(t, err, samsa.ErrRecordTooLarge) }},
		{"negative partition", &producer.Record[string, string]{Topic: "t", Value: "v", Partition: producer.ToPartition(-3)},
			func(t *testing.T, err error) { assert.ErrorIs(t, err, partitioner.ErrInvalidPartition) }},
		{"partition beyond the topic", &producer.Record[string, string]{Topic: "t", Value: "v", Partition: producer.ToPartition(5)},
			func(t *testing.T, err error) {
				assert.ErrorIs(t, err, partitioner.ErrInvalidPartition)
				var me *producer.MetadataError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, int32(2), me.Partitions)
			}},
		{"unknown topic after max block", &producer.Record[string, string]{Topic: "missing", Value: "v"}, func(t *testing.T, err error) {
			var me *producer.MetadataError
			require.ErrorAs(t, err, &me)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition)
			assert.Equal(t, "missing", me.Topic)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Send(ctx, tc.rec, cb)
			require.Error(t, err)
			tc.check(t, err)
		})
	}
	// A good record after all that still goes through, and only its
	// callback runs.
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "good", Partition: producer.ToPartition(1)})
	require.NoError(t, err)
	assert.Equal(t, int64(0), md.Offset)
	require.NoError(t, p.Flush(ctx))
	assert.Zero(t, called)
	assert.Equal(t, []string{"good"}, recordValues(t, cl, "t", 1))
}

func TestSendHonoursCtxWhileWaitingForMetadata(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithAutoCreateTopics(false))
	p := newStringProducer(t, cl) // max block 60 s: only ctx can end the wait
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() { errc <- p.Send(ctx, &producer.Record[string, string]{Topic: "nowhere", Value: "v"}, nil) }()
	// The Send is blocked: the topic does not exist. Wait until it has
	// asked for metadata at least twice, then cancel.
	eventually(t, func() bool { return cl.Requests(3) >= 3 }, "metadata requests for the missing topic")
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(testTimeout):
		t.Fatal("Send did not return after its ctx was cancelled")
	}
}

func TestSendAfterCloseFails(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl)
	ctx := testCtx(t)
	_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "before"})
	require.NoError(t, err)
	require.NoError(t, p.Close(ctx))
	require.NoError(t, p.Close(ctx), "Close is idempotent")
	err = p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: "after"}, func(producer.RecordMetadata, error) {
		t.Error("callback of a rejected record")
	})
	assert.ErrorIs(t, err, samsa.ErrClosed)
	_, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "after"})
	assert.ErrorIs(t, err, samsa.ErrClosed)
	assert.ErrorIs(t, p.Flush(ctx), samsa.ErrClosed)
	assert.Equal(t, []string{"before"}, recordValues(t, cl, "t", 0))
}

func TestCallbackPanicIsContained(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl)
	ctx := testCtx(t)
	col := newCollector()
	require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: "a"}, func(producer.RecordMetadata, error) {
		panic("callback bug")
	}))
	require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: "b"}, col.cb))
	got := col.wait(t, 1)
	require.NoError(t, got[0].err)
	assert.Equal(t, int64(1), got[0].md.Offset)
}

func TestSerializersMayAddHeaders(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	tagging := serde.SerializerFunc[string](func(_ string, h *[]samsa.Header, v string) ([]byte, error) {
		*h = append(*h, samsa.Header{Key: "content-type", Value: []byte("text/plain")})
		return []byte(v), nil
	})
	p, err := producer.New(serde.String(), tagging, producer.WithBrokers(cl.Addrs()...))
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close(testCtx(t))) }()
	rec := &producer.Record[string, string]{Topic: "t", Value: "v", Headers: []samsa.Header{{Key: "a", Value: []byte("1")}}}
	for range 2 {
		_, err = p.SendSync(testCtx(t), rec)
		require.NoError(t, err)
	}
	assert.Len(t, rec.Headers, 1, "the record's own headers are not changed")
	recs, err := cl.Records("t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	for _, r := range recs {
		assert.Equal(t, []samsa.Header{{Key: "a", Value: []byte("1")}, {Key: "content-type", Value: []byte("text/plain")}}, r.Headers)
	}
}

func TestBlockingCallsFromACallbackAreRefused(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl)
	ctx := testCtx(t)
	errs := make(chan [3]error, 1)
	require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: "v"}, func(producer.RecordMetadata, error) {
		_, serr := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "nested"})
		errs <- [3]error{p.Flush(ctx), serr, p.Close(ctx)}
	}))
	got := <-errs
	for i, err := range got {
		assert.ErrorIs(t, err, producer.ErrCalledFromCallback, "call %d", i)
	}
	// The refused calls changed nothing: the producer still works.
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "after"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), md.Offset)
	require.NoError(t, p.Close(ctx))
}
