package partitioner

import (
	"errors"
	"fmt"
	"time"
)

// NoPartition is the partition value that means "none chosen". A record
// whose explicit partition is NoPartition is placed by the partitioner; a
// partitioner that returns NoPartition (as [Manual] does for a record without
// an explicit partition) makes [Resolve] fail with [ErrInvalidPartition].
const NoPartition int32 = -1

// ErrInvalidPartition is returned (wrapped in a [*PartitionError]) for a
// record whose explicit or chosen partition is not in [0, Count), or for a
// topic with no known partitions. The record cannot be sent as it is.
var ErrInvalidPartition = errors.New("samsa: invalid partition")

// PartitionError reports a partition that cannot be used for a record. It
// wraps [ErrInvalidPartition], so test it with errors.Is.
type PartitionError struct {
	// Topic is the record's topic.
	Topic string
	// Partition is the offending partition (NoPartition if none was chosen).
	Partition int32
	// Count is the number of partitions the topic has.
	Count int32
	// Reason says what is wrong.
	Reason string
}

func (e *PartitionError) Error() string {
	return fmt.Sprintf("samsa: invalid partition %d for topic %q with %d partitions: %s",
		e.Partition, e.Topic, e.Count, e.Reason)
}

// Unwrap returns [ErrInvalidPartition].
func (e *PartitionError) Unwrap() error { return ErrInvalidPartition }

// Partitions describes a topic's partitions as the producer's metadata knows
// them when a record is placed.
//
// The producer owns both fields. A partitioner reads them during the call
// only: it must not modify Available or keep it after returning.
type Partitions struct {
	// Count is the number of partitions; partition ids are 0..Count-1.
	// The producer waits for metadata before placing a record, so Count is
	// positive; built-ins return NoPartition if it is not.
	Count int32
	// Available lists the partitions that currently have a leader, in
	// ascending order (Java's availablePartitionsForTopic, sarama's
	// WritablePartitions). It may be empty, in which case partitioners that
	// prefer available partitions choose among all Count partitions.
	Available []int32
}

// Partitioner chooses the partition of a record that has no explicit
// partition.
//
// Partition is called concurrently from every goroutine that sends, so an
// implementation must be safe for concurrent use; it must not block, and it
// must not keep key, value or p.Available after it returns. keyed records
// are those with key != nil: an empty non-nil key is a key (it hashes to a
// fixed partition), a nil key is none. It returns a partition id in
// [0, p.Count); the producer rejects anything else with
// [ErrInvalidPartition] (see [Resolve]).
type Partitioner interface {
	Partition(topic string, key, value []byte, p Partitions) int32
}

// Append describes one record appended to a partition's queue, as reported
// to an [AppendAware] partitioner.
type Append struct {
	// Topic and Partition name the partition the record was appended to.
	Topic     string
	Partition int32
	// Keyed reports whether the record had a non-nil key.
	Keyed bool
	// Bytes is how much the append grew the partition's open batch: the
	// record's encoded size (Java's appendedBytes).
	Bytes int
	// AllBatchesFull reports whether, after the append, the partition's
	// queue holds no batch with room left: it is empty or its last batch is
	// full (Java's allBatchesFull). The sticky partitioners switch only then,
	// or after 2×batch.size bytes, so no partially filled batch is left
	// behind waiting for linger.
	AllBatchesFull bool
}

// AppendAware is implemented by partitioners whose choice depends on what
// was already appended ([UniformSticky], [Default]).
//
// The accumulator calls OnAppend after every successful append of a record
// whose partition this partitioner chose (never for a record with an
// explicit partition), while it still holds the lock of that partition's
// queue, so that appends to one partition are reported in the order they
// happened. OnAppend must be cheap and must not block; the built-ins use a
// few atomic operations.
//
// To reproduce Java's behaviour exactly the accumulator may also, after
// taking the queue's lock and before appending, report
// Append{Bytes: 0, AllBatchesFull: true} when the queue has no batch with
// room left, and then ask Partition again: if the answer changed, release
// the lock and append to the new partition instead. This completes a switch
// that was deferred because a batch was still filling, without adding a
// record to a partition that has already had its share.
type AppendAware interface {
	OnAppend(a Append)
}

