package records

import (
	"slices"
)

// minRecordSize is the smallest encoded record: a 1-byte length, then
// attributes, timestamp delta, offset delta, key length, value length and
// header count of one byte each.
const minRecordSize = 7

// Header is a decoded record header. Key and Value alias the batch (see
// Decoder for how long they stay valid); a null value is nil.
type Header struct {
	Key, Value []byte
}

// Record is a decoded record. Key, Value and Headers alias the batch or the
// decoder's buffers (see Decoder for how long they stay valid); a null key
// or value is nil, an empty one is non-nil with length 0. The slices have
// their capacity capped at their length, so appending to one never
// overwrites its neighbours.
type Record struct {
	// Offset is the batch's base offset plus the record's offset delta.
	Offset int64
	// Timestamp is the batch's first timestamp plus the record's delta, or
	// the batch's max timestamp for a LogAppendTime batch.
	Timestamp  int64
	Key, Value []byte
	Headers    []Header
	// Attributes is the record's attributes byte, unused by Kafka so far.
	Attributes int8
}

// Decoder decodes the records of record batches. The zero value is ready to
// use. A Decoder is not safe for concurrent use; use one per goroutine.
//
// Nothing is copied per record: keys, values and header keys/values are
// subslices of the batch when it is uncompressed, or of the decompressed
// records section when it is compressed.
//
// Lifetimes. With ReuseBuffers false (the default), each compressed batch
// is decompressed into a fresh buffer and each batch gets its own header
// slab; the records stay valid as long as the caller keeps them (and, for
// uncompressed batches, does not overwrite the batch bytes). With
// ReuseBuffers true the decoder decompresses into, and takes headers from,
// buffers it reuses: records returned by one call are valid only until the
// next call on the same Decoder. That mode allocates nothing in steady
// state and suits callers that consume each batch before decoding the next
// (a broker validating a produce request, a consumer that copies out).
//
// Memory. Decompression is bounded by MaxDecompressedSize. Records then
// needs one Record (96 bytes on 64-bit platforms) per record, and a record
// can be as small as 7 bytes, so a batch of tiny records costs up to about
// 14 times its decompressed size; Iter walks a batch in constant memory.
type Decoder struct {
	// MaxDecompressedSize limits how large a compressed batch's records
	// section may decompress to; 0 means DefaultMaxDecompressedSize. A batch
	// over the limit fails with an error matching ErrDecompressLimit.
	MaxDecompressedSize int
	// ReuseBuffers selects buffer reuse; see the type's documentation.
	ReuseBuffers bool

	scratch []byte   // decompressed records when reusing
	slab    []Header // header slab when reusing, and for iterators
}

func (d *Decoder) limit() int {
	if d.MaxDecompressedSize > 0 {
		return d.MaxDecompressedSize
	}
	return DefaultMaxDecompressedSize
}

// section returns the records section of batch, decompressed if needed
// (into the decoder's scratch buffer when reuse is set).
func (d *Decoder) section(hdr *BatchHeader, batch []byte, reuse bool) ([]byte, error) {
	if len(batch) < HeaderSize {
		return nil, corrupt(hdr.BaseOffset, "batch of %d bytes is shorter than its %d-byte header", len(batch), HeaderSize)
	}
	if hdr.NumRecords < 0 {
		return nil, corrupt(hdr.BaseOffset, "negative record count %d", hdr.NumRecords)
	}
	raw := batch[HeaderSize:]
	codec := hdr.Codec()
	if codec == CodecNone {
		return raw, nil
	}
	if !codec.Valid() {
		return nil, corrupt(hdr.BaseOffset, "unknown compression codec id %d", int(codec))
	}
	var dst []byte
	if reuse {
		dst = d.scratch[:0]
	}
	out, err := DecompressLimit(dst, raw, codec, d.limit())
	if err != nil {
		return nil, &CorruptError{BaseOffset: hdr.BaseOffset, Reason: "records section does not decompress", Err: err}
	}
	if reuse {
		d.scratch = out
	}
	return out, nil
}

func checkCount(hdr *BatchHeader, p []byte) error {
	if int(hdr.NumRecords) > len(p)/minRecordSize {
		return corrupt(hdr.BaseOffset, "%d records cannot fit in %d bytes", hdr.NumRecords, len(p))
	}
	return nil
}

