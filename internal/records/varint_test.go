package records

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVarintRoundTrip(t *testing.T) {
	values := []int64{0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, math.MaxInt32, math.MinInt32,
		math.MaxInt32 + 1, math.MaxInt64, math.MinInt64, 1 << 40, -(1 << 40)}
	for _, v := range values {
		b := appendVarint(nil, v)
		assert.Equal(t, len(b), varintLen(v), "varintLen(%d)", v)
		// The standard library's zigzag varint is the same encoding.
		assert.Equal(t, binary.AppendVarint(nil, v), b, "encoding of %d", v)
		got, n := readVarint(append(b, 0xAA))
		assert.Equal(t, len(b), n, "bytes read for %d", v)
		assert.Equal(t, v, got)
	}
}

func TestVarintFastAgreesWithSlowPath(t *testing.T) {
	for hi := range 256 {
		for lo := range 256 {
			for _, in := range [][]byte{{byte(lo)}, {byte(lo), byte(hi)}, {byte(lo), byte(hi), 0x01}} {
				v, n := varintFast(in)
				if n == 0 {
					continue // not its case
				}
				wv, wn := readVarintSlow(in)
				if v != wv || n != wn {
					t.Fatalf("% x: fast path %d/%d, slow path %d/%d", in, v, n, wv, wn)
				}
			}
		}
	}
	// It declines what it does not handle.
	for _, in := range [][]byte{nil, {0x80}, {0x80, 0x80, 0x01}} {
		_, n := varintFast(in)
		assert.Zero(t, n, "% x", in)
	}
}

func TestReadVarintMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		n    int // 0: truncated, <0: malformed
	}{
		{name: "empty", in: nil, n: 0},
		{name: "continuation only", in: []byte{0x80, 0x80}, n: 0},
		{name: "11 bytes", in: []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, n: -11},
		{name: "overflows 64 bits", in: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, n: -10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n := readVarint(tt.in)
			assert.Equal(t, tt.n, n)
		})
	}
	// 32-bit fields refuse values outside int32.
	_, n := readVarint32(appendVarint(nil, math.MaxInt32+1))
	assert.Negative(t, n)
	v, n := readVarint32(appendVarint(nil, math.MinInt32))
	assert.Equal(t, 5, n)
	assert.Equal(t, int32(math.MinInt32), v)
}

// readVarint and readVarint32 combine the fast and slow paths as the
// decoder does.
func readVarint(b []byte) (v int64, n int) {
	if v, n = varintFast(b); n == 0 {
		v, n = readVarintSlow(b)
	}
	return v, n
}

func readVarint32(b []byte) (v int32, n int) {
	w, n := varintFast(b) // two bytes always fit in an int32
	if n == 0 {
		w, n = readVarint32Slow(b)
	}
	return int32(w), n
}
