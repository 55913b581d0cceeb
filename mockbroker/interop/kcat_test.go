package interop_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
)

// kcatCodecs are the values of kcat's -z flag, with the codec id each must
// put on the wire.
var kcatCodecs = []struct {
	name string
	wire int
}{
	{"none", codecNone},
	{"gzip", codecGzip},
	{"snappy", codecSnappy},
	{"lz4", codecLz4},
	{"zstd", codecZstd},
}

// kcatInput builds n lines for kcat -P -K: and the key and value each
// carries. Keys are unique; values are compressible text of varied length,
// and every 97th is empty (kcat must produce an empty value, not a null
// one). Nothing contains '|', ':' or a newline, so both kcat's input and
// its -f output parse without ambiguity.
func kcatInput(tag string, n int) (stdin []byte, keys, values []string) {
	var b strings.Builder
	for i := range n {
		k := fmt.Sprintf("key-%s-%04d", tag, i)
		v := fmt.Sprintf("%s value %04d %s", tag, i, strings.Repeat("librdkafka ", i%30))
		if i%97 == 13 {
			v = ""
		}
		keys, values = append(keys, k), append(values, v)
		b.WriteString(k + ":" + v + "\n")
	}
	return []byte(b.String()), keys, values
}

// kcatHeaderArgs are the headers every record of a kcat -P run carries,
// and how kcat -C prints them (%h).
func kcatHeaderArgs(tag string) (args []string, printed string, hdrs []header) {
	args = []string{"-H", "run=" + tag, "-H", "src=kcat", "-H", "empty="}
	hdrs = []header{{"run", nullable{S: tag}}, {"src", nullable{S: "kcat"}}, {"empty", nullable{}}}
	return args, "run=" + tag + ",src=kcat,empty=", hdrs
}

// TestKcatRoundTrip proves that librdkafka, through kcat, produces to and
// consumes from the mock cluster with every compression codec. kcat -P
// sends 1000 keyed lines with three headers (one with an empty value)
// into a five-partition topic on a three-broker cluster; the cluster must
// store exactly those records, with the codec under test on the wire.
// kcat -C then reads every partition from the beginning to its end, and
// what it prints must be the same records as a multiset, each at the
// partition and offset the cluster stores it at, with every partition's
// offsets contiguous from 0 up to its high watermark.
func TestKcatRoundTrip(t *testing.T) {
	kcatBinary(t)
	const (
		topic      = "kcat-interop"
		partitions = 5
		messages   = 1000
	)
	for _, codec := range kcatCodecs {
		t.Run(codec.name, func(t *testing.T) {
			t.Parallel()
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions))
			codecs := logBatchCodecs(c)
			brokers := strings.Join(c.Addrs(), ",")

			stdin, keys, values := kcatInput(codec.name, messages)
			hargs, hprinted, hdrs := kcatHeaderArgs(codec.name)
			args := append([]string{"-P", "-b", brokers, "-t", topic, "-K:", "-z", codec.name}, hargs...)
			runKcat(t, stdin, args...)

			// The cluster holds exactly the lines sent.
			stored := clusterRecords(t, c, topic, partitions)
			require.Len(t, stored, messages)
			want := make(map[string]string, messages) // key -> value
			for i, k := range keys {
				want[k] = values[i]
			}
			for at, r := range stored {
				require.False(t, r.Key.Null || r.Value.Null, "%v: kcat sent a null key or value", at)
				v, ok := want[r.Key.S]
				require.True(t, ok, "%v: unexpected key %s", at, r.Key)
				assert.Equal(t, v, r.Value.S, "key %s", r.Key.S)
				assert.Equal(t, hdrs, r.Headers, "key %s", r.Key.S)
			}
			// Whether librdkafka really compressed is
			// TestKcatCompression's business; here no batch may
			// carry a codec other than the one asked for.
			for _, got := range codecs.codecs() {
				assert.Contains(t, []int{codecNone, codec.wire}, got, "codec ids of the batches kcat produced")
			}
			hw := highWatermarks(t, c, topic, partitions)
			for p, h := range hw {
				assert.Positive(t, h, "partition %d got no records from librdkafka's partitioner", p)
			}

			out := runKcat(t, nil, append(kcatConsumerArgs(brokers, topic), "-f", kcatFormat)...)
			lines := parseKcatLines(t, out)
			require.Len(t, lines, messages)

			// The same records as a multiset...
			wantSet := make(map[string]int, messages)
			for i, k := range keys {
				wantSet[k+"|"+values[i]+"|"+hprinted]++
			}
			gotSet := make(map[string]int, messages)
			offsets := make(map[int32][]int64)
			for _, l := range lines {
				gotSet[l.Key+"|"+l.Value+"|"+l.Headers]++
				assert.Equal(t, len(l.Key), l.KeyLen, "key %s: kcat reports a null or different key", l.Key)
				assert.Equal(t, len(l.Value), l.ValueLen, "key %s: kcat reports a null or different value", l.Key)
				offsets[l.Partition] = append(offsets[l.Partition], l.Offset)
				// ...each where the cluster stores it...
				s, ok := stored[tp{l.Partition, l.Offset}]
				if assert.True(t, ok, "kcat printed %d/%d, which the cluster does not hold", l.Partition, l.Offset) {
					assert.Equal(t, s.Key.S, l.Key, "%d/%d", l.Partition, l.Offset)
				}
			}
			assert.Equal(t, wantSet, gotSet)
			// ...and every partition read contiguously from 0 to its end.
			for p := range int32(partitions) {
				got := offsets[p]
				slices.Sort(got)
				wantOffs := make([]int64, hw[p])
				for i := range wantOffs {
					wantOffs[i] = int64(i)
				}
				assert.Equal(t, wantOffs, got, "partition %d offsets", p)
			}
		})
	}
}

