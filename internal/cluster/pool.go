package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
)

// Purpose separates the connections to one broker by workload. Kafka
// answers the requests of one connection strictly in order, so a fetch
// long-polling for 500ms would hold back a heartbeat queued behind it;
// each purpose therefore gets its own connection.
type Purpose uint8

// Connection purposes.
const (
	// PurposeGeneral carries metadata, offset lookups and admin requests.
	PurposeGeneral Purpose = iota
	// PurposeProduce carries the producer's Produce requests.
	PurposeProduce
	// PurposeFetch carries the consumer's (long-polling) Fetch requests.
	PurposeFetch
	// PurposeGroup carries group and transaction coordinator requests.
	PurposeGroup
	// purposeFetchExtra is the first of MaxFetchConns-1 purposes for the
	// further fetch connections of FetchPurpose.
	purposeFetchExtra
)

// MaxFetchConns is how many fetch connections to one broker FetchPurpose
// tells apart.
const MaxFetchConns = 16

// FetchPurpose returns the purpose of the i-th of a consumer's fetch
// connections to one broker (0 <= i < MaxFetchConns): PurposeFetch for
// the first, a purpose of its own for each further one, so that fetches
// a consumer keeps in flight side by side never wait behind one another's
// long poll.
func FetchPurpose(i int) Purpose {
	if i <= 0 || i >= MaxFetchConns {
		return PurposeFetch
	}
	return purposeFetchExtra + Purpose(i-1)
}

func (p Purpose) String() string {
	switch p {
	case PurposeGeneral:
		return "general"
	case PurposeProduce:
		return "produce"
	case PurposeFetch:
		return "fetch"
	case PurposeGroup:
		return "group"
	}
	if p >= purposeFetchExtra && p < purposeFetchExtra+MaxFetchConns-1 {
		return fmt.Sprintf("fetch-%d", int(p-purposeFetchExtra)+1)
	}
	return fmt.Sprintf("purpose(%d)", uint8(p))
}

// ErrUnknownBroker is wrapped by the error of a connection request for a
// broker id that neither the metadata nor a coordinator lookup named.
// Refresh the metadata and try again.
var ErrUnknownBroker = errors.New("samsa: unknown broker id")

type connKey struct {
	broker  int32
	purpose Purpose
}

// poolEntry is the pooled connection of one (broker, purpose). Guarded
// by Cluster.poolMu.
type poolEntry struct {
	conn     *wire.Conn
	dialing  chan struct{} // non-nil while a dial runs; closed when it ends
	dialErr  error         // the last dial's failure
	failures int           // consecutive failed dials
	retryAt  time.Time     // no new dial before this after a failure
}

// alive reports whether conn is usable.
func alive(conn *wire.Conn) bool {
	if conn == nil {
		return false
	}
	select {
	case <-conn.Done():
		return false
	default:
		return true
	}
}

// Conn returns the general-purpose connection to a broker; see ConnFor.
func (c *Cluster) Conn(ctx context.Context, brokerID int32) (*wire.Conn, error) {
	return c.ConnFor(ctx, brokerID, PurposeGeneral)
}

// ConnFor returns the pooled connection to a broker for a purpose,
// dialling it if there is none or the pooled one died. Concurrent callers
// share one dial, which runs on a Cluster-owned goroutine: ctx bounds only
// this caller's wait. After a failed dial, callers get that failure
// without a new dial until a backoff (RetryBackoff, doubling up to
// RetryBackoffMax) has passed. The connection is shared: never Close it.
func (c *Cluster) ConnFor(ctx context.Context, brokerID int32, purpose Purpose) (*wire.Conn, error) {
	key := connKey{broker: brokerID, purpose: purpose}
	for {
		if c.isClosing() {
			return nil, errClosed("connection pool")
		}
		c.poolMu.Lock()
		addr, ok := c.addrOf(brokerID)
		if !ok {
			c.poolMu.Unlock()
			return nil, fmt.Errorf("%w %d", ErrUnknownBroker, brokerID)
		}
		e := c.pool[key]
		if e == nil {
			e = &poolEntry{}
			c.pool[key] = e
		}
		var stale *wire.Conn
		if e.conn != nil {
			if alive(e.conn) && e.conn.Addr() == addr {
				conn := e.conn
				c.poolMu.Unlock()
				return conn, nil
			}
			// Dead, or the broker moved to another address.
			stale, e.conn = e.conn, nil
		}
		if e.dialing == nil {
			if wait := time.Until(e.retryAt); wait > 0 && e.dialErr != nil {
				err := e.dialErr
				c.poolMu.Unlock()
				closeConn(stale)
				return nil, fmt.Errorf("%w (next dial in %v)", err, wait.Round(time.Millisecond))
			}
			done := make(chan struct{})
			if !c.spawn(func() { c.dial(key, addr, e, done) }) {
				c.poolMu.Unlock()
				closeConn(stale)
				return nil, errClosed("connection pool")
			}
			e.dialing = done
		}
		dialing := e.dialing
		c.poolMu.Unlock()
		closeConn(stale)

		select {
		case <-dialing:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closing:
			return nil, errClosed("connection pool")
		}
		c.poolMu.Lock()
		conn, err := e.conn, e.dialErr
		c.poolMu.Unlock()
		if conn == nil && err != nil {
			return nil, err
		}
		// Loop: the connection may already have died again, or the
		// entry was replaced; the checks above sort it out.
	}
}

