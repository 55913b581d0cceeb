package mockbroker

import (
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// maxPartitions bounds the partitions of one topic, so a hostile
// CreateTopics or CreatePartitions request cannot exhaust memory.
const maxPartitions = 100_000

// topic is one topic. Guarded by Cluster.mu.
type topic struct {
	name       string
	id         [16]byte
	partitions []*partition
	cfg        topicConfig
}

// partition is one partition with its log. Guarded by Cluster.mu.
type partition struct {
	t     *topic
	index int32

	// leader is the broker id of the leader, or -1 while no replica runs.
	leader      int32
	leaderEpoch int32
	// replicas lists the replica brokers, the preferred leader first.
	replicas []int32

	log       partitionLog
	producers map[int64]*producerState
	// openTxns maps the producer id of each transaction with records in
	// this partition and no end marker yet to its first offset; the last
	// stable offset stops at the smallest.
	openTxns map[int64]int64
	waiters  map[*fetchWaiter]struct{}
}

func (p *partition) tp() samsa.TopicPartition {
	return samsa.TopicPartition{Topic: p.t.name, Partition: p.index}
}

// lastStableOffset is the offset below which no transaction is open: the
// high watermark when none is.
func (p *partition) lastStableOffset() int64 {
	lso := p.log.end
	for _, first := range p.openTxns {
		lso = min(lso, first)
	}
	return lso
}

// notify wakes every Fetch waiting on the partition: data arrived, or
// leadership or the partition's existence changed.
func (p *partition) notify() {
	for w := range p.waiters {
		w.wake()
	}
}

// isr returns the replicas that are running: every running replica is in
// sync, because the mock replicates instantly.
func (c *Cluster) isrLocked(p *partition) []int32 {
	isr := make([]int32, 0, len(p.replicas))
	for _, r := range p.replicas {
		if c.brokers[r].up {
			isr = append(isr, r)
		}
	}
	return isr
}

func (c *Cluster) offlineLocked(p *partition) []int32 {
	off := []int32{}
	for _, r := range p.replicas {
		if !c.brokers[r].up {
			off = append(off, r)
		}
	}
	return off
}

// topicByName returns a topic or nil. c.mu must be held.
func (c *Cluster) topicByName(name string) *topic { return c.topics[name] }

// partitionLocked returns a partition, or nil if the topic or partition does
// not exist. c.mu must be held.
func (c *Cluster) partitionLocked(topic string, partition int32) *partition {
	t := c.topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.partitions) {
		return nil
	}
	return t.partitions[partition]
}

// defaultReplicationFactor is what a topic gets when none is asked for:
// every broker, up to three.
func (c *Cluster) defaultReplicationFactor() int16 { return int16(min(3, len(c.brokers))) }

// planReplicas spreads n new partitions, numbered from first, over the
// brokers round-robin starting at start, each with rf replicas.
func (c *Cluster) planReplicas(start int, first, n int32, rf int16) [][]int32 {
	plan := make([][]int32, n)
	nb := len(c.brokers)
	for i := range plan {
		lead := (start + int(first) + i) % nb
		reps := make([]int32, rf)
		for j := range reps {
			reps[j] = int32((lead + j) % nb)
		}
		plan[i] = reps
	}
	return plan
}

// newPartition creates partition index of t with the given replicas and
// elects its leader: the first running replica.
func (c *Cluster) newPartition(t *topic, index int32, replicas []int32) *partition {
	p := &partition{t: t, index: index, leader: -1, replicas: replicas}
	p.log.blackhole = c.cfg.blackhole
	for _, r := range replicas {
		if c.brokers[r].up {
			p.leader = r
			break
		}
	}
	return p
}

// createTopicLocked creates a topic. rf -1 means the default replication
// factor; assignment, when given, fixes the replicas of every partition
// (and partitions must then be len(assignment)). configs are the topic
// configs asked for (validated here). It returns the Kafka error for a
// request that cannot be honoured. c.mu must be held (New calls it before
// anything else runs).
func (c *Cluster) createTopicLocked(name string, partitions int32, rf int16, assignment [][]int32, configs map[string]*string) (*topic, error) {
	t, err := c.planTopicLocked(name, partitions, rf, assignment, configs)
	if err != nil {
		return nil, err
	}
	c.addTopicLocked(t)
	return t, nil
}

