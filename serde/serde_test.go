package serde

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaID is a serializer that records a header, as a schema-registry
// serializer would, and encodes the value as a string.
var schemaID = SerializerFunc[string](func(topic string, headers *[]samsa.Header, v string) ([]byte, error) {
	*headers = append(*headers, samsa.Header{Key: "schema", Value: []byte(topic + "-v1")})
	return []byte(v), nil
})

func TestFuncAdapters(t *testing.T) {
	hs := []samsa.Header{{Key: "a", Value: []byte("1")}}
	b, err := schemaID.Serialize("orders", &hs, "v")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), b)
	assert.Equal(t, []samsa.Header{{Key: "a", Value: []byte("1")}, {Key: "schema", Value: []byte("orders-v1")}}, hs)

	var seenHeaders []samsa.Header
	d := DeserializerFunc[int](func(topic string, headers []samsa.Header, data []byte) (int, error) {
		seenHeaders = headers
		return len(topic) + len(data), nil
	})
	n, err := d.Deserialize("abc", hs, []byte("xy"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, hs, seenHeaders)
}

func TestNew(t *testing.T) {
	s := New[string](schemaID, String())
	var hs []samsa.Header
	b, err := s.Serialize("t", &hs, "x")
	require.NoError(t, err)
	assert.Len(t, hs, 1)
	v, err := s.Deserialize("t", hs, b)
	require.NoError(t, err)
	assert.Equal(t, "x", v)
}

var errBoom = errors.New("boom")

func failing[T any]() Serde[T] {
	return New[T](
		SerializerFunc[T](func(string, *[]samsa.Header, T) ([]byte, error) { return nil, errBoom }),
		DeserializerFunc[T](func(string, []samsa.Header, []byte) (T, error) {
			var zero T
			return zero, fmt.Errorf("decode: %w", errBoom)
		}),
	)
}

func TestSerializeHelper(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		var hs []samsa.Header
		b, err := Serialize[string](schemaID, FieldValue, "orders", &hs, "v")
		require.NoError(t, err)
		assert.Equal(t, []byte("v"), b)
		assert.Len(t, hs, 1, "header changes reach the caller")
	})
	t.Run("nil headers pointer is replaced", func(t *testing.T) {
		b, err := Serialize[string](schemaID, FieldKey, "orders", nil, "v")
		require.NoError(t, err)
		assert.Equal(t, []byte("v"), b)
	})
	t.Run("user error becomes *Error with the field", func(t *testing.T) {
		b, err := Serialize(failing[int](), FieldKey, "orders", nil, 1)
		assert.Nil(t, b)
		assert.ErrorIs(t, err, errBoom)
		var se *Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, Error{Topic: "orders", Op: OpSerialize, Field: FieldKey, Err: errBoom}, *se)
		assert.Equal(t, `serde: serialize key for topic "orders": boom`, err.Error())
	})
	t.Run("built-in *Error gets the field, not a second layer", func(t *testing.T) {
		_, err := Serialize(JSON[chan int](), FieldValue, "orders", nil, make(chan int))
		var se *Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, FieldValue, se.Field)
		assert.ErrorAs(t, se.Err, new(*json.UnsupportedTypeError), "the cause is the json error")
		var inner *Error
		assert.False(t, errors.As(se.Err, &inner), "no nested *Error")
	})
}

func TestAppendHelper(t *testing.T) {
	tests := []struct {
		name     string
		run      func(dst []byte) ([]byte, bool, error)
		want     []byte
		wantNull bool
	}{
		{"appender", func(dst []byte) ([]byte, bool, error) {
			return Append(Int32(), FieldValue, dst, "t", nil, 42)
		}, []byte{'>', 0, 0, 0, 0x2a}, false},
		{"appender null", func(dst []byte) ([]byte, bool, error) {
			return Append(Bytes(), FieldValue, dst, "t", nil, nil)
		}, []byte{'>'}, true},
		{"plain serializer", func(dst []byte) ([]byte, bool, error) {
			return Append[string](schemaID, FieldValue, dst, "t", nil, "ab")
		}, []byte(">ab"), false},
		{"plain serializer null", func(dst []byte) ([]byte, bool, error) {
			return Append(JSON[*order](), FieldValue, dst, "t", nil, nil)
		}, []byte{'>'}, true},
		{"plain serializer empty is not null", func(dst []byte) ([]byte, bool, error) {
			return Append[[]byte](SerializerFunc[[]byte](func(string, *[]samsa.Header, []byte) ([]byte, error) {
				return []byte{}, nil
			}), FieldValue, dst, "t", nil, nil)
		}, []byte{'>'}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, null, err := tt.run([]byte{'>'})
			require.NoError(t, err)
			assert.Equal(t, tt.wantNull, null)
			assert.Equal(t, tt.want, out)
		})
	}

	t.Run("error keeps dst", func(t *testing.T) {
		out, null, err := Append(failing[int](), FieldKey, []byte{'>'}, "orders", nil, 1)
		assert.Equal(t, []byte{'>'}, out)
		assert.False(t, null)
		var se *Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, FieldKey, se.Field)
		assert.ErrorIs(t, err, errBoom)
	})
	t.Run("appender error", func(t *testing.T) {
		out, _, err := Append[int](errAppender{}, FieldValue, []byte{'>'}, "orders", nil, 1)
		assert.Equal(t, []byte{'>'}, out)
		assert.ErrorIs(t, err, io.ErrShortBuffer)
		var se *Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, FieldValue, se.Field)
		assert.Equal(t, "orders", se.Topic)
	})
}

// errAppender fails on the append path, after having written to dst.
type errAppender struct{}

func (errAppender) Serialize(string, *[]samsa.Header, int) ([]byte, error) { return nil, nil }

func (errAppender) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, _ int) ([]byte, bool, error) {
	return append(dst, "garbage"...), false, io.ErrShortBuffer
}

func TestDeserializeHelper(t *testing.T) {
	v, err := Deserialize(Int32(), FieldKey, "orders", nil, []byte{0, 0, 0, 1})
	require.NoError(t, err)
	assert.Equal(t, int32(1), v)

	v, err = Deserialize(Int32(), FieldKey, "orders", nil, []byte{0, 1})
	assert.Zero(t, v)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, FieldKey, se.Field)
	assert.Equal(t, "orders", se.Topic)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, `serde: deserialize key from topic "orders": serde: malformed data: int32 needs 4 bytes, got 2`, err.Error())

	n, err := Deserialize(failing[int](), FieldValue, "orders", nil, []byte("x"))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, errBoom)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, FieldValue, se.Field)
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Topic: "o", Op: OpSerialize, Err: io.EOF}, `serde: serialize for topic "o": EOF`},
		{&Error{Topic: "o", Op: OpDeserialize, Field: FieldValue, Err: io.EOF}, `serde: deserialize value from topic "o": EOF`},
		{&Error{Topic: "", Op: OpSerialize, Field: FieldKey}, `serde: serialize key for topic ""`},
		{&Error{Op: Op(9), Field: Field(7)}, `serde: Op(9) Field(7) for topic ""`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
	assert.Equal(t, "", FieldUnknown.String())
}
