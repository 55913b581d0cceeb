package records

import (
	"encoding/binary"
	"hash/crc32"
)

// Record batch v2 header layout (KIP-98). Every field is big-endian.
const (
	offBaseOffset      = 0  // int64
	offLength          = 8  // int32: bytes after this field
	offLeaderEpoch     = 12 // int32
	offMagic           = 16 // int8
	offCRC             = 17 // uint32: CRC-32C of bytes [21, end)
	offAttributes      = 21 // int16
	offLastOffsetDelta = 23 // int32
	offFirstTimestamp  = 27 // int64
	offMaxTimestamp    = 35 // int64
	offProducerID      = 43 // int64
	offProducerEpoch   = 51 // int16
	offBaseSequence    = 53 // int32
	offNumRecords      = 57 // int32

	// HeaderSize is the size of a record batch header; records follow it.
	HeaderSize = 61
	// lengthFieldEnd is where the span counted by the length field starts.
	lengthFieldEnd = offLength + 4
	// minLength is the smallest valid value of the length field.
	minLength = HeaderSize - lengthFieldEnd

	// Magic is the magic byte of record batch v2, the only format this
	// package reads and writes.
	Magic = 2
)

// Attribute bits of a record batch.
const (
	AttrCodecMask     = 0x07
	AttrLogAppendTime = 0x08
	AttrTransactional = 0x10
	AttrControl       = 0x20
	// AttrDeleteHorizon marks a batch whose first timestamp holds the
	// delete horizon set by the log cleaner (KIP-534).
	AttrDeleteHorizon = 0x40
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c returns the CRC-32C (Castagnoli) of b, hardware accelerated where
// the CPU allows.
func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// BatchHeader is the decoded 61-byte header of a record batch v2.
type BatchHeader struct {
	BaseOffset           int64
	Length               int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Codec returns the compression codec of the records section. It may be an
// invalid id (5-7) for a corrupt batch; Decoder.Records rejects those.
func (h *BatchHeader) Codec() Codec { return Codec(h.Attributes & AttrCodecMask) }

// LogAppendTime reports whether the broker set the timestamps (timestamp
// type LogAppendTime); every record's timestamp is then MaxTimestamp.
func (h *BatchHeader) LogAppendTime() bool { return h.Attributes&AttrLogAppendTime != 0 }

// IsTransactional reports whether the batch belongs to a transaction.
func (h *BatchHeader) IsTransactional() bool { return h.Attributes&AttrTransactional != 0 }

// IsControl reports whether the batch holds control records (transaction
// markers) rather than user records.
func (h *BatchHeader) IsControl() bool { return h.Attributes&AttrControl != 0 }

// HasDeleteHorizon reports whether FirstTimestamp holds the log cleaner's
// delete horizon (KIP-534).
func (h *BatchHeader) HasDeleteHorizon() bool { return h.Attributes&AttrDeleteHorizon != 0 }

// LastOffset returns the offset of the last record the batch was written
// with. Compaction may have removed records, so it can be higher than the
// offset of the last record actually present.
func (h *BatchHeader) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset returns the offset following the batch, where a consumer
// resumes.
func (h *BatchHeader) NextOffset() int64 { return h.LastOffset() + 1 }

// ReadBatch parses the record batch at the front of b. It returns its
// header, the whole batch (header included, aliasing b) and the bytes that
// follow it.
//
// It checks the framing (length and magic) and the CRC-32C, and returns a
// *CorruptError, which matches samsa.ErrCorruptBatch, when they fail. If b
// ends before the batch does, it returns ErrPartial (wrapping
// io.ErrUnexpectedEOF): fetch responses may end with such a batch, and
// callers drop it. The records themselves are not examined; Decoder does
// that. ReadBatch never allocates on success and is safe for concurrent use.
func ReadBatch(b []byte) (hdr BatchHeader, batch []byte, rest []byte, err error) {
	if len(b) < lengthFieldEnd {
		return hdr, nil, b, ErrPartial
	}
	hdr.BaseOffset = int64(binary.BigEndian.Uint64(b[offBaseOffset:]))
	hdr.Length = int32(binary.BigEndian.Uint32(b[offLength:]))
	if len(b) > offMagic && b[offMagic] != Magic {
		// Magic 0 and 1 are the legacy message sets of Kafka < 0.11.
		return hdr, nil, b, corrupt(hdr.BaseOffset, "magic %d, only record batch v2 (magic 2) is supported", int8(b[offMagic]))
	}
	if hdr.Length < minLength {
		return hdr, nil, b, corrupt(hdr.BaseOffset, "batch length %d is less than the %d-byte header", hdr.Length, minLength)
	}
	// int64 so that a huge length cannot overflow int on 32-bit platforms.
	if int64(len(b)) < lengthFieldEnd+int64(hdr.Length) {
		return hdr, nil, b, ErrPartial
	}
	end := lengthFieldEnd + int(hdr.Length)
	batch, rest = b[:end:end], b[end:]
	hdr.PartitionLeaderEpoch = int32(binary.BigEndian.Uint32(batch[offLeaderEpoch:]))
	hdr.Magic = int8(batch[offMagic])
	hdr.CRC = binary.BigEndian.Uint32(batch[offCRC:])
	hdr.Attributes = int16(binary.BigEndian.Uint16(batch[offAttributes:]))
	hdr.LastOffsetDelta = int32(binary.BigEndian.Uint32(batch[offLastOffsetDelta:]))
	hdr.FirstTimestamp = int64(binary.BigEndian.Uint64(batch[offFirstTimestamp:]))
	hdr.MaxTimestamp = int64(binary.BigEndian.Uint64(batch[offMaxTimestamp:]))
	hdr.ProducerID = int64(binary.BigEndian.Uint64(batch[offProducerID:]))
	hdr.ProducerEpoch = int16(binary.BigEndian.Uint16(batch[offProducerEpoch:]))
	hdr.BaseSequence = int32(binary.BigEndian.Uint32(batch[offBaseSequence:]))
	hdr.NumRecords = int32(binary.BigEndian.Uint32(batch[offNumRecords:]))
	if got := crc32c(batch[offAttributes:]); got != hdr.CRC {
		return hdr, nil, b, corrupt(hdr.BaseOffset, "CRC mismatch: header says %#08x, contents hash to %#08x", hdr.CRC, got)
	}
	if hdr.NumRecords < 0 {
		return hdr, nil, b, corrupt(hdr.BaseOffset, "negative record count %d", hdr.NumRecords)
	}
	return hdr, batch, rest, nil
}

// putHeader writes h into the first HeaderSize bytes of a complete batch,
// with the length taken from len(batch), magic 2 and a freshly computed CRC
// (h's Length, Magic and CRC are ignored).
func putHeader(batch []byte, h *BatchHeader) {
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(h.BaseOffset))
	binary.BigEndian.PutUint32(batch[offLength:], uint32(len(batch)-lengthFieldEnd))
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(h.PartitionLeaderEpoch))
	batch[offMagic] = Magic
	binary.BigEndian.PutUint16(batch[offAttributes:], uint16(h.Attributes))
	binary.BigEndian.PutUint32(batch[offLastOffsetDelta:], uint32(h.LastOffsetDelta))
	binary.BigEndian.PutUint64(batch[offFirstTimestamp:], uint64(h.FirstTimestamp))
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(h.MaxTimestamp))
	binary.BigEndian.PutUint64(batch[offProducerID:], uint64(h.ProducerID))
	binary.BigEndian.PutUint16(batch[offProducerEpoch:], uint16(h.ProducerEpoch))
	binary.BigEndian.PutUint32(batch[offBaseSequence:], uint32(h.BaseSequence))
	binary.BigEndian.PutUint32(batch[offNumRecords:], uint32(h.NumRecords))
	finishCRC(batch)
}

