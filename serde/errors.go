package serde

import (
	"errors"
	"strconv"
)

// ErrMalformed is wrapped by the errors of built-in deserializers for
// data that is not an encoding of the type: the wrong number of bytes for
// a fixed-size type, or a byte other than 0 or 1 for a bool.
var ErrMalformed = errors.New("serde: malformed data")

// Op is the operation that failed: [OpSerialize] or [OpDeserialize].
type Op uint8

// The operations an [Error] reports.
const (
	// OpSerialize is turning a value into bytes.
	OpSerialize Op = iota + 1
	// OpDeserialize is turning bytes into a value.
	OpDeserialize
)

// String returns "serialize" or "deserialize".
func (o Op) String() string {
	switch o {
	case OpSerialize:
		return "serialize"
	case OpDeserialize:
		return "deserialize"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Field says which part of a record an [Error] is about.
type Field uint8

// The parts of a record a serde handles.
const (
	// FieldUnknown is used when a serde is called directly, outside
	// [Serialize], [Append] and [Deserialize], which know the field.
	FieldUnknown Field = iota
	// FieldKey is the record key.
	FieldKey
	// FieldValue is the record value.
	FieldValue
)

// String returns "key", "value" or "" for FieldUnknown.
func (f Field) String() string {
	switch f {
	case FieldKey:
		return "key"
	case FieldValue:
		return "value"
	case FieldUnknown:
		return ""
	}
	return "Field(" + strconv.Itoa(int(f)) + ")"
}

// Error reports a failure to serialize or deserialize a key or value. Err
// is the cause; errors.Is and errors.As see through to it.
type Error struct {
	// Topic is the topic the record is produced to or was fetched from.
	Topic string
	// Op is the operation that failed.
	Op Op
	// Field is the part of the record, when the caller knew it.
	Field Field
	// Err is the cause.
	Err error
}

// Error returns e.g. `serde: deserialize value from topic "orders": serde:
// malformed data: int32 needs 4 bytes, got 3`.
func (e *Error) Error() string {
	s := "serde: " + e.Op.String()
	if e.Field != FieldUnknown {
		s += " " + e.Field.String()
	}
	if e.Op == OpDeserialize {
		s += " from topic "
	} else {
		s += " for topic "
	}
	s += strconv.Quote(e.Topic)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// newError builds the *Error of a failed operation. When err already is
// an *Error (not merely wraps one, which would lose the wrapping context),
// it is copied and completed instead of wrapped a second time.
func newError(op Op, f Field, topic string, err error) *Error {
	if se, ok := err.(*Error); ok && se != nil {
		c := *se
		if f != FieldUnknown {
			c.Field = f
		}
		if c.Topic == "" {
			c.Topic = topic
		}
		if c.Op == 0 {
			c.Op = op
		}
		return &c
	}
	return &Error{Topic: topic, Op: op, Field: f, Err: err}
}
