package workload

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/samsa-go/samsa"
)

// Mode is the kind of workload a runner executes.
type Mode string

// The workload modes.
const (
	// ModeProduce produces Config.Records records asynchronously at full
	// speed and waits until every one is acknowledged.
	ModeProduce Mode = "produce"
	// ModeConsume reads partitions 0..Config.Partitions-1 of Config.Topic
	// from offset 0, without a group, until Config.Records records were
	// seen, touching every record's value.
	ModeConsume Mode = "consume"
)

// ParseMode returns the Mode named s, or an error naming the valid modes.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeProduce, ModeConsume:
		return m, nil
	}
	return "", fmt.Errorf("workload: unknown mode %q (want %q or %q)", s, ModeProduce, ModeConsume)
}

// Defaults of Config, chosen to match the Java client's defaults except
// where the benchmark specification asks otherwise (linger, batch size).
const (
	DefaultTopic               = "bench"
	DefaultPartitions          = 12
	DefaultRecordBytes         = 100
	DefaultLinger              = 5 * time.Millisecond
	DefaultBatchBytes          = 1 << 20
	DefaultMaxInFlight         = 5
	DefaultBufferBytes         = 32 << 20
	DefaultFetchMaxBytes       = 50 << 20
	DefaultPartitionFetchBytes = 1 << 20
	DefaultFetchMinBytes       = 1
	DefaultFetchMaxWait        = 500 * time.Millisecond
)

// Config is what every client is told for one run. Produce runs use the
// producer fields, consume runs the fetch fields; both use the rest. The
// zero value is not usable: start from DefaultConfig. A Config is a plain
// value; copies are independent except for the Brokers slice.
type Config struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string
	// Topic is the topic produced to or consumed from. Default "bench".
	Topic string
	// Partitions is the topic's partition count; a consumer reads
	// partitions 0 through Partitions-1. Default 12.
	Partitions int32
	// Records is how many records a run produces or consumes.
	Records int64
	// RecordBytes is the size of every record value; keys are nil.
	// Default 100.
	RecordBytes int

	// Linger is how long a partition's batch waits for more records
	// (linger.ms). Default 5ms.
	Linger time.Duration
	// BatchBytes is the largest record batch (batch.size); also each
	// client's per-batch or per-message upper bound. Default 1 MiB.
	BatchBytes int
	// MaxInFlight is the number of produce requests in flight per
	// broker connection (max.in.flight.requests.per.connection), where a
	// client allows it. Default 5.
	MaxInFlight int
	// BufferBytes bounds the records a producer holds before blocking
	// (buffer.memory), where a client allows it. Default 32 MiB.
	BufferBytes int

	// FetchMaxBytes bounds one fetch response (fetch.max.bytes).
	// Default 50 MiB.
	FetchMaxBytes int
	// PartitionFetchBytes bounds one partition in a fetch response
	// (max.partition.fetch.bytes). Default 1 MiB.
	PartitionFetchBytes int
	// FetchMinBytes is the least a broker returns before FetchMaxWait
	// passes (fetch.min.bytes). Default 1.
	FetchMinBytes int
	// FetchMaxWait is the longest a broker holds a fetch (fetch.max.wait.ms).
	// Default 500ms.
	FetchMaxWait time.Duration
}

// DefaultConfig returns a Config with every default set and no brokers.
func DefaultConfig() Config {
	return Config{
		Topic:               DefaultTopic,
		Partitions:          DefaultPartitions,
		RecordBytes:         DefaultRecordBytes,
		Linger:              DefaultLinger,
		BatchBytes:          DefaultBatchBytes,
		MaxInFlight:         DefaultMaxInFlight,
		BufferBytes:         DefaultBufferBytes,
		FetchMaxBytes:       DefaultFetchMaxBytes,
		PartitionFetchBytes: DefaultPartitionFetchBytes,
		FetchMinBytes:       DefaultFetchMinBytes,
		FetchMaxWait:        DefaultFetchMaxWait,
	}
}