// PartitionLoad is the load of one partition of a topic, measured by the
// sender on a ready pass and reported to a [LoadAware] partitioner.
type PartitionLoad struct {
	// Partition is the partition id.
	Partition int32
	// QueuedBatches is the number of batches waiting in the partition's
	// queue (Java's deque size). Fewer queued batches means a faster leader.
	QueuedBatches int
	// NotDrainedFor is how long the partition's leader has had sendable data
	// without the sender being able to drain it: the time since the last
	// ready pass that drained this leader, or 0 if this pass drained it
	// (Java's NodeLatencyStats readyTimeMs - drainTimeMs).
	NotDrainedFor time.Duration
}

// LoadAware is implemented by partitioners that weigh their choice by queue
// lengths (KIP-794 adaptive partitioning: [UniformSticky], [Default]).
//
// The sender calls UpdateLoad on each ready pass with one entry for every
// partition of the topic that has a leader, in ascending partition order.
// It should report only once the accumulator has a queue for every
// partition of the topic (Java starts adaptive partitioning only then) and
// call UpdateLoad(topic, nil) to clear the statistics otherwise. The
// partitioner reads load during the call only. Safe for concurrent use with
// Partition and OnAppend; it must be cheap and must not block.
type LoadAware interface {
	UpdateLoad(topic string, load []PartitionLoad)
}

// ConsistencyAware is implemented by partitioners that may choose a
// partition without a leader for some records and not for others (sarama's
// DynamicConsistencyPartitioner). RequiresConsistency reports whether the
// partition chosen for a record with this key must be honoured even if it
// has no leader: keyed placement must not move because a broker is down.
// When it returns false the partitioner picks only from Partitions.Available
// and the producer may fail the record early if none is available (sarama:
// ErrLeaderNotAvailable). A partitioner that does not implement this
// interface is treated as requiring consistency for every record.
type ConsistencyAware interface {
	RequiresConsistency(key []byte) bool
}

// Resolve returns the partition of one record the way the producer
// resolves it (Java's KafkaProducer.partition):
//
//   - explicit, if it is not NoPartition: the record's own partition wins
//     and the partitioner is not asked; it must be in [0, p.Count);
//   - otherwise the partitioner's choice, which must be in [0, p.Count).
//
// Any other outcome, and a topic with no partitions (p.Count <= 0), returns
// a [*PartitionError] wrapping [ErrInvalidPartition]. A nil partitioner is
// refused the same way for records without an explicit partition. Resolve
// is safe for concurrent use if part is.
func Resolve(part Partitioner, topic string, explicit int32, key, value []byte, p Partitions) (int32, error) {
	if p.Count <= 0 {
		return NoPartition, &PartitionError{Topic: topic, Partition: explicit, Count: p.Count,
			Reason: "the topic has no known partitions"}
	}
	if explicit != NoPartition {
		if explicit < 0 || explicit >= p.Count {
			return NoPartition, &PartitionError{Topic: topic, Partition: explicit, Count: p.Count,
				Reason: "the record's explicit partition is out of range"}
		}
		return explicit, nil
	}
	if part == nil {
		return NoPartition, &PartitionError{Topic: topic, Partition: NoPartition, Count: p.Count,
			Reason: "the record has no explicit partition and no partitioner is configured"}
	}
	got := part.Partition(topic, key, value, p)
	if got >= 0 && got < p.Count {
		return got, nil
	}
	reason := "the partitioner chose a partition out of range"
	if _, ok := part.(manual); ok {
		reason = "the Manual partitioner requires every record to carry an explicit partition"
	}
	return NoPartition, &PartitionError{Topic: topic, Partition: got, Count: p.Count, Reason: reason}
}
