package records

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy/xerial"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestXXH32KnownVectors(t *testing.T) {
	// Reference values of xxHash32 with seed 0.
	tests := map[string]uint32{
		"":    0x02CC5D05,
		"a":   0x550D7456,
		"abc": 0x32D153FF,
		"Nobody inspects the spammish repetition": 0xE2293B2F,
	}
	for in, want := range tests {
		assert.Equal(t, want, xxh32([]byte(in)), "xxh32(%q)", in)
	}
}

// testInputs covers sizes around the codecs' block boundaries, in
// compressible and incompressible flavours.
func testInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(11, 12))
	noise := make([]byte, 200_000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("kafka record batch v2, "), 20_000)
	in := map[string][]byte{"empty": {}}
	for _, n := range []int{1, 100, 32<<10 - 1, 32 << 10, 32<<10 + 1, 64 << 10, 64<<10 + 1, 200_000} {
		in["text/"+strconv.Itoa(n)] = text[:n]
		in["noise/"+strconv.Itoa(n)] = noise[:n]
	}
	return in
}

func TestCompressRoundTrip(t *testing.T) {
	var c Compressor
	for name, src := range testInputs() {
		for _, codec := range allCodecs {
			t.Run(codec.String()+"/"+name, func(t *testing.T) {
				prefix := []byte("prefix")
				comp, err := c.Compress(append([]byte(nil), prefix...), src, codec, 0)
				require.NoError(t, err)
				require.Equal(t, prefix, comp[:len(prefix)], "Compress appends to dst")
				out, err := Decompress([]byte("keep"), comp[len(prefix):], codec)
				require.NoError(t, err)
				assert.Equal(t, "keep", string(out[:4]), "Decompress appends to dst")
				assert.True(t, bytes.Equal(src, out[4:]), "round trip of %d bytes", len(src))
			})
		}
	}
}

func TestCompressValidation(t *testing.T) {
	var c Compressor
	_, err := c.Compress(nil, []byte("x"), Codec(6), 0)
	assert.ErrorIs(t, err, ErrUnknownCodec)
	_, err = c.Compress(nil, []byte("x"), CodecGzip, -3)
	assert.ErrorIs(t, err, ErrInvalidLevel)
	_, err = c.Compress(nil, []byte("x"), CodecLZ4, 18)
	assert.ErrorIs(t, err, ErrInvalidLevel)
	_, err = c.Compress(nil, []byte("x"), CodecZstd, ZstdMinLevel-1)
	assert.ErrorIs(t, err, ErrInvalidLevel)
	assert.NoError(t, ValidateLevel(CodecSnappy, 1234), "snappy ignores levels")
}

func TestParseCodec(t *testing.T) {
	for _, c := range allCodecs {
		got, err := ParseCodec(" " + string(bytes.ToUpper([]byte(c.String()))) + " ")
		require.NoError(t, err)
		assert.Equal(t, c, got)
		assert.True(t, c.Valid())
	}
	_, err := ParseCodec("brotli")
	assert.ErrorIs(t, err, ErrUnknownCodec)
	assert.Equal(t, "codec(7)", Codec(7).String())
	assert.False(t, Codec(5).Valid())
	assert.False(t, Codec(-1).Valid())
}

func TestSnappyXerialFraming(t *testing.T) {
	src := testInputs()["text/200000"]
	var c Compressor
	out, err := c.Compress(nil, src, CodecSnappy, 0)
	require.NoError(t, err)
	// The Java client's header: magic, version 1, compatible version 1.
	require.Equal(t, []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}, out[:16])
	// Then big-endian length-prefixed raw snappy chunks of at most 32 KiB.
	var chunks int
	var joined []byte
	for p := out[16:]; len(p) > 0; chunks++ {
		require.GreaterOrEqual(t, len(p), 4)
		n := int(binary.BigEndian.Uint32(p))
		block, err := s2.Decode(nil, p[4:4+n])
		require.NoError(t, err)
		assert.LessOrEqual(t, len(block), 32<<10)
		joined = append(joined, block...)
		p = p[4+n:]
	}
	assert.Equal(t, (len(src)+32<<10-1)/(32<<10), chunks)
	assert.Equal(t, src, joined)

	// An independent xerial implementation reads ours, and we read its.
	dec, err := xerial.Decode(out)
	require.NoError(t, err)
	assert.Equal(t, src, dec)
	theirs := xerial.Encode(nil, src)
	got, err := Decompress(nil, theirs, CodecSnappy)
	require.NoError(t, err)
	assert.Equal(t, src, got)
}

