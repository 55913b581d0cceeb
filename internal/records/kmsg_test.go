package records

// Cross-checks against an independent codec: franz-go's kmsg structs for
// the batch and record layout, and codec libraries used directly (standard
// library gzip, a separate xerial implementation, the lz4 package's own
// frame reader and writer) for compression.

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy/xerial"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// independentDecompress undoes compression without this package's code.
func independentDecompress(t *testing.T, codec Codec, src []byte) []byte {
	t.Helper()
	var r io.Reader
	switch codec {
	case CodecNone:
		return src
	case CodecGzip:
		zr, err := stdgzip.NewReader(bytes.NewReader(src))
		require.NoError(t, err)
		r = zr
	case CodecSnappy:
		out, err := xerial.Decode(src)
		require.NoError(t, err)
		return out
	case CodecLZ4:
		r = lz4.NewReader(bytes.NewReader(src))
	case CodecZstd:
		zr, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		require.NoError(t, err)
		defer zr.Close()
		out, err := zr.DecodeAll(src, nil)
		require.NoError(t, err)
		return out
	}
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out
}

// independentCompress compresses the way other clients do: gzip from the
// standard library, raw snappy blocks as librdkafka writes them, lz4 frames
// with the lz4 package's defaults (4 MiB blocks, content checksum), zstd
// from a streaming writer.
func independentCompress(t *testing.T, codec Codec, src []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case CodecNone:
		return src
	case CodecGzip:
		w := stdgzip.NewWriter(&buf)
		_, err := w.Write(src)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	case CodecSnappy:
		return s2.EncodeSnappy(nil, src)
	case CodecLZ4:
		w := lz4.NewWriter(&buf)
		_, err := w.Write(src)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	case CodecZstd:
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		require.NoError(t, err)
		_, err = w.Write(src)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	return buf.Bytes()
}

func TestBuilderOutputDecodesWithKmsg(t *testing.T) {
	recs := randomRecords(rand.New(rand.NewPCG(31, 32)), 400, 1_700_000_000_000)
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			o := NewFinishOptions(codec, 0)
			o.ProducerID, o.ProducerEpoch, o.BaseSequence = 31337, 2, 500
			batch := build(t, 1_700_000_000_000, recs, o)

			var kb kmsg.RecordBatch
			require.NoError(t, kb.ReadFrom(batch))
			assert.Equal(t, int32(len(batch)-12), kb.Length)
			assert.Equal(t, int8(2), kb.Magic)
			assert.Equal(t, uint32(kb.CRC), crc32.Checksum(batch[21:], crc32.MakeTable(crc32.Castagnoli)))
			assert.Equal(t, int16(codec), kb.Attributes&7)
			assert.Equal(t, int32(-1), kb.PartitionLeaderEpoch)
			assert.Equal(t, int32(len(recs)-1), kb.LastOffsetDelta)
			assert.Equal(t, int32(len(recs)), kb.NumRecords)
			assert.Equal(t, int64(31337), kb.ProducerID)
			assert.Equal(t, int16(2), kb.ProducerEpoch)
			assert.Equal(t, int32(500), kb.FirstSequence)
			assert.Equal(t, int64(1_700_000_000_000), kb.FirstTimestamp)

			raw := independentDecompress(t, codec, kb.Records)
			maxTS := recs[0].ts
			for i, want := range recs {
				maxTS = max(maxTS, want.ts)
				length, n := binary.Varint(raw)
				require.Positive(t, n)
				end := n + int(length)
				var kr kmsg.Record
				require.NoError(t, kr.ReadFrom(raw[:end]), "record %d", i)
				raw = raw[end:]
				assert.Equal(t, int32(i), kr.OffsetDelta)
				assert.Equal(t, want.ts-kb.FirstTimestamp, kr.TimestampDelta64)
				assertSameBytes(t, want.key, kr.Key, "key")
				assertSameBytes(t, want.value, kr.Value, "value")
				require.Len(t, kr.Headers, len(want.headers))
				for j, h := range want.headers {
					assert.Equal(t, h.Key, kr.Headers[j].Key)
					assertSameBytes(t, h.Value, kr.Headers[j].Value, "header value")
				}
			}
			assert.Empty(t, raw)
			assert.Equal(t, maxTS, kb.MaxTimestamp)
		})
	}
}

