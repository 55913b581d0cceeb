package main

import (
	"context"
	"fmt"

	"github.com/samsa-go/samsa/bench/workload"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// The produce workload of samsaClient (declared with its consume workload
// in samsa_consume.go).

func (samsaClient) produceOpts(cfg workload.Config) []producer.Option {
	return []producer.Option{
		producer.WithBrokers(cfg.Brokers...),
		producer.WithClientID("kbench"),
		producer.WithAcks(producer.AcksAll),
		producer.WithIdempotence(false),
		producer.WithCompression(producer.CompressionNone, 0),
		producer.WithLinger(cfg.Linger),
		producer.WithBatchSize(cfg.BatchBytes),
		producer.WithMaxInFlight(cfg.MaxInFlight),
		producer.WithBufferMemory(cfg.BufferBytes),
		// A batch is as large as a request may be: let one batch fill a
		// request, as the other clients' batch bounds allow.
		producer.WithMaxRequestSize(max(producer.DefaultMaxRequestSize, cfg.BatchBytes)),
	}
}

func (samsaClient) ProduceSettings(cfg workload.Config) []workload.Setting {
	return []workload.Setting{
		{Name: "acks", Value: "WithAcks(AcksAll)"},
		{Name: "compression.type", Value: "WithCompression(CompressionNone, 0)"},
		{Name: "linger.ms", Value: fmt.Sprintf("WithLinger(%v)", cfg.Linger)},
		{Name: "batch.size", Value: fmt.Sprintf("WithBatchSize(%d)", cfg.BatchBytes)},
		{Name: "max.request.size", Value: fmt.Sprintf("WithMaxRequestSize(%d)", max(producer.DefaultMaxRequestSize, cfg.BatchBytes))},
		{Name: "enable.idempotence", Value: "WithIdempotence(false)"},
		{Name: "max.in.flight.requests.per.connection", Value: fmt.Sprintf("WithMaxInFlight(%d)", cfg.MaxInFlight)},
		{Name: "buffer.memory", Value: fmt.Sprintf("WithBufferMemory(%d)", cfg.BufferBytes)},
		{Name: "partitioner (nil keys)", Value: "default: KIP-794 uniform sticky, adaptive"},
		{Name: "send call", Value: "Producer.Send(ctx, &Record{Value}, callback) per record, serde.Bytes"},
	}
}

// Produce sends every record with Producer.Send and counts callbacks,
// which samsa runs one at a time on its sender goroutine.
func (s samsaClient) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	p, err := producer.New(serde.Bytes(), serde.Bytes(), s.produceOpts(cfg)...)
	if err != nil {
		return workload.Result{}, fmt.Errorf("samsa: %w", err)
	}
	defer p.Close(context.Background())
	payload := cfg.Payload()
	tr := workload.NewAckTracker(cfg.Records)
	cb := func(_ producer.RecordMetadata, err error) { tr.Ack(1, err) }
	// Send keeps no reference to the record, so one record serves every
	// call, as one payload does for the other clients.
	rec := &producer.Record[[]byte, []byte]{Topic: cfg.Topic, Value: payload}
	tr.Restart()
	for range cfg.Records {
		if err := p.Send(ctx, rec, cb); err != nil {
			return workload.Result{}, fmt.Errorf("samsa: send: %w", err)
		}
	}
	return tr.Wait(ctx, s.Name(), cfg.RecordBytes)
}
