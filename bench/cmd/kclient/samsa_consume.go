package main

import (
	"context"
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/bench/workload"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/serde"
)

func init() { register(samsaClient{}) }

// samsaClient runs the workloads with samsa itself. The consume workload
// lives in this file; the produce workload's methods (Produce,
// ProduceSettings) belong to the same type, in their own file.
type samsaClient struct{}

func (samsaClient) Name() string   { return "samsa" }
func (samsaClient) Module() string { return "github.com/samsa-go/samsa" }

func (samsaClient) ConsumeSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "assignment", Value: "Assign(every partition), then Seek(partition, 0) for each, no group"},
		{Name: "fetch.max.bytes", Value: fmt.Sprintf("WithFetchMaxBytes(%d)", cfg.FetchMaxBytes)},
		{Name: "max.partition.fetch.bytes", Value: fmt.Sprintf("WithMaxPartitionFetchBytes(%d)", cfg.PartitionFetchBytes)},
		{Name: "fetch.min.bytes", Value: fmt.Sprintf("WithFetchMinBytes(%d)", cfg.FetchMinBytes)},
		{Name: "fetch.max.wait.ms", Value: fmt.Sprintf("WithFetchMaxWait(%v)", cfg.FetchMaxWait)},
		{Name: "max.poll.records", Value: "500 (default)"},
		{Name: "fetches in flight per broker", Value: "WithFetchersPerBroker(1) (default, as Java): one fetch per broker covering all its partitions"},
		{Name: "read loop", Value: "Poll(ctx) → []Record[[]byte, []byte] with serde.Bytes, one goroutine"},
	}
}

// Consume polls one samsa consumer assigned every partition, from offset
// 0 (no group, so no committed offsets are looked up).
func (s samsaClient) Consume(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	start := time.Now()
	c, err := consumer.New(serde.Bytes(), serde.Bytes(),
		consumer.WithBrokers(cfg.Brokers...),
		consumer.WithClientID("kbench"),
		consumer.WithFetchMaxBytes(int32(cfg.FetchMaxBytes)),
		consumer.WithMaxPartitionFetchBytes(int32(cfg.PartitionFetchBytes)),
		consumer.WithFetchMinBytes(int32(cfg.FetchMinBytes)),
		consumer.WithFetchMaxWait(cfg.FetchMaxWait),
	)
	if err != nil {
		return workload.Result{}, fmt.Errorf("samsa: %w", err)
	}
	defer c.Close(context.Background())
	tps := make([]samsa.TopicPartition, 0, cfg.Partitions)
	for _, p := range cfg.PartitionIDs() {
		tps = append(tps, samsa.TopicPartition{Topic: cfg.Topic, Partition: p})
	}
	if err := c.Assign(tps...); err != nil {
		return workload.Result{}, fmt.Errorf("samsa: %w", err)
	}
	for _, tp := range tps {
		// Start at offset 0, as the other clients are told to, rather
		// than looking up the earliest offset first.
		if err := c.Seek(tp, 0); err != nil {
			return workload.Result{}, fmt.Errorf("samsa: %w", err)
		}
	}
	var seen, sum int64
	for seen < cfg.Records {
		recs, err := c.Poll(ctx)
		if err != nil {
			return workload.Result{}, fmt.Errorf("samsa: %d of %d records seen: %w", seen, cfg.Records, err)
		}
		for i := range recs {
			if seen == cfg.Records {
				break
			}
			sum += int64(len(recs[i].Value))
			seen++
		}
	}
	return workload.Result{
		Client:  s.Name(),
		Mode:    workload.ModeConsume,
		Records: seen,
		Bytes:   sum,
		Elapsed: time.Since(start),
	}, nil
}
