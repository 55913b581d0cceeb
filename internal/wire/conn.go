package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Conn is one connection to one broker. It is safe for concurrent use:
// any number of goroutines may call Do and DoAsync at once, and their
// requests are pipelined up to Options.MaxInFlight.
//
// A Conn owns one goroutine, the reader, which decodes responses and
// completes requests in the order they were written. Close stops it and
// waits for it. Once dead (closed, timed out, broken), a Conn stays dead:
// Done is closed, Err says why, and every call fails fast.
type Conn struct {
	addr string
	opts Options
	nc   net.Conn
	log  *slog.Logger
	fmtr *kmsg.RequestFormatter

	// versions is the broker's advertised range per API key, and
	// negotiated the highest version both sides support (capped by
	// Options.MaxVersions); both are written by Dial before it returns and
	// read-only afterwards.
	versions   []apiRange
	negotiated []int16

	// slots holds one token per request in flight: a sender puts one
	// before writing, the reader takes it back when the response arrives.
	slots chan struct{}

	writeMu sync.Mutex // serializes writes; guards wbuf and corr
	wbuf    []byte
	corr    int32

	mu      sync.Mutex // guards pending, armed, closing, err, userClose
	pending callRing   // written requests awaiting a response, oldest first
	armed   time.Time  // read deadline set on nc; zero means none
	closing bool
	err     error // why the connection died; set once, with closing
	// userClose records that Close (not a failure) ended the connection.
	userClose bool

	done       chan struct{} // closed when the connection starts dying
	readerDone chan struct{} // closed when the reader has failed every pending request and exited
}

// apiRange is a broker's advertised version range for one API key.
type apiRange struct {
	min, max int16
	ok       bool
}

