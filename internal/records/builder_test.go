package records

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuilderRoundTrip(t *testing.T) {
	manyHeaders := make([]samsa.Header, 300)
	for i := range manyHeaders {
		manyHeaders[i] = samsa.Header{Key: "h" + strconv.Itoa(i), Value: []byte(strings.Repeat("v", i%7))}
	}
	manyHeaders[5].Value = nil
	manyHeaders[6].Key = ""
	big := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160 KB: several codec blocks

	cases := []struct {
		name string
		base int64
		recs []testRecord
	}{
		{name: "nulls", base: 0, recs: []testRecord{{ts: 0}}},
		{name: "empty key and value", base: 0, recs: []testRecord{{ts: 0, key: []byte{}, value: []byte{}}}},
		{name: "null vs empty mixed", base: 10, recs: []testRecord{
			{ts: 10, key: nil, value: []byte{}},
			{ts: 10, key: []byte{}, value: nil},
			{ts: 10, key: []byte("k"), value: []byte("v"), headers: []samsa.Header{{Key: "", Value: nil}, {Key: "e", Value: []byte{}}}},
		}},
		{name: "negative timestamp deltas", base: 1_700_000_000_000, recs: []testRecord{
			{ts: 1_700_000_000_000, value: []byte("a")},
			{ts: 1_699_999_999_000, value: []byte("b")},
			{ts: 1_600_000_000_000, value: []byte("c")},
			{ts: 1_700_000_000_500, value: []byte("d")},
		}},
		{name: "extreme timestamps", base: math.MinInt64, recs: []testRecord{
			{ts: math.MaxInt64, value: []byte("max")},
			{ts: math.MinInt64, value: []byte("min")},
			{ts: -1, value: []byte("minus one")},
		}},
		{name: "many headers", base: 1, recs: []testRecord{{ts: 1, key: []byte("k"), headers: manyHeaders}, {ts: 2, headers: manyHeaders[:3]}}},
		{name: "large value", base: 1, recs: []testRecord{{ts: 1, key: []byte("k"), value: big}, {ts: 1, value: big[:100]}}},
		{name: "random", base: 5000, recs: randomRecords(rand.New(rand.NewPCG(1, 2)), 500, 5000)},
	}
	for _, tc := range cases {
		for _, codec := range allCodecs {
			t.Run(tc.name+"/"+codec.String(), func(t *testing.T) {
				batch := build(t, tc.base, tc.recs, NewFinishOptions(codec, 0))
				hdr, got := decode(t, batch)
				assert.Equal(t, tc.base, hdr.FirstTimestamp)
				wantMax := tc.recs[0].ts
				for _, r := range tc.recs {
					wantMax = max(wantMax, r.ts)
				}
				assert.Equal(t, wantMax, hdr.MaxTimestamp)
				assert.Equal(t, int32(len(tc.recs)), hdr.NumRecords)
				assert.Equal(t, int32(len(tc.recs)-1), hdr.LastOffsetDelta)
				assert.Equal(t, int32(-1), hdr.PartitionLeaderEpoch)
				assert.Equal(t, int64(-1), hdr.ProducerID)
				assert.Equal(t, int16(-1), hdr.ProducerEpoch)
				assert.Equal(t, int32(-1), hdr.BaseSequence)
				assert.False(t, hdr.IsTransactional())
				assert.False(t, hdr.IsControl())
				assertRecords(t, hdr, tc.recs, got)
			})
		}
	}
}

