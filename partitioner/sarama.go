package partitioner

// fnv1a32 is the 32-bit FNV-1a hash (hash/fnv's New32a), computed inline so
// that hashing a key allocates nothing.
func fnv1a32(data []byte) uint32 {
	const (
		offset uint32 = 2166136261
		prime  uint32 = 16777619
	)
	h := offset
	for _, b := range data {
		h ^= uint32(b)
		h *= prime
	}
	return h
}

// SaramaHash returns the placement of sarama's default partitioner,
// NewHashPartitioner: a keyed record goes to int32(fnv1a32(key)) % Count
// (Go's remainder, which keeps the dividend's sign), negated if negative,
// over all partitions; a record with a nil key goes to a uniformly random
// available partition. A sarama program keeps its key placement when it
// moves to samsa with this partitioner.
//
// Sarama's nil key is an interface-nil Key; an encoder that yields no bytes
// (ByteEncoder(nil), StringEncoder("")) is a key and hashes as empty input.
// Callers translating sarama messages pass []byte{} for those and nil only
// for a nil Key.
//
// Safe for concurrent use; stateless; no allocation per record. It
// implements [ConsistencyAware]: keyed records require consistency.
func SaramaHash() Partitioner { return saramaHash{rnd: defaultRand} }

// SaramaReferenceHash returns the placement of sarama's
// NewReferenceHashPartitioner (also NewCustomPartitioner(WithAbsFirst())):
// like [SaramaHash] but the sign bit is masked before the remainder,
// (int32(fnv1a32(key)) & 0x7fffffff) % Count, which is Java's sign
// handling applied to FNV-1a. It does not place keys where Java does; use
// [Murmur2] or [Default] for that.
//
// Safe for concurrent use; stateless; no allocation per record. It
// implements [ConsistencyAware]: keyed records require consistency.
func SaramaReferenceHash() Partitioner { return saramaHash{reference: true, rnd: defaultRand} }

type saramaHash struct {
	reference bool
	rnd       func() uint32
}

func (s saramaHash) Partition(_ string, key, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	if key == nil {
		return randomAvailable(p, positive31(s.rnd))
	}
	h := int32(fnv1a32(key))
	if s.reference {
		return (h & 0x7fffffff) % p.Count
	}
	part := h % p.Count
	if part < 0 {
		part = -part
	}
	return part
}

func (saramaHash) RequiresConsistency(key []byte) bool { return key != nil }

// SaramaRandom returns the placement of sarama's NewRandomPartitioner: every
// record, keyed or not, goes to a uniformly random available partition (any
// partition when none is available).
//
// Safe for concurrent use; stateless; no allocation per record.
func SaramaRandom() Partitioner { return saramaRandom{rnd: defaultRand} }

type saramaRandom struct{ rnd func() uint32 }

func (s saramaRandom) Partition(_ string, _, _ []byte, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	return randomAvailable(p, positive31(s.rnd))
}

func (saramaRandom) RequiresConsistency([]byte) bool { return false }
