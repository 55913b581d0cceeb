package consumer

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/serde"
)

// Records are decoded in two steps. The fetch goroutine of a broker walks
// the record batches of a fetched partition (decodePartition), checking
// every record's framing, and keeps each record as a compactRec: offsets
// into the fetched bytes and no pointers, so that the garbage collector
// never scans what waits in the buffer (a Record[K, V] holds five pointers;
// scanning buffered Records made up most of a fast consumer's GC work).
// Poll then builds the Record[K, V]s it returns from those entries, on the
// caller's goroutine, running the deserializers there as the Java client
// does. Nothing is copied: keys, values and header values are subslices of
// the fetched (or decompressed) bytes.

// compactRec is one record of a compactPart.
type compactRec struct {
	offset, timestamp int64
	// key and value start at these offsets in their batch's data; a
	// length of -1 is null.
	key, keyLen     int32
	value, valueLen int32
	// headers indexes compactPart.headers; numHeaders follow it.
	headers, numHeaders int32
	batch               int32 // index into compactPart.batches
}

// compactHeader is one record header of a compactPart, as offsets into
// its record's batch data; a value length of -1 is null.
type compactHeader struct {
	key, keyLen     int32
	value, valueLen int32
}

// compactBatch is what the records of one batch share.
type compactBatch struct {
	data        []byte // the batch's records section, which offsets refer to
	leaderEpoch int32
	tsType      TimestampType
}

// compactPart is the records of one fetched partition, decoded but not yet
// turned into Records; it implements recordSlab.
type compactPart struct {
	tp      samsa.TopicPartition
	recs    []compactRec
	headers []compactHeader
	batches []compactBatch
}

// Len returns the number of records.
func (p *compactPart) Len() int { return len(p.recs) }

// Position returns the offset and leader epoch of record i.
func (p *compactPart) Position(i int) (int64, int32) {
	r := &p.recs[i]
	return r.offset, p.batches[r.batch].leaderEpoch
}

// compactRecs recycles the record entries of compact parts that Poll has
// wholly turned into Records: nothing refers to them any more (Records
// refer to the fetched bytes, not to the entries).
var compactRecs sync.Pool

func getCompactRecs() []compactRec {
	if p, ok := compactRecs.Get().(*[]compactRec); ok {
		return (*p)[:0]
	}
	return nil
}

// recycle gives p's record entries back for another fetched partition. p
// must not be used afterwards.
func (p *compactPart) recycle() {
	if cap(p.recs) > 0 {
		recs := p.recs[:0]
		compactRecs.Put(&recs)
	}
	p.recs, p.headers, p.batches = nil, nil, nil
}

// bytesOf returns the bytes at off with length n in data, nil for n < 0.
// The capacity is capped so that appending to them copies.
func bytesOf(data []byte, off, n int32) []byte {
	if n < 0 {
		return nil
	}
	return data[off : off+n : off+n]
}

// bytesSerdeType is the dynamic type of serde.Bytes(), whose Deserialize
// returns its input: keys and values it deserializes are assigned without
// the call.
var bytesSerdeType = reflect.TypeOf(serde.Bytes())

// converter turns compact parts into Records with the consumer's
// deserializers, on the goroutine calling Poll.
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

// decodePart decodes one fetched partition into a compact part. Safe for
// concurrent use with one Decoder per goroutine: every broker's fetch
// goroutine calls it.
func decodePart(dec *records.Decoder, tp samsa.TopicPartition, in decodeInput) decoded {
	b := compactBuilder{part: &compactPart{tp: tp, recs: getCompactRecs()}}
	next, err := decodePartition(dec, in, &b)
	d := decoded{nextOffset: next, err: err}
	if n := len(b.part.recs); n > 0 {
		d.recs, d.n = b.part, n
	} else {
		b.part.recycle() // nothing to return: the entries go back at once
	}
	return d
}

// compactBuilder is the recordSink that builds a compactPart.
type compactBuilder struct {
	part *compactPart
}

func (b *compactBuilder) reserve(n int) {
	b.part.recs = slices.Grow(b.part.recs, n)
}

// errOutsideSection reports record bytes that do not lie in their batch's
// records section, which the records package guarantees; it is a safety
// net, not an expected failure.
var errOutsideSection = errors.New("record bytes outside their batch")

