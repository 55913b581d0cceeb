package consumer_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

func TestConnectionOptionValidation(t *testing.T) {
	brokers := consumer.WithBrokers("127.0.0.1:1")
	tests := []struct {
		name   string
		opts   []consumer.Option
		option string
	}{
		{"zero dial timeout", []consumer.Option{brokers, consumer.WithDialTimeout(0)}, "consumer.WithDialTimeout"},
		{"negative dial timeout", []consumer.Option{brokers, consumer.WithDialTimeout(-time.Second)}, "consumer.WithDialTimeout"},
		{"negative version cap", []consumer.Option{brokers, consumer.WithMaxVersions(map[int16]int16{1: -1})}, "consumer.WithMaxVersions"},
		{"negative API key", []consumer.Option{brokers, consumer.WithMaxVersions(map[int16]int16{-3: 1})}, "consumer.WithMaxVersions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := consumer.New(serde.String(), serde.String(), tt.opts...)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}
}

// TestMaxVersionsCapsRequests checks that WithMaxVersions caps every
// request of a capped API key — fetches, offset lookups, group
// membership and commits — and that consuming in a group works at the
// capped versions.
func TestMaxVersionsCapsRequests(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("caps", 2))
	var mu sync.Mutex
	seen := map[int16]int16{} // key -> highest version seen
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		seen[req.Key()] = max(seen[req.Key()], req.GetVersion())
		mu.Unlock()
		return nil, nil, false
	})
	p := newProducer(t, mb)
	p.produceValues("caps", 0, "a", "b")
	p.produceValues("caps", 1, "c")

	// Kafka 2.0's versions, as saramacompat derives them from
	// sarama.V2_0_0_0.
	caps := map[int16]int16{1: 8, 2: 3, 3: 6, 8: 4, 9: 4, 10: 2, 11: 3, 12: 2, 14: 2}
	c := newStringConsumer(t, mb, append(groupOpts(mb, "capped"), consumer.WithMaxVersions(caps))...)
	require.NoError(t, c.Subscribe("caps"))
	got := pollN(t, c, 3)
	assert.ElementsMatch(t, []string{"a", "b", "c"}, values(got))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, c.CommitSync(ctx, nil))
	committed, err := c.Committed(ctx, tp("caps", 0), tp("caps", 1))
	require.NoError(t, err)
	assert.Equal(t, int64(2), committed[tp("caps", 0)].Offset)
	assert.Equal(t, int64(1), committed[tp("caps", 1)].Offset)

	mu.Lock()
	defer mu.Unlock()
	for key, want := range caps {
		require.Contains(t, seen, key, "API key %d was used", key)
		assert.Equal(t, want, seen[key], "API key %d is capped at v%d", key, want)
	}
}

// TestTLSAgainstPlaintextBroker checks that WithTLS reaches the
// connections: a plaintext broker fails the TLS handshake, and New says so.
func TestTLSAgainstPlaintextBroker(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	_, err := consumer.New(serde.String(), serde.String(),
		consumer.WithBrokers(mb.Addrs()...),
		consumer.WithTLS(&tls.Config{InsecureSkipVerify: true}), //nolint:gosec // the handshake is meant to fail
		consumer.WithDialTimeout(2*time.Second),
		consumer.WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond),
		consumer.WithDefaultAPITimeout(2*time.Second))
	require.Error(t, err)
	assert.ErrorIs(t, err, samsa.ErrNoBrokers)
	assert.ErrorContains(t, err, "TLS handshake")
}

// TestTLSBootstrap bootstraps a consumer through a TLS terminator in front
// of the broker: New succeeds only if the consumer speaks TLS and trusts
// the terminator's certificate through the given tls.Config.
func TestTLSBootstrap(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	proxy, roots := startTLSProxy(t, mb.Addrs()[0])
	opts := []consumer.Option{
		consumer.WithBrokers(proxy),
		consumer.WithDialTimeout(2 * time.Second),
		consumer.WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond),
		consumer.WithDefaultAPITimeout(5 * time.Second),
	}
	t.Run("trusted", func(t *testing.T) {
		c, err := consumer.New(serde.String(), serde.String(),
			append(opts, consumer.WithTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))...)
		require.NoError(t, err)
		require.NoError(t, c.Close(context.Background()))
	})
	t.Run("untrusted", func(t *testing.T) {
		_, err := consumer.New(serde.String(), serde.String(),
			append(opts, consumer.WithTLS(&tls.Config{MinVersion: tls.VersionTLS12}))...)
		var uerr x509.UnknownAuthorityError
		require.ErrorAs(t, err, &uerr, "got %v", err)
	})
	t.Run("plaintext", func(t *testing.T) {
		_, err := consumer.New(serde.String(), serde.String(), opts...)
		require.ErrorIs(t, err, samsa.ErrNoBrokers)
	})
}

// TestSASLReachesConnections checks that WithSASL makes every connection
// authenticate: mockbroker offers no SASL, so the consumer's bootstrap
// fails saying SaslAuthenticate is missing.
func TestSASLReachesConnections(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	for _, m := range []consumer.SASLMechanism{
		consumer.SASLPlain("u", "p"), consumer.SASLScramSHA256("u", "p"), consumer.SASLScramSHA512("u", "p"),
	} {
		t.Run(m.Name(), func(t *testing.T) {
			_, err := consumer.New(serde.String(), serde.String(),
				consumer.WithBrokers(mb.Addrs()...),
				consumer.WithSASL(m),
				consumer.WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond),
				consumer.WithDefaultAPITimeout(2*time.Second))
			require.ErrorIs(t, err, samsa.ErrNoBrokers)
			assert.ErrorContains(t, err, "SaslAuthenticate")
		})
	}
}

// startTLSProxy serves TLS on a local port with a fresh self-signed
// certificate for 127.0.0.1 and forwards every connection to target in
// plaintext. It returns the proxy's address and a pool trusting its
// certificate; the proxy stops, and its goroutines end, when the test ends.
func startTLSProxy(t *testing.T, target string) (string, *x509.CertPool) {
	t.Helper()
	serverCfg, clientCfg := wiretest.TLSConfigs(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	require.NoError(t, err)

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
	)
	// track keeps c for the cleanup to close; once the cleanup ran, it
	// closes c at once and reports false.
	track := func(c ...net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			for _, x := range c {
				x.Close()
			}
			return false
		}
		conns = append(conns, c...)
		return true
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return // the listener was closed
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			if !track(in, out) {
				return
			}
			for _, pair := range [][2]net.Conn{{in, out}, {out, in}} {
				wg.Add(1)
				go func(dst, src net.Conn) {
					defer wg.Done()
					_, _ = io.Copy(dst, src)
					dst.Close()
					src.Close()
				}(pair[0], pair[1])
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Logf("closing proxied connection: %v", err)
			}
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), clientCfg.RootCAs
}
