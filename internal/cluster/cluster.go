package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Cluster is the client's view of one Kafka cluster: metadata, broker
// connections and coordinators. It is safe for concurrent use. Create it
// with New and release it with Close.
type Cluster struct {
	opts  Options
	log   *slog.Logger
	seeds []string

	snap  atomic.Pointer[Snapshot]
	pubMu sync.Mutex // serializes publishers of snap

	// Refresh coordination; see refresh.go.
	mu          sync.Mutex
	tracked     map[string]struct{}
	trackAll    bool
	inflight    *refreshCall // the refresh being run by the loop
	next        *refreshCall // the refresh the loop runs next
	lastAttempt time.Time    // loop-owned
	wake        chan struct{}
	trigger     chan struct{}

	// Connection pool; see pool.go.
	poolMu  sync.Mutex
	pool    map[connKey]*poolEntry
	learned map[int32]string // broker addresses learned from FindCoordinator

	// Coordinator cache; see coordinator.go.
	coordMu sync.Mutex
	coords  map[coordKey]*coordEntry

	ctx       context.Context // cancelled by Close; bounds owned goroutines
	cancel    context.CancelFunc
	closing   chan struct{}
	closeOnce sync.Once

	// lifeMu orders spawn against Close: no goroutine is added to wg once
	// Close has set closed, so wg.Wait in Close covers every one.
	lifeMu sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// New bootstraps a Cluster from seed brokers ("host:port"). It tries the
// seeds one after another, starting at a random one so that many clients
// spread over the seeds, until one answers ApiVersions and Metadata. ctx
// bounds the bootstrap only.
//
// If no seed answers, New returns an error wrapping samsa.ErrNoBrokers
// that lists each seed's failure. Invalid seeds or options return a
// *samsa.ConfigError.
func New(ctx context.Context, seeds []string, o Options) (*Cluster, error) {
	o, err := o.withDefaults(seeds)
	if err != nil {
		return nil, err
	}
	if err := o.Wire.Validate(); err != nil {
		return nil, err
	}
	c := &Cluster{
		opts:    o,
		log:     o.Logger,
		seeds:   append([]string(nil), seeds...),
		tracked: make(map[string]struct{}),
		wake:    make(chan struct{}, 1),
		trigger: make(chan struct{}, 1),
		pool:    make(map[connKey]*poolEntry),
		learned: make(map[int32]string),
		coords:  make(map[coordKey]*coordEntry),
		closing: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.bootstrap(ctx); err != nil {
		c.cancel()
		return nil, err
	}
	c.lastAttempt = time.Now()
	c.spawn(c.loop)
	return c, nil
}

// spawn runs f on a goroutine the Cluster owns, unless Close has begun;
// it reports whether f was started.
func (c *Cluster) spawn(f func()) bool {
	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// bootstrap fetches the first metadata from a seed and keeps the seed's
// connection in the pool if the seed is one of the brokers.
func (c *Cluster) bootstrap(ctx context.Context) error {
	start := rand.IntN(len(c.seeds))
	var errs []error
	for i := range c.seeds {
		seed := c.seeds[(start+i)%len(c.seeds)]
		conn, err := wire.Dial(ctx, seed, c.opts.Wire)
		if err != nil {
			errs = append(errs, fmt.Errorf("seed %s: %w", seed, err))
			continue
		}
		resp, err := c.requestMetadata(ctx, conn, nil, false)
		if err != nil {
			_ = conn.Close()
			errs = append(errs, fmt.Errorf("seed %s: %w", seed, err))
			continue
		}
		snap := c.publish(resp)
		adopted := false
		for id, b := range snap.Brokers {
			if b.Addr() == seed {
				c.poolMu.Lock()
				c.pool[connKey{broker: id, purpose: PurposeGeneral}] = &poolEntry{conn: conn}
				c.poolMu.Unlock()
				adopted = true
				break
			}
		}
		if !adopted {
			_ = conn.Close()
		}
		c.log.Debug("bootstrapped", "seed", seed, "brokers", len(snap.Brokers), "cluster_id", snap.ClusterID)
		return nil
	}
	return fmt.Errorf("%w: %w", samsa.ErrNoBrokers, errors.Join(errs...))
}

// Snapshot returns the current metadata. It never blocks and never
// returns nil after New succeeded. The snapshot is immutable.
func (c *Cluster) Snapshot() *Snapshot { return c.snap.Load() }

// Close stops the refresh goroutine and every dial and lookup, waits for
// them, and closes every pooled connection (failing their in-flight
// requests with samsa.ErrConnectionClosed). It is idempotent and returns
// nil. Calls after Close fail with an error wrapping samsa.ErrClosed.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.lifeMu.Lock()
		c.closed = true
		c.lifeMu.Unlock()
		c.cancel()
		close(c.closing)
		c.wg.Wait()
		c.poolMu.Lock()
		var conns []*wire.Conn
		for k, e := range c.pool {
			if e.conn != nil {
				conns = append(conns, e.conn)
			}
			delete(c.pool, k)
		}
		c.poolMu.Unlock()
		for _, conn := range conns {
			_ = conn.Close()
		}
	})
	return nil
}

// errClosed is returned by calls after Close.
func errClosed(op string) error {
	return fmt.Errorf("%w: cluster %s", samsa.ErrClosed, op)
}

// publish builds a snapshot from resp, stores it and drops pooled
// connections to brokers that left the cluster.
func (c *Cluster) publish(resp *kmsg.MetadataResponse) *Snapshot {
	c.pubMu.Lock()
	prev := c.snap.Load()
	s := buildSnapshot(resp, prev, time.Now())
	if prev != nil && prev.ClusterID != "" && s.ClusterID != "" && prev.ClusterID != s.ClusterID {
		c.log.Warn("metadata came from a different cluster", "was", prev.ClusterID, "now", s.ClusterID)
	}
	c.snap.Store(s)
	c.pubMu.Unlock()
	c.prune(s)
	return s
}
