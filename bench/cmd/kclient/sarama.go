package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa/bench/workload"
)

func init() { register(saramaClient{}) }

// saramaClient runs the workloads with github.com/IBM/sarama: its
// AsyncProducer and its partition Consumer.
//
// The run logic is written against sarama's interfaces and takes the
// constructor as a parameter, so a client with sarama's API (samsa's
// compat/sarama drop-in) is one more file that passes its own
// NewAsyncProducer or NewConsumer to produceSaramaAPI or consumeSaramaAPI.
type saramaClient struct{}

func (saramaClient) Name() string   { return "sarama" }
func (saramaClient) Module() string { return "github.com/IBM/sarama" }

func (c saramaClient) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	return produceSaramaAPI(ctx, cfg, c.Name(), sarama.NewAsyncProducer)
}

func (saramaClient) ProduceSettings(cfg workload.Config) []workload.Setting {
	return saramaProduceSettings(cfg)
}

func (c saramaClient) Consume(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	return consumeSaramaAPI(ctx, cfg, c.Name(), sarama.NewConsumer)
}

func (saramaClient) ConsumeSettings(cfg workload.Config) []workload.Setting {
	return saramaConsumeSettings(cfg)
}

// saramaProduceConfig maps cfg onto a sarama.Config. sarama's flush
// thresholds are per broker (summed over its partitions) and
// MaxMessageBytes caps each partition's batch, so batch.size maps to both.
func saramaProduceConfig(cfg workload.Config) *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = "kbench"
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Compression = sarama.CompressionNone
	sc.Producer.Idempotent = false
	sc.Producer.Flush.Frequency = cfg.Linger
	sc.Producer.Flush.Bytes = cfg.BatchBytes
	sc.Producer.MaxMessageBytes = cfg.BatchBytes
	sc.Net.MaxOpenRequests = cfg.MaxInFlight
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	return sc
}

func saramaProduceSettings(cfg workload.Config) []workload.Setting {
	sc := saramaProduceConfig(cfg)
	return []workload.Setting{
		{Name: "acks", Value: "Producer.RequiredAcks = WaitForAll"},
		{Name: "compression.type", Value: "Producer.Compression = CompressionNone"},
		{Name: "linger.ms", Value: fmt.Sprintf("Producer.Flush.Frequency = %v", sc.Producer.Flush.Frequency)},
		{Name: "batch.size", Value: fmt.Sprintf("Producer.Flush.Bytes = %d (per broker), Producer.MaxMessageBytes = %d (per partition batch), Flush.MaxMessages = 0 (no cap)",
			sc.Producer.Flush.Bytes, sc.Producer.MaxMessageBytes)},
		{Name: "enable.idempotence", Value: "Producer.Idempotent = false"},
		{Name: "max.in.flight.requests.per.connection", Value: fmt.Sprintf("Net.MaxOpenRequests = %d", sc.Net.MaxOpenRequests)},
		{Name: "buffer.memory", Value: fmt.Sprintf("no byte bound; ChannelBufferSize = %d", sc.ChannelBufferSize)},
		{Name: "partitioner (nil keys)", Value: "default HashPartitioner: random partition per record"},
		{Name: "send call", Value: "Input() <- &ProducerMessage{Value: ByteEncoder}; Return.Successes and Return.Errors drained"},
		{Name: "protocol version cap", Value: "Version = " + sc.Version.String() + " (default)"},
	}
}

// produceSaramaAPI runs the produce workload against any implementation
// of sarama.AsyncProducer built by newProducer.
func produceSaramaAPI(ctx context.Context, cfg workload.Config, name string,
	newProducer func([]string, *sarama.Config) (sarama.AsyncProducer, error)) (workload.Result, error) {
	p, err := newProducer(cfg.Brokers, saramaProduceConfig(cfg))
	if err != nil {
		return workload.Result{}, fmt.Errorf("%s: %w", name, err)
	}
	tr := workload.NewAckTracker(cfg.Records)
	// The drainers own reading Successes and Errors until the producer
	// closes them; Close below waits for them.
	var drain sync.WaitGroup
	drain.Go(func() {
		for range p.Successes() {
			tr.Ack(1, nil)
		}
	})
	drain.Go(func() {
		for e := range p.Errors() {
			tr.Ack(1, e.Err)
		}
	})
	closeProducer := func() {
		p.AsyncClose()
		drain.Wait()
	}
	payload := cfg.Payload()
	tr.Restart()
	for i := range cfg.Records {
		select {
		case p.Input() <- &sarama.ProducerMessage{Topic: cfg.Topic, Value: sarama.ByteEncoder(payload)}:
		case <-ctx.Done():
			closeProducer()
			return workload.Result{}, fmt.Errorf("%s: %d of %d records sent: %w", name, i, cfg.Records, ctx.Err())
		}
	}
	res, err := tr.Wait(ctx, name, cfg.RecordBytes)
	closeProducer()
	return res, err
}

