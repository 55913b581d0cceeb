package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/samsa-go/samsa/bench/workload"
)

func init() { register(kafkaGo{}) }

// kafkaGo runs the workloads with github.com/segmentio/kafka-go: an
// asynchronous Writer, and one Reader per partition.
type kafkaGo struct{}

func (kafkaGo) Name() string   { return "kafka-go" }
func (kafkaGo) Module() string { return "github.com/segmentio/kafka-go" }

// kafkaGoBatchSize is the Writer's record-count bound on a batch: as many
// records as BatchBytes could hold if each took no more than its value, so
// BatchBytes and BatchTimeout decide. It must not be much larger: the
// Writer allocates room for BatchSize messages up front for every batch.
func kafkaGoBatchSize(cfg workload.Config) int {
	return cfg.BatchBytes/cfg.RecordBytes + 1
}

func (kafkaGo) ProduceSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "acks", Value: "RequiredAcks = RequireAll"},
		{Name: "compression.type", Value: "Compression = 0 (none)"},
		{Name: "linger.ms", Value: fmt.Sprintf("BatchTimeout = %v", cfg.Linger)},
		{Name: "batch.size", Value: fmt.Sprintf("BatchBytes = %d, BatchSize = %d", cfg.BatchBytes, kafkaGoBatchSize(cfg))},
		{Name: "enable.idempotence", Value: "not supported (always off)"},
		{Name: "max.in.flight.requests.per.connection", Value: "no setting: one batch in flight per partition, one partition per request"},
		{Name: "buffer.memory", Value: "no bound (Async never blocks)"},
		{Name: "partitioner (nil keys)", Value: "default RoundRobin balancer: next partition per record"},
		{Name: "send call", Value: "WriteMessages(ctx, Message{Value}) per record, Async = true, Completion callback"},
	}
}

// Produce writes every record with an asynchronous Writer and counts the
// messages handed to its Completion callback, which the Writer calls from
// one goroutine per partition.
func (k kafkaGo) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	tr := workload.NewAckTracker(cfg.Records)
	w := &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Topic:        cfg.Topic,
		BatchTimeout: cfg.Linger,
		BatchBytes:   int64(cfg.BatchBytes),
		BatchSize:    kafkaGoBatchSize(cfg),
		RequiredAcks: kafka.RequireAll,
		Async:        true,
		Completion:   func(msgs []kafka.Message, err error) { tr.Ack(int64(len(msgs)), err) },
	}
	// Close flushes what is left and waits for every Completion call.
	defer w.Close()
	payload := cfg.Payload()
	tr.Restart()
	for i := range cfg.Records {
		if err := w.WriteMessages(ctx, kafka.Message{Value: payload}); err != nil {
			return workload.Result{}, fmt.Errorf("%s: record %d: %w", k.Name(), i, err)
		}
	}
	return tr.Wait(ctx, k.Name(), cfg.RecordBytes)
}

func (kafkaGo) ConsumeSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "assignment", Value: "one Reader per partition (ReaderConfig.Partition), SetOffset(0), no group"},
		{Name: "fetch.max.bytes", Value: "no setting: a Reader fetches one partition per request"},
		{Name: "max.partition.fetch.bytes", Value: fmt.Sprintf("MaxBytes = %d", cfg.PartitionFetchBytes)},
		{Name: "fetch.min.bytes", Value: fmt.Sprintf("MinBytes = %d", cfg.FetchMinBytes)},
		{Name: "fetch.max.wait.ms", Value: fmt.Sprintf("MaxWait = %v", cfg.FetchMaxWait)},
		{Name: "fetches in flight per broker", Value: "no setting: one fetch per Reader, each on its own connection (one per partition the broker leads)"},
		{Name: "read loop", Value: "one goroutine per Reader calling ReadMessage(ctx)"},
	}
}

// Consume reads every partition with its own Reader, each in its own
// goroutine, until the shared quota is spent.
func (k kafkaGo) Consume(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	start := time.Now()
	readers := make([]*kafka.Reader, 0, cfg.Partitions)
	defer func() {
		for _, r := range readers {
			_ = r.Close()
		}
	}()
	for _, p := range cfg.PartitionIDs() {
		rc := kafka.ReaderConfig{
			Brokers:   cfg.Brokers,
			Topic:     cfg.Topic,
			Partition: int(p),
			MinBytes:  cfg.FetchMinBytes,
			MaxBytes:  cfg.PartitionFetchBytes,
			MaxWait:   cfg.FetchMaxWait,
		}
		// NewReader panics on a config it rejects; ask first.
		if err := rc.Validate(); err != nil {
			return workload.Result{}, fmt.Errorf("%s: partition %d: %w", k.Name(), p, err)
		}
		r := kafka.NewReader(rc)
		readers = append(readers, r)
		if err := r.SetOffset(0); err != nil {
			return workload.Result{}, fmt.Errorf("%s: partition %d: %w", k.Name(), p, err)
		}
	}

	q := workload.NewQuota(cfg.Records, 0)
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	sums := make([]int64, len(readers))
	counts := make([]int64, len(readers))
	errs := make(chan error, len(readers))
	var wg sync.WaitGroup
	for i, rd := range readers {
		wg.Go(func() {
			qr := q.Reader()
			for {
				m, err := rd.ReadMessage(readCtx)
				if err != nil {
					// Once the run is over, errors are those of stopping.
					if readCtx.Err() == nil {
						errs <- fmt.Errorf("%s: partition %d: %w", k.Name(), i, err)
					}
					return
				}
				if !qr.Take() {
					return
				}
				sums[i] += int64(len(m.Value))
				counts[i]++
			}
		})
	}
	var runErr error
	select {
	case <-q.Done():
	case runErr = <-errs:
	case <-ctx.Done():
		runErr = fmt.Errorf("%s: %w", k.Name(), ctx.Err())
	}
	stop()
	wg.Wait()
	if runErr != nil {
		return workload.Result{}, runErr
	}
	var sum, seen int64
	for i := range sums {
		sum += sums[i]
		seen += counts[i]
	}
	return workload.Result{
		Client:  k.Name(),
		Mode:    workload.ModeConsume,
		Records: seen,
		Bytes:   sum,
		Elapsed: q.End().Sub(start),
	}, nil
}
