package saramacompat

import (
	"sync"

	"github.com/IBM/sarama"
)

// feedItem is a message or an error for one partition's channels.
type feedItem struct {
	msg *sarama.ConsumerMessage
	err *sarama.ConsumerError
}

// feed delivers one partition's records and errors to its Messages and
// Errors channels (a PartitionConsumer's, or a ConsumerGroupClaim's
// Messages) from a goroutine of its own, so that the poll goroutine never
// blocks on an application that reads slowly. When limit items wait
// undelivered it asks for the partition to be paused (pause), and for it
// to be resumed once they are delivered: a slow reader stops fetching for
// its partition only, as with sarama's MaxProcessingTime.
//
// Interceptors' OnConsume runs in the feeder, just before a message is
// delivered, as in sarama. stop ends the feeder, which then closes the
// channels and closes done.
type feed struct {
	messages     chan *sarama.ConsumerMessage
	errors       chan *sarama.ConsumerError
	returnErrors bool // deliver errors on errors; else log them

	interceptors  []sarama.ConsumerInterceptor
	limit         int
	pause, resume func()

	mu         sync.Mutex
	q          []feedItem
	flowPaused bool
	wake       chan struct{}

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

func newFeed(capacity int, withErrors bool, ics []sarama.ConsumerInterceptor, pause, resume func()) *feed {
	f := &feed{
		messages:     make(chan *sarama.ConsumerMessage, capacity),
		interceptors: ics,
		limit:        max(capacity, 1),
		pause:        pause,
		resume:       resume,
		wake:         make(chan struct{}, 1),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
	}
	f.errors = make(chan *sarama.ConsumerError, capacity)
	f.returnErrors = withErrors
	return f
}

// push queues items for delivery. It never blocks.
func (f *feed) push(items ...feedItem) {
	f.mu.Lock()
	f.q = append(f.q, items...)
	pause := !f.flowPaused && len(f.q) >= f.limit
	if pause {
		f.flowPaused = true
		f.pause()
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close stops the feeder; it closes the channels once it exits.
func (f *feed) close() { f.stopOnce.Do(func() { close(f.stop) }) }

// run is the feeder goroutine.
func (f *feed) run(exit func()) {
	defer func() {
		close(f.messages)
		close(f.errors)
		if exit != nil {
			exit()
		}
		close(f.done)
	}()
	var batch []feedItem
	for {
		f.mu.Lock()
		batch, f.q = f.q, batch[:0]
		f.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-f.stop:
				return
			case <-f.wake:
				continue
			}
		}
		for i, it := range batch {
			if !f.deliver(it) {
				return
			}
			batch[i] = feedItem{}
		}
		f.mu.Lock()
		if f.flowPaused && len(f.q) < f.limit {
			f.flowPaused = false
			f.resume()
		}
		f.mu.Unlock()
	}
}

// deliver hands one item to the application; false once stopped.
func (f *feed) deliver(it feedItem) bool {
	if it.err != nil {
		if !f.returnErrors {
			sarama.Logger.Println(it.err)
			return true
		}
		select {
		case f.errors <- it.err:
			return true
		case <-f.stop:
			return false
		}
	}
	for _, ic := range f.interceptors {
		applyConsumerInterceptor(ic, it.msg)
	}
	select {
	case f.messages <- it.msg:
		return true
	case <-f.stop:
		return false
	}
}

// applyConsumerInterceptor runs one interceptor as sarama does: a panic is
// recovered and logged.
func applyConsumerInterceptor(ic sarama.ConsumerInterceptor, msg *sarama.ConsumerMessage) {
	defer func() {
		if r := recover(); r != nil {
			sarama.Logger.Printf("saramacompat: consumer interceptor %T panicked: %v", ic, r)
		}
	}()
	ic.OnConsume(msg)
}
