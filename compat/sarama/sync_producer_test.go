package saramacompat_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/mockbroker"
)

// sent is what a producer reported for one message.
type sent struct {
	Partition int32
	Offset    int64
	Err       string
}

// TestPartitionersPlaceLikeSarama sends the same keyed messages through
// sarama and saramacompat, each with every sarama partitioner, to topics
// of the same shape, and compares where each message went.
func TestPartitionersPlaceLikeSarama(t *testing.T) {
	keys := []string{"", "a", "foo", "bar", "baz", "kafka", "sarama", "user-42", "order:12345",
		"1468509572224", "SheetJS", "abc123def456", "hello world"}
	ctors := []struct {
		name string
		ctor sarama.PartitionerConstructor
	}{
		{"Hash", sarama.NewHashPartitioner},
		{"ReferenceHash", sarama.NewReferenceHashPartitioner},
		{"ConsistentCRC", sarama.NewConsistentCRCHashPartitioner},
		{"Murmur2", sarama.NewMurmur2Partitioner},
		{"RoundRobin", sarama.NewRoundRobinPartitioner},
		{"Manual", sarama.NewManualPartitioner},
		{"CustomAbsFirst", sarama.NewCustomPartitioner(sarama.WithAbsFirst())},
	}
	c := newCluster(t)
	for _, pc := range ctors {
		t.Run(pc.name, func(t *testing.T) {
			results := map[string][]sent{}
			for _, im := range impls {
				topic := fmt.Sprintf("place-%s-%s", pc.name, im.name)
				require.NoError(t, c.CreateTopic(topic, 7))
				cfg := testConfig()
				cfg.Producer.Partitioner = pc.ctor
				p := newSync(t, im, c, cfg)
				for i, k := range keys {
					msg := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(k),
						Value: sarama.StringEncoder("v"), Partition: int32(i % 7)}
					part, off, err := p.SendMessage(msg)
					require.NoError(t, err)
					assert.Equal(t, msg.Partition, part)
					assert.Equal(t, msg.Offset, off)
					results[im.name] = append(results[im.name], sent{Partition: part, Offset: off})
				}
				require.NoError(t, p.Close())
			}
			assert.Equal(t, results["sarama"], results["saramacompat"])
		})
	}
}

// TestRandomPartitionerSpreads checks that sarama's random partitioner,
// run by saramacompat, reaches every partition about equally, as it does
// in sarama.
func TestRandomPartitionerSpreads(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("random", 4))
	cfg := testConfig()
	cfg.Producer.Partitioner = sarama.NewRandomPartitioner
	p := newSync(t, compatImpl, c, cfg)
	const n = 800
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: "random", Key: sarama.StringEncoder("same key"), Value: sarama.StringEncoder("v")}
	}
	require.NoError(t, p.SendMessages(msgs))
	counts := map[int32]int{}
	for _, m := range msgs {
		counts[m.Partition]++
	}
	require.Len(t, counts, 4)
	for part, k := range counts {
		// Binomial(800, 1/4): mean 200, sd ~12; 120..280 is over 6 sd.
		assert.Greater(t, k, 120, "partition %d", part)
		assert.Less(t, k, 280, "partition %d", part)
	}
}

