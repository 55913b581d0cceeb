package accumulator

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/samsa-go/samsa"
)

var (
	// ErrInvalidSize is returned by [BufferPool.Allocate] for a size that is
	// not positive. It indicates a bug in the caller.
	ErrInvalidSize = errors.New("samsa: invalid buffer size")

	// ErrBatchCompleted is returned (wrapped) by [Accumulator.Reenqueue] and
	// [Accumulator.SplitAndReenqueue] for a batch that was already completed,
	// for example because it expired or was aborted while its request was in
	// flight. The batch must not be sent again.
	ErrBatchCompleted = errors.New("samsa: batch already completed")

	// ErrBatchQueued is returned (wrapped) by [Accumulator.Reenqueue] and
	// [Accumulator.SplitAndReenqueue] for a batch that is still in its
	// partition's queue: only a drained batch can be put back.
	ErrBatchQueued = errors.New("samsa: batch is still queued")
)

// errClosedAppend is what Append returns once Close has begun (Java's
// "Producer closed while send in progress").
var errClosedAppend = fmt.Errorf("samsa: producer closed while send in progress: %w", samsa.ErrClosed)

// errClosedAllocate is what a blocked or new Allocate returns once the pool
// is closed (Java's "Producer closed while allocating memory").
var errClosedAllocate = fmt.Errorf("samsa: producer closed while allocating buffer memory: %w", samsa.ErrClosed)

// errAborted completes batches aborted without a reason.
var errAborted = fmt.Errorf("samsa: producer closed forcefully, record aborted: %w", samsa.ErrClosed)

// RecordTooLargeError reports a record, or a buffer request, that can never
// be satisfied: it is larger than the buffer memory, or it is the only
// record of a batch the broker refused as too large. It matches
// samsa.ErrRecordTooLarge with errors.Is.
type RecordTooLargeError struct {
	// Size is the size asked for, in bytes.
	Size int
	// Limit is the limit it exceeds, in bytes, or 0 if the limit is the
	// broker's and not known here.
	Limit int
	// Reason names the limit, e.g. "total buffer memory".
	Reason string
}

func (e *RecordTooLargeError) Error() string {
	if e.Limit > 0 {
		return "samsa: record of " + strconv.Itoa(e.Size) + " bytes is larger than the " + e.Reason +
			" of " + strconv.Itoa(e.Limit) + " bytes"
	}
	return "samsa: record of " + strconv.Itoa(e.Size) + " bytes is too large: " + e.Reason
}

// Unwrap returns samsa.ErrRecordTooLarge.
func (e *RecordTooLargeError) Unwrap() error { return samsa.ErrRecordTooLarge }

// BufferExhaustedError reports an allocation that waited the whole max
// block time for buffer memory (Java's BufferExhaustedException). It matches
// samsa.ErrBufferFull with errors.Is.
type BufferExhaustedError struct {
	// Requested is the number of bytes asked for.
	Requested int
	// MaxBlock is how long the allocation was allowed to wait.
	MaxBlock time.Duration
	// TotalMemory is the pool's total memory (buffer memory).
	TotalMemory int
	// AvailableMemory is the memory that was free when the wait ended.
	AvailableMemory int
	// PoolableSize is the size of the pooled buffers (the batch size).
	PoolableSize int
}

func (e *BufferExhaustedError) Error() string {
	return fmt.Sprintf("samsa: failed to allocate %d bytes within the configured max blocking time %v. "+
		"Total memory: %d bytes. Available memory: %d bytes. Poolable size: %d bytes",
		e.Requested, e.MaxBlock, e.TotalMemory, e.AvailableMemory, e.PoolableSize)
}

// Unwrap returns samsa.ErrBufferFull.
func (e *BufferExhaustedError) Unwrap() error { return samsa.ErrBufferFull }

// DeliveryTimeoutError reports a batch that was not acknowledged within the
// delivery timeout (Java's "Expiring N record(s) for tp: X ms has passed
// since batch creation"). It matches samsa.ErrDeliveryTimeout with
// errors.Is. [ExpiryError] builds one for a batch.
type DeliveryTimeoutError struct {
	// Partition is the batch's partition.
	Partition samsa.TopicPartition
	// Records is the number of records in the batch.
	Records int
	// Elapsed is the time since the batch was created.
	Elapsed time.Duration
}

func (e *DeliveryTimeoutError) Error() string {
	return fmt.Sprintf("samsa: expiring %d record(s) for %s: %d ms has passed since batch creation",
		e.Records, e.Partition, e.Elapsed.Milliseconds())
}

// Unwrap returns samsa.ErrDeliveryTimeout.
func (e *DeliveryTimeoutError) Unwrap() error { return samsa.ErrDeliveryTimeout }

// ExpiryError returns the error a batch expired by
// [Accumulator.ExpiredBatches] (or expired while in flight) is completed
// with. It is safe to call from any goroutine that owns b.
func ExpiryError(b *Batch, now time.Time) *DeliveryTimeoutError {
	return &DeliveryTimeoutError{Partition: b.tp, Records: b.NumRecords(), Elapsed: now.Sub(b.createdAt)}
}