// Records decodes all records of a batch and appends them to dst. hdr and
// batch are what ReadBatch returned (batch includes the header). It
// decompresses the records section when the batch is compressed and checks
// every record's framing; on error it returns dst as it was and a
// *CorruptError. See Decoder for how long the records' bytes stay valid.
//
// Allocations: none per record. dst grows at most once, the header slab is
// allocated once per batch (usually), and a compressed batch needs one
// output buffer — the last two are reused with ReuseBuffers.
func (d *Decoder) Records(hdr BatchHeader, batch []byte, dst []Record) ([]Record, error) {
	p, err := d.section(&hdr, batch, d.ReuseBuffers)
	if err != nil {
		return dst, err
	}
	if err := checkCount(&hdr, p); err != nil {
		return dst, err
	}
	n := int(hdr.NumRecords)
	start := len(dst)
	dst = slices.Grow(dst, n)
	var slab []Header
	if d.ReuseBuffers {
		slab = d.slab[:0]
	}
	for i := 0; i < n; i++ {
		var r Record
		var nh int
		var body []byte
		var reason string
		p, nh, body, reason = readRecord(p, &hdr, &r)
		if reason == "" && nh > 0 {
			if cap(slab)-len(slab) < nh {
				// Size the new slab as if every remaining record had as many
				// headers as this one, within what the bytes left can hold
				// (a header takes at least 2 bytes).
				size := min(nh*(n-i), nh+len(p)/2)
				slab = make([]Header, 0, size)
			}
			r.Headers = slab[len(slab) : len(slab)+nh : len(slab)+nh]
			slab = slab[:len(slab)+nh]
		}
		if reason == "" {
			reason = readHeaders(body, r.Headers)
		}
		if reason != "" {
			clear(dst[start:len(dst)])
			return dst[:start], corrupt(hdr.BaseOffset, "record %d of %d: %s", i, n, reason)
		}
		dst = append(dst, r)
	}
	if d.ReuseBuffers && cap(slab) > cap(d.slab) {
		d.slab = slab
	}
	if len(p) != 0 {
		clear(dst[start:len(dst)])
		return dst[:start], corrupt(hdr.BaseOffset, "%d bytes follow the last of %d records", len(p), n)
	}
	return dst, nil
}

// RecordIter walks the records of one batch without collecting them; see
// Decoder.Iter. The zero value yields nothing.
type RecordIter struct {
	d       *Decoder // keeps a grown header buffer for the next Iter
	hdr     BatchHeader
	section []byte // the records section, uncompressed
	p       []byte // what is left of it
	index   int
	err     error
	headers []Header
}

// Iter returns an iterator over the records of a batch (as returned by
// ReadBatch). It decompresses into the decoder's reused buffer whatever
// ReuseBuffers says, and each record's headers live in a buffer the
// iterator reuses: a record is valid until the next call to Next, its key
// and value (for a compressed batch) until the next call on the Decoder.
// Iterating allocates nothing in steady state.
//
//	it := dec.Iter(hdr, batch)
//	var r records.Record
//	for it.Next(&r) { ... }
//	if err := it.Err(); err != nil { ... }
func (d *Decoder) Iter(hdr BatchHeader, batch []byte) RecordIter {
	it := RecordIter{d: d, hdr: hdr, headers: d.slab[:0]}
	it.p, it.err = d.section(&hdr, batch, true)
	if it.err == nil {
		it.err = checkCount(&hdr, it.p)
	}
	it.section = it.p
	return it
}

// IterKeep is Iter for callers that keep the records' keys and values
// after the iteration, as a consumer turning them into its own records
// does: a compressed batch is decompressed into a fresh buffer (into a
// reused one under ReuseBuffers), so keys and values stay valid exactly as
// long as those returned by Records. Each record's headers still live in a
// buffer the iterator reuses, valid until the next call to Next.
//
// Like Records it checks every record's framing, but as it goes: records
// before a malformed one have been returned by the time Next reports the
// failure, so a caller that wants a batch whole or not at all drops them.
func (d *Decoder) IterKeep(hdr BatchHeader, batch []byte) RecordIter {
	it := RecordIter{d: d, hdr: hdr, headers: d.slab[:0]}
	it.p, it.err = d.section(&hdr, batch, d.ReuseBuffers)
	if it.err == nil {
		it.err = checkCount(&hdr, it.p)
	}
	it.section = it.p
	return it
}