// TestSyncProducerFieldsLikeSarama sends messages with headers, metadata
// and timestamps through both implementations and compares what comes
// back and what the broker stored, field by field.
func TestSyncProducerFieldsLikeSarama(t *testing.T) {
	for _, logAppend := range []bool{false, true} {
		t.Run(fmt.Sprintf("logAppendTime=%v", logAppend), func(t *testing.T) {
			type observed struct {
				Returned []sent
				Stamps   []bool // whether Timestamp was filled in
				Stored   []mockbroker.Record
			}
			obs := map[string]observed{}
			fixed := time.UnixMilli(1_700_000_000_123)
			for _, im := range impls {
				topic := "fields-" + im.name
				opts := []mockbroker.Option{mockbroker.WithTopic(topic, 1)}
				if logAppend {
					opts = append(opts, mockbroker.WithLogAppendTime(topic))
				}
				c := newCluster(t, opts...)
				cfg := testConfig()
				cfg.Producer.RequiredAcks = sarama.WaitForAll
				p := newSync(t, im, c, cfg)
				var o observed
				for i := range 4 {
					msg := &sarama.ProducerMessage{
						Topic:    topic,
						Key:      sarama.StringEncoder(fmt.Sprintf("k%d", i)),
						Value:    sarama.ByteEncoder(fmt.Appendf(nil, "value %d", i)),
						Headers:  []sarama.RecordHeader{{Key: []byte("h"), Value: []byte{byte(i)}}, {Key: []byte("h"), Value: nil}},
						Metadata: i,
					}
					// Under LogAppendTime every message carries a create
					// time of its own, so that the broker's time differs
					// from it (see the package documentation).
					if logAppend || i%2 == 1 {
						msg.Timestamp = fixed
					}
					part, off, err := p.SendMessage(msg)
					require.NoError(t, err)
					assert.Equal(t, i, msg.Metadata, "metadata passes through")
					o.Returned = append(o.Returned, sent{Partition: part, Offset: off})
					switch {
					case logAppend:
						o.Stamps = append(o.Stamps, !msg.Timestamp.IsZero() && !msg.Timestamp.Equal(fixed))
					default:
						o.Stamps = append(o.Stamps, !msg.Timestamp.IsZero())
					}
				}
				require.NoError(t, p.Close())
				recs, err := c.Records(topic, 0)
				require.NoError(t, err)
				for i := range recs {
					recs[i].Timestamp = time.Time{} // differs between runs
					recs[i].ProducerID, recs[i].ProducerEpoch, recs[i].Sequence = 0, 0, 0
				}
				o.Stored = recs
				obs[im.name] = o
			}
			assert.Equal(t, obs["sarama"], obs["saramacompat"])
		})
	}
}

// TestSyncProducerErrorsLikeSarama compares the errors both
// implementations return for messages that cannot be produced.
func TestSyncProducerErrorsLikeSarama(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*sarama.Config)
		msg   func() *sarama.ProducerMessage
		check func(t *testing.T, err error)
	}{
		{
			name: "too large",
			cfg:  func(c *sarama.Config) { c.Producer.MaxMessageBytes = 100 },
			msg: func() *sarama.ProducerMessage {
				return &sarama.ProducerMessage{Topic: "errs", Value: sarama.ByteEncoder(make([]byte, 200))}
			},
			check: func(t *testing.T, err error) {
				var ce sarama.ConfigurationError
				require.ErrorAs(t, err, &ce)
				assert.Contains(t, err.Error(), "Producer.MaxMessageBytes")
			},
		},
		{
			name: "manual partition out of range",
			cfg:  func(c *sarama.Config) { c.Producer.Partitioner = sarama.NewManualPartitioner },
			msg: func() *sarama.ProducerMessage {
				return &sarama.ProducerMessage{Topic: "errs", Value: sarama.StringEncoder("v"), Partition: 9}
			},
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, sarama.ErrInvalidPartition) },
		},
		{
			name: "unknown topic without auto-creation",
			cfg:  func(c *sarama.Config) { c.Metadata.AllowAutoTopicCreation = false },
			msg: func() *sarama.ProducerMessage {
				return &sarama.ProducerMessage{Topic: "no-such-topic", Value: sarama.StringEncoder("v")}
			},
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, sarama.ErrUnknownTopicOrPartition) },
		},
		{
			name: "encoder failure",
			msg: func() *sarama.ProducerMessage {
				return &sarama.ProducerMessage{Topic: "errs", Key: failingEncoder{}, Value: sarama.StringEncoder("v")}
			},
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, errEncode) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, im := range impls {
				c := newCluster(t, mockbroker.WithTopic("errs", 3), mockbroker.WithAutoCreateTopics(false))
				cfg := testConfig()
				if tc.cfg != nil {
					tc.cfg(cfg)
				}
				p := newSync(t, im, c, cfg)
				part, off, err := p.SendMessage(tc.msg())
				require.Error(t, err, im.name)
				assert.Equal(t, int32(-1), part, im.name)
				assert.Equal(t, int64(-1), off, im.name)
				tc.check(t, err)
				require.NoError(t, p.Close())
			}
		})
	}
}

