package serde

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBytes(t *testing.T) {
	s := Bytes()

	t.Run("no copy either way", func(t *testing.T) {
		in := []byte("payload")
		out, err := s.Serialize("t", nil, in)
		require.NoError(t, err)
		assert.Same(t, &in[0], &out[0])

		back, err := s.Deserialize("t", nil, in)
		require.NoError(t, err)
		assert.Same(t, &in[0], &back[0])
	})

	t.Run("nil is null, empty is empty", func(t *testing.T) {
		out, err := s.Serialize("t", nil, nil)
		require.NoError(t, err)
		assert.Nil(t, out)

		out, err = s.Serialize("t", nil, []byte{})
		require.NoError(t, err)
		assert.NotNil(t, out)
		assert.Empty(t, out)

		back, err := s.Deserialize("t", nil, nil)
		require.NoError(t, err)
		assert.Nil(t, back)

		back, err = s.Deserialize("t", nil, []byte{})
		require.NoError(t, err)
		assert.NotNil(t, back)
	})

	t.Run("append", func(t *testing.T) {
		as := s.(AppendSerializer[[]byte])
		out, null, err := as.AppendSerialize([]byte("a"), "t", nil, []byte("bc"))
		require.NoError(t, err)
		assert.False(t, null)
		assert.Equal(t, []byte("abc"), out)

		out, null, err = as.AppendSerialize([]byte("a"), "t", nil, nil)
		require.NoError(t, err)
		assert.True(t, null)
		assert.Equal(t, []byte("a"), out)

		out, null, err = as.AppendSerialize(nil, "t", nil, []byte{})
		require.NoError(t, err)
		assert.False(t, null, "empty is not null")
		assert.Empty(t, out)
	})
}

func TestString(t *testing.T) {
	s := String()
	tests := []struct {
		name string
		v    string
		want []byte
	}{
		{"ascii", "hello", []byte("hello")},
		{"utf-8", "zürich ☃", []byte{'z', 0xc3, 0xbc, 'r', 'i', 'c', 'h', ' ', 0xe2, 0x98, 0x83}},
		{"empty", "", []byte{}},
		{"invalid utf-8 kept", "\xff\xfe", []byte{0xff, 0xfe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := s.Serialize("t", nil, tt.v)
			require.NoError(t, err)
			assert.Equal(t, tt.want, b)
			assert.NotNil(t, b, "a string is never null")

			out, null, err := s.(AppendSerializer[string]).AppendSerialize([]byte("x"), "t", nil, tt.v)
			require.NoError(t, err)
			assert.False(t, null)
			assert.Equal(t, append([]byte("x"), tt.want...), out)

			v, err := s.Deserialize("t", nil, b)
			require.NoError(t, err)
			assert.Equal(t, tt.v, v)
		})
	}

	t.Run("null deserializes to empty", func(t *testing.T) {
		v, err := s.Deserialize("t", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, "", v)
	})

	t.Run("deserialize copies", func(t *testing.T) {
		data := []byte("abc")
		v, err := s.Deserialize("t", nil, data)
		require.NoError(t, err)
		data[0] = 'X'
		assert.Equal(t, "abc", v)
	})
}
