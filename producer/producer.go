package producer

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/rcrowley/go-metrics"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/interceptor"
	"github.com/samsa-go/samsa/internal/clock"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/partitioner"
	"github.com/samsa-go/samsa/serde"
)

// Producer sends typed records to Kafka (Java's KafkaProducer): Send runs
// the interceptors, the serializers and the partitioner on the caller's
// goroutine and appends the record to its partition's batch; one sender
// goroutine per producer ships the batches and runs the callbacks.
//
// A Producer is safe for concurrent use by any number of goroutines.
// Create it with New and release it with Close, which delivers what was
// sent and waits for every goroutine the producer started.
type Producer[K, V any] struct {
	c        *core
	keySer   serde.Serializer[K]
	valSer   serde.Serializer[V]
	keyBytes bool // keySer is serde.Bytes: the key is its own encoding
	valBytes bool
	chain    *interceptor.ProducerChain[*Record[K, V]]
}

// core is the part of a producer that does not depend on the record types:
// everything the sender goroutine shares with Send.
type core struct {
	cfg  config
	acc  *accumulator.Accumulator
	part partitioner.Partitioner
	load partitioner.LoadAware // part as LoadAware, or nil
	log  *slog.Logger
	met  *producerMetrics

	// acker is the interceptor chain's acknowledgement side, nil without
	// interceptors.
	acker interface {
		OnAcknowledgement(md RecordMetadata, err error)
	}
	closeChain func() error

	clock   clock.Millis
	cluster atomic.Pointer[cluster.Cluster]
	bootSem chan struct{} // one bootstrap at a time
	view    atomic.Pointer[metaView]
	viewMu  sync.Mutex

	// life ends when Close has stopped the sender: it cancels bootstraps,
	// metadata waits and dials still running.
	life context.Context
	stop context.CancelFunc

	closing     atomic.Bool
	closeOnce   sync.Once
	finishOnce  sync.Once
	finishGuard callbackGuard // the goroutine finishing Close, which may run callbacks
	closeErr    error

	sender *sender
	wg     sync.WaitGroup // the sender and its dialers

	scratch sync.Pool // *sendScratch
}

// bytesSerdeType is the dynamic type of serde.Bytes(), whose Serialize
// returns the caller's own slice and touches no header: Send passes such
// keys and values to the accumulator as they are, without the call.
var bytesSerdeType = reflect.TypeOf(serde.Bytes())

