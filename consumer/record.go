package consumer

import (
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/interceptor"
)

// TimestampType says who set a record's timestamp.
type TimestampType int8

const (
	// CreateTime: the producer set the timestamp when it created the record.
	CreateTime TimestampType = 0
	// LogAppendTime: the broker set it when it appended the record (a topic
	// with message.timestamp.type=LogAppendTime).
	LogAppendTime TimestampType = 1
)

// String returns "CreateTime" or "LogAppendTime", Java's names.
func (t TimestampType) String() string {
	if t == LogAppendTime {
		return "LogAppendTime"
	}
	return "CreateTime"
}

// Record is one record returned by Poll (Java's ConsumerRecord).
//
// Err is nil for a record whose key and value deserialized. Otherwise it is
// a *RecordError saying which failed and holding the serialized bytes;
// the field that failed has its type's zero value and everything else is
// set. Poll never drops a record because it could not be deserialized, and
// never fails a whole poll for one: check Err for each record.
type Record[K, V any] struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the record's timestamp, in milliseconds precision.
	Timestamp     time.Time
	TimestampType TimestampType
	Key           K
	Value         V
	// Headers are the record's headers in order. Their values alias the
	// fetched data and must not be modified.
	Headers []samsa.Header
	// LeaderEpoch is the partition leader epoch the record was written in,
	// -1 if unknown. Commits carry it so a later reader can detect log
	// truncation.
	LeaderEpoch int32
	// Err is the deserialization failure, a *RecordError, or nil.
	Err error
}

// TopicPartition returns the record's topic and partition.
func (r *Record[K, V]) TopicPartition() samsa.TopicPartition {
	return samsa.TopicPartition{Topic: r.Topic, Partition: r.Partition}
}

// NextOffset returns what to commit once the record is processed: the
// offset of the next record, with the record's leader epoch.
func (r *Record[K, V]) NextOffset() samsa.Offset {
	return samsa.Offset{Offset: r.Offset + 1, LeaderEpoch: r.LeaderEpoch}
}

// ConsumerInterceptor is an interceptor for a Consumer[K, V]: it sees the
// records of each poll after deserialization (OnConsume) and the outcome of
// each commit (OnCommit). Both run on the goroutine that called Poll or the
// commit; a failure or panic in one is logged and skipped (see package
// interceptor).
type ConsumerInterceptor[K, V any] = interceptor.ConsumerInterceptor[Record[K, V]]
