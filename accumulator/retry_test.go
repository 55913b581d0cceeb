package accumulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// drainOne drains the head batch of tp0 and fails the test if there is
// none.
func drainHead(t *testing.T, a *Accumulator, now time.Time, tp samsa.TopicPartition) *Batch {
	t.Helper()
	bs := a.Drain(now, 1, []samsa.TopicPartition{tp}, 1<<20)
	require.Len(t, bs, 1)
	return bs[0]
}

func TestReenqueueWithoutSequenceGoesFirst(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(0), WithRetryBackoff(0, 0))
	queueBatches(t, a, []samsa.TopicPartition{tp0}, 2) // 3 batches
	b1 := drainHead(t, a, clk.Now(), tp0)
	b2 := drainHead(t, a, clk.Now(), tp0)
	require.NoError(t, a.Reenqueue(b1, clk.Now()))
	require.NoError(t, a.Reenqueue(b2, clk.Now()))
	assert.Equal(t, 3, a.QueuedBatches(tp0))
	// Without sequences the last one put back goes first (Java's addFirst).
	assert.Same(t, b2, drainHead(t, a, clk.Now(), tp0))
	assert.Same(t, b1, drainHead(t, a, clk.Now(), tp0))
	assert.Equal(t, int64(2), a.Stats().BatchesRetried)
}

func TestReenqueueInSequenceOrder(t *testing.T) {
	seq := &sequencer{pid: 1, epoch: 0, next: map[samsa.TopicPartition]int32{},
		decision: map[samsa.TopicPartition]DrainDecision{}}
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(0), WithRetryBackoff(0, 0), WithSequencer(seq.assign))
	queueBatches(t, a, []samsa.TopicPartition{tp0}, 4) // 5 batches
	var inFlight []*Batch
	for range 3 {
		inFlight = append(inFlight, drainHead(t, a, clk.Now(), tp0))
	}
	// Failures arrive out of order; the batches go back in sequence order,
	// ahead of the batches never sent.
	for _, i := range []int{2, 0, 1} {
		require.NoError(t, a.Reenqueue(inFlight[i], clk.Now()))
	}
	var order []int32
	for range 5 {
		b := drainHead(t, a, clk.Now(), tp0)
		order = append(order, b.ProducerState().BaseSequence)
	}
	for i := 1; i < len(order); i++ {
		assert.Greater(t, order[i], order[i-1], "sequences %v", order)
	}
	for i, b := range inFlight {
		assert.Equal(t, order[i], b.ProducerState().BaseSequence)
	}
}

func TestReenqueueRefused(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	mustAppend(t, a, tpN(1), nil, 1, value(10, 'a'))
	b := drainHead(t, a, clk.Now(), tp0)
	b.Complete(0, -1, nil)
	err := a.Reenqueue(b, clk.Now())
	require.ErrorIs(t, err, ErrBatchCompleted)
	assert.Contains(t, err.Error(), "t-0")
	_, err = a.SplitAndReenqueue(b)
	require.ErrorIs(t, err, ErrBatchCompleted)

	// A queued batch cannot be put back a second time.
	b = drainHead(t, a, clk.Now(), tpN(1))
	require.NoError(t, a.Reenqueue(b, clk.Now()))
	require.ErrorIs(t, a.Reenqueue(b, clk.Now()), ErrBatchQueued)
	_, err = a.SplitAndReenqueue(b)
	require.ErrorIs(t, err, ErrBatchQueued)
}

