package consumer

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/serde"
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

func recValues(recs []Record[[]byte, []byte]) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

// decodeAs decodes a fetched partition and builds its records as the Poll
// of a Consumer[K, V] with these deserializers does.
func decodeAs[K, V any](keyDe serde.Deserializer[K], valDe serde.Deserializer[V], dec *records.Decoder, tp samsa.TopicPartition, in decodeInput) ([]Record[K, V], decoded) {
	d := decodePart(dec, tp, in)
	if d.recs == nil {
		return nil, d
	}
	if d.recs.Len() != d.n {
		panic("decoded count differs from the part")
	}
	c := &Consumer[K, V]{conv: newConverter(keyDe, valDe)}
	return c.gather([]span{{recs: d.recs, to: d.n}}), d
}

// decodeBytes decodes a fetched partition as a Consumer[[]byte, []byte]
// does and returns its records with the outcome.
func decodeBytes(dec *records.Decoder, in decodeInput) ([]Record[[]byte, []byte], decoded) {
	return decodeAs(serde.Bytes(), serde.Bytes(), dec, samsa.TopicPartition{Topic: "t", Partition: 3}, in)
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
				recs, got := decodeBytes(&dec, tt.in)
				require.NoError(t, got.err)
				assert.Equal(t, tt.want, nilIfEmpty(recValues(recs)))
				assert.Equal(t, tt.next, got.nextOffset)

				// The batch header scan that lets the next fetch go out
				// before decoding predicts the same next offset, and
				// decoding the batches it split gives the same records.
				batches, splitErr := splitBatches(tt.in.data)
				require.NoError(t, splitErr)
				lastStable := int64(-1)
				if tt.in.readCommitted {
					lastStable = tt.in.lastStable
				}
				next, ok := scanNextOffset(batches, tt.in.fetchOffset, lastStable)
				require.True(t, ok)
				assert.Equal(t, tt.next, next)
				pre := tt.in
				pre.split, pre.batches = true, batches
				preRecs, preGot := decodeBytes(&dec, pre)
				assert.Equal(t, recValues(recs), recValues(preRecs))
				assert.Equal(t, got.nextOffset, preGot.nextOffset)

				for i, r := range recs {
					// Every record carries its batch's epoch and its
					// partition, and positions report them.
					assert.Equal(t, int32(7), r.LeaderEpoch)
					assert.Equal(t, samsa.TopicPartition{Topic: "t", Partition: 3}, r.TopicPartition())
					off, epoch := got.recs.Position(i)
					assert.Equal(t, r.Offset, off)
					assert.Equal(t, int32(7), epoch)
					assert.NoError(t, r.Err)
					if i > 0 {
						assert.Less(t, recs[i-1].Offset, r.Offset)
					}
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
	recs, got := decodeBytes(&dec, decodeInput{data: data, lastStable: -1})
	require.Error(t, got.err)
	assert.ErrorIs(t, got.err, samsa.ErrCorruptBatch)
	assert.Equal(t, []string{"a", "b", "t10-0", "t10-1"}, recValues(recs))
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
		recs, got := decodeBytes(&dec, in)
		assert.GreaterOrEqual(t, got.nextOffset, fetchOffset)
		for i, r := range recs {
			assert.GreaterOrEqual(t, r.Offset, fetchOffset)
			if i > 0 {
				assert.Greater(t, r.Offset, recs[i-1].Offset)
			}
			if committed && lso >= 0 {
				assert.Less(t, r.Offset, lso)
			}
		}
	})
}

// oneBatch returns the bytes of one batch at base offset 40 holding the
// given values, each with one header h=<value>.
func oneBatch(t *testing.T, values ...string) []byte {
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(nil, ts)
	for _, v := range values {
		b.Append(ts, []byte("k-"+v), []byte(v), []samsa.Header{{Key: "h", Value: []byte(v)}})
	}
	batch, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(t, err)
	records.SetBaseOffset(batch, 40)
	return batch
}

