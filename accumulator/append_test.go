package accumulator

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/partitioner"
)

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    Option
		option string
	}{
		{"zero memory", WithBufferMemory(0), "accumulator.WithBufferMemory"},
		{"negative batch", WithBatchSize(-1), "accumulator.WithBatchSize"},
		{"batch above memory", WithBatchSize(DefaultBufferMemory + 1), "accumulator.WithBatchSize"},
		{"negative linger", WithLinger(-time.Millisecond), "accumulator.WithLinger"},
		{"negative backoff", WithRetryBackoff(-1, time.Second), "accumulator.WithRetryBackoff"},
		{"max below initial", WithRetryBackoff(time.Second, time.Millisecond), "accumulator.WithRetryBackoff"},
		{"negative max block", WithMaxBlock(-1), "accumulator.WithMaxBlock"},
		{"nil clock", WithClock(nil), "accumulator.WithClock"},
		{"nil random", WithRandom(nil), "accumulator.WithRandom"},
		{"nil sequencer", WithSequencer(nil), "accumulator.WithSequencer"},
		{"unknown codec", WithCompression(records.Codec(7), 0), "accumulator.WithCompression"},
		{"bad level", WithCompression(records.CodecGzip, 42), "accumulator.WithCompression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.opt)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.option, ce.Option)
			assert.Nil(t, a)
		})
	}
	a, err := New(nil, WithBatchSize(0), WithLinger(0), WithMaxBlock(0), WithRetryBackoff(0, 0),
		WithCompression(records.CodecZstd, 3))
	require.NoError(t, err)
	assert.Equal(t, 0, a.BatchSize())
	a.Close()
}