func TestSplitAndReenqueue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec records.Codec
		seq   bool
	}{
		{"plain", records.CodecNone, false},
		{"lz4", records.CodecLZ4, false},
		{"sequenced zstd", records.CodecZstd, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option{WithBatchSize(4096), WithLinger(0), WithCompression(tc.codec, 0)}
			if tc.seq {
				s := &sequencer{pid: 9, epoch: 2, next: map[samsa.TopicPartition]int32{tp0: 50},
					decision: map[samsa.TopicPartition]DrainDecision{}}
				opts = append(opts, WithSequencer(s.assign))
			}
			a, clk := newTestAcc(t, opts...)
			var rec recorder
			hdrs := []samsa.Header{{Key: "trace", Value: []byte("abc")}}
			n := 0
			for a.QueuedBatches(tp0) < 2 {
				_, err := a.Append(context.Background(), tp0, int64(5000+n), []byte(fmt.Sprint("key-", n)),
					value(100, byte('a'+n%26)), hdrs, rec.done(n))
				require.NoError(t, err)
				n++
			}
			created := clk.Now()
			clk.Advance(time.Minute)
			big := drainHead(t, a, clk.Now(), tp0)
			count := big.NumRecords()
			require.Greater(t, count, 4)
			require.NoError(t, a.Reenqueue(big, clk.Now()))
			big = drainHead(t, a, clk.Now().Add(time.Hour), tp0)
			require.Equal(t, 1, big.Attempts())

			parts, err := a.SplitAndReenqueue(big)
			require.NoError(t, err)
			require.Equal(t, 2, parts, "half the size: two batches")
			assert.True(t, big.IsDone())
			assert.False(t, big.Complete(0, -1, nil), "the original is retired")
			assert.Equal(t, 3, a.QueuedBatches(tp0), "the split batches go ahead of the open batch")
			assert.Equal(t, int64(1), a.Stats().BatchesSplit)

			// The split batches are sendable at once: no backoff.
			ready, _, _ := a.Ready(clk.Now(), allOn(1))
			assert.Equal(t, []int32{1}, ready)
			var got []*Batch
			for range parts {
				b := drainHead(t, a, clk.Now(), tp0)
				assert.True(t, b.IsSplit())
				assert.Equal(t, created, b.CreatedAt(), "the delivery timeout still counts from the original")
				assert.Equal(t, 1, b.Attempts(), "a split does not consume a retry")
				got = append(got, b)
			}
			total := 0
			offset := int64(1000)
			for _, b := range got {
				hdr, recs := decoded(t, b.Records())
				require.Len(t, recs, b.NumRecords())
				assert.Equal(t, tc.codec, hdr.Codec())
				if tc.seq {
					assert.Equal(t, int32(50+total), hdr.BaseSequence)
					assert.Equal(t, int64(9), hdr.ProducerID)
				} else {
					assert.Equal(t, int32(-1), hdr.BaseSequence)
				}
				for i, r := range recs {
					id := total + i
					assert.Equal(t, fmt.Sprint("key-", id), string(r.Key))
					assert.Equal(t, int64(5000+id), r.Timestamp)
					require.Len(t, r.Headers, 1)
					assert.Equal(t, "trace", string(r.Headers[0].Key))
				}
				total += len(recs)
				b.Complete(offset, -1, nil)
				offset += int64(len(recs))
			}
			assert.Equal(t, count, total, "no record lost or duplicated")
			// Every record of the original batch completed once, in order,
			// with consecutive offsets.
			outs := rec.outcomes()
			require.Len(t, outs, count)
			for i, o := range outs {
				assert.Equal(t, i, o.id)
				assert.Equal(t, int64(1000+i), o.res.Offset)
				assert.NoError(t, o.res.Err)
			}
		})
	}
}

func TestSplitSingleRecord(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	var rec recorder
	mustAppend(t, a, tp0, &rec, 0, value(100, 'a'))
	b := drainHead(t, a, clk.Now(), tp0)
	n, err := a.SplitAndReenqueue(b)
	require.ErrorIs(t, err, samsa.ErrRecordTooLarge)
	assert.Contains(t, err.Error(), "a batch of one record cannot be split")
	assert.Zero(t, n)
	assert.False(t, b.IsDone(), "the caller completes it")
	b.Complete(-1, -1, err)
	require.Len(t, rec.outcomes(), 1)
	assert.ErrorIs(t, rec.outcomes()[0].res.Err, samsa.ErrRecordTooLarge)
}

