package wire

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Acker is implemented by custom Produce requests (API key 0) to tell the
// connection their acks setting. A Produce request with acks 0 gets no
// response from the broker, so the connection must not wait for one.
// *kmsg.ProduceRequest is recognised without it.
type Acker interface {
	RequiredAcks() int16
}

// maxKeptWriteBuf bounds the write buffer a connection keeps between
// requests; a bigger one (a rare huge produce) is released to the GC.
const maxKeptWriteBuf = 4 << 20

// call is one request on its way through a connection.
type call struct {
	req  kmsg.Request
	corr int32
	// deadline is when the response must have arrived; timeout is the
	// duration it represents (for messages) and callerDeadline whether it
	// came from the caller rather than Options.RequestTimeout.
	deadline       time.Time
	timeout        time.Duration
	callerDeadline bool
	timedOut       bool // set under Conn.mu by the reader or a failed write

	finished atomic.Bool // completion happens once, by whoever flips it

	// done (DoAsync) receives the result if set, else ch (Do) does; ch
	// is kept across pool round trips.
	ch   chan result
	done func(kmsg.Response, error)
}

type result struct {
	resp kmsg.Response
	err  error
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan result, 1)} }}

func getCall() *call { return callPool.Get().(*call) }

// putCall recycles a call. Only the last party to touch it may call this:
// Do after receiving its result, the reader after an async completion.
func putCall(cl *call) {
	ch := cl.ch
	if ch == nil {
		ch = make(chan result, 1)
	}
	*cl = call{ch: ch}
	callPool.Put(cl)
}

// complete delivers a result unless someone else already did. It runs
// without any Conn lock held.
func (c *Conn) complete(cl *call, resp kmsg.Response, err error) {
	if !cl.finished.CompareAndSwap(false, true) {
		return
	}
	if cl.done != nil {
		done := cl.done
		putCall(cl)
		done(resp, err)
		return
	}
	cl.ch <- result{resp, err}
}

// Do sends req and waits for its response. It is safe for concurrent use.
//
// The version is the highest both the broker and samsa support, capped by
// req.MaxVersion() and Options.MaxVersions; when there is none Do returns
// an *UnsupportedAPIError. Do then waits for an in-flight slot (bounded by
// ctx), writes the request and waits for the response. A Produce request
// with acks 0 returns (nil, nil) as soon as it is written.
//
// The response must arrive before the earlier of ctx's deadline and
// Options.RequestTimeout after the write; otherwise Do fails with an error
// wrapping samsa.ErrRequestTimeout and the connection is closed, failing
// every other request in flight with samsa.ErrConnectionClosed. The same
// happens when ctx is cancelled after the request was written (Do returns
// an error wrapping ctx.Err()), because the response can no longer be
// matched. A ctx done before the write returns ctx.Err() and leaves the
// connection alone.
//
// Do sets req's version and encodes req; the caller must not modify req
// until Do returns. Only the kmsg.Request interface methods are used, so
// custom request types work.
func (c *Conn) Do(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if err := c.setVersion(req); err != nil {
		return nil, err
	}
	return c.roundTrip(ctx, req)
}

// roundTrip is Do without version negotiation: req's version is already
// set. The handshake uses it before versions are known.
func (c *Conn) roundTrip(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case c.slots <- struct{}{}:
	default:
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, c.closedError(req, true)
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	if !hasDeadline {
		deadline = time.Time{}
	}
	cl := getCall()
	cl.req = req
	noResp := acksZero(req)
	if err := c.write(ctx, cl, deadline, noResp); err != nil {
		putCall(cl)
		return nil, err
	}
	if noResp {
		putCall(cl)
		return nil, nil
	}
	select {
	case r := <-cl.ch:
		putCall(cl)
		return r.resp, r.err
	case <-ctx.Done():
		if cl.finished.CompareAndSwap(false, true) {
			// The call stays in the pending queue; the reader skips it.
			// It is not recycled because the reader may still hold it.
			err := fmt.Errorf("%s to %s abandoned by its caller after it was written; closing the connection: %w",
				requestName(req), c.addr, ctx.Err())
			if ctx.Err() == context.DeadlineExceeded {
				err = fmt.Errorf("%w: %w", samsa.ErrRequestTimeout, err)
			}
			c.shutdown(fmt.Errorf("%s (correlation id %d) was abandoned by its caller: %v", requestName(req), cl.corr, ctx.Err()))
			return nil, err
		}
		// The reader completed it concurrently; take its result.
		r := <-cl.ch
		putCall(cl)
		return r.resp, r.err
	}
}

// DoAsync sends req like Do and calls done with the outcome instead of
// waiting for it. It blocks only for an in-flight slot (until deadline, or
// forever for a zero deadline, or until the connection dies) and for the
// write itself; the response is awaited by the connection's reader.
//
// deadline bounds the slot wait and the response wait; the response
// deadline is also capped at Options.RequestTimeout after the write.
//
// done is called exactly once. For a request that was written it runs on
// the reader goroutine, in the order requests were written (which is the
// order Kafka answers them), never under a Conn lock; it must not block
// and must not call Close, Do or DoAsync on the same Conn — hand off to
// another goroutine instead. A request that fails before it is written
// (version not supported, dead connection, deadline passed while waiting
// for a slot; errors wrap ErrNotSent except the first) and a Produce with
// acks 0 have done called on the caller's goroutine before DoAsync
// returns.
func (c *Conn) DoAsync(req kmsg.Request, deadline time.Time, done func(kmsg.Response, error)) {
	if err := c.setVersion(req); err != nil {
		done(nil, err)
		return
	}
	select {
	case c.slots <- struct{}{}:
	default:
		if err := c.waitSlot(req, deadline); err != nil {
			done(nil, err)
			return
		}
	}
	cl := getCall()
	cl.req = req
	cl.done = done // takes precedence over the pooled ch
	noResp := acksZero(req)
	if err := c.write(nil, cl, deadline, noResp); err != nil {
		putCall(cl)
		done(nil, err)
		return
	}
	// From here the reader owns cl (unless acks 0): do not touch it.
	if noResp {
		putCall(cl)
		done(nil, nil)
	}
}

