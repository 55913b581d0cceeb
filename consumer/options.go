package consumer

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	metrics "github.com/rcrowley/go-metrics"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
)

// Defaults of the options, the Java consumer's where it has the setting.
const (
	DefaultClientID           = "samsa"
	DefaultSessionTimeout     = 45 * time.Second
	DefaultHeartbeatInterval  = 3 * time.Second
	DefaultMaxPollInterval    = 5 * time.Minute
	DefaultMaxPollRecords     = 500
	DefaultAutoCommitInterval = 5 * time.Second
	DefaultFetchMinBytes      = 1
	DefaultFetchMaxBytes      = 50 << 20
	DefaultFetchMaxWait       = 500 * time.Millisecond
	DefaultMaxPartitionBytes  = 1 << 20
	DefaultMaxBufferedBytes   = DefaultFetchMaxBytes
	DefaultFetchersPerBroker  = 1
	DefaultRequestTimeout     = 30 * time.Second
	DefaultAPITimeout         = 60 * time.Second
	DefaultRetryBackoff       = 100 * time.Millisecond
	DefaultRetryBackoffMax    = time.Second
	DefaultMetadataMaxAge     = 5 * time.Minute
	DefaultDialTimeout        = wire.DefaultDialTimeout // socket.connection.setup.timeout.ms = 10s
)

// OffsetReset says where a consumer starts reading a partition for which
// it has no position and no committed offset, or whose position fell
// outside the log (Java's auto.offset.reset).
type OffsetReset int8

const (
	// ResetLatest starts at the end of the log: only records produced from
	// now on are read. The default, as in Java.
	ResetLatest OffsetReset = iota
	// ResetEarliest starts at the log start offset.
	ResetEarliest
	// ResetNone starts nowhere: Poll returns a *NoOffsetError naming the
	// partitions until they are given a position with Seek.
	ResetNone
)

// String returns the Java name: "latest", "earliest" or "none".
func (r OffsetReset) String() string {
	switch r {
	case ResetLatest:
		return "latest"
	case ResetEarliest:
		return "earliest"
	case ResetNone:
		return "none"
	}
	return fmt.Sprintf("OffsetReset(%d)", int8(r))
}

// IsolationLevel says which records of transactional producers a consumer
// reads (Java's isolation.level).
type IsolationLevel int8

const (
	// ReadUncommitted reads every record up to the high watermark,
	// including records of open and aborted transactions. The default.
	ReadUncommitted IsolationLevel = 0
	// ReadCommitted reads only up to the last stable offset and skips the
	// records of aborted transactions.
	ReadCommitted IsolationLevel = 1
)

// String returns the Java name: "read_uncommitted" or "read_committed".
func (l IsolationLevel) String() string {
	switch l {
	case ReadUncommitted:
		return "read_uncommitted"
	case ReadCommitted:
		return "read_committed"
	}
	return fmt.Sprintf("IsolationLevel(%d)", int8(l))
}

// Option configures a Consumer. Options are sealed: only this package
// implements them. New applies them in order and validates them together.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the validated configuration of a consumer.
type config struct {
	brokers            []string
	clientID           string
	groupID            string
	instanceID         string
	rack               string
	sessionTimeout     time.Duration
	heartbeatInterval  time.Duration
	maxPollInterval    time.Duration
	maxPollRecords     int
	autoCommit         *bool // nil: default (on with a group)
	autoCommitInterval time.Duration
	offsetReset        OffsetReset
	assignors          []assignor.Assignor
	isolation          IsolationLevel
	fetchMinBytes      int32
	fetchMaxBytes      int32
	fetchMaxWait       time.Duration
	maxPartitionBytes  int32
	maxBufferedBytes   int64
	fetchersPerBroker  int
	requestTimeout     time.Duration
	apiTimeout         time.Duration
	retryBackoff       time.Duration
	retryBackoffMax    time.Duration
	metadataMaxAge     time.Duration
	tls                *tls.Config
	sasl               wire.Mechanism
	dialTimeout        time.Duration
	maxVersions        map[int16]int16
	interceptors       []any // interceptor.ConsumerInterceptor[Record[K, V]], checked by New
	listener           RebalanceListener
	registry           metrics.Registry
	logger             *slog.Logger
}

