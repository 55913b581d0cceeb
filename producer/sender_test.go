package producer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
)

// sendAll sends n records with values prefix0..prefix<n-1> to topic and
// waits for every callback, returning them in arrival order.
func sendAll(t *testing.T, p *producer.Producer[string, string], topic string, part producer.Partition, prefix string, n int) []outcome {
	t.Helper()
	ctx := testCtx(t)
	col := newCollector()
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: topic, Value: fmt.Sprintf("%s%d", prefix, i), Partition: part}, col.cb))
	}
	return col.wait(t, n)
}

func TestLingerCollectsRecordsIntoOneBatch(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	spy := spyProduce(t, cl)
	p := newStringProducer(t, cl, producer.WithLinger(time.Hour))
	ctx := testCtx(t)
	col := newCollector()
	for i := range 20 {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(i), Partition: producer.ToPartition(0)}, col.cb))
	}
	// Nothing is sent while the batch lingers and has room.
	assert.Zero(t, len(spy.batches()))
	require.NoError(t, p.Flush(ctx))
	got := col.snapshot()
	require.Len(t, got, 20, "Flush returned before every callback ran")
	batches := spy.batches()
	require.Len(t, batches, 1)
	assert.Equal(t, 20, batches[0].records)
	for i, o := range got {
		require.NoError(t, o.err)
		assert.Equal(t, int64(i), o.md.Offset)
	}
}

func TestLingerZeroSendsAtOnce(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	spy := spyProduce(t, cl)
	p := newStringProducer(t, cl, producer.WithLinger(0))
	ctx := testCtx(t)
	for i := range 5 {
		_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(i)})
		require.NoError(t, err)
	}
	batches := spy.batches()
	require.Len(t, batches, 5, "one batch per synchronous send")
	for _, b := range batches {
		assert.Equal(t, 1, b.records)
	}
}

func TestBatchSizeBoundsBatches(t *testing.T) {
	const batchSize = 1024
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	spy := spyProduce(t, cl)
	p := newStringProducer(t, cl, producer.WithLinger(time.Hour), producer.WithBatchSize(batchSize))
	value := strings.Repeat("v", 90)
	const n = 100
	ctx := testCtx(t)
	col := newCollector()
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(value, i)}, col.cb))
	}
	// Full batches go out although the linger is an hour; only the last,
	// partial one waits for this flush.
	eventually(t, func() bool { return len(col.snapshot()) >= n-9 }, "full batches sent without a flush")
	require.NoError(t, p.Flush(ctx))
	for _, o := range col.wait(t, n) {
		require.NoError(t, o.err)
	}
	batches := spy.batches()
	total := 0
	for _, b := range batches {
		assert.LessOrEqual(t, b.bytes, batchSize)
		total += b.records
	}
	assert.Equal(t, n, total)
	// About 100 bytes a record: at most 9 fit in 1 KiB with the header.
	assert.GreaterOrEqual(t, len(batches), n/9)
	require.Len(t, recordValues(t, cl, "t", 0), n)
}

func TestBackPressureFailsWithBufferFull(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	const maxBlock = 200 * time.Millisecond
	p := newStringProducer(t, cl, producer.WithBufferMemory(1<<20), producer.WithBatchSize(16<<10),
		producer.WithLinger(0), producer.WithMaxBlock(maxBlock))
	g := holdProduce(t, cl) // after the producer, so that it is released before the producer closes
	ctx := testCtx(t)
	value := strings.Repeat("x", 1000)
	col := newCollector()
	accepted := 0
	var blockErr error
	var blocked time.Duration
	for i := range 5000 {
		start := time.Now()
		err := p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprintf("%05d%s", i, value)}, col.cb)
		if err != nil {
			blockErr, blocked = err, time.Since(start)
			break
		}
		accepted++
	}
	require.Error(t, blockErr, "1 MiB of buffer never ran out")
	assert.ErrorIs(t, blockErr, samsa.ErrBufferFull)
	assert.GreaterOrEqual(t, blocked, maxBlock-10*time.Millisecond, "Send gave up before the max block time")
	assert.Positive(t, g.held.Load(), "no produce request reached the stalled broker")
	assert.Less(t, accepted, 1100, "more records accepted than 1 MiB holds")
	assert.Empty(t, col.snapshot(), "callbacks ran while the broker was stalled")

	g.release()
	got := col.wait(t, accepted)
	for _, o := range got {
		require.NoError(t, o.err)
	}
	values := recordValues(t, cl, "t", 0)
	require.Len(t, values, accepted, "every accepted record stored exactly once")
	seen := map[string]bool{}
	for _, v := range values {
		require.False(t, seen[v], "record %.5s stored twice", v)
		seen[v] = true
	}
}

