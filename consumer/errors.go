package consumer

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/serde"
)

// Errors of the consumer. Errors returned by a Consumer wrap these, a root
// samsa sentinel or a kerr value; test them with errors.Is and errors.As.
var (
	// ErrNoGroup is returned by calls that need a consumer group (Subscribe,
	// SubscribeRegex, Committed, CommitSync, CommitAsync) on a consumer
	// created without WithGroupID (Java's InvalidGroupIdException).
	ErrNoGroup = errors.New("samsa: consumer: the call needs a group id (WithGroupID)")

	// ErrNoOffset is wrapped by *NoOffsetError: partitions without a
	// position to read from and an auto offset reset of none.
	ErrNoOffset = errors.New("samsa: consumer: no offset to read from and auto offset reset is none")

	// ErrNotAssigned is returned by calls naming a partition the consumer
	// is not assigned (Java's IllegalStateException "No current assignment
	// for partition").
	ErrNotAssigned = errors.New("samsa: consumer: partition is not assigned to this consumer")

	// ErrSubscriptionConflict is returned by Subscribe, SubscribeRegex and
	// Assign when the consumer already uses the other kind of assignment
	// (topics, a pattern, or manual partitions); call Unsubscribe first.
	ErrSubscriptionConflict = errors.New("samsa: consumer: subscription conflicts with the current one; Unsubscribe first")

	// ErrRebalanceInProgress is returned for a commit attempted while the
	// group is rebalancing: the partitions may be about to move, so the
	// offsets are not committed (Java's RebalanceInProgressException). It
	// wraps kerr.RebalanceInProgress. Commit again after the rebalance, or
	// from OnPartitionsRevoked.
	ErrRebalanceInProgress = fmt.Errorf("samsa: consumer: the group is rebalancing: %w", kerr.RebalanceInProgress)

	// ErrReentrantCall is returned by Poll, Unsubscribe and Close when they
	// are called from inside a RebalanceListener method, where they would
	// wait for themselves.
	ErrReentrantCall = errors.New("samsa: consumer: Poll, Unsubscribe and Close cannot be called from a rebalance listener")
)

// NoOffsetError reports partitions the consumer cannot read because it has
// no position for them: nothing was committed (or the committed offset was
// out of range) and the auto offset reset is none. Poll returns it until
// every listed partition has a position: Seek them, or unassign them.
// It wraps ErrNoOffset, and kerr.OffsetOutOfRange when OutOfRange is set.
type NoOffsetError struct {
	// Partitions are the partitions without a position, sorted.
	Partitions []samsa.TopicPartition
	// OutOfRange holds, for partitions whose position fell outside the log
	// (the broker answered OFFSET_OUT_OF_RANGE), that position.
	OutOfRange map[samsa.TopicPartition]int64
}

// Error lists the partitions, e.g. "... none for orders-0 (offset 99 out of range)".
func (e *NoOffsetError) Error() string {
	var b strings.Builder
	b.WriteString("samsa: consumer: no offset to read from and auto offset reset is none for ")
	for i, tp := range e.Partitions {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tp.String())
		if off, ok := e.OutOfRange[tp]; ok {
			fmt.Fprintf(&b, " (offset %d out of range)", off)
		}
	}
	return b.String()
}

// Unwrap returns ErrNoOffset, and kerr.OffsetOutOfRange when a position was
// out of range.
func (e *NoOffsetError) Unwrap() []error {
	if len(e.OutOfRange) > 0 {
		return []error{ErrNoOffset, kerr.OffsetOutOfRange}
	}
	return []error{ErrNoOffset}
}

// RecordError is the Err of a Record whose key or value could not be
// deserialized. The record's other fields are set (the field that failed
// holds its type's zero value), and Key and Value keep the serialized bytes,
// so the application can skip the record, park it in a dead-letter topic
// or stop. The record counts as consumed either way. It wraps the
// *serde.Error of the deserializer.
type RecordError struct {
	samsa.TopicPartition
	Offset int64
	// Key and Value are the record's serialized key and value (nil for
	// null). They alias the fetched data; copy them to keep them past the
	// next Poll if the deserializers document aliasing.
	Key, Value []byte
	// Err is the deserializer's failure, a *serde.Error naming the field.
	Err *serde.Error
}

// Error names the record and the deserializer failure.
func (e *RecordError) Error() string {
	return fmt.Sprintf("samsa: consumer: record %s@%d: %v", e.TopicPartition, e.Offset, e.Err)
}

// Unwrap returns the *serde.Error.
func (e *RecordError) Unwrap() error { return e.Err }

