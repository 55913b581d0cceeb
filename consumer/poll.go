package consumer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/samsa-go/samsa"
)

// span is a run of records of one fetched part that one poll returns:
// recs[from:to] of the part's records (nothing is copied).
type span struct {
	recs     recordSlab
	from, to int
}

// spansLen returns the number of records in spans.
func spansLen(spans []span) int {
	n := 0
	for i := range spans {
		n += spans[i].to - spans[i].from
	}
	return n
}

// Poll returns the next records, up to the max poll records, waiting until
// there are some, ctx ends (ctx.Err() is returned) or the consumer closes
// (samsa.ErrClosed).
//
// Poll drives everything that happens on the application's behalf: it
// joins and rejoins the group and runs the RebalanceListener, resolves
// positions (committed offsets, offset resets), commits automatically,
// runs the callbacks of completed CommitAsync calls, and returns fetched
// records — which the fetcher fetched in the background, the next fetch
// already in flight while the application processes these.
//
// A record whose key or value could not be deserialized is returned with
// Err set (see Record); the others are returned as usual. Errors of the
// poll itself — a *NoOffsetError, a *FetchError, a *ListenerError, a
// *FencedInstanceError, a *GroupError — are returned with no records;
// records fetched meanwhile are kept for the next Poll.
//
// The consumer's positions advance as records are returned, so the next
// auto commit or CommitSync(ctx, nil) commits past them. The records' key,
// value and header bytes are not copied from the fetched data: deserializers
// that alias their input (serde.Bytes) return slices of it, which stay valid
// (they are never reused) but must not be modified. The returned slice is
// the caller's: no later Poll returns or changes its records.
//
// Fetched batches are checked and indexed as they arrive, on the fetch
// goroutine of their broker; keys and values are deserialized by Poll, on
// the caller's goroutine, for the records it returns (as the Java client
// does), so a deserializer runs for no record that a Seek or a revocation
// discards. A deserializer that panics is treated like one that failed:
// the record is returned with Err set.
//
// Poll is meant for one goroutine; concurrent calls are serialized. Call
// it at least every max poll interval while in a group, or the consumer
// leaves the group.
func (c *Consumer[K, V]) Poll(ctx context.Context) ([]Record[K, V], error) {
	var out []Record[K, V]
	err := c.c.poll(ctx, func(spans []span) { out = c.gather(spans) })
	if err != nil || len(out) == 0 {
		return nil, err
	}
	c.c.met.consumed(len(out))
	if c.chain.Len() > 0 {
		out = c.chain.OnConsume(out)
	}
	return out, nil
}

// poll runs the poll loop and hands the collected records to deliver,
// which runs while the poll slot is held (the records live in a buffer the
// next poll reuses).
func (c *client) poll(ctx context.Context, deliver func([]span)) error {
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer c.release()
	c.setPolling(true)
	defer c.setPolling(false)
	// Close cancels the I/O a Poll is waiting for, so it never waits for
	// a Poll stuck on an unreachable broker.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.closingCtx, cancel)()
	for {
		if c.isClosing() {
			return samsa.ErrClosed
		}
		if c.commits != nil {
			c.commits.runCallbacks()
		}
		if c.group != nil {
			if err := c.group.poll(ctx); err != nil {
				return c.closedErr(err)
			}
		}
		autoCommitAt := c.maybeAutoCommit()
		resolveAt, err := c.resolveAll()
		if err != nil {
			return err
		}
		if err := c.takeFetchError(); err != nil {
			return err
		}
		if spans := c.collect(); len(spans) > 0 {
			deliver(spans)
			for i := range spans {
				// A span that reaches the end of its part drained it
				// (collect dropped the part from the buffer).
				if p, ok := spans[i].recs.(*compactPart); ok && spans[i].to == p.Len() {
					p.recycle()
				}
			}
			clear(spans) // let the fetched data go once the records were handed out
			return nil
		}
		next := earliest(autoCommitAt, resolveAt)
		if c.group != nil {
			next = earliest(next, c.group.nextDeadline())
		}
		if err := c.waitPoll(ctx, next); err != nil {
			return c.closedErr(err)
		}
	}
}

// closedErr returns samsa.ErrClosed for a failure caused by Close
// cancelling the poll's I/O, and err otherwise.
func (c *client) closedErr(err error) error {
	if c.isClosing() && errors.Is(err, context.Canceled) {
		return samsa.ErrClosed
	}
	return err
}

// setPolling records whether a Poll runs, for the max poll interval.
func (c *client) setPolling(on bool) {
	c.mu.Lock()
	c.polling = on
	if !on {
		c.lastPoll = time.Now()
	}
	c.mu.Unlock()
}

