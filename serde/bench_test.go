package serde

import (
	"testing"

	"github.com/samsa-go/samsa"
)

// The producer serializes every key and value through Serialize or Append
// and the consumer deserializes every one through Deserialize, so these are
// per-record costs.

var (
	sinkBytes []byte
	sinkErr   error
)

func BenchmarkSerialize(b *testing.B) {
	hs := []samsa.Header{}
	b.Run("bytes", func(b *testing.B) {
		v := make([]byte, 100)
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes, sinkErr = Serialize(Bytes(), FieldValue, "t", &hs, v)
		}
	})
	b.Run("string", func(b *testing.B) {
		v := "a moderately long string value of sixty-four bytes, more or less"
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes, sinkErr = Serialize(String(), FieldValue, "t", &hs, v)
		}
	})
	b.Run("int64", func(b *testing.B) {
		b.ReportAllocs()
		for i := int64(0); b.Loop(); i++ {
			sinkBytes, sinkErr = Serialize(Int64(), FieldKey, "t", &hs, i)
		}
	})
	b.Run("json", func(b *testing.B) {
		v := order{ID: "o-123456", Amount: 4200, Tags: []string{"priority", "eu"}}
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes, sinkErr = Serialize(JSON[order](), FieldValue, "t", &hs, v)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	hs := []samsa.Header{}
	buf := make([]byte, 0, 256)
	b.Run("string", func(b *testing.B) {
		v := "a moderately long string value of sixty-four bytes, more or less"
		s := String()
		b.ReportAllocs()
		for b.Loop() {
			buf, _, sinkErr = Append(s, FieldValue, buf[:0], "t", &hs, v)
		}
	})
	b.Run("int64", func(b *testing.B) {
		s := Int64()
		b.ReportAllocs()
		for i := int64(0); b.Loop(); i++ {
			buf, _, sinkErr = Append(s, FieldKey, buf[:0], "t", &hs, i)
		}
	})
	b.Run("float64", func(b *testing.B) {
		s := Float64()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			buf, _, sinkErr = Append(s, FieldValue, buf[:0], "t", &hs, float64(i)*0.5)
		}
	})
	b.Run("nullable-int32", func(b *testing.B) {
		s := Nullable(Int32())
		v := int32(7)
		b.ReportAllocs()
		for b.Loop() {
			buf, _, sinkErr = Append(s, FieldValue, buf[:0], "t", &hs, &v)
		}
	})
}

func BenchmarkDeserialize(b *testing.B) {
	b.Run("bytes", func(b *testing.B) {
		data := make([]byte, 100)
		b.ReportAllocs()
		for b.Loop() {
			sinkBytes, sinkErr = Deserialize(Bytes(), FieldValue, "t", nil, data)
		}
	})
	b.Run("string", func(b *testing.B) {
		data := []byte("a moderately long string value of sixty-four bytes, more or less")
		var s string
		b.ReportAllocs()
		for b.Loop() {
			s, sinkErr = Deserialize(String(), FieldValue, "t", nil, data)
		}
		_ = s
	})
	b.Run("int64", func(b *testing.B) {
		data := []byte{0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0}
		var v int64
		b.ReportAllocs()
		for b.Loop() {
			v, sinkErr = Deserialize(Int64(), FieldKey, "t", nil, data)
		}
		_ = v
	})
	b.Run("json", func(b *testing.B) {
		data := []byte(`{"id":"o-123456","amount":4200,"tags":["priority","eu"]}`)
		var v order
		b.ReportAllocs()
		for b.Loop() {
			v, sinkErr = Deserialize(JSON[order](), FieldValue, "t", nil, data)
		}
		_ = v
	})
}