func TestAppendEncodesRecords(t *testing.T) {
	a, _ := newTestAcc(t, WithLinger(0))
	hdrs := []samsa.Header{{Key: "h1", Value: []byte("v1")}, {Key: "h2", Value: nil}}
	in := []struct {
		ts         int64
		key, value []byte
		headers    []samsa.Header
	}{
		{1000, []byte("k0"), []byte("v0"), nil},
		{999, nil, []byte("null key"), hdrs},
		{1500, []byte{}, nil, nil},
	}
	var rec recorder
	for i, r := range in {
		res, err := a.Append(context.Background(), tp0, r.ts, r.key, r.value, r.headers, rec.done(i))
		require.NoError(t, err)
		assert.Equal(t, int32(0), res.Partition)
		assert.Equal(t, i == 0, res.NewBatchCreated)
		assert.False(t, res.BatchIsFull)
	}
	batches := a.Drain(time.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
	require.Len(t, batches, 1)
	b := batches[0]
	assert.Equal(t, tp0, b.TopicPartition())
	assert.Equal(t, 3, b.NumRecords())
	assert.Equal(t, len(b.Records()), b.UncompressedSize())

	hdr, recs := decoded(t, b.Records())
	assert.Equal(t, int64(1000), hdr.FirstTimestamp)
	assert.Equal(t, int64(1500), hdr.MaxTimestamp)
	assert.Equal(t, int64(-1), hdr.ProducerID)
	assert.Equal(t, int32(-1), hdr.BaseSequence)
	require.Len(t, recs, 3)
	for i, r := range in {
		assert.Equal(t, r.ts, recs[i].Timestamp, "record %d", i)
		assert.Equal(t, r.key, recs[i].Key, "record %d", i)
		assert.Equal(t, r.value, recs[i].Value, "record %d", i)
		require.Len(t, recs[i].Headers, len(r.headers))
		for j, h := range r.headers {
			assert.Equal(t, h.Key, string(recs[i].Headers[j].Key))
			assert.Equal(t, h.Value, recs[i].Headers[j].Value)
		}
	}
}

func TestAppendFillsBatchToBatchSize(t *testing.T) {
	const batchSize = 1024
	a, _ := newTestAcc(t, WithBatchSize(batchSize))
	v := value(100, 'x')
	var rec recorder
	n := 0
	for {
		res := mustAppend(t, a, tp0, &rec, n, v)
		n++
		if res.BatchIsFull {
			// This record did not fit: it opened a second batch.
			assert.True(t, res.NewBatchCreated)
			break
		}
		assert.Equal(t, n == 1, res.NewBatchCreated, "record %d", n-1)
		require.Less(t, n, 20, "the batch never filled")
	}
	queued := a.QueuedBatches(tp0)
	require.Equal(t, 2, queued, "the record that did not fit opened a second batch")

	batches := a.Drain(time.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
	require.Len(t, batches, 1, "one batch per partition per drain")
	b := batches[0]
	assert.Equal(t, n-1, b.NumRecords())
	assert.LessOrEqual(t, b.UncompressedSize(), batchSize)
	// The next record would not have fit.
	recSize := records.RecordSize(0, int32(b.NumRecords()), []byte("k9"), v, nil)
	assert.Greater(t, b.UncompressedSize()+recSize, batchSize)
}

func TestAppendRecordLargerThanBatchSize(t *testing.T) {
	const batchSize = 1024
	a, _ := newTestAcc(t, WithBatchSize(batchSize), WithLinger(time.Hour))
	var rec recorder
	small := mustAppend(t, a, tp0, &rec, 0, value(10, 's'))
	assert.True(t, small.NewBatchCreated)

	big := value(5000, 'B')
	res := mustAppend(t, a, tp0, &rec, 1, big)
	assert.True(t, res.NewBatchCreated)
	assert.True(t, res.BatchIsFull)
	after := mustAppend(t, a, tp0, &rec, 2, value(10, 'a'))
	assert.True(t, after.NewBatchCreated, "nothing is appended behind the large record")
	require.Equal(t, 3, a.QueuedBatches(tp0))

	var got []*Batch
	for i := range 3 {
		bs := a.Drain(time.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
		require.Len(t, bs, 1, "drain %d", i)
		got = append(got, bs[0])
	}
	assert.Equal(t, []int{1, 1, 1}, []int{got[0].NumRecords(), got[1].NumRecords(), got[2].NumRecords()})
	_, recs := decoded(t, got[1].Records())
	assert.Equal(t, big, recs[0].Value)
	// The large record's batch is exactly as large as it needs.
	assert.Equal(t, records.HeaderSize+records.RecordSize(0, 0, []byte("k1"), big, nil), got[1].UncompressedSize())
	for i, b := range got {
		assert.True(t, b.Complete(int64(10*i), -1, nil))
	}
	assert.Equal(t, []int{0, 1, 2}, rec.ids())
	assert.Equal(t, DefaultBufferMemory, a.Pool().AvailableMemory())
}

func TestAppendBatchSizeZero(t *testing.T) {
	a, _ := newTestAcc(t, WithBatchSize(0))
	for i := range 3 {
		res := mustAppend(t, a, tp0, nil, i, value(10, 'z'))
		assert.True(t, res.NewBatchCreated)
		assert.True(t, res.BatchIsFull)
	}
	assert.Equal(t, 3, a.QueuedBatches(tp0))
}

func TestAppendInvalidPartition(t *testing.T) {
	a, _ := newTestAcc(t)
	for _, tc := range []struct {
		name string
		o    AppendOptions
	}{
		{"negative", AppendOptions{Topic: "t", Partition: -2}},
		{"absurd", AppendOptions{Topic: "t", Partition: maxPartition}},
		{"beyond count", AppendOptions{Topic: "t", Partition: 3, Partitions: partitioner.Partitions{Count: 3}}},
		{"no partitioner", AppendOptions{Topic: "t", Partition: partitioner.NoPartition, Partitions: partitioner.Partitions{Count: 3}}},
		{"no partitions", AppendOptions{Topic: "t", Partition: partitioner.NoPartition, Partitioner: partitioner.RoundRobin()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.AppendWith(context.Background(), &tc.o, 1, nil, []byte("v"), nil, nil)
			require.ErrorIs(t, err, partitioner.ErrInvalidPartition)
			var pe *partitioner.PartitionError
			require.ErrorAs(t, err, &pe)
		})
	}
	assert.False(t, a.HasUndrained())
}

func TestAppendAfterClose(t *testing.T) {
	a, _ := newTestAcc(t)
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	a.Close()
	a.Close()
	assert.True(t, a.Closed())
	var rec recorder
	_, err := a.Append(context.Background(), tp0, 1, nil, []byte("v"), nil, rec.done(1))
	require.ErrorIs(t, err, samsa.ErrClosed)
	assert.Empty(t, rec.outcomes(), "a refused record is not completed")
	// What was queued before stays for the sender to drain.
	assert.True(t, a.HasUndrained())
}

func TestAppendBlocksOnBufferMemory(t *testing.T) {
	const batchSize = 16 << 10
	newFull := func(t *testing.T, opts ...Option) (*Accumulator, *fakeClock) {
		a, clk := newTestAcc(t, append([]Option{WithBatchSize(batchSize), WithBufferMemory(2 * batchSize),
			WithLinger(time.Hour)}, opts...)...)
		// Two batches take all the memory; the third needs more.
		mustAppend(t, a, tpN(0), nil, 0, value(100, 'a'))
		mustAppend(t, a, tpN(1), nil, 1, value(100, 'b'))
		require.Equal(t, 0, a.Pool().AvailableMemory())
		return a, clk
	}

	t.Run("freeing a batch wakes the appender", func(t *testing.T) {
		a, clk := newFull(t)
		var rec recorder
		errs := make(chan error, 1)
		go func() {
			_, err := a.Append(context.Background(), tpN(2), 7, nil, value(100, 'c'), nil, rec.done(2))
			errs <- err
		}()
		waitUntil(t, "the append to block", func() bool { return a.Pool().Queued() == 1 })
		// Exhausted memory makes every batch sendable despite the linger.
		ready, _, _ := a.Ready(clk.Now(), allOn(1))
		assert.Equal(t, []int32{1}, ready)
		bs := a.Drain(clk.Now(), 1, []samsa.TopicPartition{tpN(0)}, 1<<20)
		require.Len(t, bs, 1)
		bs[0].Complete(0, -1, nil)
		require.NoError(t, result(t, errs))
		assert.Equal(t, 1, a.QueuedBatches(tpN(2)))
	})
	t.Run("max block passes", func(t *testing.T) {
		a, _ := newFull(t, WithMaxBlock(10*time.Millisecond))
		_, err := a.Append(context.Background(), tpN(2), 7, nil, value(100, 'c'), nil, nil)
		require.ErrorIs(t, err, samsa.ErrBufferFull)
		var ex *BufferExhaustedError
		require.ErrorAs(t, err, &ex)
		assert.Equal(t, batchSize, ex.Requested)
	})
	t.Run("deadline in the past", func(t *testing.T) {
		a, clk := newFull(t)
		o := AppendOptions{Topic: "t", Partition: 2, BlockDeadline: clk.Now().Add(-time.Second)}
		_, err := a.AppendWith(context.Background(), &o, 7, nil, value(100, 'c'), nil, nil)
		require.ErrorIs(t, err, samsa.ErrBufferFull)
	})
	t.Run("context ends", func(t *testing.T) {
		a, _ := newFull(t)
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 1)
		go func() {
			_, err := a.Append(ctx, tpN(2), 7, nil, value(100, 'c'), nil, nil)
			errs <- err
		}()
		waitUntil(t, "the append to block", func() bool { return a.Pool().Queued() == 1 })
		cancel()
		require.ErrorIs(t, result(t, errs), context.Canceled)
		assert.Equal(t, 0, a.QueuedBatches(tpN(2)))
	})
	t.Run("close wakes the appender", func(t *testing.T) {
		a, _ := newFull(t)
		errs := make(chan error, 1)
		go func() {
			_, err := a.Append(context.Background(), tpN(2), 7, nil, value(100, 'c'), nil, nil)
			errs <- err
		}()
		waitUntil(t, "the append to block", func() bool { return a.Pool().Queued() == 1 })
		a.Close()
		require.ErrorIs(t, result(t, errs), samsa.ErrClosed)
	})
	t.Run("record larger than buffer memory", func(t *testing.T) {
		a, _ := newTestAcc(t, WithBatchSize(1024), WithBufferMemory(4096))
		_, err := a.Append(context.Background(), tp0, 1, nil, value(5000, 'x'), nil, nil)
		require.ErrorIs(t, err, samsa.ErrRecordTooLarge)
	})
}

// stepRand returns a deterministic random source for the partitioner.
func stepRand(vals ...uint32) func() uint32 {
	i := 0
	return func() uint32 {
		v := vals[i%len(vals)]
		i++
		return v
	}
}

func TestAppendWithStickyPartitioner(t *testing.T) {
	const batchSize = 1024
	a, _ := newTestAcc(t, WithBatchSize(batchSize), WithLinger(time.Hour))
	// Draws partition 1, then 2, then 0 of 3.
	part, err := partitioner.UniformSticky(batchSize, partitioner.WithAdaptive(false),
		partitioner.WithRand(stepRand(1, 2, 0)))
	require.NoError(t, err)
	o := AppendOptions{Topic: "t", Partition: partitioner.NoPartition, Partitioner: part,
		Partitions: partitioner.Partitions{Count: 3, Available: []int32{0, 1, 2}}}
	v := value(100, 'x')
	var placed []int32
	for i := range 48 {
		res, err := a.AppendWith(context.Background(), &o, int64(i), nil, v, nil, nil)
		require.NoError(t, err)
		placed = append(placed, res.Partition)
	}
	// KIP-794: records stick to partition 1 until batch.size bytes were
	// appended to it and its last batch is full; the record that finds it
	// full moves on instead of opening another batch there. With 8 records
	// per batch that is after 2 batches: 16 records per partition, in the
	// order the random source draws, and no stray record anywhere.
	for i, p := range placed {
		want := []int32{1, 2, 0}[i/16]
		require.Equal(t, want, p, "record %d", i)
	}
	for p := int32(0); p < 3; p++ {
		assert.Equal(t, 2, a.QueuedBatches(tpN(p)), "partition %d", p)
	}
	loads := a.PartitionLoad("t", nil)
	assert.Equal(t, []partitioner.PartitionLoad{{Partition: 0, QueuedBatches: 2}, {Partition: 1, QueuedBatches: 2},
		{Partition: 2, QueuedBatches: 2}}, loads)
	assert.Empty(t, a.PartitionLoad("unknown", nil))
}

// countingPartitioner records OnAppend reports.
type countingPartitioner struct {
	partitioner.Partitioner
	appends []partitioner.Append
}

func (c *countingPartitioner) OnAppend(ap partitioner.Append) { c.appends = append(c.appends, ap) }

func TestAppendReportsToAppendAware(t *testing.T) {
	a, _ := newTestAcc(t, WithBatchSize(1024))
	cp := &countingPartitioner{Partitioner: partitioner.Manual()}
	// An explicit partition is never reported.
	o := AppendOptions{Topic: "t", Partition: 1, Partitioner: cp, Partitions: partitioner.Partitions{Count: 2}}
	_, err := a.AppendWith(context.Background(), &o, 1, []byte("k"), []byte("v"), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, cp.appends)

	rr := &countingPartitioner{Partitioner: constPartitioner(0)}
	o = AppendOptions{Topic: "t", Partition: partitioner.NoPartition, Partitioner: rr, Partitions: partitioner.Partitions{Count: 2}}
	_, err = a.AppendWith(context.Background(), &o, 1, []byte("k"), []byte("v"), nil, nil)
	require.NoError(t, err)
	_, err = a.AppendWith(context.Background(), &o, 1, nil, []byte("v2"), nil, nil)
	require.NoError(t, err)
	// Before the first record the queue has no batch with room: that is
	// reported (again after the buffer was allocated), then each record
	// with its size.
	zero := partitioner.Append{Topic: "t", Partition: 0, Keyed: true, Bytes: 0, AllBatchesFull: true}
	assert.Equal(t, []partitioner.Append{zero, zero,
		{Topic: "t", Partition: 0, Keyed: true, Bytes: records.RecordSize(0, 0, []byte("k"), []byte("v"), nil)},
		{Topic: "t", Partition: 0, Keyed: false, Bytes: records.RecordSize(0, 1, nil, []byte("v2"), nil)},
	}, rr.appends)
}

type constPartitioner int32

func (c constPartitioner) Partition(string, []byte, []byte, partitioner.Partitions) int32 {
	return int32(c)
}

func TestCompleteReportsLogAppendTime(t *testing.T) {
	a, _ := newTestAcc(t)
	tp0 := tpN(0)
	for _, tc := range []struct {
		name          string
		logAppendTime int64
		wantTimestamp int64
		wantLogAppend bool
	}{
		{"create time", -1, 1000, false},
		{"log append time", 5000, 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			mustAppend(t, a, tp0, &rec, 0, value(10, 'a'))
			bs := a.Drain(time.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
			require.Len(t, bs, 1)
			require.True(t, bs[0].Complete(7, tc.logAppendTime, nil))
			got := rec.outcomes()
			require.Len(t, got, 1)
			assert.Equal(t, tc.wantTimestamp, got[0].res.Timestamp)
			assert.Equal(t, tc.wantLogAppend, got[0].res.LogAppendTime)
			assert.Equal(t, int64(7), got[0].res.Offset)
		})
	}
}
