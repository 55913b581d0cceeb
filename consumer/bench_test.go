package consumer_test

import (
	"context"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

// BenchmarkConsume measures end-to-end consumption over loopback: a mock
// broker in synthetic-fetch mode answers every fetch at once with 100-byte
// records, so the consumer — fetch, decode, Poll, deserialize — is what is
// measured. One op is one record.
func BenchmarkConsume(b *testing.B) {
	for _, parts := range []int32{1, 4} {
		b.Run(map[int32]string{1: "1-partition", 4: "4-partitions"}[parts], func(b *testing.B) {
			mb, err := mockbroker.New(mockbroker.WithSyntheticFetch(100), mockbroker.WithTopic("bench", parts))
			if err != nil {
				b.Fatal(err)
			}
			defer mb.Close()
			c, err := consumer.New(serde.Bytes(), serde.Bytes(), consumer.WithBrokers(mb.Addrs()...),
				consumer.WithAutoOffsetReset(consumer.ResetEarliest))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(context.Background())
			var tps []samsa.TopicPartition
			for p := range parts {
				tps = append(tps, samsa.TopicPartition{Topic: "bench", Partition: p})
			}
			if err := c.Assign(tps...); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			b.ReportAllocs()
			b.SetBytes(100)
			b.ResetTimer()
			var bytes int64
			for n := 0; n < b.N; {
				recs, err := c.Poll(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for i := range recs {
					bytes += int64(len(recs[i].Value))
				}
				n += len(recs)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			if bytes < int64(b.N)*100 {
				b.Fatalf("read %d value bytes for %d records", bytes, b.N)
			}
		})
	}
}