func defaultConfig() config {
	return config{
		clientID:           DefaultClientID,
		sessionTimeout:     DefaultSessionTimeout,
		heartbeatInterval:  DefaultHeartbeatInterval,
		maxPollInterval:    DefaultMaxPollInterval,
		maxPollRecords:     DefaultMaxPollRecords,
		autoCommitInterval: DefaultAutoCommitInterval,
		offsetReset:        ResetLatest,
		assignors:          []assignor.Assignor{assignor.Range(), assignor.CooperativeSticky()},
		isolation:          ReadUncommitted,
		fetchMinBytes:      DefaultFetchMinBytes,
		fetchMaxBytes:      DefaultFetchMaxBytes,
		fetchMaxWait:       DefaultFetchMaxWait,
		maxPartitionBytes:  DefaultMaxPartitionBytes,
		maxBufferedBytes:   DefaultMaxBufferedBytes,
		fetchersPerBroker:  DefaultFetchersPerBroker,
		requestTimeout:     DefaultRequestTimeout,
		apiTimeout:         DefaultAPITimeout,
		retryBackoff:       DefaultRetryBackoff,
		retryBackoffMax:    DefaultRetryBackoffMax,
		metadataMaxAge:     DefaultMetadataMaxAge,
		dialTimeout:        DefaultDialTimeout,
	}
}

// WithBrokers sets the seed brokers ("host:port") the consumer bootstraps
// from (Java's bootstrap.servers). Required.
func WithBrokers(addrs ...string) Option {
	addrs = slices.Clone(addrs)
	return optionFunc(func(c *config) { c.brokers = addrs })
}

// WithClientID sets the client id sent with every request (Java's
// client.id). Default "samsa".
func WithClientID(id string) Option {
	return optionFunc(func(c *config) { c.clientID = id })
}

// WithTLS enables TLS on every broker connection with cfg (Java's
// security.protocol=SSL and the ssl.* settings). An empty ServerName is
// filled in per broker; cfg is not modified. Default nil: plaintext.
func WithTLS(cfg *tls.Config) Option {
	return optionFunc(func(c *config) { c.tls = cfg })
}

// WithSASL authenticates every broker connection with the SASL mechanism m
// (Java's sasl.mechanism and sasl.jaas.config), after ApiVersions and
// before any other request; see [SASLPlain], [SASLScramSHA256] and
// [SASLScramSHA512]. Default nil: no authentication.
func WithSASL(m SASLMechanism) Option {
	return optionFunc(func(c *config) { c.sasl = m })
}

// SASLMechanism is a SASL mechanism for [WithSASL]. It is the same type as
// producer.SASLMechanism: a mechanism built by either package works with
// both. A mechanism is safe for concurrent use by many connections.
type SASLMechanism = wire.Mechanism

// SASLPlain returns the SASL/PLAIN mechanism; it sends the password in the
// clear, so use it only with [WithTLS].
func SASLPlain(user, password string) SASLMechanism { return wire.Plain(user, password) }

// SASLScramSHA256 returns the SCRAM-SHA-256 mechanism (RFC 7677).
func SASLScramSHA256(user, password string) SASLMechanism { return wire.ScramSHA256(user, password) }

// SASLScramSHA512 returns the SCRAM-SHA-512 mechanism.
func SASLScramSHA512(user, password string) SASLMechanism { return wire.ScramSHA512(user, password) }

// WithDialTimeout bounds each TCP connect and TLS handshake (Java's
// socket.connection.setup.timeout.ms). Default 10s. Must be positive.
func WithDialTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.dialTimeout = d })
}

// WithMaxVersions caps the protocol version the consumer uses for each API
// key in caps (key → highest version), as sarama's Config.Version caps its
// requests; the Java client has no equivalent. Keys not in caps use the
// highest version both the broker and samsa support. caps is copied.
// Default: no caps. A negative key or version is rejected; a cap below the
// lowest version samsa implements for an API makes that API's requests
// fail with an error wrapping samsa.ErrUnsupportedVersion.
func WithMaxVersions(caps map[int16]int16) Option {
	caps = maps.Clone(caps)
	return optionFunc(func(c *config) { c.maxVersions = caps })
}

