package serde

import (
	"github.com/samsa-go/samsa"
)

// Serializer turns a value of type T into the bytes of a record key or
// value. It sees the topic the record goes to and the record's headers,
// which it may change (append a schema id, say); headers is never nil,
// though *headers may be. Returning nil bytes makes the key or value null
// (for a value: a tombstone).
//
// The producer calls a Serializer from the goroutine that calls Send, so an
// implementation used by a producer shared between goroutines must be safe
// for concurrent use. The returned slice belongs to the caller, which may
// keep it until the record is encoded; the serializer must not change it
// afterwards.
type Serializer[T any] interface {
	Serialize(topic string, headers *[]samsa.Header, v T) ([]byte, error)
}

// Deserializer turns the bytes of a record key or value into a value of
// type T. It sees the topic the record came from and the record's headers.
// data is nil for a null key or value (for a value: a tombstone).
//
// data may alias a buffer the consumer reuses once the records of a poll
// have been handed out: an implementation that keeps data, or part of it,
// in the value it returns must say so (as [Bytes] does) or copy it. The
// consumer may call a Deserializer from several goroutines at once, so an
// implementation must be safe for concurrent use.
type Deserializer[T any] interface {
	Deserialize(topic string, headers []samsa.Header, data []byte) (T, error)
}

// Serde is a Serializer and a Deserializer of the same type. Every
// built-in of this package is one.
type Serde[T any] interface {
	Serializer[T]
	Deserializer[T]
}

// AppendSerializer is a Serializer that can also append the encoding of a
// value to a buffer the caller owns, so a caller that reuses its buffer
// serializes without allocating. Callers discover it with a type assertion;
// [Append] does that for them. All built-ins of this package except [JSON]
// implement it.
type AppendSerializer[T any] interface {
	Serializer[T]
	// AppendSerialize appends the encoding of v to dst and returns the
	// extended buffer, like strconv.AppendInt. If v encodes as null, it
	// returns dst unchanged and null true. On error, out is dst. It may
	// change headers as Serialize may.
	AppendSerialize(dst []byte, topic string, headers *[]samsa.Header, v T) (out []byte, null bool, err error)
}

// SerializerFunc adapts a function to the Serializer interface. It is safe
// for concurrent use if the function is.
type SerializerFunc[T any] func(topic string, headers *[]samsa.Header, v T) ([]byte, error)

// Serialize returns f(topic, headers, v).
func (f SerializerFunc[T]) Serialize(topic string, headers *[]samsa.Header, v T) ([]byte, error) {
	return f(topic, headers, v)
}

// DeserializerFunc adapts a function to the Deserializer interface. It is
// safe for concurrent use if the function is.
type DeserializerFunc[T any] func(topic string, headers []samsa.Header, data []byte) (T, error)

// Deserialize returns f(topic, headers, data).
func (f DeserializerFunc[T]) Deserialize(topic string, headers []samsa.Header, data []byte) (T, error) {
	return f(topic, headers, data)
}

// New pairs a Serializer and a Deserializer of the same type into a Serde.
func New[T any](s Serializer[T], d Deserializer[T]) Serde[T] {
	return pair[T]{s, d}
}

type pair[T any] struct {
	Serializer[T]
	Deserializer[T]
}

// Serialize calls s.Serialize for the given field of a record and returns
// any failure as an *[Error] naming the topic, the operation and the
// field. A nil headers is replaced by a pointer to a local nil slice, so
// serializers may rely on headers != nil. It is what the producer calls for
// every key and value.
func Serialize[T any](s Serializer[T], f Field, topic string, headers *[]samsa.Header, v T) ([]byte, error) {
	if headers == nil {
		headers = new([]samsa.Header)
	}
	b, err := s.Serialize(topic, headers, v)
	if err != nil {
		return nil, newError(OpSerialize, f, topic, err)
	}
	return b, nil
}

// Append appends the encoding of v to dst, through AppendSerialize when s
// implements [AppendSerializer] and through Serialize otherwise, and
// reports a null encoding with null true (dst is then returned
// unchanged). Failures are returned as an *[Error], with out = dst. A nil
// headers is replaced by a pointer to a local nil slice.
func Append[T any](s Serializer[T], f Field, dst []byte, topic string, headers *[]samsa.Header, v T) (out []byte, null bool, err error) {
	if headers == nil {
		headers = new([]samsa.Header)
	}
	if as, ok := s.(AppendSerializer[T]); ok {
		out, null, err = as.AppendSerialize(dst, topic, headers, v)
		if err != nil {
			return dst, false, newError(OpSerialize, f, topic, err)
		}
		if null {
			return dst, true, nil
		}
		return out, false, nil
	}
	b, err := s.Serialize(topic, headers, v)
	if err != nil {
		return dst, false, newError(OpSerialize, f, topic, err)
	}
	if b == nil {
		return dst, true, nil
	}
	return append(dst, b...), false, nil
}

// Deserialize calls d.Deserialize for the given field of a record and
// returns any failure as an *[Error] naming the topic, the operation and
// the field, with the zero value of T. It is what the consumer calls for
// every key and value.
func Deserialize[T any](d Deserializer[T], f Field, topic string, headers []samsa.Header, data []byte) (T, error) {
	v, err := d.Deserialize(topic, headers, data)
	if err != nil {
		var zero T
		return zero, newError(OpDeserialize, f, topic, err)
	}
	return v, nil
}