func TestSendHonoursCtxWhileWaitingForMemory(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	// Batches only go out full (the linger is long), so the count of
	// records that fit is exact.
	p := newStringProducer(t, cl, producer.WithBufferMemory(64<<10), producer.WithBatchSize(16<<10), producer.WithLinger(time.Hour))
	holdProduce(t, cl) // after the producer, so that it is released before the producer closes
	value := strings.Repeat("x", 4000)
	ctx, cancel := context.WithCancel(testCtx(t))
	var accepted atomic.Int32
	errc := make(chan error, 1)
	go func() {
		for {
			if err := p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: value}, nil); err != nil {
				errc <- err
				return
			}
			accepted.Add(1)
		}
	}()
	// 64 KiB hold 4 batches of 4 records of 4 KB; the 17th record needs a
	// fifth batch and waits for memory (the max block time is 60 s).
	eventually(t, func() bool { return accepted.Load() == 16 }, "the buffer fills up")
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, int32(16), accepted.Load())
	case <-time.After(testTimeout):
		t.Fatal("Send blocked on memory did not return after its ctx was cancelled")
	}
}

func TestRetriesLoseNothing(t *testing.T) {
	faults := []struct {
		name   string
		inject func(cl *mockbroker.Cluster)
		dups   bool // without idempotence the fault may duplicate records (answer lost after the append)
	}{
		{"not leader", func(cl *mockbroker.Cluster) { cl.InjectError(0, kerr.NotLeaderOrFollower, 3) }, false},
		{"request timed out", func(cl *mockbroker.Cluster) { cl.InjectError(0, kerr.RequestTimedOut, 3) }, false},
		{"not enough replicas", func(cl *mockbroker.Cluster) { cl.InjectError(0, kerr.NotEnoughReplicas, 2) }, false},
		{"dropped responses", func(cl *mockbroker.Cluster) { cl.DropResponse(0, 2) }, true},
	}
	for _, idempotent := range []bool{true, false} {
		for _, tc := range faults {
			t.Run(fmt.Sprintf("%s/idempotent=%v", tc.name, idempotent), func(t *testing.T) {
				cl := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 4))
				p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithIdempotence(idempotent),
					producer.WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
				tc.inject(cl)
				const n = 400
				got := sendAll(t, p, "t", producer.AnyPartition, "r", n)
				for _, o := range got {
					require.NoError(t, o.err)
				}
				assertStoredOnce(t, cl, "t", 4, "r", n, tc.dups && !idempotent)
				if idempotent {
					assertInSendOrder(t, cl, "t", 4)
				}
			})
		}
	}
}

func TestDroppedConnectionsLoseNothing(t *testing.T) {
	for _, idempotent := range []bool{true, false} {
		t.Run(fmt.Sprintf("idempotent=%v", idempotent), func(t *testing.T) {
			cl := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 4))
			p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithIdempotence(idempotent),
				producer.WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
			ctx := testCtx(t)
			col := newCollector()
			const n = 2000
			for i := range n {
				require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprintf("r%d", i)}, col.cb))
				if i%500 == 250 {
					require.NoError(t, cl.DropConnections(int32(i/500)%2))
				}
			}
			for _, o := range col.wait(t, n) {
				require.NoError(t, o.err)
			}
			// Without idempotence a request the broker wrote but whose
			// answer was lost is written again; with it, never.
			assertStoredOnce(t, cl, "t", 4, "r", n, !idempotent)
			if idempotent {
				assertInSendOrder(t, cl, "t", 4)
			}
		})
	}
}

// assertInSendOrder checks that every partition holds its records
// ("r<i>") in the order they were sent.
func assertInSendOrder(t *testing.T, cl *mockbroker.Cluster, topic string, partitions int32) {
	t.Helper()
	for part := range partitions {
		prev := -1
		for _, v := range recordValues(t, cl, topic, part) {
			var i int
			_, err := fmt.Sscanf(v, "r%d", &i)
			require.NoError(t, err)
			require.Greater(t, i, prev, "partition %d: %s stored after r%d", part, v, prev)
			prev = i
		}
	}
}

