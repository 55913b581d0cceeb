package records

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawBatch frames a records section (given as raw bytes) with a valid
// header and CRC, so that record-level damage reaches the Decoder.
func rawBatch(attrs int16, numRecords int32, section []byte) []byte {
	b := append(make([]byte, HeaderSize), section...)
	putHeader(b, &BatchHeader{
		PartitionLeaderEpoch: -1, Attributes: attrs, LastOffsetDelta: numRecords - 1,
		FirstTimestamp: 100, MaxTimestamp: 100, ProducerID: -1, ProducerEpoch: -1,
		BaseSequence: -1, NumRecords: numRecords,
	})
	return b
}

func TestDecoderRejectsMalformedRecords(t *testing.T) {
	// A valid record for reference: length 7, attrs 0, ts delta 0, offset
	// delta 0, key null, value "v", 0 headers.
	valid := []byte{0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00}
	tests := []struct {
		name    string
		attrs   int16
		count   int32
		section []byte
		reason  string
	}{
		{name: "valid", count: 1, section: valid},
		{name: "count above what the bytes hold", count: 2, section: valid, reason: "cannot fit"},
		{name: "count below the records present", count: 1, section: append(bytes.Clone(valid), valid...), reason: "follow the last of 1 records"},
		{name: "truncated length", count: 1, section: bytes.Repeat([]byte{0x80}, 7), reason: "truncated record length"},
		{name: "overlong length varint", count: 1, section: bytes.Repeat([]byte{0xff}, 12), reason: "malformed record length"},
		{name: "negative length", count: 1, section: []byte{0x01, 0, 0, 0, 0, 0, 0}, reason: "negative record length"},
		{name: "length past the end", count: 1, section: []byte{0x20, 0, 0, 0, 0, 0, 0}, reason: "exceeds the bytes left"},
		{name: "zero length", count: 1, section: []byte{0x00, 0, 0, 0, 0, 0, 0}, reason: "empty record"},
		{name: "key longer than the record", count: 1, section: []byte{0x0c, 0, 0, 0, 0x0a, 'k', 0x00}, reason: "malformed key"},
		{name: "key length -2", count: 1, section: []byte{0x0c, 0, 0, 0, 0x03, 0x01, 0x00}, reason: "malformed key"},
		{name: "value longer than the record", count: 1, section: []byte{0x0c, 0, 0, 0, 0x01, 0x08, 0x00}, reason: "malformed value"},
		{name: "negative header count", count: 1, section: []byte{0x0c, 0, 0, 0, 0x01, 0x01, 0x01}, reason: "negative header count"},
		{name: "header count beyond the record", count: 1, section: []byte{0x0c, 0, 0, 0, 0x01, 0x01, 0x7e}, reason: "header count exceeds"},
		{name: "negative header key length", count: 1, section: []byte{0x12, 0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}, reason: "malformed header key"},
		{name: "header value past the record", count: 1, section: []byte{0x12, 0, 0, 0, 0x01, 0x01, 0x02, 0x00, 0x08, 0x00}, reason: "malformed header value"},
		{name: "bytes after the last header", count: 1, section: []byte{0x10, 0, 0, 0, 0x01, 0x01, 0x00, 0x00, 0x00}, reason: "bytes after its last header"},
		{name: "offset delta beyond int32", count: 1, section: []byte{0x12, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x01, 0x00}, reason: "malformed offset delta"},
		{name: "unknown codec", attrs: 6, count: 1, section: valid, reason: "unknown compression codec id 6"},
		{name: "compressed section is garbage", attrs: int16(CodecSnappy), count: 1, section: valid, reason: "does not decompress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, batch, _, err := ReadBatch(rawBatch(tt.attrs, tt.count, tt.section))
			require.NoError(t, err)
			for _, reuse := range []bool{false, true} {
				d := Decoder{ReuseBuffers: reuse}
				prev := []Record{{Offset: 42}}
				got, err := d.Records(hdr, batch, prev)
				if tt.reason == "" {
					require.NoError(t, err)
					assert.Len(t, got, 2)
				} else {
					require.ErrorIs(t, err, samsa.ErrCorruptBatch)
					assert.Contains(t, err.Error(), tt.reason)
					assert.Equal(t, prev, got, "dst is returned as it was")
				}
				for _, it := range []RecordIter{d.Iter(hdr, batch), d.IterKeep(hdr, batch)} {
					var r Record
					n := 0
					for it.Next(&r) {
						n++
					}
					if tt.reason == "" {
						require.NoError(t, it.Err())
						assert.Equal(t, 1, n)
						continue
					}
					require.ErrorIs(t, it.Err(), samsa.ErrCorruptBatch)
					assert.Contains(t, it.Err().Error(), tt.reason)
				}
			}
		})
	}
}

