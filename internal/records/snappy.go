package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/klauspost/compress/s2"
)

// Snappy in Kafka comes in two shapes. The Java client writes the framing
// of xerial's SnappyOutputStream: a 16-byte header (the magic
// "\x82SNAPPY\x00", then version 1 and minimum compatible version 1 as
// big-endian int32s), then chunks of at most 32 KiB of input, each a
// big-endian int32 length followed by one raw snappy block. librdkafka
// writes one raw snappy block. Decoding tells them apart by the magic.
const (
	xerialHeaderLen = 16
	xerialBlockSize = 32 << 10
)

var (
	xerialMagic  = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}
	xerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}
)

// appendXerialSnappy appends src in the Java client's xerial framing.
func appendXerialSnappy(dst, src []byte) []byte {
	dst = append(dst, xerialHeader...)
	for len(src) > 0 {
		chunk := src[:min(len(src), xerialBlockSize)]
		src = src[len(chunk):]
		bound := s2.MaxEncodedLen(len(chunk))
		dst = slices.Grow(dst, 4+bound)
		pos := len(dst)
		// Encode behind the length field, then write the length in front.
		enc := s2.EncodeSnappy(dst[pos+4:pos+4+bound], chunk)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(enc)))
		dst = dst[:pos+4+len(enc)]
	}
	return dst
}

func decompressSnappy(dst, src []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		return appendSnappyBlock(dst, src, limit)
	}
	start := len(dst)
	dst = slices.Grow(dst, min(xerialDecodedLen(src), limit))
	for len(src) > 0 {
		// A header may also follow a chunk: streams concatenated as bytes.
		if bytes.HasPrefix(src, xerialMagic) {
			if len(src) < xerialHeaderLen {
				return dst, errTruncated
			}
			src = src[xerialHeaderLen:]
			continue
		}
		if len(src) < 4 {
			return dst, errTruncated
		}
		size := binary.BigEndian.Uint32(src)
		if uint64(size) > uint64(len(src)-4) {
			return dst, errTruncated
		}
		var err error
		if dst, err = appendSnappyBlock(dst, src[4:4+size], limit-(len(dst)-start)); err != nil {
			return dst, err
		}
		src = src[4+size:]
	}
	return dst, nil
}

// appendSnappyBlock decodes one raw snappy block, which states its
// decoded size up front, so the limit is checked before anything is
// allocated.
func appendSnappyBlock(dst, block []byte, room int) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return dst, fmt.Errorf("snappy block: %w", err)
	}
	if n > room {
		return dst, ErrDecompressLimit
	}
	dst = slices.Grow(dst, n)
	out, err := s2.Decode(dst[len(dst):len(dst)+n], block)
	if err != nil {
		return dst, fmt.Errorf("snappy block: %w", err)
	}
	if len(out) != n {
		return dst, errors.New("snappy block: decoded length differs from its header")
	}
	return dst[:len(dst)+n], nil
}

// xerialDecodedLen sums the decoded sizes the chunks of a xerial stream
// announce, so that the output can be allocated once. It stops quietly at
// anything malformed; decoding reports that.
func xerialDecodedLen(src []byte) int {
	total := 0
	for len(src) > 0 {
		if bytes.HasPrefix(src, xerialMagic) {
			if len(src) < xerialHeaderLen {
				break
			}
			src = src[xerialHeaderLen:]
			continue
		}
		if len(src) < 4 {
			break
		}
		size := binary.BigEndian.Uint32(src)
		if uint64(size) > uint64(len(src)-4) {
			break
		}
		n, err := s2.DecodedLen(src[4 : 4+size])
		if err != nil {
			break
		}
		total += n
		if total < 0 || total > DefaultMaxDecompressedSize<<4 {
			break // the caller caps it at its limit anyway
		}
		src = src[4+size:]
	}
	return max(total, 0)
}
