package serde

import (
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhex decodes "00 00 00 2a" style byte vectors.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// javaCase is a value and the bytes the Java client's serializer writes
// for it.
type javaCase[T any] struct {
	name  string
	value T
	bytes string
}

// checkJava runs the vectors of one fixed-size Serde: Serialize and
// AppendSerialize give the Java bytes, Deserialize gives the value back.
func checkJava[T comparable](t *testing.T, s Serde[T], cases []javaCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.bytes)
			var hs []samsa.Header

			got, err := s.Serialize("t", &hs, tc.value)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			as, ok := s.(AppendSerializer[T])
			require.True(t, ok, "fixed-size serdes implement AppendSerializer")
			prefix := []byte{0xaa}
			out, null, err := as.AppendSerialize(prefix, "t", &hs, tc.value)
			require.NoError(t, err)
			assert.False(t, null)
			assert.Equal(t, append([]byte{0xaa}, want...), out)

			v, err := s.Deserialize("t", nil, want)
			require.NoError(t, err)
			assert.Equal(t, tc.value, v)
			assert.Nil(t, hs, "headers untouched")
		})
	}
}

func TestInt16JavaBytes(t *testing.T) {
	checkJava(t, Int16(), []javaCase[int16]{
		{"zero", 0, "00 00"},
		{"42", 42, "00 2a"},
		{"-2", -2, "ff fe"},
		{"max", math.MaxInt16, "7f ff"},
		{"min", math.MinInt16, "80 00"},
	})
}

func TestInt32JavaBytes(t *testing.T) {
	checkJava(t, Int32(), []javaCase[int32]{
		{"zero", 0, "00 00 00 00"},
		{"42", 42, "00 00 00 2a"},
		{"-1", -1, "ff ff ff ff"},
		{"256", 256, "00 00 01 00"},
		{"max", math.MaxInt32, "7f ff ff ff"},
		{"min", math.MinInt32, "80 00 00 00"},
	})
}

func TestInt64JavaBytes(t *testing.T) {
	checkJava(t, Int64(), []javaCase[int64]{
		{"zero", 0, "00 00 00 00 00 00 00 00"},
		{"-1", -1, "ff ff ff ff ff ff ff ff"},
		{"1<<40", 1 << 40, "00 00 01 00 00 00 00 00"},
		{"timestamp", 1700000000000, "00 00 01 8b cf e5 68 00"},
		{"max", math.MaxInt64, "7f ff ff ff ff ff ff ff"},
		{"min", math.MinInt64, "80 00 00 00 00 00 00 00"},
	})
}

func TestFloat32JavaBytes(t *testing.T) {
	checkJava(t, Float32(), []javaCase[float32]{
		{"zero", 0, "00 00 00 00"},
		{"1.5", 1.5, "3f c0 00 00"},
		{"-2", -2, "c0 00 00 00"},
		{"+inf", float32(math.Inf(1)), "7f 80 00 00"},
		{"max", math.MaxFloat32, "7f 7f ff ff"},
	})
}

func TestFloat64JavaBytes(t *testing.T) {
	checkJava(t, Float64(), []javaCase[float64]{
		{"zero", 0, "00 00 00 00 00 00 00 00"},
		{"1.5", 1.5, "3f f8 00 00 00 00 00 00"},
		{"-1", -1, "bf f0 00 00 00 00 00 00"},
		{"0.1", 0.1, "3f b9 99 99 99 99 99 9a"},
		{"+inf", math.Inf(1), "7f f0 00 00 00 00 00 00"},
		{"-inf", math.Inf(-1), "ff f0 00 00 00 00 00 00"},
		{"smallest denormal", math.SmallestNonzeroFloat64, "00 00 00 00 00 00 00 01"},
	})
}

func TestBoolJavaBytes(t *testing.T) {
	checkJava(t, Bool(), []javaCase[bool]{
		{"true", true, "01"},
		{"false", false, "00"},
	})
}

func TestFloatSpecialValues(t *testing.T) {
	t.Run("negative zero keeps its sign", func(t *testing.T) {
		b, err := Float64().Serialize("t", nil, math.Copysign(0, -1))
		require.NoError(t, err)
		assert.Equal(t, unhex(t, "80 00 00 00 00 00 00 00"), b)
		v, err := Float64().Deserialize("t", nil, b)
		require.NoError(t, err)
		assert.True(t, math.Signbit(v))
	})
	t.Run("float64 NaN is canonical, as doubleToLongBits", func(t *testing.T) {
		odd := math.Float64frombits(0xfff0000000000123)
		require.True(t, math.IsNaN(odd))
		for _, nan := range []float64{math.NaN(), odd} {
			b, err := Float64().Serialize("t", nil, nan)
			require.NoError(t, err)
			assert.Equal(t, unhex(t, "7f f8 00 00 00 00 00 00"), b)
		}
		v, err := Float64().Deserialize("t", nil, unhex(t, "ff f0 00 00 00 00 01 23"))
		require.NoError(t, err)
		assert.True(t, math.IsNaN(v), "any NaN pattern reads as NaN")
	})
	t.Run("float32 NaN payload is kept, as floatToRawIntBits", func(t *testing.T) {
		nan := math.Float32frombits(0x7fc00001)
		b, err := Float32().Serialize("t", nil, nan)
		require.NoError(t, err)
		assert.Equal(t, unhex(t, "7f c0 00 01"), b)
	})
}

func TestFixedSizeNullAndWrongLength(t *testing.T) {
	tests := []struct {
		name string
		size int
		zero any
		d    func(data []byte) (any, error)
	}{
		{"int16", 2, int16(0), func(b []byte) (any, error) { return Int16().Deserialize("orders", nil, b) }},
		{"int32", 4, int32(0), func(b []byte) (any, error) { return Int32().Deserialize("orders", nil, b) }},
		{"int64", 8, int64(0), func(b []byte) (any, error) { return Int64().Deserialize("orders", nil, b) }},
		{"float32", 4, float32(0), func(b []byte) (any, error) { return Float32().Deserialize("orders", nil, b) }},
		{"float64", 8, float64(0), func(b []byte) (any, error) { return Float64().Deserialize("orders", nil, b) }},
		{"bool", 1, false, func(b []byte) (any, error) { return Bool().Deserialize("orders", nil, b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.d(nil)
			require.NoError(t, err, "nil is null, which is the zero value")
			assert.Equal(t, tt.zero, v)

			for _, n := range []int{0, tt.size - 1, tt.size + 1, 3 * tt.size} {
				v, err := tt.d(make([]byte, n))
				require.Error(t, err, "%d bytes", n)
				assert.Equal(t, tt.zero, v)
				assert.ErrorIs(t, err, ErrMalformed)
				var se *Error
				require.ErrorAs(t, err, &se)
				assert.Equal(t, "orders", se.Topic)
				assert.Equal(t, OpDeserialize, se.Op)
				assert.Contains(t, err.Error(), tt.name)
			}
		})
	}
}

func TestBoolRejectsOtherBytes(t *testing.T) {
	for _, b := range []byte{2, 0x7f, 0xff} {
		v, err := Bool().Deserialize("flags", nil, []byte{b})
		assert.False(t, v)
		assert.ErrorIs(t, err, ErrMalformed)
		assert.True(t, errors.As(err, new(*Error)))
	}
}
