package records

import (
	"encoding/binary"
	"strconv"
)

// ControlType is the type of a control record, from its key.
type ControlType int16

// Control record types. Abort and Commit are transaction markers; the
// others belong to KRaft's own logs and never appear in user topics, but a
// reader must skip them rather than fail.
const (
	ControlAbort          ControlType = 0
	ControlCommit         ControlType = 1
	ControlLeaderChange   ControlType = 2
	ControlSnapshotHeader ControlType = 3
	ControlSnapshotFooter ControlType = 4
	ControlKRaftVersion   ControlType = 5
	ControlKRaftVoters    ControlType = 6
)

// String returns the type's name ("ABORT", "COMMIT", ...) as Kafka spells
// it, or "CONTROL(N)" for an unknown type.
func (t ControlType) String() string {
	switch t {
	case ControlAbort:
		return "ABORT"
	case ControlCommit:
		return "COMMIT"
	case ControlLeaderChange:
		return "LEADER_CHANGE"
	case ControlSnapshotHeader:
		return "SNAPSHOT_HEADER"
	case ControlSnapshotFooter:
		return "SNAPSHOT_FOOTER"
	case ControlKRaftVersion:
		return "KRAFT_VERSION"
	case ControlKRaftVoters:
		return "KRAFT_VOTERS"
	}
	return "CONTROL(" + strconv.Itoa(int(t)) + ")"
}

// ControlRecord is a decoded control record.
type ControlRecord struct {
	Type ControlType
	// Version is the version of the control record key.
	Version int16
	// CoordinatorEpoch is the transaction coordinator's epoch, for Abort
	// and Commit markers; 0 for other types.
	CoordinatorEpoch int32
}

// ParseControlRecord decodes the key and value of a record from a control
// batch (BatchHeader.IsControl). The key is a version and a type (int16
// each); for Abort and Commit the value is a version and the coordinator
// epoch (int16, int32). Newer key or value versions may append fields,
// which are ignored. A malformed record returns a *CorruptError.
func ParseControlRecord(key, value []byte) (ControlRecord, error) {
	var cr ControlRecord
	if len(key) < 4 {
		return cr, corrupt(-1, "control record key of %d bytes, want at least 4", len(key))
	}
	cr.Version = int16(binary.BigEndian.Uint16(key))
	if cr.Version < 0 {
		return cr, corrupt(-1, "control record key version %d", cr.Version)
	}
	cr.Type = ControlType(binary.BigEndian.Uint16(key[2:]))
	if cr.Type != ControlAbort && cr.Type != ControlCommit {
		return cr, nil
	}
	if len(value) < 6 {
		return cr, corrupt(-1, "%s marker value of %d bytes, want at least 6", cr.Type, len(value))
	}
	if v := int16(binary.BigEndian.Uint16(value)); v < 0 {
		return cr, corrupt(-1, "%s marker value version %d", cr.Type, v)
	}
	cr.CoordinatorEpoch = int32(binary.BigEndian.Uint32(value[2:]))
	return cr, nil
}

// AppendControlBatch appends a transaction marker batch to dst, as a
// broker writes one when a transaction ends: a transactional control batch
// holding one record whose key is (version 0, COMMIT or ABORT) and whose
// value is (version 0, coordinatorEpoch). Its base offset is 0 and its
// partition leader epoch -1; the broker sets them with SetBaseOffset and
// SetPartitionLeaderEpoch when it appends the batch.
func AppendControlBatch(dst []byte, producerID int64, epoch int16, commit bool, coordinatorEpoch int32, timestamp int64) []byte {
	typ := ControlAbort
	if commit {
		typ = ControlCommit
	}
	var key [4]byte
	binary.BigEndian.PutUint16(key[2:], uint16(typ))
	var value [6]byte
	binary.BigEndian.PutUint32(value[2:], uint32(coordinatorEpoch))

	start := len(dst)
	dst = append(dst, zeroHeader[:]...)
	bodyLen := recordBodySize(0, 0, key[:], value[:], nil)
	dst = appendVarint(dst, int64(bodyLen))
	dst = append(dst, 0)       // attributes
	dst = appendVarint(dst, 0) // timestamp delta
	dst = appendVarint(dst, 0) // offset delta
	dst = appendBytesField(dst, key[:])
	dst = appendBytesField(dst, value[:])
	dst = appendVarint(dst, 0) // headers
	putHeader(dst[start:], &BatchHeader{
		PartitionLeaderEpoch: -1,
		Attributes:           AttrTransactional | AttrControl,
		LastOffsetDelta:      0,
		FirstTimestamp:       timestamp,
		MaxTimestamp:         timestamp,
		ProducerID:           producerID,
		ProducerEpoch:        epoch,
		BaseSequence:         -1,
		NumRecords:           1,
	})
	return dst
}
