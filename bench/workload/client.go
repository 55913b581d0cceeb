package workload

import (
	"context"
	"fmt"
	"time"
)

// Client is one Kafka client under test. A client implements Producer,
// Consumer or both; the runner discovers which by type assertion, so a
// client that cannot do one workload simply does not implement it.
// Implementations are stateless values: every run builds its own client
// from the Config it is given.
type Client interface {
	// Name is the client's -client flag value, e.g. "franz-go".
	Name() string
	// Module is the Go module path whose version the results report,
	// e.g. "github.com/twmb/franz-go".
	Module() string
}

// Producer runs the produce workload (ModeProduce).
type Producer interface {
	Client
	// Produce sends cfg.Records records of cfg.RecordBytes bytes with nil
	// keys, asynchronously and as fast as the client accepts them, and
	// returns once every record is acknowledged. Result.Elapsed runs from
	// the first send to the last acknowledgement. Any failed record makes
	// the run fail. ctx bounds the whole run.
	Produce(ctx context.Context, cfg Config) (Result, error)
	// ProduceSettings says how cfg was mapped onto the client's options.
	ProduceSettings(cfg Config) []Setting
}

// Consumer runs the consume workload (ModeConsume).
type Consumer interface {
	Client
	// Consume reads partitions 0..cfg.Partitions-1 of cfg.Topic directly
	// (no group) from offset 0 until exactly cfg.Records records were
	// seen, adding up the length of every record's value into
	// Result.Bytes. Result.Elapsed runs from the client's creation to the
	// last record. ctx bounds the whole run.
	Consume(ctx context.Context, cfg Config) (Result, error)
	// ConsumeSettings says how cfg was mapped onto the client's options.
	ConsumeSettings(cfg Config) []Setting
}

// Setting is one line of a client's settings mapping: a common setting,
// named as the Java client names it (e.g. "linger.ms"), and what this
// client was told to match it, in the client's own terms.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is what one run reports; the runner prints it as one JSON line.
type Result struct {
	Client string `json:"client"`
	Mode   Mode   `json:"mode"`
	// Records is the number of records acknowledged (produce) or seen
	// (consume).
	Records int64 `json:"records"`
	// Bytes is the sum of the value lengths of those records. A consumer
	// adds up what it read; a producer reports what it was acknowledged
	// for.
	Bytes int64 `json:"bytes"`
	// Elapsed is the timed window of the run (see Producer and Consumer).
	Elapsed time.Duration `json:"elapsed_ns"`
}

// RecordsPerSecond is Records over Elapsed; 0 for an empty window.
func (r Result) RecordsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Records) / r.Elapsed.Seconds()
}

// Check reports whether r is a complete run of cfg: every record counted,
// every value of the configured size, a positive timed window.
func (r Result) Check(cfg Config) error {
	switch {
	case r.Records != cfg.Records:
		return fmt.Errorf("workload: %s %s counted %d records, want %d", r.Client, r.Mode, r.Records, cfg.Records)
	case r.Bytes != cfg.Records*int64(cfg.RecordBytes):
		return fmt.Errorf("workload: %s %s counted %d value bytes, want %d (%d records of %d bytes)",
			r.Client, r.Mode, r.Bytes, cfg.Records*int64(cfg.RecordBytes), cfg.Records, cfg.RecordBytes)
	case r.Elapsed <= 0:
		return fmt.Errorf("workload: %s %s reported a timed window of %v", r.Client, r.Mode, r.Elapsed)
	}
	return nil
}
