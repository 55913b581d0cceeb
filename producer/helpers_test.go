package producer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// testTimeout bounds every wait of a test.
const testTimeout = 20 * time.Second

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newStringProducer returns a producer of string keys and values for the
// cluster, closed when the test ends.
func newStringProducer(t *testing.T, cl *mockbroker.Cluster, opts ...producer.Option) *producer.Producer[string, string] {
	t.Helper()
	opts = append([]producer.Option{producer.WithBrokers(cl.Addrs()...)}, opts...)
	p, err := producer.New(serde.String(), serde.String(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// outcome is what one callback received.
type outcome struct {
	md  producer.RecordMetadata
	err error
}

// collector gathers callback outcomes and lets a test wait for a count.
type collector struct {
	mu   sync.Mutex
	got  []outcome
	wake chan struct{}
}

func newCollector() *collector { return &collector{wake: make(chan struct{}, 1)} }

func (c *collector) cb(md producer.RecordMetadata, err error) {
	c.mu.Lock()
	c.got = append(c.got, outcome{md, err})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// wait blocks until n outcomes arrived, failing the test after testTimeout.
func (c *collector) wait(t *testing.T, n int) []outcome {
	t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]outcome(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		have := len(c.got)
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-deadline.C:
			t.Fatalf("waited %v for %d callbacks, got %d", testTimeout, n, have)
		}
	}
}

func (c *collector) snapshot() []outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]outcome(nil), c.got...)
}

// recordValues returns the values stored in a partition, in offset order.
func recordValues(t *testing.T, cl *mockbroker.Cluster, topic string, partition int32) []string {
	t.Helper()
	recs, err := cl.Records(topic, partition)
	require.NoError(t, err)
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}