// planTopicLocked validates a topic creation and builds the topic without
// adding it (CreateTopics with validate_only stops here).
func (c *Cluster) planTopicLocked(name string, partitions int32, rf int16, assignment [][]int32, configs map[string]*string) (*topic, error) {
	if err := samsa.ValidateTopic(name); err != nil {
		return nil, fmt.Errorf("%w: %v", kerr.InvalidTopicException, err)
	}
	if c.topics[name] != nil {
		return nil, fmt.Errorf("%w: topic %q already exists", kerr.TopicAlreadyExists, name)
	}
	cfg, err := c.topicConfigFor(name, configs)
	if err != nil {
		return nil, err
	}
	t := &topic{name: name, cfg: cfg, id: newTopicID(c.topicIDs)}
	if assignment != nil {
		if err := c.validateAssignment(assignment); err != nil {
			return nil, err
		}
		for i, reps := range assignment {
			t.partitions = append(t.partitions, c.newPartition(t, int32(i), reps))
		}
		return t, nil
	}
	if partitions == -1 {
		partitions = c.cfg.defaultPartitions
	}
	if partitions < 1 || partitions > maxPartitions {
		return nil, fmt.Errorf("%w: %d partitions; want 1 to %d", kerr.InvalidPartitions, partitions, maxPartitions)
	}
	if rf == -1 {
		rf = c.defaultReplicationFactor()
	}
	if rf < 1 || int(rf) > len(c.brokers) {
		return nil, fmt.Errorf("%w: replication factor %d; this cluster has %d brokers", kerr.InvalidReplicationFactor, rf, len(c.brokers))
	}
	for i, reps := range c.planReplicas(c.nextLeader, 0, partitions, rf) {
		t.partitions = append(t.partitions, c.newPartition(t, int32(i), reps))
	}
	return t, nil
}

// validateAssignment checks explicit replica lists: non-empty, existing
// brokers, no broker twice, the same length for every partition.
func (c *Cluster) validateAssignment(assignment [][]int32) error {
	if len(assignment) == 0 || len(assignment) > maxPartitions {
		return fmt.Errorf("%w: %d partitions in the assignment", kerr.InvalidReplicaAssignment, len(assignment))
	}
	for i, reps := range assignment {
		if len(reps) == 0 || len(reps) != len(assignment[0]) {
			return fmt.Errorf("%w: partition %d has %d replicas, partition 0 has %d", kerr.InvalidReplicaAssignment, i, len(reps), len(assignment[0]))
		}
		for j, r := range reps {
			if r < 0 || int(r) >= len(c.brokers) {
				return fmt.Errorf("%w: partition %d names broker %d, which does not exist", kerr.InvalidReplicaAssignment, i, r)
			}
			if slices.Contains(reps[:j], r) {
				return fmt.Errorf("%w: partition %d names broker %d twice", kerr.InvalidReplicaAssignment, i, r)
			}
		}
	}
	return nil
}

// addTopicLocked makes a planned topic live.
func (c *Cluster) addTopicLocked(t *topic) {
	c.topics[t.name] = t
	c.topicIDs[t.id] = t
	c.nextLeader++
}

// deleteTopicLocked removes a topic and wakes fetches waiting on it.
func (c *Cluster) deleteTopicLocked(t *topic) {
	delete(c.topics, t.name)
	delete(c.topicIDs, t.id)
	for _, p := range t.partitions {
		p.notify()
	}
}

// addPartitionsLocked grows a topic to count partitions.
func (c *Cluster) addPartitionsLocked(t *topic, plan [][]int32) {
	for _, reps := range plan {
		t.partitions = append(t.partitions, c.newPartition(t, int32(len(t.partitions)), reps))
	}
}

// autoCreateLocked creates a topic with the defaults, as Kafka does for
// auto.create.topics.enable.
func (c *Cluster) autoCreateLocked(name string) (*topic, error) {
	t, err := c.createTopicLocked(name, -1, -1, nil, nil)
	if err == nil {
		c.log.Info("auto-created topic", "topic", name, "partitions", len(t.partitions))
	}
	return t, err
}

// electLeadersLocked gives every partition whose leader is not running the
// next running replica (or none), bumping the leader epoch.
func (c *Cluster) electLeadersLocked() {
	for _, t := range c.topics {
		for _, p := range t.partitions {
			if p.leader >= 0 && c.brokers[p.leader].up {
				continue
			}
			next := int32(-1)
			for _, r := range p.replicas {
				if c.brokers[r].up {
					next = r
					break
				}
			}
			if next != p.leader {
				p.leader = next
				p.leaderEpoch++
				p.notify()
			}
		}
	}
}

// preferLeadersLocked makes broker b the leader of every partition it is
// the preferred replica of, and of every leaderless partition it
// replicates.
func (c *Cluster) preferLeadersLocked(b int32) {
	for _, t := range c.topics {
		for _, p := range t.partitions {
			if p.leader == b || !slices.Contains(p.replicas, b) {
				continue
			}
			if p.replicas[0] == b || p.leader < 0 {
				p.leader = b
				p.leaderEpoch++
				p.notify()
			}
		}
	}
}

// newTopicID returns a random version-4 UUID not in use and not zero.
func newTopicID(used map[[16]byte]*topic) [16]byte {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:]) // never fails (Go 1.24+)
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		if _, dup := used[id]; !dup && id != ([16]byte{}) {
			return id
		}
	}
}
