package accumulator

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
)

// BufferPool accounts for the memory the producer may hold in record
// batches (Java's buffer.memory) and recycles batch buffers.
//
// Buffers of exactly the poolable size (the batch size) are kept on a free
// list and handed out again, so a producer in steady state allocates no
// batch memory at all; other sizes are allocated on demand and only counted.
// When the memory is used up, Allocate blocks: waiters are served strictly
// in arrival order, the first waiter gathering memory as it is freed until
// it has enough, so a large request is not starved by a stream of small
// ones and a newcomer never overtakes a waiter.
//
// A BufferPool is safe for concurrent use. It owns no goroutines.
type BufferPool struct {
	total    int
	poolable int

	mu        sync.Mutex
	free      [][]byte // pooled buffers, each with cap == poolable
	nonPooled int      // free memory that is not on the free list
	waiters   []*waiter
	closed    bool

	queued atomic.Int32 // len(waiters), readable without the lock
}

// waiter is one blocked Allocate. Only the first waiter is ever signalled,
// which is what makes the pool FIFO.
type waiter struct {
	wake chan struct{} // capacity 1: a signal is never lost and never blocks
}

// NewBufferPool returns a pool of totalMemory bytes whose free list holds
// buffers of poolableSize bytes (Java's buffer.memory and batch.size,
// defaults 32 MiB and 16 KiB). totalMemory must be positive and
// poolableSize must be in [0, totalMemory]; 0 disables the free list.
// Invalid sizes return a *samsa.ConfigError.
func NewBufferPool(totalMemory, poolableSize int) (*BufferPool, error) {
	if totalMemory <= 0 {
		return nil, &samsa.ConfigError{Option: "buffer memory", Value: totalMemory, Reason: "must be positive"}
	}
	if poolableSize < 0 || poolableSize > totalMemory {
		return nil, &samsa.ConfigError{Option: "batch size", Value: poolableSize,
			Reason: fmt.Sprintf("must be between 0 and the buffer memory (%d bytes)", totalMemory)}
	}
	return &BufferPool{total: totalMemory, poolable: poolableSize, nonPooled: totalMemory}, nil
}

// TotalMemory returns the memory the pool manages, in bytes.
func (p *BufferPool) TotalMemory() int { return p.total }

// PoolableSize returns the size of the buffers the pool recycles.
func (p *BufferPool) PoolableSize() int { return p.poolable }

// AvailableMemory returns the memory not handed out: free-listed buffers
// plus unallocated memory.
func (p *BufferPool) AvailableMemory() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.availableLocked()
}

// Queued returns the number of Allocate calls blocked waiting for memory.
// The accumulator treats a non-zero value as "exhausted": every batch
// becomes sendable so that memory is freed. It takes no lock.
func (p *BufferPool) Queued() int { return int(p.queued.Load()) }

func (p *BufferPool) availableLocked() int { return p.nonPooled + len(p.free)*p.poolable }

// Allocate returns a buffer with length 0 and capacity size, taken from the
// free list when size is the poolable size and a pooled buffer is free.
//
// When not enough memory is free it blocks until enough is deallocated,
// and fails:
//   - at once with a *RecordTooLargeError (matching samsa.ErrRecordTooLarge)
//     if size exceeds the total memory, since waiting could never help;
//   - with a *BufferExhaustedError (matching samsa.ErrBufferFull) once
//     maxBlock has passed; maxBlock <= 0 means "do not wait";
//   - with an error wrapping ctx.Err() when ctx ends first;
//   - with an error wrapping samsa.ErrClosed if the pool is or gets closed.
//
// Memory gathered while waiting is given back on failure. The buffer must
// be given back with Deallocate, with its capacity unchanged.
func (p *BufferPool) Allocate(ctx context.Context, size int, maxBlock time.Duration) ([]byte, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: %d bytes requested", ErrInvalidSize, size)
	}
	if size > p.total {
		return nil, &RecordTooLargeError{Size: size, Limit: p.total, Reason: "total buffer memory"}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosedAllocate
	}
	// Newcomers queue behind existing waiters rather than take memory the
	// first waiter is gathering.
	if len(p.waiters) == 0 {
		if size == p.poolable && len(p.free) > 0 {
			buf := p.popFree()
			p.mu.Unlock()
			return buf, nil
		}
		if p.availableLocked() >= size {
			p.freeUp(size)
			p.nonPooled -= size
			p.mu.Unlock()
			return make([]byte, 0, size), nil
		}
	}
	if maxBlock <= 0 {
		err := p.exhausted(size, maxBlock)
		p.mu.Unlock()
		return nil, err
	}
	return p.wait(ctx, size, maxBlock)
}

