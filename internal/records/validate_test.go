package records

import (
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateProduce(t *testing.T) {
	recs := []testRecord{{ts: 1, value: []byte("a")}, {ts: 2, value: []byte("b")}, {ts: 3, value: []byte("c")}}
	// patch rewrites one header field of a good batch and fixes the CRC.
	patch := func(f func(h *BatchHeader)) []byte {
		b := build(t, 1, recs, NewFinishOptions(CodecZstd, 0))
		h, _, _, err := ReadBatch(b)
		require.NoError(t, err)
		f(&h)
		putHeader(b, &h)
		return b
	}
	// Two records with offset deltas 0 and 5 (1 belongs there).
	var sec []byte
	for _, delta := range []int64{0, 5} {
		sec = appendVarint(sec, int64(recordBodySize(0, int32(delta), nil, []byte("v"), nil)))
		sec = append(sec, 0)
		sec = appendVarint(sec, 0)
		sec = appendVarint(sec, delta)
		sec = appendBytesField(sec, nil)
		sec = appendBytesField(sec, []byte("v"))
		sec = appendVarint(sec, 0)
	}
	withGap := rawBatch(0, 2, sec)

	tests := []struct {
		name    string
		batch   []byte
		invalid string // ErrInvalidBatch with this text
		corrupt bool
	}{
		{name: "good", batch: build(t, 1, recs, NewFinishOptions(CodecZstd, 0))},
		{name: "base offset set", batch: patch(func(h *BatchHeader) { h.BaseOffset = 9 }), invalid: "base offset 9"},
		{name: "control batch", batch: AppendControlBatch(nil, 1, 1, true, 1, 1), invalid: "control batches"},
		{name: "no records", batch: rawBatch(0, 0, nil), invalid: "no records"},
		{name: "last offset delta off", batch: patch(func(h *BatchHeader) { h.LastOffsetDelta = 7 }), invalid: "last offset delta 7 with 3 records"},
		{name: "transactional without producer", batch: patch(func(h *BatchHeader) { h.Attributes |= AttrTransactional }), invalid: "without a producer id"},
		{name: "offset delta gap", batch: withGap, invalid: "record 1 has offset delta 5"},
		{name: "count larger than records", batch: patch(func(h *BatchHeader) { h.NumRecords, h.LastOffsetDelta = 4, 3 }), corrupt: true},
	}
	var d Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, batch, _, err := ReadBatch(tt.batch)
			require.NoError(t, err)
			err = d.ValidateProduce(hdr, batch)
			switch {
			case tt.invalid != "":
				require.ErrorIs(t, err, ErrInvalidBatch)
				assert.Contains(t, err.Error(), tt.invalid)
			case tt.corrupt:
				require.ErrorIs(t, err, samsa.ErrCorruptBatch)
				assert.NotErrorIs(t, err, ErrInvalidBatch)
			default:
				require.NoError(t, err)
			}
		})
	}
}
