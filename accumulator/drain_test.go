package accumulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// queueBatches gives each partition n closed batches of about 1 KiB.
func queueBatches(t *testing.T, a *Accumulator, parts []samsa.TopicPartition, n int) {
	t.Helper()
	for _, tp := range parts {
		for i := 0; a.QueuedBatches(tp) <= n; i++ {
			mustAppend(t, a, tp, nil, i, value(100, byte('a'+tp.Partition)))
		}
	}
}

func partitionsOf(bs []*Batch) []int32 {
	var ps []int32
	for _, b := range bs {
		ps = append(ps, b.TopicPartition().Partition)
	}
	return ps
}

func TestDrainRoundRobin(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(0))
	parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2), tpN(3)}
	queueBatches(t, a, parts, 5) // 6 batches each
	// Room for two ~1 KiB batches per request: successive drains take turns
	// so that every partition gets its share.
	var got [][]int32
	for range 4 {
		bs := a.Drain(clk.Now(), 7, parts, 2100)
		got = append(got, partitionsOf(bs))
		for _, b := range bs {
			b.Complete(0, -1, nil)
		}
	}
	assert.Equal(t, [][]int32{{0, 1}, {2, 3}, {0, 1}, {2, 3}}, got)

	// Without the size limit every partition gives one batch, the start
	// rotating by one each time.
	got = nil
	for range 3 {
		bs := a.Drain(clk.Now(), 7, parts, 1<<20)
		got = append(got, partitionsOf(bs))
		for _, b := range bs {
			b.Complete(0, -1, nil)
		}
	}
	assert.Equal(t, [][]int32{{0, 1, 2, 3}, {1, 2, 3, 0}, {2, 3, 0, 1}}, got)
	// Nodes keep their own start index.
	bs := a.Drain(clk.Now(), 8, parts, 1)
	assert.Equal(t, []int32{0}, partitionsOf(bs), "node 8 starts at the first partition")
	bs[0].Complete(0, -1, nil)
}

func TestDrainMaxRequestSize(t *testing.T) {
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(0))
	parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2)}
	queueBatches(t, a, parts, 1)
	for _, tc := range []struct {
		max  int
		want int
	}{
		{1, 1},    // a batch over the limit still goes, alone
		{1100, 1}, // one ~1 KiB batch fits, two do not
		{2100, 2},
		{1 << 20, 3},
	} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			bs := a.Drain(clk.Now(), 1, parts, tc.max)
			require.Len(t, bs, tc.want)
			total := 0
			for _, b := range bs {
				total += len(b.Records())
				// Put it back so the next case sees the same queues.
				require.NoError(t, a.Reenqueue(b, clk.Now().Add(-time.Hour)))
			}
			if tc.want > 1 {
				assert.LessOrEqual(t, total, tc.max)
			}
		})
	}
}

func TestDrainSkipsMutedAndEmpty(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2), {Topic: "never", Partition: 0}}
	mustAppend(t, a, tpN(0), nil, 0, value(10, 'a'))
	mustAppend(t, a, tpN(2), nil, 1, value(10, 'c'))
	a.Mute(tpN(2))
	assert.True(t, a.IsMuted(tpN(2)))
	assert.False(t, a.IsMuted(tpN(0)))
	bs := a.Drain(clk.Now(), 1, parts, 1<<20)
	assert.Equal(t, []int32{0}, partitionsOf(bs))
	assert.Equal(t, clk.Now(), bs[0].DrainedAt())
	a.Mute(samsa.TopicPartition{Topic: "t", Partition: -1}) // ignored
	a.Unmute(tpN(2))
	bs = a.Drain(clk.Now(), 1, parts, 1<<20)
	assert.Equal(t, []int32{2}, partitionsOf(bs))
	assert.Empty(t, a.Drain(clk.Now(), 1, nil, 1<<20))
}

// sequencer is a minimal idempotent producer: sequences per partition,
// with decisions and a possible epoch bump injected by the test.
type sequencer struct {
	pid      int64
	epoch    int16
	next     map[samsa.TopicPartition]int32
	decision map[samsa.TopicPartition]DrainDecision
	calls    []samsa.TopicPartition
}

func (s *sequencer) assign(b *Batch) (ProducerState, DrainDecision) {
	tp := b.TopicPartition()
	s.calls = append(s.calls, tp)
	if d := s.decision[tp]; d != DrainBatch {
		return ProducerState{}, d
	}
	st := b.ProducerState()
	if st.HasSequence() && st.Epoch == s.epoch {
		return st, DrainBatch // a retry keeps its sequence
	}
	seq := s.next[tp]
	s.next[tp] = seq + int32(b.NumRecords())
	return ProducerState{ProducerID: s.pid, Epoch: s.epoch, BaseSequence: seq}, DrainBatch
}