// WithGroupID makes the consumer a member of a consumer group (Java's
// group.id): Subscribe and SubscribeRegex join the group, and offsets are
// committed to and read from the group coordinator. Default "": no group;
// only Assign is possible and nothing is committed.
func WithGroupID(id string) Option {
	return optionFunc(func(c *config) { c.groupID = id })
}

// WithGroupInstanceID makes the consumer a static member of its group
// (Java's group.instance.id, KIP-345): it never sends LeaveGroup, so a
// restart within the session timeout gets the same partitions back without
// a rebalance. Two running consumers must never share an instance id: the
// older one is fenced with a *FencedInstanceError. Requires WithGroupID.
// Default "": a dynamic member.
func WithGroupInstanceID(id string) Option {
	return optionFunc(func(c *config) { c.instanceID = id })
}

// WithRack sets the rack the consumer runs in (Java's client.rack); it is
// sent in the group subscription (v3) for rack-aware assignors. Default "".
func WithRack(rack string) Option {
	return optionFunc(func(c *config) { c.rack = rack })
}

// WithSessionTimeout sets how long the group coordinator waits for a
// heartbeat before it removes the member (Java's session.timeout.ms). The
// broker bounds it with group.min/max.session.timeout.ms. Must exceed the
// heartbeat interval. Default 45s.
func WithSessionTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.sessionTimeout = d })
}

// WithHeartbeatInterval sets the interval between heartbeats to the group
// coordinator (Java's heartbeat.interval.ms). Must be below the session
// timeout; a third of it or less is advisable. Default 3s.
func WithHeartbeatInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.heartbeatInterval = d })
}

// WithMaxPollInterval sets the longest time the application may take
// between two Poll calls (Java's max.poll.interval.ms). When it passes,
// the consumer leaves the group proactively so its partitions go to other
// members; the next Poll reports them lost and rejoins. It is also the
// rebalance timeout sent in JoinGroup. Default 5m.
func WithMaxPollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.maxPollInterval = d })
}

// WithMaxPollRecords sets the most records one Poll returns (Java's
// max.poll.records). It does not change how much is fetched. Default 500.
func WithMaxPollRecords(n int) Option {
	return optionFunc(func(c *config) { c.maxPollRecords = n })
}

// WithAutoCommit turns the periodic commit of consumed positions on or off
// (Java's enable.auto.commit). When on, Poll commits the positions reached
// by the records of earlier polls every auto commit interval, and the
// consumer also commits before its partitions are revoked and on Close:
// at-least-once delivery for applications that finish processing a poll's
// records before the next Poll. Default: on when a group id is set; turning
// it on without a group id is a configuration error.
func WithAutoCommit(enabled bool) Option {
	return optionFunc(func(c *config) { c.autoCommit = &enabled })
}

// WithAutoCommitInterval sets the interval of automatic commits (Java's
// auto.commit.interval.ms). Default 5s.
func WithAutoCommitInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.autoCommitInterval = d })
}

// WithAutoOffsetReset sets where to start reading a partition without a
// usable committed offset (Java's auto.offset.reset). Default ResetLatest.
func WithAutoOffsetReset(r OffsetReset) Option {
	return optionFunc(func(c *config) { c.offsetReset = r })
}

// WithAssignors sets the partition assignors the consumer offers its group,
// in order of preference (Java's partition.assignment.strategy). The group
// coordinator picks one that every member offers; the consumer rebalances
// cooperatively (KIP-429) only if every assignor given supports it, eagerly
// otherwise. Default [assignor.Range(), assignor.CooperativeSticky()], as
// in Java — which rebalances eagerly, with range.
func WithAssignors(as ...assignor.Assignor) Option {
	as = slices.Clone(as)
	return optionFunc(func(c *config) { c.assignors = as })
}

