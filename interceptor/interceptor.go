package interceptor

import (
	"time"

	"github.com/samsa-go/samsa"
)

// RecordMetadata describes where a produced record was written, or, for a
// record that failed, as much of that as is known.
type RecordMetadata struct {
	// Topic is the record's topic.
	Topic string
	// Partition is the partition the record was appended to, or -1 if the
	// send failed before a partition was chosen.
	Partition int32
	// Offset is the record's offset in the partition, or -1 if the broker
	// did not acknowledge it (the send failed, or acks=0).
	Offset int64
	// Timestamp is the record's timestamp: the create time the producer
	// set, or the broker's log append time when the topic uses
	// LogAppendTime. It is the zero time when unknown.
	Timestamp time.Time
	// SerializedKeySize and SerializedValueSize are the sizes in bytes of
	// the serialized key and value, or -1 for a null key or value or when
	// the send failed before serialization.
	SerializedKeySize   int
	SerializedValueSize int
}

// ProducerInterceptor sees every record a producer sends, before it is
// serialized, and every acknowledgement, before the user's callback.
//
// The producer calls OnSend from the goroutines that call Send and
// OnAcknowledgement from its own goroutines, so an implementation must be
// safe for concurrent use. Neither call may block: OnSend delays the
// sender's caller and OnAcknowledgement delays every later callback.
type ProducerInterceptor[R any] interface {
	// OnSend is called with each record before it is serialized and
	// partitioned. It returns the record to go on with: rec itself,
	// possibly changed, or a replacement. An error, a panic, or (for a
	// pointer, interface, map or slice record type) a nil record are
	// logged, and the next interceptor gets rec as it was passed to this
	// one (changes made to it in place before failing are not undone); the
	// send goes on either way.
	OnSend(rec R) (R, error)

	// OnAcknowledgement is called once for each record sent, when the
	// broker acknowledged it (err nil) or when the send failed (err set, md
	// filled in as far as known), before the user's callback.
	OnAcknowledgement(md RecordMetadata, err error)
}

// ConsumerInterceptor sees the records a consumer returns from each poll,
// after deserialization, and the outcome of each offset commit.
//
// The consumer calls both methods from the goroutine that calls Poll or
// commits; an implementation shared between consumers must be safe for
// concurrent use. Neither call may block.
type ConsumerInterceptor[R any] interface {
	// OnConsume is called with the records of one poll before Poll returns
	// them. It returns the records to go on with: recs itself, possibly
	// changed, filtered or reordered, or a new slice. An error or a panic
	// is logged, and the next interceptor gets recs as they were passed to
	// this one (changes made in place before failing are not undone).
	OnConsume(recs []R) ([]R, error)

	// OnCommit is called when an offset commit completes: err is nil when
	// the coordinator accepted the offsets and the commit's error
	// otherwise. offsets is shared with the other interceptors and the
	// consumer and must not be modified or kept.
	OnCommit(offsets map[samsa.TopicPartition]samsa.Offset, err error)
}

// Closer is implemented by interceptors that hold resources. A chain's
// Close calls Close on each interceptor that implements it, once.
type Closer interface {
	Close() error
}

// ProducerFuncs builds a ProducerInterceptor from functions. A nil Send
// passes the record on unchanged; a nil Acknowledgement does nothing. It is
// safe for concurrent use if the functions are.
type ProducerFuncs[R any] struct {
	// Send implements OnSend.
	Send func(rec R) (R, error)
	// Acknowledgement implements OnAcknowledgement.
	Acknowledgement func(md RecordMetadata, err error)
}

// OnSend calls f.Send, if set.
func (f ProducerFuncs[R]) OnSend(rec R) (R, error) {
	if f.Send == nil {
		return rec, nil
	}
	return f.Send(rec)
}

// OnAcknowledgement calls f.Acknowledgement, if set.
func (f ProducerFuncs[R]) OnAcknowledgement(md RecordMetadata, err error) {
	if f.Acknowledgement != nil {
		f.Acknowledgement(md, err)
	}
}

// ConsumerFuncs builds a ConsumerInterceptor from functions. A nil Consume
// passes the records on unchanged; a nil Commit does nothing. It is safe
// for concurrent use if the functions are.
type ConsumerFuncs[R any] struct {
	// Consume implements OnConsume.
	Consume func(recs []R) ([]R, error)
	// Commit implements OnCommit.
	Commit func(offsets map[samsa.TopicPartition]samsa.Offset, err error)
}

// OnConsume calls f.Consume, if set.
func (f ConsumerFuncs[R]) OnConsume(recs []R) ([]R, error) {
	if f.Consume == nil {
		return recs, nil
	}
	return f.Consume(recs)
}

// OnCommit calls f.Commit, if set.
func (f ConsumerFuncs[R]) OnCommit(offsets map[samsa.TopicPartition]samsa.Offset, err error) {
	if f.Commit != nil {
		f.Commit(offsets, err)
	}
}