func TestDrainSequencer(t *testing.T) {
	seq := &sequencer{pid: 42, epoch: 3, next: map[samsa.TopicPartition]int32{},
		decision: map[samsa.TopicPartition]DrainDecision{}}
	a, clk := newTestAcc(t, WithBatchSize(1024), WithLinger(0), WithSequencer(seq.assign))
	parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2)}
	queueBatches(t, a, parts, 2)

	seq.decision[tpN(1)] = SkipPartition
	bs := a.Drain(clk.Now(), 1, parts, 1<<20)
	assert.Equal(t, []int32{0, 2}, partitionsOf(bs))
	for _, b := range bs {
		hdr, recs := decoded(t, b.Records())
		assert.Equal(t, int64(42), hdr.ProducerID)
		assert.Equal(t, int16(3), hdr.ProducerEpoch)
		assert.Equal(t, int32(0), hdr.BaseSequence)
		assert.Equal(t, ProducerState{ProducerID: 42, Epoch: 3, BaseSequence: 0}, b.ProducerState())
		assert.Len(t, recs, b.NumRecords())
	}
	first := bs[0]

	// The next drain starts one further, at partition 1. StopDrain ends
	// it there, and the drain after that starts there again.
	seq.decision[tpN(1)] = StopDrain
	seq.calls = nil
	assert.Empty(t, a.Drain(clk.Now(), 1, parts, 1<<20))
	assert.Equal(t, []samsa.TopicPartition{tpN(1)}, seq.calls)
	delete(seq.decision, tpN(1))
	bs = a.Drain(clk.Now(), 1, parts, 1<<20)
	assert.Equal(t, []int32{1, 2, 0}, partitionsOf(bs))
	assert.Equal(t, int32(0), bs[0].ProducerState().BaseSequence)
	assert.Equal(t, int32(first.NumRecords()), bs[2].ProducerState().BaseSequence, "sequences advance by record count")

	// A retry keeps its sequence; after an epoch bump the producer
	// rewrites it and Drain patches the finished header in place.
	require.NoError(t, a.Reenqueue(first, clk.Now().Add(-time.Hour)))
	bs = a.Drain(clk.Now(), 1, []samsa.TopicPartition{tpN(0)}, 1<<20)
	require.Len(t, bs, 1)
	require.Same(t, first, bs[0])
	hdr, _ := decoded(t, first.Records())
	assert.Equal(t, int32(0), hdr.BaseSequence)
	assert.Equal(t, int16(3), hdr.ProducerEpoch)

	seq.epoch = 4
	seq.next = map[samsa.TopicPartition]int32{tpN(0): 100}
	require.NoError(t, a.Reenqueue(first, clk.Now().Add(-time.Hour)))
	bs = a.Drain(clk.Now(), 1, []samsa.TopicPartition{tpN(0)}, 1<<20)
	require.Len(t, bs, 1)
	hdr, recs := decoded(t, first.Records()) // the CRC is checked too
	assert.Equal(t, int16(4), hdr.ProducerEpoch)
	assert.Equal(t, int32(100), hdr.BaseSequence)
	assert.Len(t, recs, first.NumRecords())
}

func TestDrainCompression(t *testing.T) {
	for _, codec := range []records.Codec{records.CodecNone, records.CodecGzip, records.CodecSnappy,
		records.CodecLZ4, records.CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			a, clk := newTestAcc(t, WithBatchSize(64<<10), WithLinger(0), WithCompression(codec, 0))
			var rec recorder
			for i := range 200 {
				mustAppend(t, a, tp0, &rec, i, []byte(fmt.Sprintf("compressible value number %d of 200", i)))
			}
			bs := a.Drain(clk.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
			require.Len(t, bs, 1)
			b := bs[0]
			hdr, recs := decoded(t, b.Records())
			assert.Equal(t, codec, hdr.Codec())
			require.Len(t, recs, 200)
			for i, r := range recs {
				assert.Equal(t, fmt.Sprintf("compressible value number %d of 200", i), string(r.Value))
			}
			if codec == records.CodecNone {
				assert.Equal(t, b.UncompressedSize(), len(b.Records()))
			} else {
				assert.Less(t, len(b.Records()), b.UncompressedSize()/2)
			}
			st := a.Stats()
			assert.Equal(t, int64(1), st.BatchesDrained)
			assert.Equal(t, int64(200), st.RecordsDrained)
			assert.Equal(t, int64(len(b.Records())), st.BytesDrained)
			assert.Equal(t, int64(b.UncompressedSize()), st.UncompressedBytesDrained)
			b.Complete(500, -1, nil)
			outs := rec.outcomes()
			require.Len(t, outs, 200)
			for i, o := range outs {
				assert.Equal(t, int64(500+i), o.res.Offset)
			}
		})
	}
}