func TestConverterDeserializers(t *testing.T) {
	data := oneBatch(t, "1", "x", "3")
	atoi := serde.DeserializerFunc[int](func(_ string, _ []samsa.Header, b []byte) (int, error) {
		return strconv.Atoi(string(b))
	})
	panicky := serde.DeserializerFunc[string](func(_ string, _ []samsa.Header, b []byte) (string, error) {
		if string(b) == "k-x" {
			panic("bad key")
		}
		return string(b), nil
	})
	tp := samsa.TopicPartition{Topic: "t", Partition: 1}
	in := decodeInput{data: data, fetchOffset: 40, lastStable: -1}
	var dec records.Decoder

	t.Run("a failing value is the record's error", func(t *testing.T) {
		recs, d := decodeAs[string, int](serde.String(), atoi, &dec, tp, in)
		require.NoError(t, d.err)
		require.Len(t, recs, 3)
		assert.Equal(t, []int{1, 0, 3}, []int{recs[0].Value, recs[1].Value, recs[2].Value})
		assert.Equal(t, "k-x", recs[1].Key, "the key still deserialized")
		var re *RecordError
		require.ErrorAs(t, recs[1].Err, &re)
		assert.Equal(t, RecordError{TopicPartition: tp, Offset: 41, Key: []byte("k-x"), Value: []byte("x"), Err: re.Err}, *re)
		assert.Equal(t, serde.FieldValue, re.Err.Field)
		assert.ErrorIs(t, re, strconv.ErrSyntax)
		assert.NoError(t, recs[0].Err)
		assert.NoError(t, recs[2].Err)
	})
	t.Run("a panicking key deserializer fails the record, and the key wins", func(t *testing.T) {
		recs, _ := decodeAs[string, int](panicky, atoi, &dec, tp, in)
		require.Len(t, recs, 3)
		var se *serde.Error
		require.ErrorAs(t, recs[1].Err, &se)
		assert.Equal(t, serde.FieldKey, se.Field)
		assert.Equal(t, serde.OpDeserialize, se.Op)
		assert.Contains(t, se.Error(), "bad key")
		assert.Equal(t, "", recs[1].Key)
		assert.Equal(t, "k-3", recs[2].Key)
	})
	t.Run("headers, timestamps and positions", func(t *testing.T) {
		recs, d := decodeAs(serde.Bytes(), serde.String(), &dec, tp, in)
		require.Len(t, recs, 3)
		for i, r := range recs {
			assert.Equal(t, int64(40+i), r.Offset)
			assert.Equal(t, []samsa.Header{{Key: "h", Value: []byte(r.Value)}}, r.Headers)
			assert.Equal(t, "k-"+r.Value, string(r.Key))
			assert.Equal(t, CreateTime, r.TimestampType)
			assert.False(t, r.Timestamp.IsZero())
			assert.Equal(t, int32(-1), r.LeaderEpoch)
			assert.Len(t, r.Headers, cap(r.Headers), "headers cannot be appended into a neighbour's")
		}
		off, epoch := d.recs.Position(2)
		assert.Equal(t, int64(42), off)
		assert.Equal(t, int32(-1), epoch)
	})
}

// TestNullAndEmptyBytes: null and empty keys, values and header values
// stay apart through the compact form, uncompressed and compressed, and
// so do the bytes around them.
func TestNullAndEmptyBytes(t *testing.T) {
	for _, codec := range []records.Codec{records.CodecNone, records.CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			var b records.Builder
			ts := time.Now().UnixMilli()
			b.Reset(nil, ts)
			b.Append(ts, nil, nil, nil)
			b.Append(ts, []byte{}, []byte{}, []samsa.Header{{Key: "", Value: nil}, {Key: "e", Value: []byte{}}})
			b.Append(ts, []byte("k"), nil, []samsa.Header{{Key: "h", Value: []byte("v")}})
			b.Append(ts, nil, []byte("last"), nil)
			batch, err := b.Finish(records.NewFinishOptions(codec, 0))
			require.NoError(t, err)
			var dec records.Decoder
			recs, d := decodeBytes(&dec, decodeInput{data: batch, lastStable: -1})
			require.NoError(t, d.err)
			require.Len(t, recs, 4)

			assert.Nil(t, recs[0].Key)
			assert.Nil(t, recs[0].Value)
			assert.Nil(t, recs[0].Headers)

			require.NotNil(t, recs[1].Key)
			require.NotNil(t, recs[1].Value)
			assert.Empty(t, recs[1].Key)
			assert.Empty(t, recs[1].Value)
			require.Len(t, recs[1].Headers, 2)
			assert.Equal(t, "", recs[1].Headers[0].Key)
			assert.Nil(t, recs[1].Headers[0].Value)
			assert.Equal(t, "e", recs[1].Headers[1].Key)
			require.NotNil(t, recs[1].Headers[1].Value)
			assert.Empty(t, recs[1].Headers[1].Value)

			assert.Equal(t, "k", string(recs[2].Key))
			assert.Nil(t, recs[2].Value)
			assert.Equal(t, []samsa.Header{{Key: "h", Value: []byte("v")}}, recs[2].Headers)

			assert.Nil(t, recs[3].Key)
			assert.Equal(t, "last", string(recs[3].Value))
		})
	}
}

