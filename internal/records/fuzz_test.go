package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/require"
)

// fuzzLimit keeps decompression in fuzz targets small and fast; it is a
// limit, so hostile inputs must stay within it.
const fuzzLimit = 1 << 20

// seedBatches returns real encodings: the Builder's output in every codec,
// kmsg-built batches compressed by other implementations, control batches.
func seedBatches(t *testing.T) [][]byte {
	rng := rand.New(rand.NewPCG(51, 52))
	var seeds [][]byte
	seeds = append(seeds, goldenBatch())
	for _, codec := range allCodecs {
		recs := randomRecords(rng, 5, 1000)
		seeds = append(seeds, build(t, 1000, recs, NewFinishOptions(codec, 0)))
		seeds = append(seeds, kmsgBatch(t, recs, 1000, codec, 0))
	}
	seeds = append(seeds, AppendControlBatch(nil, 1, 2, true, 3, 4))
	return seeds
}

func FuzzReadBatch(f *testing.F) {
	var t testing.T
	for _, s := range seedBatches(&t) {
		f.Add(s)
	}
	multi := append(goldenBatch(), goldenBatch()[:40]...)
	f.Add(multi)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Decoder{MaxDecompressedSize: fuzzLimit}
		// As given: most mutations break the CRC and stop at ReadBatch.
		rest := data
		for len(rest) > 0 {
			hdr, batch, r, err := ReadBatch(rest)
			if err != nil {
				assertFuzzError(t, err)
				break
			}
			decodeFuzzBatch(t, &d, hdr, batch)
			rest = r
		}
		// With length and CRC repaired, so that the record decoder sees
		// the mutated bytes.
		if len(data) >= HeaderSize {
			b := bytes.Clone(data)
			binary.BigEndian.PutUint32(b[offLength:], uint32(len(b)-lengthFieldEnd))
			b[offMagic] = Magic
			finishCRC(b)
			hdr, batch, rest, err := ReadBatch(b)
			if err != nil {
				assertFuzzError(t, err)
				return
			}
			require.Empty(t, rest)
			decodeFuzzBatch(t, &d, hdr, batch)
		}
	})
}

func assertFuzzError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrPartial) {
		require.ErrorIs(t, err, samsa.ErrCorruptBatch)
	}
}

func decodeFuzzBatch(t *testing.T, d *Decoder, hdr BatchHeader, batch []byte) {
	t.Helper()
	for _, reuse := range []bool{false, true} {
		d.ReuseBuffers = reuse
		recs, err := d.Records(hdr, batch, nil)
		if err != nil {
			require.ErrorIs(t, err, samsa.ErrCorruptBatch)
			require.Empty(t, recs)
		} else {
			require.Len(t, recs, int(hdr.NumRecords))
		}
		for _, it := range []RecordIter{d.Iter(hdr, batch), d.IterKeep(hdr, batch)} {
			var r Record
			n := 0
			for it.Next(&r) {
				if err == nil {
					require.Equal(t, recs[n].Offset, r.Offset)
					require.Equal(t, recs[n].Value, r.Value)
				}
				n++
			}
			if err == nil {
				require.NoError(t, it.Err())
				require.Equal(t, len(recs), n)
			} else {
				require.Error(t, it.Err())
			}
		}
		if hdr.IsControl() && err == nil {
			for _, r := range recs {
				if _, err := ParseControlRecord(r.Key, r.Value); err != nil {
					require.ErrorIs(t, err, samsa.ErrCorruptBatch)
				}
			}
		}
	}
	if err := d.ValidateProduce(hdr, batch); err != nil && !errors.Is(err, ErrInvalidBatch) {
		require.ErrorIs(t, err, samsa.ErrCorruptBatch)
	}
}

func fuzzDecompress(f *testing.F, codec Codec) {
	var t testing.T
	var c Compressor
	inputs := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("kafka "), 3000), testInputs()["noise/100"]}
	for _, in := range inputs {
		out, err := c.Compress(nil, in, codec, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
		f.Add(independentCompress(&t, codec, in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := DecompressLimit([]byte("dst"), data, codec, fuzzLimit)
		if err != nil {
			require.ErrorIs(t, err, samsa.ErrCorruptBatch)
			require.Equal(t, "dst", string(out))
			return
		}
		require.Equal(t, "dst", string(out[:3]))
		require.LessOrEqual(t, len(out)-3, fuzzLimit)
		// What decompresses must survive a round trip through our encoder.
		again, err := c.Compress(nil, out[3:], codec, 0)
		require.NoError(t, err)
		back, err := DecompressLimit(nil, again, codec, fuzzLimit)
		require.NoError(t, err)
		require.True(t, bytes.Equal(out[3:], back))
	})
}

func FuzzDecompressGzip(f *testing.F)   { fuzzDecompress(f, CodecGzip) }
func FuzzDecompressSnappy(f *testing.F) { fuzzDecompress(f, CodecSnappy) }
func FuzzDecompressLZ4(f *testing.F)    { fuzzDecompress(f, CodecLZ4) }
func FuzzDecompressZstd(f *testing.F)   { fuzzDecompress(f, CodecZstd) }

// FuzzRoundTrip encodes records derived from the input with the Builder and
// checks that the Decoder gives them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello kafka"), uint8(0), int64(1_700_000_000_000))
	f.Add(bytes.Repeat([]byte("abc"), 500), uint8(3), int64(-5))
	f.Add([]byte{0, 1, 2, 3, 255, 254}, uint8(4), int64(0))
	f.Add([]byte("x"), uint8(2), int64(1<<62))
	f.Fuzz(func(t *testing.T, payload []byte, codecByte uint8, base int64) {
		codec := Codec(codecByte % 5)
		h := fnv.New64a()
		h.Write(payload)
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(codecByte)))
		piece := func() []byte {
			switch rng.IntN(6) {
			case 0:
				return nil
			case 1:
				return []byte{}
			}
			if len(payload) == 0 {
				return []byte{}
			}
			i := rng.IntN(len(payload))
			return payload[i : i+rng.IntN(len(payload)-i+1)]
		}
		recs := make([]testRecord, 1+rng.IntN(20))
		for i := range recs {
			r := &recs[i]
			r.ts = base + rng.Int64N(1<<20) - 1<<19
			r.key, r.value = piece(), piece()
			for range rng.IntN(4) {
				r.headers = append(r.headers, samsa.Header{Key: string(piece()), Value: piece()})
			}
		}
		batch := build(t, base, recs, NewFinishOptions(codec, 0))
		hdr, b, rest, err := ReadBatch(batch)
		require.NoError(t, err)
		require.Empty(t, rest)
		d := Decoder{MaxDecompressedSize: fuzzLimit}
		got, err := d.Records(hdr, b, nil)
		require.NoError(t, err)
		assertRecords(t, hdr, recs, got)
		require.NoError(t, d.ValidateProduce(hdr, b))
	})
}
