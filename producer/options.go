package producer

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"reflect"
	"time"

	"github.com/rcrowley/go-metrics"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/partitioner"
)

// Defaults, equal to the Java producer's where Java has the setting.
const (
	DefaultClientID        = "samsa-producer"
	DefaultAcks            = AcksAll
	DefaultLinger          = accumulator.DefaultLinger          // linger.ms = 5
	DefaultBatchSize       = accumulator.DefaultBatchSize       // batch.size = 16384
	DefaultBufferMemory    = accumulator.DefaultBufferMemory    // buffer.memory = 32 MiB
	DefaultMaxBlock        = accumulator.DefaultMaxBlock        // max.block.ms = 60000
	DefaultMaxRequestSize  = 1 << 20                            // max.request.size = 1048576
	DefaultRequestTimeout  = 30 * time.Second                   // request.timeout.ms
	DefaultDeliveryTimeout = 120 * time.Second                  // delivery.timeout.ms
	DefaultRetries         = math.MaxInt32                      // retries
	DefaultRetryBackoff    = accumulator.DefaultRetryBackoff    // retry.backoff.ms = 100
	DefaultRetryBackoffMax = accumulator.DefaultRetryBackoffMax // retry.backoff.max.ms = 1000
	DefaultMaxInFlight     = 5                                  // max.in.flight.requests.per.connection
	DefaultMetadataMaxAge  = 5 * time.Minute                    // metadata.max.age.ms
)

// maxIdempotentInFlight is the most requests per connection an idempotent
// producer may have in flight: brokers remember the last 5 batches of each
// producer for duplicate detection.
const maxIdempotentInFlight = 5

// Acks is how many replicas must have a record before the broker
// acknowledges it (Java's acks).
type Acks int16

// The acks settings Kafka accepts.
const (
	// AcksNone (acks=0) does not wait for the broker at all: the producer
	// completes a record as soon as its request is written, with offset -1.
	// Records lost in transit are never reported.
	AcksNone Acks = 0
	// AcksLeader (acks=1) waits for the partition leader to append the
	// record, not for its replicas.
	AcksLeader Acks = 1
	// AcksAll (acks=all, -1) waits for every in-sync replica. The default.
	AcksAll Acks = -1
)

// String returns "0", "1" or "all".
func (a Acks) String() string {
	switch a {
	case AcksNone:
		return "0"
	case AcksLeader:
		return "1"
	case AcksAll:
		return "all"
	}
	return fmt.Sprintf("acks(%d)", int16(a))
}

// Codec is a compression codec for record batches (Java's compression.type).
type Codec int8

// The codecs Kafka defines.
const (
	CompressionNone   = Codec(records.CodecNone)
	CompressionGzip   = Codec(records.CodecGzip)
	CompressionSnappy = Codec(records.CodecSnappy)
	CompressionLZ4    = Codec(records.CodecLZ4)
	CompressionZstd   = Codec(records.CodecZstd)
)

// String returns the codec's compression.type name: "none", "gzip",
// "snappy", "lz4" or "zstd".
func (c Codec) String() string { return records.Codec(c).String() }

// ParseCodec returns the codec named s (case-insensitive), as Java's
// compression.type spells it.
func ParseCodec(s string) (Codec, error) {
	c, err := records.ParseCodec(s)
	return Codec(c), err
}

// Option configures a Producer. Options are sealed: only this package
// implements them. New applies them in order and then validates them
// together, returning a *samsa.ConfigError for anything it cannot honour.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the validated configuration of a producer.
type config struct {
	brokers  []string
	clientID string
	acks     Acks

	linger          time.Duration
	batchSize       int
	bufferMemory    int
	maxBlock        time.Duration
	maxRequestSize  int
	requestTimeout  time.Duration
	deliveryTimeout time.Duration
	deliverySet     bool
	retries         int
	retryBackoff    time.Duration
	retryBackoffMax time.Duration
	maxInFlight     int
	idempotence     bool
	idempotenceSet  bool

	codec Codec
	level int

	partitioner    partitioner.Partitioner
	partitionerSet bool
	interceptors   any // []interceptor.ProducerInterceptor[*Record[K, V]], checked by New
	registry       metrics.Registry
	registrySet    bool
	logger         *slog.Logger

	tls             *tls.Config
	sasl            wire.Mechanism
	dialTimeout     time.Duration
	metadataMaxAge  time.Duration
	autoCreateTopic bool
	maxVersions     map[int16]int16
}

