package serde

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// Every deserializer gets arbitrary bytes: it must not panic, it must fail
// only with an *Error, and what it accepts must serialize back to the same
// bytes (up to NaN canonicalization for float64).

func fuzzFixed[T any](f *testing.F, s Serde[T], size int) {
	f.Add([]byte(nil))
	f.Add([]byte{})
	f.Add(make([]byte, size))
	f.Add(bytes.Repeat([]byte{0xff}, size))
	f.Add(make([]byte, size+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := s.Deserialize("t", nil, data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a *serde.Error wrapping ErrMalformed", err)
			}
			if len(data) == size {
				if _, isBool := any(v).(bool); !isBool {
					t.Fatalf("%d bytes rejected: %v", size, err)
				}
			}
			return
		}
		if data == nil {
			return
		}
		if len(data) != size {
			t.Fatalf("accepted %d bytes, want %d", len(data), size)
		}
		back, err := s.Serialize("t", nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if fv, ok := any(v).(float64); ok && math.IsNaN(fv) {
			return
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("% x → %v → % x", data, v, back)
		}
	})
}

func FuzzInt16(f *testing.F)   { fuzzFixed(f, Int16(), 2) }
func FuzzInt32(f *testing.F)   { fuzzFixed(f, Int32(), 4) }
func FuzzInt64(f *testing.F)   { fuzzFixed(f, Int64(), 8) }
func FuzzFloat32(f *testing.F) { fuzzFixed(f, Float32(), 4) }
func FuzzFloat64(f *testing.F) { fuzzFixed(f, Float64(), 8) }
func FuzzBool(f *testing.F)    { fuzzFixed(f, Bool(), 1) }

func FuzzString(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0xff, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := String().Deserialize("t", nil, data)
		if err != nil {
			t.Fatal(err)
		}
		back, _ := String().Serialize("t", nil, v)
		if !bytes.Equal(back, data) {
			t.Fatalf("% x → %q → % x", data, v, back)
		}
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"id":"o-1","amount":250,"tags":["a","b"]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"amount":1e400}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := JSON[*order]()
		v, err := s.Deserialize("t", nil, data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Op != OpDeserialize {
				t.Fatalf("error %v is not a deserialize *serde.Error", err)
			}
			if v != nil {
				t.Fatalf("value %v returned with error", v)
			}
			return
		}
		// What was accepted must survive a round trip.
		b, err := s.Serialize("t", nil, v)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := s.Deserialize("t", nil, b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if (v == nil) != (v2 == nil) || v != nil && (v.ID != v2.ID || v.Amount != v2.Amount || len(v.Tags) != len(v2.Tags)) {
			t.Fatalf("%s → %+v → %s → %+v", data, v, b, v2)
		}
	})
}