// TestKcatMetadata proves that librdkafka reads the mock cluster's
// metadata as the cluster means it. kcat -L lists brokers (ids and
// addresses), the controller, topics, partitions, leaders, replicas and
// in-sync replicas; each must match the cluster's own view (Addr, Leader,
// the topics it was created with) and, for replica lists, what sarama's
// independent decoder reads from the same cluster. The check is repeated
// after a leader move and with a broker stopped (it must vanish from the
// broker list and the in-sync replicas, and lead nothing), and after it
// restarts.
func TestKcatMetadata(t *testing.T) {
	kcatBinary(t)
	topics := map[string]int32{"alpha": 6, "beta": 1, "gamma": 3}
	opts := []mockbroker.Option{mockbroker.WithBrokers(3)}
	for name, n := range topics {
		opts = append(opts, mockbroker.WithTopic(name, n))
	}
	c := mockbroker.NewTest(t, opts...)
	client, err := sarama.NewClient(c.Addrs(), saramaConfig(sarama.MaxVersion, sarama.CompressionNone))
	require.NoError(t, err)
	defer func() { assert.NoError(t, client.Close()) }()

	check := func(t *testing.T, running []int32) {
		brokers := strings.Join(c.Addrs(), ",")
		var md kcatMetadata
		require.NoError(t, json.Unmarshal(runKcat(t, nil, "-L", "-J", "-b", brokers), &md))

		var gotBrokers []string
		for _, b := range md.Brokers {
			gotBrokers = append(gotBrokers, fmt.Sprintf("%d@%s", b.ID, b.Name))
		}
		var wantBrokers []string
		for _, id := range running {
			addr, err := c.Addr(id)
			require.NoError(t, err)
			wantBrokers = append(wantBrokers, fmt.Sprintf("%d@%s", id, addr))
		}
		slices.Sort(gotBrokers)
		assert.Equal(t, wantBrokers, gotBrokers, "brokers")
		assert.Equal(t, running[0], md.ControllerID, "the controller is the running broker with the lowest id")

		require.NoError(t, client.RefreshMetadata())
		var gotTopics []string
		for _, mt := range md.Topics {
			gotTopics = append(gotTopics, mt.Topic)
			assert.Empty(t, mt.Error, "topic %s", mt.Topic)
			n, ok := topics[mt.Topic]
			if !assert.True(t, ok, "kcat lists a topic the cluster was not given: %s", mt.Topic) {
				continue
			}
			require.Len(t, mt.Partitions, int(n), "topic %s", mt.Topic)
			for i, mp := range mt.Partitions {
				assert.Equal(t, int32(i), mp.Partition)
				assert.Empty(t, mp.Error, "%s/%d", mt.Topic, i)
				leader, err := c.Leader(mt.Topic, mp.Partition)
				require.NoError(t, err)
				assert.Equal(t, leader, mp.Leader, "%s/%d leader", mt.Topic, i)
				assert.Contains(t, running, mp.Leader, "%s/%d is led by a stopped broker", mt.Topic, i)

				var replicas, isrs []int32
				for _, r := range mp.Replicas {
					replicas = append(replicas, r.ID)
				}
				for _, r := range mp.ISRs {
					isrs = append(isrs, r.ID)
				}
				assert.Len(t, replicas, 3, "%s/%d: three brokers, so three replicas", mt.Topic, i)
				assert.Contains(t, isrs, mp.Leader, "%s/%d: the leader is in sync", mt.Topic, i)
				for _, id := range isrs {
					assert.Contains(t, replicas, id, "%s/%d: an in-sync replica must be a replica", mt.Topic, i)
					assert.Contains(t, running, id, "%s/%d: a stopped broker cannot be in sync", mt.Topic, i)
				}
				assert.Len(t, isrs, len(running), "%s/%d: every running replica is in sync (replication is instant)", mt.Topic, i)

				sr, err := client.Replicas(mt.Topic, mp.Partition)
				require.NoError(t, err)
				assert.Equal(t, sr, replicas, "%s/%d: replicas as sarama reads them", mt.Topic, i)
				si, err := client.InSyncReplicas(mt.Topic, mp.Partition)
				require.NoError(t, err)
				assert.Equal(t, si, isrs, "%s/%d: in-sync replicas as sarama reads them", mt.Topic, i)
				sl, err := client.Leader(mt.Topic, mp.Partition)
				require.NoError(t, err)
				assert.Equal(t, mp.Leader, sl.ID(), "%s/%d: leader as sarama reads it", mt.Topic, i)
			}
		}
		slices.Sort(gotTopics)
		assert.Equal(t, []string{"alpha", "beta", "gamma"}, gotTopics)
	}

	t.Run("initial", func(t *testing.T) { check(t, []int32{0, 1, 2}) })
	t.Run("leader moved", func(t *testing.T) {
		before, err := c.Leader("alpha", 0)
		require.NoError(t, err)
		to := (before + 1) % 3
		require.NoError(t, c.MoveLeader("alpha", 0, to))
		check(t, []int32{0, 1, 2})
	})
	t.Run("broker stopped", func(t *testing.T) {
		require.NoError(t, c.StopBroker(1))
		check(t, []int32{0, 2})
	})
	t.Run("broker restarted", func(t *testing.T) {
		require.NoError(t, c.RestartBroker(1))
		check(t, []int32{0, 1, 2})
	})
}

