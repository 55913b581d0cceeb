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
