package partitioner

// Manual returns the partitioner for producers where every record carries
// its own partition (sarama's NewManualPartitioner, which uses
// ProducerMessage.Partition).
//
// The producer takes a record's explicit partition before it asks any
// partitioner ([Resolve]), so Manual is only asked about records without
// one; it answers NoPartition, and the producer rejects such a record with
// [ErrInvalidPartition] instead of guessing. An explicit partition outside
// [0, Count) is rejected the same way, as sarama rejects it with
// ErrInvalidPartition. A sarama compatibility layer passes
// ProducerMessage.Partition as the explicit partition whenever sarama's
// manual partitioner is configured (sarama's zero value 0 included).
//
// Safe for concurrent use; stateless.
func Manual() Partitioner { return manual{} }

type manual struct{}

func (manual) Partition(string, []byte, []byte, Partitions) int32 { return NoPartition }

func (manual) RequiresConsistency([]byte) bool { return true }
