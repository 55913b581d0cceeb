package saramacompat

import (
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
)

// result is one produced message and its outcome, not yet applied to it.
// A success with nothing to report but its offset, by far the most
// common outcome, has no outcome of its own: the entry stays three words,
// which the sender writes and the returner reads for every message.
type result struct {
	msg    *sarama.ProducerMessage
	offset int64    // the offset of a success without out
	out    *outcome // nil for a success that has only an offset
}

// results is the queue between samsa's sender goroutine, whose callbacks
// must not block, and the returner goroutine, which blocks on the
// application's reading of Successes and Errors. It also counts the
// messages accepted and not yet returned, for the shutdown, and bounds the
// queue: waitRoom blocks the dispatcher while limit results wait for the
// application, the back-pressure sarama's unbuffered channels give.
//
// The per-message calls touch few shared cache lines: push (on samsa's
// sender) takes the mutex to append, and writes nothing into the message
// itself (the returner applies the outcomes, a batch at a time); waitRoom
// (on the dispatcher) reads full, which changes only when the queue
// crosses its limit. pending, on a line of its own, is written once per
// batch: by the worker (admitted) and by the returner (done).
// Waiters (a full queue, waitIdle) are woken under the mutex after the
// state they wait on changed, so no wake-up is lost.
type results struct {
	mu      sync.Mutex
	cond    sync.Cond // signalled when the queue shrinks or pending reaches 0
	q       []result
	spare   []result
	limit   int
	waiters int // goroutines in cond.Wait, under mu
	closed  bool
	wake    chan struct{}

	_       [64]byte
	full    atomic.Bool // len(q) >= limit
	_       [64]byte
	pending atomic.Int64 // accepted and not yet returned
	_       [64]byte
}

func (r *results) init(limit int) {
	r.cond.L = &r.mu
	r.limit = limit
	r.wake = make(chan struct{}, 1)
}

// waitRoom waits while the queue is full: the dispatcher calls it before
// it accepts a message.
func (r *results) waitRoom() {
	if r.full.Load() {
		r.mu.Lock()
		for len(r.q) >= r.limit {
			r.waiters++
			r.cond.Wait()
			r.waiters--
		}
		r.mu.Unlock()
	}
}

// admitted counts n more accepted messages, before any of them can
// complete: the worker calls it once per batch it takes.
func (r *results) admitted(n int) {
	if n > 0 {
		r.pending.Add(int64(n))
	}
}

// hold counts one more pending slot without waiting for space.
func (r *results) hold() { r.pending.Add(1) }

// push queues one outcome. It never blocks; it is the producerCore's sink,
// which sendAlone and the carriers hand outcomes to.
func (r *results) push(msg *sarama.ProducerMessage, o outcome) {
	r.add(result{msg: msg, out: &o})
}

// pushOffset queues a success whose outcome is only its offset (ignored
// under RequiredAcks NoResponse). It never blocks.
func (r *results) pushOffset(msg *sarama.ProducerMessage, offset int64) {
	r.add(result{msg: msg, offset: offset})
}

func (r *results) add(res result) {
	r.mu.Lock()
	r.q = append(r.q, res)
	first := len(r.q) == 1
	if len(r.q) == r.limit {
		r.full.Store(true)
	}
	r.mu.Unlock()
	if first {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// take waits for queued results and returns them all; ok is false once the
// queue is closed and empty.
func (r *results) take() (batch []result, ok bool) {
	for {
		r.mu.Lock()
		if len(r.q) > 0 {
			batch, r.q, r.spare = r.q, r.spare[:0], nil
			if len(batch) >= r.limit {
				r.full.Store(false)
			}
			if r.waiters > 0 {
				r.cond.Broadcast()
			}
			r.mu.Unlock()
			return batch, true
		}
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return nil, false
		}
		<-r.wake
	}
}

// recycle gives a batch returned by take back for reuse.
func (r *results) recycle(batch []result) {
	clear(batch)
	r.mu.Lock()
	if r.spare == nil {
		r.spare = batch[:0]
	}
	r.mu.Unlock()
}

// done marks n pending messages as returned.
func (r *results) done(n int) {
	if r.pending.Add(int64(-n)) == 0 {
		r.mu.Lock()
		if r.waiters > 0 {
			r.cond.Broadcast()
		}
		r.mu.Unlock()
	}
}

// waitIdle waits until every pending message was returned.
func (r *results) waitIdle() {
	r.mu.Lock()
	for r.pending.Load() > 0 {
		r.waiters++
		r.cond.Wait()
		r.waiters--
	}
	r.mu.Unlock()
}

// close makes take return false once the queue is empty.
func (r *results) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
