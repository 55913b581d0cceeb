package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CoordinatorKind selects the coordinator FindCoordinator looks up; the
// values are the protocol's key types.
type CoordinatorKind int8

// Coordinator kinds.
const (
	// GroupCoordinator coordinates a consumer group; the key is the group id.
	GroupCoordinator CoordinatorKind = 0
	// TxnCoordinator coordinates a transactional producer; the key is the
	// transactional id (FindCoordinator v1+).
	TxnCoordinator CoordinatorKind = 1
)

func (k CoordinatorKind) String() string {
	switch k {
	case GroupCoordinator:
		return "group"
	case TxnCoordinator:
		return "transaction"
	}
	return fmt.Sprintf("coordinator kind %d", int8(k))
}

type coordKey struct {
	kind CoordinatorKind
	key  string
}

// coordEntry is a cached coordinator, or a lookup in progress that
// concurrent callers share. Guarded by Cluster.coordMu.
type coordEntry struct {
	ready chan struct{} // closed when id/err are set
	id    int32
	err   error
}

// Coordinator returns a connection (PurposeGroup) to the coordinator of a
// group or transactional id, and the coordinator's broker id. The lookup
// (FindCoordinator, in the v4+ batched form when the broker supports it,
// else v0-v3) is cached until InvalidateCoordinator; concurrent callers
// share one lookup. Retriable failures (COORDINATOR_NOT_AVAILABLE,
// COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, unreachable brokers) are
// retried with backoff until ctx ends; other broker errors are returned
// wrapping their kerr value.
func (c *Cluster) Coordinator(ctx context.Context, kind CoordinatorKind, key string) (*wire.Conn, int32, error) {
	var last error // the previous attempt's failure, for the final error
	for attempt := 1; ; attempt++ {
		id, err := c.coordinatorID(ctx, kind, key)
		var conn *wire.Conn
		if err == nil {
			if conn, err = c.ConnFor(ctx, id, PurposeGroup); err == nil {
				return conn, id, nil
			}
			// The cached coordinator is unreachable: look it up again.
			c.InvalidateCoordinator(kind, key)
		}
		if ctx.Err() != nil {
			if last != nil {
				return nil, -1, fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
			}
			return nil, -1, err
		}
		if !retriable(err) {
			return nil, -1, err
		}
		last = err
		t := time.NewTimer(c.opts.backoff(attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, -1, fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-c.closing:
			t.Stop()
			return nil, -1, errClosed("coordinator lookup")
		}
	}
}

// retriable reports whether a coordinator lookup failure may go away.
func retriable(err error) bool {
	switch {
	case err == nil, errors.Is(err, samsa.ErrClosed), errors.Is(err, samsa.ErrUnsupportedVersion):
		return false
	case kerr.IsRetriable(err),
		errors.Is(err, samsa.ErrConnectionClosed),
		errors.Is(err, samsa.ErrRequestTimeout),
		errors.Is(err, samsa.ErrNoBrokers),
		errors.Is(err, ErrUnknownBroker):
		return true
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return false
	}
	// Dial failures and other I/O errors.
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// InvalidateCoordinator forgets a cached coordinator, e.g. after
// NOT_COORDINATOR; the next Coordinator call looks it up again. Safe for
// concurrent use; a lookup in progress is not affected.
func (c *Cluster) InvalidateCoordinator(kind CoordinatorKind, key string) {
	k := coordKey{kind: kind, key: key}
	c.coordMu.Lock()
	if e := c.coords[k]; e != nil {
		select {
		case <-e.ready:
			delete(c.coords, k)
		default: // in progress: its result is fresh
		}
	}
	c.coordMu.Unlock()
}

// coordinatorID returns the cached coordinator or waits for a shared
// lookup. A failed lookup is not cached.
func (c *Cluster) coordinatorID(ctx context.Context, kind CoordinatorKind, key string) (int32, error) {
	k := coordKey{kind: kind, key: key}
	c.coordMu.Lock()
	e := c.coords[k]
	if e == nil {
		ne := &coordEntry{ready: make(chan struct{})}
		if !c.spawn(func() { c.lookup(k, ne) }) {
			c.coordMu.Unlock()
			return -1, errClosed("coordinator lookup")
		}
		e = ne
		c.coords[k] = e
	}
	c.coordMu.Unlock()
	select {
	case <-e.ready:
		return e.id, e.err
	case <-ctx.Done():
		return -1, ctx.Err()
	case <-c.closing:
		return -1, errClosed("coordinator lookup")
	}
}

// lookup runs one FindCoordinator on a Cluster-owned goroutine.
func (c *Cluster) lookup(k coordKey, e *coordEntry) {
	id, err := c.findCoordinator(c.ctx, k.kind, k.key)
	c.coordMu.Lock()
	e.id, e.err = id, err
	if err != nil && c.coords[k] == e {
		delete(c.coords, k)
	}
	close(e.ready)
	c.coordMu.Unlock()
}

// findCoordinator asks any broker for a coordinator and records its
// address for the pool.
func (c *Cluster) findCoordinator(ctx context.Context, kind CoordinatorKind, key string) (int32, error) {
	conn, _, err := c.AnyConn(ctx)
	if err != nil {
		return -1, fmt.Errorf("samsa: looking up the %s coordinator for %q: %w", kind, key, err)
	}
	v, ok := conn.Version(10)
	if !ok {
		_, bmax, _ := conn.BrokerVersions(10)
		return -1, &wire.UnsupportedAPIError{Key: 10, Name: "FindCoordinator", BrokerMin: -1, BrokerMax: bmax,
			ClientMax: kmsg.NewPtrFindCoordinatorRequest().MaxVersion(), Addr: conn.Addr()}
	}
	if kind != GroupCoordinator && v < 1 {
		return -1, &wire.UnsupportedAPIError{Key: 10, Name: "FindCoordinator", BrokerMin: 0, BrokerMax: v,
			ClientMax: kmsg.NewPtrFindCoordinatorRequest().MaxVersion(), Addr: conn.Addr()}
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType = int8(kind)
	if v >= 4 {
		req.CoordinatorKeys = []string{key}
	} else {
		req.CoordinatorKey = key
	}
	kresp, err := conn.Do(ctx, req)
	if err != nil {
		return -1, fmt.Errorf("samsa: looking up the %s coordinator for %q: %w", kind, key, err)
	}
	resp, ok := kresp.(*kmsg.FindCoordinatorResponse)
	if !ok {
		return -1, fmt.Errorf("%w: FindCoordinator answered with %T", samsa.ErrMalformedResponse, kresp)
	}
	code, msg, id, host, port := resp.ErrorCode, resp.ErrorMessage, resp.NodeID, resp.Host, resp.Port
	if resp.GetVersion() >= 4 {
		found := false
		for _, co := range resp.Coordinators {
			if co.Key == key {
				code, msg, id, host, port = co.ErrorCode, co.ErrorMessage, co.NodeID, co.Host, co.Port
				found = true
				break
			}
		}
		if !found {
			return -1, fmt.Errorf("%w: FindCoordinator from %s does not answer for %q",
				samsa.ErrMalformedResponse, conn.Addr(), key)
		}
	}
	if code != 0 {
		err := fmt.Errorf("samsa: looking up the %s coordinator for %q: %w", kind, key, kerr.ForCode(code))
		if msg != nil && *msg != "" {
			err = fmt.Errorf("%w: %s", err, *msg)
		}
		return -1, err
	}
	if id < 0 || host == "" || port <= 0 {
		return -1, fmt.Errorf("%w: FindCoordinator from %s named broker %d at %s:%d",
			samsa.ErrMalformedResponse, conn.Addr(), id, host, port)
	}
	c.poolMu.Lock()
	if snap := c.snap.Load(); snap != nil {
		if _, known := snap.Brokers[id]; !known {
			c.learned[id] = brokerAddr(host, port)
		}
	}
	c.poolMu.Unlock()
	return id, nil
}
