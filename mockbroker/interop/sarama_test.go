package interop_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/mockbroker"
)

// saramaCodec pairs a sarama compression setting with the codec id it must
// put on the wire.
type saramaCodec struct {
	name  string
	codec sarama.CompressionCodec
	wire  int
}

var saramaCodecs = []saramaCodec{
	{"none", sarama.CompressionNone, codecNone},
	{"gzip", sarama.CompressionGZIP, codecGzip},
	{"snappy", sarama.CompressionSnappy, codecSnappy},
	{"lz4", sarama.CompressionLZ4, codecLz4},
	{"zstd", sarama.CompressionZSTD, codecZstd},
}

// saramaMessages builds n keyed messages for topic whose contents exercise
// the corners of the record format: values of varied, compressible length
// and an occasional null value (a tombstone); an occasional empty key, which
// must stay empty and not become null; headers with binary, empty and null
// values, and messages without headers; distinct create timestamps with
// millisecond precision. tag makes the contents of different runs differ.
func saramaMessages(topic, tag string, n int) []*sarama.ProducerMessage {
	base := time.Now().Truncate(time.Millisecond).Add(-time.Hour)
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range n {
		m := &sarama.ProducerMessage{
			Topic:     topic,
			Key:       sarama.StringEncoder(fmt.Sprintf("key-%s-%04d", tag, i)),
			Value:     sarama.StringEncoder(fmt.Sprintf("value %d of %s: %s", i, tag, strings.Repeat("samsa ", i%50))),
			Timestamp: base.Add(time.Duration(i) * time.Millisecond),
		}
		if i%13 == 5 {
			m.Key = sarama.ByteEncoder([]byte{})
		}
		if i%37 == 3 {
			m.Value = nil
		}
		if i%11 != 0 {
			m.Headers = []sarama.RecordHeader{
				{Key: []byte("idx"), Value: fmt.Appendf(nil, "%d", i)},
				{Key: []byte("run"), Value: []byte(tag)},
				{Key: []byte("bin"), Value: []byte{0, 0xff, byte(i), '|', '\n'}},
			}
			if i%5 == 0 {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte("empty"), Value: []byte{}})
			}
			if i%7 == 0 {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte("null"), Value: nil})
			}
		}
		msgs[i] = m
	}
	return msgs
}

// TestSaramaRoundTrip proves that records sarama produces reach the mock
// cluster intact and come back intact, for every compression codec and
// for three protocol generations. A sarama SyncProducer (acks from all
// in-sync replicas, random partitioner, successes returned, eight
// concurrent callers so that requests carry multi-record batches) sends
// keyed messages with headers into a six-partition topic on a three-broker
// cluster; a sarama Consumer lists the partitions and reads each from the
// oldest offset. Every record must be where SendMessage said it is, with
// key, value, headers (null and empty kept apart) and timestamp equal in
// the producer's, the consumer's and the cluster's (Cluster.Records) view,
// each partition's offsets must run contiguously from 0, and every
// partition must have received records. A hook checks that the batches
// really carried the codec under test and that sarama spoke the Produce
// and Fetch versions expected for its configured Kafka version, so the
// test cannot pass by silently falling back to something older.
func TestSaramaRoundTrip(t *testing.T) {
	generations := []struct {
		name     string
		version  sarama.KafkaVersion
		produceV int16
		fetchV   int16
		noZstd   bool
	}{
		// The newest Kafka version sarama knows. Every request it
		// sends at this version lies inside the ranges the mock
		// broker advertises (Produce v3-11, Fetch v4-16, ...).
		{name: "max-" + sarama.MaxVersion.String(), version: sarama.MaxVersion, produceV: 10, fetchV: 12},
		{name: "default-" + sarama.DefaultVersion.String(), version: sarama.DefaultVersion, produceV: 9, fetchV: 12},
		// The oldest version with record batches (magic 2), the only
		// format the mock broker accepts; zstd needs 2.1.
		{name: "oldest-" + sarama.V0_11_0_0.String(), version: sarama.V0_11_0_0, produceV: 3, fetchV: 5, noZstd: true},
	}
	const (
		partitions = 6
		messages   = 240
	)
	for _, g := range generations {
		for _, codec := range saramaCodecs {
			if g.noZstd && codec.codec == sarama.CompressionZSTD {
				continue
			}
			t.Run(g.name+"/"+codec.name, func(t *testing.T) {
				t.Parallel()
				const topic = "interop"
				c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions))
				versions := logVersions(c)
				codecs := logBatchCodecs(c)
				addrs := c.Addrs()
				cfg := saramaConfig(g.version, codec.codec)

				producer, err := sarama.NewSyncProducer(addrs, cfg)
				require.NoError(t, err)
				msgs := saramaMessages(topic, g.name+"-"+codec.name, messages)
				sendAll(t, producer, msgs, 8)
				require.NoError(t, producer.Close())

				stored := clusterRecords(t, c, topic, partitions)
				require.Len(t, stored, messages, "the cluster must hold exactly the records sent")
				hw := highWatermarks(t, c, topic, partitions)
				for p, h := range hw {
					assert.Positive(t, h, "partition %d received no records; the random partitioner should reach every partition", p)
				}
				consumed := consumeAll(t, addrs, cfg, topic, hw)
				require.Len(t, consumed, messages)
				for i, m := range msgs {
					want := fromProducer(t, m)
					at := tp{m.Partition, m.Offset}
					require.Equal(t, want, stored[at], "message %d: stored record differs from the one sent", i)
					require.Equal(t, want, consumed[at], "message %d: consumed record differs from the one sent", i)
				}

				assert.Equal(t, []int{codec.wire}, codecs.codecs(), "codec ids of the produced batches")
				assert.Less(t, codecs.batches(), messages, "concurrent sends should have been batched")
				assert.Equal(t, []int16{g.produceV}, versions.versions(kmsg.Produce), "Produce versions sarama used")
				assert.Equal(t, []int16{g.fetchV}, versions.versions(kmsg.Fetch), "Fetch versions sarama used")
			})
		}
	}
}
