package accumulator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// Defaults, equal to the Java producer's.
const (
	// DefaultBatchSize is Java's batch.size: 16 KiB.
	DefaultBatchSize = 16 << 10
	// DefaultBufferMemory is Java's buffer.memory: 32 MiB.
	DefaultBufferMemory = 32 << 20
	// DefaultLinger is Java's linger.ms (5 ms since Kafka 4.0, KIP-1030).
	DefaultLinger = 5 * time.Millisecond
	// DefaultRetryBackoff is Java's retry.backoff.ms: 100 ms.
	DefaultRetryBackoff = 100 * time.Millisecond
	// DefaultRetryBackoffMax is Java's retry.backoff.max.ms: 1 s.
	DefaultRetryBackoffMax = time.Second
	// DefaultMaxBlock is Java's max.block.ms: 60 s.
	DefaultMaxBlock = 60 * time.Second
)

// backoffJitter is the relative jitter of retry backoffs (Java's
// CommonClientConfigs.RETRY_BACKOFF_JITTER).
const backoffJitter = 0.2

// Option configures an [Accumulator]. Options are validated together by
// [New], which returns a *samsa.ConfigError for any it cannot honour.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	batchSize       int
	bufferMemory    int
	linger          time.Duration
	retryBackoff    time.Duration
	retryBackoffMax time.Duration
	maxBlock        time.Duration
	codec           records.Codec
	level           int
	clock           func() time.Time
	random          func() float64
	sequencer       SequenceFunc
	sequencerSet    bool
	clockSet        bool
	randomSet       bool
}

func defaultConfig() config {
	return config{
		batchSize:       DefaultBatchSize,
		bufferMemory:    DefaultBufferMemory,
		linger:          DefaultLinger,
		retryBackoff:    DefaultRetryBackoff,
		retryBackoffMax: DefaultRetryBackoffMax,
		maxBlock:        DefaultMaxBlock,
		codec:           records.CodecNone,
		clock:           time.Now,
		random:          rand.Float64,
	}
}

// WithBatchSize sets the size of the buffer each batch is built in, its
// 61-byte header included (Java's batch.size, default 16384). A record that
// does not fit in an empty batch of this size gets a batch of its own,
// sized to fit it. Records are encoded uncompressed into the buffer, so the
// limit applies before compression; a compressed batch goes out smaller.
// 0 puts every record in its own batch. It is also the size of the buffers
// the [BufferPool] recycles. Must be in [0, buffer memory].
func WithBatchSize(n int) Option { return optionFunc(func(c *config) { c.batchSize = n }) }

// WithBufferMemory sets the total memory batches may hold, in bytes (Java's
// buffer.memory, default 32 MiB). An Append that needs a new batch when it
// is all in use blocks up to the max block time. Must be positive.
func WithBufferMemory(n int) Option { return optionFunc(func(c *config) { c.bufferMemory = n }) }

// WithLinger sets how long a batch that is not full waits for more records
// before it becomes sendable (Java's linger.ms, default 5 ms). 0 makes
// every batch sendable at once. Must be >= 0.
func WithLinger(d time.Duration) Option { return optionFunc(func(c *config) { c.linger = d }) }

// WithRetryBackoff sets the backoff before a batch put back with
// [Accumulator.Reenqueue] becomes sendable again: initial after the first
// failure, doubling per attempt up to max, each with ±20% jitter (Java's
// retry.backoff.ms and retry.backoff.max.ms, defaults 100 ms and 1 s). The
// backoff is skipped when the partition's leader epoch changed since the
// attempt (KIP-951). initial must be >= 0 and max >= initial.
func WithRetryBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) { c.retryBackoff, c.retryBackoffMax = initial, max })
}

// WithMaxBlock sets how long Append may block waiting for buffer memory
// when the caller gives no deadline of its own (Java's max.block.ms,
// default 60 s). 0 fails at once when memory is short. Must be >= 0.
func WithMaxBlock(d time.Duration) Option { return optionFunc(func(c *config) { c.maxBlock = d }) }

// WithCompression sets the codec and level Drain compresses batches with
// (Java's compression.type and compression.<codec>.level; default none).
// The level is checked with records.ValidateLevel; 0 is the codec's
// default.
func WithCompression(codec records.Codec, level int) Option {
	return optionFunc(func(c *config) { c.codec, c.level = codec, level })
}

// WithClock replaces time.Now for the creation time of new batches; tests
// inject a fake clock. Ready, Drain and the other sender calls take the time
// as an argument instead. Must not be nil.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.clock, c.clockSet = now, true })
}

// WithRandom replaces the source of the retry backoff jitter: a function
// returning uniformly distributed values in [0, 1), safe for concurrent
// use. Default: math/rand/v2's Float64. Must not be nil.
func WithRandom(f func() float64) Option {
	return optionFunc(func(c *config) { c.random, c.randomSet = f, true })
}

// WithSequencer installs the idempotent producer's hook, called by Drain
// for each batch about to be drained (see [SequenceFunc]). Without it
// batches carry no producer id, epoch or sequence. Must not be nil.
func WithSequencer(f SequenceFunc) Option {
	return optionFunc(func(c *config) { c.sequencer, c.sequencerSet = f, true })
}

func (c *config) validate() error {
	switch {
	case c.bufferMemory <= 0:
		return &samsa.ConfigError{Option: "accumulator.WithBufferMemory", Value: c.bufferMemory,
			Reason: "must be positive"}
	case c.batchSize < 0 || c.batchSize > c.bufferMemory:
		return &samsa.ConfigError{Option: "accumulator.WithBatchSize", Value: c.batchSize,
			Reason: fmt.Sprintf("must be between 0 and the buffer memory (%d bytes)", c.bufferMemory)}
	case c.linger < 0:
		return &samsa.ConfigError{Option: "accumulator.WithLinger", Value: c.linger, Reason: "must be >= 0"}
	case c.retryBackoff < 0:
		return &samsa.ConfigError{Option: "accumulator.WithRetryBackoff", Value: c.retryBackoff,
			Reason: "the initial backoff must be >= 0"}
	case c.retryBackoffMax < c.retryBackoff:
		return &samsa.ConfigError{Option: "accumulator.WithRetryBackoff", Value: c.retryBackoffMax,
			Reason: fmt.Sprintf("the maximum backoff must be >= the initial backoff (%v)", c.retryBackoff)}
	case c.maxBlock < 0:
		return &samsa.ConfigError{Option: "accumulator.WithMaxBlock", Value: c.maxBlock, Reason: "must be >= 0"}
	case c.clockSet && c.clock == nil:
		return &samsa.ConfigError{Option: "accumulator.WithClock", Reason: "the clock must not be nil"}
	case c.randomSet && c.random == nil:
		return &samsa.ConfigError{Option: "accumulator.WithRandom", Reason: "the random source must not be nil"}
	case c.sequencerSet && c.sequencer == nil:
		return &samsa.ConfigError{Option: "accumulator.WithSequencer", Reason: "the sequencer must not be nil"}
	}
	if err := records.ValidateLevel(c.codec, c.level); err != nil {
		return &samsa.ConfigError{Option: "accumulator.WithCompression",
			Value: fmt.Sprintf("%v level %d", c.codec, c.level), Reason: err.Error()}
	}
	return nil
}
