package saramacompat

import (
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
)

var _ sarama.SyncProducer = (*syncProducer)(nil)

// syncProducer is sarama.SyncProducer on samsa's producer. Unlike
// sarama's, it does not go through an AsyncProducer's channels: each call
// sends through producerCore and waits for its own outcome, so concurrent
// callers are batched together by samsa's accumulator.
type syncProducer struct {
	nonTransactional
	core    *producerCore
	closing atomic.Bool
	calls   sync.WaitGroup // SendMessage and SendMessages in progress
	mu      sync.Mutex     // orders calls.Add against Close's Wait
	once    sync.Once
}

// NewSyncProducer returns a sarama.SyncProducer that produces with samsa:
// the drop-in for sarama.NewSyncProducer. As sarama's, it requires
// Producer.Return.Successes and Producer.Return.Errors (a nil cfg is
// sarama.NewConfig() with Return.Successes set) and fails with
// sarama.ErrOutOfBrokers when no seed broker answers.
func NewSyncProducer(addrs []string, cfg *sarama.Config) (sarama.SyncProducer, error) {
	if cfg == nil {
		cfg = sarama.NewConfig()
		cfg.Producer.Return.Successes = true
	}
	if !cfg.Producer.Return.Errors {
		return nil, sarama.ConfigurationError("Producer.Return.Errors must be true to be used in a SyncProducer")
	}
	if !cfg.Producer.Return.Successes {
		return nil, sarama.ConfigurationError("Producer.Return.Successes must be true to be used in a SyncProducer")
	}
	cfg, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	core, err := newProducerCore(addrs, cfg)
	if err != nil {
		return nil, err
	}
	return &syncProducer{core: core}, nil
}

// begin registers a call; false after Close began.
func (sp *syncProducer) begin() bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.closing.Load() {
		return false
	}
	sp.calls.Add(1)
	return true
}

// expectations recycles the channels SendMessage waits on.
var expectations = sync.Pool{New: func() any { return make(chan error, 1) }}

// SendMessage produces msg and waits for its acknowledgement. It returns
// the partition and offset the message was written at (also stored in msg),
// or -1, -1 and the error that failed it: a sarama.KError for a broker
// error, sarama.ErrShuttingDown after Close. Safe for concurrent use.
func (sp *syncProducer) SendMessage(msg *sarama.ProducerMessage) (partition int32, offset int64, err error) {
	if !sp.begin() {
		return -1, -1, sarama.ErrShuttingDown
	}
	defer sp.calls.Done()
	ch := expectations.Get().(chan error)
	sp.core.send(msg, func(m *sarama.ProducerMessage, o outcome) {
		o.apply(m)
		ch <- o.err
	})
	err = <-ch
	expectations.Put(ch)
	if err != nil {
		return -1, -1, err
	}
	return msg.Partition, msg.Offset, nil
}

// SendMessages produces msgs and waits for all of them. It returns nil, or
// sarama.ProducerErrors listing the messages that failed, in the order of
// msgs. Safe for concurrent use.
func (sp *syncProducer) SendMessages(msgs []*sarama.ProducerMessage) error {
	if !sp.begin() {
		errs := make(sarama.ProducerErrors, len(msgs))
		for i, m := range msgs {
			errs[i] = &sarama.ProducerError{Msg: m, Err: sarama.ErrShuttingDown}
		}
		if len(errs) == 0 {
			return nil
		}
		return errs
	}
	defer sp.calls.Done()
	outcomes := make([]error, len(msgs))
	var wg sync.WaitGroup
	wg.Add(len(msgs))
	for i, m := range msgs {
		sp.core.send(m, func(m *sarama.ProducerMessage, o outcome) {
			o.apply(m)
			outcomes[i] = o.err
			wg.Done()
		})
	}
	wg.Wait()
	var errs sarama.ProducerErrors
	for i, err := range outcomes {
		if err != nil {
			errs = append(errs, &sarama.ProducerError{Msg: msgs[i], Err: err})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Close waits for the calls in progress, delivers everything they sent and
// stops the producer. Later calls fail with sarama.ErrShuttingDown. It
// returns nil, as sarama's does. Idempotent.
func (sp *syncProducer) Close() error {
	sp.once.Do(func() {
		sp.mu.Lock()
		sp.closing.Store(true)
		sp.mu.Unlock()
		sp.calls.Wait()
		if err := sp.core.close(); err != nil {
			sarama.Logger.Println("saramacompat: closing the producer:", err)
		}
	})
	return nil
}

// TxnStatus reports sarama's status of a producer without a transactional
// id: see txnStatus.
func (sp *syncProducer) TxnStatus() sarama.ProducerTxnStatusFlag { return txnStatus(sp.core) }