func TestSnappyVariantsAccepted(t *testing.T) {
	src := testInputs()["text/200000"]
	t.Run("raw block (librdkafka)", func(t *testing.T) {
		got, err := Decompress(nil, s2.EncodeSnappy(nil, src), CodecSnappy)
		require.NoError(t, err)
		assert.Equal(t, src, got)
	})
	t.Run("concatenated xerial streams", func(t *testing.T) {
		a := appendXerialSnappy(nil, src[:1000])
		a = appendXerialSnappy(a, src[1000:])
		got, err := Decompress(nil, a, CodecSnappy)
		require.NoError(t, err)
		assert.Equal(t, src, got)
	})
	t.Run("empty xerial stream", func(t *testing.T) {
		got, err := Decompress(nil, xerialHeader, CodecSnappy)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func TestLZ4Interop(t *testing.T) {
	src := testInputs()["text/200000"]
	var c Compressor
	ours, err := c.Compress(nil, src, CodecLZ4, 0)
	require.NoError(t, err)
	// The Java client's frame descriptor: FLG 0x60, BD 0x40.
	require.Equal(t, []byte{0x04, 0x22, 0x4d, 0x18, 0x60, 0x40}, ours[:6])

	t.Run("their reader reads our frames", func(t *testing.T) {
		for _, level := range []int{0, 1, 9, 17} {
			f, err := c.Compress(nil, src, CodecLZ4, level)
			require.NoError(t, err)
			got, err := io.ReadAll(lz4.NewReader(bytes.NewReader(f)))
			require.NoError(t, err, "level %d", level)
			assert.Equal(t, src, got)
		}
	})
	writers := map[string][]lz4.Option{
		"defaults (4 MiB blocks, content checksum)": nil,
		"block checksums":             {lz4.BlockChecksumOption(true)},
		"content size":                {lz4.SizeOption(uint64(len(src)))},
		"256 KiB blocks, no checksum": {lz4.BlockSizeOption(lz4.Block256Kb), lz4.ChecksumOption(false)},
		"high compression":            {lz4.CompressionLevelOption(lz4.Level5)},
	}
	for name, opts := range writers {
		t.Run("we read their "+name, func(t *testing.T) {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			require.NoError(t, w.Apply(opts...))
			_, err := w.Write(src)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			got, err := Decompress(nil, buf.Bytes(), CodecLZ4)
			require.NoError(t, err)
			assert.Equal(t, src, got)

			// Checksums are verified.
			if len(opts) == 0 || name == "block checksums" {
				bad := bytes.Clone(buf.Bytes())
				bad[len(bad)-5] ^= 0xff
				_, err = Decompress(nil, bad, CodecLZ4)
				assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
			}
		})
	}
	t.Run("linked blocks", func(t *testing.T) {
		// Hand-made frame with dependent blocks: block 1 stores "abcdefgh",
		// block 2 copies those 8 bytes back from block 1 and adds "z".
		desc := []byte{0x40, 0x40} // version 1, linked blocks; 64 KiB
		f := binary.LittleEndian.AppendUint32(nil, lz4FrameMagic)
		f = append(f, desc...)
		f = append(f, byte(xxh32(desc)>>8))
		f = binary.LittleEndian.AppendUint32(f, 8|lz4Uncompressed)
		f = append(f, "abcdefgh"...)
		block2 := []byte{0x04, 0x08, 0x00, 0x10, 'z'} // match len 8 at offset 8; literal "z"
		f = binary.LittleEndian.AppendUint32(f, uint32(len(block2)))
		f = append(f, block2...)
		f = binary.LittleEndian.AppendUint32(f, 0)
		got, err := Decompress(nil, f, CodecLZ4)
		require.NoError(t, err)
		assert.Equal(t, "abcdefghabcdefghz", string(got))
	})
	t.Run("skippable frame and concatenated frames", func(t *testing.T) {
		f := binary.LittleEndian.AppendUint32(nil, lz4SkippableMagic|3)
		f = binary.LittleEndian.AppendUint32(f, 5)
		f = append(f, "junk!"...)
		f = c.compressLZ4(f, src[:1000], 0)
		f = c.compressLZ4(f, src[1000:], 0)
		got, err := Decompress(nil, f, CodecLZ4)
		require.NoError(t, err)
		assert.Equal(t, src, got)
	})
}

func TestGzipInterop(t *testing.T) {
	src := testInputs()["text/200000"]
	var c Compressor
	ours, err := c.Compress(nil, src, CodecGzip, 0)
	require.NoError(t, err)
	r, err := stdgzip.NewReader(bytes.NewReader(ours))
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, src, got)

	// Two members, as a concatenating producer may write.
	var buf bytes.Buffer
	for _, part := range [][]byte{src[:5000], src[5000:]} {
		w := stdgzip.NewWriter(&buf)
		_, err := w.Write(part)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	got, err = Decompress(nil, buf.Bytes(), CodecGzip)
	require.NoError(t, err)
	assert.Equal(t, src, got)
}

func TestZstdInterop(t *testing.T) {
	src := testInputs()["text/200000"]
	// A streaming writer leaves the frame content size out.
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	require.NoError(t, err)
	_, err = w.Write(src)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	got, err := Decompress(nil, buf.Bytes(), CodecZstd)
	require.NoError(t, err)
	assert.Equal(t, src, got)
}

func TestDecompressLimit(t *testing.T) {
	const size = 4 << 20
	zeros := make([]byte, size)
	var c Compressor
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			bomb, err := c.Compress(nil, zeros, codec, 0)
			require.NoError(t, err)
			if codec != CodecNone {
				assert.Less(t, len(bomb), size/10, "the bomb is small")
			}
			got, err := DecompressLimit(nil, bomb, codec, size)
			require.NoError(t, err)
			assert.Len(t, got, size)

			for _, limit := range []int{size - 1, 1 << 20, 1} {
				dst := []byte("dst")
				got, err = DecompressLimit(dst, bomb, codec, limit)
				require.ErrorIs(t, err, ErrDecompressLimit, "limit %d", limit)
				assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
				var de *DecompressError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, codec, de.Codec)
				assert.Equal(t, limit, de.Limit)
				assert.Contains(t, err.Error(), "more than "+strconv.Itoa(limit))
				assert.Equal(t, dst, got, "dst is returned unchanged")
			}
		})
	}
	t.Run("zstd without content size", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		require.NoError(t, err)
		_, err = w.Write(zeros)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		_, err = DecompressLimit(nil, buf.Bytes(), CodecZstd, 1<<20)
		assert.ErrorIs(t, err, ErrDecompressLimit)
	})
	t.Run("gzip with a lying size trailer", func(t *testing.T) {
		bomb, err := c.Compress(nil, zeros, CodecGzip, 0)
		require.NoError(t, err)
		binary.LittleEndian.PutUint32(bomb[len(bomb)-4:], 0xffffffff)
		_, err = DecompressLimit(nil, bomb, CodecGzip, 1<<20)
		assert.ErrorIs(t, err, ErrDecompressLimit)
	})
	t.Run("decoder setting", func(t *testing.T) {
		var b Builder
		b.Reset(nil, 0)
		b.Append(0, nil, zeros, nil)
		batch, err := b.Finish(NewFinishOptions(CodecZstd, 0))
		require.NoError(t, err)
		hdr, batch, _, err := ReadBatch(batch)
		require.NoError(t, err)
		d := Decoder{MaxDecompressedSize: 1 << 20}
		_, err = d.Records(hdr, batch, nil)
		require.ErrorIs(t, err, ErrDecompressLimit)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, hdr.BaseOffset, ce.BaseOffset)
		d.MaxDecompressedSize = 0 // the default is large enough
		recs, err := d.Records(hdr, batch, nil)
		require.NoError(t, err)
		assert.Len(t, recs[0].Value, size)
	})
}