// Validate reports the first field that no client could honour, as a
// *samsa.ConfigError naming the flag.
func (c Config) Validate() error {
	bad := func(flag string, v any, reason string) error {
		return &samsa.ConfigError{Option: "-" + flag, Value: v, Reason: reason}
	}
	switch {
	case len(c.Brokers) == 0:
		return bad("brokers", nil, "at least one bootstrap address is required")
	case c.Partitions <= 0:
		return bad("partitions", c.Partitions, "must be positive")
	case c.Records <= 0:
		return bad("records", c.Records, "must be positive")
	case c.RecordBytes <= 0:
		return bad("record-bytes", c.RecordBytes, "must be positive")
	case c.Linger < 0:
		return bad("linger", c.Linger, "must not be negative")
	case c.BatchBytes < 512:
		return bad("batch-bytes", c.BatchBytes, "must be at least 512")
	case c.BatchBytes < c.RecordBytes+128:
		return bad("batch-bytes", c.BatchBytes, "must hold at least one record with its batch framing")
	case c.MaxInFlight <= 0:
		return bad("max-in-flight", c.MaxInFlight, "must be positive")
	case c.BufferBytes < c.BatchBytes:
		return bad("buffer-bytes", c.BufferBytes, "must be at least -batch-bytes")
	case c.FetchMaxBytes <= 0:
		return bad("fetch-max-bytes", c.FetchMaxBytes, "must be positive")
	case c.PartitionFetchBytes <= 0:
		return bad("partition-fetch-bytes", c.PartitionFetchBytes, "must be positive")
	case c.FetchMinBytes <= 0:
		return bad("fetch-min-bytes", c.FetchMinBytes, "must be positive")
	case c.FetchMaxWait < time.Millisecond:
		return bad("fetch-max-wait", c.FetchMaxWait, "must be at least 1ms")
	}
	for _, b := range c.Brokers {
		if b == "" || !strings.Contains(b, ":") {
			return bad("brokers", b, "every address must be host:port")
		}
	}
	if err := samsa.ValidateTopic(c.Topic); err != nil {
		return &samsa.ConfigError{Option: "-topic", Value: c.Topic, Reason: err.Error()}
	}
	return nil
}

// Payload returns a fresh RecordBytes-long value. Runners send the same
// read-only slice as every record's value, so no client is charged for the
// benchmark's own allocations.
func (c Config) Payload() []byte {
	p := make([]byte, c.RecordBytes)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// PartitionIDs returns 0 through Partitions-1.
func (c Config) PartitionIDs() []int32 {
	ids := make([]int32, c.Partitions)
	for i := range ids {
		ids[i] = int32(i)
	}
	return ids
}

// RegisterFlags defines one flag per field on fs, with c's values as the
// defaults, writing into c. Args is its inverse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Func("brokers", "comma-separated bootstrap addresses, host:port", func(s string) error {
		c.Brokers = nil
		for _, b := range strings.Split(s, ",") {
			if b = strings.TrimSpace(b); b != "" {
				c.Brokers = append(c.Brokers, b)
			}
		}
		return nil
	})
	fs.StringVar(&c.Topic, "topic", c.Topic, "topic to produce to or consume from")
	fs.Func("partitions", "partition count of the topic; consumers read all of them (default "+strconv.Itoa(int(c.Partitions))+")", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 32)
		c.Partitions = int32(n)
		return err
	})
	fs.Int64Var(&c.Records, "records", c.Records, "records to produce or consume")
	fs.IntVar(&c.RecordBytes, "record-bytes", c.RecordBytes, "bytes per record value (keys are nil)")
	fs.DurationVar(&c.Linger, "linger", c.Linger, "producer linger (linger.ms)")
	fs.IntVar(&c.BatchBytes, "batch-bytes", c.BatchBytes, "largest record batch (batch.size)")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "produce requests in flight per broker, where the client allows it")
	fs.IntVar(&c.BufferBytes, "buffer-bytes", c.BufferBytes, "producer buffer (buffer.memory), where the client allows it")
	fs.IntVar(&c.FetchMaxBytes, "fetch-max-bytes", c.FetchMaxBytes, "largest fetch response (fetch.max.bytes)")
	fs.IntVar(&c.PartitionFetchBytes, "partition-fetch-bytes", c.PartitionFetchBytes, "largest partition in a fetch response (max.partition.fetch.bytes)")
	fs.IntVar(&c.FetchMinBytes, "fetch-min-bytes", c.FetchMinBytes, "fetch.min.bytes")
	fs.DurationVar(&c.FetchMaxWait, "fetch-max-wait", c.FetchMaxWait, "fetch.max.wait.ms")
}

// Args returns the command-line flags that make RegisterFlags reproduce c.
func (c Config) Args() []string {
	return []string{
		"-brokers", strings.Join(c.Brokers, ","),
		"-topic", c.Topic,
		"-partitions", strconv.Itoa(int(c.Partitions)),
		"-records", strconv.FormatInt(c.Records, 10),
		"-record-bytes", strconv.Itoa(c.RecordBytes),
		"-linger", c.Linger.String(),
		"-batch-bytes", strconv.Itoa(c.BatchBytes),
		"-max-in-flight", strconv.Itoa(c.MaxInFlight),
		"-buffer-bytes", strconv.Itoa(c.BufferBytes),
		"-fetch-max-bytes", strconv.Itoa(c.FetchMaxBytes),
		"-partition-fetch-bytes", strconv.Itoa(c.PartitionFetchBytes),
		"-fetch-min-bytes", strconv.Itoa(c.FetchMinBytes),
		"-fetch-max-wait", c.FetchMaxWait.String(),
	}
}
