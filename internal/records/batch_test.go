package records

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCRC32CKnownVector(t *testing.T) {
	// The check value of CRC-32C (Castagnoli) from the CRC catalogue.
	assert.Equal(t, uint32(0xE3069283), crc32c([]byte("123456789")))
}

// goldenBatch is a two-record batch written out by hand from the protocol
// guide; only the CRC is computed (with the standard library, over
// attributes..end).
func goldenBatch() []byte {
	b := []byte{
		0, 0, 0, 0, 0, 0, 0, 0, // base offset 0
		0, 0, 0, 69, // length: 49 header bytes after this field + 20 record bytes
		0xff, 0xff, 0xff, 0xff, // partition leader epoch -1
		2,          // magic
		0, 0, 0, 0, // CRC, patched below
		0, 0, // attributes: no compression, CreateTime
		0, 0, 0, 1, // last offset delta
		0, 0, 0, 0, 0, 0, 0x03, 0xe8, // first timestamp 1000
		0, 0, 0, 0, 0, 0, 0x03, 0xe8, // max timestamp 1000
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producer id -1
		0xff, 0xff, // producer epoch -1
		0xff, 0xff, 0xff, 0xff, // base sequence -1
		0, 0, 0, 2, // 2 records
		// record 0: length 12, attributes 0, ts delta 0, offset delta 0,
		// key "k", value "v", 1 header "h"="x"
		0x18, 0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x02, 0x02, 'h', 0x02, 'x',
		// record 1: length 6, attributes 0, ts delta -2, offset delta 1,
		// null key, empty value, no headers
		0x0c, 0x00, 0x03, 0x02, 0x01, 0x00, 0x00,
	}
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func TestGoldenBatch(t *testing.T) {
	recs := []testRecord{
		{ts: 1000, key: []byte("k"), value: []byte("v"), headers: []samsa.Header{{Key: "h", Value: []byte("x")}}},
		{ts: 998, key: nil, value: []byte{}},
	}
	t.Run("encode", func(t *testing.T) {
		got := build(t, 1000, recs, NewFinishOptions(CodecNone, 0))
		assert.Equal(t, goldenBatch(), got)
	})
	t.Run("decode", func(t *testing.T) {
		hdr, got := decode(t, goldenBatch())
		assert.Equal(t, BatchHeader{
			BaseOffset: 0, Length: 69, PartitionLeaderEpoch: -1, Magic: 2,
			CRC: binary.BigEndian.Uint32(goldenBatch()[17:]), Attributes: 0, LastOffsetDelta: 1,
			FirstTimestamp: 1000, MaxTimestamp: 1000, ProducerID: -1, ProducerEpoch: -1,
			BaseSequence: -1, NumRecords: 2,
		}, hdr)
		assertRecords(t, hdr, recs, got)
	})
}

func TestReadBatchFraming(t *testing.T) {
	good := goldenBatch()
	withLength := func(n uint32) []byte {
		b := goldenBatch()
		binary.BigEndian.PutUint32(b[8:], n)
		return b
	}
	withMagic := func(m byte) []byte {
		b := goldenBatch()
		b[16] = m
		return b
	}
	tests := []struct {
		name    string
		in      []byte
		partial bool
		corrupt string // substring of the error, "" for success
	}{
		{name: "empty", in: nil, partial: true},
		{name: "11 bytes", in: good[:11], partial: true},
		{name: "length only", in: good[:12], partial: true},
		{name: "header only", in: good[:61], partial: true},
		{name: "one byte short", in: good[:len(good)-1], partial: true},
		{name: "huge length", in: withLength(0x7fffffff), partial: true},
		{name: "length below header", in: withLength(48), corrupt: "less than the 49-byte header"},
		{name: "negative length", in: withLength(0xffffffff), corrupt: "less than the 49-byte header"},
		{name: "magic 1", in: withMagic(1), corrupt: "magic 1"},
		{name: "magic 0 in a partial batch", in: withMagic(0)[:20], corrupt: "magic 0"},
		{name: "complete", in: good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, batch, rest, err := ReadBatch(tt.in)
			switch {
			case tt.partial:
				require.ErrorIs(t, err, ErrPartial)
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
				assert.NotErrorIs(t, err, samsa.ErrCorruptBatch)
				assert.Nil(t, batch)
				assert.Equal(t, len(tt.in), len(rest))
			case tt.corrupt != "":
				require.ErrorIs(t, err, samsa.ErrCorruptBatch)
				var ce *CorruptError
				require.ErrorAs(t, err, &ce)
				assert.Contains(t, ce.Error(), tt.corrupt)
				assert.Nil(t, batch)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.in, batch)
				assert.Empty(t, rest)
				assert.Equal(t, int32(2), hdr.NumRecords)
			}
		})
	}
}

func TestReadBatchCRCDetectsEveryCoveredByte(t *testing.T) {
	good := goldenBatch()
	for i := offAttributes; i < len(good); i++ {
		b := goldenBatch()
		b[i] ^= 0x40
		_, _, _, err := ReadBatch(b)
		require.ErrorIs(t, err, samsa.ErrCorruptBatch, "flipping byte %d", i)
		assert.Contains(t, err.Error(), "CRC mismatch")
	}
	// The CRC field itself.
	b := goldenBatch()
	b[offCRC] ^= 1
	_, _, _, err := ReadBatch(b)
	assert.ErrorIs(t, err, samsa.ErrCorruptBatch)
	// Base offset and leader epoch are outside the CRC: brokers rewrite them.
	b = goldenBatch()
	SetBaseOffset(b, 1234)
	SetPartitionLeaderEpoch(b, 7)
	hdr, _, _, err := ReadBatch(b)
	require.NoError(t, err)
	assert.Equal(t, int64(1234), hdr.BaseOffset)
	assert.Equal(t, int32(7), hdr.PartitionLeaderEpoch)
}

