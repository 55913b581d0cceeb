package saramacompat_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
)

// consumed is one message as a consumer delivered it.
type consumed struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
	Headers   string
	Timestamp time.Time
}

// classicUsage is the sarama program most services contain, written once
// against sarama's interfaces: a SyncProducer with WaitForAll, the random
// partitioner and Return.Successes sends messages, then a Consumer lists
// the topic's partitions and reads each from OffsetOldest. Only the
// constructors differ between runs.
func classicUsage(t *testing.T, addrs []string, topic string,
	newProducer func([]string, *sarama.Config) (sarama.SyncProducer, error),
	newConsumer func([]string, *sarama.Config) (sarama.Consumer, error)) (produced map[string]consumed, got []consumed) {
	t.Helper()
	config := sarama.NewConfig()
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Partitioner = sarama.NewRandomPartitioner
	config.Producer.Return.Successes = true
	config.Consumer.Return.Errors = true
	stamp := time.UnixMilli(1_700_000_000_000)

	producer, err := newProducer(addrs, config)
	require.NoError(t, err)
	produced = map[string]consumed{}
	for i := range 60 {
		msg := &sarama.ProducerMessage{
			Topic:     topic,
			Key:       sarama.StringEncoder(fmt.Sprintf("key-%d", i)),
			Value:     sarama.StringEncoder(fmt.Sprintf("value-%d", i)),
			Headers:   []sarama.RecordHeader{{Key: []byte("i"), Value: []byte(fmt.Sprint(i))}},
			Timestamp: stamp.Add(time.Duration(i) * time.Millisecond),
		}
		partition, offset, err := producer.SendMessage(msg)
		require.NoError(t, err)
		produced[fmt.Sprintf("value-%d", i)] = consumed{Partition: partition, Offset: offset}
	}
	require.NoError(t, producer.Close())

	consumer, err := newConsumer(addrs, config)
	require.NoError(t, err)
	defer func() { require.NoError(t, consumer.Close()) }()
	partitions, err := consumer.Partitions(topic)
	require.NoError(t, err)
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		require.NoError(t, err)
		want := pc.HighWaterMarkOffset()
		for int64(len(messagesOf(got, p))) < want {
			select {
			case m := <-pc.Messages():
				got = append(got, toConsumed(m))
			case err := <-pc.Errors():
				t.Fatalf("partition %d: %v", p, err)
			case <-time.After(20 * time.Second):
				t.Fatalf("partition %d: timed out after %d messages", p, len(messagesOf(got, p)))
			}
		}
		require.NoError(t, pc.Close())
	}
	return produced, got
}

// toConsumed flattens a message for comparison.
func toConsumed(m *sarama.ConsumerMessage) consumed {
	var hs string
	for _, h := range m.Headers {
		hs += string(h.Key) + "=" + string(h.Value) + ";"
	}
	return consumed{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key),
		Value: string(m.Value), Headers: hs, Timestamp: m.Timestamp.UTC()}
}

func messagesOf(ms []consumed, p int32) []consumed {
	var out []consumed
	for _, m := range ms {
		if m.Partition == p {
			out = append(out, m)
		}
	}
	return out
}

// TestClassicUsage runs the classic program with sarama's constructors and
// with saramacompat's, each producing to and consuming from its own topic,
// and with each implementation reading what the other wrote.
func TestClassicUsage(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("classic-sarama", 4), mockbroker.WithTopic("classic-saramacompat", 4))
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			produced, got := classicUsage(t, c.Addrs(), "classic-"+im.name, im.syncProducer, im.consumer)
			require.Len(t, got, len(produced))
			for _, m := range got {
				p := produced[m.Value]
				assert.Equal(t, p.Partition, m.Partition, m.Value)
				assert.Equal(t, p.Offset, m.Offset, m.Value)
				var i int
				_, err := fmt.Sscanf(m.Value, "value-%d", &i)
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("key-%d", i), m.Key)
				assert.Equal(t, fmt.Sprintf("i=%d;", i), m.Headers)
				assert.True(t, time.UnixMilli(1_700_000_000_000+int64(i)).Equal(m.Timestamp), "%s: %v", m.Value, m.Timestamp)
			}
		})
	}
	t.Run("cross", func(t *testing.T) {
		// Read each implementation's topic with the other consumer: the
		// messages, offsets, headers and timestamps agree.
		read := func(newConsumer func([]string, *sarama.Config) (sarama.Consumer, error), topic string) []consumed {
			cfg := testConfig()
			cons, err := newConsumer(c.Addrs(), cfg)
			require.NoError(t, err)
			defer func() { require.NoError(t, cons.Close()) }()
			var out []consumed
			for p := int32(0); p < 4; p++ {
				pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
				require.NoError(t, err)
				for int64(len(messagesOf(out, p))) < pc.HighWaterMarkOffset() {
					out = append(out, toConsumed(<-pc.Messages()))
				}
				require.NoError(t, pc.Close())
			}
			sort.Slice(out, func(i, j int) bool {
				return out[i].Partition < out[j].Partition || out[i].Partition == out[j].Partition && out[i].Offset < out[j].Offset
			})
			return out
		}
		for _, topic := range []string{"classic-sarama", "classic-saramacompat"} {
			assert.Equal(t, read(sarama.NewConsumer, topic), read(compatImpl.consumer, topic), topic)
		}
	})
}