// FetchError reports a partition the broker could not serve or whose data
// could not be read: a corrupt batch, an authorization failure, or another
// error that is not retried silently. Poll returns it once; the partition
// is fetched again from Offset after the retry backoff, so a persistent
// failure is reported again (Seek past a corrupt batch to skip it).
type FetchError struct {
	samsa.TopicPartition
	// Offset is the offset the fetch was for.
	Offset int64
	// Err is the cause: a kerr value or an error matching
	// samsa.ErrCorruptBatch.
	Err error
}

// Error names the partition, the offset and the cause.
func (e *FetchError) Error() string {
	return fmt.Sprintf("samsa: consumer: fetching %s at offset %d: %v", e.TopicPartition, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// CommitError reports an offset commit that the coordinator refused for
// some partitions, or that failed as a whole. Unwrap yields each distinct
// cause (kerr values for broker errors), so errors.Is(err, kerr.X) works.
type CommitError struct {
	// Errors maps each partition that failed to its cause. Empty when the
	// whole request failed (then Err is set).
	Errors map[samsa.TopicPartition]error
	// Err is the request-level failure, if any.
	Err error
}

// Error lists the failed partitions and their causes.
func (e *CommitError) Error() string {
	if e.Err != nil {
		return "samsa: consumer: offset commit failed: " + e.Err.Error()
	}
	tps := sortedKeys(e.Errors)
	var b strings.Builder
	b.WriteString("samsa: consumer: offset commit failed for ")
	for i, tp := range tps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %v", tp, e.Errors[tp])
	}
	return b.String()
}

// Unwrap returns Err, or the distinct per-partition causes.
func (e *CommitError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Err}
	}
	var out []error
	for _, tp := range sortedKeys(e.Errors) {
		err := e.Errors[tp]
		dup := false
		for _, have := range out {
			if have == err {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, err)
		}
	}
	return out
}

// FencedInstanceError reports that another consumer with the same group
// instance id joined the group, so the coordinator fenced this one
// (FENCED_INSTANCE_ID, KIP-345). It is fatal: every later Poll and commit
// returns it; close the consumer. It wraps kerr.FencedInstanceID.
type FencedInstanceError struct {
	Group, InstanceID string
}

// Error names the group and the instance id.
func (e *FencedInstanceError) Error() string {
	return fmt.Sprintf("samsa: consumer: group %q fenced this member: another consumer joined with group instance id %q", e.Group, e.InstanceID)
}

// Unwrap returns kerr.FencedInstanceID.
func (e *FencedInstanceError) Unwrap() error { return kerr.FencedInstanceID }

// GroupError reports a failure of the group protocol that the consumer
// cannot recover from by itself, such as an authorization failure, an
// inconsistent group protocol or an invalid session timeout. It wraps the
// broker's kerr value (or the local cause). Poll returns it; the consumer
// retries the join on the next Poll.
type GroupError struct {
	Group string
	// Op is the request that failed: "JoinGroup", "SyncGroup", "Heartbeat",
	// "assign" (the leader's assignment) or "assignment" (decoding it).
	Op  string
	Err error
}

// Error names the group, the request and the cause.
func (e *GroupError) Error() string {
	return fmt.Sprintf("samsa: consumer: group %q: %s: %v", e.Group, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *GroupError) Unwrap() error { return e.Err }

// ListenerError reports a RebalanceListener method that returned an error
// or panicked. Poll returns it after the rebalance step completed: the
// assignment is not undone (as in the Java client).
type ListenerError struct {
	// Method is "OnPartitionsRevoked", "OnPartitionsAssigned" or
	// "OnPartitionsLost".
	Method string
	// Partitions are the partitions the method was called with.
	Partitions []samsa.TopicPartition
	// Err is what the method returned, or a *PanicError.
	Err error
}

// Error names the listener method and the cause.
func (e *ListenerError) Error() string {
	return fmt.Sprintf("samsa: consumer: rebalance listener %s(%d partitions): %v", e.Method, len(e.Partitions), e.Err)
}

// Unwrap returns the cause.
func (e *ListenerError) Unwrap() error { return e.Err }

// PanicError is the Err of a ListenerError for a listener that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// sortedKeys returns the partitions of m sorted by topic and partition.
func sortedKeys[T any](m map[samsa.TopicPartition]T) []samsa.TopicPartition {
	out := make([]samsa.TopicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sortTPs(out)
	return out
}

// sortTPs sorts partitions by topic, then partition.
func sortTPs(tps []samsa.TopicPartition) {
	slices.SortFunc(tps, compareTP)
}

func compareTP(a, b samsa.TopicPartition) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}
