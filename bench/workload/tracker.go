package workload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// AckTracker counts the settled records of one produce run and notes the
// moment the last one settles. Ack is safe for concurrent use, so it can be
// called from any client's delivery callbacks, channels or promises.
type AckTracker struct {
	total   int64
	start   time.Time
	settled atomic.Int64
	failed  atomic.Int64
	done    chan struct{}
	end     time.Time // written once before done is closed

	mu       sync.Mutex
	firstErr error
	overflow int64
}

// NewAckTracker returns a tracker waiting for total records and starts its
// timer.
func NewAckTracker(total int64) *AckTracker {
	return &AckTracker{total: total, start: time.Now(), done: make(chan struct{})}
}

// Restart resets the timer to now; call it right before the first send, so
// client set-up before it is not timed.
func (t *AckTracker) Restart() { t.start = time.Now() }

// Ack settles n records; a non-nil err marks them failed. The call that
// settles the last record stops the timer and closes Done.
func (t *AckTracker) Ack(n int64, err error) {
	if err != nil {
		t.failed.Add(n)
		t.mu.Lock()
		if t.firstErr == nil {
			t.firstErr = err
		}
		t.mu.Unlock()
	}
	after := t.settled.Add(n)
	before := after - n
	switch {
	case before < t.total && after >= t.total:
		t.end = time.Now()
		if after > t.total {
			t.noteOverflow(after - t.total)
		}
		close(t.done)
	case before >= t.total:
		t.noteOverflow(n)
	}
}

func (t *AckTracker) noteOverflow(n int64) {
	t.mu.Lock()
	t.overflow += n
	t.mu.Unlock()
}

// Done is closed once every record is settled.
func (t *AckTracker) Done() <-chan struct{} { return t.done }

// Wait blocks until every record is settled or ctx ends, and returns the
// run's Result for a client and mode. It fails when ctx ended first, when
// any record failed, or when more acknowledgements arrived than records
// were sent.
func (t *AckTracker) Wait(ctx context.Context, client string, recordBytes int) (Result, error) {
	select {
	case <-t.done:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("workload: %s: %d of %d records settled: %w", client, t.settled.Load(), t.total, ctx.Err())
	}
	t.mu.Lock()
	firstErr, overflow := t.firstErr, t.overflow
	t.mu.Unlock()
	if failed := t.failed.Load(); failed > 0 {
		return Result{}, fmt.Errorf("workload: %s: %d of %d records failed, the first with: %w", client, failed, t.total, firstErr)
	}
	if overflow > 0 {
		return Result{}, fmt.Errorf("workload: %s: %d acknowledgements more than the %d records sent", client, overflow, t.total)
	}
	return Result{
		Client:  client,
		Mode:    ModeProduce,
		Records: t.total,
		Bytes:   t.total * int64(recordBytes),
		Elapsed: t.end.Sub(t.start),
	}, nil
}
