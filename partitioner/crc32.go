package partitioner

import "hash/crc32"

// CRC32 returns the placement of librdkafka's "consistent" partitioner:
// crc32(key) % Count with the IEEE polynomial, unsigned, over all
// partitions. librdkafka hashes a NULL key like an empty one, and the CRC of
// empty input is 0, so records with a nil or empty key all go to partition
// 0. For keyed records this is also sarama's
// NewConsistentCRCHashPartitioner (whose nil keys go to a random partition
// instead, like [CRC32Random]).
//
// Safe for concurrent use; stateless; no allocation per record. Every record
// requires consistency.
func CRC32() Partitioner { return crc32P{} }

type crc32P struct{}

func (crc32P) Partition(_ string, key, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	return int32(crc32.ChecksumIEEE(key) % uint32(p.Count))
}

func (crc32P) RequiresConsistency([]byte) bool { return true }

// CRC32Random returns the placement of librdkafka's "consistent_random"
// partitioner, librdkafka's default: like [CRC32] for keys with at least one
// byte, while records with a nil or empty key go to a uniformly random
// available partition (any partition when none is available). librdkafka
// draws among all partitions and redraws once if the first draw has no
// leader; this draws among the available ones directly, which spreads the
// same way when leaders are up and never picks a partition without one.
//
// Safe for concurrent use; stateless; no allocation per record. Records
// with a non-empty key require consistency.
func CRC32Random() Partitioner { return crc32Random{rnd: defaultRand} }

type crc32Random struct{ rnd func() uint32 }

func (c crc32Random) Partition(_ string, key, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	if len(key) == 0 {
		return randomAvailable(p, positive31(c.rnd))
	}
	return int32(crc32.ChecksumIEEE(key) % uint32(p.Count))
}

func (crc32Random) RequiresConsistency(key []byte) bool { return len(key) > 0 }
