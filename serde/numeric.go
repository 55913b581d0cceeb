package serde

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/samsa-go/samsa"
)

// The fixed-size serdes write big-endian two's complement integers and
// IEEE 754 floats, which is what java.nio and the Java client's
// serializers write. Their deserializers accept exactly the right number of
// bytes, or nil (null), which gives 0 or false.

// Int16 returns the Serde for int16, equivalent to Java's ShortSerializer
// and ShortDeserializer: 2 bytes, big-endian. Safe for concurrent use.
func Int16() Serde[int16] { return int16Serde{} }

// Int32 returns the Serde for int32, equivalent to Java's
// IntegerSerializer and IntegerDeserializer: 4 bytes, big-endian, so 42 is
// 00 00 00 2a. Safe for concurrent use.
func Int32() Serde[int32] { return int32Serde{} }

// Int64 returns the Serde for int64, equivalent to Java's LongSerializer
// and LongDeserializer: 8 bytes, big-endian, so -1 is ff ff ff ff ff ff ff
// ff. Safe for concurrent use.
func Int64() Serde[int64] { return int64Serde{} }

// Float32 returns the Serde for float32, equivalent to Java's
// FloatSerializer and FloatDeserializer: the 4 bytes of the IEEE 754 bit
// pattern, big-endian, NaN payloads kept as they are (Java uses
// floatToRawIntBits). Safe for concurrent use.
func Float32() Serde[float32] { return float32Serde{} }

// Float64 returns the Serde for float64, equivalent to Java's
// DoubleSerializer and DoubleDeserializer: the 8 bytes of the IEEE 754 bit
// pattern, big-endian, so 1.5 is 3f f8 00 00 00 00 00 00. Like Java's
// doubleToLongBits, every NaN is written as the canonical 7f f8 00 00 00
// 00 00 00. Safe for concurrent use.
func Float64() Serde[float64] { return float64Serde{} }

// Bool returns the Serde for bool, equivalent to Java's BooleanSerializer
// and BooleanDeserializer (Kafka 3.5+): one byte, 01 for true and 00 for
// false. Any other byte, or any other length, is malformed. Safe for
// concurrent use.
func Bool() Serde[bool] { return boolSerde{} }

// sizeError handles data whose length is not the size of a fixed-size
// type: nil data is null, which deserializes to the zero value without
// error; anything else is malformed.
func sizeError(typ string, size int, topic string, data []byte) error {
	if data == nil {
		return nil
	}
	return &Error{Topic: topic, Op: OpDeserialize, Err: fmt.Errorf("%w: %s needs %d bytes, got %d", ErrMalformed, typ, size, len(data))}
}

type int16Serde struct{}

func (int16Serde) Serialize(_ string, _ *[]samsa.Header, v int16) ([]byte, error) {
	return binary.BigEndian.AppendUint16(make([]byte, 0, 2), uint16(v)), nil
}

func (int16Serde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v int16) ([]byte, bool, error) {
	return binary.BigEndian.AppendUint16(dst, uint16(v)), false, nil
}

func (int16Serde) Deserialize(topic string, _ []samsa.Header, data []byte) (int16, error) {
	if len(data) != 2 {
		return 0, sizeError("int16", 2, topic, data)
	}
	return int16(binary.BigEndian.Uint16(data)), nil
}

type int32Serde struct{}

func (int32Serde) Serialize(_ string, _ *[]samsa.Header, v int32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uint32(v)), nil
}

func (int32Serde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v int32) ([]byte, bool, error) {
	return binary.BigEndian.AppendUint32(dst, uint32(v)), false, nil
}

func (int32Serde) Deserialize(topic string, _ []samsa.Header, data []byte) (int32, error) {
	if len(data) != 4 {
		return 0, sizeError("int32", 4, topic, data)
	}
	return int32(binary.BigEndian.Uint32(data)), nil
}

type int64Serde struct{}

func (int64Serde) Serialize(_ string, _ *[]samsa.Header, v int64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(v)), nil
}

func (int64Serde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v int64) ([]byte, bool, error) {
	return binary.BigEndian.AppendUint64(dst, uint64(v)), false, nil
}

func (int64Serde) Deserialize(topic string, _ []samsa.Header, data []byte) (int64, error) {
	if len(data) != 8 {
		return 0, sizeError("int64", 8, topic, data)
	}
	return int64(binary.BigEndian.Uint64(data)), nil
}

type float32Serde struct{}

func (float32Serde) Serialize(_ string, _ *[]samsa.Header, v float32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), math.Float32bits(v)), nil
}

func (float32Serde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v float32) ([]byte, bool, error) {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v)), false, nil
}

func (float32Serde) Deserialize(topic string, _ []samsa.Header, data []byte) (float32, error) {
	if len(data) != 4 {
		return 0, sizeError("float32", 4, topic, data)
	}
	return math.Float32frombits(binary.BigEndian.Uint32(data)), nil
}

// canonicalNaN is the bit pattern Java's Double.doubleToLongBits gives
// every NaN.
const canonicalNaN = 0x7ff8000000000000

func float64Bits(v float64) uint64 {
	if v != v {
		return canonicalNaN
	}
	return math.Float64bits(v)
}

type float64Serde struct{}

func (float64Serde) Serialize(_ string, _ *[]samsa.Header, v float64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), float64Bits(v)), nil
}

func (float64Serde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v float64) ([]byte, bool, error) {
	return binary.BigEndian.AppendUint64(dst, float64Bits(v)), false, nil
}

func (float64Serde) Deserialize(topic string, _ []samsa.Header, data []byte) (float64, error) {
	if len(data) != 8 {
		return 0, sizeError("float64", 8, topic, data)
	}
	return math.Float64frombits(binary.BigEndian.Uint64(data)), nil
}

type boolSerde struct{}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func (boolSerde) Serialize(_ string, _ *[]samsa.Header, v bool) ([]byte, error) {
	return []byte{boolByte(v)}, nil
}

func (boolSerde) AppendSerialize(dst []byte, _ string, _ *[]samsa.Header, v bool) ([]byte, bool, error) {
	return append(dst, boolByte(v)), false, nil
}

func (boolSerde) Deserialize(topic string, _ []samsa.Header, data []byte) (bool, error) {
	if len(data) != 1 {
		return false, sizeError("bool", 1, topic, data)
	}
	switch data[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, &Error{Topic: topic, Op: OpDeserialize, Err: fmt.Errorf("%w: bool must be 00 or 01, got %02x", ErrMalformed, data[0])}
}