// WithIsolationLevel sets which transactional records are read (Java's
// isolation.level). Default ReadUncommitted.
func WithIsolationLevel(l IsolationLevel) Option {
	return optionFunc(func(c *config) { c.isolation = l })
}

// WithFetchMinBytes sets how many bytes a broker should have before it
// answers a fetch; it waits up to the fetch max wait for them (Java's
// fetch.min.bytes). Default 1.
func WithFetchMinBytes(n int32) Option {
	return optionFunc(func(c *config) { c.fetchMinBytes = n })
}

// WithFetchMaxBytes caps the bytes a broker returns in one fetch response,
// except that the first batch is returned whole even if larger (Java's
// fetch.max.bytes). Default 50 MiB.
func WithFetchMaxBytes(n int32) Option {
	return optionFunc(func(c *config) { c.fetchMaxBytes = n })
}

// WithFetchMaxWait sets how long a broker holds a fetch waiting for fetch
// min bytes (Java's fetch.max.wait.ms). Default 500ms.
func WithFetchMaxWait(d time.Duration) Option {
	return optionFunc(func(c *config) { c.fetchMaxWait = d })
}

// WithMaxPartitionFetchBytes caps the bytes returned for one partition in a
// fetch, except that a first batch larger than this is still returned
// (Java's max.partition.fetch.bytes). Default 1 MiB.
func WithMaxPartitionFetchBytes(n int32) Option {
	return optionFunc(func(c *config) { c.maxPartitionBytes = n })
}

// WithMaxBufferedBytes bounds the fetched bytes the consumer holds that Poll
// has not returned yet: no new fetch is sent while that much is buffered,
// so memory stays within this bound plus one fetch response per broker.
// Default 50 MiB (the fetch max bytes).
func WithMaxBufferedBytes(n int64) Option {
	return optionFunc(func(c *config) { c.maxBufferedBytes = n })
}

// WithFetchersPerBroker sets how many fetches the consumer keeps in flight
// to one broker. The partitions a broker leads are divided between that
// many fetchers, each fetching its share in one Fetch over a connection
// and an incremental fetch session of its own, as Kafka divides a
// broker's partitions between replica fetcher threads
// (num.replica.fetchers): the broker streams one response while the
// consumer reads and decodes another. A broker gets a further fetcher
// (and connection) only once it leads more of the consumer's partitions
// than the fetchers it has. From 1 to 16; default 1, the Java consumer's
// behaviour: one fetch per broker covering all its assigned partitions.
// More fetchers raise throughput when the consumer, not the broker, is the
// bottleneck (see bench/RESULTS.md), at the cost of a connection and a
// fetch session each.
func WithFetchersPerBroker(n int) Option {
	return optionFunc(func(c *config) { c.fetchersPerBroker = n })
}

// WithRequestTimeout bounds the wait for each broker response (Java's
// request.timeout.ms); JoinGroup, which the coordinator holds for up to the
// rebalance timeout, waits that long plus 5 seconds instead. Default 30s.
func WithRequestTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.requestTimeout = d })
}

// WithDefaultAPITimeout bounds blocking calls whose context has no deadline
// (CommitSync, Committed, Position, Unsubscribe, Close) and the bootstrap
// in New (Java's default.api.timeout.ms). Default 60s.
func WithDefaultAPITimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.apiTimeout = d })
}

// WithRetryBackoff sets the first pause before retrying a failed request,
// doubled per attempt up to the max (Java's retry.backoff.ms and
// retry.backoff.max.ms). Defaults 100ms and 1s; max is raised to initial
// if below it.
func WithRetryBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) { c.retryBackoff, c.retryBackoffMax = initial, max })
}

// WithMetadataMaxAge sets the interval of the periodic metadata refresh,
// which also re-evaluates a SubscribeRegex pattern against the cluster's
// topics (Java's metadata.max.age.ms). Default 5m.
func WithMetadataMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { c.metadataMaxAge = d })
}