func defaultConfig() config {
	return config{
		clientID:        DefaultClientID,
		acks:            DefaultAcks,
		linger:          DefaultLinger,
		batchSize:       DefaultBatchSize,
		bufferMemory:    DefaultBufferMemory,
		maxBlock:        DefaultMaxBlock,
		maxRequestSize:  DefaultMaxRequestSize,
		requestTimeout:  DefaultRequestTimeout,
		deliveryTimeout: DefaultDeliveryTimeout,
		retries:         DefaultRetries,
		retryBackoff:    DefaultRetryBackoff,
		retryBackoffMax: DefaultRetryBackoffMax,
		maxInFlight:     DefaultMaxInFlight,
		idempotence:     true,
		codec:           CompressionNone,
		dialTimeout:     wire.DefaultDialTimeout,
		metadataMaxAge:  DefaultMetadataMaxAge,
		autoCreateTopic: true,
	}
}

// --- Connection -----------------------------------------------------------

// WithBrokers sets the seed brokers, "host:port" each (Java's
// bootstrap.servers). Required. The producer connects lazily: New does no
// I/O, and the first Send bootstraps the cluster metadata from the seeds.
func WithBrokers(addrs ...string) Option {
	return optionFunc(func(c *config) { c.brokers = append([]string(nil), addrs...) })
}

// WithClientID sets the client id sent with every request (Java's
// client.id). Default "samsa-producer".
func WithClientID(id string) Option { return optionFunc(func(c *config) { c.clientID = id }) }

// WithTLS enables TLS on every broker connection with cfg (Java's
// security.protocol=SSL and the ssl.* settings). An empty ServerName is
// filled in per broker. Default: plaintext.
func WithTLS(cfg *tls.Config) Option { return optionFunc(func(c *config) { c.tls = cfg }) }

// WithSASL authenticates every broker connection with the SASL mechanism m
// (Java's sasl.mechanism and sasl.jaas.config); see [SASLPlain],
// [SASLScramSHA256] and [SASLScramSHA512]. Default: none.
func WithSASL(m SASLMechanism) Option { return optionFunc(func(c *config) { c.sasl = m }) }

// SASLMechanism is a SASL mechanism for [WithSASL].
type SASLMechanism = wire.Mechanism

// SASLPlain returns the SASL/PLAIN mechanism; use it only with TLS.
func SASLPlain(user, password string) SASLMechanism { return wire.Plain(user, password) }

// SASLScramSHA256 returns the SCRAM-SHA-256 mechanism.
func SASLScramSHA256(user, password string) SASLMechanism { return wire.ScramSHA256(user, password) }

// SASLScramSHA512 returns the SCRAM-SHA-512 mechanism.
func SASLScramSHA512(user, password string) SASLMechanism { return wire.ScramSHA512(user, password) }

// WithDialTimeout bounds each TCP connect and TLS handshake
// (Java's socket.connection.setup.timeout.ms). Default 10 s. Must be positive.
func WithDialTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.dialTimeout = d })
}

// WithMaxVersions caps the protocol version the producer uses for each API
// key in caps (key → highest version), as sarama's Config.Version caps
// its requests; the Java client has no equivalent. Keys not in caps use the
// highest version both the broker and samsa support. Default: no caps.
// A negative key or version is rejected.
func WithMaxVersions(caps map[int16]int16) Option {
	caps = maps.Clone(caps)
	return optionFunc(func(c *config) { c.maxVersions = caps })
}

// WithMetadataMaxAge sets how often the metadata of the topics produced to
// is refreshed even without errors (Java's metadata.max.age.ms). Default
// 5 min. Must be positive.
func WithMetadataMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { c.metadataMaxAge = d })
}