// New returns a producer that serializes keys with keySerializer and values
// with valueSerializer. Options are validated together; anything invalid
// returns a *samsa.ConfigError. New does no I/O: the first Send connects.
// Only WithBrokers is required.
func New[K, V any](keySerializer serde.Serializer[K], valueSerializer serde.Serializer[V], opts ...Option) (*Producer[K, V], error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if isNil(keySerializer) {
		return nil, &samsa.ConfigError{Option: "producer.New", Reason: "the key serializer must not be nil"}
	}
	if isNil(valueSerializer) {
		return nil, &samsa.ConfigError{Option: "producer.New", Reason: "the value serializer must not be nil"}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var ics []ProducerInterceptor[K, V]
	if cfg.interceptors != nil {
		var ok bool
		if ics, ok = cfg.interceptors.([]ProducerInterceptor[K, V]); !ok {
			return nil, &samsa.ConfigError{Option: "producer.WithInterceptors", Value: fmt.Sprintf("%T", cfg.interceptors),
				Reason: fmt.Sprintf("the interceptors must be for the producer's record type *producer.Record[%s, %s]",
					reflect.TypeFor[K](), reflect.TypeFor[V]())}
		}
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	part := cfg.partitioner
	if !cfg.partitionerSet {
		var err error
		if part, err = partitioner.Default(cfg.batchSize); err != nil {
			return nil, err
		}
	}
	accOpts := []accumulator.Option{
		accumulator.WithBatchSize(cfg.batchSize),
		accumulator.WithBufferMemory(cfg.bufferMemory),
		accumulator.WithLinger(cfg.linger),
		accumulator.WithRetryBackoff(cfg.retryBackoff, cfg.retryBackoffMax),
		accumulator.WithMaxBlock(cfg.maxBlock),
		accumulator.WithCompression(records.Codec(cfg.codec), cfg.level),
	}
	var idem *idempotence
	if cfg.idempotence {
		idem = newIdempotence()
		accOpts = append(accOpts, accumulator.WithSequencer(idem.sequence))
	}
	acc, err := accumulator.New(accOpts...)
	if err != nil {
		return nil, err
	}
	reg := cfg.registry
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	p := &Producer[K, V]{
		keySer:   keySerializer,
		valSer:   valueSerializer,
		keyBytes: reflect.TypeOf(keySerializer) == bytesSerdeType,
		valBytes: reflect.TypeOf(valueSerializer) == bytesSerdeType,
	}
	c := &core{cfg: cfg, acc: acc, part: part, log: log, met: newProducerMetrics(reg), bootSem: make(chan struct{}, 1)}
	c.load, _ = part.(partitioner.LoadAware)
	if len(ics) > 0 {
		chain, err := interceptor.NewProducerChain(log, ics...)
		if err != nil {
			return nil, err
		}
		p.chain, c.acker, c.closeChain = chain, chain, chain.Close
	}
	c.scratch.New = func() any { return &sendScratch{buf: make([]byte, 0, 256)} }
	c.life, c.stop = context.WithCancel(context.Background())
	c.sender = newSender(c)
	if idem != nil {
		idem.s, c.sender.idem = c.sender, idem
	}
	p.c = c
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.sender.run()
	}()
	return p, nil
}

// Metrics returns the go-metrics registry the producer reports to: the one
// given with WithMetricsRegistry, or the producer's own. The names follow
// sarama's: record-send-rate, record-error-rate, batch-size,
// records-per-request, compression-ratio (compressed/uncompressed × 100),
// request-rate, response-rate, request-latency-in-ms, outgoing-byte-rate,
// requests-in-flight, each also per topic ("-for-topic-<topic>") or per
// broker ("-for-broker-<id>") as sarama has them. Metrics are updated once
// per batch or request, never per record. Close unregisters them.
func (p *Producer[K, V]) Metrics() metrics.Registry { return p.c.met.reg }

// Send sends rec asynchronously: it runs the interceptors' OnSend, waits
// for the topic's metadata, serializes the key and value, chooses the
// partition (rec.Partition if set, else the partitioner), checks the size
// and appends the record to its partition's batch, then returns. It blocks
// only while metadata or buffer memory is missing, for at most the max
// block time (WithMaxBlock) and no longer than ctx allows.
//
// The contract is strict: if Send returns an error, the record was not
// accepted and cb is never called; if it returns nil, cb (which may be nil)
// is called exactly once, with the record's metadata or with the error that
// failed it later (a broker error, the delivery timeout, a forced Close).
// See [Callback] for where callbacks run.
//
// Errors: one wrapping samsa.ErrClosed after Close began; a
// *SerializationError when a serializer fails (only this record fails);
// an error wrapping samsa.ErrInvalidTopic for an illegal topic name;
// partitioner.ErrInvalidPartition for an explicit partition the topic does
// not have; samsa.ErrRecordTooLarge for a record larger than the max
// request size or the buffer memory; samsa.ErrBufferFull after waiting the
// max block time for memory; a *MetadataError after waiting that long for
// metadata; ctx's error if ctx ends first; ErrNilRecord for a nil rec.
// Every error after OnSend is also reported to the interceptors'
// OnAcknowledgement.
//
// Send keeps no reference to rec. Safe for concurrent use.
func (p *Producer[K, V]) Send(ctx context.Context, rec *Record[K, V], cb Callback) error {
	return p.sendWith(ctx, rec, cb, nil)
}

// SendCompleter is Send with the record's outcome delivered to comp's
// OnCompletion instead of a Callback, under the same contract: if it
// returns an error, comp is never called; if it returns nil,
// comp.OnCompletion (if comp is not nil) is called exactly once, where a
// Callback would run. It lets a caller that already has an object per
// record complete it without allocating a closure for each.
//
// A comp that also implements accumulator.Completion, given to a producer
// without interceptors, is handed to the accumulator as it is: its
// OnComplete is called instead of OnCompletion, with the record's
// accumulator.RecordResult (the partition, offset, timestamp and error
// OnCompletion would get, without the serialized sizes), at the same
// point and under the same rules, except that a panic is not recovered:
// it must not panic. This saves the producer's own per-record completion
// object. Safe for concurrent use.
func (p *Producer[K, V]) SendCompleter(ctx context.Context, rec *Record[K, V], comp Completer) error {
	return p.sendWith(ctx, rec, nil, comp)
}

func (p *Producer[K, V]) sendWith(ctx context.Context, rec *Record[K, V], cb Callback, comp Completer) error {
	if rec == nil {
		return ErrNilRecord
	}
	c := p.c
	if c.closing.Load() {
		return errClosed
	}
	if p.chain != nil {
		rec = p.chain.OnSend(rec)
	}
	partition, err := p.send(ctx, rec, cb, comp)
	if err != nil && c.acker != nil {
		c.acker.OnAcknowledgement(RecordMetadata{Topic: rec.Topic, Partition: partition, Offset: -1,
			SerializedKeySize: -1, SerializedValueSize: -1}, err)
	}
	return err
}

// send is Send after the interceptors. It returns the partition chosen so
// far (-1 if none) with any error.
func (p *Producer[K, V]) send(ctx context.Context, rec *Record[K, V], cb Callback, comp Completer) (int32, error) {
	c := p.c
	topic := rec.Topic
	partition, explicit := rec.Partition.ID()
	if explicit && partition < 0 {
		return partition, &partitioner.PartitionError{Topic: topic, Partition: partition,
			Reason: "the record's explicit partition is negative"}
	}
	if err := samsa.ValidateTopic(topic); err != nil {
		return partition, err
	}
	if c.closing.Load() {
		return partition, errClosed
	}
	ti, deadline, err := c.waitOnMetadata(ctx, topic, partition)
	if err != nil {
		return partition, err
	}

	// The scratch is taken only when needed: for serializers other than
	// serde.Bytes, or for a pending.
	var sc *sendScratch
	defer func() {
		if sc != nil {
			c.putScratch(sc)
		}
	}()
	var key, value []byte
	headers := rec.Headers
	if !p.keyBytes || !p.valBytes {
		sc = c.scratch.Get().(*sendScratch)
		// Serializers may append to this copy of the slice header; the
		// record's own slice is left as it was.
		sc.headers = rec.Headers
	}
	if p.keyBytes {
		// keySer is serde.Bytes, a Serializer[[]byte], so K is []byte; its
		// Serialize returns the slice itself and leaves the headers alone.
		key = *(*[]byte)(unsafe.Pointer(&rec.Key))
	} else if key, err = appendField(p.keySer, serde.FieldKey, &sc.buf, topic, &sc.headers, rec.Key); err != nil {
		return partition, &SerializationError{Topic: topic, Field: serde.FieldKey, Err: err}
	}
	if p.valBytes {
		value = *(*[]byte)(unsafe.Pointer(&rec.Value)) // as for the key
	} else if value, err = appendField(p.valSer, serde.FieldValue, &sc.buf, topic, &sc.headers, rec.Value); err != nil {
		return partition, &SerializationError{Topic: topic, Field: serde.FieldValue, Err: err}
	}
	if sc != nil {
		headers = sc.headers
	}

	size := records.HeaderSize + records.RecordSize(0, 0, key, value, headers)
	if size > c.cfg.maxRequestSize {
		return partition, &accumulator.RecordTooLargeError{Size: size, Limit: c.cfg.maxRequestSize, Reason: "max request size"}
	}
	if size > c.cfg.bufferMemory {
		return partition, &accumulator.RecordTooLargeError{Size: size, Limit: c.cfg.bufferMemory, Reason: "total buffer memory"}
	}
	var ts int64
	if rec.Timestamp.IsZero() {
		ts = c.clock.Now()
	} else {
		ts = rec.Timestamp.UnixMilli()
	}

	var done accumulator.Completion
	var pd *pending
	if rc, ok := comp.(accumulator.Completion); ok && cb == nil && c.acker == nil {
		done = rc // see SendCompleter
	} else {
		if sc == nil {
			sc = c.scratch.Get().(*sendScratch)
		}
		pd = sc.pend.get(c)
		pd.cb, pd.comp, pd.keySize, pd.valueSize = cb, comp, fieldSize(key), fieldSize(value)
		done = pd
	}
	o := accumulator.AppendOptions{Topic: topic, Partition: partitioner.NoPartition, Partitioner: c.part,
		Partitions: ti.parts, BlockDeadline: deadline}
	if explicit {
		o.Partition = partition
	}
	res, err := c.acc.AppendWith(ctx, &o, ts, key, value, headers, done)
	if err != nil {
		if pd != nil {
			*pd = pending{} // never handed out again; drop the references
		}
		return res.Partition, err
	}
	if res.BatchIsFull || res.NewBatchCreated {
		c.sender.wakeup()
	}
	return res.Partition, nil
}

// appendField serializes one field into *buf after whatever the buffer
// already holds (the key, for a value), and returns the field's bytes; nil
// for null.
func appendField[T any](s serde.Serializer[T], f serde.Field, buf *[]byte, topic string, headers *[]samsa.Header, v T) ([]byte, error) {
	at := len(*buf)
	out, null, err := serde.Append(s, f, *buf, topic, headers, v)
	if err != nil {
		return nil, err
	}
	*buf = out
	if null {
		return nil, nil
	}
	// Cap the slice so that appending the value cannot write into the key.
	return out[at:len(out):len(out)], nil
}

func fieldSize(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

// sendScratch is the per-call working memory of Send, pooled so that a
// send allocates nothing: the buffer AppendSerializers encode into and the
// headers serializers may extend.
type sendScratch struct {
	buf     []byte
	headers []samsa.Header
	pend    pendingSlab
}

// maxKeptScratch bounds the serialization buffers kept for reuse.
const maxKeptScratch = 64 << 10

func (c *core) putScratch(sc *sendScratch) {
	if cap(sc.buf) > maxKeptScratch {
		sc.buf = nil
	}
	sc.buf = sc.buf[:0]
	sc.headers = nil
	c.scratch.Put(sc)
}

// SendSync sends rec and waits for its acknowledgement (Java's
// send(record).get()). It returns the record's metadata, or the error Send
// returned, or the error that failed the record later. If ctx ends first it
// returns an error wrapping ctx.Err(); the record may still be delivered.
// Called from a Callback it returns ErrCalledFromCallback without sending.
// Safe for concurrent use.
func (p *Producer[K, V]) SendSync(ctx context.Context, rec *Record[K, V]) (RecordMetadata, error) {
	type outcome struct {
		md  RecordMetadata
		err error
	}
	if p.c.sender.guard.onSender() {
		return RecordMetadata{Partition: -1, Offset: -1, SerializedKeySize: -1, SerializedValueSize: -1}, ErrCalledFromCallback
	}
	ch := make(chan outcome, 1)
	if err := p.Send(ctx, rec, func(md RecordMetadata, err error) { ch <- outcome{md, err} }); err != nil {
		md := RecordMetadata{Partition: -1, Offset: -1, SerializedKeySize: -1, SerializedValueSize: -1}
		if rec != nil {
			md.Topic = rec.Topic
		}
		return md, err
	}
	select {
	case o := <-ch:
		return o.md, o.err
	case <-ctx.Done():
		return RecordMetadata{Topic: rec.Topic, Partition: -1, Offset: -1, SerializedKeySize: -1, SerializedValueSize: -1},
			fmt.Errorf("samsa: stopped waiting for the acknowledgement; the record may still be delivered: %w", ctx.Err())
	}
}

// Flush makes every record sent so far sendable at once, ignoring linger,
// and waits until each has completed, successfully or not (Java's flush):
// when Flush returns nil, every callback of a Send that returned before
// Flush was called has run. If ctx ends first it returns an error wrapping
// ctx.Err(); the records go on being sent. After Close began it returns an
// error wrapping samsa.ErrClosed; called from a Callback,
// ErrCalledFromCallback.
// Safe for concurrent use.
func (p *Producer[K, V]) Flush(ctx context.Context) error {
	c := p.c
	if c.closing.Load() {
		return errClosed
	}
	if c.sender.guard.onSender() {
		return ErrCalledFromCallback
	}
	c.acc.BeginFlush()
	c.sender.wakeup()
	return c.acc.AwaitFlushCompletion(ctx)
}

// Close stops the producer: Send fails with samsa.ErrClosed from now on,
// every record already accepted is sent and acknowledged (as Flush would),
// then the sender stops, the connections close and the interceptors are
// closed. If ctx ends before everything was delivered, what is left is
// failed with an error wrapping samsa.ErrClosed (each callback still runs
// once) and Close returns an error wrapping ctx.Err(). Close returns only
// when every goroutine of the producer has exited. It is idempotent: later
// calls wait for the first to finish and return its result. Called from a
// Callback it returns ErrCalledFromCallback and does nothing.
func (p *Producer[K, V]) Close(ctx context.Context) error { return p.c.close(ctx) }

func (c *core) close(ctx context.Context) error {
	if c.sender.guard.onSender() || c.finishGuard.onSender() {
		return ErrCalledFromCallback
	}
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.acc.Close()
		c.sender.beginClose()
	})
	select {
	case <-c.sender.done:
	case <-ctx.Done():
		c.sender.force()
		<-c.sender.done
	}
	c.finishOnce.Do(func() {
		c.stop()
		c.bootSem <- struct{}{} // wait out a bootstrap in progress; none starts again
		if cl := c.cluster.Load(); cl != nil {
			_ = cl.Close()
		}
		c.wg.Wait()
		// The sender completed everything; this only catches a batch created
		// by an append racing with the sender's exit. Its callbacks would
		// run on this goroutine, where Close must not wait for itself.
		c.finishGuard.enter()
		if n := c.acc.AbortIncomplete(errForcedClose); n > 0 {
			c.sender.aborted.Add(int64(n))
		}
		c.finishGuard.exit()
		if c.closeChain != nil {
			if err := c.closeChain(); err != nil {
				c.log.Warn("samsa: closing the producer's interceptors", "err", err)
			}
		}
		c.met.unregister()
		if n := c.sender.aborted.Load(); n > 0 {
			cause := ctx.Err()
			if cause == nil {
				cause = context.Canceled
			}
			c.closeErr = fmt.Errorf("samsa: producer closed before %d batch(es) were delivered; their records failed with ErrClosed: %w", n, cause)
		}
	})
	return c.closeErr
}
