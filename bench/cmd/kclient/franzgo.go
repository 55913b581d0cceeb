package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/samsa-go/samsa/bench/workload"
)

func init() { register(franzGo{}) }

// franzGo runs the workloads with github.com/twmb/franz-go/pkg/kgo.
type franzGo struct{}

func (franzGo) Name() string   { return "franz-go" }
func (franzGo) Module() string { return "github.com/twmb/franz-go" }

func (franzGo) produceOpts(cfg workload.Config) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID("kbench"),
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DisableIdempotentWrite(),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(cfg.Linger),
		kgo.ProducerBatchMaxBytes(int32(cfg.BatchBytes)),
		kgo.MaxProduceRequestsInflightPerBroker(cfg.MaxInFlight),
		kgo.MaxBufferedBytes(cfg.BufferBytes),
		// Let the byte bound above decide, as buffer.memory does, rather
		// than franz-go's own default of 50,000 buffered records.
		kgo.MaxBufferedRecords(math.MaxInt32),
	}
}

func (franzGo) ProduceSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "acks", Value: "RequiredAcks(AllISRAcks())"},
		{Name: "compression.type", Value: "ProducerBatchCompression(NoCompression())"},
		{Name: "linger.ms", Value: fmt.Sprintf("ProducerLinger(%v)", cfg.Linger)},
		{Name: "batch.size", Value: fmt.Sprintf("ProducerBatchMaxBytes(%d)", cfg.BatchBytes)},
		{Name: "enable.idempotence", Value: "DisableIdempotentWrite()"},
		{Name: "max.in.flight.requests.per.connection", Value: fmt.Sprintf("MaxProduceRequestsInflightPerBroker(%d)", cfg.MaxInFlight)},
		{Name: "buffer.memory", Value: fmt.Sprintf("MaxBufferedBytes(%d), MaxBufferedRecords(MaxInt32)", cfg.BufferBytes)},
		{Name: "partitioner (nil keys)", Value: "default: sticky per batch"},
		{Name: "send call", Value: "Client.Produce(ctx, &Record{Value}, promise) per record"},
	}
}

// Produce sends every record with Client.Produce and counts promises;
// franz-go runs the promises of one client serially.
func (f franzGo) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	cl, err := kgo.NewClient(f.produceOpts(cfg)...)
	if err != nil {
		return workload.Result{}, fmt.Errorf("franz-go: %w", err)
	}
	defer cl.Close()
	payload := cfg.Payload()
	tr := workload.NewAckTracker(cfg.Records)
	promise := func(_ *kgo.Record, err error) { tr.Ack(1, err) }
	tr.Restart()
	for range cfg.Records {
		// A blocked Produce returns once ctx ends, failing the record
		// through its promise; the tracker then reports ctx's error.
		cl.Produce(ctx, &kgo.Record{Value: payload}, promise)
	}
	return tr.Wait(ctx, f.Name(), cfg.RecordBytes)
}

func (franzGo) ConsumeSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "assignment", Value: "ConsumePartitions(topic: every partition At(0)), no group"},
		{Name: "fetch.max.bytes", Value: fmt.Sprintf("FetchMaxBytes(%d)", cfg.FetchMaxBytes)},
		{Name: "max.partition.fetch.bytes", Value: fmt.Sprintf("FetchMaxPartitionBytes(%d)", cfg.PartitionFetchBytes)},
		{Name: "fetch.min.bytes", Value: fmt.Sprintf("FetchMinBytes(%d)", cfg.FetchMinBytes)},
		{Name: "fetch.max.wait.ms", Value: fmt.Sprintf("FetchMaxWait(%v)", cfg.FetchMaxWait)},
		{Name: "fetches in flight per broker", Value: "no setting: one fetch per broker for all its partitions"},
		{Name: "read loop", Value: "PollFetches(ctx) → RecordIter, one goroutine"},
	}
}

// Consume polls one franz-go client that consumes every partition
// directly from offset 0.
func (f franzGo) Consume(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	start := time.Now()
	offsets := make(map[int32]kgo.Offset, cfg.Partitions)
	for _, p := range cfg.PartitionIDs() {
		offsets[p] = kgo.NewOffset().At(0)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID("kbench"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.Topic: offsets}),
		kgo.FetchMaxBytes(int32(cfg.FetchMaxBytes)),
		kgo.FetchMaxPartitionBytes(int32(cfg.PartitionFetchBytes)),
		kgo.FetchMinBytes(int32(cfg.FetchMinBytes)),
		kgo.FetchMaxWait(cfg.FetchMaxWait),
	)
	if err != nil {
		return workload.Result{}, fmt.Errorf("franz-go: %w", err)
	}
	defer cl.Close()
	var seen, sum int64
	for seen < cfg.Records {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return workload.Result{}, fmt.Errorf("franz-go: %d of %d records seen: %w", seen, cfg.Records, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			e := errs[0]
			return workload.Result{}, fmt.Errorf("franz-go: fetching %s-%d: %w", e.Topic, e.Partition, e.Err)
		}
		for it := fetches.RecordIter(); !it.Done() && seen < cfg.Records; {
			sum += int64(len(it.Next().Value))
			seen++
		}
	}
	return workload.Result{
		Client:  f.Name(),
		Mode:    workload.ModeConsume,
		Records: seen,
		Bytes:   sum,
		Elapsed: time.Since(start),
	}, nil
}
