package saramacompat

import (
	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa/partitioner"
)

// saramaPartitioner runs the user's sarama.PartitionerConstructor the way
// sarama's producer does, as a samsa partitioner.Partitioner:
//
//   - one sarama.Partitioner per topic, built by the constructor when the
//     topic is first produced to, and only ever called by one goroutine at
//     a time (sarama partitioners keep unsynchronised state: round-robin
//     counters, math/rand sources, reused hashers);
//   - it is asked with the *sarama.ProducerMessage itself, so custom
//     partitioners see Key, Value, Headers and Metadata as in sarama;
//   - its answer is an index into the topic's partitions: all of them when
//     the partitioner requires consistency (RequiresConsistency, or
//     MessageRequiresConsistency of a DynamicConsistencyPartitioner), the
//     writable ones (those with a leader) otherwise; the partition id at
//     that index is stored in msg.Partition, as sarama does.
//
// samsa's producer calls Partition from inside Send, on the goroutine that
// called Send. The caller (producerCore.send, under its mutex) stores the
// message being sent in cur before Send and reads err after it: the
// partitioner interface carries only key and value bytes, and this is how
// the message and sarama's own error (ErrLeaderNotAvailable,
// ErrInvalidPartition, an Encode failure) travel around it.
type saramaPartitioner struct {
	ctor    sarama.PartitionerConstructor
	byTopic map[string]sarama.Partitioner

	cur *sarama.ProducerMessage
	err error
	all []int32 // scratch: 0..n-1

	// The partitioner of the topic asked last, so that a run of messages
	// to one topic skips the map and the interface checks.
	lastTopic string
	last      sarama.Partitioner
	lastDyn   sarama.DynamicConsistencyPartitioner // last's, if it is one
}

func newSaramaPartitioner(ctor sarama.PartitionerConstructor) *saramaPartitioner {
	return &saramaPartitioner{ctor: ctor, byTopic: make(map[string]sarama.Partitioner)}
}

// Partition implements partitioner.Partitioner; see the type's comment.
func (a *saramaPartitioner) Partition(topic string, _, _ []byte, p partitioner.Partitions) int32 {
	msg := a.cur
	if msg == nil {
		a.err = sarama.ErrInvalidPartition
		return partitioner.NoPartition
	}
	if a.last == nil || topic != a.lastTopic {
		sp := a.byTopic[topic]
		if sp == nil {
			sp = a.ctor(topic)
			a.byTopic[topic] = sp
		}
		a.lastTopic, a.last = topic, sp
		a.lastDyn, _ = sp.(sarama.DynamicConsistencyPartitioner)
	}
	// Asked for every message, as sarama does.
	sp := a.last
	var consistent bool
	if a.lastDyn != nil {
		consistent = a.lastDyn.MessageRequiresConsistency(msg)
	} else {
		consistent = sp.RequiresConsistency()
	}
	list := p.Available
	if consistent {
		list = a.allPartitions(p.Count)
	}
	n := int32(len(list))
	if n == 0 {
		a.err = sarama.ErrLeaderNotAvailable
		return partitioner.NoPartition
	}
	choice, err := sp.Partition(msg, n)
	if err != nil {
		a.err = err
		return partitioner.NoPartition
	}
	if choice < 0 || choice >= n {
		a.err = sarama.ErrInvalidPartition
		return partitioner.NoPartition
	}
	msg.Partition = list[choice]
	return msg.Partition
}

// allPartitions returns 0..n-1, the ids sarama's client.Partitions lists
// for a topic whose metadata is complete.
func (a *saramaPartitioner) allPartitions(n int32) []int32 {
	if n <= 0 {
		return nil
	}
	if int32(len(a.all)) < n {
		a.all = make([]int32, n)
		for i := range a.all {
			a.all[i] = int32(i)
		}
	}
	return a.all[:n]
}
