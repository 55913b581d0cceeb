package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

// testTimeout bounds every wait of a test on a condition.
const testTimeout = 20 * time.Second

// testProducer is a minimal producer for tests, independent of samsa's own:
// records.Builder encodes one batch per call, kmsg frames the Produce.
type testProducer struct {
	t     testing.TB
	mb    *mockbroker.Cluster
	mu    sync.Mutex
	conns map[string]*wire.Conn
}

func newProducer(t testing.TB, mb *mockbroker.Cluster) *testProducer {
	p := &testProducer{t: t, mb: mb, conns: make(map[string]*wire.Conn)}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

// rec is a record to produce.
type rec struct {
	key, value string
	headers    []samsa.Header
}

// produce appends records to a partition as one batch and returns the
// offset of the first.
func (p *testProducer) produce(topic string, partition int32, recs ...rec) int64 {
	p.t.Helper()
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(nil, ts)
	for _, r := range recs {
		var k []byte
		if r.key != "" {
			k = []byte(r.key)
		}
		b.Append(ts, k, []byte(r.value), r.headers)
	}
	batch, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(p.t, err)
	return p.produceBatch(topic, partition, batch)
}

// produceValues produces values (no keys) to a partition, in one batch.
func (p *testProducer) produceValues(topic string, partition int32, values ...string) int64 {
	p.t.Helper()
	recs := make([]rec, len(values))
	for i, v := range values {
		recs[i] = rec{value: v}
	}
	return p.produce(topic, partition, recs...)
}

// produceBatch sends an encoded batch to the partition's leader.
func (p *testProducer) produceBatch(topic string, partition int32, batch []byte) int64 {
	p.t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		leader, err := p.mb.Leader(topic, partition)
		require.NoError(p.t, err)
		addr, err := p.mb.Addr(leader)
		require.NoError(p.t, err)
		conn := p.conn(addr)
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = -1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = partition, batch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := conn.Do(ctx, cappedProduce{req})
		cancel()
		if err == nil {
			pr := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
			if pr.ErrorCode == 0 {
				return pr.BaseOffset
			}
			err = kerr.ForCode(pr.ErrorCode)
		}
		require.True(p.t, time.Now().Before(deadline), "produce to %s-%d: %v", topic, partition, err)
		p.mu.Lock()
		delete(p.conns, addr)
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // retry backoff of the helper producer, not a wait for a condition
	}
}

// cappedProduce keeps Produce at v11, which names topics (v13 uses ids).
type cappedProduce struct{ *kmsg.ProduceRequest }

func (cappedProduce) MaxVersion() int16 { return 11 }

func (p *testProducer) conn(addr string) *wire.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.conns[addr]; c != nil && c.Err() == nil {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, addr, wire.Options{ClientID: "test-producer"})
	require.NoError(p.t, err)
	p.conns[addr] = c
	return c
}

// newStringConsumer creates a consumer of string keys and values with
// short timeouts for tests, closed when the test ends.
func newStringConsumer(t testing.TB, mb *mockbroker.Cluster, opts ...consumer.Option) *consumer.Consumer[string, string] {
	t.Helper()
	base := []consumer.Option{
		consumer.WithBrokers(mb.Addrs()...),
		consumer.WithFetchMaxWait(100 * time.Millisecond),
		consumer.WithRetryBackoff(20*time.Millisecond, 200*time.Millisecond),
		consumer.WithRequestTimeout(5 * time.Second),
		consumer.WithDefaultAPITimeout(10 * time.Second),
	}
	c, err := consumer.New(serde.String(), serde.String(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// pollN polls until n records arrived (or fails the test at the deadline)
// and returns them.
func pollN[K, V any](t testing.TB, c *consumer.Consumer[K, V], n int) []consumer.Record[K, V] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out []consumer.Record[K, V]
	for len(out) < n {
		recs, err := c.Poll(ctx)
		require.NoError(t, err, "after %d of %d records", len(out), n)
		out = append(out, recs...)
	}
	return out
}

// pollNothing polls for d and requires that no records arrive.
func pollNothing[K, V any](t testing.TB, c *consumer.Consumer[K, V], d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		recs, err := c.Poll(ctx)
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			return
		}
		require.Empty(t, recs, "no records expected, got %d (first %s@%d)", len(recs), recs[0].TopicPartition(), recs[0].Offset)
	}
}

// pollUntil polls (dropping records) until cond holds, failing the test at
// the deadline.
func pollUntil[K, V any](t testing.TB, c *consumer.Consumer[K, V], cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out polling until: %s", msg)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := c.Poll(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			require.NoError(t, err)
		}
	}
}

// values returns the values of records.
func values[K any](recs []consumer.Record[K, string]) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Value
	}
	return out
}

// seq returns "prefix0", "prefix1", ... "prefix<n-1>".
func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// eventually waits for cond with a deadline, polling it.
func eventually(t testing.TB, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: "+msg, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tp(topic string, p int32) samsa.TopicPartition {
	return samsa.TopicPartition{Topic: topic, Partition: p}
}

// produceTxn appends values as one transactional batch of a producer id,
// leaving its transaction open (the mock has no transaction coordinator).
func (p *testProducer) produceTxn(topic string, partition int32, pid int64, seq int32, values ...string) int64 {
	p.t.Helper()
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(nil, ts)
	for _, v := range values {
		b.Append(ts, nil, []byte(v), nil)
	}
	o := records.NewFinishOptions(records.CodecNone, 0)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, 0, seq, true
	batch, err := b.Finish(o)
	require.NoError(p.t, err)
	return p.produceBatch(topic, partition, batch)
}