// WithInterceptors sets the consumer's interceptors, run in order on the
// records of every poll (OnConsume) and on the outcome of every commit
// (OnCommit); see package interceptor. K and V must be the consumer's key
// and value types, or New fails with a *samsa.ConfigError. Default none.
func WithInterceptors[K, V any](ics ...ConsumerInterceptor[K, V]) Option {
	list := make([]any, len(ics))
	for i, ic := range ics {
		list[i] = ic
	}
	return optionFunc(func(c *config) { c.interceptors = list })
}

// WithRebalanceListener sets the listener told about partitions assigned
// to, revoked from and lost by the consumer as its group rebalances (Java's
// ConsumerRebalanceListener). Its methods run on the goroutine that calls
// Poll, Unsubscribe or Close. Default none.
func WithRebalanceListener(l RebalanceListener) Option {
	return optionFunc(func(c *config) { c.listener = l })
}

// WithMetricsRegistry sets the go-metrics registry the consumer reports to,
// under sarama's metric names where the meaning is the same
// (consumer-fetch-rate, consumer-batch-size, consumer-fetch-response-size,
// consumer-group-join-total-<group>, ...; see the package documentation).
// Default nil: no metrics are kept.
func WithMetricsRegistry(r metrics.Registry) Option {
	return optionFunc(func(c *config) { c.registry = r })
}

// WithLogger sets the logger for connection, fetch and group events.
// Default nil: nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// validate checks the options together, as New does.
func (c *config) validate() error {
	bad := func(option string, value any, reason string) error {
		return &samsa.ConfigError{Option: "consumer." + option, Value: value, Reason: reason}
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"WithSessionTimeout", c.sessionTimeout},
		{"WithHeartbeatInterval", c.heartbeatInterval},
		{"WithMaxPollInterval", c.maxPollInterval},
		{"WithAutoCommitInterval", c.autoCommitInterval},
		{"WithRequestTimeout", c.requestTimeout},
		{"WithDefaultAPITimeout", c.apiTimeout},
		{"WithRetryBackoff", c.retryBackoff},
		{"WithMetadataMaxAge", c.metadataMaxAge},
		{"WithDialTimeout", c.dialTimeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return bad(p.name, p.d, "must be positive")
		}
	}
	switch {
	case len(c.brokers) == 0:
		return bad("WithBrokers", nil, "at least one seed broker is required")
	case c.clientID == "":
		return bad("WithClientID", c.clientID, "must not be empty")
	case c.instanceID != "" && c.groupID == "":
		return bad("WithGroupInstanceID", c.instanceID, "a static member needs a group id (WithGroupID)")
	case c.heartbeatInterval >= c.sessionTimeout:
		return bad("WithHeartbeatInterval+WithSessionTimeout", c.heartbeatInterval,
			fmt.Sprintf("the heartbeat interval must be below the session timeout (%v)", c.sessionTimeout))
	case c.sessionTimeout > time.Duration(1<<31-1)*time.Millisecond:
		return bad("WithSessionTimeout", c.sessionTimeout, "must fit in an int32 of milliseconds")
	case c.maxPollInterval > time.Duration(1<<31-1)*time.Millisecond:
		return bad("WithMaxPollInterval", c.maxPollInterval, "must fit in an int32 of milliseconds")
	case c.maxPollRecords < 1:
		return bad("WithMaxPollRecords", c.maxPollRecords, "must be at least 1")
	case c.autoCommit != nil && *c.autoCommit && c.groupID == "":
		return bad("WithAutoCommit", true, "auto commit needs a group id (WithGroupID)")
	case c.offsetReset < ResetLatest || c.offsetReset > ResetNone:
		return bad("WithAutoOffsetReset", c.offsetReset, "must be ResetLatest, ResetEarliest or ResetNone")
	case c.isolation != ReadUncommitted && c.isolation != ReadCommitted:
		return bad("WithIsolationLevel", c.isolation, "must be ReadUncommitted or ReadCommitted")
	case c.fetchMinBytes < 0:
		return bad("WithFetchMinBytes", c.fetchMinBytes, "must not be negative")
	case c.fetchMaxBytes < 1:
		return bad("WithFetchMaxBytes", c.fetchMaxBytes, "must be positive")
	case c.maxPartitionBytes < 1:
		return bad("WithMaxPartitionFetchBytes", c.maxPartitionBytes, "must be positive")
	case c.fetchMaxWait < 0 || c.fetchMaxWait > time.Duration(1<<31-1)*time.Millisecond:
		return bad("WithFetchMaxWait", c.fetchMaxWait, "must be between 0 and MaxInt32 milliseconds")
	case c.fetchMaxWait >= c.requestTimeout:
		return bad("WithFetchMaxWait+WithRequestTimeout", c.fetchMaxWait,
			fmt.Sprintf("the fetch max wait must be below the request timeout (%v), or every idle fetch times out", c.requestTimeout))
	case c.maxBufferedBytes < 1:
		return bad("WithMaxBufferedBytes", c.maxBufferedBytes, "must be positive")
	case c.fetchersPerBroker < 1 || c.fetchersPerBroker > cluster.MaxFetchConns:
		return bad("WithFetchersPerBroker", c.fetchersPerBroker, fmt.Sprintf("must be between 1 and %d", cluster.MaxFetchConns))
	case c.retryBackoffMax < 0:
		return bad("WithRetryBackoff", c.retryBackoffMax, "the max backoff must not be negative")
	}
	for i, b := range c.brokers {
		if b == "" {
			return bad("WithBrokers", b, fmt.Sprintf("seed %d is empty", i))
		}
	}
	for k, v := range c.maxVersions {
		if k < 0 || v < 0 {
			return bad("WithMaxVersions", fmt.Sprintf("%d: %d", k, v), "API keys and versions must not be negative")
		}
	}
	if c.groupID != "" && len(c.assignors) == 0 {
		return bad("WithAssignors", nil, "a group member needs at least one assignor")
	}
	seen := make(map[string]bool)
	for i, a := range c.assignors {
		if a == nil {
			return bad("WithAssignors", nil, fmt.Sprintf("assignor %d is nil", i))
		}
		name := a.Name()
		if name == "" {
			return bad("WithAssignors", nil, fmt.Sprintf("assignor %d has an empty name", i))
		}
		if seen[name] {
			return bad("WithAssignors", name, "the same assignor name is given twice")
		}
		seen[name] = true
		if len(a.Protocols()) == 0 {
			return bad("WithAssignors", name, "the assignor supports no rebalance protocol")
		}
	}
	if c.retryBackoffMax < c.retryBackoff {
		c.retryBackoffMax = c.retryBackoff
	}
	if c.autoCommit == nil {
		on := c.groupID != ""
		c.autoCommit = &on
	}
	return c.wireOptions(nil).Validate()
}

