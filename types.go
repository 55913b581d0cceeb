package samsa

import "strconv"

// Header is a record header: a key and an opaque value. Kafka allows
// repeated keys; order is preserved end to end.
type Header struct {
	Key   string
	Value []byte
}

// TopicPartition names one partition of one topic. It is comparable and
// can be used as a map key.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String returns "topic-partition", the form Kafka tools print.
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// Special offsets understood wherever an offset to start reading from is
// expected (equivalent to Java's ListOffsets timestamps).
const (
	// OffsetLatest is the next offset to be written: the high watermark
	// (or, under read_committed, the last stable offset).
	OffsetLatest int64 = -1
	// OffsetEarliest is the log start offset.
	OffsetEarliest int64 = -2
)

// Offset is a consumer position as committed to a group coordinator: the
// offset of the next record to read, the leader epoch of the record before
// it when known (-1 otherwise), and free-form metadata stored with the
// commit (equivalent to Java's OffsetAndMetadata).
type Offset struct {
	Offset      int64
	LeaderEpoch int32
	Metadata    string
}

// NewOffset returns an Offset at o with an unknown leader epoch and no
// metadata.
func NewOffset(o int64) Offset { return Offset{Offset: o, LeaderEpoch: -1} }
