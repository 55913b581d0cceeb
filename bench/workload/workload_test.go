package workload

import (
	"context"
	"errors"
	"flag"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
)

func validConfig() Config {
	c := DefaultConfig()
	c.Brokers = []string{"127.0.0.1:9092", "127.0.0.1:9093"}
	c.Records = 1000
	return c
}

func TestConfigArgsRoundTrip(t *testing.T) {
	want := validConfig()
	want.Topic = "other"
	want.Partitions = 7
	want.Records = 123456
	want.RecordBytes = 33
	want.Linger = 7 * time.Millisecond
	want.BatchBytes = 4096
	want.MaxInFlight = 2
	want.BufferBytes = 1 << 22
	want.FetchMaxBytes = 1 << 21
	want.PartitionFetchBytes = 1 << 19
	want.FetchMinBytes = 10
	want.FetchMaxWait = 250 * time.Millisecond

	got := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	got.RegisterFlags(fs)
	require.NoError(t, fs.Parse(want.Args()))
	assert.Equal(t, want, got)
	assert.NoError(t, got.Validate())
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		option string
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }, "-brokers"},
		{"broker without port", func(c *Config) { c.Brokers = []string{"localhost"} }, "-brokers"},
		{"zero partitions", func(c *Config) { c.Partitions = 0 }, "-partitions"},
		{"zero records", func(c *Config) { c.Records = 0 }, "-records"},
		{"negative record bytes", func(c *Config) { c.RecordBytes = -1 }, "-record-bytes"},
		{"negative linger", func(c *Config) { c.Linger = -time.Millisecond }, "-linger"},
		{"tiny batch", func(c *Config) { c.BatchBytes = 100 }, "-batch-bytes"},
		{"batch smaller than a record", func(c *Config) { c.RecordBytes = 4000; c.BatchBytes = 4000 }, "-batch-bytes"},
		{"zero in flight", func(c *Config) { c.MaxInFlight = 0 }, "-max-in-flight"},
		{"buffer below batch", func(c *Config) { c.BufferBytes = c.BatchBytes - 1 }, "-buffer-bytes"},
		{"zero fetch max", func(c *Config) { c.FetchMaxBytes = 0 }, "-fetch-max-bytes"},
		{"zero partition fetch", func(c *Config) { c.PartitionFetchBytes = 0 }, "-partition-fetch-bytes"},
		{"zero fetch min", func(c *Config) { c.FetchMinBytes = 0 }, "-fetch-min-bytes"},
		{"sub-millisecond wait", func(c *Config) { c.FetchMaxWait = time.Microsecond }, "-fetch-max-wait"},
		{"bad topic", func(c *Config) { c.Topic = "a b" }, "-topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}
	assert.NoError(t, validConfig().Validate())
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"produce", "consume"} {
		m, err := ParseMode(s)
		require.NoError(t, err)
		assert.Equal(t, Mode(s), m)
	}
	_, err := ParseMode("fetch")
	assert.ErrorContains(t, err, "unknown mode")
}

func TestPayloadAndPartitions(t *testing.T) {
	c := validConfig()
	c.RecordBytes = 30
	c.Partitions = 3
	assert.Len(t, c.Payload(), 30)
	assert.Equal(t, []int32{0, 1, 2}, c.PartitionIDs())
}

func TestResultCheck(t *testing.T) {
	cfg := validConfig()
	ok := Result{Client: "x", Mode: ModeConsume, Records: cfg.Records, Bytes: cfg.Records * int64(cfg.RecordBytes), Elapsed: time.Second}
	tests := []struct {
		name   string
		mutate func(*Result)
		errMsg string
	}{
		{"complete", func(*Result) {}, ""},
		{"short", func(r *Result) { r.Records-- }, "records"},
		{"wrong bytes", func(r *Result) { r.Bytes-- }, "value bytes"},
		{"no window", func(r *Result) { r.Elapsed = 0 }, "timed window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mutate(&r)
			err := r.Check(cfg)
			if tt.errMsg == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.errMsg)
		})
	}
	assert.InDelta(t, 1000.0, ok.RecordsPerSecond(), 1e-9)
	assert.Zero(t, Result{Records: 5}.RecordsPerSecond())
}

func TestAckTrackerConcurrent(t *testing.T) {
	const workers, per = 8, 1000
	tr := NewAckTracker(workers * per)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range per {
				tr.Ack(1, nil)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := tr.Wait(ctx, "c", 100)
	require.NoError(t, err)
	wg.Wait()
	assert.Equal(t, int64(workers*per), res.Records)
	assert.Equal(t, int64(workers*per*100), res.Bytes)
	assert.Equal(t, ModeProduce, res.Mode)
	assert.Positive(t, res.Elapsed)
}

func TestAckTrackerFailures(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		acks   func(*AckTracker)
		errIs  error
		errMsg string
	}{
		{"failed records", func(tr *AckTracker) { tr.Ack(3, nil); tr.Ack(2, boom); tr.Ack(5, errors.New("later")) }, boom, "7 of 10 records failed"},
		{"overflow in one call", func(tr *AckTracker) { tr.Ack(12, nil) }, nil, "2 acknowledgements more"},
		{"overflow after done", func(tr *AckTracker) { tr.Ack(10, nil); tr.Ack(1, nil) }, nil, "1 acknowledgements more"},
		{"context ends first", func(tr *AckTracker) { tr.Ack(4, nil) }, context.DeadlineExceeded, "4 of 10 records settled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewAckTracker(10)
			tt.acks(tr)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := tr.Wait(ctx, "c", 1)
			require.Error(t, err)
			if tt.errIs != nil {
				assert.ErrorIs(t, err, tt.errIs)
			}
			assert.ErrorContains(t, err, tt.errMsg)
		})
	}
}

func TestQuotaExact(t *testing.T) {
	tests := []struct {
		name           string
		total, chunk   int64
		readers, extra int
	}{
		{"chunk divides total", 1024, 256, 4, 10},
		{"ragged last chunk", 1000, 7, 6, 10},
		{"more readers than chunks", 5, 256, 8, 3},
		{"default chunk", 10000, 0, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQuota(tt.total, tt.chunk)
			counts := make([]int64, tt.readers)
			var wg sync.WaitGroup
			for i := range tt.readers {
				wg.Go(func() {
					r := q.Reader()
					for r.Take() {
						counts[i]++
					}
				})
			}
			wg.Wait()
			select {
			case <-q.Done():
			default:
				t.Fatal("quota not done after every reader stopped")
			}
			var sum int64
			for _, c := range counts {
				sum += c
			}
			assert.Equal(t, tt.total, sum)
			assert.False(t, q.End().IsZero())
			assert.Zero(t, q.Claim())
		})
	}
}
