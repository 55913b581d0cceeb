// Package partitioner chooses the partition of every record a producer sends.
//
// It is step 3 of the producer pipeline, between the serializers and the
// accumulator:
//
//	Send → interceptors → serializers → partitioner → accumulator.Append → sender
//
// The producer resolves a record's partition in this order (Java's
// KafkaProducer.partition, reproduced by [Resolve]):
//
//  1. an explicit partition set on the record wins, and is only checked to
//     be in range;
//  2. otherwise the configured [Partitioner] chooses: [Default] (the
//     producer's default) hashes keyed records with murmur2 and spreads
//     unkeyed records with the KIP-794 uniform sticky logic.
//
// # The core interface and the optional ones
//
// [Partitioner] has one method. A partitioner that needs more inputs
// implements an optional interface, which the producer discovers by type
// assertion (the database/sql/driver pattern):
//
//   - [AppendAware]: told how many bytes were appended to which partition,
//     and whether the partition's batches are full. KIP-794 sticky
//     partitioning switches after batch.size bytes.
//   - [LoadAware]: told, on every ready pass of the sender, how many batches
//     wait in each partition's queue and how long each leader has gone
//     without being drained. KIP-794 adaptive partitioning favours short
//     queues and skips unresponsive leaders.
//   - [ConsistencyAware]: says whether a record's partition must be honoured
//     even when it has no leader (sarama's RequiresConsistency); a partitioner
//     without it is treated as requiring consistency.
//
// # Built-ins and the client whose placement each reproduces
//
//	Default(batchSize)       Java producer default: murmur2 for keys, uniform sticky otherwise
//	UniformSticky(batchSize) Java KIP-794 built-in partitioner for every record (keys ignored)
//	Murmur2()                Java keyed placement; sarama NewMurmur2Partitioner
//	RoundRobin()             Java RoundRobinPartitioner
//	Manual()                 sarama NewManualPartitioner: the record's own partition
//	SaramaHash()             sarama NewHashPartitioner (FNV-1a, sarama's sign handling)
//	SaramaReferenceHash()    sarama NewReferenceHashPartitioner (FNV-1a, Java's sign handling)
//	SaramaRandom()           sarama NewRandomPartitioner
//	SaramaRoundRobin()       sarama NewRoundRobinPartitioner
//	CRC32()                  librdkafka "consistent"; sarama NewConsistentCRCHashPartitioner for keyed records
//	CRC32Random()            librdkafka "consistent_random"
//
// Every built-in is safe for concurrent use by any number of goroutines and
// allocates nothing per record (the sticky ones allocate 16 bytes when they
// switch partition, once per batch). Per-topic state (counters, the sticky
// partition, load statistics) lives in a copy-on-write map read with a single
// atomic load.
package partitioner
