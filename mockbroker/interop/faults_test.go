package interop_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
)

// sendCounter is a sarama producer interceptor counting how often messages
// pass sarama's dispatcher: once per send plus once per non-idempotent
// retry, which re-enters the dispatcher.
type sendCounter struct{ n atomic.Int64 }

func (s *sendCounter) OnSend(*sarama.ProducerMessage) { s.n.Add(1) }

// valueCounts counts how often each value occurs among stored records.
func valueCounts(stored map[tp]rec) map[string]int {
	counts := make(map[string]int, len(stored))
	for _, r := range stored {
		counts[r.Value.S]++
	}
	return counts
}

// TestSaramaNotLeaderBurst proves that the mock broker's injected
// NOT_LEADER_OR_FOLLOWER errors are what sarama expects from a real
// broker: retriable, and returned before anything is appended. While a
// SyncProducer (retries on, short backoff) sends messages from several
// goroutines, the next Produce requests fail — every partition of them
// (request-wide), or only one partition (OnPartition). Every send must
// succeed, sarama's interceptor must have seen the retries, and the
// cluster must hold each message exactly once, at the offset SendMessage
// returned: a failed request took no effect, so even sarama's
// non-idempotent retries cannot duplicate anything. A sarama Consumer reads
// them all back.
func TestSaramaNotLeaderBurst(t *testing.T) {
	const (
		topic      = "burst"
		partitions = 6
		messages   = 300
	)
	cases := []struct {
		name    string
		inject  func(c *mockbroker.Cluster)
		retries int64 // the least number of retries the faults must cause
	}{
		{"request-wide", func(c *mockbroker.Cluster) {
			c.InjectError(int16(kmsg.Produce), kerr.NotLeaderOrFollower, 12)
		}, 12},
		{"one partition", func(c *mockbroker.Cluster) {
			c.InjectError(int16(kmsg.Produce), kerr.NotLeaderOrFollower, 5, mockbroker.OnPartition(topic, 2))
		}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions))
			cfg := saramaConfig(sarama.MaxVersion, sarama.CompressionSnappy)
			cfg.Producer.Retry.Max = 20
			counter := &sendCounter{}
			cfg.Producer.Interceptors = []sarama.ProducerInterceptor{counter}
			cfg.Producer.Partitioner = sarama.NewRoundRobinPartitioner // every partition, the faulty one included

			producer, err := sarama.NewSyncProducer(c.Addrs(), cfg)
			require.NoError(t, err)
			defer func() { assert.NoError(t, producer.Close()) }()
			tc.inject(c)
			msgs := make([]*sarama.ProducerMessage, messages)
			for i := range msgs {
				msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(fmt.Sprintf("burst-%04d", i))}
			}
			sendAll(t, producer, msgs, 6)

			retries := counter.n.Load() - messages
			t.Logf("%d messages, %d retries", messages, retries)
			assert.GreaterOrEqual(t, retries, tc.retries, "sarama must have retried the failed sends")
			stored := clusterRecords(t, c, topic, partitions)
			assert.Len(t, stored, messages, "no message lost, none duplicated")
			for v, n := range valueCounts(stored) {
				assert.Equal(t, 1, n, "value %s stored %d times", v, n)
			}
			for i, m := range msgs {
				assert.Equal(t, fromProducer(t, m).Value, stored[tp{m.Partition, m.Offset}].Value, "message %d", i)
			}
			consumed := consumeAll(t, c.Addrs(), cfg, topic, highWatermarks(t, c, topic, partitions))
			assert.Equal(t, stored, consumed)
		})
	}
}

