package records

import (
	"errors"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControlBatches(t *testing.T) {
	// Two markers back to back, as they sit in a log between data batches.
	var log []byte
	log = AppendControlBatch(log, 1000, 2, true, 17, 5555)
	log = AppendControlBatch(log, 1001, 0, false, -1, 6666)
	want := []struct {
		pid    int64
		epoch  int16
		typ    ControlType
		coord  int32
		ts     int64
		offset int64
	}{
		{1000, 2, ControlCommit, 17, 5555, 40},
		{1001, 0, ControlAbort, -1, 6666, 41},
	}
	SetBaseOffset(log, 40)
	_, _, rest, err := ReadBatch(log)
	require.NoError(t, err)
	SetBaseOffset(rest, 41)

	var d Decoder
	for i, w := range want {
		hdr, batch, r, err := ReadBatch(log)
		require.NoError(t, err, "batch %d", i)
		log = r
		assert.True(t, hdr.IsControl())
		assert.True(t, hdr.IsTransactional())
		assert.Equal(t, w.pid, hdr.ProducerID)
		assert.Equal(t, w.epoch, hdr.ProducerEpoch)
		assert.Equal(t, int32(-1), hdr.BaseSequence)
		assert.Equal(t, int32(-1), hdr.PartitionLeaderEpoch)
		assert.Equal(t, int32(0), hdr.LastOffsetDelta)
		assert.Equal(t, w.ts, hdr.FirstTimestamp)
		assert.Equal(t, w.ts, hdr.MaxTimestamp)
		recs, err := d.Records(hdr, batch, nil)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		assert.Equal(t, w.offset, recs[0].Offset)
		assert.Equal(t, w.ts, recs[0].Timestamp)
		cr, err := ParseControlRecord(recs[0].Key, recs[0].Value)
		require.NoError(t, err)
		assert.Equal(t, ControlRecord{Type: w.typ, Version: 0, CoordinatorEpoch: w.coord}, cr)
	}
	assert.Empty(t, log)
}

func TestParseControlRecord(t *testing.T) {
	tests := []struct {
		name       string
		key, value []byte
		want       ControlRecord
		err        string
	}{
		{name: "commit", key: []byte{0, 0, 0, 1}, value: []byte{0, 0, 0, 0, 0, 5}, want: ControlRecord{Type: ControlCommit, CoordinatorEpoch: 5}},
		{name: "abort", key: []byte{0, 0, 0, 0}, value: []byte{0, 0, 0xff, 0xff, 0xff, 0xff}, want: ControlRecord{Type: ControlAbort, CoordinatorEpoch: -1}},
		{name: "newer versions with extra fields", key: []byte{0, 3, 0, 1, 9, 9}, value: []byte{0, 2, 0, 0, 0, 7, 1, 2, 3}, want: ControlRecord{Type: ControlCommit, Version: 3, CoordinatorEpoch: 7}},
		{name: "leader change needs no marker value", key: []byte{0, 0, 0, 2}, want: ControlRecord{Type: ControlLeaderChange}},
		{name: "unknown type is reported, not refused", key: []byte{0, 0, 0x12, 0x34}, want: ControlRecord{Type: 0x1234}},
		{name: "short key", key: []byte{0, 0, 0}, err: "key of 3 bytes"},
		{name: "null key", key: nil, err: "key of 0 bytes"},
		{name: "negative key version", key: []byte{0xff, 0xff, 0, 1}, value: []byte{0, 0, 0, 0, 0, 0}, err: "key version -1"},
		{name: "short marker", key: []byte{0, 0, 0, 1}, value: []byte{0, 0, 0, 0, 5}, err: "COMMIT marker value of 5 bytes"},
		{name: "negative marker version", key: []byte{0, 0, 0, 0}, value: []byte{0x80, 0, 0, 0, 0, 0}, err: "ABORT marker value version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseControlRecord(tt.key, tt.value)
			if tt.err != "" {
				require.ErrorIs(t, err, samsa.ErrCorruptBatch)
				var ce *CorruptError
				require.True(t, errors.As(err, &ce))
				assert.Contains(t, err.Error(), tt.err)
				assert.NotContains(t, err.Error(), "at offset", "no batch offset is known here")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestControlTypeString(t *testing.T) {
	names := map[ControlType]string{
		ControlAbort: "ABORT", ControlCommit: "COMMIT", ControlLeaderChange: "LEADER_CHANGE",
		ControlSnapshotHeader: "SNAPSHOT_HEADER", ControlSnapshotFooter: "SNAPSHOT_FOOTER",
		ControlKRaftVersion: "KRAFT_VERSION", ControlKRaftVoters: "KRAFT_VOTERS", 99: "CONTROL(99)",
	}
	for typ, want := range names {
		assert.Equal(t, want, typ.String())
	}
}
