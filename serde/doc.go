// Package serde turns typed keys and values into the bytes of a Kafka
// record and back.
//
// In the producer pipeline serializers run second, after the interceptors
// and before the partitioner:
//
//	Send(ctx, *Record[K,V]) → interceptors.OnSend → Serializer[K], Serializer[V] → partitioner → accumulator
//
// so the partitioner hashes the serialized key, exactly as the Java client
// does. In the consumer, deserializers run after a fetched batch is
// decoded and before the interceptors see the records:
//
//	fetcher → record batch decode → Deserializer[K], Deserializer[V] → interceptors.OnConsume → Poll
//
// A [Serializer] sees the topic and may add or change the record's headers
// (to record a schema id or a content type, say); a [Deserializer] sees the
// topic and the headers. Both are small interfaces; [SerializerFunc] and
// [DeserializerFunc] adapt plain functions. A serializer may also implement
// [AppendSerializer] to encode into a buffer the caller owns; [Append] uses
// it when it is there, so the producer's hot path allocates nothing for the
// built-in types.
//
// The built-ins are [Bytes], [String], [Int16], [Int32], [Int64],
// [Float32], [Float64], [Bool] — byte for byte what the Java client's
// ByteArraySerializer, StringSerializer, ShortSerializer,
// IntegerSerializer, LongSerializer, FloatSerializer, DoubleSerializer and
// BooleanSerializer produce and accept — and [JSON] for any type
// encoding/json handles. [Nullable] wraps any Serde to map nil pointers to
// null values.
//
// # Tombstones
//
// A record whose value is null (not empty: null) is a tombstone: on a
// compacted topic it deletes the key. A nil value serializes to nil bytes
// — a nil []byte for [Bytes], a nil pointer for [JSON] and [Nullable] —
// and nil bytes deserialize to the zero value of the type (a nil slice, "",
// 0, false, a nil pointer). Types without a nil value (string, the numbers,
// bool, structs) never produce a tombstone; use [Nullable] to give them
// one. Empty, non-nil bytes are not a tombstone: [Bytes] and [String] give
// an empty value, and the fixed-size types report a length error.
//
// # Errors
//
// The built-ins report failures as *[Error], which names the topic and the
// operation and wraps the cause (ErrMalformed for data of the wrong length
// or an invalid encoding, or the encoding/json error). The producer and
// consumer call serializers through [Serialize], [Append] and
// [Deserialize], which make any error a user's serializer returns a
// *[Error] as well and record whether the key or the value failed.
//
// All serdes in this package are stateless and safe for concurrent use.
package serde
