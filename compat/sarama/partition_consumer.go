package saramacompat

import (
	"sync/atomic"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
)

// partitionConsumer is sarama.PartitionConsumer: one partition of a
// saramaConsumer, delivered by a feed.
type partitionConsumer struct {
	parent *saramaConsumer
	tp     samsa.TopicPartition
	f      *feed
	done   chan struct{} // the feed's done: channels closed, partition unassigned

	hwm    atomic.Int64
	paused atomic.Bool // paused by the application
}

func newPartitionConsumer(c *saramaConsumer, tp samsa.TopicPartition, start, hwm int64) *partitionConsumer {
	pc := &partitionConsumer{parent: c, tp: tp}
	pc.f = newFeed(c.set.channelBuffer, c.set.returnErrors, c.set.interceptors,
		func() { c.pause(tp) },
		func() {
			if !pc.paused.Load() {
				c.resume(tp)
			}
		})
	pc.done = pc.f.done
	pc.hwm.Store(max(hwm, start))
	return pc
}

// start launches the feeder goroutine, owned by the partition consumer
// (AsyncClose stops it, Close and the parent's Close wait for it).
func (pc *partitionConsumer) start() {
	go pc.f.run(func() { pc.parent.remove(pc) })
}

// enqueue hands the partition's next records to the feeder; a nil
// partitionConsumer (a partition closed meanwhile) drops them.
func (pc *partitionConsumer) enqueue(msgs []*sarama.ConsumerMessage) {
	if pc == nil {
		return
	}
	items := make([]feedItem, len(msgs))
	for i, m := range msgs {
		items[i] = feedItem{msg: m}
	}
	if n := len(msgs); n > 0 {
		pc.raiseHighWaterMark(msgs[n-1].Offset + 1)
	}
	pc.f.push(items...)
}

// sendError queues an error for Errors (or the log, without
// Consumer.Return.Errors).
func (pc *partitionConsumer) sendError(err error) {
	pc.f.push(feedItem{err: &sarama.ConsumerError{Topic: pc.tp.Topic, Partition: pc.tp.Partition, Err: err}})
}

func (pc *partitionConsumer) raiseHighWaterMark(v int64) {
	for {
		cur := pc.hwm.Load()
		if v <= cur || pc.hwm.CompareAndSwap(cur, v) {
			return
		}
	}
}

// Messages returns the channel of the partition's messages, buffered to
// ChannelBufferSize.
func (pc *partitionConsumer) Messages() <-chan *sarama.ConsumerMessage { return pc.f.messages }

// Errors returns the channel of the partition's errors, buffered to
// ChannelBufferSize; without Consumer.Return.Errors nothing is sent on it
// (errors are logged) and it only closes with the partition consumer.
func (pc *partitionConsumer) Errors() <-chan *sarama.ConsumerError { return pc.f.errors }

// HighWaterMarkOffset returns the partition's high watermark as last seen:
// the offset the next produced message will get.
func (pc *partitionConsumer) HighWaterMarkOffset() int64 { return pc.hwm.Load() }

// Pause stops fetching the partition until Resume; messages already
// fetched are still delivered.
func (pc *partitionConsumer) Pause() {
	pc.paused.Store(true)
	pc.parent.pause(pc.tp)
}

// Resume undoes Pause.
func (pc *partitionConsumer) Resume() {
	pc.paused.Store(false)
	pc.f.mu.Lock()
	flow := pc.f.flowPaused
	pc.f.mu.Unlock()
	if !flow {
		pc.parent.resume(pc.tp)
	}
}

// IsPaused reports whether Pause was called without Resume.
func (pc *partitionConsumer) IsPaused() bool { return pc.paused.Load() }

// AsyncClose stops the partition consumer; Messages and Errors close once
// it has stopped. Idempotent.
func (pc *partitionConsumer) AsyncClose() { pc.f.close() }

// Close stops the partition consumer and returns the errors it had not
// delivered yet, as sarama.ConsumerErrors (nil if none).
func (pc *partitionConsumer) Close() error {
	pc.AsyncClose()
	var errs sarama.ConsumerErrors
	for e := range pc.f.errors {
		errs = append(errs, e)
	}
	<-pc.done
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// toConsumerMessage converts a samsa record into sarama's message. Key,
// Value and header values alias the fetched data, which samsa never
// reuses.
func toConsumerMessage(r *consumer.Record[[]byte, []byte]) *sarama.ConsumerMessage {
	m := &sarama.ConsumerMessage{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Key:       r.Key,
		Value:     r.Value,
		Timestamp: r.Timestamp,
	}
	if len(r.Headers) > 0 {
		hs := make([]sarama.RecordHeader, len(r.Headers))
		m.Headers = make([]*sarama.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value}
			m.Headers[i] = &hs[i]
		}
	}
	return m
}