// saramaConsumeConfig maps cfg onto a sarama.Config for a Consumer.
func saramaConsumeConfig(cfg workload.Config) *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = "kbench"
	sc.Consumer.Return.Errors = true
	sc.Consumer.Fetch.MaxBytes = int32(cfg.FetchMaxBytes)
	sc.Consumer.Fetch.Default = int32(cfg.PartitionFetchBytes)
	sc.Consumer.Fetch.Min = int32(cfg.FetchMinBytes)
	sc.Consumer.MaxWaitTime = cfg.FetchMaxWait
	return sc
}

func saramaConsumeSettings(cfg workload.Config) []workload.Setting {
	sc := saramaConsumeConfig(cfg)
	return []workload.Setting{
		{Name: "assignment", Value: "Consumer.ConsumePartition(topic, p, 0) for every partition, no group"},
		{Name: "fetch.max.bytes", Value: fmt.Sprintf("Consumer.Fetch.MaxBytes = %d", sc.Consumer.Fetch.MaxBytes)},
		{Name: "max.partition.fetch.bytes", Value: fmt.Sprintf("Consumer.Fetch.Default = %d", sc.Consumer.Fetch.Default)},
		{Name: "fetch.min.bytes", Value: fmt.Sprintf("Consumer.Fetch.Min = %d", sc.Consumer.Fetch.Min)},
		{Name: "fetch.max.wait.ms", Value: fmt.Sprintf("Consumer.MaxWaitTime = %v", sc.Consumer.MaxWaitTime)},
		{Name: "fetches in flight per broker", Value: "no setting: one fetch per broker for all its partitions"},
		{Name: "read loop", Value: fmt.Sprintf("one goroutine per PartitionConsumer reading Messages() (ChannelBufferSize = %d)", sc.ChannelBufferSize)},
		{Name: "protocol version cap", Value: "Version = " + sc.Version.String() + " (default)"},
	}
}

// consumeSaramaAPI runs the consume workload against any implementation
// of sarama.Consumer built by newConsumer: one goroutine per partition
// reads its Messages channel until the shared quota is spent.
func consumeSaramaAPI(ctx context.Context, cfg workload.Config, name string,
	newConsumer func([]string, *sarama.Config) (sarama.Consumer, error)) (workload.Result, error) {
	start := time.Now()
	c, err := newConsumer(cfg.Brokers, saramaConsumeConfig(cfg))
	if err != nil {
		return workload.Result{}, fmt.Errorf("%s: %w", name, err)
	}
	defer c.Close()
	pcs := make([]sarama.PartitionConsumer, 0, cfg.Partitions)
	defer func() {
		// Close, unlike AsyncClose, drains what the partition consumer
		// still holds, so the Consumer's own Close cannot block on it.
		// Errors after the run are of no interest.
		for _, pc := range pcs {
			_ = pc.Close()
		}
	}()
	for _, p := range cfg.PartitionIDs() {
		pc, err := c.ConsumePartition(cfg.Topic, p, 0)
		if err != nil {
			return workload.Result{}, fmt.Errorf("%s: consuming %s-%d: %w", name, cfg.Topic, p, err)
		}
		pcs = append(pcs, pc)
	}

	q := workload.NewQuota(cfg.Records, 0)
	stop := make(chan struct{})
	sums := make([]int64, len(pcs))
	counts := make([]int64, len(pcs))
	errs := make(chan error, len(pcs))
	var wg sync.WaitGroup
	for i, pc := range pcs {
		wg.Go(func() {
			r := q.Reader()
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						errs <- fmt.Errorf("%s: partition %d: the message channel closed before the run ended", name, i)
						return
					}
					if !r.Take() {
						return
					}
					sums[i] += int64(len(m.Value))
					counts[i]++
				case e, ok := <-pc.Errors():
					if !ok {
						errs <- fmt.Errorf("%s: partition %d: the error channel closed before the run ended", name, i)
						return
					}
					errs <- fmt.Errorf("%s: consuming %s-%d: %w", name, e.Topic, e.Partition, e.Err)
					return
				case <-stop:
					return
				}
			}
		})
	}
	var runErr error
	select {
	case <-q.Done():
	case runErr = <-errs:
	case <-ctx.Done():
		runErr = fmt.Errorf("%s: %w", name, ctx.Err())
	}
	end := time.Now()
	if runErr == nil {
		end = q.End()
	}
	close(stop)
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
		Client:  name,
		Mode:    workload.ModeConsume,
		Records: seen,
		Bytes:   sum,
		Elapsed: end.Sub(start),
	}, nil
}