func TestLeaderMoveIsFollowed(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
	ctx := testCtx(t)
	_, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r0"})
	require.NoError(t, err)
	leader, err := cl.Leader("t", 0)
	require.NoError(t, err)
	require.NoError(t, cl.MoveLeader("t", 0, (leader+1)%3))
	md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r1"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), md.Offset)
	require.NoError(t, cl.StopBroker((leader+1)%3))
	md, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "r2"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), md.Offset)
	assert.Equal(t, []string{"r0", "r1", "r2"}, recordValues(t, cl, "t", 0))
}

// assertStoredOnce checks that the n records prefix0.. are all stored, each
// exactly once unless dups are allowed.
func assertStoredOnce(t *testing.T, cl *mockbroker.Cluster, topic string, partitions int32, prefix string, n int, dups bool) {
	t.Helper()
	count := map[string]int{}
	for part := range partitions {
		for _, v := range recordValues(t, cl, topic, part) {
			count[v]++
		}
	}
	for i := range n {
		v := fmt.Sprintf("%s%d", prefix, i)
		require.NotZero(t, count[v], "record %s lost", v)
		if !dups {
			require.Equal(t, 1, count[v], "record %s stored %d times", v, count[v])
		}
	}
}

func TestMaxInFlightOneKeepsOrderAcrossRetries(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithMaxInFlight(1), producer.WithLinger(0), producer.WithBatchSize(200),
		producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	ctx := testCtx(t)
	col := newCollector()
	const n = 300
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprintf("%04d", i)}, col.cb))
		switch i {
		case 20:
			cl.InjectError(0, kerr.NotLeaderOrFollower, 2)
		case 100:
			cl.InjectError(0, kerr.RequestTimedOut, 3)
		case 200:
			cl.DropResponse(0, 1) // may duplicate, must not reorder
		}
	}
	got := col.wait(t, n)
	last := int64(-1)
	for i, o := range got {
		require.NoError(t, o.err)
		require.Greater(t, o.md.Offset, last, "callback %d out of offset order", i)
		last = o.md.Offset
	}
	values := recordValues(t, cl, "t", 0)
	prev := -1
	for _, v := range values {
		var i int
		_, err := fmt.Sscanf(v, "%d", &i)
		require.NoError(t, err)
		// A retried batch the broker had stored already repeats itself,
		// so a value may come again, but never before one sent earlier.
		require.GreaterOrEqual(t, i, prev-(200/5), "record %d stored after %d", i, prev)
		if i > prev {
			require.Equal(t, prev+1, i, "record %d stored before %d", i, prev+1)
			prev = i
		}
	}
	require.Equal(t, n-1, prev)
}

func TestDeliveryTimeoutExpires(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	cl.InjectError(0, kerr.NotLeaderOrFollower, 1_000_000)
	const delivery = 300 * time.Millisecond
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRequestTimeout(100*time.Millisecond),
		producer.WithDeliveryTimeout(delivery), producer.WithRetryBackoff(5*time.Millisecond, 20*time.Millisecond))
	start := time.Now()
	got := sendAll(t, p, "t", producer.AnyPartition, "r", 3)
	elapsed := time.Since(start)
	// The three records may land in one batch or several. With
	// idempotence (the default) only a partition's oldest batch is re-sent
	// while it fails, so a later batch may have been sent only once: every
	// batch was sent, and the oldest was retried.
	maxAttempts := 0
	for _, o := range got {
		require.Error(t, o.err)
		assert.ErrorIs(t, o.err, samsa.ErrDeliveryTimeout)
		assert.ErrorIs(t, o.err, kerr.NotLeaderOrFollower, "the last error is kept")
		assert.Equal(t, int64(-1), o.md.Offset)
		var pe *producer.ProduceError
		if assert.ErrorAs(t, o.err, &pe) {
			assert.GreaterOrEqual(t, pe.Attempts, 1)
			maxAttempts = max(maxAttempts, pe.Attempts)
		}
	}
	assert.Greater(t, maxAttempts, 1, "the oldest batch was retried")
	assert.GreaterOrEqual(t, elapsed, delivery)
	assert.Empty(t, recordValues(t, cl, "t", 0))
	cl.ClearFaults()
}

func TestDeliveryTimeoutExpiresInFlight(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	// The delivery timeout is as short as the request timeout allows: the
	// batch expires while its request is still in flight, or fails with
	// the request timeout at the same moment.
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRequestTimeout(300*time.Millisecond),
		producer.WithDeliveryTimeout(300*time.Millisecond))
	holdProduce(t, cl)
	got := sendAll(t, p, "t", producer.AnyPartition, "r", 1)
	require.Error(t, got[0].err)
	assert.True(t, errors.Is(got[0].err, samsa.ErrDeliveryTimeout) || errors.Is(got[0].err, samsa.ErrRequestTimeout),
		"got %v", got[0].err)
}