func TestFinishKeepsCompressionOnlyWhenSmaller(t *testing.T) {
	compressible := []testRecord{{ts: 1, value: bytes.Repeat([]byte("abc"), 1000)}}
	// A handful of random bytes: no codec can shrink them once its framing
	// is added.
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 40)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	incompressible := []testRecord{{ts: 1, value: noise}}
	for _, codec := range allCodecs[1:] {
		t.Run(codec.String(), func(t *testing.T) {
			var b Builder
			b.Reset(nil, 1)
			b.Append(1, nil, compressible[0].value, nil)
			uncompressed := b.Len()
			batch, err := b.Finish(NewFinishOptions(codec, 0))
			require.NoError(t, err)
			hdr, got := decode(t, batch)
			assert.Equal(t, codec, hdr.Codec())
			assert.Less(t, len(batch), uncompressed/5)
			assertRecords(t, hdr, compressible, got)

			batch = build(t, 1, incompressible, NewFinishOptions(codec, 0))
			hdr, got = decode(t, batch)
			assert.Equal(t, CodecNone, hdr.Codec(), "compression that does not shrink is dropped")
			assertRecords(t, hdr, incompressible, got)
		})
	}
}

func TestFinishLevels(t *testing.T) {
	value := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog "), 2000)
	levels := map[Codec][]int{
		CodecGzip:   {-2, -1, 0, 1, 5, 9},
		CodecLZ4:    {0, 1, 5, 9, 17},
		CodecZstd:   {-5, 0, 1, 3, 7, 22},
		CodecSnappy: {0, 42},
	}
	var c Compressor
	for codec, ls := range levels {
		for _, level := range ls {
			t.Run(codec.String()+"/"+strconv.Itoa(level), func(t *testing.T) {
				o := NewFinishOptions(codec, level)
				o.Compressor = &c
				recs := []testRecord{{ts: 3, key: []byte("k"), value: value}}
				batch := build(t, 3, recs, o)
				hdr, got := decode(t, batch)
				assert.Equal(t, codec, hdr.Codec())
				assertRecords(t, hdr, recs, got)
			})
		}
	}
}

func TestFinishProducerState(t *testing.T) {
	recs := []testRecord{{ts: 1, value: []byte("a")}, {ts: 2, value: []byte("b")}}
	o := NewFinishOptions(CodecNone, 0)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = 9000, 4, 123, true
	hdr, got := decode(t, build(t, 1, recs, o))
	assert.Equal(t, int64(9000), hdr.ProducerID)
	assert.Equal(t, int16(4), hdr.ProducerEpoch)
	assert.Equal(t, int32(123), hdr.BaseSequence)
	assert.True(t, hdr.IsTransactional())
	assert.Equal(t, int16(AttrTransactional), hdr.Attributes)
	assertRecords(t, hdr, recs, got)
}

func TestFinishErrors(t *testing.T) {
	t.Run("zero-record batch is refused", func(t *testing.T) {
		var b Builder
		_, err := b.Finish(NewFinishOptions(CodecNone, 0))
		assert.ErrorIs(t, err, ErrEmptyBatch)
		b.Reset(make([]byte, 0, 100), 0)
		_, err = b.Finish(NewFinishOptions(CodecNone, 0))
		assert.ErrorIs(t, err, ErrEmptyBatch)
	})
	bad := []struct {
		name string
		o    FinishOptions
		want error
	}{
		{name: "unknown codec", o: NewFinishOptions(Codec(5), 0), want: ErrUnknownCodec},
		{name: "gzip level 10", o: NewFinishOptions(CodecGzip, 10), want: ErrInvalidLevel},
		{name: "lz4 level -1", o: NewFinishOptions(CodecLZ4, -1), want: ErrInvalidLevel},
		{name: "zstd level 23", o: NewFinishOptions(CodecZstd, 23), want: ErrInvalidLevel},
		{name: "transactional without producer", o: FinishOptions{Transactional: true, ProducerID: -1}, want: ErrInvalidBatch},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			b.Append(1, nil, []byte("v"), nil)
			_, err := b.Finish(tt.o)
			require.ErrorIs(t, err, tt.want)
			// The batch stays open and can be finished properly.
			b.Append(2, nil, []byte("w"), nil)
			batch, err := b.Finish(NewFinishOptions(CodecNone, 0))
			require.NoError(t, err)
			_, got := decode(t, batch)
			assert.Len(t, got, 2)
		})
	}
	t.Run("finish twice and append after finish", func(t *testing.T) {
		var b Builder
		b.Append(1, nil, []byte("v"), nil)
		_, err := b.Finish(NewFinishOptions(CodecNone, 0))
		require.NoError(t, err)
		_, err = b.Finish(NewFinishOptions(CodecNone, 0))
		assert.ErrorIs(t, err, ErrBatchFinished)
		b.Append(2, nil, []byte("w"), nil)
		_, err = b.Finish(NewFinishOptions(CodecNone, 0))
		assert.ErrorIs(t, err, ErrBatchFinished)
		b.Reset(nil, 0)
		b.Append(2, nil, []byte("w"), nil)
		_, err = b.Finish(NewFinishOptions(CodecNone, 0))
		assert.NoError(t, err)
	})
}

