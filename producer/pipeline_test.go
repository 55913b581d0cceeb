package producer_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcrowley/go-metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/partitioner"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

func TestEveryCodecReadsBack(t *testing.T) {
	cl := mockbroker.NewTest(t)
	for _, tc := range []struct {
		codec producer.Codec
		level int
	}{
		{producer.CompressionNone, 0},
		{producer.CompressionGzip, 0},
		{producer.CompressionGzip, 9},
		{producer.CompressionSnappy, 0},
		{producer.CompressionLZ4, 0},
		{producer.CompressionLZ4, 9},
		{producer.CompressionZstd, 0},
		{producer.CompressionZstd, -5},
	} {
		t.Run(fmt.Sprintf("%v-%d", tc.codec, tc.level), func(t *testing.T) {
			topic := fmt.Sprintf("codec-%v-%d", tc.codec, tc.level+10)
			require.NoError(t, cl.CreateTopic(topic, 1))
			spy := spyProduce(t, cl)
			p := newStringProducer(t, cl, producer.WithCompression(tc.codec, tc.level), producer.WithLinger(time.Hour))
			ctx := testCtx(t)
			const n = 200
			for i := range n {
				rec := &producer.Record[string, string]{Topic: topic, Key: fmt.Sprint("key-", i),
					Value:   fmt.Sprintf("value %d %s", i, strings.Repeat("compressible ", 10)),
					Headers: []samsa.Header{{Key: "i", Value: []byte(fmt.Sprint(i))}}}
				require.NoError(t, p.Send(ctx, rec, nil))
			}
			require.NoError(t, p.Flush(ctx))
			recs, err := cl.Records(topic, 0)
			require.NoError(t, err)
			require.Len(t, recs, n)
			for i, r := range recs {
				assert.Equal(t, fmt.Sprint("key-", i), string(r.Key))
				assert.Equal(t, fmt.Sprintf("value %d %s", i, strings.Repeat("compressible ", 10)), string(r.Value))
				assert.Equal(t, []samsa.Header{{Key: "i", Value: []byte(fmt.Sprint(i))}}, r.Headers)
			}
			for _, b := range spy.batches() {
				if b.tp.Topic == topic {
					assert.Equal(t, int8(tc.codec), b.codec, "batch codec")
				}
			}
		})
	}
}

func TestCloseDeliversRecordsInFlight(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 4))
	require.NoError(t, cl.SetLatency(0, 50*time.Millisecond))
	require.NoError(t, cl.SetLatency(1, 50*time.Millisecond))
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(cl.Addrs()...), producer.WithLinger(20*time.Millisecond))
	require.NoError(t, err)
	ctx := testCtx(t)
	col := newCollector()
	const n = 2000
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprintf("r%d", i)}, col.cb))
	}
	require.NoError(t, p.Close(ctx))
	got := col.snapshot()
	require.Len(t, got, n, "Close returned before every callback ran")
	for _, o := range got {
		require.NoError(t, o.err)
	}
	assertStoredOnce(t, cl, "t", 4, "r", n, false)
}

func TestCloseWithExpiredCtxFailsWhatIsLeft(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(cl.Addrs()...), producer.WithLinger(0))
	require.NoError(t, err)
	g := holdProduce(t, cl)
	ctx := testCtx(t)
	col := newCollector()
	const n = 50
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(i)}, col.cb))
	}
	eventually(t, func() bool { return g.held.Load() > 0 }, "a produce request reaches the stalled broker")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = p.Close(cctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	got := col.snapshot()
	require.Len(t, got, n, "every callback runs, even for records a forced close failed")
	for _, o := range got {
		assert.ErrorIs(t, o.err, samsa.ErrClosed)
	}
	assert.Equal(t, err, p.Close(ctx), "a later Close reports the same outcome")
	g.release()
}

