package records

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/samsa-go/samsa"
)

var (
	// ErrPartial is returned by ReadBatch when b ends before the batch at
	// its front does. Fetch responses may end with such a truncated batch
	// (the broker cuts the response at the fetch size); callers drop it and
	// fetch again from its offset. It wraps io.ErrUnexpectedEOF.
	ErrPartial = fmt.Errorf("samsa: truncated record batch: %w", io.ErrUnexpectedEOF)

	// ErrDecompressLimit is the cause inside a *DecompressError when the
	// decompressed data would exceed the configured limit (a decompression
	// bomb, or a batch larger than the consumer allows). It wraps
	// samsa.ErrCorruptBatch.
	ErrDecompressLimit = fmt.Errorf("%w: decompressed size exceeds the limit", samsa.ErrCorruptBatch)

	// ErrUnknownCodec is returned for a compression codec id or name that
	// Kafka does not define.
	ErrUnknownCodec = errors.New("samsa: unknown compression codec")

	// ErrInvalidLevel is returned for a compression level the codec does not
	// support.
	ErrInvalidLevel = errors.New("samsa: invalid compression level")

	// ErrEmptyBatch is returned by Builder.Finish for a batch without
	// records: a producer never sends one, and Kafka's own builder produces
	// no batch at all in that case.
	ErrEmptyBatch = errors.New("samsa: a record batch needs at least one record")

	// ErrBatchFinished is returned by Builder.Finish when Finish was already
	// called, or Append was called after Finish, without a Reset in between.
	ErrBatchFinished = errors.New("samsa: batch already finished; Reset the builder first")

	// ErrInvalidBatch is wrapped by every error of Decoder.ValidateProduce
	// that concerns the produce rules rather than the batch's integrity (a
	// broker answers INVALID_RECORD for these, CORRUPT_MESSAGE for
	// samsa.ErrCorruptBatch).
	ErrInvalidBatch = errors.New("samsa: record batch breaks the produce rules")
)

// CorruptError reports a record batch that fails its framing, CRC or record
// checks. It matches samsa.ErrCorruptBatch with errors.Is, and its cause, if
// any (for example a *DecompressError), through Unwrap.
type CorruptError struct {
	// BaseOffset is the base offset of the batch, or -1 when the header
	// could not be read.
	BaseOffset int64
	// Reason says what failed, e.g. "CRC mismatch".
	Reason string
	// Err is the underlying cause, or nil.
	Err error
}

func (e *CorruptError) Error() string {
	s := "samsa: corrupt record batch"
	if e.BaseOffset >= 0 {
		s += " at offset " + strconv.FormatInt(e.BaseOffset, 10)
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns samsa.ErrCorruptBatch and the cause, if any.
func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{samsa.ErrCorruptBatch}
	}
	return []error{samsa.ErrCorruptBatch, e.Err}
}

func corrupt(baseOffset int64, format string, args ...any) *CorruptError {
	return &CorruptError{BaseOffset: baseOffset, Reason: fmt.Sprintf(format, args...)}
}

// DecompressError reports data that a codec could not decompress, or that
// would decompress to more than the limit. It matches samsa.ErrCorruptBatch
// with errors.Is; Err is ErrDecompressLimit for the size limit, otherwise
// the codec's own error.
type DecompressError struct {
	Codec Codec
	// Limit is the decompressed-size limit that was in force, in bytes.
	Limit int
	Err   error
}

func (e *DecompressError) Error() string {
	if errors.Is(e.Err, ErrDecompressLimit) {
		return "samsa: corrupt record batch: " + e.Codec.String() + " data decompresses to more than " + strconv.Itoa(e.Limit) + " bytes"
	}
	return "samsa: corrupt record batch: cannot decompress " + e.Codec.String() + " data: " + e.Err.Error()
}

// Unwrap returns samsa.ErrCorruptBatch and the cause.
func (e *DecompressError) Unwrap() []error {
	return []error{samsa.ErrCorruptBatch, e.Err}
}
