package saramacompat

import (
	"sync"

	"github.com/IBM/sarama"
)

// result is the outcome of one produced message.
type result struct {
	msg *sarama.ProducerMessage
	err error
}

// results is the queue between samsa's sender goroutine, whose callbacks
// must not block, and the returner goroutine, which blocks on the
// application's reading of Successes and Errors. It also counts the
// messages accepted and not yet returned, for the shutdown, and bounds the
// queue: admit blocks the dispatcher while limit results wait for the
// application, the back-pressure sarama's unbuffered channels give.
type results struct {
	mu      sync.Mutex
	space   sync.Cond // signalled when the queue shrinks or the count falls
	q       []result
	spare   []result
	limit   int
	pending int // accepted and not yet returned
	closed  bool
	wake    chan struct{}
}

func (r *results) init(limit int) {
	r.space.L = &r.mu
	r.limit = limit
	r.wake = make(chan struct{}, 1)
}

// admit counts one more accepted message, first waiting while the queue is
// full.
func (r *results) admit() {
	r.mu.Lock()
	for len(r.q) >= r.limit {
		r.space.Wait()
	}
	r.pending++
	r.mu.Unlock()
}

// hold counts one more pending slot without waiting for space.
func (r *results) hold() {
	r.mu.Lock()
	r.pending++
	r.mu.Unlock()
}

// push queues one outcome. It never blocks; it is the done function given
// to producerCore.send.
func (r *results) push(msg *sarama.ProducerMessage, err error) {
	r.mu.Lock()
	r.q = append(r.q, result{msg: msg, err: err})
	first := len(r.q) == 1
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
			r.space.Broadcast()
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

// done marks one pending message as returned.
func (r *results) done() {
	r.mu.Lock()
	r.pending--
	if r.pending == 0 {
		r.space.Broadcast()
	}
	r.mu.Unlock()
}

// waitIdle waits until every pending message was returned.
func (r *results) waitIdle() {
	r.mu.Lock()
	for r.pending > 0 {
		r.space.Wait()
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
