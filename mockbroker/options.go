package mockbroker

import (
	"fmt"
	"log/slog"

	"github.com/samsa-go/samsa"
)

// Option configures a Cluster. Options are applied in order by New, which
// then validates them together; an invalid option or combination makes New
// return a *samsa.ConfigError. Options are sealed: only this package can
// implement them.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Defaults, matching a freshly installed Kafka broker where Kafka has a
// corresponding setting.
const (
	// DefaultMaxFrameSize is the largest request frame a broker reads,
	// equivalent to Kafka's socket.request.max.bytes (100 MiB).
	DefaultMaxFrameSize = 100 << 20
	// DefaultMaxMessageBytes is the largest record batch a topic accepts,
	// equivalent to Kafka's max.message.bytes topic default (1 MiB plus
	// the 12 bytes of a batch's offset and length fields).
	DefaultMaxMessageBytes = 1048588
	// maxBrokers bounds WithBrokers: each broker is a listener and a slot
	// in every replica list, so a test with more is almost certainly a bug.
	maxBrokers = 64
	// maxSyntheticRecordBytes bounds WithSyntheticFetch.
	maxSyntheticRecordBytes = 16 << 20
)

type topicSpec struct {
	name       string
	partitions int32
}

type config struct {
	brokers           int
	port              int
	topics            []topicSpec
	autoCreate        bool
	defaultPartitions int32
	clusterID         string
	logger            *slog.Logger
	maxFrameSize      int32
	logAppendTime     map[string]bool
	blackhole         bool
	syntheticFetch    int // -1: off; otherwise the value size of each synthetic record
	groups            groupConfig
}

func defaultConfig() config {
	return config{
		brokers:           1,
		autoCreate:        true,
		defaultPartitions: 1,
		maxFrameSize:      DefaultMaxFrameSize,
		logAppendTime:     map[string]bool{},
		syntheticFetch:    -1,
	}
}

// WithBrokers sets the number of brokers, each with its own listener on
// 127.0.0.1. Broker ids are 0 through n-1; Addrs lists them in that order.
// Default 1; at most 64.
func WithBrokers(n int) Option {
	return optionFunc(func(c *config) { c.brokers = n })
}

// WithPort makes broker i listen on port base+i. Default 0: every broker
// gets an ephemeral port from the kernel. A restarted broker (see
// Cluster.RestartBroker) always comes back on the port it had.
func WithPort(base int) Option {
	return optionFunc(func(c *config) { c.port = base })
}

// WithTopic creates a topic with the given number of partitions when the
// cluster starts; repeat it for more topics. Leaders are spread round-robin
// over the brokers, replicas are min(3, brokers) brokers.
func WithTopic(name string, partitions int32) Option {
	return optionFunc(func(c *config) { c.topics = append(c.topics, topicSpec{name, partitions}) })
}

// WithAutoCreateTopics sets whether a Metadata request for an unknown topic
// creates it (Kafka's auto.create.topics.enable), and whether a Produce to an
// unknown topic does not (Kafka never auto-creates on Produce). Default true.
func WithAutoCreateTopics(enable bool) Option {
	return optionFunc(func(c *config) { c.autoCreate = enable })
}

// WithDefaultPartitions sets the partition count of auto-created topics and
// of CreateTopics requests that ask for the default (-1); Kafka's
// num.partitions. Default 1.
func WithDefaultPartitions(n int32) Option {
	return optionFunc(func(c *config) { c.defaultPartitions = n })
}

// WithClusterID sets the cluster id reported in Metadata responses. Default:
// a random 22-character id in the form Kafka generates.
func WithClusterID(id string) Option {
	return optionFunc(func(c *config) { c.clusterID = id })
}

// WithLogger sets the logger for connection events and rejected input
// (malformed frames, unknown API keys, unsupported versions). Default: logs
// are discarded.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithMaxFrameSize sets the largest request frame a broker reads (Kafka's
// socket.request.max.bytes); a connection announcing a larger frame is
// closed. Default DefaultMaxFrameSize (100 MiB).
func WithMaxFrameSize(n int32) Option {
	return optionFunc(func(c *config) { c.maxFrameSize = n })
}