func TestBuilderZeroValueAndAccessors(t *testing.T) {
	var b Builder
	assert.Equal(t, HeaderSize, b.Len())
	assert.Equal(t, 0, b.NumRecords())
	est := b.EstimatedSize(500, []byte("k"), []byte("v"), nil)
	assert.Equal(t, RecordSize(0, 0, []byte("k"), []byte("v"), nil), est)
	b.Append(500, []byte("k"), []byte("v"), nil)
	assert.Equal(t, HeaderSize+est, b.Len())
	assert.Equal(t, int64(500), b.BaseTimestamp())
	b.Append(400, nil, nil, nil)
	b.Append(700, nil, nil, nil)
	assert.Equal(t, int64(700), b.MaxTimestamp())
	assert.Equal(t, 3, b.NumRecords())
}

func TestRecordSizeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var b Builder
	b.Reset(nil, 1_000_000)
	for i, r := range randomRecords(rng, 2000, 1_000_000) {
		before := b.Len()
		want := b.EstimatedSize(r.ts, r.key, r.value, r.headers)
		assert.Equal(t, RecordSize(r.ts-1_000_000, int32(i), r.key, r.value, r.headers), want)
		b.Append(r.ts, r.key, r.value, r.headers)
		require.Equal(t, want, b.Len()-before, "record %d", i)
	}
	// Sizes around varint boundaries.
	for _, n := range []int{0, 1, 63, 64, 127, 128, 8191, 8192, 1 << 20} {
		v := make([]byte, n)
		b.Reset(nil, 0)
		before := b.Len()
		want := b.EstimatedSize(1<<40, nil, v, nil)
		b.Append(1<<40, nil, v, nil)
		assert.Equal(t, want, b.Len()-before, "value of %d bytes", n)
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	key := []byte("key-000001")
	value := bytes.Repeat([]byte("v"), 100)
	headers := []samsa.Header{{Key: "trace", Value: []byte("abc")}}
	buf := make([]byte, 0, 1<<20)
	var b Builder
	b.Reset(buf, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		b.Append(5, key, value, headers)
	})
	assert.Zero(t, allocs)
	// Reset reuses the buffer's capacity.
	allocs = testing.AllocsPerRun(100, func() {
		b.Reset(buf, 0)
		b.Append(5, key, value, headers)
	})
	assert.Zero(t, allocs)
}

func TestFinishDoesNotAllocateInSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	value := bytes.Repeat([]byte("value "), 20)
	buf := make([]byte, 0, 64<<10)
	var c Compressor
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			o := NewFinishOptions(codec, 0)
			o.Compressor = &c
			var b Builder
			run := func() {
				b.Reset(buf, 0)
				for range 100 {
					b.Append(1, nil, value, nil)
				}
				if _, err := b.Finish(o); err != nil {
					t.Fatal(err)
				}
			}
			run() // warm the pools
			// sync.Pool may drop an entry at a GC; allow for that.
			assert.LessOrEqual(t, testing.AllocsPerRun(50, run), 1.0)
		})
	}
}
