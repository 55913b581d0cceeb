package saramacompat_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
)

// asyncRun is what an AsyncProducer scenario observed.
type asyncRun struct {
	Successes map[string]sent // by value
	Errors    map[string]string
	CloseErr  string
	PerPart   map[int32][]int64 // offsets in the order Successes delivered them
}

// runAsync sends msgs with one implementation, reads Successes and Errors
// until Close, and reports what came back.
func runAsync(t *testing.T, im impl, c *mockbroker.Cluster, cfg *sarama.Config, msgs []*sarama.ProducerMessage) asyncRun {
	t.Helper()
	p, err := im.asyncProducer(c.Addrs(), cfg)
	require.NoError(t, err, im.name)
	run := asyncRun{Successes: map[string]sent{}, Errors: map[string]string{}, PerPart: map[int32][]int64{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	if cfg.Producer.Return.Successes {
		wg.Go(func() {
			for m := range p.Successes() {
				v, _ := m.Value.Encode()
				mu.Lock()
				run.Successes[string(v)] = sent{Partition: m.Partition, Offset: m.Offset}
				run.PerPart[m.Partition] = append(run.PerPart[m.Partition], m.Offset)
				mu.Unlock()
			}
		})
	}
	for _, m := range msgs {
		p.Input() <- m
	}
	if cfg.Producer.Return.Successes {
		waitFor(t, "every message returned", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(run.Successes) == len(msgs)
		})
	}
	if err := p.Close(); err != nil {
		run.CloseErr = err.Error()
		var pe sarama.ProducerErrors
		require.ErrorAs(t, err, &pe)
		for _, e := range pe {
			v, _ := e.Msg.Value.Encode()
			run.Errors[string(v)] = e.Err.Error()
		}
	}
	wg.Wait()
	return run
}

// TestAsyncProducerLikeSarama sends keyed messages through both
// AsyncProducers and compares partitions, offsets and the order in which
// Successes returned them.
func TestAsyncProducerLikeSarama(t *testing.T) {
	runs := map[string]asyncRun{}
	for _, im := range impls {
		c := newCluster(t, mockbroker.WithTopic("async", 5))
		cfg := testConfig()
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Net.MaxOpenRequests = 1 // ordered offsets within a partition in both
		var msgs []*sarama.ProducerMessage
		for i := range 300 {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "async",
				Key: sarama.StringEncoder(fmt.Sprintf("key-%d", i%17)), Value: sarama.StringEncoder(fmt.Sprintf("v%03d", i))})
		}
		run := runAsync(t, im, c, cfg, msgs)
		// Offsets within a partition come back in ascending order.
		for part, offs := range run.PerPart {
			assert.True(t, sort.SliceIsSorted(offs, func(i, j int) bool { return offs[i] < offs[j] }), "%s partition %d", im.name, part)
			run.PerPart[part] = nil
		}
		// Partitions match key by key; offsets depend on batching, so
		// compare the set of offsets per partition instead.
		runs[im.name] = run
	}
	perPartition := func(r asyncRun) map[int32][]int64 {
		out := map[int32][]int64{}
		for _, s := range r.Successes {
			out[s.Partition] = append(out[s.Partition], s.Offset)
		}
		for p := range out {
			sort.Slice(out[p], func(i, j int) bool { return out[p][i] < out[p][j] })
		}
		return out
	}
	assert.Equal(t, perPartition(runs["sarama"]), perPartition(runs["saramacompat"]))
	for v, s := range runs["sarama"].Successes {
		assert.Equal(t, s.Partition, runs["saramacompat"].Successes[v].Partition, v)
	}
}

