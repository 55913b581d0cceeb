package serde

import "github.com/samsa-go/samsa"

// Bytes returns the Serde for raw []byte keys and values, equivalent to
// Java's ByteArraySerializer and ByteArrayDeserializer. Neither direction
// copies: Serialize returns v itself and Deserialize returns data itself,
// so the deserialized slice aliases the fetched batch and is valid only as
// long as the consumer documents its records to be. A nil slice is null
// both ways (a tombstone as a value); an empty non-nil slice is an empty
// value. Safe for concurrent use.
func Bytes() Serde[[]byte] { return bytesSerde{} }

type bytesSerde struct{}

func (bytesSerde) Serialize(_ string, _ *[]samsa.Header, v []byte) ([]byte, error) {
	return v, nil
}

func (bytesSerde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v []byte) ([]byte, bool, error) {
	if v == nil {
		return dst, true, nil
	}
	return append(dst, v...), false, nil
}

func (bytesSerde) Deserialize(_ string, _ []samsa.Header, data []byte) ([]byte, error) {
	return data, nil
}

// String returns the Serde for string keys and values, equivalent to
// Java's StringSerializer and StringDeserializer with their default UTF-8
// encoding. The bytes of the string are written as they are: a Go string
// holding invalid UTF-8 is not repaired (Java would have replaced unpaired
// surrogates). A string has no null: "" serializes to empty, non-nil bytes,
// and both nil and empty bytes deserialize to "". Deserialize copies data.
// Safe for concurrent use.
func String() Serde[string] { return stringSerde{} }

type stringSerde struct{}

func (stringSerde) Serialize(_ string, _ *[]samsa.Header, v string) ([]byte, error) {
	return []byte(v), nil
}

func (stringSerde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v string) ([]byte, bool, error) {
	return append(dst, v...), false, nil
}

func (stringSerde) Deserialize(_ string, _ []samsa.Header, data []byte) (string, error) {
	return string(data), nil
}