func TestSplitRepeatedlyReachesSingleRecords(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(4096), WithLinger(0))
	var rec recorder
	for i := range 7 {
		mustAppend(t, a, tp0, &rec, i, value(10, 'a'))
	}
	// A broker that refuses anything with more than one record: splitting
	// always makes progress.
	offset := int64(0)
	for a.QueuedBatches(tp0) > 0 {
		b := drainHead(t, a, clk.Now(), tp0)
		if b.NumRecords() == 1 {
			b.Complete(offset, -1, nil)
			offset++
			continue
		}
		_, err := a.SplitAndReenqueue(b)
		require.NoError(t, err)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6}, rec.ids())
	assert.False(t, a.HasIncomplete())
}

func TestExpiredBatches(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(time.Hour))
	var rec recorder
	start := clk.Now()
	// Partition 0: two batches created at start, one 30s later.
	for i := 0; a.QueuedBatches(tp0) < 2; i++ {
		mustAppend(t, a, tp0, &rec, i, value(100, 'a'))
	}
	a.Mute(tp0) // muted partitions expire too
	clk.Advance(30 * time.Second)
	mustAppend(t, a, tpN(1), &rec, 100, value(100, 'b'))

	expired, next := a.ExpiredBatches(start.Add(59*time.Second), time.Minute)
	assert.Empty(t, expired)
	assert.Equal(t, start.Add(time.Minute), next)

	expired, next = a.ExpiredBatches(start.Add(time.Minute), time.Minute)
	require.Len(t, expired, 2, "both batches of partition 0, stopping at partition 1's")
	assert.Equal(t, start.Add(90*time.Second), next)
	assert.Equal(t, 0, a.QueuedBatches(tp0))
	assert.Equal(t, 1, a.QueuedBatches(tpN(1)))
	now := start.Add(time.Minute)
	for _, b := range expired {
		err := ExpiryError(b, now)
		assert.ErrorIs(t, err, samsa.ErrDeliveryTimeout)
		assert.Contains(t, err.Error(), fmt.Sprintf("expiring %d record(s) for t-0: 60000 ms has passed since batch creation", b.NumRecords()))
		b.Complete(-1, -1, err)
	}
	for _, o := range rec.outcomes() {
		assert.ErrorIs(t, o.res.Err, samsa.ErrDeliveryTimeout)
		assert.Equal(t, int64(-1), o.res.Offset)
		assert.Equal(t, int64(-1), o.res.Timestamp)
	}
	assert.Equal(t, int64(2), a.Stats().BatchesExpired)

	// Appends go on into a new batch after expiry.
	res := mustAppend(t, a, tp0, &rec, 200, value(100, 'c'))
	assert.True(t, res.NewBatchCreated)
	expired, next = a.ExpiredBatches(start, time.Minute)
	assert.Empty(t, expired)
	assert.Equal(t, start.Add(90*time.Second), next)
	expired, next = a.ExpiredBatches(start.Add(time.Hour), time.Minute)
	assert.Len(t, expired, 2)
	assert.True(t, next.IsZero(), "nothing left to expire")
	for _, b := range expired {
		b.Complete(-1, -1, ExpiryError(b, start.Add(time.Hour)))
	}
	assert.False(t, a.HasIncomplete())
	empty, _ := newTestAcc(t)
	expired, next = empty.ExpiredBatches(start, time.Minute)
	assert.Empty(t, expired)
	assert.True(t, next.IsZero())
}

func TestIncrementSequenceWraps(t *testing.T) {
	for _, tc := range []struct {
		seq  int32
		n    int
		want int32
	}{
		{0, 5, 5},
		{1<<31 - 6, 5, 1<<31 - 1},
		{1<<31 - 5, 5, 0},
		{1<<31 - 1, 3, 2},
	} {
		assert.Equal(t, tc.want, incrementSequence(tc.seq, tc.n), "%d + %d", tc.seq, tc.n)
	}
}
