package producer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

func newBenchProducer(b *testing.B, cl *mockbroker.Cluster, opts ...producer.Option) *producer.Producer[[]byte, []byte] {
	b.Helper()
	opts = append([]producer.Option{producer.WithBrokers(cl.Addrs()...)}, opts...)
	p, err := producer.New(serde.Bytes(), serde.Bytes(), opts...)
	require.NoError(b, err)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(b, p.Close(ctx))
	})
	return p
}

// BenchmarkSend measures Send through the whole pipeline into an open
// batch: interceptors (none), metadata lookup, serializers, the sticky
// partitioner, the size check and the append. The linger is long, so the
// sender only ships batches that are full, to a blackhole broker.
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []producer.Option
	}{
		{"sticky", nil},
		{"keyed", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cl := mockbroker.NewTest(b, mockbroker.WithBlackhole(), mockbroker.WithTopic("bench", 12))
			p := newBenchProducer(b, cl, append([]producer.Option{producer.WithLinger(time.Hour),
				producer.WithBatchSize(1 << 20), producer.WithAcks(producer.AcksLeader)}, bc.opts...)...)
			ctx := context.Background()
			rec := &producer.Record[[]byte, []byte]{Topic: "bench", Value: make([]byte, 100)}
			if bc.name == "keyed" {
				rec.Key = []byte("some-key-0001")
			}
			require.NoError(b, p.Send(ctx, rec, nil)) // bootstrap and metadata
			b.ReportAllocs()
			b.SetBytes(100)
			b.ResetTimer()
			for range b.N {
				if err := p.Send(ctx, rec, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProduce measures producing end to end against a blackhole
// broker: Send of 100-byte unkeyed records with a no-op callback, then a
// Flush that waits for every acknowledgement; idempotent (the default) and
// not, and with lz4 compression.
func BenchmarkProduce(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []producer.Option
	}{
		{"idempotent", nil},
		{"plain", []producer.Option{producer.WithIdempotence(false)}},
		{"lz4", []producer.Option{producer.WithCompression(producer.CompressionLZ4, 0)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cl := mockbroker.NewTest(b, mockbroker.WithBlackhole(), mockbroker.WithTopic("bench", 12))
			p := newBenchProducer(b, cl, append([]producer.Option{producer.WithBatchSize(1 << 20),
				producer.WithLinger(5 * time.Millisecond)}, bc.opts...)...)
			ctx := context.Background()
			rec := &producer.Record[[]byte, []byte]{Topic: "bench", Value: make([]byte, 100)}
			var failed int
			cb := func(_ producer.RecordMetadata, err error) {
				if err != nil {
					failed++
				}
			}
			require.NoError(b, p.Send(ctx, rec, cb))
			require.NoError(b, p.Flush(ctx))
			b.ReportAllocs()
			b.SetBytes(100)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := p.Send(ctx, rec, cb); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, p.Flush(ctx))
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			require.Zero(b, failed)
		})
	}
}
