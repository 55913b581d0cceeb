package serde

import (
	"encoding/json"
	"reflect"

	"github.com/samsa-go/samsa"
)

// JSON returns a Serde that encodes values of type T with encoding/json
// (json.Marshal and json.Unmarshal, with their defaults: HTML characters
// escaped, unknown fields ignored).
//
// When T is a pointer or an interface type, a nil value serializes to nil
// bytes, so a nil *T value is a tombstone; a nil map or slice is not nil in
// this sense and encodes as JSON null. Nil bytes deserialize to the zero
// value of T without error; empty, non-nil bytes are not valid JSON and
// fail. Errors are *[Error] values wrapping the encoding/json error.
// Deserialize does not keep data. Safe for concurrent use.
func JSON[T any]() Serde[T] {
	k := reflect.TypeFor[T]().Kind()
	return jsonSerde[T]{nilable: k == reflect.Pointer || k == reflect.Interface}
}

type jsonSerde[T any] struct {
	// nilable is set when T is a pointer or an interface type, the kinds
	// whose nil value is a tombstone. For other kinds Serialize never
	// looks, which saves boxing a struct just to ask.
	nilable bool
}

func (s jsonSerde[T]) Serialize(topic string, _ *[]samsa.Header, v T) ([]byte, error) {
	if s.nilable && isNil(v) {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Topic: topic, Op: OpSerialize, Err: err}
	}
	return b, nil
}

func (jsonSerde[T]) Deserialize(topic string, _ []samsa.Header, data []byte) (T, error) {
	var v T
	if data == nil {
		return v, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, &Error{Topic: topic, Op: OpDeserialize, Err: err}
	}
	return v, nil
}

// isNil reports whether v, of a pointer or interface type, is nil or an
// interface holding a nil pointer (which json.Marshal would write as null).
func isNil[T any](v T) bool {
	a := any(v)
	if a == nil {
		return true
	}
	rv := reflect.ValueOf(a)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
