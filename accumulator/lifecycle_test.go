package accumulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/partitioner"
)

func TestCompleteOutcomes(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name          string
		base, logTime int64
		err           error
		wantOffset    func(i int) int64
		wantTS        func(i int) int64
	}{
		{"acknowledged", 100, -1, nil, func(i int) int64 { return 100 + int64(i) }, func(i int) int64 { return 1000 + int64(i) }},
		{"log append time", 100, 777, nil, func(i int) int64 { return 100 + int64(i) }, func(int) int64 { return 777 }},
		{"acks 0", -1, -1, nil, func(int) int64 { return -1 }, func(i int) int64 { return 1000 + int64(i) }},
		{"failed", 100, 777, boom, func(int) int64 { return -1 }, func(int) int64 { return -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, clk := newTestAcc(t, WithLinger(0))
			var rec recorder
			for i := range 5 {
				mustAppend(t, a, tp0, &rec, i, value(10, 'a'))
			}
			mustAppend(t, a, tp0, nil, 5, value(10, 'n')) // a record without completion
			b := drainHead(t, a, clk.Now(), tp0)
			assert.True(t, b.Complete(tc.base, tc.logTime, tc.err))
			assert.False(t, b.Complete(0, -1, nil), "only the first completion counts")
			assert.False(t, b.CompleteEach(0, -1, nil))
			assert.True(t, b.IsDone())
			assert.Nil(t, b.Records(), "the bytes went back to the pool")
			assert.Equal(t, 6, b.NumRecords())
			outs := rec.outcomes()
			require.Len(t, outs, 5)
			for i, o := range outs {
				assert.Equal(t, i, o.id)
				assert.Equal(t, tp0, o.res.Partition)
				assert.Equal(t, tc.wantOffset(i), o.res.Offset)
				assert.Equal(t, tc.wantTS(i), o.res.Timestamp)
				assert.Equal(t, tc.err, o.res.Err)
			}
			assert.Equal(t, DefaultBufferMemory, a.Pool().AvailableMemory())
			assert.False(t, a.HasIncomplete())
		})
	}
}

func TestCompleteEach(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	var rec recorder
	for i := range 4 {
		mustAppend(t, a, tp0, &rec, i, value(10, 'a'))
	}
	b := drainHead(t, a, clk.Now(), tp0)
	invalid := errors.New("invalid record")
	var asked []int
	require.True(t, b.CompleteEach(10, -1, func(i int) error {
		asked = append(asked, i)
		if i == 2 {
			return invalid
		}
		return nil
	}))
	assert.Equal(t, []int{0, 1, 2, 3}, asked)
	outs := rec.outcomes()
	require.Len(t, outs, 4)
	assert.Equal(t, []int64{10, 11, -1, 13}, []int64{outs[0].res.Offset, outs[1].res.Offset, outs[2].res.Offset, outs[3].res.Offset})
	assert.ErrorIs(t, outs[2].res.Err, invalid)
	assert.NoError(t, outs[3].res.Err)
}

func TestCompleteQueuedBatch(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour))
	var rec recorder
	mustAppend(t, a, tp0, &rec, 0, value(10, 'a'))
	b := drainHead(t, a, clk.Now(), tp0)
	require.NoError(t, a.Reenqueue(b, clk.Now()))
	require.Equal(t, 1, a.QueuedBatches(tp0))
	// Completing a batch that is back in its queue takes it out.
	b.Complete(-1, -1, samsa.ErrDeliveryTimeout)
	assert.Equal(t, 0, a.QueuedBatches(tp0))
	assert.False(t, a.HasUndrained())
	require.Len(t, rec.outcomes(), 1)
}

type panicking struct{}

func (panicking) OnComplete(RecordResult) { panic("completion bug") }

func TestCompletionPanicStillReleases(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	_, err := a.Append(context.Background(), tp0, 1, nil, []byte("v"), nil, panicking{})
	require.NoError(t, err)
	b := drainHead(t, a, clk.Now(), tp0)
	assert.PanicsWithValue(t, "completion bug", func() { b.Complete(0, -1, nil) })
	assert.Equal(t, DefaultBufferMemory, a.Pool().AvailableMemory())
	assert.False(t, a.HasIncomplete())
}

