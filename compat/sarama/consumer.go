package saramacompat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/serde"
)

var (
	_ sarama.Consumer          = (*saramaConsumer)(nil)
	_ sarama.PartitionConsumer = (*partitionConsumer)(nil)
)

// saramaConsumer is sarama.Consumer on one samsa consumer in assign mode.
//
// ConsumePartition resolves the start offset as sarama does (ListOffsets
// for the oldest and newest offsets), adds the partition to the samsa
// consumer's assignment and seeks it there. The poll goroutine polls and
// hands each partition's records to its partitionConsumer, whose feeder
// goroutine delivers them on Messages; a partition whose consumer falls
// ChannelBufferSize messages behind is paused in samsa until it catches
// up, so one slow reader does not hold back the others (sarama's
// MaxProcessingTime). A refresher goroutine keeps the high watermarks.
type saramaConsumer struct {
	set  *consumerSettings
	cfg  *sarama.Config
	meta metadata
	sc   *consumer.Consumer[[]byte, []byte]

	life context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup // poll and refresher goroutines

	mu       sync.Mutex
	children map[samsa.TopicPartition]*partitionConsumer
	closed   bool

	closeOnce sync.Once
	closeErr  error
}

// NewConsumer returns a sarama.Consumer that consumes with samsa: the
// drop-in for sarama.NewConsumer. cfg is honoured as documented in the
// package; a nil cfg is sarama.NewConfig(). Like sarama's, it fails with
// sarama.ErrOutOfBrokers when no seed broker answers.
func NewConsumer(addrs []string, cfg *sarama.Config) (sarama.Consumer, error) {
	cfg, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	set, err := consumerConfig(addrs, cfg)
	if err != nil {
		return nil, err
	}
	cl, err := openCluster(addrs, cfg)
	if err != nil {
		return nil, err
	}
	opts := append(set.opts, consumer.WithAutoOffsetReset(consumer.ResetNone))
	sc, err := consumer.New(serde.Bytes(), serde.Bytes(), opts...)
	if err != nil {
		_ = cl.Close()
		return nil, consumerNewError(err)
	}
	life, stop := context.WithCancel(context.Background())
	c := &saramaConsumer{
		set:      set,
		cfg:      cfg,
		meta:     metadata{cl: cl, cfg: cfg},
		sc:       sc,
		life:     life,
		stop:     stop,
		children: make(map[samsa.TopicPartition]*partitionConsumer),
	}
	c.wg.Add(2)
	go c.poll()
	go c.refreshHighWaterMarks()
	return c, nil
}

// consumerNewError translates a failure of consumer.New.
func consumerNewError(err error) error {
	var ce *samsa.ConfigError
	if errors.As(err, &ce) {
		return &Error{Sarama: sarama.ConfigurationError(ce.Error()), Cause: err}
	}
	return toSarama(err)
}

// Topics returns every topic of the cluster, sorted.
func (c *saramaConsumer) Topics() ([]string, error) { return c.meta.topics(c.life) }

// Partitions returns a topic's partition ids, sorted.
func (c *saramaConsumer) Partitions(topic string) ([]int32, error) {
	return c.meta.partitions(c.life, topic)
}

// ConsumePartition starts consuming a partition at offset: an absolute
// offset between the partition's oldest and newest (else
// sarama.ErrOffsetOutOfRange), sarama.OffsetOldest or sarama.OffsetNewest.
// A partition can be consumed once at a time.
func (c *saramaConsumer) ConsumePartition(topic string, partition int32, offset int64) (sarama.PartitionConsumer, error) {
	tp := samsa.TopicPartition{Topic: topic, Partition: partition}
	ctx := c.life
	newest, err := c.meta.offset(ctx, tp, samsa.OffsetLatest)
	if err != nil {
		return nil, err
	}
	oldest, err := c.meta.offset(ctx, tp, samsa.OffsetEarliest)
	if err != nil {
		return nil, err
	}
	start := offset
	switch {
	case offset == sarama.OffsetNewest:
		start = newest
	case offset == sarama.OffsetOldest:
		start = oldest
	case offset < oldest || offset > newest:
		return nil, sarama.ErrOffsetOutOfRange
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, sarama.ErrClosedClient
	}
	if _, dup := c.children[tp]; dup {
		return nil, sarama.ConfigurationError("That topic/partition is already being consumed")
	}
	pc := newPartitionConsumer(c, tp, start, newest)
	c.children[tp] = pc
	if err := c.assignLocked(); err != nil {
		delete(c.children, tp)
		return nil, toSarama(err)
	}
	if err := c.sc.Seek(tp, start); err != nil {
		delete(c.children, tp)
		_ = c.assignLocked()
		return nil, toSarama(err)
	}
	pc.start()
	return pc, nil
}

// assignLocked makes the samsa consumer's assignment the partitions of the
// live partition consumers.
func (c *saramaConsumer) assignLocked() error {
	tps := make([]samsa.TopicPartition, 0, len(c.children))
	for tp := range c.children {
		tps = append(tps, tp)
	}
	return c.sc.Assign(tps...)
}

// remove drops a closed partition consumer from the assignment.
func (c *saramaConsumer) remove(pc *partitionConsumer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.children[pc.tp] != pc {
		return
	}
	delete(c.children, pc.tp)
	if !c.closed {
		if err := c.assignLocked(); err != nil {
			sarama.Logger.Printf("saramacompat: unassigning %s: %v", pc.tp, err)
		}
	}
}

// child returns the live partition consumer of tp, or nil.
func (c *saramaConsumer) child(tp samsa.TopicPartition) *partitionConsumer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.children[tp]
}

