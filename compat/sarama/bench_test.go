package saramacompat_test

import (
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
)

// benchmarkAsync produces b.N 100-byte messages through an AsyncProducer
// to a mock cluster that acknowledges without storing, with the settings
// of the bench module's compat-produce scenario.
func benchmarkAsync(b *testing.B, im impl) {
	c := mockbroker.NewTest(b, mockbroker.WithBrokers(3), mockbroker.WithTopic("bench", 12), mockbroker.WithBlackhole())
	cfg := sarama.NewConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Flush.Bytes = 1 << 20
	cfg.Producer.MaxMessageBytes = 1 << 20
	cfg.Producer.Return.Successes = true
	p, err := im.asyncProducer(c.Addrs(), cfg)
	require.NoError(b, err)
	payload := make([]byte, 100)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range p.Successes() {
		}
	})
	wg.Go(func() {
		for e := range p.Errors() {
			b.Error(e)
		}
	})
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		p.Input() <- &sarama.ProducerMessage{Topic: "bench", Value: sarama.ByteEncoder(payload)}
	}
	require.NoError(b, p.Close())
	wg.Wait()
	b.ReportMetric(float64(b.N)/float64(max(c.Requests(0), 1)), "records/request")
}

func BenchmarkAsyncProducer(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) { benchmarkAsync(b, im) })
	}
}

// BenchmarkSyncProducerParallel sends one message per SendMessage call
// from concurrent goroutines, the way SyncProducer batches.
func BenchmarkSyncProducerParallel(b *testing.B) {
	c := mockbroker.NewTest(b, mockbroker.WithBrokers(3), mockbroker.WithTopic("bench", 12), mockbroker.WithBlackhole())
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	p, err := compatImpl.syncProducer(c.Addrs(), cfg)
	require.NoError(b, err)
	defer func() { require.NoError(b, p.Close()) }()
	payload := make([]byte, 100)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "bench", Value: sarama.ByteEncoder(payload)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPartitionConsumer reads b.N 100-byte messages from four
// partitions of a mock cluster that serves synthetic fetches, one reader
// goroutine per PartitionConsumer, as the bench module's consume workload.
func BenchmarkPartitionConsumer(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			c := mockbroker.NewTest(b, mockbroker.WithTopic("bench", 4), mockbroker.WithSyntheticFetch(100))
			cfg := sarama.NewConfig()
			cons, err := im.consumer(c.Addrs(), cfg)
			require.NoError(b, err)
			defer func() { require.NoError(b, cons.Close()) }()
			b.ReportAllocs()
			b.SetBytes(100)
			b.ResetTimer()
			var wg sync.WaitGroup
			for p := range int32(4) {
				pc, err := cons.ConsumePartition("bench", p, 0)
				require.NoError(b, err)
				n := b.N / 4
				if p == 0 {
					n += b.N % 4
				}
				wg.Go(func() {
					for range n {
						<-pc.Messages()
					}
					pc.AsyncClose()
					for range pc.Messages() {
					}
				})
			}
			wg.Wait()
		})
	}
}
