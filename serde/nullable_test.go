package serde

import (
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNullable(t *testing.T) {
	s := Nullable(Int64())

	b, err := s.Serialize("t", nil, nil)
	require.NoError(t, err)
	assert.Nil(t, b, "nil pointer is a tombstone")

	v := int64(0)
	b, err = s.Serialize("t", nil, &v)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 8), b, "a pointer to zero is eight zero bytes")

	p, err := s.Deserialize("t", nil, nil)
	require.NoError(t, err)
	assert.Nil(t, p)

	p, err = s.Deserialize("t", nil, []byte{0, 0, 0, 0, 0, 0, 0, 7})
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.Equal(t, int64(7), *p)

	p, err = s.Deserialize("orders", nil, []byte{1})
	assert.Nil(t, p)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestNullableAppender(t *testing.T) {
	as, ok := Nullable(Int32()).(AppendSerializer[*int32])
	require.True(t, ok, "Nullable keeps the inner serde's append path")

	out, null, err := as.AppendSerialize([]byte{9}, "t", nil, nil)
	require.NoError(t, err)
	assert.True(t, null)
	assert.Equal(t, []byte{9}, out)

	v := int32(42)
	out, null, err = as.AppendSerialize([]byte{9}, "t", nil, &v)
	require.NoError(t, err)
	assert.False(t, null)
	assert.Equal(t, []byte{9, 0, 0, 0, 0x2a}, out)

	_, ok = Nullable(JSON[order]()).(AppendSerializer[*order])
	assert.False(t, ok, "no append path when the inner serde has none")
}

func TestNullableJSON(t *testing.T) {
	s := Nullable(JSON[order]())
	b, err := s.Serialize("t", nil, &order{ID: "x"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"x","amount":0}`, string(b))

	p, err := s.Deserialize("t", nil, b)
	require.NoError(t, err)
	assert.Equal(t, &order{ID: "x"}, p)

	hs := []samsa.Header{{Key: "k"}}
	_, err = s.Serialize("t", &hs, nil)
	require.NoError(t, err)
	assert.Len(t, hs, 1)
}