func TestDecoderShortBatch(t *testing.T) {
	var d Decoder
	_, err := d.Records(BatchHeader{}, make([]byte, 10), nil)
	assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
	_, err = d.Records(BatchHeader{NumRecords: -1}, make([]byte, HeaderSize), nil)
	assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
	var it RecordIter
	assert.False(t, it.Next(&Record{}), "the zero iterator yields nothing")
	assert.NoError(t, it.Err())
}

func TestDecoderZeroRecordBatch(t *testing.T) {
	// Compaction can leave batches without records (kept for producer
	// state); a reader must accept them.
	hdr, batch, _, err := ReadBatch(rawBatch(0, 0, nil))
	require.NoError(t, err)
	var d Decoder
	got, err := d.Records(hdr, batch, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestDecoderIsZeroCopy(t *testing.T) {
	recs := []testRecord{{ts: 1, key: []byte("key"), value: []byte("value"), headers: []samsa.Header{{Key: "h", Value: []byte("hv")}}}}
	batch := build(t, 1, recs, NewFinishOptions(CodecNone, 0))
	hdr, b, _, err := ReadBatch(batch)
	require.NoError(t, err)
	var d Decoder
	got, err := d.Records(hdr, b, nil)
	require.NoError(t, err)
	// Key, value and header bytes are windows on the batch itself.
	within := func(s []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(batch)))
		return len(s) > 0 && p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(batch))
	}
	assert.True(t, within(got[0].Key))
	assert.True(t, within(got[0].Value))
	assert.True(t, within(got[0].Headers[0].Key))
	assert.True(t, within(got[0].Headers[0].Value))
	// Capacities are capped: appending cannot scribble over the batch.
	before := bytes.Clone(batch)
	_ = append(got[0].Key, "XXXXXXXX"...)
	_ = append(got[0].Headers, Header{})
	assert.Equal(t, before, batch)
}

func TestDecoderLifetimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	recsA := randomRecords(rng, 50, 0)
	recsB := randomRecords(rng, 50, 0)
	for i := range recsA {
		recsA[i].headers = append(recsA[i].headers, samsa.Header{Key: "a", Value: []byte("A")})
		recsB[i].headers = append(recsB[i].headers, samsa.Header{Key: "b", Value: []byte("B")})
	}
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			a := build(t, 0, recsA, NewFinishOptions(codec, 0))
			b := build(t, 0, recsB, NewFinishOptions(codec, 0))
			hdrA, batchA, _, err := ReadBatch(a)
			require.NoError(t, err)
			hdrB, batchB, _, err := ReadBatch(b)
			require.NoError(t, err)

			// Default mode: records of one batch survive decoding the next.
			var d Decoder
			gotA, err := d.Records(hdrA, batchA, nil)
			require.NoError(t, err)
			gotB, err := d.Records(hdrB, batchB, nil)
			require.NoError(t, err)
			assertRecords(t, hdrA, recsA, gotA)
			assertRecords(t, hdrB, recsB, gotB)

			// Reuse mode: correct until the next call; decoding twice in a
			// row gives the same answer from the reused buffers.
			r := Decoder{ReuseBuffers: true}
			for range 3 {
				got, err := r.Records(hdrA, batchA, nil)
				require.NoError(t, err)
				assertRecords(t, hdrA, recsA, got)
				got, err = r.Records(hdrB, batchB, nil)
				require.NoError(t, err)
				assertRecords(t, hdrB, recsB, got)
			}
		})
	}
}

func TestDecoderReuseDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	recs := randomRecords(rand.New(rand.NewPCG(9, 9)), 200, 0)
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			batch := build(t, 0, recs, NewFinishOptions(codec, 0))
			hdr, b, _, err := ReadBatch(batch)
			require.NoError(t, err)
			d := Decoder{ReuseBuffers: true}
			dst := make([]Record, 0, len(recs))
			decodeOnce := func() {
				if _, err := d.Records(hdr, b, dst[:0]); err != nil {
					t.Fatal(err)
				}
			}
			decodeOnce()
			assert.LessOrEqual(t, testing.AllocsPerRun(50, decodeOnce), 1.0, "Records")
			iterate := func() {
				it := d.Iter(hdr, b)
				var r Record
				for it.Next(&r) {
				}
				if it.Err() != nil {
					t.Fatal(it.Err())
				}
			}
			iterate()
			assert.LessOrEqual(t, testing.AllocsPerRun(50, iterate), 1.0, "Iter")
		})
	}
}

func TestDecoderHeaderSlabIsPerBatch(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	recs := make([]testRecord, 100)
	for i := range recs {
		recs[i] = testRecord{ts: 1, value: []byte("v"), headers: []samsa.Header{{Key: "a", Value: []byte("1")}, {Key: "b"}}}
	}
	batch := build(t, 1, recs, NewFinishOptions(CodecNone, 0))
	hdr, b, _, err := ReadBatch(batch)
	require.NoError(t, err)
	var d Decoder
	dst := make([]Record, 0, 100)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := d.Records(hdr, b, dst[:0]); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs, "one header slab for 100 records with headers")
}

func TestIterMatchesRecords(t *testing.T) {
	recs := randomRecords(rand.New(rand.NewPCG(21, 22)), 300, 77)
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			batch := build(t, 77, recs, NewFinishOptions(codec, 0))
			hdr, b, _, err := ReadBatch(batch)
			require.NoError(t, err)
			var d Decoder
			it := d.Iter(hdr, b)
			var r Record
			i := 0
			for it.Next(&r) {
				assertRecords(t, hdr, recs[i:i+1], []Record{{Offset: r.Offset - int64(i), Timestamp: r.Timestamp, Key: r.Key, Value: r.Value, Headers: r.Headers}})
				i++
			}
			require.NoError(t, it.Err())
			assert.Equal(t, len(recs), i)
			assert.False(t, it.Next(&r), "stays exhausted")
		})
	}
}

func TestIterKeepRecordsOutliveTheDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	first := randomRecords(rng, 50, 33)
	second := randomRecords(rng, 50, 34)
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			raw1 := build(t, 1000, first, NewFinishOptions(codec, 0))
			SetBaseOffset(raw1, 10)
			hdr1, b1, _, err := ReadBatch(raw1)
			require.NoError(t, err)
			hdr2, b2, _, err := ReadBatch(build(t, 2000, second, NewFinishOptions(codec, 0)))
			require.NoError(t, err)
			var d Decoder
			var kept []Record
			it := d.IterKeep(hdr1, b1)
			var r Record
			for it.Next(&r) {
				r.Headers = nil // headers live in a reused buffer
				kept = append(kept, r)
			}
			require.NoError(t, it.Err())
			// Decoding another batch, iterated or whole, must not touch the
			// kept keys and values.
			it = d.Iter(hdr2, b2)
			for it.Next(&r) {
			}
			require.NoError(t, it.Err())
			_, err = d.Records(hdr2, b2, nil)
			require.NoError(t, err)
			require.Len(t, kept, len(first))
			for i, want := range first {
				assert.Equal(t, want.key, kept[i].Key, "key %d", i)
				assert.Equal(t, want.value, kept[i].Value, "value %d", i)
				assert.Equal(t, int64(10+i), kept[i].Offset)
			}
		})
	}
}
