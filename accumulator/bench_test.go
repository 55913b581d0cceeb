package accumulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// nopDone is a completion that does nothing, standing in for the
// producer's pooled per-record object.
type nopDone struct{}

func (*nopDone) OnComplete(RecordResult) {}

// BenchmarkAppend measures Append of 100-byte values in steady state: one
// op is one record. Whenever a batch fills, the loop drains and completes
// it as a sender would, so the cost of finishing (CRC) and recycling the
// batch is included, amortized over its records.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"batch=16KiB", 16 << 10}, {"batch=1MiB", 1 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := New(WithBatchSize(bc.size), WithLinger(time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			ctx := context.Background()
			key, val := []byte("key-000000"), value(100, 'v')
			done := &nopDone{}
			parts := []samsa.TopicPartition{tp0}
			now := time.Now()
			b.ReportAllocs()
			b.SetBytes(int64(len(val)))
			i := 0
			for b.Loop() {
				res, err := a.Append(ctx, tp0, int64(i), key, val, nil, done)
				if err != nil {
					b.Fatal(err)
				}
				if res.BatchIsFull {
					for _, bt := range a.Drain(now, 1, parts, 1<<30) {
						bt.Complete(0, -1, nil)
					}
				}
				i++
			}
		})
	}
}

// BenchmarkAppendParallel appends from GOMAXPROCS goroutines, each to its
// own partition, the way a producer with many partitions is used.
func BenchmarkAppendParallel(b *testing.B) {
	a, err := New(WithBatchSize(16<<10), WithLinger(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var next int32
	var mu = make(chan struct{}, 1)
	b.ReportAllocs()
	b.SetBytes(100)
	b.RunParallel(func(pb *testing.PB) {
		mu <- struct{}{}
		tp := tpN(next)
		next++
		<-mu
		ctx := context.Background()
		key, val := []byte("key-000000"), value(100, 'v')
		done := &nopDone{}
		parts := []samsa.TopicPartition{tp}
		now := time.Now()
		i := 0
		for pb.Next() {
			res, err := a.Append(ctx, tp, int64(i), key, val, nil, done)
			if err != nil {
				b.Error(err)
				return
			}
			if res.BatchIsFull {
				for _, bt := range a.Drain(now, 1, parts, 1<<30) {
					bt.Complete(0, -1, nil)
				}
			}
			i++
		}
	})
}

// BenchmarkDrainFinish measures Drain of one full 1 MiB batch: taking it
// from its queue and finishing it (compression, header, CRC). One op is
// one batch; ns/record divides by the records in it.
func BenchmarkDrainFinish(b *testing.B) {
	for _, codec := range []records.Codec{records.CodecNone, records.CodecLZ4, records.CodecZstd} {
		b.Run(codec.String(), func(b *testing.B) {
			a, err := New(WithBatchSize(1<<20), WithLinger(time.Hour), WithCompression(codec, 0))
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			ctx := context.Background()
			parts := []samsa.TopicPartition{tp0}
			now := time.Now()
			// Log-like values: compressible, but not trivially.
			vals := make([][]byte, 64)
			for i := range vals {
				vals[i] = []byte(fmt.Sprintf("ts=%d level=info user=%07d action=click page=/products/%d ref=campaign-%d ok",
					1700000000000+i*7919, i*104729%9999991, i*31%977, i%13))
			}
			fillBatch := func() {
				for i := 0; ; i++ {
					res, err := a.Append(ctx, tp0, int64(i), nil, vals[i%len(vals)], nil, nil)
					if err != nil {
						b.Fatal(err)
					}
					if res.BatchIsFull {
						return
					}
				}
			}
			fillBatch()
			b.ReportAllocs()
			recordsDrained, bytesIn, bytesOut := 0, 0, 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bs := a.Drain(now, 1, parts, 1<<30)
				b.StopTimer()
				if len(bs) != 1 {
					b.Fatalf("drained %d batches", len(bs))
				}
				recordsDrained += bs[0].NumRecords()
				bytesIn += bs[0].UncompressedSize()
				bytesOut += len(bs[0].Records())
				bs[0].Complete(0, -1, nil)
				fillBatch()
				b.StartTimer()
			}
			b.StopTimer()
			b.SetBytes(int64(bytesIn / b.N))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(recordsDrained), "ns/record")
			b.ReportMetric(float64(recordsDrained)/float64(b.N), "records/op")
			b.ReportMetric(float64(bytesIn)/float64(bytesOut), "ratio")
		})
	}
}

// BenchmarkReady measures a sender pass over 1000 partitions that each hold
// a lingering batch.
func BenchmarkReady(b *testing.B) {
	a, err := New(WithBatchSize(1024), WithLinger(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for p := range int32(1000) {
		if _, err := a.Append(context.Background(), tpN(p), 1, nil, []byte("v"), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	leader := func(tp samsa.TopicPartition) (int32, int32, bool) { return tp.Partition % 5, 0, true }
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ready, _, _ := a.Ready(now, leader)
		if len(ready) != 0 {
			b.Fatal("nothing should be ready")
		}
	}
}
