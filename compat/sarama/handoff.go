package saramacompat

import (
	"sync/atomic"

	"github.com/IBM/sarama"
)

// handoff is the bounded queue between the AsyncProducer's dispatcher,
// which reads Input, and its worker, which runs each message through
// producerCore.send (interceptors, encoders, the sarama partitioner,
// samsa's Send). It plays the part of sarama's internal channels of
// ChannelBufferSize messages between its dispatcher, its topic and
// partition producers and its broker producers, which together hold a
// few thousand messages for a topic of a dozen partitions; its limit is
// of that order (handoffLimit). One difference matters on few cores: the
// two sides wake each other once per batch, not once per message. The
// worker takes everything queued at once; the dispatcher, when the queue
// is full, waits until the worker has taken it.
//
// One goroutine puts (the dispatcher), one takes (the worker); both may
// block, and close ends the worker once the queue is empty.
//
// The queue is a ring of single-writer indexes, so that a put, on the
// dispatcher that the goroutine writing to Input waits for, costs one
// atomic store and one load: no lock. Waiting uses a flag and a channel
// of one token per side. A side about to wait sets its flag and then
// looks at the other side's index again; the other side moves its index
// and then looks at the flag. As Go's atomics are sequentially
// consistent, at least one of them sees the other's write: either the
// waiter sees the change and does not wait, or the mover sees the flag.
// Whichever clears the flag (a CompareAndSwap, so only one does) owns the
// wake-up: the mover sends the token, or the waiter, having cleared its
// own flag, does not wait; a waiter that loses the race takes the token
// the mover sends.
type handoff struct {
	ring  []*sarama.ProducerMessage // len a power of two, at least limit
	mask  uint64
	limit uint64
	wake  chan struct{}             // to the worker: messages queued, or closed
	room  chan struct{}             // to the dispatcher: messages taken
	spare []*sarama.ProducerMessage // the worker's batch, reused

	_           cacheLinePad
	tail        atomic.Uint64 // next slot to put; written by the dispatcher
	putterWaits atomic.Bool   // the dispatcher waits on room
	_           cacheLinePad
	head        atomic.Uint64 // next slot to take; written by the worker
	takerWaits  atomic.Bool   // the worker waits on wake
	_           cacheLinePad
	closed      atomic.Bool
}

// handoffLimit is the capacity of an AsyncProducer's handoff for a
// ChannelBufferSize of channelBuffer. A queue of only ChannelBufferSize
// fills whenever the worker waits for a processor behind the goroutines
// writing to Input, and then stops them too.
func handoffLimit(channelBuffer int) int { return max(channelBuffer*16, 4096) }

func (h *handoff) init(limit int) {
	limit = max(limit, 1)
	size := 1
	for size < limit {
		size <<= 1
	}
	h.ring = make([]*sarama.ProducerMessage, size)
	h.mask = uint64(size - 1)
	h.limit = uint64(limit)
	h.spare = make([]*sarama.ProducerMessage, 0, limit)
	h.wake = make(chan struct{}, 1)
	h.room = make(chan struct{}, 1)
}

// put queues msg, first waiting while the queue is full.
func (h *handoff) put(msg *sarama.ProducerMessage) {
	t := h.tail.Load() // only put writes tail
	for t-h.head.Load() >= h.limit {
		h.putterWaits.Store(true)
		if t-h.head.Load() < h.limit {
			if !h.putterWaits.CompareAndSwap(true, false) {
				<-h.room // take loses no token: it sent one
			}
			break
		}
		<-h.room
	}
	h.ring[t&h.mask] = msg
	h.tail.Store(t + 1)
	if h.takerWaits.Load() && h.takerWaits.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}

// take waits for queued messages and returns them all, in the order they
// were put; ok is false once the queue is closed and empty. The batch is
// the worker's until its next take.
func (h *handoff) take() (batch []*sarama.ProducerMessage, ok bool) {
	hd := h.head.Load() // only take writes head
	t := h.tail.Load()
	for t == hd {
		if h.closed.Load() {
			// t may predate the close: a put followed by close can
			// land between the load of tail and this one. Every put
			// precedes close, so tail read now is final.
			if t = h.tail.Load(); t == hd {
				return nil, false
			}
			break
		}
		h.takerWaits.Store(true)
		if t = h.tail.Load(); t != hd || h.closed.Load() {
			if !h.takerWaits.CompareAndSwap(true, false) {
				<-h.wake // put or close sent one
			}
			t = h.tail.Load()
			continue
		}
		<-h.wake
		t = h.tail.Load()
	}
	batch = h.spare[:0]
	for i := hd; i != t; i++ {
		slot := &h.ring[i&h.mask]
		batch = append(batch, *slot)
		*slot = nil
	}
	h.spare = batch
	h.head.Store(t)
	if h.putterWaits.Load() && h.putterWaits.CompareAndSwap(true, false) {
		h.room <- struct{}{}
	}
	return batch, true
}

// close lets take return false once the queue is empty; put must not be
// called after it.
func (h *handoff) close() {
	h.closed.Store(true)
	if h.takerWaits.Load() && h.takerWaits.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}
