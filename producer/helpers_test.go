package producer_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
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

// batchSeen is one record batch of a Produce request, as a hook saw it.
type batchSeen struct {
	tp      samsa.TopicPartition
	records int
	bytes   int
	codec   int8
}

// produceSpy records every Produce request the cluster receives.
type produceSpy struct {
	mu       sync.Mutex
	requests [][]batchSeen
}

func spyProduce(t *testing.T, cl *mockbroker.Cluster) *produceSpy {
	t.Helper()
	s := &produceSpy{}
	cl.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		pr, ok := req.(*kmsg.ProduceRequest)
		if !ok {
			return nil, nil, false
		}
		var seen []batchSeen
		for _, tp := range pr.Topics {
			for _, p := range tp.Partitions {
				hdr, _, _, err := records.ReadBatch(p.Records)
				if err != nil {
					continue
				}
				seen = append(seen, batchSeen{tp: samsa.TopicPartition{Topic: tp.Topic, Partition: p.Partition},
					records: int(hdr.NumRecords), bytes: len(p.Records), codec: int8(hdr.Codec())})
			}
		}
		s.mu.Lock()
		s.requests = append(s.requests, seen)
		s.mu.Unlock()
		return nil, nil, false
	})
	return s
}

func (s *produceSpy) batches() []batchSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []batchSeen
	for _, r := range s.requests {
		out = append(out, r...)
	}
	return out
}

// gate is a Hook that holds every Produce request until opened, as a
// stalled broker would. It opens by itself when the test ends.
type gate struct {
	open chan struct{}
	once sync.Once
	held atomic.Int32
}

func holdProduce(t *testing.T, cl *mockbroker.Cluster) *gate {
	t.Helper()
	g := &gate{open: make(chan struct{})}
	cl.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if req.Key() == 0 {
			g.held.Add(1)
			<-g.open
		}
		return nil, nil, false
	})
	t.Cleanup(g.release)
	return g
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// eventually waits for cond with a deadline, checking every few
// milliseconds.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, testTimeout, 2*time.Millisecond, msg)
}