// WithAutoTopicCreation sets whether metadata requests ask the broker to
// create a topic that does not exist (honoured only if the broker's
// auto.create.topics.enable allows it), as the Java producer does.
// Default true.
func WithAutoTopicCreation(enable bool) Option {
	return optionFunc(func(c *config) { c.autoCreateTopic = enable })
}

// --- Durability and delivery ---------------------------------------------

// WithAcks sets the acknowledgement the producer waits for (Java's acks).
// Default [AcksAll].
func WithAcks(a Acks) Option { return optionFunc(func(c *config) { c.acks = a }) }

// WithRequestTimeout sets how long the producer waits for the answer to a
// produce request before it gives up on the connection and retries (Java's
// request.timeout.ms); it is also the timeout the broker is given. Default
// 30 s. Must be positive.
func WithRequestTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.requestTimeout = d })
}

// WithDeliveryTimeout bounds the time from Send to the callback, retries
// included (Java's delivery.timeout.ms); a record not acknowledged by then
// fails with an error wrapping samsa.ErrDeliveryTimeout. Default 120 s. It
// must be at least linger + request timeout: New rejects a smaller value
// set with this option, and raises the default silently when linger or the
// request timeout make it too small, as Java does.
func WithDeliveryTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.deliveryTimeout, c.deliverySet = d, true })
}

// WithRetries sets how many times a batch that failed with a retriable
// error is sent again (Java's retries). Default MaxInt32: the delivery
// timeout is the real bound. 0 disables retries. Must be >= 0.
func WithRetries(n int) Option { return optionFunc(func(c *config) { c.retries = n }) }

// WithRetryBackoff sets the wait before a failed batch is retried: initial
// after the first failure, doubling per attempt up to max, each with ±20%
// jitter (Java's retry.backoff.ms and retry.backoff.max.ms). Defaults 100 ms
// and 1 s. initial must be >= 0 and max >= initial.
func WithRetryBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) { c.retryBackoff, c.retryBackoffMax = initial, max })
}

// WithMaxInFlight sets how many produce requests may await an answer on
// one broker connection (Java's max.in.flight.requests.per.connection).
// Default 5. With idempotence (the default) retries never reorder or
// duplicate records, and at most 5 are allowed. Without it, 1 keeps every
// partition in order (the partition is muted while its batch is in
// flight), and with more a retried batch may land after a later one.
// Must be >= 1.
func WithMaxInFlight(n int) Option { return optionFunc(func(c *config) { c.maxInFlight = n }) }

// WithIdempotence turns the idempotent producer on or off (Java's
// enable.idempotence, default on). When on, the producer gets a producer id
// from the brokers (InitProducerId) and numbers every batch of a partition,
// so that the broker writes each batch exactly once and in order even when
// requests are retried — up to 5 requests in flight per connection. It
// needs acks=all, retries > 0 and at most 5 requests in flight: with the
// default left alone, a conflicting WithAcks, WithRetries or
// WithMaxInFlight turns it off silently, as in Java; WithIdempotence(true)
// with a conflicting option is a configuration error.
func WithIdempotence(enable bool) Option {
	return optionFunc(func(c *config) { c.idempotence, c.idempotenceSet = enable, true })
}

// --- Batching and memory -------------------------------------------------

// WithLinger sets how long a batch that is not full waits for more records
// before it is sent (Java's linger.ms). Default 5 ms. 0 sends as soon as
// the sender is free. Must be >= 0.
func WithLinger(d time.Duration) Option { return optionFunc(func(c *config) { c.linger = d }) }

// WithBatchSize sets the size of one partition's record batch, in bytes
// before compression (Java's batch.size). Default 16384. A record larger
// than this gets a batch of its own; 0 puts every record in its own batch.
// It is also the sticky partitioner's switch threshold. Must be in
// [0, buffer memory].
func WithBatchSize(n int) Option { return optionFunc(func(c *config) { c.batchSize = n }) }