// TestKcatSaramaCrossCodec proves that the two independent clients read
// each other's records through the mock cluster, so neither depends on a
// quirk the mock shares with it. With each codec: records sarama produces
// (null values, empty keys, null and empty header values, explicit
// timestamps) are read by kcat -C -J exactly as sent, at the offsets
// SendMessage returned; and lines kcat -P produces are read by a sarama
// Consumer with their keys, values and headers, at the offsets the cluster
// stores them at.
func TestKcatSaramaCrossCodec(t *testing.T) {
	kcatBinary(t)
	const (
		partitions = 3
		messages   = 150
	)
	for i, codec := range kcatCodecs {
		sc := saramaCodecs[i]
		require.Equal(t, codec.wire, sc.wire)
		t.Run(codec.name, func(t *testing.T) {
			t.Parallel()
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3),
				mockbroker.WithTopic("from-sarama", partitions), mockbroker.WithTopic("from-kcat", partitions))
			codecs := logBatchCodecs(c)
			brokers := strings.Join(c.Addrs(), ",")
			cfg := saramaConfig(sarama.MaxVersion, sc.codec)

			t.Run("sarama to kcat", func(t *testing.T) {
				msgs := saramaMessages("from-sarama", codec.name, messages)
				for _, m := range msgs {
					// kcat's JSON output cannot carry bytes that are
					// not UTF-8; the round-trip tests cover them.
					m.Headers = slices.DeleteFunc(m.Headers, func(h sarama.RecordHeader) bool { return string(h.Key) == "bin" })
				}
				producer, err := sarama.NewSyncProducer(c.Addrs(), cfg)
				require.NoError(t, err)
				sendAll(t, producer, msgs, 4)
				require.NoError(t, producer.Close())

				out := runKcat(t, nil, append(kcatConsumerArgs(brokers, "from-sarama"), "-J")...)
				got := make(map[tp]rec)
				for _, r := range parseKcatJSON(t, out) {
					assert.Equal(t, "create", r.TsType)
					kr := r.rec(t)
					got[tp{kr.Partition, kr.Offset}] = kr
				}
				require.Len(t, got, messages)
				for i, m := range msgs {
					assert.Equal(t, fromProducer(t, m), got[tp{m.Partition, m.Offset}], "message %d", i)
				}
			})

			t.Run("kcat to sarama", func(t *testing.T) {
				stdin, keys, values := kcatInput(codec.name, messages)
				hargs, _, hdrs := kcatHeaderArgs(codec.name)
				runKcat(t, stdin, append([]string{"-P", "-b", brokers, "-t", "from-kcat", "-K:", "-z", codec.name}, hargs...)...)

				stored := clusterRecords(t, c, "from-kcat", partitions)
				require.Len(t, stored, messages)
				consumed := consumeAll(t, c.Addrs(), cfg, "from-kcat", highWatermarks(t, c, "from-kcat", partitions))
				require.Len(t, consumed, messages)
				want := make(map[string]string, messages)
				for i, k := range keys {
					want[k] = values[i]
				}
				for at, r := range consumed {
					assert.Equal(t, stored[at], r, "%v: sarama's view and the cluster's differ", at)
					v, ok := want[r.Key.S]
					if assert.True(t, ok, "%v: unexpected key %s", at, r.Key) {
						assert.Equal(t, nullable{S: v}, r.Value, "key %s", r.Key.S)
						delete(want, r.Key.S)
					}
					assert.Equal(t, hdrs, r.Headers, "key %s", r.Key.S)
				}
				assert.Empty(t, want, "keys kcat sent that sarama did not read")
			})

			for _, got := range codecs.codecs() {
				assert.Contains(t, []int{codecNone, codec.wire}, got, "codec ids of the batches both clients produced")
			}
		})
	}
}
