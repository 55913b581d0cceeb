package serde

import "github.com/samsa-go/samsa"

// Nullable wraps a Serde of T into a Serde of *T that maps nil to null: a
// nil pointer serializes to nil bytes (a tombstone as a value) and nil
// bytes deserialize to a nil pointer, while every other value goes through
// inner. Use it to tell a tombstone from a zero value, e.g.
// Nullable(Int64()) deserializes a null value to nil and 8 zero bytes to a
// pointer to 0. It implements [AppendSerializer] when inner does. Safe for
// concurrent use if inner is.
func Nullable[T any](inner Serde[T]) Serde[*T] {
	if as, ok := inner.(AppendSerializer[T]); ok {
		return nullableAppender[T]{nullable[T]{inner}, as}
	}
	return nullable[T]{inner}
}

type nullable[T any] struct {
	inner Serde[T]
}

func (n nullable[T]) Serialize(topic string, headers *[]samsa.Header, v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return n.inner.Serialize(topic, headers, *v)
}

func (n nullable[T]) Deserialize(topic string, headers []samsa.Header, data []byte) (*T, error) {
	if data == nil {
		return nil, nil
	}
	v, err := n.inner.Deserialize(topic, headers, data)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

type nullableAppender[T any] struct {
	nullable[T]
	as AppendSerializer[T]
}

func (n nullableAppender[T]) AppendSerialize(dst []byte, topic string, headers *[]samsa.Header, v *T) ([]byte, bool, error) {
	if v == nil {
		return dst, true, nil
	}
	return n.as.AppendSerialize(dst, topic, headers, *v)
}
