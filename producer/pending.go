package producer

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/samsa-go/samsa/accumulator"
)

// pending is one accepted record waiting for its outcome: the
// accumulator.Completion the producer hands to Append. Pendings are
// recycled per producer (see pendingPool), so accepting a record allocates
// nothing in steady state.
type pending struct {
	c         *core
	cb        Callback
	keySize   int
	valueSize int
}

// OnComplete turns the accumulator's result into RecordMetadata, recycles
// the pending, and runs the interceptors' OnAcknowledgement and the user's
// callback, in that order. It runs on the goroutine completing the batch
// (the sender's), never under a lock.
func (pd *pending) OnComplete(r accumulator.RecordResult) {
	c, cb := pd.c, pd.cb
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
	*pd = pending{c: c}
	c.pend.freed = append(c.pend.freed, pd)
	if c.acker != nil {
		c.acker.OnAcknowledgement(md, r.Err)
	}
	if cb != nil {
		c.runCallback(cb, md, r.Err)
	}
}

// runCallback calls a user callback, recovering and logging a panic so
// that one bad callback cannot stop the sender or lose other records.
func (c *core) runCallback(cb Callback, md RecordMetadata, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("samsa: producer callback panicked", "topic", md.Topic, "partition", md.Partition,
				"offset", md.Offset, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	cb(md, err)
}

// pendingPool recycles pendings between the goroutines that call Send and
// the sender goroutine that completes them. A sync.Pool would hand them
// over one by one across processors, which costs more than the rest of an
// append; instead the completing side collects a whole pass's worth in
// freed (batches complete on one goroutine at a time: the sender's, or
// Close's after the sender stopped) and moves them to a shared list under
// one lock, and each Send takes a handful at once into its pooled
// sendScratch.
type pendingPool struct {
	freed []*pending // owned by whoever completes batches

	mu   sync.Mutex
	free []*pending
}

const (
	// pendingRefill is how many pendings a Send takes from the shared list
	// at once.
	pendingRefill = 64
	// maxFreePendings bounds the shared list; beyond it pendings are left
	// to the garbage collector.
	maxFreePendings = 1 << 16
)

// recycle moves the pendings freed since the last call to the shared list.
// It must run on the goroutine that completes batches.
func (pp *pendingPool) recycle() {
	if len(pp.freed) == 0 {
		return
	}
	pp.mu.Lock()
	room := maxFreePendings - len(pp.free)
	if room > 0 {
		pp.free = append(pp.free, pp.freed[:min(room, len(pp.freed))]...)
	}
	pp.mu.Unlock()
	clear(pp.freed)
	pp.freed = pp.freed[:0]
}

// get returns a pending for c, taking it from the stash of the calling
// Send's scratch, refilled from the shared list, or a new one.
func (pp *pendingPool) get(c *core, sc *sendScratch) *pending {
	if len(sc.pend) == 0 {
		pp.mu.Lock()
		n := min(len(pp.free), pendingRefill)
		if n > 0 {
			sc.pend = append(sc.pend, pp.free[len(pp.free)-n:]...)
			clear(pp.free[len(pp.free)-n:])
			pp.free = pp.free[:len(pp.free)-n]
		}
		pp.mu.Unlock()
		if n == 0 {
			return &pending{c: c}
		}
	}
	pd := sc.pend[len(sc.pend)-1]
	sc.pend[len(sc.pend)-1] = nil
	sc.pend = sc.pend[:len(sc.pend)-1]
	return pd
}
