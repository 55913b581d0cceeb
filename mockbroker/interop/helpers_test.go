package interop_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/mockbroker"
)

// waitTimeout bounds every wait for a condition in this package. It is
// generous because the race detector and a shared machine slow everything
// down; a passing run never comes close to it.
const waitTimeout = 30 * time.Second

// nullable is a byte string that may be null, as Kafka keys, values and
// header values may. Comparing nullables tells a null from an empty value,
// which a plain []byte comparison in Go would blur.
type nullable struct {
	S    string
	Null bool
}

func nb(b []byte) nullable {
	if b == nil {
		return nullable{Null: true}
	}
	return nullable{S: string(b)}
}

func (n nullable) String() string {
	if n.Null {
		return "<null>"
	}
	return fmt.Sprintf("%q", n.S)
}

type header struct {
	Key   string
	Value nullable
}

// rec is one record in a form every client's view can be converted to, so
// that the producer's, the consumer's and the cluster's views compare with
// one assert.Equal.
type rec struct {
	Partition int32
	Offset    int64
	Key       nullable
	Value     nullable
	Headers   []header
	// TimestampMs is the record's create time in milliseconds.
	TimestampMs int64
}

type tp struct {
	partition int32
	offset    int64
}

func encoderBytes(t testing.TB, e sarama.Encoder) []byte {
	t.Helper()
	if e == nil {
		return nil
	}
	b, err := e.Encode()
	require.NoError(t, err)
	return b
}

// fromProducer is the record sarama was asked to send, at the partition and
// offset SendMessage reported.
func fromProducer(t testing.TB, m *sarama.ProducerMessage) rec {
	r := rec{
		Partition:   m.Partition,
		Offset:      m.Offset,
		Key:         nb(encoderBytes(t, m.Key)),
		Value:       nb(encoderBytes(t, m.Value)),
		TimestampMs: m.Timestamp.UnixMilli(),
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, header{string(h.Key), nb(h.Value)})
	}
	return r
}

// fromConsumer is a record as sarama's consumer decoded it.
func fromConsumer(m *sarama.ConsumerMessage) rec {
	r := rec{
		Partition:   m.Partition,
		Offset:      m.Offset,
		Key:         nb(m.Key),
		Value:       nb(m.Value),
		TimestampMs: m.Timestamp.UnixMilli(),
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, header{string(h.Key), nb(h.Value)})
	}
	return r
}

// fromCluster is a record as the mock cluster stores it.
func fromCluster(partition int32, m mockbroker.Record) rec {
	r := rec{
		Partition:   partition,
		Offset:      m.Offset,
		Key:         nb(m.Key),
		Value:       nb(m.Value),
		TimestampMs: m.Timestamp.UnixMilli(),
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, header{h.Key, nb(h.Value)})
	}
	return r
}

// clusterRecords returns every record of every partition of a topic as the
// cluster stores it, keyed by partition and offset, and checks that each
// partition's offsets run contiguously from 0 to its high watermark.
func clusterRecords(t testing.TB, c *mockbroker.Cluster, topic string, partitions int32) map[tp]rec {
	t.Helper()
	out := make(map[tp]rec)
	for p := range partitions {
		recs, err := c.Records(topic, p)
		require.NoError(t, err)
		hwm, err := c.HighWatermark(topic, p)
		require.NoError(t, err)
		require.Len(t, recs, int(hwm), "partition %d: records stored vs high watermark", p)
		for i, r := range recs {
			require.Equal(t, int64(i), r.Offset, "partition %d: offsets must run contiguously from 0", p)
			require.False(t, r.Control, "partition %d offset %d: unexpected control record", p, r.Offset)
			out[tp{p, r.Offset}] = fromCluster(p, r)
		}
	}
	return out
}

// highWatermarks returns the high watermark of every partition of a topic.
func highWatermarks(t testing.TB, c *mockbroker.Cluster, topic string, partitions int32) map[int32]int64 {
	t.Helper()
	hw := make(map[int32]int64, partitions)
	for p := range partitions {
		h, err := c.HighWatermark(topic, p)
		require.NoError(t, err)
		hw[p] = h
	}
	return hw
}

// saramaConfig returns a sarama configuration for the tests: the given
// protocol version and compression codec, acks from every in-sync replica,
// random partitioning, successes and errors returned, short retry backoffs
// so that fault tests finish quickly, and consumer errors returned so that
// a failing fetch fails the test instead of being logged.
func saramaConfig(version sarama.KafkaVersion, codec sarama.CompressionCodec) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "samsa-interop"
	cfg.Version = version
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewRandomPartitioner
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Compression = codec
	cfg.Producer.Retry.Backoff = 10 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Retry.Backoff = 10 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	return cfg
}

// sendAll sends msgs with a sarama SyncProducer from workers goroutines at
// once (concurrent callers are what makes sarama batch several records into
// one request), and checks that every send succeeded and that the partition
// and offset SendMessage returned are the ones set on the message. It
// returns when every send has returned.
func sendAll(t testing.TB, p sarama.SyncProducer, msgs []*sarama.ProducerMessage, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(msgs))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(msgs); i += workers {
				part, off, err := p.SendMessage(msgs[i])
				if err == nil && (part != msgs[i].Partition || off != msgs[i].Offset) {
					err = fmt.Errorf("SendMessage returned %d/%d but set %d/%d on the message", part, off, msgs[i].Partition, msgs[i].Offset)
				}
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "message %d", i)
	}
}