// TestAsyncProducerCloseReturnsErrors checks that Close collects the
// failures as sarama.ProducerErrors, in both implementations alike.
func TestAsyncProducerCloseReturnsErrors(t *testing.T) {
	runs := map[string]asyncRun{}
	for _, im := range impls {
		c := newCluster(t, mockbroker.WithTopic("closeerr", 2))
		cfg := testConfig()
		cfg.Producer.Return.Successes = false
		cfg.Producer.MaxMessageBytes = 200
		msgs := []*sarama.ProducerMessage{
			{Topic: "closeerr", Value: sarama.StringEncoder("small")},
			// The failure blocks the dispatcher on the unbuffered Errors
			// channel until Close reads it, so it is the last message.
			{Topic: "closeerr", Value: sarama.ByteEncoder(make([]byte, 300))},
		}
		runs[im.name] = runAsync(t, im, c, cfg, msgs)
	}
	assert.Equal(t, runs["sarama"], runs["saramacompat"])
	assert.Equal(t, "kafka: Failed to deliver 1 messages.", runs["saramacompat"].CloseErr)
}

// TestAsyncProducerShuttingDown checks that once AsyncClose's shutdown has
// passed the dispatcher, messages fail with sarama.ErrShuttingDown on
// Errors, while every message accepted before is delivered. As in
// sarama, AsyncClose hands its shutdown marker to the dispatcher from a
// goroutine, so a message sent right after AsyncClose may still be
// accepted.
func TestAsyncProducerShuttingDown(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("shut", 1))
	cfg := testConfig()
	p, err := compatImpl.asyncProducer(c.Addrs(), cfg)
	require.NoError(t, err)
	p.Input() <- &sarama.ProducerMessage{Topic: "shut", Value: sarama.StringEncoder("before")}
	p.AsyncClose()
	var delivered []string
	refused := 0
	sending := true
	successes, errs := p.Successes(), p.Errors()
	for successes != nil || errs != nil {
		var in chan<- *sarama.ProducerMessage
		if sending {
			in = p.Input()
		}
		select {
		case in <- &sarama.ProducerMessage{Topic: "shut", Value: sarama.StringEncoder("after")}:
		case m, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			v, _ := m.Value.Encode()
			delivered = append(delivered, string(v))
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			require.ErrorIs(t, e.Err, sarama.ErrShuttingDown)
			refused++
			sending = false // Input closes once the shutdown completes
		}
	}
	assert.Equal(t, 1, refused)
	require.NotEmpty(t, delivered)
	assert.Equal(t, "before", delivered[0])
	recs, err := c.Records("shut", 0)
	require.NoError(t, err)
	assert.Len(t, recs, len(delivered), "every message accepted was delivered")
}

// TestAsyncProducerNilMessageIgnored checks that a nil message is skipped,
// as sarama skips it.
func TestAsyncProducerNilMessageIgnored(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("nil", 1))
	p, err := compatImpl.asyncProducer(c.Addrs(), testConfig())
	require.NoError(t, err)
	p.Input() <- nil
	p.Input() <- &sarama.ProducerMessage{Topic: "nil", Value: sarama.StringEncoder("v")}
	m := <-p.Successes()
	assert.Equal(t, int64(0), m.Offset)
	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "Close is idempotent")
}

// TestTransactionsRefused checks the transactional methods of a producer
// without a transactional id, which sarama answers the same way.
func TestTransactionsRefused(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("txn", 1))
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			p, err := im.asyncProducer(c.Addrs(), testConfig())
			require.NoError(t, err)
			defer func() { require.NoError(t, p.Close()) }()
			assert.False(t, p.IsTransactional())
			assert.Equal(t, sarama.ProducerTxnFlagUninitialized, p.TxnStatus())
			assert.ErrorIs(t, p.BeginTxn(), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.CommitTxn(), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.AbortTxn(), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.AddOffsetsToTxn(nil, "g"), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.AddMessageToTxn(&sarama.ConsumerMessage{}, "g", nil), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.AddOffsetsToTxnWithGroupMetadata(nil, sarama.NewConsumerGroupMetadata("g")), sarama.ErrNonTransactedProducer)
			assert.ErrorIs(t, p.AddMessageToTxnWithGroupMetadata(&sarama.ConsumerMessage{}, sarama.NewConsumerGroupMetadata("g"), nil), sarama.ErrNonTransactedProducer)
		})
	}
}