// kmsgBatch builds a batch with kmsg's structs; kmsg leaves the record
// lengths, the batch length and the CRC to the caller.
func kmsgBatch(t *testing.T, recs []testRecord, base int64, codec Codec, attrs int16) []byte {
	t.Helper()
	var raw []byte
	maxTS := recs[0].ts
	for i, r := range recs {
		maxTS = max(maxTS, r.ts)
		kr := kmsg.Record{TimestampDelta64: r.ts - base, OffsetDelta: int32(i), Key: r.key, Value: r.value}
		for _, h := range r.headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		// Encode once with length 0 (one varint byte) to learn the length.
		kr.Length = int32(len(kr.AppendTo(nil)) - 1)
		raw = kr.AppendTo(raw)
	}
	kb := kmsg.RecordBatch{
		FirstOffset: 100, PartitionLeaderEpoch: 3, Magic: 2,
		Attributes:      attrs | int16(codec),
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: base, MaxTimestamp: maxTS,
		ProducerID: 7, ProducerEpoch: 1, FirstSequence: 0, NumRecords: int32(len(recs)),
		Records: independentCompress(t, codec, raw),
	}
	out := kb.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

func TestKmsgBatchesDecode(t *testing.T) {
	recs := randomRecords(rand.New(rand.NewPCG(41, 42)), 400, 1000)
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			batch := kmsgBatch(t, recs, 1000, codec, AttrTransactional)
			hdr, got := decode(t, batch)
			assert.Equal(t, int64(100), hdr.BaseOffset)
			assert.Equal(t, int32(3), hdr.PartitionLeaderEpoch)
			assert.Equal(t, codec, hdr.Codec())
			assert.True(t, hdr.IsTransactional())
			assert.Equal(t, int64(7), hdr.ProducerID)
			assertRecords(t, hdr, recs, got)
		})
	}
	t.Run("log append time", func(t *testing.T) {
		batch := kmsgBatch(t, recs, 1000, CodecNone, AttrLogAppendTime)
		hdr, got := decode(t, batch)
		require.True(t, hdr.LogAppendTime())
		assertRecords(t, hdr, recs, got)
	})
}

func TestControlBatchMatchesKmsg(t *testing.T) {
	for _, commit := range []bool{false, true} {
		batch := AppendControlBatch([]byte("prefix"), 55, 6, commit, 9, 1234)
		require.Equal(t, "prefix", string(batch[:6]))
		var kb kmsg.RecordBatch
		require.NoError(t, kb.ReadFrom(batch[6:]))
		assert.Equal(t, int16(0x30), kb.Attributes)
		assert.Equal(t, int32(-1), kb.FirstSequence)
		var kr kmsg.Record
		require.NoError(t, kr.ReadFrom(kb.Records))
		var key kmsg.ControlRecordKey
		require.NoError(t, key.ReadFrom(kr.Key))
		var marker kmsg.EndTxnMarker
		require.NoError(t, marker.ReadFrom(kr.Value))
		wantType := kmsg.ControlRecordKeyType(0)
		if commit {
			wantType = 1
		}
		assert.Equal(t, wantType, key.Type)
		assert.Equal(t, int32(9), marker.CoordinatorEpoch)

		// And ours parses what kmsg encodes.
		cr, err := ParseControlRecord(key.AppendTo(nil), marker.AppendTo(nil))
		require.NoError(t, err)
		assert.Equal(t, commit, cr.Type == ControlCommit)
		assert.Equal(t, int32(9), cr.CoordinatorEpoch)
	}
}
