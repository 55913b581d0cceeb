package saramacompat

import (
	"sync"

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
type handoff struct {
	mu          sync.Mutex
	q           []*sarama.ProducerMessage
	spare       []*sarama.ProducerMessage
	limit       int
	closed      bool
	takerWaits  bool          // the worker waits on wake
	putterWaits bool          // the dispatcher waits on room
	wake        chan struct{} // to the worker: messages queued, or closed
	room        chan struct{} // to the dispatcher: the queue was taken
}

// handoffLimit is the capacity of an AsyncProducer's handoff for a
// ChannelBufferSize of channelBuffer. A queue of only ChannelBufferSize
// fills whenever the worker waits for a processor behind the goroutines
// writing to Input, and then stops them too.
func handoffLimit(channelBuffer int) int { return max(channelBuffer*16, 4096) }

func (h *handoff) init(limit int) {
	h.limit = max(limit, 1)
	h.q = make([]*sarama.ProducerMessage, 0, h.limit)
	h.spare = make([]*sarama.ProducerMessage, 0, h.limit)
	h.wake = make(chan struct{}, 1)
	h.room = make(chan struct{}, 1)
}

// put queues msg, first waiting while the queue is full.
func (h *handoff) put(msg *sarama.ProducerMessage) {
	h.mu.Lock()
	for len(h.q) >= h.limit {
		h.putterWaits = true
		h.mu.Unlock()
		<-h.room
		h.mu.Lock()
	}
	h.q = append(h.q, msg)
	wake := h.takerWaits
	h.takerWaits = false
	h.mu.Unlock()
	if wake {
		h.wake <- struct{}{}
	}
}

// take waits for queued messages and returns them all, in the order they
// were put; ok is false once the queue is closed and empty. The batch is
// the worker's until its next take.
func (h *handoff) take() (batch []*sarama.ProducerMessage, ok bool) {
	h.mu.Lock()
	for len(h.q) == 0 {
		if h.closed {
			h.mu.Unlock()
			return nil, false
		}
		h.takerWaits = true
		h.mu.Unlock()
		<-h.wake
		h.mu.Lock()
	}
	batch, h.q = h.q, h.spare[:0]
	h.spare = batch
	room := h.putterWaits
	h.putterWaits = false
	h.mu.Unlock()
	if room {
		h.room <- struct{}{}
	}
	return batch, true
}

// close lets take return false once the queue is empty; put must not be
// called after it.
func (h *handoff) close() {
	h.mu.Lock()
	h.closed = true
	wake := h.takerWaits
	h.takerWaits = false
	h.mu.Unlock()
	if wake {
		h.wake <- struct{}{}
	}
}
