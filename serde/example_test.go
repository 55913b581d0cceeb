package serde_test

import (
	"errors"
	"fmt"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/serde"
)

// The fixed-size serdes write what the Java client's serializers write.
func Example() {
	b, _ := serde.Int32().Serialize("orders", nil, 42)
	fmt.Printf("% x\n", b)
	b, _ = serde.Float64().Serialize("orders", nil, 1.5)
	fmt.Printf("% x\n", b)
	b, _ = serde.Int64().Serialize("orders", nil, -1)
	fmt.Printf("% x\n", b)
	// Output:
	// 00 00 00 2a
	// 3f f8 00 00 00 00 00 00
	// ff ff ff ff ff ff ff ff
}

type Order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func ExampleJSON() {
	s := serde.JSON[*Order]()

	b, _ := s.Serialize("orders", nil, &Order{ID: "o-1", Amount: 250})
	fmt.Println(string(b))

	// A nil pointer is a tombstone: nil bytes.
	b, _ = s.Serialize("orders", nil, nil)
	fmt.Println(b == nil)

	o, _ := s.Deserialize("orders", nil, []byte(`{"id":"o-2","amount":7}`))
	fmt.Println(o.ID, o.Amount)
	// Output:
	// {"id":"o-1","amount":250}
	// true
	// o-2 7
}

// A serializer may record how it encoded the value in the record's headers.
func ExampleSerializerFunc() {
	tagged := serde.SerializerFunc[string](func(topic string, headers *[]samsa.Header, v string) ([]byte, error) {
		*headers = append(*headers, samsa.Header{Key: "content-type", Value: []byte("text/plain")})
		return []byte(v), nil
	})

	var headers []samsa.Header
	b, _ := tagged.Serialize("greetings", &headers, "hello")
	fmt.Println(string(b), headers[0].Key, string(headers[0].Value))
	// Output:
	// hello content-type text/plain
}

func ExampleDeserialize() {
	_, err := serde.Deserialize(serde.Int32(), serde.FieldKey, "orders", nil, []byte{0, 0, 1})

	var se *serde.Error
	fmt.Println(errors.As(err, &se), se.Field, errors.Is(err, serde.ErrMalformed))
	fmt.Println(err)
	// Output:
	// true key true
	// serde: deserialize key from topic "orders": serde: malformed data: int32 needs 4 bytes, got 3
}

// Nullable tells a tombstone from a zero value.
func ExampleNullable() {
	s := serde.Nullable(serde.Int64())

	v, _ := s.Deserialize("counts", nil, nil)
	fmt.Println(v == nil)

	v, _ = s.Deserialize("counts", nil, make([]byte, 8))
	fmt.Println(*v)
	// Output:
	// true
	// 0
}

// Append encodes into a buffer the caller reuses; for the built-in
// fixed-size types and strings it does not allocate.
func ExampleAppend() {
	buf := make([]byte, 0, 64)
	buf, null, _ := serde.Append(serde.Int32(), serde.FieldValue, buf[:0], "orders", nil, 42)
	fmt.Printf("% x %v\n", buf, null)

	buf, null, _ = serde.Append(serde.Bytes(), serde.FieldValue, buf[:0], "orders", nil, nil)
	fmt.Printf("%d %v\n", len(buf), null)
	// Output:
	// 00 00 00 2a false
	// 0 true
}
