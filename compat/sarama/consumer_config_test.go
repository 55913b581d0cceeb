package saramacompat

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

// TestConsumerConfigCarriesTLSAndSASL checks that Net.TLS and Net.SASL
// reach the connections of the samsa consumer behind Consumer and
// ConsumerGroup: against the plaintext mock, which offers no SASL, a TLS
// consumer fails its handshake and a SASL consumer finds no
// SaslAuthenticate, while the same config without them connects.
func TestConsumerConfigCarriesTLSAndSASL(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	sasl := func(mech sarama.SASLMechanism) func(*sarama.Config) {
		return func(c *sarama.Config) {
			c.Net.SASL.Enable, c.Net.SASL.Mechanism = true, mech
			c.Net.SASL.User, c.Net.SASL.Password = "user", "secret"
			if mech != sarama.SASLTypePlaintext {
				// sarama's Validate wants its SCRAM client; samsa uses
				// its own and never calls this.
				c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return nil }
			}
		}
	}
	cases := []struct {
		name    string
		set     func(*sarama.Config)
		wantErr string // "" when the consumer must connect
	}{
		{"plaintext", func(*sarama.Config) {}, ""},
		{"TLS", func(c *sarama.Config) {
			c.Net.TLS.Enable = true
			c.Net.TLS.Config = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the handshake is meant to fail
		}, "TLS handshake"},
		{"TLS without a config", func(c *sarama.Config) { c.Net.TLS.Enable = true }, "TLS handshake"},
		{"SASL PLAIN", sasl(sarama.SASLTypePlaintext), "SaslAuthenticate"},
		{"SASL SCRAM-SHA-256", sasl(sarama.SASLTypeSCRAMSHA256), "SaslAuthenticate"},
		{"SASL SCRAM-SHA-512", sasl(sarama.SASLTypeSCRAMSHA512), "SaslAuthenticate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sarama.NewConfig()
			cfg.Net.DialTimeout = 2 * time.Second
			cfg.Metadata.Retry.Max = 0
			cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
			tc.set(cfg)
			cfg, err := prepare(cfg)
			require.NoError(t, err)
			set, err := consumerConfig(mb.Addrs(), cfg)
			require.NoError(t, err, "consumers take Net.TLS and Net.SASL")
			sc, err := consumer.New(serde.Bytes(), serde.Bytes(), set.opts...)
			if tc.wantErr == "" {
				require.NoError(t, err)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				require.NoError(t, sc.Close(ctx))
				return
			}
			require.ErrorIs(t, err, samsa.ErrNoBrokers)
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}
