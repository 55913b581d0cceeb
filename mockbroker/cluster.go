package mockbroker

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/samsa-go/samsa"
)

// Cluster is a mock Kafka cluster: N brokers on loopback listeners in this
// process, speaking the Kafka wire protocol and keeping real state (topics,
// partition logs, leaders, offsets). Create one with New or NewTest; all
// methods are safe for concurrent use, including while clients are
// connected.
type Cluster struct {
	cfg     config
	log     *slog.Logger
	brokers []*broker // index = broker id; the slice never changes

	// synthetic is the pre-encoded batch served in synthetic-fetch mode,
	// nil otherwise. Immutable after New.
	synthetic *syntheticBatch

	// done is closed when Close begins; every goroutine and every waiting
	// handler selects on it.
	done      chan struct{}
	closeOnce sync.Once
	// wg counts every goroutine the cluster started: accept loops and the
	// three goroutines of each connection.
	wg sync.WaitGroup

	// mu guards all cluster state below and the mutable fields of every
	// broker, topic and partition. Handlers hold it only while they read or
	// change state, never while they do I/O, wait, or call user code.
	mu         sync.Mutex
	closed     bool
	topics     map[string]*topic
	topicIDs   map[[16]byte]*topic
	nextLeader int // start broker of the next topic's round-robin leader spread
	faults     faults
	hooks      []HookFunc
	requests   map[int16]int
	groups     groupCoordinator // consumer groups and their timer (group_coordinator.go)
	pids       producerIDs      // producer ids and transactional ids (22_init_producer_id.go)
}

// New starts a cluster configured by opts and returns it once every broker
// listens. It returns a *samsa.ConfigError for invalid options and a
// listen error if a port cannot be bound. Close the cluster when done.
func New(opts ...Option) (*Cluster, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Cluster{
		cfg:      cfg,
		log:      cfg.logger,
		done:     make(chan struct{}),
		topics:   make(map[string]*topic),
		topicIDs: make(map[[16]byte]*topic),
		requests: make(map[int16]int),
	}
	if cfg.syntheticFetch >= 0 {
		sb, err := newSyntheticBatch(cfg.syntheticFetch)
		if err != nil {
			return nil, err
		}
		c.synthetic = sb
	}
	for i := range cfg.brokers {
		c.brokers = append(c.brokers, &broker{id: int32(i), sessions: newFetchSessions()})
	}
	for _, b := range c.brokers {
		port := 0
		if cfg.port > 0 {
			port = cfg.port + int(b.id)
		}
		if err := c.startBroker(b, port); err != nil {
			c.Close()
			return nil, err
		}
	}
	// Topics are created once every broker runs, so each partition's
	// preferred replica leads. No client knows the addresses before New
	// returns, so none can see the cluster without its topics.
	if err := c.createInitialTopics(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) createInitialTopics() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.cfg.topics {
		if _, err := c.createTopicLocked(t.name, t.partitions, -1, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// NewTest starts a cluster for the test t, fails t at once if that is not
// possible, and closes the cluster when the test and its subtests finish
// (t.Cleanup). Cluster logs go to t.Log unless WithLogger is given.
func NewTest(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	all := append([]Option{WithLogger(slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})))}, opts...)
	c, err := New(all...)
	if err != nil {
		t.Fatalf("mockbroker.NewTest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("mockbroker: Close: %v", err)
		}
	})
	return c
}

// testLogWriter sends log lines to t.Log. Lines logged after the test
// ended are dropped by the testing package's rules, so Close waits for
// every goroutine before the test returns (NewTest's cleanup).
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return p[:n-1]
	}
	return p
}

// Addrs returns the "127.0.0.1:port" address of every running broker, in
// broker-id order. Stopped brokers are left out.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var addrs []string
	for _, b := range c.brokers {
		if b.up {
			addrs = append(addrs, b.addr)
		}
	}
	return addrs
}

// Addr returns the address of one broker, running or stopped (a stopped
// broker comes back on the same address).
func (c *Cluster) Addr(broker int32) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.brokerLocked(broker)
	if err != nil {
		return "", err
	}
	return b.addr, nil
}

