package producer

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/samsa-go/samsa/accumulator"
)

// pending is one accepted record waiting for its outcome: the
// accumulator.Completion the producer hands to Append. Pendings are pooled
// per producer, so accepting a record allocates nothing in steady state.
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
	c.pendings.Put(pd)
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