func TestFlushWaitsForEarlierBatches(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(time.Hour))
	var rec recorder
	mustAppend(t, a, tpN(0), &rec, 0, value(10, 'a'))
	mustAppend(t, a, tpN(1), &rec, 1, value(10, 'b'))
	a.BeginFlush()
	ready, _, _ := a.Ready(clk.Now(), allOn(1))
	require.Equal(t, []int32{1}, ready, "a flush makes lingering batches sendable")
	flushed := make(chan error, 1)
	go func() { flushed <- a.AwaitFlushCompletion(context.Background()) }()

	bs := a.Drain(clk.Now(), 1, []samsa.TopicPartition{tpN(0), tpN(1)}, 1<<20)
	require.Len(t, bs, 2)
	// A batch created after the flush began does not hold it up.
	waitUntil(t, "the flush to wait", func() bool {
		a.incMu.Lock()
		defer a.incMu.Unlock()
		return a.flushWake != nil
	})
	mustAppend(t, a, tpN(2), &rec, 2, value(10, 'c'))
	bs[0].Complete(0, -1, nil)
	select {
	case err := <-flushed:
		t.Fatalf("flush returned (%v) with a batch incomplete", err)
	default:
	}
	bs[1].Complete(5, -1, nil)
	require.NoError(t, result(t, flushed))
	assert.False(t, a.FlushInProgress())
	assert.ElementsMatch(t, []int{0, 1}, rec.ids())
}

func TestFlushCoversSplitBatches(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	var rec recorder
	for i := range 4 {
		mustAppend(t, a, tp0, &rec, i, value(10, 'a'))
	}
	b := drainHead(t, a, clk.Now(), tp0)
	a.BeginFlush()
	flushed := make(chan error, 1)
	go func() { flushed <- a.AwaitFlushCompletion(context.Background()) }()
	n, err := a.SplitAndReenqueue(b)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	first := drainHead(t, a, clk.Now(), tp0)
	first.Complete(0, -1, nil)
	select {
	case err := <-flushed:
		t.Fatalf("flush returned (%v) before the second split batch completed", err)
	default:
	}
	drainHead(t, a, clk.Now(), tp0).Complete(2, -1, nil)
	require.NoError(t, result(t, flushed))
	assert.Equal(t, []int{0, 1, 2, 3}, rec.ids())
}

func TestFlushContextEnds(t *testing.T) {
	a, _ := newTestAcc(t)
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	a.BeginFlush()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := a.AwaitFlushCompletion(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "flush interrupted")
	assert.False(t, a.FlushInProgress(), "the flush ended anyway")
}

func TestCloseLetsSenderDrain(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour))
	var rec recorder
	mustAppend(t, a, tp0, &rec, 0, value(10, 'a'))
	a.Close()
	ready, _, _ := a.Ready(clk.Now(), allOn(1))
	assert.Equal(t, []int32{1}, ready, "closing makes everything sendable")
	b := drainHead(t, a, clk.Now(), tp0)
	assert.False(t, a.HasUndrained())
	assert.True(t, a.HasIncomplete())
	// A retry after Close is still possible.
	require.NoError(t, a.Reenqueue(b, clk.Now()))
	b = drainHead(t, a, clk.Now().Add(time.Hour), tp0)
	b.Complete(0, -1, nil)
	assert.False(t, a.HasIncomplete())
	assert.Len(t, rec.outcomes(), 1)
}

