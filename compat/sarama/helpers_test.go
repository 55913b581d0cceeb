package saramacompat_test

import (
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"

	saramacompat "github.com/samsa-go/samsa/compat/sarama"
	"github.com/samsa-go/samsa/mockbroker"
)

// The constructors of one implementation of sarama's interfaces: sarama's
// own, or saramacompat's. Scenarios are written once against these and run
// with both.
type impl struct {
	name          string
	syncProducer  func([]string, *sarama.Config) (sarama.SyncProducer, error)
	asyncProducer func([]string, *sarama.Config) (sarama.AsyncProducer, error)
	consumer      func([]string, *sarama.Config) (sarama.Consumer, error)
}

var (
	saramaImpl = impl{"sarama", sarama.NewSyncProducer, sarama.NewAsyncProducer, sarama.NewConsumer}
	compatImpl = impl{"saramacompat", saramacompat.NewSyncProducer, saramacompat.NewAsyncProducer, saramacompat.NewConsumer}
	impls      = []impl{saramaImpl, compatImpl}
)

// testConfig is a sarama config with short backoffs, so that tests against
// the mock cluster that hit a retry do not wait long.
func testConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "saramacompat-test"
	cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
	cfg.Producer.Retry.Backoff = 10 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Consumer.Return.Errors = true
	return cfg
}

// newCluster starts a three-broker mock cluster.
func newCluster(t *testing.T, opts ...mockbroker.Option) *mockbroker.Cluster {
	t.Helper()
	return mockbroker.NewTest(t, append([]mockbroker.Option{mockbroker.WithBrokers(3)}, opts...)...)
}

// newSync makes a SyncProducer with one implementation and closes it when
// the test ends.
func newSync(t *testing.T, im impl, c *mockbroker.Cluster, cfg *sarama.Config) sarama.SyncProducer {
	t.Helper()
	p, err := im.syncProducer(c.Addrs(), cfg)
	require.NoError(t, err, im.name)
	op := &onceSync{SyncProducer: p}
	t.Cleanup(func() { _ = op.Close() })
	return op
}

// onceSync makes Close idempotent: sarama's own panics when called twice,
// and tests close producers both explicitly and in a cleanup.
type onceSync struct {
	sarama.SyncProducer
	once sync.Once
	err  error
}

func (p *onceSync) Close() error {
	p.once.Do(func() { p.err = p.SyncProducer.Close() })
	return p.err
}

// waitFor waits for cond with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