// produceN writes n messages "m<i>" to one partition with a SyncProducer
// of saramacompat.
func produceN(t *testing.T, c *mockbroker.Cluster, topic string, partition int32, from, n int) {
	t.Helper()
	cfg := testConfig()
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p := newSync(t, compatImpl, c, cfg)
	for i := from; i < from+n; i++ {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: partition, Value: sarama.StringEncoder(fmt.Sprintf("m%d", i))})
		require.NoError(t, err)
	}
	require.NoError(t, p.Close())
}

// TestConsumePartitionLikeSarama compares ConsumePartition's answers for
// the offsets it accepts and refuses.
func TestConsumePartitionLikeSarama(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("cp", 2), mockbroker.WithAutoCreateTopics(false))
	produceN(t, c, "cp", 0, 0, 5)
	cases := []struct {
		name      string
		topic     string
		partition int32
		offset    int64
		first     string // first message read, "" for an error
	}{
		{"oldest", "cp", 0, sarama.OffsetOldest, "m0"},
		{"absolute", "cp", 0, 3, "m3"},
		{"at the end", "cp", 0, 5, ""},
		{"beyond the end", "cp", 0, 6, ""},
		{"unknown partition", "cp", 7, sarama.OffsetOldest, ""},
		{"unknown topic", "nope", 0, sarama.OffsetOldest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]string{}
			for _, im := range impls {
				cfg := testConfig()
				cfg.Metadata.Retry.Max = 1
				cons, err := im.consumer(c.Addrs(), cfg)
				require.NoError(t, err)
				pc, err := cons.ConsumePartition(tc.topic, tc.partition, tc.offset)
				switch {
				case err != nil:
					results[im.name] = "error: " + err.Error()
				case tc.first == "":
					results[im.name] = fmt.Sprintf("ok, hwm %d", pc.HighWaterMarkOffset())
					require.NoError(t, pc.Close())
				default:
					m := <-pc.Messages()
					results[im.name] = string(m.Value)
					require.NoError(t, pc.Close())
				}
				require.NoError(t, cons.Close())
			}
			assert.Equal(t, results["sarama"], results["saramacompat"])
			if tc.first != "" {
				assert.Equal(t, tc.first, results["saramacompat"])
			}
		})
	}
	t.Run("twice", func(t *testing.T) {
		for _, im := range impls {
			cons, err := im.consumer(c.Addrs(), testConfig())
			require.NoError(t, err)
			pc, err := cons.ConsumePartition("cp", 1, sarama.OffsetNewest)
			require.NoError(t, err)
			_, err = cons.ConsumePartition("cp", 1, sarama.OffsetNewest)
			var ce sarama.ConfigurationError
			assert.ErrorAs(t, err, &ce, im.name)
			require.NoError(t, pc.Close())
			require.NoError(t, cons.Close())
		}
	})
}

