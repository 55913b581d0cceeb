package saramacompat

import (
	"context"
	"errors"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/wire"
)

// clusterOptions maps cfg onto the options of a samsa cluster client (the
// metadata and connections saramacompat keeps for itself: topic and
// partition lists, offsets, the constructors' connectivity check).
func clusterOptions(cfg *sarama.Config) cluster.Options {
	mech, caps := connSettings(cfg)
	refresh := cfg.Metadata.RefreshFrequency
	if refresh == 0 {
		refresh = forever
	}
	backoff := cfg.Metadata.Retry.Backoff
	if backoff <= 0 {
		backoff = cluster.DefaultRetryBackoff
	}
	return cluster.Options{
		Wire: wire.Options{
			ClientID:       cfg.ClientID,
			DialTimeout:    cfg.Net.DialTimeout,
			RequestTimeout: cfg.Net.ReadTimeout,
			MaxInFlight:    cfg.Net.MaxOpenRequests,
			TLS:            tlsConfig(cfg),
			SASL:           mech,
			MaxVersions:    caps,
		},
		MetadataMaxAge:         refresh,
		RetryBackoff:           backoff,
		RetryBackoffMax:        max(backoff, cluster.DefaultRetryBackoffMax),
		AllowAutoTopicCreation: cfg.Metadata.AllowAutoTopicCreation,
	}
}

// openCluster bootstraps a samsa cluster client from the seed brokers the
// way sarama's NewClient does before any producer or consumer exists:
// a constructor fails at once, with sarama.ErrOutOfBrokers, when no seed
// answers.
func openCluster(addrs []string, cfg *sarama.Config) (*cluster.Cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(cfg.Metadata.Retry.Max+1)*(cfg.Net.DialTimeout+cfg.Metadata.Retry.Backoff))
	defer cancel()
	cl, err := cluster.New(ctx, addrs, clusterOptions(cfg))
	if err != nil {
		var ce *samsa.ConfigError
		if errors.As(err, &ce) {
			return nil, &Error{Sarama: sarama.ConfigurationError(ce.Error()), Cause: err}
		}
		return nil, &Error{Sarama: sarama.ErrOutOfBrokers, Cause: err}
	}
	return cl, nil
}

// checkBrokers fails, as sarama's constructors do, when no seed broker
// answers.
func checkBrokers(addrs []string, cfg *sarama.Config) error {
	cl, err := openCluster(addrs, cfg)
	if err != nil {
		return err
	}
	return cl.Close()
}
