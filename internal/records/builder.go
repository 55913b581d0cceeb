package records

import (
	"fmt"
	"slices"

	"github.com/samsa-go/samsa"
)

// Builder states.
const (
	builderIdle     uint8 = iota // zero value: no Reset yet
	builderOpen                  // accepting records
	builderFinished              // Finish succeeded; Reset before reuse
)

var zeroHeader [HeaderSize]byte

// Builder encodes one record batch v2 in place: records are appended to a
// caller-supplied buffer behind a reserved header, and Finish patches the
// header (and compresses) without copying the records anywhere else.
//
// The zero value is ready to use: the first Append starts a batch in a new
// buffer with that record's timestamp as the base timestamp. Reset starts a
// batch in a buffer of the caller's choosing. A Builder is not safe for
// concurrent use.
type Builder struct {
	buf           []byte
	baseTimestamp int64
	maxTimestamp  int64
	numRecords    int32
	state         uint8
	err           error
}

// Reset starts a new batch in buf[:0], reusing buf's capacity, and writes a
// zeroed 61-byte header that Finish fills in. baseTimestamp becomes the
// batch's first timestamp; records store their timestamps as deltas from it
// (negative deltas are allowed). The builder no longer refers to the buffer
// of the previous batch.
func (b *Builder) Reset(buf []byte, baseTimestamp int64) {
	b.buf = append(buf[:0], zeroHeader[:]...)
	b.baseTimestamp = baseTimestamp
	b.maxTimestamp = baseTimestamp
	b.numRecords = 0
	b.state = builderOpen
	b.err = nil
}

// Append encodes one record at the end of the batch. A nil key or value is
// encoded as null (length -1), an empty non-nil one as empty (length 0); a
// nil header value is null too. Append copies key, value and headers into
// the batch, so the caller may reuse them when it returns. It does not
// allocate when the buffer has RecordSize bytes of spare capacity.
//
// Append after Finish (without Reset) records nothing and makes the next
// Finish return ErrBatchFinished.
func (b *Builder) Append(timestamp int64, key, value []byte, headers []samsa.Header) {
	switch b.state {
	case builderIdle:
		b.Reset(nil, timestamp)
	case builderFinished:
		b.err = ErrBatchFinished
		return
	}
	tsDelta := timestamp - b.baseTimestamp
	bodyLen := recordBodySize(tsDelta, b.numRecords, key, value, headers)
	if need := varintLen(int64(bodyLen)) + bodyLen; cap(b.buf)-len(b.buf) < need {
		b.buf = slices.Grow(b.buf, need)
	}
	buf := appendVarint(b.buf, int64(bodyLen))
	buf = append(buf, 0) // record attributes: unused, always 0
	buf = appendVarint(buf, tsDelta)
	buf = appendVarint(buf, int64(b.numRecords))
	buf = appendBytesField(buf, key)
	buf = appendBytesField(buf, value)
	buf = appendVarint(buf, int64(len(headers)))
	for i := range headers {
		h := &headers[i]
		buf = appendVarint(buf, int64(len(h.Key)))
		buf = append(buf, h.Key...)
		buf = appendBytesField(buf, h.Value)
	}
	b.buf = buf
	if b.numRecords == 0 || timestamp > b.maxTimestamp {
		b.maxTimestamp = timestamp
	}
	b.numRecords++
}

// appendBytesField appends a varint-length-prefixed byte string, with
// length -1 for nil.
func appendBytesField(b, v []byte) []byte {
	if v == nil {
		return append(b, 1) // zigzag(-1)
	}
	b = appendVarint(b, int64(len(v)))
	return append(b, v...)
}

func bytesFieldLen(v []byte) int {
	if v == nil {
		return 1
	}
	return varintLen(int64(len(v))) + len(v)
}

// recordBodySize is the size of a record after its length varint.
func recordBodySize(tsDelta int64, offsetDelta int32, key, value []byte, headers []samsa.Header) int {
	n := 1 + varintLen(tsDelta) + varintLen(int64(offsetDelta)) +
		bytesFieldLen(key) + bytesFieldLen(value) + varintLen(int64(len(headers)))
	for i := range headers {
		h := &headers[i]
		n += varintLen(int64(len(h.Key))) + len(h.Key) + bytesFieldLen(h.Value)
	}
	return n
}

// RecordSize returns the exact number of bytes a record takes in a batch,
// its length varint included, given its timestamp delta from the batch's
// base timestamp and its offset delta (its index in the batch). It is safe
// for concurrent use.
func RecordSize(timestampDelta int64, offsetDelta int32, key, value []byte, headers []samsa.Header) int {
	n := recordBodySize(timestampDelta, offsetDelta, key, value, headers)
	return varintLen(int64(n)) + n
}