func TestGather(t *testing.T) {
	var dec records.Decoder
	decode := func(tp samsa.TopicPartition, values ...string) recordSlab {
		d := decodePart(&dec, tp, decodeInput{data: oneBatch(t, values...), fetchOffset: 40, lastStable: -1})
		require.NoError(t, d.err)
		require.Equal(t, len(values), d.n)
		return d.recs
	}
	tp1, tp2 := samsa.TopicPartition{Topic: "a", Partition: 1}, samsa.TopicPartition{Topic: "b", Partition: 2}
	one := decode(tp1, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
	other := decode(tp2, "x", "y", "z")
	c := &Consumer[[]byte, string]{conv: newConverter(serde.Bytes(), serde.String())}

	got := c.gather([]span{{recs: one, from: 2, to: 6}})
	require.Len(t, got, 4)
	assert.Equal(t, 4, cap(got))
	for i, r := range got {
		assert.Equal(t, int64(42+i), r.Offset)
		assert.Equal(t, strconv.Itoa(2+i), r.Value)
		assert.Equal(t, tp1, r.TopicPartition())
	}
	// Keys alias the fetched bytes, capacity capped so that appending to
	// one copies rather than overwriting what follows it.
	assert.Equal(t, len(got[0].Key), cap(got[0].Key))
	again := c.gather([]span{{recs: one, from: 2, to: 3}})
	assert.Same(t, &got[0].Key[0], &again[0].Key[0], "no copy of the record bytes")
	_ = append(got[0].Key, 'X')
	assert.Equal(t, "k-2", string(again[0].Key))
	assert.Equal(t, "3", got[1].Value, "the next record is untouched by an append")

	two := c.gather([]span{{recs: one, from: 8, to: 10}, {recs: other, from: 0, to: 3}})
	var offs []int64
	var vals []string
	for _, r := range two {
		offs = append(offs, r.Offset)
		vals = append(vals, r.Value)
	}
	assert.Equal(t, []int64{48, 49, 40, 41, 42}, offs)
	assert.Equal(t, []string{"8", "9", "x", "y", "z"}, vals)
	assert.Equal(t, tp2, two[4].TopicPartition())
	assert.Equal(t, []samsa.Header{{Key: "h", Value: []byte("z")}}, two[4].Headers)
	assert.Len(t, two[4].Headers, cap(two[4].Headers), "headers cannot be appended into a neighbour's")
}

// TestScanNextOffset checks the cases where the batch header scan leaves
// the next offset to the decoding, or stops early.
func TestScanNextOffset(t *testing.T) {
	l := txnLog(t, records.CodecNone)
	batches, err := splitBatches(l.data)
	require.NoError(t, err)
	for _, tt := range []struct {
		name                    string
		fetchOffset, lastStable int64
		next                    int64
		ok                      bool
	}{
		{"read uncommitted: after the last batch", 0, -1, 12, true},
		{"last stable offset at a batch start", 0, 2, 2, true},
		{"last stable offset inside a batch: decoding decides", 0, 1, 0, false},
		{"fetch offset past every batch", 20, -1, 20, true},
		{"a straddling batch already before the position is skipped", 2, 1, 2, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next, ok := scanNextOffset(batches, tt.fetchOffset, tt.lastStable)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.next, next)
			}
		})
	}

	corrupt := append([]byte(nil), l.data...)
	corrupt[len(corrupt)-1] ^= 0xff // the last batch's CRC no longer matches
	got, err := splitBatches(corrupt)
	require.ErrorIs(t, err, samsa.ErrCorruptBatch)
	assert.Len(t, got, len(batches)-1, "the batches before the corrupt one are kept")
}
