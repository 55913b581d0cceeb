package partitioner

// Murmur2Hash returns the 32-bit murmur2 hash of data exactly as Kafka's
// Java client computes it (org.apache.kafka.common.utils.Utils.murmur2:
// seed 0x9747b28c, little-endian 4-byte blocks), as a signed int32 like the
// Java int. It is the hash behind Java's keyed placement; Kafka Streams and
// other clients that claim Java compatibility use it too. Safe for
// concurrent use; allocates nothing.
func Murmur2Hash(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	blocks := n &^ 3
	for i := 0; i < blocks; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	// The tail bytes mix in from the highest down, and the multiply happens
	// once for any non-empty tail (the Java switch falls through).
	switch n & 3 {
	case 3:
		h ^= uint32(data[blocks+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[blocks+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[blocks])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// murmur2Partition is Java's BuiltInPartitioner.partitionForKey:
// toPositive(murmur2(key)) % numPartitions. toPositive masks the sign bit;
// it is not an absolute value.
func murmur2Partition(key []byte, count int32) int32 {
	return (Murmur2Hash(key) & 0x7fffffff) % count
}

// Murmur2 returns the partitioner that places keyed records where the Java
// client places them: toPositive(murmur2(key)) % Count, over all partitions
// whether or not they have a leader (Java's BuiltInPartitioner.partitionForKey
// and sarama's NewMurmur2Partitioner). A record with a nil key goes to a
// uniformly random available partition, as with sarama's NewMurmur2Partitioner
// and librdkafka's murmur2_random; use [Default] to spread unkeyed records
// with Java's sticky logic instead.
//
// Safe for concurrent use; stateless; no allocation per record. It
// implements [ConsistencyAware]: keyed records require consistency.
func Murmur2() Partitioner { return murmur2P{rnd: defaultRand} }

type murmur2P struct{ rnd func() uint32 }

func (m murmur2P) Partition(_ string, key, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	if key == nil {
		return randomAvailable(p, positive31(m.rnd))
	}
	return murmur2Partition(key, p.Count)
}

func (murmur2P) RequiresConsistency(key []byte) bool { return key != nil }
