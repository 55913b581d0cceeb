package mockbroker

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSaramaSmoke runs sarama's SyncProducer and Consumer against a
// three-broker cluster: an independent implementation of the protocol and
// of record batches (including its own compression) checks the broker's
// codec, not just kmsg's agreement with itself.
func TestSaramaSmoke(t *testing.T) {
	codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP, sarama.CompressionSnappy, sarama.CompressionLZ4, sarama.CompressionZSTD}
	c := NewTest(t, WithBrokers(3), WithTopic("smoke", 6))
	const perCodec = 40

	cfg := sarama.NewConfig()
	cfg.ClientID = "mockbroker-smoke"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Backoff = 10 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
	cfg.Consumer.Return.Errors = true

	want := map[string]sent{}
	for _, codec := range codecs {
		pcfg := *cfg
		pcfg.Producer.Compression = codec
		prod, err := sarama.NewSyncProducer(c.Addrs(), &pcfg)
		require.NoError(t, err)
		var batch []*sarama.ProducerMessage
		for i := 0; i < perCodec; i++ {
			key := fmt.Sprintf("%s-%d", codec, i)
			msg := &sarama.ProducerMessage{
				Topic:   "smoke",
				Key:     sarama.StringEncoder(key),
				Value:   sarama.StringEncoder("value of " + key),
				Headers: []sarama.RecordHeader{{Key: []byte("codec"), Value: []byte(codec.String())}},
			}
			if i%2 == 0 {
				p, o, err := prod.SendMessage(msg)
				require.NoError(t, err, "codec %s", codec)
				want[key] = sent{p, o}
			} else {
				batch = append(batch, msg)
			}
		}
		require.NoError(t, prod.SendMessages(batch), "codec %s", codec)
		for _, m := range batch {
			want[string(m.Key.(sarama.StringEncoder))] = sent{m.Partition, m.Offset}
		}
		require.NoError(t, prod.Close())
	}

	var total int64
	for p := int32(0); p < 6; p++ {
		hwm, err := c.HighWatermark("smoke", p)
		require.NoError(t, err)
		total += hwm
	}
	require.Equal(t, int64(len(want)), total)

	consumer, err := sarama.NewConsumer(c.Addrs(), cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, consumer.Close()) }()
	got := map[string]sent{}
	for p := int32(0); p < 6; p++ {
		hwm, err := c.HighWatermark("smoke", p)
		require.NoError(t, err)
		if hwm == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition("smoke", p, sarama.OffsetOldest)
		require.NoError(t, err)
		deadline := time.After(20 * time.Second)
		for countIn(got, p) < int(hwm) {
			select {
			case m := <-pc.Messages():
				key := string(m.Key)
				got[key] = sent{m.Partition, m.Offset}
				assert.Equal(t, "value of "+key, string(m.Value))
				require.Len(t, m.Headers, 1)
				assert.Equal(t, "codec", string(m.Headers[0].Key))
			case err := <-pc.Errors():
				t.Fatalf("partition %d: %v", p, err)
			case <-deadline:
				t.Fatalf("partition %d: timed out after %d messages", p, countIn(got, p))
			}
		}
		require.NoError(t, pc.Close())
	}
	assert.Equal(t, want, got)
}

type sent struct {
	partition int32
	offset    int64
}

func countIn(m map[string]sent, p int32) int {
	n := 0
	for _, s := range m {
		if s.partition == p {
			n++
		}
	}
	return n
}
