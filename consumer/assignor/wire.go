package assignor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The consumer protocol messages use Kafka's classic (non-flexible)
// encoding: big-endian integers, INT16-length strings, INT32-length bytes
// (-1 for null) and INT32-count arrays.

func appendInt16(b []byte, v int16) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
func appendInt32(b []byte, v int32) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

func appendString(b []byte, s string) []byte {
	b = appendInt16(b, int16(len(s)))
	return append(b, s...)
}

// appendNullableString writes "" as null, as Java writes an absent rack.
func appendNullableString(b []byte, s string) []byte {
	if s == "" {
		return appendInt16(b, -1)
	}
	return appendString(b, s)
}

func appendNullableBytes(b, v []byte) []byte {
	if v == nil {
		return appendInt32(b, -1)
	}
	b = appendInt32(b, int32(len(v)))
	return append(b, v...)
}

func appendInt32Array(b []byte, vs []int32) []byte {
	b = appendInt32(b, int32(len(vs)))
	for _, v := range vs {
		b = appendInt32(b, v)
	}
	return b
}

// reader decodes the classic encoding. The first error sticks: later reads
// return zero values, so a decoder checks r.err once per field group. It
// never allocates more than the remaining input can fill.
type reader struct {
	b    []byte
	off  int
	err  error
	what string // the message being decoded, for errors
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) fail(field, format string, args ...any) {
	if r.err == nil {
		r.err = &ProtocolError{Message: r.what, Field: field, Offset: r.off, Reason: fmt.Sprintf(format, args...), decode: true}
	}
}

func (r *reader) need(field string, n int) bool {
	if r.err != nil {
		return false
	}
	if r.remaining() < n {
		r.fail(field, "needs %d bytes, %d left", n, r.remaining())
		return false
	}
	return true
}

func (r *reader) int16(field string) int16 {
	if !r.need(field, 2) {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b[r.off:]))
	r.off += 2
	return v
}

func (r *reader) int32(field string) int32 {
	if !r.need(field, 4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return v
}

// string reads a non-nullable string; null is an error, as in Java.
func (r *reader) string(field string) string {
	s, null := r.nullableString(field)
	if null && r.err == nil {
		r.fail(field, "non-nullable string is null")
	}
	return s
}

func (r *reader) nullableString(field string) (s string, null bool) {
	n := int(r.int16(field))
	if r.err != nil {
		return "", false
	}
	if n == -1 {
		return "", true
	}
	if n < 0 {
		r.fail(field, "negative string length %d", n)
		return "", false
	}
	if !r.need(field, n) {
		return "", false
	}
	s = string(r.b[r.off : r.off+n])
	r.off += n
	return s, false
}

// nullableBytes returns a copy (nil for null), so decoded messages never
// alias the caller's buffer.
func (r *reader) nullableBytes(field string) []byte {
	n := int(r.int32(field))
	if r.err != nil || n == -1 {
		return nil
	}
	if n < 0 {
		r.fail(field, "negative bytes length %d", n)
		return nil
	}
	if !r.need(field, n) {
		return nil
	}
	v := make([]byte, n)
	copy(v, r.b[r.off:])
	r.off += n
	return v
}

// arrayLen reads a non-nullable array count and checks that the input can
// hold that many elements of at least minSize bytes each.
func (r *reader) arrayLen(field string, minSize int) int {
	n := int(r.int32(field))
	if r.err != nil {
		return 0
	}
	if n < 0 {
		r.fail(field, "non-nullable array has count %d", n)
		return 0
	}
	if n > r.remaining()/minSize {
		r.fail(field, "array count %d cannot fit in the %d bytes left", n, r.remaining())
		return 0
	}
	return n
}

func (r *reader) int32Array(field string) []int32 {
	n := r.arrayLen(field, 4)
	if r.err != nil || n == 0 {
		return nil // empty decodes as nil, like every other list here
	}
	vs := make([]int32, n)
	for i := range vs {
		vs[i] = r.int32(field)
	}
	return vs
}

// topicPartitionsArray reads [{string topic; [int32] partitions}], the shape
// of owned partitions, assigned partitions and sticky user data.
func (r *reader) topicPartitionsArray(field string) []TopicPartitions {
	n := r.arrayLen(field, 6)
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]TopicPartitions, n)
	for i := range out {
		out[i].Topic = r.string(field + ".topic")
		out[i].Partitions = r.int32Array(field + ".partitions")
		if r.err != nil {
			return nil
		}
	}
	return out
}

func appendTopicPartitionsArray(b []byte, tps []TopicPartitions) []byte {
	b = appendInt32(b, int32(len(tps)))
	for _, tp := range tps {
		b = appendString(b, tp.Topic)
		b = appendInt32Array(b, tp.Partitions)
	}
	return b
}

// checkString reports whether s fits an INT16-length string.
func checkString(s string) bool { return len(s) <= math.MaxInt16 }
