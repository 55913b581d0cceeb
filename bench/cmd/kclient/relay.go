package main

import (
	"context"
	"sync"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa/bench/workload"
)

func init() { register(relayClient{}) }

// relayClient runs the compat-produce workload against relayProducer, a
// sarama.AsyncProducer that produces nothing: it returns every message on
// Successes as soon as it arrives on Input. It measures the ceiling that
// the AsyncProducer interface itself (two unbuffered channel hand-offs per
// message) and the workload program put on any implementation on this
// machine, so that a drop-in's figure can be read against it.
type relayClient struct{}

// yardstick marks a client that is a reference figure rather than a Kafka
// client: it sends nothing to the broker (tests skip the broker checks).
type yardstick interface{ yardstick() }

func (relayClient) yardstick() {}

func (relayClient) Name() string   { return "relay" }
func (relayClient) Module() string { return benchModule }

func (c relayClient) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	return produceSaramaAPI(ctx, cfg, c.Name(), newRelayProducer)
}

func (relayClient) ProduceSettings(workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "send call", Value: "the same program; nothing reaches the broker"},
		{Name: "acknowledgement", Value: "one goroutine reads Input into a queue, another sets each message's Offset and sends it on Successes"},
	}
}

// relayProducer is an AsyncProducer that does no work beyond the
// interface's contract for this workload: Input, Successes and Errors
// unbuffered, every message returned once, in order, with an Offset. One
// goroutine reads Input into a queue and another returns the queue on
// Successes, so that the program's sending goroutine and its Successes
// reader each hand off to a goroutine of their own; a single goroutine
// doing both is slower, as every hand-off then waits for the other.
type relayProducer struct {
	input     chan *sarama.ProducerMessage
	successes chan *sarama.ProducerMessage
	errors    chan *sarama.ProducerError
	closeOnce sync.Once
	done      chan struct{} // closed when the returner exits

	mu     sync.Mutex
	queue  []*sarama.ProducerMessage
	spare  []*sarama.ProducerMessage
	closed bool          // Input was closed and read to the end
	wake   chan struct{} // to the returner: queue no longer empty, or closed
}

var _ sarama.AsyncProducer = (*relayProducer)(nil)

func newRelayProducer(_ []string, cfg *sarama.Config) (sarama.AsyncProducer, error) {
	p := &relayProducer{
		input:     make(chan *sarama.ProducerMessage),
		successes: make(chan *sarama.ProducerMessage),
		errors:    make(chan *sarama.ProducerError),
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
	}
	go p.read()
	go p.ret(cfg.Producer.Return.Successes)
	return p, nil
}

// read queues every message from Input until Input is closed.
func (p *relayProducer) read() {
	for msg := range p.input {
		p.mu.Lock()
		p.queue = append(p.queue, msg)
		first := len(p.queue) == 1
		p.mu.Unlock()
		if first {
			p.signal()
		}
	}
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.signal()
}

func (p *relayProducer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// ret returns the queued messages in order, then closes the channels.
func (p *relayProducer) ret(returnSuccesses bool) {
	defer close(p.done)
	defer close(p.errors)
	defer close(p.successes)
	var offset int64
	for {
		p.mu.Lock()
		batch, closed := p.queue, p.closed
		p.queue, p.spare = p.spare[:0], nil
		p.mu.Unlock()
		for _, msg := range batch {
			msg.Offset = offset
			offset++
			if returnSuccesses {
				p.successes <- msg
			}
		}
		clear(batch)
		p.mu.Lock()
		p.spare = batch
		p.mu.Unlock()
		if len(batch) == 0 {
			if closed {
				return
			}
			<-p.wake
		}
	}
}

func (p *relayProducer) Input() chan<- *sarama.ProducerMessage     { return p.input }
func (p *relayProducer) Successes() <-chan *sarama.ProducerMessage { return p.successes }
func (p *relayProducer) Errors() <-chan *sarama.ProducerError      { return p.errors }

// AsyncClose closes Input: the workload calls it only once it has sent
// everything.
func (p *relayProducer) AsyncClose() { p.closeOnce.Do(func() { close(p.input) }) }

// Close closes Input, drains Successes and waits until everything was
// returned.
func (p *relayProducer) Close() error {
	p.AsyncClose()
	go func() {
		for range p.successes {
		}
	}()
	<-p.done
	return nil
}

// The transactional methods: the relay has no transactions.

func (p *relayProducer) IsTransactional() bool                   { return false }
func (p *relayProducer) TxnStatus() sarama.ProducerTxnStatusFlag { return sarama.ProducerTxnFlagReady }
func (p *relayProducer) BeginTxn() error                         { return sarama.ErrNonTransactedProducer }
func (p *relayProducer) CommitTxn() error                        { return sarama.ErrNonTransactedProducer }
func (p *relayProducer) AbortTxn() error                         { return sarama.ErrNonTransactedProducer }

func (p *relayProducer) AddMessageToTxn(*sarama.ConsumerMessage, string, *string) error {
	return sarama.ErrNonTransactedProducer
}

func (p *relayProducer) AddMessageToTxnWithGroupMetadata(*sarama.ConsumerMessage, *sarama.ConsumerGroupMetadata, *string) error {
	return sarama.ErrNonTransactedProducer
}

func (p *relayProducer) AddOffsetsToTxn(map[string][]*sarama.PartitionOffsetMetadata, string) error {
	return sarama.ErrNonTransactedProducer
}

func (p *relayProducer) AddOffsetsToTxnWithGroupMetadata(map[string][]*sarama.PartitionOffsetMetadata, *sarama.ConsumerGroupMetadata) error {
	return sarama.ErrNonTransactedProducer
}
