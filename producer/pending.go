package producer

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/samsa-go/samsa/accumulator"
)

// pending is one accepted record waiting for its outcome: the
// accumulator.Completion the producer hands to Append. Pendings are carved
// out of slabs (see pendingSlab), so accepting a record allocates once per
// slab, not per record.
type pending struct {
	c         *core
	cb        Callback
	comp      Completer
	keySize   int
	valueSize int
}

// OnComplete turns the accumulator's result into RecordMetadata and runs
// the interceptors' OnAcknowledgement and the user's callback (or
// Completer), in that order. It runs on the goroutine completing the batch
// (the sender's), never under a lock.
func (pd *pending) OnComplete(r accumulator.RecordResult) {
	c := pd.c
	md := RecordMetadata{
		Topic:               r.Partition.Topic,
		Partition:           r.Partition.Partition,
		Offset:              r.Offset,
		SerializedKeySize:   pd.keySize,
		SerializedValueSize: pd.valueSize,
	}
	if r.Timestamp >= 0 {
		md.Timestamp = time.UnixMilli(r.Timestamp)
	}
	cb, comp := pd.cb, pd.comp
	// Drop the references, so that the slab, which may live on in a
	// Send's scratch, does not keep the callbacks' captures alive.
	pd.cb, pd.comp = nil, nil
	if c.acker != nil {
		c.acker.OnAcknowledgement(md, r.Err)
	}
	switch {
	case cb != nil:
		c.runCallback(cb, nil, md, r.Err)
	case comp != nil:
		c.runCallback(nil, comp, md, r.Err)
	}
}

// runCallback calls a user callback (cb, or else comp), recovering and
// logging a panic so that one bad callback cannot stop the sender or lose
// other records.
func (c *core) runCallback(cb Callback, comp Completer, md RecordMetadata, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("samsa: producer callback panicked", "topic", md.Topic, "partition", md.Partition,
				"offset", md.Offset, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	if cb != nil {
		cb(md, err)
		return
	}
	comp.OnCompletion(md, err)
}

// pendingSlabSize is how many pendings one allocation provides.
const pendingSlabSize = 128

// pendingSlab hands out the pendings of one Send scratch (so of one
// goroutine at a time) from a fresh array, taken in order and never
// reused. Recycling pendings between the sender, which completes them,
// and the goroutines calling Send cost a cache miss per record: a recycled
// pending comes back on a cache line the other core wrote last. Fresh
// ones come out of memory the allocator just cleared on the calling core,
// in address order, which the sender then reads in the same order. An
// array is garbage once every record in it completed (the accumulator drops
// its references when a batch completes).
type pendingSlab struct {
	free []pending
}

// get returns an unused pending for c.
func (s *pendingSlab) get(c *core) *pending {
	if len(s.free) == 0 {
		s.free = make([]pending, pendingSlabSize)
	}
	pd := &s.free[0]
	s.free = s.free[1:]
	pd.c = c
	return pd
}
