package mockbroker

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa/internal/records"
)

// broker is one broker of the cluster. id, and after the first start addr
// and port, never change; the other fields are guarded by Cluster.mu except
// latency, which is atomic.
type broker struct {
	id   int32
	addr string
	port int

	up bool
	// gen counts starts and stops. A connection remembers the generation it
	// was accepted in; a request on a connection of an older generation
	// takes no effect, so nothing a stopped broker was still handling
	// changes state after StopBroker returns.
	gen      uint64
	ln       net.Listener
	conns    map[*conn]struct{}
	sessions *fetchSessions

	latency atomic.Int64 // time.Duration added before each response
}

// acceptLoop accepts connections until ln is closed, starting the three
// goroutines of each.
func (c *Cluster) acceptLoop(b *broker, ln net.Listener, gen uint64) {
	defer c.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (EMFILE and the like): back off as
			// net/http does, but stop at once when the listener closes.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			c.log.Warn("accept failed", "broker", b.id, "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-c.done:
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		cn := &conn{
			c:     c,
			b:     b,
			gen:   gen,
			nc:    nc,
			done:  make(chan struct{}),
			reqs:  make(chan *request, connQueue),
			resps: make(chan *response, connQueue),
			dec:   records.Decoder{ReuseBuffers: true},
		}
		c.mu.Lock()
		if b.gen != gen || !b.up {
			c.mu.Unlock()
			nc.Close()
			return
		}
		b.conns[cn] = struct{}{}
		c.wg.Add(3)
		c.mu.Unlock()
		c.log.Debug("connection opened", "broker", b.id, "remote", nc.RemoteAddr().String())
		go cn.readLoop()
		go cn.handleLoop()
		go cn.writeLoop()
	}
}

// connQueue is how many decoded requests, and how many encoded responses,
// may wait between a connection's goroutines. Kafka clients pipeline up to
// about five requests per connection; more queue only adds memory.
const connQueue = 8

// conn is one client connection. Three goroutines serve it: readLoop reads
// and decodes frames, handleLoop handles requests one at a time in arrival
// order, and writeLoop writes responses in the same order. Handling
// requests one at a time is what a Kafka broker does too (it mutes a
// connection while a request is in flight), and it keeps the effects of
// pipelined requests, such as several Produce requests to one partition, in
// the order they were sent.
type conn struct {
	c   *Cluster
	b   *broker
	gen uint64
	nc  net.Conn

	reqs  chan *request
	resps chan *response

	// dec decodes record batches for the handler goroutine, reusing its
	// buffers; only handleLoop uses it.
	dec records.Decoder

	done      chan struct{} // closed by shutdown
	closeOnce sync.Once
}

// response is one encoded response frame, or an instruction to close the
// connection once everything before it has been written.
type response struct {
	frame    []byte
	received time.Time // when the request arrived, for injected latency
	close    bool
	reason   string // why the connection closes, for the log
}

// shutdown closes the connection; the goroutines notice and exit.
// Idempotent.
func (cn *conn) shutdown() {
	cn.closeOnce.Do(func() {
		close(cn.done)
		cn.nc.Close()
	})
}

// forget removes the connection from its broker's set.
func (cn *conn) forget() {
	cn.c.mu.Lock()
	if cn.b.gen == cn.gen {
		delete(cn.b.conns, cn)
	}
	cn.c.mu.Unlock()
}

func (cn *conn) logClose(reason string, err error) {
	attrs := []any{"broker", cn.b.id, "remote", cn.nc.RemoteAddr().String(), "reason", reason}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	cn.c.log.Warn("closing connection", attrs...)
}

func (cn *conn) readLoop() {
	defer cn.c.wg.Done()
	defer close(cn.reqs)
	br := bufio.NewReaderSize(cn.nc, 64<<10)
	avMax := apiVersionsMax()
	for {
		frame, err := readFrame(br, cn.c.cfg.maxFrameSize)
		if err != nil {
			select {
			case <-cn.done: // closed on purpose; nothing to report
			default:
				if errors.Is(err, errFrameTooLarge) || errors.Is(err, errMalformedRequest) {
					cn.logClose("bad frame", err)
				} else {
					cn.c.log.Debug("connection closed by peer", "broker", cn.b.id, "remote", cn.nc.RemoteAddr().String(), "err", err)
				}
			}
			cn.shutdown()
			cn.forget()
			return
		}
		rq, err := parseRequest(frame, avMax)
		if rq != nil {
			cn.c.countRequest(rq.key)
		}
		if err != nil {
			if rq != nil {
				cn.logClose("rejected request", err)
			}
			cn.shutdown()
			cn.forget()
			return
		}
		rq.received = time.Now()
		select {
		case cn.reqs <- rq:
		case <-cn.done:
			cn.forget()
			return
		}
	}
}

func (cn *conn) handleLoop() {
	defer cn.c.wg.Done()
	defer close(cn.resps)
	for {
		select {
		case rq, ok := <-cn.reqs:
			if !ok {
				return
			}
			resp := cn.c.handle(cn, rq)
			if rq.recyclable {
				putRequestBuf(rq.frame)
			}
			rq.frame, rq.body = nil, nil
			if resp == nil {
				continue // nothing to send (acks=0)
			}
			select {
			case cn.resps <- resp:
			case <-cn.done:
				return
			}
			if resp.close {
				return
			}
		case <-cn.done:
			return
		}
	}
}

func (cn *conn) writeLoop() {
	defer cn.c.wg.Done()
	defer cn.shutdown()
	bw := bufio.NewWriterSize(cn.nc, 64<<10)
	for {
		var resp *response
		select {
		case r, ok := <-cn.resps:
			if !ok {
				return
			}
			resp = r
		case <-cn.done:
			return
		}
		if d := time.Duration(cn.b.latency.Load()); d > 0 {
			if wait := time.Until(resp.received.Add(d)); wait > 0 {
				// Flush what is ready first: latency delays this
				// response, not the ones before it.
				if bw.Buffered() > 0 && bw.Flush() != nil {
					return
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-cn.done:
					t.Stop()
					return
				}
			}
		}
		if resp.close {
			if bw.Flush() == nil {
				cn.logClose(resp.reason, nil)
			}
			return
		}
		_, err := bw.Write(resp.frame)
		putFrameBuf(resp.frame)
		if err != nil {
			return
		}
		// Batch writes while more responses are ready; flush when idle.
		if len(cn.resps) == 0 && bw.Flush() != nil {
			return
		}
	}
}
