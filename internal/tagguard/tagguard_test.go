package tagguard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDangerousVarints(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		want []int
	}{
		{"empty", nil, nil},
		{"one- and two-byte counts are never dangerous", []byte{0x7f, 0xff, 0x7f}, nil},
		{"a three-byte count beyond the bytes left", []byte{0x00, 0xff, 0xff, 0x03}, []int{1}},
		{"a three-byte count the bytes left can hold", append([]byte{0x80, 0x80, 0x01}, make([]byte, 16384)...), nil},
		{"2^32-1", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, []int{0, 1, 2}},
		{"beyond 32 bits: kmsg refuses it at once", []byte{0xff, 0xff, 0xff, 0xff, 0x7f}, []int{1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, DangerousVarints(tt.b))
		})
	}
}

func TestDefuseLeavesNothingDangerous(t *testing.T) {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 0x80, 0x80, 0x80, 0x01}
	for _, patch := range []byte{0, 1} {
		out := defuse(b, patch)
		assert.Empty(t, DangerousVarints(out))
		assert.Len(t, out, len(b))
	}
	assert.Equal(t, byte(0xff), b[0], "the input is not changed")
}
