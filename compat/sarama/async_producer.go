package saramacompat

import (
	"sync"

	"github.com/IBM/sarama"
)

var _ sarama.AsyncProducer = (*asyncProducer)(nil)

// asyncProducer is sarama.AsyncProducer on samsa's producer.
//
// Goroutines: the dispatcher reads Input and queues each message (handoff,
// see handoffLimit); the worker sends them through producerCore
// (interceptors, size check, encoders, the user's partitioner, samsa's
// Send); samsa's sender goroutine completes messages into the
// results queue; the returner hands each result to Successes or Errors
// (both unbuffered, as sarama's); AsyncClose's shutdown goroutine waits for
// everything accepted to be returned, closes samsa's producer and then the
// channels. Close waits for all of them.
type asyncProducer struct {
	nonTransactional

	core *producerCore

	input     chan *sarama.ProducerMessage
	successes chan *sarama.ProducerMessage
	errors    chan *sarama.ProducerError

	push func(*sarama.ProducerMessage, outcome) // res.push, bound once

	// The queue, on cache lines of its own: samsa's sender writes it for
	// every message, while the dispatcher reads the fields above.
	_   cacheLinePad
	res results
	_   cacheLinePad
	// The dispatcher's queue to the worker, likewise.
	hand handoff
	_    cacheLinePad

	closeOnce  sync.Once
	dispatched chan struct{} // closed when the dispatcher exits
	worked     chan struct{} // closed when the worker exits
	returned   chan struct{} // closed when the returner exits
	finished   chan struct{} // closed by the shutdown goroutine when the channels are closed
}

// shutdownMarker is sent through Input by AsyncClose, so that messages
// written to Input before AsyncClose are accepted and those after it fail
// with sarama.ErrShuttingDown, in the order sarama's dispatcher sees them.
var shutdownMarker = new(sarama.ProducerMessage)

// NewAsyncProducer returns a sarama.AsyncProducer that produces with samsa:
// the drop-in for sarama.NewAsyncProducer. cfg is honoured as documented
// in the package; a nil cfg is sarama.NewConfig(). Like sarama's, it fails
// with sarama.ErrOutOfBrokers when no seed broker answers, and the program
// must read Errors() (and Successes() with Producer.Return.Successes) and
// call Close or AsyncClose.
func NewAsyncProducer(addrs []string, cfg *sarama.Config) (sarama.AsyncProducer, error) {
	cfg, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	core, err := newProducerCore(addrs, cfg)
	if err != nil {
		return nil, err
	}
	return newAsyncProducer(core), nil
}

func newAsyncProducer(core *producerCore) *asyncProducer {
	p := &asyncProducer{
		core:       core,
		input:      make(chan *sarama.ProducerMessage),
		successes:  make(chan *sarama.ProducerMessage),
		errors:     make(chan *sarama.ProducerError),
		dispatched: make(chan struct{}),
		worked:     make(chan struct{}),
		returned:   make(chan struct{}),
		finished:   make(chan struct{}),
	}
	p.res.init(max(core.set.channelBuffer*32, 8192))
	p.push = p.res.push
	core.sink, core.results = p.push, &p.res
	p.hand.init(handoffLimit(core.set.channelBuffer))
	go p.dispatch()
	go p.work()
	go p.returner()
	return p
}

// dispatch is the dispatcher goroutine: it accepts messages from Input and
// queues them for the worker until the shutdown marker, then fails later
// ones with ErrShuttingDown until Input is closed. It does no more per
// message than it must, so that the program's goroutine writing to the
// unbuffered Input, which shares a processor with it, waits little.
func (p *asyncProducer) dispatch() {
	defer close(p.dispatched)
	defer p.hand.close()
	core, hand, res := p.core, &p.hand, &p.res
	shuttingDown := false
	for msg := range p.input {
		switch {
		case msg == nil:
			sarama.Logger.Println("saramacompat: a nil message was sent to the producer; it was ignored")
		case msg == shutdownMarker:
			shuttingDown = true
			hand.put(msg) // the worker releases the marker's slot, taken by AsyncClose
		case shuttingDown:
			pErr := &sarama.ProducerError{Msg: msg, Err: sarama.ErrShuttingDown}
			if core.set.returnErrors {
				p.errors <- pErr
			} else {
				sarama.Logger.Println(pErr)
			}
		default:
			res.waitRoom()
			hand.put(msg)
		}
	}
}