// WithBufferMemory sets the memory the producer may hold in batches waiting
// to be sent or acknowledged (Java's buffer.memory). Default 32 MiB. When it
// is used up, Send blocks for up to the max block time. Must be positive.
func WithBufferMemory(n int) Option { return optionFunc(func(c *config) { c.bufferMemory = n }) }

// WithMaxBlock sets how long Send may block waiting for metadata and
// buffer memory together (Java's max.block.ms); then it fails with an error
// wrapping samsa.ErrBufferFull (memory) or a *MetadataError (metadata).
// Default 60 s. 0 never waits for memory. Must be >= 0. A ctx given to Send
// can end the wait earlier.
func WithMaxBlock(d time.Duration) Option { return optionFunc(func(c *config) { c.maxBlock = d }) }

// WithMaxRequestSize sets the largest produce request, and so the largest
// record (Java's max.request.size). Default 1 MiB. A larger record fails
// Send with samsa.ErrRecordTooLarge. Must be positive.
func WithMaxRequestSize(n int) Option { return optionFunc(func(c *config) { c.maxRequestSize = n }) }

// WithCompression sets the codec batches are compressed with and its level
// (Java's compression.type and compression.<codec>.level). Default
// [CompressionNone]. Level 0 is the codec's default, which is Java's
// default too (gzip 6, lz4's fast compressor, zstd 3); gzip takes -2..9,
// lz4 1..17 (the high-compression compressor), zstd -131072..22; snappy
// and none ignore the level.
func WithCompression(codec Codec, level int) Option {
	return optionFunc(func(c *config) { c.codec, c.level = codec, level })
}

// --- Pipeline -----------------------------------------------------------

// WithPartitioner sets the partitioner asked for every record without an
// explicit partition (Java's partitioner.class). Default
// partitioner.Default(batch size): murmur2 for keyed records, KIP-794
// uniform sticky for the others, exactly where Java places them. Must not
// be nil.
func WithPartitioner(p partitioner.Partitioner) Option {
	return optionFunc(func(c *config) { c.partitioner, c.partitionerSet = p, true })
}

// WithInterceptors sets the interceptors every record passes through, in
// order (Java's interceptor.classes): OnSend before serialization,
// OnAcknowledgement before the record's callback. K and V must be the
// producer's key and value types; New rejects a mismatch. Default none.
func WithInterceptors[K, V any](ics ...ProducerInterceptor[K, V]) Option {
	list := append([]ProducerInterceptor[K, V](nil), ics...)
	return optionFunc(func(c *config) { c.interceptors = list })
}

// --- Observability ------------------------------------------------------

// WithMetricsRegistry sets the go-metrics registry the producer registers
// its metrics in (sarama's Config.MetricRegistry). Default: a new registry
// per producer, returned by [Producer.Metrics]. Must not be nil.
func WithMetricsRegistry(r metrics.Registry) Option {
	return optionFunc(func(c *config) { c.registry, c.registrySet = r, true })
}

// WithLogger sets the logger for connection, retry and failure events.
// Default: none (events are dropped).
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }

// validate checks the configuration as a whole and applies Java's silent
// adjustments. Errors are *samsa.ConfigError.
func (c *config) validate() error {
	bad := func(opt string, v any, reason string) error {
		return &samsa.ConfigError{Option: "producer." + opt, Value: v, Reason: reason}
	}
	if len(c.brokers) == 0 {
		return bad("WithBrokers", nil, "at least one seed broker (host:port) is required")
	}
	for _, b := range c.brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return bad("WithBrokers", b, "every seed broker must be host:port")
		}
	}
	switch {
	case c.acks != AcksNone && c.acks != AcksLeader && c.acks != AcksAll:
		return bad("WithAcks", int16(c.acks), "must be AcksNone (0), AcksLeader (1) or AcksAll (-1)")
	case c.linger < 0:
		return bad("WithLinger", c.linger, "must be >= 0")
	case c.bufferMemory <= 0:
		return bad("WithBufferMemory", c.bufferMemory, "must be positive")
	case c.batchSize < 0 || c.batchSize > c.bufferMemory:
		return bad("WithBatchSize", c.batchSize, fmt.Sprintf("must be between 0 and the buffer memory (%d bytes)", c.bufferMemory))
	case c.maxBlock < 0:
		return bad("WithMaxBlock", c.maxBlock, "must be >= 0")
	case c.maxRequestSize <= 0:
		return bad("WithMaxRequestSize", c.maxRequestSize, "must be positive")
	case c.requestTimeout <= 0:
		return bad("WithRequestTimeout", c.requestTimeout, "must be positive")
	case c.retries < 0:
		return bad("WithRetries", c.retries, "must be >= 0")
	case c.retryBackoff < 0:
		return bad("WithRetryBackoff", c.retryBackoff, "the initial backoff must be >= 0")
	case c.retryBackoffMax < c.retryBackoff:
		return bad("WithRetryBackoff", c.retryBackoffMax, fmt.Sprintf("the maximum backoff must be >= the initial backoff (%v)", c.retryBackoff))
	case c.maxInFlight < 1:
		return bad("WithMaxInFlight", c.maxInFlight, "must be >= 1")
	case !records.Codec(c.codec).Valid():
		return bad("WithCompression", int8(c.codec), "unknown codec; use one of the Compression constants")
	case c.partitionerSet && isNil(c.partitioner):
		return bad("WithPartitioner", nil, "the partitioner must not be nil")
	case c.registrySet && isNil(c.registry):
		return bad("WithMetricsRegistry", nil, "the registry must not be nil")
	case c.dialTimeout <= 0:
		return bad("WithDialTimeout", c.dialTimeout, "must be positive")
	case c.metadataMaxAge <= 0:
		return bad("WithMetadataMaxAge", c.metadataMaxAge, "must be positive")
	}
	if err := records.ValidateLevel(records.Codec(c.codec), c.level); err != nil {
		return bad("WithCompression", fmt.Sprintf("%v level %d", c.codec, c.level), err.Error())
	}
	if c.idempotence {
		var conflict string
		switch {
		case c.acks != AcksAll:
			conflict = fmt.Sprintf("WithAcks(%v): idempotence needs AcksAll", c.acks)
		case c.retries == 0:
			conflict = "WithRetries(0): idempotence needs retries"
		case c.maxInFlight > maxIdempotentInFlight:
			conflict = fmt.Sprintf("WithMaxInFlight(%d): idempotence allows at most %d", c.maxInFlight, maxIdempotentInFlight)
		}
		if conflict != "" {
			if c.idempotenceSet {
				return &samsa.ConfigError{Option: "producer.WithIdempotence", Value: true, Reason: conflict}
			}
			c.idempotence = false
		}
	}
	if minDelivery := c.linger + c.requestTimeout; c.deliveryTimeout < minDelivery {
		if c.deliverySet {
			return &samsa.ConfigError{Option: "producer.WithDeliveryTimeout, WithLinger, WithRequestTimeout",
				Value: c.deliveryTimeout, Reason: fmt.Sprintf("the delivery timeout must be at least linger + request timeout (%v)", minDelivery)}
		}
		c.deliveryTimeout = minDelivery
	}
	for k, v := range c.maxVersions {
		if k < 0 || v < 0 {
			return &samsa.ConfigError{Option: "producer.WithMaxVersions", Value: fmt.Sprintf("%d: %d", k, v),
				Reason: "API keys and versions must not be negative"}
		}
	}
	if err := c.wireOptions().Validate(); err != nil {
		return err
	}
	return nil
}

// wireOptions returns the connection options every broker connection uses.
func (c *config) wireOptions() wire.Options {
	return wire.Options{
		ClientID:       c.clientID,
		DialTimeout:    c.dialTimeout,
		RequestTimeout: c.requestTimeout,
		MaxInFlight:    c.maxInFlight,
		TLS:            c.tls,
		SASL:           c.sasl,
		MaxVersions:    c.maxVersions,
		Logger:         c.logger,
	}
}

// isNil reports whether v is nil or holds a nil pointer, map, slice, func,
// channel or interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
