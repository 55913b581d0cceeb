package producer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/serde"
)

// ErrNilRecord is returned by Send and SendSync for a nil *Record.
var ErrNilRecord = errors.New("samsa: nil record")

// ErrCalledFromCallback is returned by Flush, SendSync and Close when they
// are called from a Callback (or an interceptor's OnAcknowledgement): they
// wait for the sender goroutine, which is the one running the callback, so
// they would wait for ever. Call them from another goroutine.
var ErrCalledFromCallback = errors.New("samsa: Flush, SendSync and Close cannot be called from a producer callback")

// errClosed is what Send, SendSync and Flush return after Close began.
var errClosed = fmt.Errorf("samsa: producer is closed: %w", samsa.ErrClosed)

// errForcedClose completes the records a Close whose ctx ended could not
// deliver (Java's "Producer is closed forcefully").
var errForcedClose = fmt.Errorf("samsa: producer closed before the record was acknowledged: %w", samsa.ErrClosed)

// SerializationError reports a key or value that its serializer could not
// encode. Only that record fails; Send returns the error and the callback
// is not called. Err is the serde package's *serde.Error, so errors.As
// reaches it and the serializer's own cause.
type SerializationError struct {
	// Topic is the record's topic.
	Topic string
	// Field is serde.FieldKey or serde.FieldValue.
	Field serde.Field
	// Err is the *serde.Error the serializer call returned.
	Err error
}

func (e *SerializationError) Error() string {
	return fmt.Sprintf("samsa: cannot serialize the %s of a record for topic %q: %v", e.Field, e.Topic, e.Err)
}

// Unwrap returns the serde error.
func (e *SerializationError) Unwrap() error { return e.Err }

// MetadataError reports that Send gave up waiting for the metadata of a
// record's topic (Java's "Topic X not present in metadata after N ms"):
// the topic does not exist (and was not auto-created), the record's
// explicit partition is beyond the topic's partitions, or no broker
// answered within the max block time. It matches context.DeadlineExceeded
// with errors.Is, and also its Cause: the topic's last metadata error (for
// example kerr.UnknownTopicOrPartition), a *partitioner.PartitionError
// (partitioner.ErrInvalidPartition) for an explicit partition beyond the
// topic's partitions, or the last refresh error.
type MetadataError struct {
	// Topic is the record's topic.
	Topic string
	// Partition is the record's explicit partition, -1 if it had none.
	Partition int32
	// Partitions is the partition count the metadata knew, 0 if the topic
	// was unknown.
	Partitions int32
	// Waited is how long Send waited.
	Waited time.Duration
	// Cause is the topic's metadata error, or the last refresh error, or nil.
	Cause error
}

func (e *MetadataError) Error() string {
	var s string
	if e.Partition >= 0 && e.Partitions > 0 {
		s = fmt.Sprintf("samsa: partition %d of topic %q with partition count %d is not present in metadata after %d ms",
			e.Partition, e.Topic, e.Partitions, e.Waited.Milliseconds())
	} else {
		s = fmt.Sprintf("samsa: topic %q not present in metadata after %d ms", e.Topic, e.Waited.Milliseconds())
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns context.DeadlineExceeded and the cause, if any.
func (e *MetadataError) Unwrap() []error {
	if e.Cause == nil {
		return []error{context.DeadlineExceeded}
	}
	return []error{context.DeadlineExceeded, e.Cause}
}

// ProduceError reports a batch of records the broker rejected, or that
// failed in transit and could not be retried. It wraps the cause: a kerr
// value for an error code the broker returned (errors.Is(err,
// kerr.NotLeaderOrFollower)), or a transport error wrapping
// samsa.ErrConnectionClosed or samsa.ErrRequestTimeout. When the delivery
// timeout ended the retries the error also matches samsa.ErrDeliveryTimeout.
type ProduceError struct {
	// Partition is the batch's partition.
	Partition samsa.TopicPartition
	// Attempts is how many times the batch was sent.
	Attempts int
	// Message is the broker's error message, if it sent one.
	Message string
	// Err is the cause.
	Err error
}

func (e *ProduceError) Error() string {
	s := fmt.Sprintf("samsa: produce to %s failed after %d attempt(s): %v", e.Partition, e.Attempts, e.Err)
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *ProduceError) Unwrap() error { return e.Err }