func TestAbortIncomplete(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(time.Hour))
	var rec recorder
	for i := 0; a.QueuedBatches(tp0) < 2; i++ {
		mustAppend(t, a, tp0, &rec, i, value(100, 'a'))
	}
	mustAppend(t, a, tpN(1), &rec, 100, value(100, 'b'))
	inFlight := drainHead(t, a, clk.Now(), tp0)
	total := len(rec.ids()) // nothing completed yet
	require.Zero(t, total)

	flushed := make(chan error, 1)
	a.BeginFlush()
	go func() { flushed <- a.AwaitFlushCompletion(context.Background()) }()

	cause := errors.New("producer is closed forcefully")
	assert.Equal(t, 3, a.AbortIncomplete(cause), "queued and in-flight batches")
	assert.True(t, inFlight.IsDone())
	assert.Zero(t, a.AbortIncomplete(nil), "idempotent")
	require.NoError(t, result(t, flushed))
	outs := rec.outcomes()
	for _, o := range outs {
		assert.ErrorIs(t, o.res.Err, cause)
	}
	assert.False(t, a.HasIncomplete())
	assert.False(t, a.HasUndrained())
	assert.Equal(t, DefaultBufferMemory, a.Pool().AvailableMemory())
	_, err := a.Append(context.Background(), tp0, 1, nil, []byte("v"), nil, nil)
	require.ErrorIs(t, err, samsa.ErrClosed)
}

func TestAbortUndrained(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour))
	var rec recorder
	mustAppend(t, a, tpN(0), &rec, 0, value(10, 'a'))
	mustAppend(t, a, tpN(1), &rec, 1, value(10, 'b'))
	inFlight := drainHead(t, a, clk.Now(), tpN(0))
	assert.Equal(t, 1, a.AbortUndrained(nil))
	outs := rec.outcomes()
	require.Len(t, outs, 1)
	assert.Equal(t, 1, outs[0].id)
	assert.ErrorIs(t, outs[0].res.Err, samsa.ErrClosed)
	assert.False(t, inFlight.IsDone(), "batches in flight are left alone")
	assert.False(t, a.Closed())
	inFlight.Complete(0, -1, nil)
	assert.False(t, a.HasIncomplete())
}

func TestAppendIntoOpenBatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a, _ := newTestAcc(t, WithBatchSize(1<<20), WithLinger(time.Hour))
	key, val := []byte("key"), value(100, 'v')
	hdrs := []samsa.Header{{Key: "h", Value: []byte("x")}}
	done := &recordDone{rec: &recorder{}}
	ctx := context.Background()
	// Warm up: a completed batch of 2000 records leaves a completion slice
	// of that capacity in the pool, as a producer in steady state has.
	for i := range 2000 {
		_, err := a.Append(ctx, tp0, int64(i), key, val, hdrs, nil)
		require.NoError(t, err)
	}
	bs := a.Drain(time.Now(), 1, []samsa.TopicPartition{tp0}, 1<<30)
	require.Len(t, bs, 1)
	bs[0].Complete(0, -1, nil)
	_, err := a.Append(ctx, tp0, 1, key, val, hdrs, done) // opens a batch
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := a.Append(ctx, tp0, 2, key, val, hdrs, done); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	require.Equal(t, 1, a.QueuedBatches(tp0), "every record went into the open batch")
}

func TestAppendWithPartitionerDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a, _ := newTestAcc(t, WithBatchSize(1<<20), WithLinger(time.Hour))
	part, err := partitioner.Default(1 << 20)
	require.NoError(t, err)
	o := AppendOptions{Topic: "t", Partition: partitioner.NoPartition, Partitioner: part,
		Partitions: partitioner.Partitions{Count: 4, Available: []int32{0, 1, 2, 3}}}
	key, val := []byte("key"), value(100, 'v')
	done := &recordDone{rec: &recorder{}}
	ctx := context.Background()
	for i := range 2000 { // warm up as in TestAppendIntoOpenBatchDoesNotAllocate
		_, err := a.AppendWith(ctx, &o, int64(i), key, val, nil, nil)
		require.NoError(t, err)
	}
	for _, b := range a.Drain(time.Now(), 1, []samsa.TopicPartition{tpN(0), tpN(1), tpN(2), tpN(3)}, 1<<30) {
		b.Complete(0, -1, nil)
	}
	_, err = a.AppendWith(ctx, &o, 1, key, val, nil, done)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := a.AppendWith(ctx, &o, 2, key, val, nil, done); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