func TestInterceptorsAndCallbackOrder(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	var mu sync.Mutex
	var events []string
	log := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
	}
	mk := func(name string) producer.ProducerInterceptor[string, string] {
		return producer.ProducerInterceptorFuncs[string, string]{
			Send: func(r *producer.Record[string, string]) (*producer.Record[string, string], error) {
				log(name + ".send")
				out := *r
				out.Value += "+" + name
				return &out, nil
			},
			Acknowledgement: func(md producer.RecordMetadata, err error) {
				log(fmt.Sprintf("%s.ack(%d,%v)", name, md.Offset, err != nil))
			},
		}
	}
	broken := producer.ProducerInterceptorFuncs[string, string]{
		Send: func(*producer.Record[string, string]) (*producer.Record[string, string], error) {
			panic("interceptor bug")
		},
	}
	p := newStringProducer(t, cl, producer.WithInterceptors(mk("a"), broken, mk("b")))
	ctx := testCtx(t)
	done := make(chan struct{})
	require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: "v"}, func(md producer.RecordMetadata, err error) {
		log(fmt.Sprintf("callback(%d,%v)", md.Offset, err != nil))
		close(done)
	}))
	<-done
	// An error after OnSend is acknowledged to the interceptors too, and
	// never reaches a callback.
	err := p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: strings.Repeat("x", 2<<20)}, func(producer.RecordMetadata, error) {
		t.Error("callback of a rejected record")
	})
	require.ErrorIs(t, err, samsa.ErrRecordTooLarge)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"a.send", "b.send", "a.ack(0,false)", "b.ack(0,false)", "callback(0,false)",
		"a.send", "b.send", "a.ack(-1,true)", "b.ack(-1,true)"}, events)
	assert.Equal(t, []string{"v+a+b"}, recordValues(t, cl, "t", 0))
}

// TestPartitionerPlacement checks, through the whole producer, that keyed
// records land where each client family would put them, using the
// reference vectors (100 partitions).
func TestPartitionerPlacement(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("p100", 100))
	keys := []string{"foo", "bar", "baz", "kafka", "sarama", "user-42", "order:12345", "hello world"}
	def, err := partitioner.Default(16384)
	require.NoError(t, err)
	tests := []struct {
		name string
		part partitioner.Partitioner
		want []int32
	}{
		{"default (murmur2)", def, []int32{16, 45, 80, 80, 11, 60, 16, 59}},
		{"murmur2", partitioner.Murmur2(), []int32{16, 45, 80, 80, 11, 60, 16, 59}},
		{"sarama hash", partitioner.SaramaHash(), []int32{73, 2, 50, 45, 66, 99, 90, 89}},
		{"sarama reference hash", partitioner.SaramaReferenceHash(), []int32{75, 2, 50, 45, 66, 99, 58, 59}},
		{"crc32", partitioner.CRC32(), []int32{69, 78, 92, 99, 21, 35, 64, 57}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newStringProducer(t, cl, producer.WithPartitioner(tc.part), producer.WithLinger(0))
			ctx := testCtx(t)
			for i, k := range keys {
				md, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "p100", Key: k, Value: tc.name})
				require.NoError(t, err)
				assert.Equal(t, tc.want[i], md.Partition, "key %q", k)
				recs, err := cl.Records("p100", md.Partition)
				require.NoError(t, err)
				require.Greater(t, len(recs), int(md.Offset))
				assert.Equal(t, k, string(recs[md.Offset].Key))
			}
		})
	}
	t.Run("explicit partition wins", func(t *testing.T) {
		p := newStringProducer(t, cl, producer.WithPartitioner(partitioner.Manual()))
		md, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "p100", Key: "foo", Value: "v", Partition: producer.ToPartition(42)})
		require.NoError(t, err)
		assert.Equal(t, int32(42), md.Partition)
		_, err = p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "p100", Key: "foo", Value: "v"})
		assert.ErrorIs(t, err, partitioner.ErrInvalidPartition, "Manual without an explicit partition")
	})
}

func TestMetrics(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("m", 2))
	reg := metrics.NewRegistry()
	p := newStringProducer(t, cl, producer.WithMetricsRegistry(reg), producer.WithCompression(producer.CompressionGzip, 0))
	const n = 500
	got := sendAll(t, p, "m", producer.AnyPartition, strings.Repeat("z", 100), n)
	for _, o := range got {
		require.NoError(t, o.err)
	}
	meter := func(name string) int64 {
		m, ok := reg.Get(name).(metrics.Meter)
		require.True(t, ok, "meter %s", name)
		return m.Snapshot().Count()
	}
	hist := func(name string) metrics.Histogram {
		h, ok := reg.Get(name).(metrics.Histogram)
		require.True(t, ok, "histogram %s", name)
		return h.Snapshot()
	}
	assert.Equal(t, int64(n), meter("record-send-rate"))
	assert.Equal(t, int64(n), meter("record-send-rate-for-topic-m"))
	assert.Zero(t, meter("record-error-rate"))
	requests := meter("request-rate")
	assert.Positive(t, requests)
	assert.Equal(t, requests, meter("response-rate"))
	assert.Equal(t, requests, meter("request-rate-for-broker-0"))
	assert.Positive(t, meter("outgoing-byte-rate"))
	assert.Positive(t, hist("batch-size").Count())
	assert.Equal(t, requests, hist("records-per-request").Count())
	assert.Equal(t, int64(n), hist("records-per-request").Sum())
	assert.Less(t, hist("compression-ratio").Mean(), 100.0, "gzip shrinks repetitive records")
	assert.Equal(t, requests, hist("request-latency-in-ms").Count())
	assert.Zero(t, reg.Get("requests-in-flight").(metrics.Counter).Snapshot().Count())

	require.NoError(t, p.Close(testCtx(t)))
	assert.Nil(t, reg.Get("record-send-rate"), "Close unregisters the producer's metrics")
}