// Next decodes the next record into r and reports whether there was one.
// It returns false at the end of the batch or on error; Err tells which.
func (it *RecordIter) Next(r *Record) bool {
	if it.err != nil {
		return false
	}
	n := int(it.hdr.NumRecords)
	if it.index >= n {
		if len(it.p) != 0 {
			it.err = corrupt(it.hdr.BaseOffset, "%d bytes follow the last of %d records", len(it.p), n)
			it.p = nil
		}
		return false
	}
	*r = Record{}
	p, nh, body, reason := readRecord(it.p, &it.hdr, r)
	if reason == "" && nh > 0 {
		if cap(it.headers) < nh {
			it.headers = make([]Header, nh)
			if it.d != nil && cap(it.d.slab) < nh {
				it.d.slab = it.headers
			}
		}
		r.Headers = it.headers[:nh:nh]
	}
	if reason == "" {
		reason = readHeaders(body, r.Headers)
	}
	if reason != "" {
		it.err = corrupt(it.hdr.BaseOffset, "record %d of %d: %s", it.index, n, reason)
		*r = Record{}
		return false
	}
	it.p = p
	it.index++
	return true
}

// Section returns the batch's records section, decompressed: the bytes
// that every record's key, value and header slices point into, so that a
// caller can keep a record as offsets into it rather than as slices.
func (it *RecordIter) Section() []byte { return it.section }

// Err returns the error that stopped the iteration, or nil once every
// record has been read.
func (it *RecordIter) Err() error { return it.err }

// readRecord decodes the record at the front of p into r, all but its
// headers: it returns how many headers there are and the bytes holding
// them (the end of the record), for readHeaders. A non-empty reason means
// the record is malformed.
func readRecord(p []byte, hdr *BatchHeader, r *Record) (rest []byte, numHeaders int, headerBytes []byte, reason string) {
	length, n := varintFast(p)
	if n == 0 {
		length, n = readVarint32Slow(p)
	}
	switch {
	case n == 0:
		return p, 0, nil, "truncated record length"
	case n < 0:
		return p, 0, nil, "malformed record length"
	case length < 0:
		return p, 0, nil, "negative record length"
	case int(length) > len(p)-n:
		return p, 0, nil, "record length exceeds the bytes left in the batch"
	case length == 0:
		return p, 0, nil, "empty record"
	}
	body := p[n : n+int(length)]
	rest = p[n+int(length):]

	r.Attributes = int8(body[0])
	body = body[1:]
	tsDelta, n := varintFast(body)
	if n == 0 {
		tsDelta, n = readVarintSlow(body)
	}
	if n <= 0 {
		return p, 0, nil, "malformed timestamp delta"
	}
	body = body[n:]
	offDelta, n := varintFast(body)
	if n == 0 {
		offDelta, n = readVarint32Slow(body)
	}
	if n <= 0 {
		return p, 0, nil, "malformed offset delta"
	}
	body = body[n:]
	r.Offset = hdr.BaseOffset + int64(offDelta)
	if hdr.LogAppendTime() {
		r.Timestamp = hdr.MaxTimestamp
	} else {
		r.Timestamp = hdr.FirstTimestamp + tsDelta
	}
	var ok bool
	if r.Key, body, ok = readBytesField(body); !ok {
		return p, 0, nil, "malformed key"
	}
	if r.Value, body, ok = readBytesField(body); !ok {
		return p, 0, nil, "malformed value"
	}
	count, n := varintFast(body)
	if n == 0 {
		count, n = readVarint32Slow(body)
	}
	switch {
	case n <= 0:
		return p, 0, nil, "malformed header count"
	case count < 0:
		return p, 0, nil, "negative header count"
	case int(count) > (len(body)-n)/2:
		return p, 0, nil, "header count exceeds the bytes left in the record"
	}
	return rest, int(count), body[n:], ""
}

// readBytesField reads a varint-length-prefixed byte string; length -1 is
// null (nil).
func readBytesField(b []byte) (v, rest []byte, ok bool) {
	l, n := varintFast(b)
	if n == 0 {
		l, n = readVarint32Slow(b)
	}
	if n <= 0 || l < -1 || int(l) > len(b)-n {
		return nil, b, false
	}
	if l == -1 {
		return nil, b[n:], true
	}
	end := n + int(l)
	return b[n:end:end], b[end:], true
}

// readHeaders fills hs from b, which must hold exactly len(hs) headers.
func readHeaders(b []byte, hs []Header) string {
	for i := range hs {
		kl, n := varintFast(b)
		if n == 0 {
			kl, n = readVarint32Slow(b)
		}
		if n <= 0 || kl < 0 || int(kl) > len(b)-n {
			return "malformed header key"
		}
		end := n + int(kl)
		hs[i].Key = b[n:end:end]
		var ok bool
		if hs[i].Value, b, ok = readBytesField(b[end:]); !ok {
			return "malformed header value"
		}
	}
	if len(b) != 0 {
		return "record has bytes after its last header"
	}
	return ""
}
