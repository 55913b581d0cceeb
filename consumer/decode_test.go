package consumer

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// logBuilder lays out a partition log of hand-built batches, as a broker
// would hold them, for the decoder tests.
type logBuilder struct {
	t    testing.TB
	data []byte
	next int64
	// starts are the byte offsets at which batches start, by base offset.
	starts map[int64]int
}

func newLog(t testing.TB) *logBuilder {
	return &logBuilder{t: t, starts: make(map[int64]int)}
}

// batch appends a data batch; pid < 0 means not transactional.
func (l *logBuilder) batch(pid int64, codec records.Codec, values ...string) *logBuilder {
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(nil, ts)
	for _, v := range values {
		b.Append(ts, nil, []byte(v), nil)
	}
	o := records.NewFinishOptions(codec, 0)
	if pid >= 0 {
		o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, 0, 0, true
	}
	batch, err := b.Finish(o)
	require.NoError(l.t, err)
	return l.add(batch, int64(len(values)))
}

// marker appends a transaction marker of a producer.
func (l *logBuilder) marker(pid int64, commit bool) *logBuilder {
	return l.add(records.AppendControlBatch(nil, pid, 0, commit, 3, time.Now().UnixMilli()), 1)
}

func (l *logBuilder) add(batch []byte, n int64) *logBuilder {
	records.SetBaseOffset(batch, l.next)
	records.SetPartitionLeaderEpoch(batch, 7)
	l.starts[l.next] = len(l.data)
	l.data = append(l.data, batch...)
	l.next += n
	return l
}

// txnLog is a log with transactions of two producers:
//
//	0-1 plain a b, 2-3 txn(10) aborted, 4-5 txn(11) committed,
//	6 ABORT(10), 7 COMMIT(11), 8-9 txn(10) committed, 10 COMMIT(10), 11 plain c
func txnLog(t testing.TB, codec records.Codec) *logBuilder {
	return newLog(t).
		batch(-1, codec, "a", "b").
		batch(10, codec, "t10-0", "t10-1").
		batch(11, codec, "t11-0", "t11-1").
		marker(10, false).
		marker(11, true).
		batch(10, codec, "t10-2", "t10-3").
		marker(10, true).
		batch(-1, codec, "c")
}

func recValues(recs []records.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func TestDecodePartition(t *testing.T) {
	aborted10 := []abortedTxn{{producerID: 10, firstOffset: 2}}
	for _, codec := range []records.Codec{records.CodecNone, records.CodecZstd} {
		l := txnLog(t, codec)
		tests := []struct {
			name string
			in   decodeInput
			want []string
			next int64
		}{
			{"read uncommitted returns every data record", decodeInput{data: l.data, lastStable: -1},
				[]string{"a", "b", "t10-0", "t10-1", "t11-0", "t11-1", "t10-2", "t10-3", "c"}, 12},
			{"read committed skips the aborted transaction", decodeInput{data: l.data, readCommitted: true, lastStable: 12, aborted: aborted10},
				[]string{"a", "b", "t11-0", "t11-1", "t10-2", "t10-3", "c"}, 12},
			{"read committed stops at the last stable offset", decodeInput{data: l.data, readCommitted: true, lastStable: 8, aborted: aborted10},
				[]string{"a", "b", "t11-0", "t11-1"}, 8},
			{"fetch offset inside a batch", decodeInput{data: l.data, fetchOffset: 1, lastStable: -1},
				[]string{"b", "t10-0", "t10-1", "t11-0", "t11-1", "t10-2", "t10-3", "c"}, 12},
			{"only markers and aborted data left", decodeInput{data: l.data[l.starts[2]:l.starts[4]], fetchOffset: 2, readCommitted: true, lastStable: 12, aborted: aborted10},
				nil, 4},
			{"control batches alone advance the offset", decodeInput{data: l.data[l.starts[6]:l.starts[8]], fetchOffset: 6, lastStable: -1},
				nil, 8},
			{"partial trailing batch is dropped", decodeInput{data: l.data[:l.starts[4]+20], lastStable: -1},
				[]string{"a", "b", "t10-0", "t10-1"}, 4},
			{"empty", decodeInput{fetchOffset: 5, lastStable: -1}, nil, 5},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", codec, tt.name), func(t *testing.T) {
				var dec records.Decoder
				got := decodePartition(&dec, tt.in)
				require.NoError(t, got.err)
				assert.Equal(t, tt.want, nilIfEmpty(recValues(got.recs)))
				assert.Equal(t, tt.next, got.nextOffset)
				// Batch metadata covers every record, with the batch's epoch.
				if len(got.recs) > 0 {
					require.NotEmpty(t, got.batches)
					assert.Equal(t, len(got.recs), got.batches[len(got.batches)-1].end)
					for _, b := range got.batches {
						assert.Equal(t, int32(7), b.epoch)
					}
				}
				for i := 1; i < len(got.recs); i++ {
					assert.Less(t, got.recs[i-1].Offset, got.recs[i].Offset)
				}
			})
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestDecodePartitionCorruptBatch(t *testing.T) {
	l := txnLog(t, records.CodecNone)
	data := append([]byte(nil), l.data...)
	data[l.starts[4]+records.HeaderSize+2] ^= 0xff // inside the records, under the CRC
	var dec records.Decoder
	got := decodePartition(&dec, decodeInput{data: data, lastStable: -1})
	require.Error(t, got.err)
	assert.ErrorIs(t, got.err, samsa.ErrCorruptBatch)
	assert.Equal(t, []string{"a", "b", "t10-0", "t10-1"}, recValues(got.recs))
	assert.Equal(t, int64(4), got.nextOffset, "the next fetch starts at the corrupt batch")
}

func TestAbortedFromSorts(t *testing.T) {
	got := abortedFrom(nil)
	assert.Nil(t, got)
}

// FuzzDecodePartition feeds arbitrary bytes to the fetch decoder: it may
// report corruption, never panic, and never return records before the fetch
// offset or out of order.
func FuzzDecodePartition(f *testing.F) {
	l := txnLog(f, records.CodecNone)
	f.Add(l.data, int64(0), true, int64(12))
	f.Add(l.data[:len(l.data)-3], int64(3), false, int64(-1))
	f.Add(txnLog(f, records.CodecGzip).data, int64(5), true, int64(9))
	f.Add([]byte{}, int64(0), false, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, fetchOffset int64, committed bool, lso int64) {
		var dec records.Decoder
		dec.MaxDecompressedSize = 1 << 20
		in := decodeInput{data: data, fetchOffset: fetchOffset, readCommitted: committed, lastStable: lso,
			aborted: []abortedTxn{{producerID: 10, firstOffset: 2}}}
		got := decodePartition(&dec, in)
		assert.GreaterOrEqual(t, got.nextOffset, fetchOffset)
		end := 0
		for _, b := range got.batches {
			assert.Greater(t, b.end, end)
			end = b.end
		}
		assert.Equal(t, len(got.recs), end)
		for i, r := range got.recs {
			assert.GreaterOrEqual(t, r.Offset, fetchOffset)
			if i > 0 {
				assert.Greater(t, r.Offset, got.recs[i-1].Offset)
			}
			if committed && lso >= 0 {
				assert.Less(t, r.Offset, lso)
			}
		}
	})
}
