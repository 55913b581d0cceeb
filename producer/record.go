package producer

import (
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/interceptor"
)

// Record is one record to send: a typed key and value, the topic, headers,
// an optional timestamp and an optional explicit partition (Java's
// ProducerRecord).
//
// Send does not keep the Record: everything it needs is serialized and
// copied before Send returns, so the caller may reuse or change the Record
// afterwards. A Record must not be changed while Send is running with it.
type Record[K, V any] struct {
	// Topic is the topic to send to. Required.
	Topic string
	// Key is the record key, serialized by the producer's key serializer.
	// A key that serializes to nil bytes is no key: the partitioner then
	// spreads the record (sticky), while an empty non-nil key is hashed.
	Key K
	// Value is the record value, serialized by the value serializer; nil
	// bytes make a tombstone.
	Value V
	// Headers are sent with the record, in order. Serializers may add
	// headers for this send; the Record's own slice is never modified.
	Headers []samsa.Header
	// Timestamp is the record's create time; the zero time means the
	// moment Send is called. Topics with message.timestamp.type=LogAppendTime
	// replace it with the broker's time, which the callback then reports.
	Timestamp time.Time
	// Partition pins the record to one partition, bypassing the
	// partitioner. Its zero value, AnyPartition, lets the partitioner
	// choose: a zero Record is never silently sent to partition 0.
	// Set it with ToPartition.
	Partition Partition
}

// Partition is an optional explicit partition for a [Record]. Its zero
// value, [AnyPartition], means "none: let the partitioner choose"; make one
// that pins a partition with [ToPartition]. It is a value type, comparable
// and safe to copy.
type Partition struct {
	id  int32
	set bool
}

// AnyPartition is the zero Partition: the partitioner chooses.
var AnyPartition = Partition{}

// ToPartition returns a Partition that pins a record to partition id
// (Java's ProducerRecord partition argument). Send rejects an id outside
// the topic's partitions with an error wrapping
// partitioner.ErrInvalidPartition, after waiting up to the max block time
// for metadata that knows the partition.
func ToPartition(id int32) Partition { return Partition{id: id, set: true} }

// ID returns the pinned partition and true, or (-1, false) for
// AnyPartition.
func (p Partition) ID() (int32, bool) {
	if !p.set {
		return -1, false
	}
	return p.id, true
}

// Callback receives the outcome of one record passed to [Producer.Send]:
// the metadata of the written record and a nil error, or an error and the
// metadata known so far (Partition -1 if none was chosen, Offset -1).
//
// Callbacks run on the producer's sender goroutine, one at a time, and
// never while the producer holds a lock. The callbacks of one partition run
// in offset order. A callback must not block. Flush, Close and SendSync
// wait for the sender, which is running the callback, so called from one
// they return ErrCalledFromCallback; Send is allowed but must not have to
// wait for buffer memory. A panic in a callback is recovered and logged.
type Callback func(md RecordMetadata, err error)

// Completer receives the outcome of one record passed to
// [Producer.SendCompleter]. OnCompletion is called exactly as a [Callback]
// would be: once, on the producer's sender goroutine, never while the
// producer holds a lock, in offset order within a partition; it must not
// block; a panic is recovered and logged.
type Completer interface {
	OnCompletion(md RecordMetadata, err error)
}

// RecordMetadata describes where a record was written: topic, partition,
// offset (-1 with AcksNone), the timestamp the broker stored (create time,
// or the broker's log append time), and the serialized key and value sizes
// (-1 for null).
type RecordMetadata = interceptor.RecordMetadata

// ProducerInterceptor is an interceptor for a Producer[K, V]; see
// package interceptor and [WithInterceptors].
type ProducerInterceptor[K, V any] = interceptor.ProducerInterceptor[*Record[K, V]]

// ProducerInterceptorFuncs builds a ProducerInterceptor[K, V] from
// functions; see interceptor.ProducerFuncs.
type ProducerInterceptorFuncs[K, V any] = interceptor.ProducerFuncs[*Record[K, V]]