// TestPartitionerPlacementUnkeyed checks the built-ins whose placement does
// not depend on the key's hash.
func TestPartitionerPlacementUnkeyed(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("p3", 3))
	sticky, err := partitioner.UniformSticky(1 << 20)
	require.NoError(t, err)
	tests := []struct {
		name  string
		part  partitioner.Partitioner
		check func(t *testing.T, parts []int32)
	}{
		{"round robin", partitioner.RoundRobin(), func(t *testing.T, parts []int32) {
			assert.Equal(t, []int32{0, 1, 2, 0, 1, 2, 0, 1, 2}, parts)
		}},
		{"sarama round robin", partitioner.SaramaRoundRobin(), func(t *testing.T, parts []int32) {
			assert.Equal(t, []int32{0, 1, 2, 0, 1, 2, 0, 1, 2}, parts)
		}},
		{"uniform sticky ignores keys", sticky, func(t *testing.T, parts []int32) {
			for _, p := range parts {
				assert.Equal(t, parts[0], p, "a 1 MiB sticky batch takes every record")
			}
		}},
		{"sarama random", partitioner.SaramaRandom(), func(t *testing.T, parts []int32) {
			for _, p := range parts {
				assert.True(t, p >= 0 && p < 3)
			}
		}},
		{"crc32 random, keyed", partitioner.CRC32Random(), func(t *testing.T, parts []int32) {
			// Non-empty keys place as CRC32 does: crc32("k0".."k8") % 3.
			crc := partitioner.CRC32()
			for i, p := range parts {
				assert.Equal(t, crc.Partition("p3", []byte(fmt.Sprint("k", i)), nil, partitioner.Partitions{Count: 3}), p)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newStringProducer(t, cl, producer.WithPartitioner(tc.part), producer.WithLinger(time.Hour))
			ctx := testCtx(t)
			parts := make([]int32, 9) // by send order; callbacks run in partition order
			for i := range parts {
				require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "p3", Key: fmt.Sprint("k", i), Value: "v"},
					func(md producer.RecordMetadata, err error) {
						assert.NoError(t, err)
						parts[i] = md.Partition
					}))
			}
			require.NoError(t, p.Flush(ctx)) // every callback has run when Flush returns
			tc.check(t, parts)
		})
	}
}

// TestCloseRacesSends closes the producer while goroutines are sending:
// every Send either fails with ErrClosed (its callback never runs) or is
// accepted, and then its callback runs exactly once, with success.
func TestCloseRacesSends(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 4))
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(cl.Addrs()...), producer.WithLinger(time.Millisecond))
	require.NoError(t, err)
	ctx := testCtx(t)
	_, err = p.SendSync(ctx, &producer.Record[string, string]{Topic: "t", Value: "warm-up"})
	require.NoError(t, err)

	const senders = 4
	var accepted, called [senders]atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; ; i++ {
				err := p.Send(ctx, &producer.Record[string, string]{Topic: "t", Value: fmt.Sprint(g, "-", i)},
					func(_ producer.RecordMetadata, err error) {
						assert.NoError(t, err)
						called[g].Add(1)
					})
				if err != nil {
					assert.ErrorIs(t, err, samsa.ErrClosed)
					return
				}
				accepted[g].Add(1)
			}
		}()
	}
	close(start)
	eventually(t, func() bool { return accepted[0].Load() > 100 }, "sends under way")
	require.NoError(t, p.Close(ctx))
	wg.Wait()
	total := 0
	for g := range senders {
		assert.Equal(t, accepted[g].Load(), called[g].Load(), "sender %d: accepted records and callbacks", g)
		total += int(accepted[g].Load())
	}
	stored := 0
	for part := range int32(4) {
		stored += len(recordValues(t, cl, "t", part))
	}
	assert.Equal(t, total+1, stored, "every accepted record is stored once")
}