// poll is the poll goroutine.
func (c *saramaConsumer) poll() {
	defer c.wg.Done()
	for {
		recs, err := c.sc.Poll(c.life)
		if c.life.Err() != nil {
			return
		}
		if err != nil {
			c.pollError(err)
			continue
		}
		deliver(recs, c.child)
	}
}

// deliver hands records to their partitions' consumers, in order, one
// batch per partition.
func deliver[C interface {
	enqueue([]*sarama.ConsumerMessage)
}](recs []consumer.Record[[]byte, []byte], child func(samsa.TopicPartition) C) {
	for i := 0; i < len(recs); {
		tp := recs[i].TopicPartition()
		j := i + 1
		for j < len(recs) && recs[j].Topic == tp.Topic && recs[j].Partition == tp.Partition {
			j++
		}
		msgs := make([]*sarama.ConsumerMessage, j-i)
		for k := range msgs {
			msgs[k] = toConsumerMessage(&recs[i+k])
		}
		child(tp).enqueue(msgs)
		i = j
	}
}

// pollError reports a Poll failure to the partitions it concerns, as
// sarama's partition consumers report theirs.
func (c *saramaConsumer) pollError(err error) {
	var noOff *consumer.NoOffsetError
	var fe *consumer.FetchError
	switch {
	case errors.As(err, &noOff):
		// A partition's position fell off the log: sarama reports
		// ErrOffsetOutOfRange and shuts the partition consumer down.
		// Partitions without a position that are not out of range are
		// being set up by ConsumePartition and get one at once.
		for tp := range noOff.OutOfRange {
			if pc := c.child(tp); pc != nil {
				pc.sendError(sarama.ErrOffsetOutOfRange)
				pc.AsyncClose()
			}
		}
		if len(noOff.OutOfRange) > 0 {
			return
		}
	case errors.As(err, &fe):
		if pc := c.child(fe.TopicPartition); pc != nil {
			pc.sendError(toSarama(fe.Err))
		}
	default:
		sarama.Logger.Println("saramacompat: consumer poll:", err)
	}
	// Poll reports such errors at once; give the cause time to change
	// before asking again.
	t := time.NewTimer(c.set.retryBackoff)
	defer t.Stop()
	select {
	case <-c.life.Done():
	case <-t.C:
	}
}

// refreshHighWaterMarks is the refresher goroutine: it asks each leader for
// the high watermarks of the partitions being consumed, every MaxWaitTime
// (the rhythm at which sarama's fetch responses update them), and raises
// each partition consumer's value.
func (c *saramaConsumer) refreshHighWaterMarks() {
	defer c.wg.Done()
	every := max(c.cfg.Consumer.MaxWaitTime, 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		tps := make([]samsa.TopicPartition, 0, len(c.children))
		for tp := range c.children {
			tps = append(tps, tp)
		}
		c.mu.Unlock()
		hwms := c.meta.highWaterMarks(c.life, tps)
		for tp, hwm := range hwms {
			if pc := c.child(tp); pc != nil {
				pc.raiseHighWaterMark(hwm)
			}
		}
	}
}

// HighWaterMarks returns the high watermark of every partition being
// consumed, by topic.
func (c *saramaConsumer) HighWaterMarks() map[string]map[int32]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[int32]int64)
	for tp, pc := range c.children {
		if out[tp.Topic] == nil {
			out[tp.Topic] = make(map[int32]int64)
		}
		out[tp.Topic][tp.Partition] = pc.HighWaterMarkOffset()
	}
	return out
}

// Pause pauses the given partitions' consumers.
func (c *saramaConsumer) Pause(topicPartitions map[string][]int32) {
	c.each(topicPartitions, (*partitionConsumer).Pause)
}

// Resume resumes the given partitions' consumers.
func (c *saramaConsumer) Resume(topicPartitions map[string][]int32) {
	c.each(topicPartitions, (*partitionConsumer).Resume)
}

// PauseAll pauses every partition consumer.
func (c *saramaConsumer) PauseAll() { c.each(nil, (*partitionConsumer).Pause) }

// ResumeAll resumes every partition consumer.
func (c *saramaConsumer) ResumeAll() { c.each(nil, (*partitionConsumer).Resume) }

// each runs f on the partition consumers named in tps (nil: all).
func (c *saramaConsumer) each(tps map[string][]int32, f func(*partitionConsumer)) {
	c.mu.Lock()
	var pcs []*partitionConsumer
	for tp, pc := range c.children {
		if tps == nil || containsPartition(tps[tp.Topic], tp.Partition) {
			pcs = append(pcs, pc)
		}
	}
	c.mu.Unlock()
	for _, pc := range pcs {
		f(pc)
	}
}

func containsPartition(ps []int32, p int32) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// pause and resume are the partition consumers' access to the samsa
// consumer's flow control.
func (c *saramaConsumer) pause(tp samsa.TopicPartition)  { _ = c.sc.Pause(tp) }
func (c *saramaConsumer) resume(tp samsa.TopicPartition) { _ = c.sc.Resume(tp) }

// Close stops every partition consumer still open (their channels close),
// stops the goroutines and closes the samsa consumer and the connections.
// sarama expects partition consumers to be closed first; saramacompat
// closes the ones left over. Idempotent.
func (c *saramaConsumer) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		pcs := make([]*partitionConsumer, 0, len(c.children))
		for _, pc := range c.children {
			pcs = append(pcs, pc)
		}
		c.mu.Unlock()
		for _, pc := range pcs {
			pc.AsyncClose()
		}
		for _, pc := range pcs {
			<-pc.done
		}
		c.stop()
		c.wg.Wait()
		if err := c.sc.Close(context.Background()); err != nil {
			c.closeErr = fmt.Errorf("saramacompat: closing the consumer: %w", err)
		}
		_ = c.meta.cl.Close()
	})
	return c.closeErr
}