// resolveAll starts resolving the positions of the partitions that need
// one (committed offsets, offset resets) on the client's resolver
// goroutine, unless a lookup runs already or a recent failure asks to wait;
// Poll does not wait for it (the resolver wakes Poll when it is done). It
// returns when to look again and a *NoOffsetError for partitions stuck
// without an offset.
func (c *client) resolveAll() (time.Time, error) {
	c.mu.Lock()
	pending := false
	for _, ps := range c.parts {
		if ps.needsPosition() {
			pending = true
			break
		}
	}
	retryAt := c.nextResolve
	c.mu.Unlock()
	if pending {
		if !retryAt.IsZero() && time.Now().Before(retryAt) {
			return retryAt, c.noOffsetError()
		}
		c.resolveAsync()
	}
	return time.Time{}, c.noOffsetError()
}

// resolveAsync starts a resolution of every pending position on a goroutine
// of the client, unless one runs, and returns a channel closed when the
// running one ends. Lookups thus go on even when the Poll or Position that
// wanted them gives up, and never pile up. After a failure the next one
// waits for the retry backoff (nextResolve).
func (c *client) resolveAsync() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resolving != nil {
		return c.resolving
	}
	done := make(chan struct{})
	if c.isClosing() {
		close(done) // no new goroutines once Close began
		return done
	}
	c.resolving = done
	c.goRun(func(ctx context.Context) {
		rctx, cancel := context.WithTimeout(ctx, 2*c.cfg.requestTimeout)
		err := c.resolvePositions(rctx)
		cancel()
		c.mu.Lock()
		c.resolving = nil
		if err != nil {
			c.nextResolve = time.Now().Add(c.cfg.backoff(0, c.jitter()))
			if ctx.Err() == nil {
				c.log.Debug("consumer: looking up positions failed; retrying", slog.Any("error", err))
			}
		} else {
			c.nextResolve = time.Time{}
		}
		c.mu.Unlock()
		close(done)
		c.wakePoll()
	})
	return done
}

// takeFetchError returns (and clears) the first pending *FetchError.
func (c *client) takeFetchError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first *partState
	for _, ps := range c.parts {
		// A partition's error waits until the records fetched before it
		// were returned.
		if ps.fetchErr != nil && len(ps.buffered) == 0 && (first == nil || compareTP(ps.tp, first.tp) < 0) {
			first = ps
		}
	}
	if first == nil {
		return nil
	}
	err := first.fetchErr
	first.fetchErr = nil
	c.fetcher.wakeLocked()
	return err
}

// collect takes up to max poll records from the buffer, in arrival order,
// skipping paused partitions, and advances the positions past them. The
// spans alias the buffered records; they stay valid because a part's
// records are never reused.
func (c *client) collect() []span {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.spanBuf[:0]
	left := c.cfg.maxPollRecords
	drained := false
	for i := 0; i < len(c.buffer) && left > 0; i++ {
		fp := c.buffer[i]
		ps := fp.ps
		if ps.paused || ps.pendingRevoke {
			continue
		}
		n := min(left, fp.n-fp.next)
		if n > 0 {
			out = append(out, span{recs: fp.recs, from: fp.next, to: fp.next + n})
			fp.next += n
			left -= n
			off, epoch := fp.recs.Position(fp.next - 1)
			ps.position, ps.epoch = off+1, epoch
		}
		if fp.next == fp.n {
			ps.position = max(ps.position, fp.nextOffset)
			if len(ps.buffered) > 0 && ps.buffered[0] == fp {
				ps.buffered[0] = nil
				ps.buffered = ps.buffered[1:]
			}
			if len(ps.buffered) == 0 && ps.outOfRangeAfter {
				// Everything fetched before the out-of-range fetch is
				// returned: reset now (the next Poll looks the offset up,
				// or reports a *NoOffsetError).
				ps.outOfRangeAfter = false
				c.applyResetPolicyLocked(ps, ps.outOfRangeAt)
			}
			c.bufferedBytes -= fp.bytes
			c.buffer[i] = nil
			drained = true
		}
	}
	if drained {
		c.buffer = compactBuffer(c.buffer)
		c.fetcher.wakeLocked()
	}
	c.spanBuf = out
	return out
}

// compactBuffer removes the nil entries of drained parts, keeping order.
func compactBuffer(b []*fetchedPart) []*fetchedPart {
	out := b[:0]
	for _, fp := range b {
		if fp != nil {
			out = append(out, fp)
		}
	}
	clear(b[len(out):])
	return out
}
