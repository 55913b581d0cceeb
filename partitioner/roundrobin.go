package partitioner

import "sync/atomic"

// RoundRobin returns the placement of Java's RoundRobinPartitioner: every
// record, keyed or not, takes the next value of a per-topic counter
// (starting at 0), and goes to Available[toPositive(counter) %
// len(Available)], or to toPositive(counter) % Count when no partition is
// available. Java's uneven spread caused by re-partitioning on a new batch
// (KAFKA-9965) is not reproduced: every record advances the counter once.
//
// Safe for concurrent use: one atomic add per record; no allocation.
func RoundRobin() Partitioner { return &roundRobin{} }

type roundRobin struct {
	counters topicMap[atomic.Int32]
}

func (r *roundRobin) Partition(topic string, _, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	// Add returns the incremented value; Java's getAndIncrement the old one.
	// The int32 wrap-around matches Java's int overflow.
	next := r.counters.get(topic).Add(1) - 1
	return randomAvailable(p, int64(next&0x7fffffff))
}

func (*roundRobin) RequiresConsistency([]byte) bool { return false }

// SaramaRoundRobin returns the placement of sarama's
// NewRoundRobinPartitioner: a per-topic cursor over the available
// partitions that restarts at 0 whenever it reaches their number (so after
// the number of available partitions shrinks, the sequence restarts rather
// than wraps). Sarama indexes WritablePartitions; when none is available this
// cycles over all partitions. Sarama uses one instance per topic from a
// single goroutine; this one is safe for concurrent use (a compare-and-swap
// loop per record) and gives each concurrent caller a distinct slot.
func SaramaRoundRobin() Partitioner { return &saramaRoundRobin{} }

type saramaRoundRobin struct {
	cursors topicMap[atomic.Int32]
}

func (r *saramaRoundRobin) Partition(topic string, _, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	n := int32(len(p.Available))
	if n == 0 {
		n = p.Count
	}
	c := r.cursors.get(topic)
	for {
		old := c.Load()
		cur := old
		if cur >= n || cur < 0 {
			cur = 0
		}
		if c.CompareAndSwap(old, cur+1) {
			if len(p.Available) > 0 {
				return p.Available[cur]
			}
			return cur
		}
	}
}

func (*saramaRoundRobin) RequiresConsistency([]byte) bool { return false }