// WithLogAppendTime makes the named topic use log append time
// (message.timestamp.type=LogAppendTime): the broker stamps every batch with
// its own clock. It applies whenever a topic of that name exists, whether
// created by WithTopic, auto-created or created with CreateTopics. The same
// can be asked per topic in a CreateTopics request with the config
// message.timestamp.type=LogAppendTime. Repeatable.
func WithLogAppendTime(topic string) Option {
	return optionFunc(func(c *config) { c.logAppendTime[topic] = true })
}

// WithBlackhole turns on a benchmark mode: produced batches are validated
// (framing and CRC) and acknowledged with offsets assigned, but not stored,
// so the broker's memory stays flat however much is produced. Fetches see
// the advancing high watermark and no records. Default off.
func WithBlackhole() Option {
	return optionFunc(func(c *config) { c.blackhole = true })
}

// WithSyntheticFetch turns on a benchmark mode: every fetch of an existing
// partition, at any offset from 0 up, is answered from one pre-encoded, uncompressed
// batch of records whose values are recordBytes bytes long (keys are
// empty), re-based so that offsets advance from the fetch offset. The high
// watermark always lies just past what was served, so a consumer never
// waits. Produced data is stored as usual unless WithBlackhole is also
// given. Default off.
func WithSyntheticFetch(recordBytes int) Option {
	return optionFunc(func(c *config) { c.syntheticFetch = recordBytes })
}

func (c *config) validate() error {
	if c.brokers < 1 || c.brokers > maxBrokers {
		return &samsa.ConfigError{Option: "mockbroker.WithBrokers", Value: c.brokers, Reason: fmt.Sprintf("want 1 to %d brokers", maxBrokers)}
	}
	if c.port < 0 || c.port+c.brokers-1 > 65535 {
		return &samsa.ConfigError{Option: "mockbroker.WithPort", Value: c.port, Reason: fmt.Sprintf("ports base..base+%d must lie in 1..65535 (or base 0 for ephemeral ports)", c.brokers-1)}
	}
	if c.defaultPartitions < 1 {
		return &samsa.ConfigError{Option: "mockbroker.WithDefaultPartitions", Value: c.defaultPartitions, Reason: "want at least 1 partition"}
	}
	if c.maxFrameSize < 64 {
		return &samsa.ConfigError{Option: "mockbroker.WithMaxFrameSize", Value: c.maxFrameSize, Reason: "want at least 64 bytes"}
	}
	if c.syntheticFetch < -1 || c.syntheticFetch > maxSyntheticRecordBytes {
		return &samsa.ConfigError{Option: "mockbroker.WithSyntheticFetch", Value: c.syntheticFetch, Reason: fmt.Sprintf("want a record size of 0 to %d bytes", maxSyntheticRecordBytes)}
	}
	if err := c.groups.validate(); err != nil {
		return err
	}
	if c.clusterID == "" {
		c.clusterID = randomClusterID()
	}
	seen := make(map[string]bool, len(c.topics))
	for _, t := range c.topics {
		if err := samsa.ValidateTopic(t.name); err != nil {
			return &samsa.ConfigError{Option: "mockbroker.WithTopic", Value: t.name, Reason: err.Error()}
		}
		if t.partitions < 1 || t.partitions > maxPartitions {
			return &samsa.ConfigError{Option: "mockbroker.WithTopic", Value: t.partitions, Reason: fmt.Sprintf("topic %q: want 1 to %d partitions", t.name, maxPartitions)}
		}
		if seen[t.name] {
			return &samsa.ConfigError{Option: "mockbroker.WithTopic", Value: t.name, Reason: "topic given twice"}
		}
		seen[t.name] = true
	}
	for name := range c.logAppendTime {
		if err := samsa.ValidateTopic(name); err != nil {
			return &samsa.ConfigError{Option: "mockbroker.WithLogAppendTime", Value: name, Reason: err.Error()}
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