var errEncode = errors.New("encoder failed")

type failingEncoder struct{}

func (failingEncoder) Encode() ([]byte, error) { return nil, errEncode }
func (failingEncoder) Length() int             { return 3 }

// countingEncoder records the calls sarama's producer makes on an encoder.
type countingEncoder struct {
	b     []byte
	calls *[]string
}

func (e countingEncoder) Encode() ([]byte, error) {
	*e.calls = append(*e.calls, "Encode")
	return e.b, nil
}

func (e countingEncoder) Length() int {
	*e.calls = append(*e.calls, "Length")
	return len(e.b)
}

// TestEncoderCallsLikeSarama counts the Length and Encode calls each
// implementation makes on keys and values.
func TestEncoderCallsLikeSarama(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		t.Run(fmt.Sprintf("keyed=%v", keyed), func(t *testing.T) {
			counts := map[string]map[string]int{}
			for _, im := range impls {
				c := newCluster(t, mockbroker.WithTopic("enc", 3))
				p := newSync(t, im, c, testConfig())
				var keyCalls, valCalls []string
				msg := &sarama.ProducerMessage{Topic: "enc", Value: countingEncoder{[]byte("value"), &valCalls}}
				if keyed {
					msg.Key = countingEncoder{[]byte("key"), &keyCalls}
				}
				_, _, err := p.SendMessage(msg)
				require.NoError(t, err)
				require.NoError(t, p.Close())
				counts[im.name] = map[string]int{
					"key " + strings.Join(keyCalls, ","): 1,
					"value Length":                       countOf(valCalls, "Length"),
					"value Encode":                       countOf(valCalls, "Encode"),
					"key Length":                         countOf(keyCalls, "Length"),
					"key Encode":                         countOf(keyCalls, "Encode"),
				}
				delete(counts[im.name], "key "+strings.Join(keyCalls, ","))
			}
			assert.Equal(t, counts["sarama"], counts["saramacompat"])
		})
	}
}

func countOf(calls []string, what string) int {
	n := 0
	for _, c := range calls {
		if c == what {
			n++
		}
	}
	return n
}

// TestSyncProducerConfigChecks checks the SyncProducer's own config
// preconditions, which sarama checks before any I/O.
func TestSyncProducerConfigChecks(t *testing.T) {
	for _, im := range impls {
		cfg := sarama.NewConfig()
		_, err := im.syncProducer([]string{"127.0.0.1:1"}, cfg)
		var ce sarama.ConfigurationError
		require.ErrorAs(t, err, &ce, im.name)
		assert.Equal(t, "kafka: invalid configuration (Producer.Return.Successes must be true to be used in a SyncProducer)", err.Error())
	}
}

// TestSyncProducerAfterClose checks that a closed SyncProducer refuses
// messages with sarama.ErrShuttingDown instead of panicking.
func TestSyncProducerAfterClose(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("closed", 1))
	p := newSync(t, compatImpl, c, testConfig())
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "closed", Value: sarama.StringEncoder("v")})
	assert.ErrorIs(t, err, sarama.ErrShuttingDown)
	err = p.SendMessages([]*sarama.ProducerMessage{{Topic: "closed", Value: sarama.StringEncoder("v")}})
	var pe sarama.ProducerErrors
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe, 1)
	assert.ErrorIs(t, pe[0].Err, sarama.ErrShuttingDown)
}

// TestVersionCapsProducer checks that Config.Version caps the versions of
// the producer's requests, as sarama's does: Kafka 2.1 has Produce v7 and
// Metadata v7.
func TestVersionCapsProducer(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("ver", 1))
	var mu sync.Mutex
	seen := map[int16]int16{}
	c.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		seen[req.Key()] = max(seen[req.Key()], req.GetVersion())
		mu.Unlock()
		return nil, nil, false
	})
	cfg := testConfig()
	cfg.Version = sarama.V2_1_0_0
	p := newSync(t, compatImpl, c, cfg)
	_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "ver", Value: sarama.StringEncoder("v")})
	require.NoError(t, err)
	require.NoError(t, p.Close())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, int16(7), seen[0], "Produce")
	assert.LessOrEqual(t, seen[3], int16(7), "Metadata")
}
