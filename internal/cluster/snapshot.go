package cluster

import (
	"slices"
	"time"

	"github.com/samsa-go/samsa/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker is one broker as Metadata describes it.
type Broker struct {
	ID   int32
	Host string
	Port int32
	Rack string // empty when the broker has none
}

// Addr returns "host:port".
func (b Broker) Addr() string { return brokerAddr(b.Host, b.Port) }

// Partition is one partition of a topic as of a snapshot.
type Partition struct {
	Topic string
	ID    int32
	// Leader is the leader's broker id, -1 when there is none.
	Leader int32
	// LeaderEpoch is the leader epoch (Metadata v7+), -1 when unknown.
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
	Offline     []int32
	// Err is the partition's error (a *kerr.Error, e.g.
	// kerr.LeaderNotAvailable), nil when healthy.
	Err error
}

// Topic is one topic as of a snapshot.
type Topic struct {
	Name string
	// ID is the topic id (Metadata v10+), all zero when unknown.
	ID [16]byte
	// Partitions are sorted by partition id.
	Partitions []Partition
	// Err is the topic's error (a *kerr.Error, e.g.
	// kerr.UnknownTopicOrPartition), nil when healthy.
	Err      error
	Internal bool
}

// Partition returns the partition with the given id.
func (t *Topic) Partition(id int32) (*Partition, bool) {
	// Partitions are 0..n-1 in Kafka, so the index is a good first guess.
	if id >= 0 && int(id) < len(t.Partitions) && t.Partitions[id].ID == id {
		return &t.Partitions[id], true
	}
	i, ok := slices.BinarySearchFunc(t.Partitions, id, func(p Partition, id int32) int { return int(p.ID - id) })
	if !ok {
		return nil, false
	}
	return &t.Partitions[i], true
}

// Snapshot is the cluster metadata at one point in time. It is immutable
// once published: never modify it or anything it references; it is safe
// for concurrent use.
type Snapshot struct {
	Brokers map[int32]Broker
	// Topics holds every tracked topic the last refresh answered for,
	// including topics with an error (Topic.Err).
	Topics       map[string]*Topic
	ControllerID int32
	ClusterID    string
	// At is when the metadata was received.
	At time.Time

	addrs map[int32]string // "host:port" per broker, for the pool's fast path
}

// Leader returns the leader broker of a partition, if the partition and
// its leader are known.
func (s *Snapshot) Leader(topic string, partition int32) (Broker, bool) {
	t, ok := s.Topics[topic]
	if !ok {
		return Broker{}, false
	}
	p, ok := t.Partition(partition)
	if !ok || p.Leader < 0 {
		return Broker{}, false
	}
	b, ok := s.Brokers[p.Leader]
	return b, ok
}

// buildSnapshot turns a Metadata response into a snapshot, keeping
// partitions of prev whose leader epoch is newer than what the response
// says (a lagging broker answered). prev may be nil.
func buildSnapshot(resp *kmsg.MetadataResponse, prev *Snapshot, at time.Time) *Snapshot {
	s := &Snapshot{
		Brokers:      make(map[int32]Broker, len(resp.Brokers)),
		Topics:       make(map[string]*Topic, len(resp.Topics)),
		addrs:        make(map[int32]string, len(resp.Brokers)),
		ControllerID: resp.ControllerID,
		At:           at,
	}
	if resp.ClusterID != nil {
		s.ClusterID = *resp.ClusterID
	}
	for _, b := range resp.Brokers {
		br := Broker{ID: b.NodeID, Host: b.Host, Port: b.Port}
		if b.Rack != nil {
			br.Rack = *b.Rack
		}
		s.Brokers[b.NodeID] = br
		s.addrs[b.NodeID] = br.Addr()
	}
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		if rt.Topic == nil {
			continue // answered by id only; samsa asks by name
		}
		t := &Topic{Name: *rt.Topic, ID: rt.TopicID, Internal: rt.IsInternal, Err: codeErr(rt.ErrorCode)}
		t.Partitions = make([]Partition, 0, len(rt.Partitions))
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			t.Partitions = append(t.Partitions, Partition{
				Topic:       t.Name,
				ID:          rp.Partition,
				Leader:      rp.Leader,
				LeaderEpoch: rp.LeaderEpoch,
				Replicas:    rp.Replicas,
				ISR:         rp.ISR,
				Offline:     rp.OfflineReplicas,
				Err:         codeErr(rp.ErrorCode),
			})
		}
		slices.SortFunc(t.Partitions, func(a, b Partition) int { return int(a.ID - b.ID) })
		t.Partitions = slices.CompactFunc(t.Partitions, func(a, b Partition) bool { return a.ID == b.ID })
		if prev != nil {
			keepNewerEpochs(t, prev.Topics[t.Name])
		}
		s.Topics[t.Name] = t
	}
	return s
}

// keepNewerEpochs replaces partitions of t with those of old where old
// has a higher leader epoch for the same topic incarnation. A topic that
// was deleted and recreated (different non-zero topic id) starts over.
func keepNewerEpochs(t, old *Topic) {
	if old == nil || t.Err != nil {
		return
	}
	var zero [16]byte
	if t.ID != old.ID && t.ID != zero && old.ID != zero {
		return
	}
	for i := range t.Partitions {
		np := &t.Partitions[i]
		op, ok := old.Partition(np.ID)
		if !ok || op.LeaderEpoch < 0 || np.LeaderEpoch < 0 {
			continue
		}
		if np.LeaderEpoch < op.LeaderEpoch {
			*np = *op
		}
	}
}

// codeErr returns the kerr value for a non-zero code, else nil (as an
// untyped nil error, not a typed nil pointer).
func codeErr(code int16) error {
	if code == 0 {
		return nil
	}
	return kerr.ForCode(code)
}