// wireOptions returns the options of every broker connection the consumer
// opens: the cluster's pooled connections, the fetchers' and the group's
// JoinGroup connection. log is the consumer's logger, never nil.
func (c *config) wireOptions(log *slog.Logger) wire.Options {
	return wire.Options{
		ClientID:       c.clientID,
		DialTimeout:    c.dialTimeout,
		RequestTimeout: c.requestTimeout,
		TLS:            c.tls,
		SASL:           c.sasl,
		MaxVersions:    c.maxVersions,
		Logger:         log,
	}
}

// rebalanceProtocol returns the highest protocol every assignor supports,
// as Java's ConsumerCoordinator computes it; ok is false if they share none.
func rebalanceProtocol(as []assignor.Assignor) (assignor.RebalanceProtocol, bool) {
	var common []assignor.RebalanceProtocol
	for i, a := range as {
		ps := a.Protocols()
		if i == 0 {
			common = slices.Clone(ps)
			continue
		}
		common = slices.DeleteFunc(common, func(p assignor.RebalanceProtocol) bool { return !slices.Contains(ps, p) })
	}
	if len(common) == 0 {
		return assignor.Eager, false
	}
	return slices.Max(common), true
}

// backoff returns the pause before retry attempt n (0-based): retry backoff
// doubled per attempt, capped at the max, with ±20% jitter as in Java.
func (c *config) backoff(n int, jitter float64) time.Duration {
	d := c.retryBackoff
	for i := 0; i < n && d < c.retryBackoffMax; i++ {
		d *= 2
	}
	d = min(d, c.retryBackoffMax)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}
