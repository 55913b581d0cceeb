package mockbroker

import (
	"fmt"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

// Record is a record as stored in a partition log, decoded, for tests to
// inspect. Key and Value are nil for null and copies of the stored bytes
// otherwise.
type Record struct {
	Offset    int64
	Timestamp time.Time
	// LogAppendTime reports whether Timestamp was set by the broker
	// (message.timestamp.type=LogAppendTime) rather than the producer.
	LogAppendTime bool
	Key, Value    []byte
	Headers       []samsa.Header
	// LeaderEpoch is the partition leader epoch the batch was appended in.
	LeaderEpoch int32
	// ProducerID, ProducerEpoch and Sequence are the idempotent producer's
	// (-1 when the producer was not idempotent); Sequence is the record's
	// own sequence number.
	ProducerID    int64
	ProducerEpoch int16
	Sequence      int32
	Transactional bool
	// Control marks a transaction marker, which consumers do not see.
	Control bool
}

// Records returns the records of a partition from its log start offset to
// its high watermark, decoded (and decompressed). It does not block
// clients for longer than it takes to copy the batch index.
func (c *Cluster) Records(topic string, partition int32) ([]Record, error) {
	c.mu.Lock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	start := p.log.start
	batches := slices.Clone(p.log.batchesFrom(start))
	c.mu.Unlock()

	// The stored bytes never change once written, so they are decoded
	// without the lock.
	var dec records.Decoder
	var out []Record
	var recs []records.Record
	for i := range batches {
		hdr, batch, _, err := records.ReadBatch(batches[i].bytes())
		if err != nil {
			return nil, fmt.Errorf("mockbroker: stored batch at offset %d of %s-%d: %w", batches[i].base, topic, partition, err)
		}
		recs, err = dec.Records(hdr, batch, recs[:0])
		if err != nil {
			return nil, fmt.Errorf("mockbroker: stored batch at offset %d of %s-%d: %w", batches[i].base, topic, partition, err)
		}
		for _, r := range recs {
			if r.Offset < start {
				continue
			}
			rec := Record{
				Offset:        r.Offset,
				Timestamp:     time.UnixMilli(r.Timestamp),
				LogAppendTime: hdr.LogAppendTime(),
				Key:           clonePreservingNil(r.Key),
				Value:         clonePreservingNil(r.Value),
				LeaderEpoch:   hdr.PartitionLeaderEpoch,
				ProducerID:    hdr.ProducerID,
				ProducerEpoch: hdr.ProducerEpoch,
				Sequence:      -1,
				Transactional: hdr.IsTransactional(),
				Control:       hdr.IsControl(),
			}
			if hdr.ProducerID >= 0 && hdr.BaseSequence >= 0 {
				rec.Sequence = lastSequence(hdr.BaseSequence, int32(r.Offset-hdr.BaseOffset))
			}
			for _, h := range r.Headers {
				rec.Headers = append(rec.Headers, samsa.Header{Key: string(h.Key), Value: clonePreservingNil(h.Value)})
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

func clonePreservingNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// partitionFor returns a partition or an error wrapping
// kerr.UnknownTopicOrPartition (or samsa.ErrClosed). c.mu must be held.
func (c *Cluster) partitionFor(topic string, partition int32) (*partition, error) {
	if c.closed {
		return nil, samsa.ErrClosed
	}
	p := c.partitionLocked(topic, partition)
	if p == nil {
		return nil, fmt.Errorf("mockbroker: %s-%d: %w", topic, partition, kerr.UnknownTopicOrPartition)
	}
	return p, nil
}

// Requests returns how many requests with the API key the brokers have
// received, counting every request whose header could be read, including
// ones rejected afterwards.
func (c *Cluster) Requests(key int16) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[key]
}

// CreateTopic creates a topic with the default replication factor, as a
// CreateTopics request would. The error wraps the kerr value a broker
// would answer (kerr.TopicAlreadyExists, kerr.InvalidTopicException,
// kerr.InvalidPartitions).
func (c *Cluster) CreateTopic(name string, partitions int32) error {
	return c.CreateTopicWithConfigs(name, partitions, nil)
}

// CreateTopicWithConfigs creates a topic with topic configs, for example
// {"message.timestamp.type": "LogAppendTime"} or {"max.message.bytes":
// "1000"}. Unknown config names and invalid values fail with an error
// wrapping kerr.InvalidConfig.
func (c *Cluster) CreateTopicWithConfigs(name string, partitions int32, configs map[string]string) error {
	cfg := make(map[string]*string, len(configs))
	for k, v := range configs {
		cfg[k] = &v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return samsa.ErrClosed
	}
	_, err := c.createTopicLocked(name, partitions, -1, nil, cfg)
	if err != nil {
		return fmt.Errorf("mockbroker: create topic %q: %w", name, err)
	}
	return nil
}

// DeleteTopic deletes a topic and its logs, as a DeleteTopics request
// would.
func (c *Cluster) DeleteTopic(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return samsa.ErrClosed
	}
	t := c.topics[name]
	if t == nil {
		return fmt.Errorf("mockbroker: delete topic %q: %w", name, kerr.UnknownTopicOrPartition)
	}
	c.deleteTopicLocked(t)
	return nil
}

// TopicID returns the id of a topic.
func (c *Cluster) TopicID(name string) ([16]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return [16]byte{}, samsa.ErrClosed
	}
	t := c.topics[name]
	if t == nil {
		return [16]byte{}, fmt.Errorf("mockbroker: topic %q: %w", name, kerr.UnknownTopicOrPartition)
	}
	return t.id, nil
}

// Leader returns the broker leading a partition, or -1 while none does
// (every replica stopped).
func (c *Cluster) Leader(topic string, partition int32) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		return -1, err
	}
	return p.leader, nil
}

// LeaderEpoch returns a partition's leader epoch, which every leader
// change bumps.
func (c *Cluster) LeaderEpoch(topic string, partition int32) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		return -1, err
	}
	return p.leaderEpoch, nil
}

// HighWatermark returns the offset the next record of a partition will get
// (replication is instant, so the high watermark is the log end offset).
func (c *Cluster) HighWatermark(topic string, partition int32) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		return -1, err
	}
	return p.log.end, nil
}

// LogStartOffset returns a partition's log start offset, which
// DeleteRecords moves.
func (c *Cluster) LogStartOffset(topic string, partition int32) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		return -1, err
	}
	return p.log.start, nil
}

// MoveLeader makes broker the leader of a partition and bumps the leader
// epoch, as a leader election would. The broker must be running; if it is
// not a replica of the partition it becomes one, replacing the last
// replica. Clients learn of the change from NOT_LEADER_OR_FOLLOWER errors
// and Metadata. Moving the leader to the current leader changes nothing.
func (c *Cluster) MoveLeader(topic string, partition int32, broker int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.partitionFor(topic, partition)
	if err != nil {
		return err
	}
	b, err := c.brokerLocked(broker)
	if err != nil {
		return err
	}
	if !b.up {
		return fmt.Errorf("%w: broker %d is stopped and cannot lead %s", ErrBrokerState, broker, p.tp())
	}
	if p.leader == broker {
		return nil
	}
	if !slices.Contains(p.replicas, broker) {
		p.replicas = append(slices.Clone(p.replicas[:len(p.replicas)-1]), broker)
	}
	p.leader = broker
	p.leaderEpoch++
	p.notify()
	c.log.Info("moved leader", "partition", p.tp().String(), "leader", broker, "epoch", p.leaderEpoch)
	return nil
}
