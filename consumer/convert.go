package consumer

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/serde"
)

// Records are built once, on the fetch goroutine that decoded them: the
// record batches of a fetched partition are decoded straight into one slab
// of Record[K, V] (deserializers included), and Poll hands out subslices
// of that slab — no intermediate form, no copy — unless one poll gathers
// records of several partitions, which it then copies into one slice.

// slab is the records of one fetched partition; it implements recordSlab.
type slab[K, V any] []Record[K, V]

// Len returns the number of records.
func (s slab[K, V]) Len() int { return len(s) }

// Position returns the offset and leader epoch of record i.
func (s slab[K, V]) Position(i int) (int64, int32) { return s[i].Offset, s[i].LeaderEpoch }

// bytesSerdeType is the dynamic type of serde.Bytes(), whose Deserialize
// returns its input: keys and values it deserializes are assigned without
// the call.
var bytesSerdeType = reflect.TypeOf(serde.Bytes())

// converter turns fetched record batches into Records with the consumer's
// deserializers. It implements partDecoder; safe for concurrent use, as
// deserializers must be.
type converter[K, V any] struct {
	keyDe serde.Deserializer[K]
	valDe serde.Deserializer[V]
	// keyBytes and valBytes say that the deserializer is serde.Bytes
	// (and K or V is thus []byte).
	keyBytes, valBytes bool
}

func newConverter[K, V any](keyDe serde.Deserializer[K], valDe serde.Deserializer[V]) *converter[K, V] {
	return &converter[K, V]{
		keyDe: keyDe, valDe: valDe,
		keyBytes: reflect.TypeOf(keyDe) == bytesSerdeType,
		valBytes: reflect.TypeOf(valDe) == bytesSerdeType,
	}
}

// decodePart decodes one fetched partition into a slab of Records.
func (cv *converter[K, V]) decodePart(dec *records.Decoder, tp samsa.TopicPartition, in decodeInput) decoded {
	b := slabBuilder[K, V]{cv: cv, tp: tp}
	next, err := decodePartition(dec, in, &b)
	d := decoded{nextOffset: next, err: err}
	if len(b.recs) > 0 {
		d.recs, d.n = b.recs, len(b.recs)
	}
	return d
}

// slabBuilder is the recordSink that converts a partition's records.
type slabBuilder[K, V any] struct {
	cv   *converter[K, V]
	tp   samsa.TopicPartition
	recs slab[K, V]
	// hslab is where the records' headers go, carved out per record.
	hslab []samsa.Header
}

func (b *slabBuilder[K, V]) reserve(n int) {
	b.recs = slices.Grow(b.recs, n)
}

func (b *slabBuilder[K, V]) appendBatch(dec *records.Decoder, hdr *records.BatchHeader, batch []byte, from, below int64) (int, int64, bool, error) {
	cv := b.cv
	topic := b.tp.Topic
	tsType := CreateTime
	if hdr.LogAppendTime() {
		tsType = LogAppendTime
	}
	start := len(b.recs)
	stopped := false
	it := dec.IterKeep(*hdr, batch)
	var r records.Record
	for it.Next(&r) {
		if r.Offset < from {
			continue
		}
		if below >= 0 && r.Offset >= below {
			stopped = true
			break
		}
		from = r.Offset + 1
		if len(b.recs) == cap(b.recs) {
			b.recs = slices.Grow(b.recs, int(hdr.NumRecords))
		}
		b.recs = b.recs[:len(b.recs)+1]
		rec := &b.recs[len(b.recs)-1]
		rec.Topic, rec.Partition = topic, b.tp.Partition
		rec.Offset = r.Offset
		rec.Timestamp = time.UnixMilli(r.Timestamp)
		rec.TimestampType = tsType
		rec.LeaderEpoch = hdr.PartitionLeaderEpoch
		if n := len(r.Headers); n > 0 {
			if cap(b.hslab)-len(b.hslab) < n {
				// Size the next chunk as if the batch's remaining records
				// had as many headers as this one, within what the batch
				// can hold (a header takes at least 2 bytes).
				left := max(int(hdr.NumRecords)-(len(b.recs)-start), 1)
				b.hslab = make([]samsa.Header, 0, min(n*left, n+len(batch)/2))
			}
			hs := b.hslab[len(b.hslab) : len(b.hslab)+n : len(b.hslab)+n]
			b.hslab = b.hslab[:len(b.hslab)+n]
			for k, h := range r.Headers {
				hs[k] = samsa.Header{Key: string(h.Key), Value: h.Value}
			}
			rec.Headers = hs
		}
		var kErr, vErr *serde.Error
		if cv.keyBytes {
			*any(&rec.Key).(*[]byte) = r.Key
		} else {
			rec.Key, kErr = deserialize(cv.keyDe, serde.FieldKey, topic, rec.Headers, r.Key)
		}
		if cv.valBytes {
			*any(&rec.Value).(*[]byte) = r.Value
		} else {
			rec.Value, vErr = deserialize(cv.valDe, serde.FieldValue, topic, rec.Headers, r.Value)
		}
		if kErr != nil || vErr != nil {
			se := kErr // the key's failure is reported if both failed
			if se == nil {
				se = vErr
			}
			rec.Err = &RecordError{TopicPartition: b.tp, Offset: r.Offset, Key: r.Key, Value: r.Value, Err: se}
		}
	}
	if err := it.Err(); err != nil && !stopped {
		// The batch is returned whole or not at all.
		clear(b.recs[start:])
		b.recs = b.recs[:start]
		return 0, from, false, err
	}
	return len(b.recs) - start, from, stopped, nil
}

// deserialize runs a deserializer on one key or value. A failure, or a
// panic of the deserializer, is returned as a *serde.Error naming the
// field (the record is then returned with Err set, like any record that
// did not deserialize), with the zero value.
func deserialize[T any](d serde.Deserializer[T], f serde.Field, topic string, hs []samsa.Header, data []byte) (v T, se *serde.Error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v = zero
			se = &serde.Error{Topic: topic, Op: serde.OpDeserialize, Field: f, Err: fmt.Errorf("deserializer panicked: %v", p)}
		}
	}()
	v, err := serde.Deserialize(d, f, topic, hs, data)
	if err != nil {
		if !errors.As(err, &se) {
			se = &serde.Error{Topic: topic, Op: serde.OpDeserialize, Field: f, Err: err}
		}
		return v, se
	}
	return v, nil
}

// gather returns the records of the spans of one poll: a subslice of the
// partition's slab (capacity capped, so appending to it copies) when they
// all come from one partition, a new slice otherwise.
func (c *Consumer[K, V]) gather(spans []span) []Record[K, V] {
	if len(spans) == 1 {
		sp := &spans[0]
		s := sp.recs.(slab[K, V])
		return s[sp.from:sp.to:sp.to]
	}
	out := make([]Record[K, V], 0, spansLen(spans))
	for i := range spans {
		sp := &spans[i]
		out = append(out, sp.recs.(slab[K, V])[sp.from:sp.to]...)
	}
	return out
}