func TestMessageTooLargeSplits(t *testing.T) {
	cl := mockbroker.NewTest(t)
	require.NoError(t, cl.CreateTopicWithConfigs("small", 1, map[string]string{"max.message.bytes": "2000"}))
	spy := spyProduce(t, cl)
	// One request in flight per connection keeps split batches in order.
	p := newStringProducer(t, cl, producer.WithLinger(time.Hour), producer.WithBatchSize(64<<10), producer.WithMaxInFlight(1))
	ctx := testCtx(t)
	col := newCollector()
	const n = 60
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "small", Value: fmt.Sprintf("%03d%s", i, strings.Repeat("v", 100))}, col.cb))
	}
	big := strings.Repeat("B", 3000)
	require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "small", Value: big}, col.cb))
	require.NoError(t, p.Flush(ctx))
	got := col.snapshot()
	require.Len(t, got, n+1)
	for _, o := range got {
		if o.md.SerializedValueSize == len(big) {
			assert.ErrorIs(t, o.err, samsa.ErrRecordTooLarge)
			assert.ErrorIs(t, o.err, kerr.MessageTooLarge)
			continue
		}
		require.NoError(t, o.err)
	}
	values := recordValues(t, cl, "small", 0)
	require.Len(t, values, n)
	for i, v := range values {
		assert.Equal(t, fmt.Sprintf("%03d", i), v[:3], "split batches keep the record order")
	}
	assert.Greater(t, len(spy.batches()), 4, "the large batch was split")
}

func TestAcksNone(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newStringProducer(t, cl, producer.WithAcks(producer.AcksNone), producer.WithLinger(0))
	got := sendAll(t, p, "t", producer.AnyPartition, "r", 50)
	for _, o := range got {
		require.NoError(t, o.err)
		assert.Equal(t, int64(-1), o.md.Offset, "acks=0 has no offsets")
		assert.Equal(t, int32(0), o.md.Partition)
	}
	eventually(t, func() bool {
		hw, err := cl.HighWatermark("t", 0)
		return err == nil && hw == 50
	}, "records sent with acks=0 arrive")
}

func TestLogAppendTimeIsReported(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("lat", 1), mockbroker.WithLogAppendTime("lat"))
	p := newStringProducer(t, cl)
	old := time.UnixMilli(1_000_000_000_000)
	md, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "lat", Value: "v", Timestamp: old})
	require.NoError(t, err)
	recs, err := cl.Records("lat", 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.True(t, recs[0].LogAppendTime)
	assert.False(t, md.Timestamp.Equal(old), "the create time was reported instead of the log append time")
	assert.True(t, recs[0].Timestamp.Equal(md.Timestamp), "callback %v, broker %v", md.Timestamp, recs[0].Timestamp)
}

func TestCallbacksRunInOffsetOrderPerPartition(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 6))
	p := newStringProducer(t, cl, producer.WithBatchSize(512), producer.WithLinger(time.Millisecond))
	ctx := testCtx(t)
	col := newCollector()
	const n = 3000
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Key: fmt.Sprint(i % 31), Value: fmt.Sprint(i)}, col.cb))
	}
	last := map[int32]int64{}
	for _, o := range col.wait(t, n) {
		require.NoError(t, o.err)
		if prev, ok := last[o.md.Partition]; ok {
			require.Equal(t, prev+1, o.md.Offset, "partition %d", o.md.Partition)
		}
		last[o.md.Partition] = o.md.Offset
	}
}

// TestIncompleteResponseIsRetried answers produce requests with responses
// that leave the partitions out: the producer treats them as malformed and
// retries, and an idempotent producer still writes every record once.
func TestIncompleteResponseIsRetried(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
	var answered atomic.Int32
	cl.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if req.Key() != 0 || answered.Add(1) > 3 {
			return nil, nil, false
		}
		return kmsg.NewPtrProduceResponse(), nil, true // no topics at all
	})
	p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithRetryBackoff(time.Millisecond, 5*time.Millisecond))
	for _, o := range sendAll(t, p, "t", producer.AnyPartition, "r", 100) {
		require.NoError(t, o.err)
	}
	assertStoredOnce(t, cl, "t", 2, "r", 100, false)
	assertInSendOrder(t, cl, "t", 2)
}
