package records

import "math/bits"

// Kafka's record fields use zigzag-encoded variable-length integers (the
// protobuf encoding): 7 bits per byte, least significant group first, high
// bit set on every byte but the last.

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// varintLen returns the number of bytes appendVarint writes for v.
func varintLen(v int64) int {
	return (bits.Len64(zigzag(v)|1) + 6) / 7
}

func appendVarint(b []byte, v int64) []byte {
	u := zigzag(v)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// varintFast decodes a varint of one or two bytes, which covers the
// lengths and deltas of typical records; it is small enough to be inlined.
// n == 0 means "not that case": call readVarintSlow.
func varintFast(b []byte) (v int64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	var u uint64
	if c0 := b[0]; c0 < 0x80 {
		u, n = uint64(c0), 1
	} else if len(b) >= 2 && b[1] < 0x80 {
		u, n = uint64(c0&0x7f)|uint64(b[1])<<7, 2
	} else {
		return 0, 0
	}
	return int64(u>>1) ^ -int64(u&1), n
}

// readVarintSlow decodes any zigzag varint from the front of b. It returns
// the value and the number of bytes read; n is 0 if b ends inside the
// varint and negative if the varint is longer than 10 bytes or overflows 64
// bits.
//
//go:noinline
func readVarintSlow(b []byte) (v int64, n int) {
	var u uint64
	var shift uint
	for i, c := range b {
		if i == 10 {
			return 0, -(i + 1)
		}
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, -(i + 1)
			}
			u |= uint64(c) << shift
			return int64(u>>1) ^ -int64(u&1), i + 1
		}
		u |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// readVarint32Slow is readVarintSlow for the fields Kafka defines as 32-bit
// varints (all but the timestamp delta): a value outside the int32 range is
// malformed (n < 0). The value is returned widened.
func readVarint32Slow(b []byte) (v int64, n int) {
	v, n = readVarintSlow(b)
	if n > 0 && int64(int32(v)) != v {
		return 0, -n
	}
	return v, n
}