func TestReadBatchNegativeRecordCount(t *testing.T) {
	b := goldenBatch()
	binary.BigEndian.PutUint32(b[offNumRecords:], 0xffffffff)
	finishCRC(b)
	_, _, _, err := ReadBatch(b)
	require.ErrorIs(t, err, samsa.ErrCorruptBatch)
	assert.Contains(t, err.Error(), "negative record count")
}

func TestReadBatchMultipleAndPartialTrailing(t *testing.T) {
	var buf []byte
	var want [][]testRecord
	for i := range 3 {
		recs := []testRecord{{ts: int64(i), value: []byte{byte(i)}}, {ts: int64(i), key: []byte("k")}}
		batch := build(t, int64(i), recs, NewFinishOptions(allCodecs[i], 0))
		SetBaseOffset(batch, int64(10*i))
		buf = append(buf, batch...)
		want = append(want, recs)
	}
	full := len(buf)
	buf = append(buf, goldenBatch()[:30]...) // a fetch response cut mid-batch

	var d Decoder
	rest := buf
	for i := 0; ; i++ {
		hdr, batch, r, err := ReadBatch(rest)
		if errors.Is(err, ErrPartial) {
			assert.Equal(t, 3, i, "batches read before the partial one")
			assert.Len(t, r, len(buf)-full)
			break
		}
		require.NoError(t, err)
		assert.Equal(t, int64(10*i), hdr.BaseOffset)
		recs, err := d.Records(hdr, batch, nil)
		require.NoError(t, err)
		assertRecords(t, hdr, want[i], recs)
		rest = r
	}
}

func TestReadBatchDoesNotAllocate(t *testing.T) {
	b := goldenBatch()
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _, err := ReadBatch(b)
		if err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestSetters(t *testing.T) {
	recs := []testRecord{{ts: 5, value: []byte("a")}, {ts: 9, value: []byte("b")}}
	t.Run("producer state", func(t *testing.T) {
		batch := build(t, 5, recs, NewFinishOptions(CodecNone, 0))
		SetProducerState(batch, 77, 3, 1000)
		hdr, got := decode(t, batch)
		assert.Equal(t, int64(77), hdr.ProducerID)
		assert.Equal(t, int16(3), hdr.ProducerEpoch)
		assert.Equal(t, int32(1000), hdr.BaseSequence)
		assertRecords(t, hdr, recs, got)
	})
	t.Run("log append time", func(t *testing.T) {
		batch := build(t, 5, recs, NewFinishOptions(CodecLZ4, 0))
		SetLogAppendTime(batch, 424242)
		hdr, got := decode(t, batch)
		assert.True(t, hdr.LogAppendTime())
		assert.Equal(t, int64(424242), hdr.MaxTimestamp)
		assert.Equal(t, int64(5), hdr.FirstTimestamp)
		for _, r := range got {
			assert.Equal(t, int64(424242), r.Timestamp)
		}
	})
	t.Run("base offset and leader epoch", func(t *testing.T) {
		batch := build(t, 5, recs, NewFinishOptions(CodecNone, 0))
		SetBaseOffset(batch, 1<<40)
		SetPartitionLeaderEpoch(batch, 12)
		hdr, got := decode(t, batch)
		assert.Equal(t, int64(1<<40), hdr.BaseOffset)
		assert.Equal(t, int64(1<<40+1), hdr.LastOffset())
		assert.Equal(t, int64(1<<40+2), hdr.NextOffset())
		assert.Equal(t, int32(12), hdr.PartitionLeaderEpoch)
		assert.Equal(t, int64(1<<40+1), got[1].Offset)
	})
	t.Run("short slices are left alone", func(t *testing.T) {
		short := make([]byte, HeaderSize-1)
		SetProducerState(short, 1, 1, 1)
		SetBaseOffset(short, 1)
		SetPartitionLeaderEpoch(short, 1)
		SetLogAppendTime(short, 1)
		assert.Equal(t, make([]byte, HeaderSize-1), short)
	})
}

func TestAttributeBits(t *testing.T) {
	tests := []struct {
		attrs                                      int16
		codec                                      Codec
		logAppend, txn, control, deleteHorizonFlag bool
	}{
		{attrs: 0x00, codec: CodecNone},
		{attrs: 0x01, codec: CodecGzip},
		{attrs: 0x02, codec: CodecSnappy},
		{attrs: 0x03, codec: CodecLZ4},
		{attrs: 0x04, codec: CodecZstd},
		{attrs: 0x07, codec: Codec(7)},
		{attrs: 0x08, logAppend: true},
		{attrs: 0x10, txn: true},
		{attrs: 0x20, control: true},
		{attrs: 0x40, deleteHorizonFlag: true},
		{attrs: 0x7c, codec: CodecZstd, logAppend: true, txn: true, control: true, deleteHorizonFlag: true},
	}
	for _, tt := range tests {
		t.Run(Codec(tt.attrs&7).String(), func(t *testing.T) {
			h := BatchHeader{Attributes: tt.attrs}
			assert.Equal(t, tt.codec, h.Codec())
			assert.Equal(t, tt.logAppend, h.LogAppendTime())
			assert.Equal(t, tt.txn, h.IsTransactional())
			assert.Equal(t, tt.control, h.IsControl())
			assert.Equal(t, tt.deleteHorizonFlag, h.HasDeleteHorizon())
		})
	}
}