func TestDecompressCorruptInput(t *testing.T) {
	src := testInputs()["text/200000"]
	var c Compressor
	for _, codec := range allCodecs[1:] {
		t.Run(codec.String(), func(t *testing.T) {
			good, err := c.Compress(nil, src, codec, 0)
			require.NoError(t, err)
			inputs := map[string][]byte{
				"empty":     {},
				"truncated": good[:len(good)/2],
				"garbage":   []byte("this is not compressed data at all, honestly"),
				"one byte":  good[:1],
			}
			for name, in := range inputs {
				dst := []byte("dst")
				out, err := Decompress(dst, in, codec)
				require.Error(t, err, name)
				assert.ErrorIs(t, err, samsa.ErrCorruptBatch, name)
				var de *DecompressError
				require.ErrorAs(t, err, &de, name)
				assert.NotErrorIs(t, err, ErrDecompressLimit, name)
				assert.Equal(t, dst, out, name)
			}
		})
	}
	_, err := Decompress(nil, []byte("x"), Codec(5))
	assert.ErrorIs(t, err, ErrUnknownCodec)
	assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
}

func TestCompressorConcurrentUse(t *testing.T) {
	src := testInputs()["text/200000"][:50_000]
	var c Compressor
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(allCodecs))
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				codec := allCodecs[(g+i)%len(allCodecs)]
				comp, err := c.Compress(nil, src, codec, 0)
				if err == nil {
					var out []byte
					out, err = Decompress(nil, comp, codec)
					if err == nil && !bytes.Equal(out, src) {
						err = io.ErrShortBuffer
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