// TestProducerInterceptors checks that producer interceptors see every
// message before it is sized and partitioned, and that a panicking one
// does not stop the message.
func TestProducerInterceptors(t *testing.T) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			c := newCluster(t, mockbroker.WithTopic("icpt", 3))
			cfg := testConfig()
			cfg.Producer.Interceptors = []sarama.ProducerInterceptor{panicInterceptor{}, keyInterceptor{}}
			p := newSync(t, im, c, cfg)
			msg := &sarama.ProducerMessage{Topic: "icpt", Value: sarama.StringEncoder("v")}
			part, _, err := p.SendMessage(msg)
			require.NoError(t, err)
			// keyInterceptor sets key "foo", which sarama's hash places on 2 of 3.
			want, _ := sarama.NewHashPartitioner("icpt").Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder("foo")}, 3)
			assert.Equal(t, want, part)
		})
	}
}

type panicInterceptor struct{}

func (panicInterceptor) OnSend(*sarama.ProducerMessage) { panic("interceptor panic") }

type keyInterceptor struct{}

func (keyInterceptor) OnSend(m *sarama.ProducerMessage) { m.Key = sarama.StringEncoder("foo") }

// TestIdempotentProducer produces with Producer.Idempotent through both
// implementations: the broker sees producer ids and sequences, and
// TxnStatus reports Ready as sarama's does.
func TestIdempotentProducer(t *testing.T) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			c := newCluster(t, mockbroker.WithTopic("idem", 2))
			cfg := testConfig()
			cfg.Producer.Idempotent = true
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			cfg.Net.MaxOpenRequests = 1
			p := newSync(t, im, c, cfg)
			for i := range 10 {
				_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "idem", Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder("v")})
				require.NoError(t, err)
			}
			assert.Equal(t, sarama.ProducerTxnFlagReady, p.TxnStatus())
			require.NoError(t, p.Close())
			for part := int32(0); part < 2; part++ {
				recs, err := c.Records("idem", part)
				require.NoError(t, err)
				for i, r := range recs {
					assert.GreaterOrEqual(t, r.ProducerID, int64(0))
					assert.Equal(t, int32(i), r.Sequence, "partition %d", part)
				}
			}
		})
	}
}

// TestAsyncProducerOffsetAndTimestamp checks what a success writes into
// the message, against sarama: the offset (left alone under NoResponse),
// and the timestamp only when the topic uses LogAppendTime.
func TestAsyncProducerOffsetAndTimestamp(t *testing.T) {
	created := time.UnixMilli(1_600_000_000_000)
	for _, tc := range []struct {
		name      string
		acks      sarama.RequiredAcks
		logAppend bool
	}{
		{"WaitForAll", sarama.WaitForAll, false},
		{"NoResponse", sarama.NoResponse, false},
		{"LogAppendTime", sarama.WaitForLocal, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string][2]any{}
			for _, im := range impls {
				opts := []mockbroker.Option{mockbroker.WithTopic("ts", 1)}
				if tc.logAppend {
					opts = append(opts, mockbroker.WithLogAppendTime("ts"))
				}
				c := newCluster(t, opts...)
				cfg := testConfig()
				cfg.Producer.RequiredAcks = tc.acks
				p, err := im.asyncProducer(c.Addrs(), cfg)
				require.NoError(t, err)
				for i := range 3 {
					p.Input() <- &sarama.ProducerMessage{Topic: "ts", Value: sarama.StringEncoder("v"),
						Offset: 42, Timestamp: created.Add(time.Duration(i) * time.Millisecond)}
				}
				var last *sarama.ProducerMessage
				for range 3 {
					last = <-p.Successes()
				}
				require.NoError(t, p.Close())
				got[im.name] = [2]any{last.Offset, last.Timestamp.Equal(created.Add(2 * time.Millisecond))}
			}
			assert.Equal(t, got["sarama"], got["saramacompat"])
			switch {
			case tc.acks == sarama.NoResponse:
				assert.Equal(t, int64(42), got["saramacompat"][0], "no offset without a response")
			case tc.logAppend:
				assert.Equal(t, false, got["saramacompat"][1], "the log append time replaces the create time")
			default:
				assert.Equal(t, [2]any{int64(2), true}, got["saramacompat"])
			}
		})
	}
}
