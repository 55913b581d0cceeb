package saramacompat_test

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	saramacompat "github.com/samsa-go/samsa/compat/sarama"
)

// TestProducerConfigRefusals checks that every producer setting saramacompat
// cannot honour is refused with a sarama.ConfigurationError naming it,
// before any I/O (the seed address is unreachable on purpose).
func TestProducerConfigRefusals(t *testing.T) {
	cases := []struct {
		field string
		set   func(*sarama.Config)
	}{
		{"Producer.Transaction.ID", func(c *sarama.Config) {
			c.Producer.Idempotent, c.Producer.RequiredAcks, c.Net.MaxOpenRequests = true, sarama.WaitForAll, 1
			c.Producer.Transaction.ID = "tx"
		}},
		{"Producer.Flush.Messages", func(c *sarama.Config) { c.Producer.Flush.Messages = 10 }},
		{"Producer.Flush.MaxMessages", func(c *sarama.Config) { c.Producer.Flush.MaxMessages = 10 }},
		{"Producer.Retry.BackoffFunc", func(c *sarama.Config) {
			c.Producer.Retry.BackoffFunc = func(int, int) time.Duration { return time.Millisecond }
		}},
		{"Producer.Timeout", func(c *sarama.Config) { c.Producer.Timeout = time.Second }},
		{"Producer.Retry.MaxBufferLength", func(c *sarama.Config) { c.Producer.Retry.MaxBufferLength = 10000 }},
		{"Producer.CompressionLevel", func(c *sarama.Config) {
			c.Producer.Compression, c.Producer.CompressionLevel = sarama.CompressionGZIP, 0
		}},
		{"Version", func(c *sarama.Config) { c.Version = sarama.V0_10_2_0 }},
		{"Net.KeepAlive", func(c *sarama.Config) { c.Net.KeepAlive = time.Minute }},
		{"Net.ResolveCanonicalBootstrapServers", func(c *sarama.Config) { c.Net.ResolveCanonicalBootstrapServers = true }},
		{"Net.SASL.Mechanism", func(c *sarama.Config) {
			c.Net.SASL.Enable, c.Net.SASL.Mechanism = true, sarama.SASLTypeOAuth
			c.Net.SASL.TokenProvider = tokenProvider{}
		}},
		{"Net.SASL.AuthIdentity", func(c *sarama.Config) {
			c.Net.SASL.Enable, c.Net.SASL.User, c.Net.SASL.Password, c.Net.SASL.AuthIdentity = true, "u", "p", "other"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := testConfig()
			tc.set(cfg)
			require.NoError(t, cfg.Validate(), "sarama accepts the config")
			for _, ctor := range []func() error{
				func() error { _, err := saramacompat.NewSyncProducer([]string{"127.0.0.1:1"}, cfg); return err },
				func() error { _, err := saramacompat.NewAsyncProducer([]string{"127.0.0.1:1"}, cfg); return err },
			} {
				err := ctor()
				var ce sarama.ConfigurationError
				require.ErrorAs(t, err, &ce)
				assert.Contains(t, err.Error(), tc.field)
			}
		})
	}
}

type tokenProvider struct{}

func (tokenProvider) Token() (*sarama.AccessToken, error) {
	return &sarama.AccessToken{Token: "t"}, nil
}

// TestValidateErrorsUnchanged checks that sarama's own validation errors
// come back exactly as sarama returns them.
func TestValidateErrorsUnchanged(t *testing.T) {
	cfg := testConfig()
	cfg.Producer.RequiredAcks = -5
	want := cfg.Validate()
	require.Error(t, want)
	_, err := saramacompat.NewAsyncProducer([]string{"127.0.0.1:1"}, cfg)
	assert.Equal(t, want, err)
}

// TestNoBrokers checks that, as sarama's, the constructors fail with
// sarama.ErrOutOfBrokers when no seed broker answers.
func TestNoBrokers(t *testing.T) {
	cfg := testConfig()
	cfg.Net.DialTimeout = 200 * time.Millisecond
	cfg.Metadata.Retry.Max = 0
	_, err := saramacompat.NewAsyncProducer([]string{"127.0.0.1:1"}, cfg)
	assert.ErrorIs(t, err, sarama.ErrOutOfBrokers)
	_, serr := sarama.NewAsyncProducer([]string{"127.0.0.1:1"}, cfg)
	assert.ErrorIs(t, serr, sarama.ErrOutOfBrokers)
}