// dial runs one dial for a pool entry on a Cluster-owned goroutine.
func (c *Cluster) dial(key connKey, addr string, e *poolEntry, done chan struct{}) {
	conn, err := wire.Dial(c.ctx, addr, c.opts.Wire)
	c.poolMu.Lock()
	if err != nil {
		e.failures++
		e.dialErr = fmt.Errorf("broker %d (%s, %s connection): %w", key.broker, addr, key.purpose, err)
		e.retryAt = time.Now().Add(c.opts.backoff(e.failures))
		c.log.Warn("dialing broker failed", "broker", key.broker, "addr", addr, "err", err)
	} else if c.isClosing() || c.pool[key] != e {
		// Close began, or the broker left the cluster, while dialling.
		c.poolMu.Unlock()
		_ = conn.Close()
		c.poolMu.Lock()
	} else {
		e.conn, e.dialErr, e.failures = conn, nil, 0
	}
	e.dialing = nil
	close(done)
	c.poolMu.Unlock()
}

// addrOf returns a broker's address from the metadata, or else from a
// coordinator lookup. Caller holds poolMu.
func (c *Cluster) addrOf(id int32) (string, bool) {
	if snap := c.snap.Load(); snap != nil {
		if addr, ok := snap.addrs[id]; ok {
			return addr, true
		}
	}
	addr, ok := c.learned[id]
	return addr, ok
}

// prune closes pooled connections to brokers that are in neither the
// new snapshot nor the coordinator lookups.
func (c *Cluster) prune(s *Snapshot) {
	var stale []*wire.Conn
	c.poolMu.Lock()
	for id := range c.learned {
		if _, ok := s.Brokers[id]; ok {
			delete(c.learned, id) // the metadata knows it now
		}
	}
	for k, e := range c.pool {
		if _, ok := s.Brokers[k.broker]; ok {
			continue
		}
		if _, ok := c.learned[k.broker]; ok {
			continue
		}
		if e.conn != nil {
			stale = append(stale, e.conn)
		}
		delete(c.pool, k)
	}
	c.poolMu.Unlock()
	for _, conn := range stale {
		closeConn(conn)
	}
}

func closeConn(conn *wire.Conn) {
	if conn != nil {
		_ = conn.Close()
	}
}

// AnyConn returns a general-purpose connection to some broker (one with a
// live connection if possible) and its id, for requests any broker can
// answer. It tries every known broker before failing with an error that
// wraps samsa.ErrNoBrokers.
func (c *Cluster) AnyConn(ctx context.Context) (*wire.Conn, int32, error) {
	ids := c.brokerOrder()
	if len(ids) == 0 {
		return nil, -1, fmt.Errorf("%w: the metadata lists no brokers", samsa.ErrNoBrokers)
	}
	var errs []error
	for _, id := range ids {
		conn, err := c.ConnFor(ctx, id, PurposeGeneral)
		if err == nil {
			return conn, id, nil
		}
		if ctx.Err() != nil || errors.Is(err, samsa.ErrClosed) {
			return nil, -1, err
		}
		errs = append(errs, err)
	}
	return nil, -1, fmt.Errorf("%w: %w", samsa.ErrNoBrokers, errors.Join(errs...))
}
