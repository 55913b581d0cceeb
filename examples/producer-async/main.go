// Command producer-async sends records asynchronously from several
// goroutines at once, with compression and a callback per record, then
// flushes and reports the producer's own metrics (sarama's names, in a
// go-metrics registry).
//
// It starts an embedded mock cluster of three brokers unless SAMSA_BROKERS
// names a cluster ("host:port,host:port").
//
//	go run ./examples/producer-async
//	SAMSA_BROKERS=localhost:9092 go run ./examples/producer-async
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcrowley/go-metrics"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

const (
	topic      = "samsa-example-clicks"
	goroutines = 4
	perWorker  = 25000
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var brokers []string
	if env := os.Getenv("SAMSA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	} else {
		mb, err := mockbroker.New(mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, 12))
		if err != nil {
			return err
		}
		defer mb.Close()
		brokers = mb.Addrs()
		fmt.Printf("embedded mock cluster at %s\n", strings.Join(brokers, ","))
	}

	p, err := producer.New(serde.Bytes(), serde.String(),
		producer.WithBrokers(brokers...),
		producer.WithCompression(producer.CompressionLZ4, 0),
		producer.WithLinger(10*time.Millisecond),
		producer.WithBatchSize(64<<10),
	)
	if err != nil {
		return err
	}
	defer p.Close(context.Background())

	// The callback must not block: it only counts.
	var acked, failed atomic.Int64
	callback := func(_ producer.RecordMetadata, err error) {
		if err != nil {
			failed.Add(1)
			return
		}
		acked.Add(1)
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for w := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One Record per goroutine, reused: Send keeps no reference to it.
			rec := &producer.Record[[]byte, string]{Topic: topic} // nil key: sticky partitioning
			for i := range perWorker {
				rec.Value = fmt.Sprintf("worker %d click %d on /page/%d", w, i, i%50)
				if err := p.Send(ctx, rec, callback); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := p.Flush(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("%d acknowledged, %d failed in %v\n", acked.Load(), failed.Load(), elapsed.Round(time.Millisecond))

	reg := p.Metrics()
	sent := reg.Get("record-send-rate").(metrics.Meter).Snapshot()
	batch := reg.Get("batch-size").(metrics.Histogram).Snapshot()
	ratio := reg.Get("compression-ratio").(metrics.Histogram).Snapshot()
	latency := reg.Get("request-latency-in-ms").(metrics.Histogram).Snapshot()
	fmt.Printf("records sent: %d in %d batches of %.0f bytes on average\n", sent.Count(), batch.Count(), batch.Mean())
	fmt.Printf("compressed to %.0f%% of the original size; request latency p99 %.1f ms\n",
		ratio.Mean(), latency.Percentile(0.99))
	return nil
}