// EstimatedSize returns the number of bytes Append would add to the batch
// for this record (exact for the uncompressed batch). Callers check it
// against the batch's size limit before appending.
func (b *Builder) EstimatedSize(timestamp int64, key, value []byte, headers []samsa.Header) int {
	base := b.baseTimestamp
	if b.state == builderIdle {
		base = timestamp
	}
	return RecordSize(timestamp-base, b.numRecords, key, value, headers)
}

// Len returns the number of bytes written so far, the 61-byte header
// included and before compression; HeaderSize before the first record.
func (b *Builder) Len() int {
	if b.state == builderIdle {
		return HeaderSize
	}
	return len(b.buf)
}

// NumRecords returns the number of records appended since Reset.
func (b *Builder) NumRecords() int { return int(b.numRecords) }

// BaseTimestamp returns the batch's first timestamp, the base of the
// records' timestamp deltas.
func (b *Builder) BaseTimestamp() int64 { return b.baseTimestamp }

// MaxTimestamp returns the highest record timestamp so far (the base
// timestamp before the first record).
func (b *Builder) MaxTimestamp() int64 { return b.maxTimestamp }

// FinishOptions says how Builder.Finish completes a batch. The producer
// fields follow Kafka: ProducerID -1, ProducerEpoch -1 and BaseSequence -1
// mean "not idempotent" — mind that the zero value means producer id 0,
// epoch 0, sequence 0; NewFinishOptions starts from the non-idempotent
// values.
type FinishOptions struct {
	// Codec compresses the records section; CodecNone leaves it as is.
	Codec Codec
	// Level is the codec's compression level; 0 is the codec's default. See
	// ValidateLevel for the ranges.
	Level int
	// ProducerID, ProducerEpoch and BaseSequence are the idempotent
	// producer's state, or -1 each.
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
	// Transactional sets the transactional attribute; it requires a
	// producer id.
	Transactional bool
	// Compressor supplies pooled encoders and scratch space; nil uses a
	// package-wide one.
	Compressor *Compressor
}

// NewFinishOptions returns options for a non-idempotent batch (producer id,
// epoch and base sequence -1) compressed with codec at level.
func NewFinishOptions(codec Codec, level int) FinishOptions {
	return FinishOptions{Codec: codec, Level: level, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
}

// Finish completes the batch and returns it: the builder's buffer, from the
// header to the last record.
//
// If o.Codec is not CodecNone, Finish compresses the records section in
// place; if compression does not make it smaller, the batch stays
// uncompressed and its attributes say so, as the Java client does. It then
// fills in the header: length, magic, attributes, last offset delta, first
// and max timestamp, producer state, record count and the CRC-32C. The base
// offset is 0 and the partition leader epoch -1, as producers send them.
//
// A batch without records is refused with ErrEmptyBatch; an unknown codec,
// a bad level or a transactional batch without a producer id is refused
// with an error wrapping ErrUnknownCodec, ErrInvalidLevel or
// ErrInvalidBatch. On such an error the batch stays open. After a
// successful Finish the returned slice belongs to the caller: the builder
// must be Reset before it is used again.
func (b *Builder) Finish(o FinishOptions) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	switch {
	case b.state == builderFinished:
		return nil, ErrBatchFinished
	case b.state == builderIdle || b.numRecords == 0:
		return nil, ErrEmptyBatch
	}
	if !o.Codec.Valid() {
		return nil, fmt.Errorf("%w: id %d", ErrUnknownCodec, int(o.Codec))
	}
	if err := ValidateLevel(o.Codec, o.Level); err != nil {
		return nil, err
	}
	if o.Transactional && o.ProducerID < 0 {
		return nil, fmt.Errorf("%w: a transactional batch needs a producer id, got %d", ErrInvalidBatch, o.ProducerID)
	}
	var attrs uint16
	if o.Codec != CodecNone {
		c := o.Compressor
		if c == nil {
			c = &sharedCompressor
		}
		buf, compressed, err := c.compressRecords(b.buf, o.Codec, o.Level)
		if err != nil {
			return nil, err
		}
		b.buf = buf
		if compressed {
			attrs |= uint16(o.Codec)
		}
	}
	if o.Transactional {
		attrs |= AttrTransactional
	}
	putHeader(b.buf, &BatchHeader{
		PartitionLeaderEpoch: -1,
		Attributes:           int16(attrs),
		LastOffsetDelta:      b.numRecords - 1,
		FirstTimestamp:       b.baseTimestamp,
		MaxTimestamp:         b.maxTimestamp,
		ProducerID:           o.ProducerID,
		ProducerEpoch:        o.ProducerEpoch,
		BaseSequence:         o.BaseSequence,
		NumRecords:           b.numRecords,
	})
	b.state = builderFinished
	return b.buf, nil
}