// wait is the blocking half of Allocate. It is entered with p.mu held and
// returns with it released.
func (p *BufferPool) wait(ctx context.Context, size int, maxBlock time.Duration) ([]byte, error) {
	w := &waiter{wake: make(chan struct{}, 1)}
	p.waiters = append(p.waiters, w)
	p.queued.Add(1)
	// The memory may already be there for the first waiter (a waiter ahead
	// of us may just have given up).
	p.signalFirst()
	timer := time.NewTimer(maxBlock)
	defer timer.Stop()

	var buf []byte
	accumulated := 0
	for accumulated < size {
		p.mu.Unlock()
		var failure error
		timedOut := false
		select {
		case <-w.wake:
		case <-ctx.Done():
			failure = fmt.Errorf("samsa: gave up waiting for %d bytes of buffer memory: %w", size, ctx.Err())
		case <-timer.C:
			timedOut = true
		}
		p.mu.Lock()
		switch {
		case p.closed:
			failure = errClosedAllocate
		case timedOut:
			failure = p.exhausted(size, maxBlock)
		}
		if failure != nil {
			// Give back what was gathered; the next waiter may use it.
			p.nonPooled += accumulated
			p.removeWaiter(w)
			p.signalFirst()
			p.mu.Unlock()
			return nil, failure
		}
		if accumulated == 0 && size == p.poolable && len(p.free) > 0 {
			buf = p.popFree()
			accumulated = size
		} else {
			p.freeUp(size - accumulated)
			got := min(size-accumulated, p.nonPooled)
			p.nonPooled -= got
			accumulated += got
		}
	}
	p.removeWaiter(w)
	// Whatever is left over belongs to the next waiter.
	p.signalFirst()
	p.mu.Unlock()
	if buf == nil {
		buf = make([]byte, 0, size)
	}
	return buf, nil
}

// exhausted builds the error for a wait that ran out of time. p.mu is held.
func (p *BufferPool) exhausted(size int, maxBlock time.Duration) error {
	return &BufferExhaustedError{Requested: size, MaxBlock: maxBlock, TotalMemory: p.total,
		AvailableMemory: p.availableLocked(), PoolableSize: p.poolable}
}

// Deallocate gives back a buffer returned by Allocate. A buffer of the
// poolable size goes back on the free list; any other size is returned to
// the unallocated memory and left to the garbage collector. The first
// waiter, if any, is woken. The caller must not use buf afterwards.
//
// Deallocate never lets the accounted memory exceed the total: a buffer
// that would (one given back twice, or one that did not come from this
// pool) is dropped. It is safe to call after Close.
func (p *BufferPool) Deallocate(buf []byte) {
	size := cap(buf)
	if size == 0 {
		return
	}
	p.mu.Lock()
	if p.availableLocked()+size <= p.total {
		if size == p.poolable {
			p.free = append(p.free, buf[:0])
		} else {
			p.nonPooled += size
		}
		p.signalFirst()
	}
	p.mu.Unlock()
}

// Close makes every blocked and future Allocate fail with an error wrapping
// samsa.ErrClosed. Deallocate keeps working. Close is idempotent.
func (p *BufferPool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, w := range p.waiters {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// popFree takes the most recently freed pooled buffer (still warm in the
// cache). p.mu is held.
func (p *BufferPool) popFree() []byte {
	n := len(p.free) - 1
	buf := p.free[n]
	p.free[n] = nil
	p.free = p.free[:n]
	return buf
}

// freeUp releases pooled buffers into the unallocated memory until size
// bytes of it are free or the free list is empty. p.mu is held.
func (p *BufferPool) freeUp(size int) {
	for p.nonPooled < size && len(p.free) > 0 {
		p.popFree()
		p.nonPooled += p.poolable
	}
}

// signalFirst wakes the first waiter if there is memory for it to take.
// p.mu is held.
func (p *BufferPool) signalFirst() {
	if len(p.waiters) == 0 || p.availableLocked() == 0 {
		return
	}
	select {
	case p.waiters[0].wake <- struct{}{}:
	default: // already signalled
	}
}

func (p *BufferPool) removeWaiter(w *waiter) {
	if i := slices.Index(p.waiters, w); i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
		p.queued.Add(-1)
	}
}
