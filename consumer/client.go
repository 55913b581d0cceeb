package consumer

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
)

// client is the part of a Consumer that does not depend on the key and
// value types: subscription, positions, fetcher, group membership and
// commits. Consumer[K, V] wraps it with deserialization and interceptors.
type client struct {
	cfg      config
	log      *slog.Logger
	cl       *cluster.Cluster
	wireOpts wire.Options
	met      *consumerMetrics
	// onCommit runs the interceptors' OnCommit; set by New, never nil.
	onCommit func(map[samsa.TopicPartition]samsa.Offset, error)

	// ctx lives until Close; every background goroutine runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pollSem chan struct{} // one slot: held by Poll, Unsubscribe and Close
	wake    chan struct{} // cap 1: pokes the goroutine waiting in Poll
	closing chan struct{} // closed when Close begins
	// closingCtx is cancelled when Close begins, with closing.
	closingCtx    context.Context
	closingCancel context.CancelFunc
	closed        chan struct{} // closed when Close has finished
	closeOnce     sync.Once
	closeErr      error
	inCallback    atomic.Bool // a RebalanceListener method is running

	fetcher *fetcher
	group   *group     // nil without a group id
	commits *committer // nil without a group id

	// spanBuf is reused by Poll for the records it collects; only the
	// goroutine holding pollSem touches it.
	spanBuf []span

	mu             sync.Mutex
	sub            subscription
	parts          map[samsa.TopicPartition]*partState
	buffer         []*fetchedPart // fetched records in arrival order
	bufferedBytes  int64
	polling        bool          // a Poll is running
	lastPoll       time.Time     // when the last Poll returned
	nextResolve    time.Time     // no position lookup before this, after a failure
	resolving      chan struct{} // closed when the running position lookup ends; nil if none
	nextAutoCommit time.Time     // when the next auto commit is due
	inClose        bool          // Close is committing and leaving: commits are still allowed
}

// subscription is what the consumer reads. Guarded by client.mu.
type subscription struct {
	kind    subKind
	topics  []string       // subTopics: as subscribed; subPattern: as matched; sorted
	pattern *regexp.Regexp // subPattern
	// snap is the metadata snapshot the pattern was last matched against.
	snap *cluster.Snapshot
}

// goRun starts a goroutine owned by the client: Close cancels its context
// and waits for it.
func (c *client) goRun(fn func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn(c.ctx)
	}()
}

// wakePoll wakes the goroutine waiting in Poll, if any. Safe anywhere.
func (c *client) wakePoll() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// isClosing reports whether Close has begun.
func (c *client) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// usableLocked returns ErrClosed once Close has begun.
func (c *client) usableLocked() error {
	if c.isClosing() {
		return samsa.ErrClosed
	}
	return nil
}

// closingCommitsAllowed reports whether commits may still be sent although
// Close has begun: Close's own final commit.
func (c *client) closingCommitsAllowed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inClose
}

// jitter returns a random factor in [0, 1) for backoffs.
func (c *client) jitter() float64 { return rand.Float64() }

// withAPITimeout bounds ctx by the default API timeout when it has no
// deadline, as Java bounds calls without a timeout argument.
func (c *client) withAPITimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.cfg.apiTimeout)
}

// acquire takes the poll slot, failing when ctx ends or the consumer closes.
// A RebalanceListener cannot take it: it runs while the slot is held.
func (c *client) acquire(ctx context.Context) error {
	if c.inCallback.Load() {
		return ErrReentrantCall
	}
	select {
	case c.pollSem <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.pollSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return samsa.ErrClosed
	}
}

func (c *client) release() { <-c.pollSem }

// waitPoll blocks the polling goroutine until something may have changed
// (new records, a group event, a completed commit), a deadline passes, ctx
// ends or the consumer closes.
func (c *client) waitPoll(ctx context.Context, until time.Time) error {
	var tc <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(max(time.Until(until), 0))
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-c.wake:
		return nil
	case <-tc:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return samsa.ErrClosed
	}
}

// do sends req on a shared connection and waits for the response or for
// ctx to end. Unlike conn.Do, a ctx that ends after the request was written
// does not cancel the request — which would close the connection and fail
// everything else in flight on it, such as commits and heartbeats: the
// response is then awaited in the background, within the request timeout,
// and dropped.
func (c *client) do(ctx context.Context, conn *wire.Conn, req kmsg.Request) (kmsg.Response, error) {
	type result struct {
		resp kmsg.Response
		err  error
	}
	ch := make(chan result, 1)
	deadline := time.Now().Add(c.cfg.requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		// Waiting for an in-flight slot is bounded by ctx too.
		deadline = d
	}
	conn.DoAsync(req, deadline, func(resp kmsg.Response, err error) { ch <- result{resp, err} })
	select {
	case r := <-ch:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// earliest returns the earlier of two deadlines, a zero time meaning none.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
