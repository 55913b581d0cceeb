package samsa

import (
	"errors"
	"fmt"
)

// Client-wide sentinel errors. Errors returned by samsa wrap these (or a
// kerr value for errors a broker reported), so test them with errors.Is.
var (
	// ErrClosed is returned by any call on a producer, consumer or
	// connection after Close has begun. Create a new client to go on.
	ErrClosed = errors.New("samsa: client is closed")

	// ErrBufferFull is returned when a send waited the producer's max block
	// time for buffer memory and none was freed. Slow down, raise the buffer
	// memory, or check that the brokers are reachable.
	ErrBufferFull = errors.New("samsa: producer buffer memory exhausted for longer than max block")

	// ErrRecordTooLarge is returned for a record whose encoded size exceeds
	// the producer's max request size or its buffer memory. Such a record can
	// never be sent; shrink it or raise the limits (and the broker's
	// message.max.bytes).
	ErrRecordTooLarge = errors.New("samsa: record is larger than the max request size or buffer memory")

	// ErrInvalidTopic is returned for a topic name Kafka would reject: empty,
	// "." or "..", longer than 249 characters, or with characters other than
	// ASCII letters, digits, '.', '_' and '-'.
	ErrInvalidTopic = errors.New("samsa: invalid topic name")

	// ErrDeliveryTimeout is returned for a record that was not acknowledged
	// within the producer's delivery timeout, retries included.
	ErrDeliveryTimeout = errors.New("samsa: record not acknowledged within the delivery timeout")

	// ErrConnectionClosed is returned for a request whose connection closed
	// before its response arrived. The broker may or may not have processed
	// it; the request is safe to retry only if it is idempotent.
	ErrConnectionClosed = errors.New("samsa: broker connection closed before the response arrived")

	// ErrRequestTimeout is returned for a request whose response did not
	// arrive within the request timeout. The connection it was sent on is
	// closed, because the response can no longer be matched reliably.
	ErrRequestTimeout = errors.New("samsa: broker did not answer within the request timeout")

	// ErrUnsupportedVersion is returned when a broker does not support any
	// version of an API that samsa needs. Upgrade the broker or disable the
	// feature that needs the API.
	ErrUnsupportedVersion = errors.New("samsa: broker does not support a required API version")

	// ErrNoBrokers is returned when no seed broker could be reached. The
	// error lists each seed's failure.
	ErrNoBrokers = errors.New("samsa: no seed broker could be reached")

	// ErrCorruptBatch is returned for a record batch that fails its CRC or
	// framing checks, or cannot be decompressed.
	ErrCorruptBatch = errors.New("samsa: corrupt record batch")

	// ErrMalformedResponse is returned when a broker's response cannot be
	// decoded. The connection is closed; the request may be retried.
	ErrMalformedResponse = errors.New("samsa: malformed response from broker")
)

// ConfigError reports an invalid option, or a combination of options that
// cannot work together. Every New in samsa returns it, never a panic or a log
// line, for configuration that it cannot honour.
type ConfigError struct {
	// Option is the option's name as it appears in samsa's API, e.g.
	// "producer.WithLinger"; for a cross-field rule, the options involved.
	Option string
	// Value is the offending value, if there is one.
	Value any
	// Reason says what is wrong and what would be accepted.
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("samsa: invalid configuration %s: %s", e.Option, e.Reason)
	}
	return fmt.Sprintf("samsa: invalid configuration %s = %v: %s", e.Option, e.Value, e.Reason)
}