// waitSlot blocks DoAsync for an in-flight slot.
func (c *Conn) waitSlot(req kmsg.Request, deadline time.Time) error {
	var expire <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return c.slotTimeout(req)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		expire = t.C
	}
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-c.done:
		return c.closedError(req, true)
	case <-expire:
		return c.slotTimeout(req)
	}
}

func (c *Conn) slotTimeout(req kmsg.Request) error {
	return fmt.Errorf("%w: %w: %s to %s waited for an in-flight slot past its deadline",
		ErrNotSent, samsa.ErrRequestTimeout, requestName(req), c.addr)
}

// write encodes cl.req and writes it, registering cl as pending first so
// the reader can match the response however fast it comes. The caller
// holds an in-flight slot; write gives it back unless cl ends up pending.
// An error means cl was not registered (the caller still owns it). A
// non-nil ctx that is done by the time the write mutex is held aborts the
// request untouched.
func (c *Conn) write(ctx context.Context, cl *call, deadline time.Time, noResp bool) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			<-c.slots
			return err
		}
	}
	now := time.Now()
	if !deadline.IsZero() && !deadline.After(now) {
		<-c.slots
		return c.slotTimeout(cl.req)
	}
	cl.timeout = c.opts.RequestTimeout
	cl.deadline = now.Add(cl.timeout)
	if !deadline.IsZero() && deadline.Before(cl.deadline) {
		cl.deadline = deadline
		cl.timeout = deadline.Sub(now)
		cl.callerDeadline = true
	}
	c.corr++
	cl.corr = c.corr
	c.wbuf = c.fmtr.AppendRequest(c.wbuf[:0], cl.req, cl.corr)

	// Once cl is pending the reader owns it: a connection that dies now
	// makes the reader fail and recycle cl while this write may still be
	// in progress. Everything needed after the push is copied first.
	req, callDeadline := cl.req, cl.deadline
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		<-c.slots
		return c.closedError(req, true)
	}
	if !noResp {
		c.pending.push(cl)
		if c.armed.IsZero() || callDeadline.Before(c.armed) {
			c.armed = callDeadline
			_ = c.nc.SetReadDeadline(callDeadline)
		}
	}
	c.mu.Unlock()

	_ = c.nc.SetWriteDeadline(callDeadline)
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > maxKeptWriteBuf {
		c.wbuf = nil
	}
	if noResp {
		<-c.slots
	}
	if err == nil {
		return nil
	}
	timedOut := isTimeout(err)
	if timedOut && !noResp {
		// Only while cl is still pending: if the reader already failed
		// it, it may belong to another request by now.
		c.mu.Lock()
		c.pending.each(func(p *call) {
			if p == cl {
				cl.timedOut = true
			}
		})
		c.mu.Unlock()
	}
	cause := fmt.Errorf("writing %s to %s: %v", requestName(req), c.addr, err)
	if timedOut {
		cause = fmt.Errorf("%w: %w", samsa.ErrRequestTimeout, cause)
	}
	c.shutdown(cause)
	if noResp {
		return c.closedError(req, false)
	}
	return nil // the reader fails cl with the others
}

// acksZero reports whether req is a Produce request that gets no response.
func acksZero(req kmsg.Request) bool {
	if req.Key() != 0 {
		return false
	}
	switch r := req.(type) {
	case *kmsg.ProduceRequest:
		return r.Acks == 0
	case Acker:
		return r.RequiredAcks() == 0
	}
	return false
}

// callRing is a FIFO of pending calls with a fixed capacity (the number of
// in-flight slots bounds it). Guarded by Conn.mu.
type callRing struct {
	buf        []*call
	head, size int
}

func newCallRing(n int) callRing { return callRing{buf: make([]*call, n)} }

func (r *callRing) push(cl *call) {
	if r.size == len(r.buf) {
		// Cannot happen while slots bound the pending count; grow rather
		// than lose a request if that invariant is ever broken.
		nb := make([]*call, 2*len(r.buf)+1)
		for i := 0; i < r.size; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = cl
	r.size++
}

func (r *callRing) pop() *call {
	if r.size == 0 {
		return nil
	}
	cl := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return cl
}

func (r *callRing) each(fn func(*call)) {
	for i := 0; i < r.size; i++ {
		fn(r.buf[(r.head+i)%len(r.buf)])
	}
}

// drain removes and returns every call, oldest first.
func (r *callRing) drain() []*call {
	out := make([]*call, 0, r.size)
	for cl := r.pop(); cl != nil; cl = r.pop() {
		out = append(out, cl)
	}
	return out
}
