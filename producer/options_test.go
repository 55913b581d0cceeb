package producer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rcrowley/go-metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/partitioner"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

func TestNewValidatesOptions(t *testing.T) {
	brokers := producer.WithBrokers("127.0.0.1:9092")
	var nilRegistry *metrics.StandardRegistry
	tests := []struct {
		name   string
		opts   []producer.Option
		option string // substring of ConfigError.Option
	}{
		{"no brokers", nil, "WithBrokers"},
		{"broker without port", []producer.Option{producer.WithBrokers("localhost")}, "WithBrokers"},
		{"acks 2", []producer.Option{brokers, producer.WithAcks(2)}, "WithAcks"},
		{"negative linger", []producer.Option{brokers, producer.WithLinger(-time.Millisecond)}, "WithLinger"},
		{"zero buffer memory", []producer.Option{brokers, producer.WithBufferMemory(0)}, "WithBufferMemory"},
		{"batch above buffer", []producer.Option{brokers, producer.WithBufferMemory(1 << 20), producer.WithBatchSize(2 << 20)}, "WithBatchSize"},
		{"negative batch", []producer.Option{brokers, producer.WithBatchSize(-1)}, "WithBatchSize"},
		{"negative max block", []producer.Option{brokers, producer.WithMaxBlock(-1)}, "WithMaxBlock"},
		{"zero max request", []producer.Option{brokers, producer.WithMaxRequestSize(0)}, "WithMaxRequestSize"},
		{"zero request timeout", []producer.Option{brokers, producer.WithRequestTimeout(0)}, "WithRequestTimeout"},
		{"negative retries", []producer.Option{brokers, producer.WithRetries(-1)}, "WithRetries"},
		{"negative backoff", []producer.Option{brokers, producer.WithRetryBackoff(-1, time.Second)}, "WithRetryBackoff"},
		{"max backoff below initial", []producer.Option{brokers, producer.WithRetryBackoff(time.Second, time.Millisecond)}, "WithRetryBackoff"},
		{"zero in flight", []producer.Option{brokers, producer.WithMaxInFlight(0)}, "WithMaxInFlight"},
		{"unknown codec", []producer.Option{brokers, producer.WithCompression(7, 0)}, "WithCompression"},
		{"gzip level 10", []producer.Option{brokers, producer.WithCompression(producer.CompressionGzip, 10)}, "WithCompression"},
		{"zstd level 23", []producer.Option{brokers, producer.WithCompression(producer.CompressionZstd, 23)}, "WithCompression"},
		{"nil partitioner", []producer.Option{brokers, producer.WithPartitioner(nil)}, "WithPartitioner"},
		{"nil registry", []producer.Option{brokers, producer.WithMetricsRegistry(nilRegistry)}, "WithMetricsRegistry"},
		{"zero dial timeout", []producer.Option{brokers, producer.WithDialTimeout(0)}, "WithDialTimeout"},
		{"zero metadata max age", []producer.Option{brokers, producer.WithMetadataMaxAge(0)}, "WithMetadataMaxAge"},
		{"negative version cap", []producer.Option{brokers, producer.WithMaxVersions(map[int16]int16{0: -1})}, "WithMaxVersions"},
		{"delivery below linger+request", []producer.Option{brokers, producer.WithLinger(time.Second),
			producer.WithRequestTimeout(10 * time.Second), producer.WithDeliveryTimeout(10 * time.Second)}, "WithDeliveryTimeout"},
		{"interceptors of another record type", []producer.Option{brokers,
			producer.WithInterceptors(producer.ProducerInterceptorFuncs[int64, string]{})}, "WithInterceptors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := producer.New(serde.String(), serde.String(), tc.opts...)
			require.Error(t, err)
			assert.Nil(t, p)
			var ce *samsa.ConfigError
			require.True(t, errors.As(err, &ce), "error %v is not a *samsa.ConfigError", err)
			assert.Contains(t, ce.Option, tc.option)
		})
	}
}

func TestNewRejectsNilSerializers(t *testing.T) {
	var ce *samsa.ConfigError
	_, err := producer.New[string, string](nil, serde.String(), producer.WithBrokers("127.0.0.1:9092"))
	require.ErrorAs(t, err, &ce)
	_, err = producer.New[string, string](serde.String(), nil, producer.WithBrokers("127.0.0.1:9092"))
	require.ErrorAs(t, err, &ce)
}

func TestNewAcceptsEveryOption(t *testing.T) {
	part, err := partitioner.Default(1024)
	require.NoError(t, err)
	reg := metrics.NewRegistry()
	p, err := producer.New(serde.String(), serde.String(),
		producer.WithBrokers("127.0.0.1:1", "localhost:2"),
		producer.WithClientID("test"),
		producer.WithAcks(producer.AcksLeader),
		producer.WithLinger(time.Millisecond),
		producer.WithBatchSize(1024),
		producer.WithBufferMemory(1<<20),
		producer.WithMaxBlock(time.Second),
		producer.WithMaxRequestSize(4096),
		producer.WithRequestTimeout(time.Second),
		// Raised silently to linger + request timeout, as Java does, since it
		// was not set explicitly.
		producer.WithRetries(3),
		producer.WithRetryBackoff(time.Millisecond, 10*time.Millisecond),
		producer.WithMaxInFlight(1),
		producer.WithCompression(producer.CompressionZstd, 3),
		producer.WithPartitioner(part),
		producer.WithInterceptors(producer.ProducerInterceptorFuncs[string, string]{}),
		producer.WithMetricsRegistry(reg),
		producer.WithLogger(nil),
		producer.WithSASL(producer.SASLPlain("u", "p")),
		producer.WithDialTimeout(time.Second),
		producer.WithMetadataMaxAge(time.Minute),
		producer.WithAutoTopicCreation(false),
	)
	require.NoError(t, err)
	assert.Same(t, reg, p.Metrics())
	require.NoError(t, p.Close(testCtx(t)), "closing a producer that never connected")
}

func TestDeliveryTimeoutRaisedSilently(t *testing.T) {
	// The default delivery timeout (120 s) is below linger + request
	// timeout here; unset, it is raised instead of rejected.
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers("127.0.0.1:1"),
		producer.WithLinger(time.Minute), producer.WithRequestTimeout(2*time.Minute))
	require.NoError(t, err)
	require.NoError(t, p.Close(testCtx(t)))
}

func TestCodecNames(t *testing.T) {
	for _, c := range []producer.Codec{producer.CompressionNone, producer.CompressionGzip, producer.CompressionSnappy,
		producer.CompressionLZ4, producer.CompressionZstd} {
		got, err := producer.ParseCodec(c.String())
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	_, err := producer.ParseCodec("brotli")
	assert.Error(t, err)
	assert.Equal(t, "all", producer.AcksAll.String())
	assert.Equal(t, "0", producer.AcksNone.String())
	assert.Equal(t, "1", producer.AcksLeader.String())
}
