package main

import (
	"context"

	saramacompat "github.com/samsa-go/samsa/compat/sarama"

	"github.com/samsa-go/samsa/bench/workload"
)

func init() { register(samsaSarama{}) }

// samsaSarama runs the sarama drop-in (compat/sarama) through the same
// AsyncProducer workload as sarama itself, with the same *sarama.Config.
type samsaSarama struct{}

func (samsaSarama) Name() string   { return "samsa-sarama" }
func (samsaSarama) Module() string { return "github.com/samsa-go/samsa" }

func (c samsaSarama) Produce(ctx context.Context, cfg workload.Config) (workload.Result, error) {
	return produceSaramaAPI(ctx, cfg, c.Name(), saramacompat.NewAsyncProducer)
}

func (samsaSarama) ProduceSettings(cfg workload.Config) []workload.Setting {
	return saramaProduceSettings(cfg)
}