func (b *compactBuilder) appendBatch(dec *records.Decoder, hdr *records.BatchHeader, batch []byte, from, below int64) (int, int64, bool, error) {
	p := b.part
	it := dec.IterKeep(*hdr, batch)
	data := it.Section()
	base := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	size := uintptr(len(data))
	// offsetOf returns where v lies in data and its length, -1 if null.
	offsetOf := func(v []byte) (int32, int32, bool) {
		if v == nil {
			return 0, -1, true
		}
		off := uintptr(unsafe.Pointer(unsafe.SliceData(v))) - base
		if off > size || uintptr(len(v)) > size-off {
			return 0, 0, false
		}
		return int32(off), int32(len(v)), true
	}
	tsType := CreateTime
	if hdr.LogAppendTime() {
		tsType = LogAppendTime
	}
	batchIndex := int32(len(p.batches))
	startRecs, startHeaders := len(p.recs), len(p.headers)
	stopped := false
	var err error
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
		e := compactRec{offset: r.Offset, timestamp: r.Timestamp, batch: batchIndex, headers: int32(len(p.headers)), numHeaders: int32(len(r.Headers))}
		var okKey, okValue bool
		e.key, e.keyLen, okKey = offsetOf(r.Key)
		e.value, e.valueLen, okValue = offsetOf(r.Value)
		if !okKey || !okValue {
			err = errOutsideSection
			break
		}
		for _, h := range r.Headers {
			var ch compactHeader
			var okK, okV bool
			ch.key, ch.keyLen, okK = offsetOf(h.Key)
			ch.value, ch.valueLen, okV = offsetOf(h.Value)
			if !okK || !okV {
				err = errOutsideSection
				break
			}
			p.headers = append(p.headers, ch)
		}
		if err != nil {
			break
		}
		if len(p.recs) == cap(p.recs) {
			p.recs = slices.Grow(p.recs, int(hdr.NumRecords))
		}
		p.recs = append(p.recs, e)
	}
	if err == nil && !stopped {
		err = it.Err()
	}
	if err != nil {
		// The batch is returned whole or not at all.
		p.recs, p.headers = p.recs[:startRecs], p.headers[:startHeaders]
		return 0, from, false, err
	}
	if n := len(p.recs) - startRecs; n > 0 {
		p.batches = append(p.batches, compactBatch{data: data, leaderEpoch: hdr.PartitionLeaderEpoch, tsType: tsType})
	}
	return len(p.recs) - startRecs, from, stopped, nil
}

// records appends the Records of p.recs[from:to] to dst, deserializing
// keys and values, and returns dst. The capacity of dst beyond its length
// must be zero (as make leaves it). Headers are carved out of hslab, which
// the caller sizes for all of them.
func (cv *converter[K, V]) records(dst []Record[K, V], hslab []samsa.Header, p *compactPart, from, to int) ([]Record[K, V], []samsa.Header) {
	topic := p.tp.Topic
	for i := from; i < to; i++ {
		e := &p.recs[i]
		bt := &p.batches[e.batch]
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, to-i)
		}
		// The new record is zero: the slice was allocated for it.
		dst = dst[:len(dst)+1]
		rec := &dst[len(dst)-1]
		rec.Topic, rec.Partition = topic, p.tp.Partition
		rec.Offset = e.offset
		rec.Timestamp = time.UnixMilli(e.timestamp)
		rec.TimestampType = bt.tsType
		rec.LeaderEpoch = bt.leaderEpoch
		if n := int(e.numHeaders); n > 0 {
			hs := hslab[:n:n]
			hslab = hslab[n:]
			for k, h := range p.headers[e.headers : int(e.headers)+n] {
				hs[k] = samsa.Header{Key: string(bt.data[h.key : h.key+h.keyLen]), Value: bytesOf(bt.data, h.value, h.valueLen)}
			}
			rec.Headers = hs
		}
		key, value := bytesOf(bt.data, e.key, e.keyLen), bytesOf(bt.data, e.value, e.valueLen)
		var kErr, vErr *serde.Error
		if cv.keyBytes {
			*any(&rec.Key).(*[]byte) = key
		} else {
			rec.Key, kErr = deserialize(cv.keyDe, serde.FieldKey, topic, rec.Headers, key)
		}
		if cv.valBytes {
			*any(&rec.Value).(*[]byte) = value
		} else {
			rec.Value, vErr = deserialize(cv.valDe, serde.FieldValue, topic, rec.Headers, value)
		}
		if kErr != nil || vErr != nil {
			se := kErr // the key's failure is reported if both failed
			if se == nil {
				se = vErr
			}
			rec.Err = &RecordError{TopicPartition: p.tp, Offset: e.offset, Key: key, Value: value, Err: se}
		}
	}
	return dst, hslab
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

// gather builds the Records of the spans of one poll, in one new slice.
func (c *Consumer[K, V]) gather(spans []span) []Record[K, V] {
	numHeaders := 0
	for i := range spans {
		sp := &spans[i]
		p := sp.recs.(*compactPart)
		for j := sp.from; j < sp.to; j++ {
			numHeaders += int(p.recs[j].numHeaders)
		}
	}
	var hslab []samsa.Header
	if numHeaders > 0 {
		hslab = make([]samsa.Header, numHeaders)
	}
	out := make([]Record[K, V], 0, spansLen(spans))
	for i := range spans {
		sp := &spans[i]
		out, hslab = c.conv.records(out, hslab, sp.recs.(*compactPart), sp.from, sp.to)
	}
	return out
}
