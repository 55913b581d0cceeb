package saramacompat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/internal/clock"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// producerCore is what SyncProducer and AsyncProducer share: a samsa
// producer of raw bytes and the translation of sarama messages into its
// records, run for one message at a time.
type producerCore struct {
	// Read-only after construction, read by every goroutine.
	set  *producerSettings
	p    *producer.Producer[[]byte, []byte]
	life context.Context // cancelled by close, to end a send blocked on memory
	stop context.CancelFunc
	// acksNone: acknowledgements carry no offset (RequiredAcks NoResponse).
	acksNone bool

	// The sending side's fields, written for every message, on cache
	// lines of their own: samsa's sender reads acksNone in every completion.
	_ cacheLinePad
	// mu serializes send (sendAlone, with its one caller, needs it not):
	// the sarama partitioners (one per topic) must be called by one
	// goroutine at a time, and the message being partitioned travels to
	// them through set.part.cur.
	mu       sync.Mutex
	rec      producer.Record[[]byte, []byte] // reused under mu: Send keeps no reference to it
	clock    clock.Millis                    // create times of messages without a Timestamp
	carriers []carrier                       // unused carriers of the current slab (see carrier)
	waited   bool                            // a send waited for buffer memory: create times are stale
	// sink receives the outcomes of the messages sendAlone sends: the
	// AsyncProducer's results queue. Set before the first send.
	sink func(*sarama.ProducerMessage, outcome)
	// results is the queue behind sink, which plain successes go to
	// directly (results.pushOffset).
	results *results

	_ cacheLinePad
}

// cacheLinePad keeps the fields before and after it on different cache
// lines (two lines, as adjacent-line prefetchers pair them).
type cacheLinePad [128]byte

// outcome is what samsa reported for one message: its error, or where
// and, when the broker stamped it with its log append time, when it was
// written. apply writes it into the message as sarama does; the
// AsyncProducer applies outcomes in batches on its returner, so that the
// writes to messages last touched on another core overlap instead of
// stalling samsa's sender one by one.
type outcome struct {
	err       error
	offset    int64 // for msg.Offset, when setOffset
	appendMs  int64 // the log append time in Unix milliseconds, when logAppend
	setOffset bool
	logAppend bool
}

// apply fills in msg's Offset and Timestamp from a successful outcome.
func (o *outcome) apply(msg *sarama.ProducerMessage) {
	if o.err != nil {
		return
	}
	if o.setOffset {
		msg.Offset = o.offset
	}
	if o.logAppend {
		msg.Timestamp = time.UnixMilli(o.appendMs)
	}
}

// outcomeOf turns samsa's result for one message into its outcome: the
// offset, and the timestamp only if it is the broker's log append time,
// as sarama updates it only then. It runs on samsa's sender goroutine.
func (c *producerCore) outcomeOf(r accumulator.RecordResult) outcome {
	o := outcome{err: toSarama(r.Err)}
	if r.Err == nil {
		o.offset, o.setOffset = r.Offset, !c.acksNone
		if r.LogAppendTime {
			o.appendMs, o.logAppend = r.Timestamp, true
		}
	}
	return o
}