// finishCRC recomputes and stores the CRC of a complete batch.
func finishCRC(batch []byte) {
	binary.BigEndian.PutUint32(batch[offCRC:], crc32c(batch[offAttributes:]))
}

// SetProducerState sets the producer id, epoch and base sequence of a
// finished batch and recomputes its CRC. An idempotent producer calls it
// when it assigns sequence numbers at drain time; -1/-1/-1 means "not
// idempotent". batch must be a complete batch (from Builder.Finish or
// ReadBatch); a slice shorter than the header is left untouched. Not safe
// for concurrent use with anything reading batch.
func SetProducerState(batch []byte, producerID int64, epoch int16, baseSequence int32) {
	if len(batch) < HeaderSize {
		return
	}
	binary.BigEndian.PutUint64(batch[offProducerID:], uint64(producerID))
	binary.BigEndian.PutUint16(batch[offProducerEpoch:], uint16(epoch))
	binary.BigEndian.PutUint32(batch[offBaseSequence:], uint32(baseSequence))
	finishCRC(batch)
}

// SetBaseOffset sets the base offset of a batch, as a broker does when it
// appends the batch to a log. The base offset is not covered by the CRC. A
// slice shorter than the header is left untouched.
func SetBaseOffset(batch []byte, offset int64) {
	if len(batch) < HeaderSize {
		return
	}
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(offset))
}

// SetPartitionLeaderEpoch sets the partition leader epoch of a batch, as the
// partition leader does on append. It is not covered by the CRC. A slice
// shorter than the header is left untouched.
func SetPartitionLeaderEpoch(batch []byte, epoch int32) {
	if len(batch) < HeaderSize {
		return
	}
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime marks a batch's timestamps as set by the broker
// (timestamp type LogAppendTime) at ts, as a broker does for topics with
// message.timestamp.type=LogAppendTime: it sets the timestamp-type bit and
// the max timestamp and recomputes the CRC. Readers then report ts as every
// record's timestamp. A slice shorter than the header is left untouched.
func SetLogAppendTime(batch []byte, ts int64) {
	if len(batch) < HeaderSize {
		return
	}
	attrs := binary.BigEndian.Uint16(batch[offAttributes:])
	binary.BigEndian.PutUint16(batch[offAttributes:], attrs|AttrLogAppendTime)
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	finishCRC(batch)
}