// ClusterID returns the cluster id reported in Metadata responses.
func (c *Cluster) ClusterID() string { return c.cfg.clusterID }

// Close stops every listener, closes every connection and waits until every
// goroutine of the cluster, in-flight handlers included, has returned (like
// httptest.Server.Close). It is idempotent; every call returns nil once the
// cluster is down. Calls on a closed cluster return samsa.ErrClosed.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.mu.Lock()
		c.closed = true
		for _, b := range c.brokers {
			c.stopBrokerLocked(b)
		}
		c.mu.Unlock()
	})
	c.wg.Wait()
	return nil
}

// brokerLocked returns the broker with the given id. c.mu must be held.
func (c *Cluster) brokerLocked(id int32) (*broker, error) {
	if c.closed {
		return nil, samsa.ErrClosed
	}
	if id < 0 || int(id) >= len(c.brokers) {
		return nil, fmt.Errorf("%w: broker %d does not exist (brokers are 0..%d)", ErrUnknownBroker, id, len(c.brokers)-1)
	}
	return c.brokers[id], nil
}

// ErrUnknownBroker is returned by the methods of Cluster that take a broker
// id when no broker has that id.
var ErrUnknownBroker = errors.New("mockbroker: unknown broker")

// ErrBrokerState is returned by StopBroker for a broker that is already
// stopped, and by RestartBroker for one that is running.
var ErrBrokerState = errors.New("mockbroker: broker is not in the required state")

// StopBroker stops one broker as if its process died: its listener is
// closed, its connections are dropped, its fetch sessions are lost, and the
// leadership of every partition it led moves to the next running replica
// (or to none, -1), with the leader epoch bumped. Requests the broker was
// still handling take no effect. Metadata stops listing it.
func (c *Cluster) StopBroker(broker int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.brokerLocked(broker)
	if err != nil {
		return err
	}
	if !b.up {
		return fmt.Errorf("%w: broker %d is already stopped", ErrBrokerState, broker)
	}
	c.stopBrokerLocked(b)
	c.electLeadersLocked()
	c.log.Info("broker stopped", "broker", broker)
	return nil
}

// RestartBroker starts a stopped broker again on the same port. It becomes
// leader again of every partition whose preferred (first) replica it is,
// and of every partition left without a leader that it replicates; each of
// those leader changes bumps the leader epoch.
func (c *Cluster) RestartBroker(broker int32) error {
	c.mu.Lock()
	b, err := c.brokerLocked(broker)
	if err == nil && b.up {
		err = fmt.Errorf("%w: broker %d is running", ErrBrokerState, broker)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.startBroker(b, b.port); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.preferLeadersLocked(b.id)
	c.log.Info("broker restarted", "broker", broker, "addr", b.addr)
	return nil
}

// startBroker binds the broker's listener and starts its accept loop.
func (c *Cluster) startBroker(b *broker, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("mockbroker: broker %d: %w", b.id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		ln.Close()
		return samsa.ErrClosed
	}
	if b.up {
		// A concurrent RestartBroker won the race.
		ln.Close()
		return fmt.Errorf("%w: broker %d is running", ErrBrokerState, b.id)
	}
	b.ln = ln
	b.port = ln.Addr().(*net.TCPAddr).Port
	b.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	b.up = true
	b.gen++
	b.conns = make(map[*conn]struct{})
	c.wg.Add(1)
	go c.acceptLoop(b, ln, b.gen)
	return nil
}

// stopBrokerLocked closes the broker's listener and connections and drops
// its fetch sessions. c.mu must be held. It does not wait: the goroutines
// notice the closed sockets, and Close waits for all of them.
func (c *Cluster) stopBrokerLocked(b *broker) {
	if !b.up {
		return
	}
	b.up = false
	b.gen++
	b.ln.Close()
	b.ln = nil
	for cn := range b.conns {
		cn.shutdown()
	}
	b.conns = nil
	b.sessions = newFetchSessions()
}

func randomClusterID() string {
	var id [16]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(id[:])
}