func newProducerCore(addrs []string, cfg *sarama.Config) (*producerCore, error) {
	set, err := producerConfig(addrs, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkBrokers(addrs, cfg); err != nil {
		return nil, err
	}
	p, err := producer.New(serde.Bytes(), serde.Bytes(), set.opts...)
	if err != nil {
		return nil, toConfigurationError(err)
	}
	life, stop := context.WithCancel(context.Background())
	return &producerCore{set: set, p: p, life: life, stop: stop, acksNone: set.acksNone}, nil
}

// toConfigurationError turns a samsa configuration error into sarama's
// kind, keeping samsa's error reachable through Unwrap.
func toConfigurationError(err error) error {
	var ce *samsa.ConfigError
	if errors.As(err, &ce) {
		return &Error{Sarama: sarama.ConfigurationError(ce.Error()), Cause: err}
	}
	return err
}

// maximumRecordOverhead is sarama's estimate of a record's framing in a
// record batch v2 (the maximum sizes of its varints and attributes), which
// it adds in ProducerMessage.ByteSize.
const maximumRecordOverhead = 5*binary.MaxVarintLen32 + binary.MaxVarintLen64 + 1

// send runs one message through sarama's dispatcher steps and hands it to
// samsa: the interceptors, the MaxMessageBytes check, the encoders, then
// samsa's Send (whose partitioner is the user's sarama partitioner).
// done runs exactly once with the message's outcome: on samsa's sender
// goroutine after an acknowledgement (it must not block), or on the
// caller's goroutine when the message fails before it reached samsa.
// Partition is filled in before done runs; done applies the outcome
// (Offset, Timestamp) to the message itself, when it suits it.
func (c *producerCore) send(msg *sarama.ProducerMessage, done func(msg *sarama.ProducerMessage, o outcome)) {
	c.mu.Lock()
	err := c.sendLocked(msg, done, -1)
	c.mu.Unlock()
	if err != nil {
		done(msg, outcome{err: err})
	}
}

// sendAlone is send for a producerCore that only one goroutine ever sends
// through, the AsyncProducer's worker: the order of its calls already
// serializes them, and it takes no lock. nowMs is the create time for a
// message without a Timestamp: the worker reads the clock once for the
// messages it took from the dispatcher together (they arrived within the
// same millisecond or so), and again after a send had to wait (see
// waited).
// Outcomes go to c.sink.
func (c *producerCore) sendAlone(msg *sarama.ProducerMessage, nowMs int64) {
	if err := c.sendLocked(msg, nil, nowMs); err != nil {
		c.sink(msg, outcome{err: err})
	}
}

// sendLocked is send under mu (or alone). nowMs is the create time of a
// message without a Timestamp, or -1 to read the clock. A nil done means
// c.sink.
func (c *producerCore) sendLocked(msg *sarama.ProducerMessage, done func(*sarama.ProducerMessage, outcome), nowMs int64) error {
	for _, ic := range c.set.interceptors {
		applyProducerInterceptor(ic, msg)
	}
	// sarama sizes a message twice, each time with one Length call per
	// key and value: its dispatcher checks MaxMessageBytes, then its
	// broker producer checks whether the message still fits the batch
	// (and once more when the partition already has messages waiting in
	// that batch). saramacompat makes the same first two calls, so that
	// encoders that count or cache see sarama's pattern; the second
	// result is not needed, as samsa's accumulator sizes batches itself.
	if size := byteSize(msg); size > c.set.maxMessage {
		return sarama.ConfigurationError(fmt.Sprintf(
			"Attempt to produce message larger than configured Producer.MaxMessageBytes: %d > %d", size, c.set.maxMessage))
	}
	_ = byteSize(msg)
	rec := &c.rec
	*rec = producer.Record[[]byte, []byte]{Topic: msg.Topic}
	var err error
	if msg.Key != nil {
		if rec.Key, err = msg.Key.Encode(); err != nil {
			return err
		}
	}
	if msg.Value != nil {
		if rec.Value, err = msg.Value.Encode(); err != nil {
			return err
		}
	}
	if len(msg.Headers) > 0 {
		rec.Headers = make([]samsa.Header, len(msg.Headers))
		for i, h := range msg.Headers {
			rec.Headers[i] = samsa.Header{Key: string(h.Key), Value: h.Value}
		}
	}
	if msg.Timestamp.IsZero() {
		if nowMs < 0 {
			nowMs = c.clock.Now()
		}
		rec.Timestamp = time.UnixMilli(nowMs)
	} else {
		rec.Timestamp = msg.Timestamp
	}

	var comp producer.Completer
	if done == nil {
		if len(c.carriers) == 0 {
			c.carriers = make([]carrier, carrierSlabSize)
		}
		k := &c.carriers[0]
		*k = carrier{msg: msg, c: c}
		comp = k
	} else {
		comp = &callCarrier{msg: msg, c: c, done: done}
	}
	part := c.set.part
	for {
		part.cur, part.err = msg, nil
		err = c.p.SendCompleter(c.life, rec, comp)
		perr := part.err
		part.cur, part.err = nil, nil
		switch {
		case err == nil:
			if done == nil {
				c.carriers = c.carriers[1:]
			}
			return nil
		case errors.Is(err, samsa.ErrBufferFull) && perr == nil && c.life.Err() == nil:
			// sarama's Input blocks while its buffers are full; samsa's
			// Send gives up after its max block time. Wait on.
			c.waited = true
			continue
		}
		if done == nil {
			c.carriers[0] = carrier{} // not handed out: reused by the next send, holding nothing meanwhile
		}
		if perr != nil {
			return perr // the sarama partitioner's own error
		}
		return toSarama(err)
	}
}

// carrier carries one message that the AsyncProducer's worker sent to its
// completion, where its outcome goes to the producerCore's sink: it is
// the producer.Completer given to SendCompleter, and an
// accumulator.Completion, which samsa's producer (having no interceptors
// of its own here) calls instead. Carriers are small and taken in order
// from slabs of carrierSlabSize, never reused: recycling them between the
// worker and samsa's sender, which completes them, would bring each back
// on a cache line the other core wrote last, while a fresh slab is memory
// the allocator just cleared on the worker's core, which the sender then
// reads in address order, four carriers to a cache line. A slab is
// garbage once every message in it completed.
type carrier struct {
	msg *sarama.ProducerMessage
	c   *producerCore
}

// carrierSlabSize is how many carriers one allocation provides.
const carrierSlabSize = 256

// OnComplete implements accumulator.Completion.
func (k *carrier) OnComplete(r accumulator.RecordResult) {
	c, msg := k.c, k.msg
	k.msg = nil // the slab may live on as the worker's current one
	if r.Err == nil && !r.LogAppendTime {
		c.results.pushOffset(msg, r.Offset)
		return
	}
	c.sink(msg, c.outcomeOf(r))
}

// OnCompletion implements producer.Completer, for a samsa producer with
// interceptors, which saramacompat never builds: RecordMetadata does not
// tell a log append time from the create time, so Timestamp is left alone.
func (k *carrier) OnCompletion(md producer.RecordMetadata, err error) {
	msg := k.msg
	k.msg = nil
	k.c.sink(msg, k.c.outcomeOf(accumulator.RecordResult{Offset: md.Offset, Err: err}))
}

// callCarrier is a carrier with its own done function: a SyncProducer
// call's.
type callCarrier struct {
	msg  *sarama.ProducerMessage
	c    *producerCore
	done func(*sarama.ProducerMessage, outcome)
}

// OnComplete implements accumulator.Completion.
func (k *callCarrier) OnComplete(r accumulator.RecordResult) { k.done(k.msg, k.c.outcomeOf(r)) }

// OnCompletion implements producer.Completer; see carrier.OnCompletion.
func (k *callCarrier) OnCompletion(md producer.RecordMetadata, err error) {
	k.done(k.msg, k.c.outcomeOf(accumulator.RecordResult{Offset: md.Offset, Err: err}))
}

// byteSize is sarama's ProducerMessage.ByteSize for record batch v2.
func byteSize(msg *sarama.ProducerMessage) int {
	size := maximumRecordOverhead
	for _, h := range msg.Headers {
		size += len(h.Key) + len(h.Value) + 2*binary.MaxVarintLen32
	}
	if msg.Key != nil {
		size += msg.Key.Length()
	}
	if msg.Value != nil {
		size += msg.Value.Length()
	}
	return size
}

// applyProducerInterceptor runs one interceptor as sarama does: a panic is
// recovered and logged, and the message goes on.
func applyProducerInterceptor(ic sarama.ProducerInterceptor, msg *sarama.ProducerMessage) {
	defer func() {
		if r := recover(); r != nil {
			sarama.Logger.Printf("saramacompat: producer interceptor %T panicked: %v", ic, r)
		}
	}()
	ic.OnSend(msg)
}

// close delivers everything accepted and stops the samsa producer.
func (c *producerCore) close() error {
	err := c.p.Close(context.Background())
	c.stop()
	return err
}