// consumeAll reads every partition of a topic from the oldest offset with
// a sarama Consumer (Partitions, then ConsumePartition per partition) until
// it has reached the high watermark hw[p] of each partition, and returns
// the records by partition and offset. Any consumer error, a record past
// the high watermark, or not getting there before the deadline fails t.
func consumeAll(t testing.TB, addrs []string, cfg *sarama.Config, topic string, hw map[int32]int64) map[tp]rec {
	t.Helper()
	consumer, err := sarama.NewConsumer(addrs, cfg)
	require.NoError(t, err)
	defer func() { assert.NoError(t, consumer.Close()) }()

	parts, err := consumer.Partitions(topic)
	require.NoError(t, err)
	require.Len(t, parts, len(hw), "sarama's partition count")

	out := make(map[tp]rec)
	deadline := time.After(waitTimeout)
	for _, p := range parts {
		want, ok := hw[p]
		require.True(t, ok, "sarama lists partition %d, the cluster does not", p)
		if want == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		require.NoError(t, err)
		next := int64(0)
		for next < want {
			select {
			case m := <-pc.Messages():
				require.Equal(t, topic, m.Topic)
				require.Equal(t, p, m.Partition)
				require.Equal(t, next, m.Offset, "partition %d: offsets must arrive in order without gaps", p)
				out[tp{p, m.Offset}] = fromConsumer(m)
				next++
			case cerr := <-pc.Errors():
				require.NoError(t, cerr, "sarama consumer, partition %d", p)
			case <-deadline:
				require.FailNow(t, "timed out consuming", "partition %d: got offsets up to %d, want %d", p, next, want)
			}
		}
		require.NoError(t, pc.Close())
	}
	return out
}

// versionLog records the (API key, version) pairs the cluster receives,
// through a hook that observes and never handles requests.
type versionLog struct {
	mu   sync.Mutex
	seen map[int16]map[int16]bool
}

func logVersions(c *mockbroker.Cluster) *versionLog {
	v := &versionLog{seen: make(map[int16]map[int16]bool)}
	c.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.seen[req.Key()] == nil {
			v.seen[req.Key()] = make(map[int16]bool)
		}
		v.seen[req.Key()][req.GetVersion()] = true
		return nil, nil, false
	})
	return v
}

// versions returns the versions seen for an API key, sorted.
func (v *versionLog) versions(key kmsg.Key) []int16 {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []int16
	for ver := range v.seen[int16(key)] {
		out = append(out, ver)
	}
	slices.Sort(out)
	return out
}

// Record batch compression codecs: the low three bits of a v2 batch's
// attributes, as the Kafka protocol defines them.
const (
	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLz4    = 3
	codecZstd   = 4
)

// batchCodecs records the compression codec of every record batch the
// cluster receives in Produce requests, and how many records the batches
// of each codec held. It reads the attributes and record count at their
// fixed places in the batch header itself, so that the check does not
// depend on samsa's record code.
type batchCodecs struct {
	mu      sync.Mutex
	counts  map[int]int // codec -> batches
	records map[int]int // codec -> records
}

func logBatchCodecs(c *mockbroker.Cluster) *batchCodecs {
	bc := &batchCodecs{counts: make(map[int]int), records: make(map[int]int)}
	c.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		pr, ok := req.(*kmsg.ProduceRequest)
		if !ok {
			return nil, nil, false
		}
		bc.mu.Lock()
		defer bc.mu.Unlock()
		for _, t := range pr.Topics {
			for _, p := range t.Partitions {
				// baseOffset(8) length(4) leaderEpoch(4) magic(1)
				// crc(4), then attributes(2); the record count
				// ends the 61-byte header.
				const attrAt, countAt = 21, 57
				if len(p.Records) >= countAt+4 {
					codec := int(binary.BigEndian.Uint16(p.Records[attrAt:]) & 0x7)
					bc.counts[codec]++
					bc.records[codec] += int(binary.BigEndian.Uint32(p.Records[countAt:]))
				}
			}
		}
		return nil, nil, false
	})
	return bc
}

// codecs returns the codecs seen, sorted.
func (bc *batchCodecs) codecs() []int {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	var out []int
	for c := range bc.counts {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// recordsWith returns how many records were produced in batches with the
// codec.
func (bc *batchCodecs) recordsWith(codec int) int {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	return bc.records[codec]
}

// batches returns how many batches were seen in total.
func (bc *batchCodecs) batches() int {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	n := 0
	for _, v := range bc.counts {
		n += v
	}
	return n
}

// waitFor polls cond until it holds or waitTimeout passes, and fails t with
// what if it never holds. It is for conditions nothing signals, such as the
// cluster's state; it never sleeps longer than a poll interval.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting", what)
		}
		<-tick.C
	}
}