// work is the worker goroutine: it sends the messages the dispatcher
// queued, in order, through producerCore.sendAlone (it is the only
// goroutine sending through this producerCore), which calls the sarama
// partitioners from this one goroutine, and ends when the dispatcher has
// exited and the queue is empty.
func (p *asyncProducer) work() {
	defer close(p.worked)
	core, res := p.core, &p.res
	for {
		batch, ok := p.hand.take()
		if !ok {
			return
		}
		// Count the messages as pending before any can complete; the
		// shutdown marker, queued after every message accepted before
		// AsyncClose, releases its own slot once they are all counted.
		n, marker := len(batch), false
		if batch[n-1] == shutdownMarker {
			n, marker = n-1, true
		}
		res.admitted(n)
		now := core.clock.Now()
		for i, msg := range batch[:n] {
			core.sendAlone(msg, now)
			if core.waited || i%64 == 63 {
				core.waited = false
				now = core.clock.Now()
			}
		}
		if marker {
			res.done(1)
		}
		clear(batch)
	}
}

// returner hands results to the Successes and Errors channels, in the order
// they completed, blocking on the application as sarama's producer does.
func (p *asyncProducer) returner() {
	defer close(p.returned)
	set := p.core.set
	setOffset := !p.core.acksNone
	for {
		batch, ok := p.res.take()
		if !ok {
			return
		}
		// Fill in every message first: the writes to messages last
		// touched on other cores overlap, before the hand-offs below.
		for i := range batch {
			r := &batch[i]
			switch {
			case r.out != nil:
				r.out.apply(r.msg)
			case setOffset:
				r.msg.Offset = r.offset
			}
		}
		for i := range batch {
			r := &batch[i]
			if r.out == nil || r.out.err == nil {
				if set.returnSuccess {
					p.successes <- r.msg
				}
			} else {
				pErr := &sarama.ProducerError{Msg: r.msg, Err: r.out.err}
				if set.returnErrors {
					p.errors <- pErr
				} else {
					sarama.Logger.Println(pErr)
				}
			}
		}
		p.res.done(len(batch))
		p.res.recycle(batch)
	}
}

// Input returns the channel messages are sent on. It is unbuffered, as
// sarama's.
func (p *asyncProducer) Input() chan<- *sarama.ProducerMessage { return p.input }

// Successes returns the channel acknowledged messages come back on when
// Producer.Return.Successes is set; it must then be read.
func (p *asyncProducer) Successes() <-chan *sarama.ProducerMessage { return p.successes }

// Errors returns the channel failed messages come back on when
// Producer.Return.Errors is set (the default); it must then be read.
func (p *asyncProducer) Errors() <-chan *sarama.ProducerError { return p.errors }

// AsyncClose starts the shutdown: messages sent to Input before it are
// delivered, later ones fail with sarama.ErrShuttingDown; Successes and
// Errors are closed once everything was returned. Idempotent.
func (p *asyncProducer) AsyncClose() {
	p.closeOnce.Do(func() { go p.closeDown() })
}

// closeDown is the shutdown goroutine, owned by the producer: it ends
// once everything was returned and the channels are closed, which Close
// waits for.
func (p *asyncProducer) closeDown() {
	defer close(p.finished)
	p.res.hold() // the marker's slot: the count cannot reach 0 before it passed
	p.input <- shutdownMarker
	p.res.waitIdle()
	if err := p.core.close(); err != nil {
		sarama.Logger.Println("saramacompat: closing the producer:", err)
	}
	close(p.input)
	<-p.dispatched
	<-p.worked
	p.res.close()
	// The returner has returned everything accepted; wait for it to exit
	// before the channels it writes to are closed.
	<-p.returned
	close(p.successes)
	close(p.errors)
}

// Close shuts the producer down and waits until every message sent before
// it was delivered or failed. It drains Successes itself and returns the
// failures read from Errors as sarama.ProducerErrors (nil if none), as
// sarama's Close does. Idempotent.
func (p *asyncProducer) Close() error {
	p.AsyncClose()
	var drain sync.WaitGroup
	if p.core.set.returnSuccess {
		drain.Add(1)
		go func() {
			defer drain.Done()
			for range p.successes {
			}
		}()
	}
	var errs sarama.ProducerErrors
	if p.core.set.returnErrors {
		for e := range p.errors {
			errs = append(errs, e)
		}
	}
	<-p.finished
	drain.Wait()
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// TxnStatus reports sarama's status of a producer without a transactional
// id: see txnStatus.
func (p *asyncProducer) TxnStatus() sarama.ProducerTxnStatusFlag { return txnStatus(p.core) }