// Dial connects to the broker at addr ("host:port"): TCP connect (and TLS
// handshake) within Options.DialTimeout, then ApiVersions negotiation with
// the KIP-511 fallback for brokers that do not know samsa's ApiVersions
// version, then SASL authentication if Options.SASL is set. ctx bounds the
// whole sequence. Invalid options return a *samsa.ConfigError; a broker
// that rejects the handshake returns a *BrokerError or an
// *UnsupportedAPIError.
func Dial(ctx context.Context, addr string, o Options) (*Conn, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	nc, err := dialNet(ctx, addr, o)
	if err != nil {
		return nil, err
	}
	c := newConn(addr, nc, o)
	if err := c.negotiate(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	if o.SASL != nil {
		if err := c.authenticate(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	c.log.Debug("connected to broker", "addr", addr)
	return c, nil
}

// dialNet opens the TCP connection and, if configured, completes the TLS
// handshake, all within DialTimeout.
func dialNet(ctx context.Context, addr string, o Options) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	nc, err := o.Dialer(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("samsa: dialing broker %s: %w", addr, err)
	}
	if o.TLS == nil {
		return nc, nil
	}
	cfg := o.TLS.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg.ServerName = host
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(dctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("samsa: TLS handshake with broker %s: %w", addr, err)
	}
	return tc, nil
}

// newConn wraps an established net.Conn and starts the reader.
func newConn(addr string, nc net.Conn, o Options) *Conn {
	c := &Conn{
		addr:       addr,
		opts:       o,
		nc:         nc,
		log:        o.Logger,
		fmtr:       kmsg.NewRequestFormatter(kmsg.FormatterClientID(o.ClientID)),
		slots:      make(chan struct{}, o.MaxInFlight),
		pending:    newCallRing(o.MaxInFlight),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	go c.readLoop()
	return c
}

// Addr returns the address the connection was dialled with.
func (c *Conn) Addr() string { return c.addr }

// Done returns a channel that is closed when the connection starts dying:
// after Close, a request timeout, a malformed response or an I/O error.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection died, or nil while it is alive. After
// Close the error wraps samsa.ErrClosed; otherwise it wraps
// samsa.ErrConnectionClosed, samsa.ErrRequestTimeout or
// samsa.ErrMalformedResponse.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection. Every request in flight or waiting for a
// slot fails with an error wrapping samsa.ErrConnectionClosed. Close waits
// for the reader goroutine to exit, so it must not be called from a
// DoAsync completion callback. It is idempotent and always returns nil.
func (c *Conn) Close() error {
	c.shutdownAs(fmt.Errorf("connection to %s closed by the client: %w", c.addr, samsa.ErrClosed), true)
	<-c.readerDone
	return nil
}

// shutdown marks the connection dead with cause (the first cause wins)
// and closes the socket, which makes the reader fail every pending request
// and exit. It does not wait; it is safe from any goroutine, the reader
// and completion callbacks included.
func (c *Conn) shutdown(cause error) { c.shutdownAs(cause, false) }

// shutdownAs is shutdown; user marks a Close by the owner rather than a
// failure.
func (c *Conn) shutdownAs(cause error, user bool) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.err = cause
	c.userClose = user
	close(c.done)
	c.mu.Unlock()
	_ = c.nc.Close()
	if user {
		c.log.Debug("broker connection closed", "addr", c.addr)
	} else {
		c.log.Warn("broker connection failed", "addr", c.addr, "err", cause)
	}
}

// readLoop is the reader goroutine: it reads frames, matches each one
// with the oldest pending request, decodes it and completes the request.
// It exits after the connection dies, failing every request still pending.
func (c *Conn) readLoop() {
	defer close(c.readerDone)
	fr := newFrameReader(c.nc, c.opts.MaxResponseSize)
	for {
		frame, err := fr.next()
		if err != nil {
			if isTimeout(err) && c.rearm() {
				continue
			}
			c.shutdown(c.readFailure(err))
			break
		}
		c.mu.Lock()
		cl := c.pending.pop()
		c.mu.Unlock()
		if cl == nil {
			c.shutdown(malformedf("broker %s sent a %d-byte response with no request in flight", c.addr, len(frame)))
			break
		}
		<-c.slots
		resp, err := decodeResponse(cl.req, cl.corr, frame)
		if err != nil {
			err = fmt.Errorf("broker %s: %w", c.addr, err)
			c.shutdown(err)
			c.complete(cl, nil, err)
			break
		}
		c.complete(cl, resp, nil)
	}
	c.mu.Lock()
	calls := c.pending.drain()
	c.mu.Unlock()
	for _, cl := range calls {
		c.complete(cl, nil, c.failure(cl))
	}
}

// readFailure describes a read error as the connection's cause of death.
func (c *Conn) readFailure(err error) error {
	var me *malformedError
	switch {
	case errors.As(err, &me):
		return fmt.Errorf("broker %s: %w", c.addr, err)
	case errors.Is(err, net.ErrClosed):
		// Closed by shutdown; its cause is already recorded.
		return err
	default:
		return fmt.Errorf("%w: reading from broker %s: %w", samsa.ErrConnectionClosed, c.addr, err)
	}
}

// rearm runs on the reader after the read deadline fired. If a pending
// request is past its deadline it marks every such request timed out,
// kills the connection and returns false. Otherwise the deadline was left
// over from requests that have completed since, and rearm moves it to the
// earliest pending deadline (or removes it) and returns true.
func (c *Conn) rearm() bool {
	c.mu.Lock()
	now := time.Now()
	var first *call
	var earliest time.Time
	c.pending.each(func(cl *call) {
		if !cl.deadline.After(now) {
			cl.timedOut = true
			if first == nil {
				first = cl
			}
		} else if earliest.IsZero() || cl.deadline.Before(earliest) {
			earliest = cl.deadline
		}
	})
	if first == nil {
		c.armed = earliest
		_ = c.nc.SetReadDeadline(earliest)
		c.mu.Unlock()
		return true
	}
	cause := fmt.Errorf("%w: %s (correlation id %d) got no response from %s within %v",
		samsa.ErrRequestTimeout, requestName(first.req), first.corr, c.addr, first.timeout)
	c.mu.Unlock()
	c.shutdown(cause)
	return false
}

// failure returns the error a pending request gets when the connection
// dies under it.
func (c *Conn) failure(cl *call) error {
	if cl.timedOut {
		if cl.callerDeadline {
			return fmt.Errorf("%w: %s got no response from %s before the caller's deadline (%v): %w",
				samsa.ErrRequestTimeout, requestName(cl.req), c.addr, cl.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("%w: %s got no response from %s within %v",
			samsa.ErrRequestTimeout, requestName(cl.req), c.addr, cl.timeout)
	}
	return c.closedError(cl.req, false)
}

// closedError is the error of a request on a dead connection. notSent
// adds ErrNotSent for requests that never reached the socket.
func (c *Conn) closedError(req kmsg.Request, notSent bool) error {
	c.mu.Lock()
	cause, user := c.err, c.userClose
	c.mu.Unlock()
	var err error
	if user {
		// Keep ErrClosed in the chain: the caller closed this connection.
		err = fmt.Errorf("%w: %s to %s: %w", samsa.ErrConnectionClosed, requestName(req), c.addr, cause)
	} else {
		// Only the text of the cause: a request that did not itself time
		// out must not match ErrRequestTimeout or ErrMalformedResponse.
		err = fmt.Errorf("%w: %s to %s: %v", samsa.ErrConnectionClosed, requestName(req), c.addr, cause)
	}
	if notSent {
		err = fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return err
}

// requestName renders "Metadata v12" for errors and logs.
func requestName(req kmsg.Request) string {
	return fmt.Sprintf("%s v%d", keyName(req.Key()), req.GetVersion())
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