// TestConsumeNewestThenProduce starts at OffsetNewest and sees exactly
// what is produced afterwards; HighWaterMarks follows.
func TestConsumeNewestThenProduce(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("newest", 1))
	produceN(t, c, "newest", 0, 0, 3)
	cons, err := compatImpl.consumer(c.Addrs(), testConfig())
	require.NoError(t, err)
	defer func() { require.NoError(t, cons.Close()) }()
	pc, err := cons.ConsumePartition("newest", 0, sarama.OffsetNewest)
	require.NoError(t, err)
	assert.Equal(t, int64(3), pc.HighWaterMarkOffset())
	produceN(t, c, "newest", 0, 3, 2)
	for _, want := range []string{"m3", "m4"} {
		m := <-pc.Messages()
		assert.Equal(t, want, string(m.Value))
	}
	waitFor(t, "high watermark 5", func() bool { return cons.HighWaterMarks()["newest"][0] == 5 })
	require.NoError(t, pc.Close())
}

// TestSlowPartitionDoesNotBlockOthers leaves one partition's Messages
// unread: the other partition is still delivered, and the unread one is
// delivered in full once read.
func TestSlowPartitionDoesNotBlockOthers(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("slow", 2))
	produceN(t, c, "slow", 0, 0, 40)
	produceN(t, c, "slow", 1, 0, 40)
	cfg := testConfig()
	cfg.ChannelBufferSize = 4
	cons, err := compatImpl.consumer(c.Addrs(), cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, cons.Close()) }()
	slow, err := cons.ConsumePartition("slow", 0, sarama.OffsetOldest)
	require.NoError(t, err)
	fast, err := cons.ConsumePartition("slow", 1, sarama.OffsetOldest)
	require.NoError(t, err)
	for i := range 40 {
		m := <-fast.Messages()
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Value))
	}
	for i := range 40 {
		m := <-slow.Messages()
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Value))
	}
}

// TestPartitionConsumerPause checks that a paused partition delivers
// nothing new until resumed.
func TestPartitionConsumerPause(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("pause", 1))
	cons, err := compatImpl.consumer(c.Addrs(), testConfig())
	require.NoError(t, err)
	defer func() { require.NoError(t, cons.Close()) }()
	pc, err := cons.ConsumePartition("pause", 0, sarama.OffsetOldest)
	require.NoError(t, err)
	cons.PauseAll()
	assert.True(t, pc.IsPaused())
	produceN(t, c, "pause", 0, 0, 3)
	select {
	case m := <-pc.Messages():
		t.Fatalf("paused partition delivered %s", m.Value)
	case <-time.After(300 * time.Millisecond): // several fetch rounds
	}
	cons.ResumeAll()
	assert.False(t, pc.IsPaused())
	for i := range 3 {
		m := <-pc.Messages()
		assert.Equal(t, fmt.Sprintf("m%d", i), string(m.Value))
	}
}

// TestConsumerInterceptors checks that consumer interceptors see each
// message before the application, and that a panicking one is skipped.
func TestConsumerInterceptors(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("cic", 1))
	produceN(t, c, "cic", 0, 0, 2)
	cfg := testConfig()
	cfg.Consumer.Interceptors = []sarama.ConsumerInterceptor{panicConsumerInterceptor{}, tagInterceptor{}}
	for _, im := range impls {
		cons, err := im.consumer(c.Addrs(), cfg)
		require.NoError(t, err)
		pc, err := cons.ConsumePartition("cic", 0, sarama.OffsetOldest)
		require.NoError(t, err)
		m := <-pc.Messages()
		assert.Equal(t, "m0+seen", string(m.Value), im.name)
		require.NoError(t, pc.Close())
		require.NoError(t, cons.Close())
	}
}

type panicConsumerInterceptor struct{}

func (panicConsumerInterceptor) OnConsume(*sarama.ConsumerMessage) { panic("interceptor panic") }

type tagInterceptor struct{}

func (tagInterceptor) OnConsume(m *sarama.ConsumerMessage) {
	m.Value = append(append([]byte(nil), m.Value...), "+seen"...)
}

// TestConsumerTopics compares Topics and Partitions with sarama's.
func TestConsumerTopics(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("t-a", 3), mockbroker.WithTopic("t-b", 1))
	out := map[string]string{}
	for _, im := range impls {
		cons, err := im.consumer(c.Addrs(), testConfig())
		require.NoError(t, err)
		topics, err := cons.Topics()
		require.NoError(t, err)
		sort.Strings(topics)
		ps, err := cons.Partitions("t-a")
		require.NoError(t, err)
		out[im.name] = fmt.Sprint(topics, ps)
		require.NoError(t, cons.Close())
	}
	assert.Equal(t, out["sarama"], out["saramacompat"])
}