// TestSaramaLeaderMovesAndBrokerRestart proves that a sarama producer
// follows the mock cluster through leadership changes without losing a
// message. Eight goroutines send continuously while the test moves the
// leader of every partition, then stops a broker (its partitions fail over
// with bumped epochs), then restarts it (leadership returns). Each step
// happens only after the producer has made fresh progress since the last
// one, so every fault hits a running producer and the producer must
// recover from each. Every send must succeed, and every message must be in
// the cluster at the partition and offset SendMessage returned, and be read
// back by a sarama Consumer. A message may be stored twice — a request the
// stopped broker completed but could not answer is retried — and the test
// reports how many were.
func TestSaramaLeaderMovesAndBrokerRestart(t *testing.T) {
	t.Parallel()
	const (
		topic      = "moves"
		partitions = 6
		workers    = 8
		stride     = 60 // sends between two faults
	)
	c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions))
	cfg := saramaConfig(sarama.MaxVersion, sarama.CompressionLZ4)
	cfg.Producer.Retry.Max = 50
	producer, err := sarama.NewSyncProducer(c.Addrs(), cfg)
	require.NoError(t, err)

	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		progress atomic.Int64
		mu       sync.Mutex
		sent     []*sarama.ProducerMessage
		errs     []error
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("w%d", w)), Value: sarama.StringEncoder(fmt.Sprintf("w%d-%05d", w, i))}
				_, _, err := producer.SendMessage(m)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", m.Value, err))
				} else {
					sent = append(sent, m)
				}
				mu.Unlock()
				progress.Add(1)
			}
		})
	}
	stopped := false
	stopSenders := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	// Stop the senders and the producer however the test ends, so that a
	// failed step cannot leave goroutines behind.
	defer func() {
		stopSenders()
		assert.NoError(t, producer.Close())
	}()
	advance := func(step string) {
		target := progress.Load() + stride
		waitFor(t, fmt.Sprintf("%s: %d more sends", step, stride), func() bool { return progress.Load() >= target })
	}

	advance("warm-up")
	for p := range int32(partitions) {
		leader, err := c.Leader(topic, p)
		require.NoError(t, err)
		require.NoError(t, c.MoveLeader(topic, p, (leader+1)%3))
	}
	advance("after moving every leader")
	require.NoError(t, c.StopBroker(1))
	advance("with broker 1 stopped")
	for p := range int32(partitions) {
		leader, err := c.Leader(topic, p)
		require.NoError(t, err)
		assert.NotEqual(t, int32(1), leader, "partition %d still led by the stopped broker", p)
	}
	require.NoError(t, c.RestartBroker(1))
	advance("after restarting broker 1")
	stopSenders()

	require.Empty(t, errs, "sends that failed")
	stored := clusterRecords(t, c, topic, partitions)
	for _, m := range sent {
		got, ok := stored[tp{m.Partition, m.Offset}]
		if assert.True(t, ok, "%s: SendMessage returned %d/%d, which the cluster does not hold", m.Value, m.Partition, m.Offset) {
			assert.Equal(t, fromProducer(t, m).Value, got.Value, "at %d/%d", m.Partition, m.Offset)
		}
	}
	counts := valueCounts(stored)
	assert.Len(t, counts, len(sent), "every message sent is stored, nothing else is")
	dups := 0
	for _, n := range counts {
		dups += n - 1
	}
	t.Logf("%d messages sent through a leader move, a broker stop and a restart; %d stored twice by retries", len(sent), dups)

	consumed := consumeAll(t, c.Addrs(), cfg, topic, highWatermarks(t, c, topic, partitions))
	assert.Equal(t, stored, consumed)
}

// TestSaramaDuplicateAfterDroppedResponse proves that DropResponse
// produces the "unsure if produced" case the way a real broker failure
// would, and documents what a client without idempotence does about it.
// The broker appends the batch but closes the connection instead of
// answering; sarama cannot know the batch was stored, retries it on a new
// connection, and the broker appends it again. The cluster therefore holds
// the message twice and SendMessage reports the offset of the second copy.
// That is Kafka's at-least-once delivery without idempotence — the
// expected behaviour, not a mock broker bug; an idempotent producer's
// sequence numbers are what let a broker drop the second copy.
func TestSaramaDuplicateAfterDroppedResponse(t *testing.T) {
	t.Parallel()
	const topic = "unsure"
	c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, 1))
	cfg := saramaConfig(sarama.MaxVersion, sarama.CompressionNone)
	cfg.Producer.Retry.Max = 3
	producer, err := sarama.NewSyncProducer(c.Addrs(), cfg)
	require.NoError(t, err)
	defer func() { assert.NoError(t, producer.Close()) }()

	send := func(v string) int64 {
		_, off, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(v)})
		require.NoError(t, err, "send %s", v)
		return off
	}
	assert.Equal(t, int64(0), send("before"))
	produces := c.Requests(int16(kmsg.Produce))
	c.DropResponse(int16(kmsg.Produce), 1)
	assert.Equal(t, int64(2), send("unsure"), "SendMessage reports the retried copy")
	assert.Equal(t, produces+2, c.Requests(int16(kmsg.Produce)), "one request answered by a dropped connection, one retry")
	assert.Equal(t, int64(3), send("after"))

	want := []string{"before", "unsure", "unsure", "after"}
	recs, err := c.Records(topic, 0)
	require.NoError(t, err)
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Value))
	}
	assert.Equal(t, want, got, "the cluster holds the unsure message twice")

	consumed := consumeAll(t, c.Addrs(), cfg, topic, map[int32]int64{0: 4})
	got = got[:0]
	for o := range int64(4) {
		got = append(got, consumed[tp{0, o}].Value.S)
	}
	assert.Equal(t, want, got, "and so does what a consumer reads")
}
