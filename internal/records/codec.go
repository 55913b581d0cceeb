package records

import (
	"fmt"
	"strconv"
	"strings"
)

// Codec is a compression codec, as stored in bits 0-2 of a record batch's
// attributes.
type Codec int8

// The codecs Kafka defines.
const (
	CodecNone   Codec = 0
	CodecGzip   Codec = 1
	CodecSnappy Codec = 2
	CodecLZ4    Codec = 3
	CodecZstd   Codec = 4
)

// String returns the codec's name as Kafka's compression.type spells it
// ("none", "gzip", "snappy", "lz4", "zstd"), or "codec(N)" for an unknown id.
func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c is one of the codecs Kafka defines.
func (c Codec) Valid() bool { return c >= CodecNone && c <= CodecZstd }

// ParseCodec returns the codec named s, case-insensitively: "none", "gzip",
// "snappy", "lz4" or "zstd" (the values of Java's compression.type). Other
// names return an error wrapping ErrUnknownCodec.
func ParseCodec(s string) (Codec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none":
		return CodecNone, nil
	case "gzip":
		return CodecGzip, nil
	case "snappy":
		return CodecSnappy, nil
	case "lz4":
		return CodecLZ4, nil
	case "zstd":
		return CodecZstd, nil
	}
	return CodecNone, fmt.Errorf("%w %q: want none, gzip, snappy, lz4 or zstd", ErrUnknownCodec, s)
}

// Compression level ranges. Level 0 always means the codec's default.
const (
	// GzipMinLevel and GzipMaxLevel bound gzip levels: -2 is Huffman-only,
	// -1 and 0 the default (6), 1 fastest to 9 best (Java's
	// compression.gzip.level, default -1).
	GzipMinLevel = -2
	GzipMaxLevel = 9
	// LZ4MaxLevel bounds lz4 levels: 0 is the fast compressor (what the Java
	// client uses at its default compression.lz4.level 9); 1..17 select the
	// high-compression compressor, whose search depth stops growing at 9.
	LZ4MaxLevel = 17
	// ZstdMinLevel and ZstdMaxLevel bound zstd levels as Java's
	// compression.zstd.level does: 0 is the default (3); negative levels
	// select the fastest encoder; 1..22 map onto four encoder speeds.
	ZstdMinLevel = -131072
	ZstdMaxLevel = 22
)

// ValidateLevel reports whether level is usable with codec; the error wraps
// ErrInvalidLevel (or ErrUnknownCodec). Snappy and none take no level and
// accept any value. A producer checks its options with this at construction,
// so that Finish cannot fail on the level later.
func ValidateLevel(codec Codec, level int) error {
	var lo, hi int
	switch codec {
	case CodecNone, CodecSnappy:
		return nil
	case CodecGzip:
		lo, hi = GzipMinLevel, GzipMaxLevel
	case CodecLZ4:
		lo, hi = 0, LZ4MaxLevel
	case CodecZstd:
		lo, hi = ZstdMinLevel, ZstdMaxLevel
	default:
		return fmt.Errorf("%w: id %d", ErrUnknownCodec, int(codec))
	}
	if level < lo || level > hi {
		return fmt.Errorf("%w: %s level %d, want %d..%d", ErrInvalidLevel, codec, level, lo, hi)
	}
	return nil
}
