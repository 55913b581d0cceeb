package consumer

import (
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
)

// decodeInput is one fetched partition to decode.
type decodeInput struct {
	data        []byte // the partition's record batches; may end with a partial batch
	fetchOffset int64  // records before it are dropped (a batch may start earlier)
	// read_committed: skip aborted transactions and stop at the last stable
	// offset.
	readCommitted bool
	lastStable    int64
	aborted       []abortedTxn // sorted by first offset
	// split says that batches and splitErr hold data already split by
	// splitBatches, so that the batches are not framed and checked twice.
	split    bool
	batches  []splitBatch
	splitErr error
}

// splitBatch is one record batch of a fetched partition, framed and
// checked (CRC) by records.ReadBatch.
type splitBatch struct {
	hdr   records.BatchHeader
	batch []byte
}

// splitBatches splits a partition's record batches. A trailing partial
// batch ends the split without an error; a corrupt batch ends it with one.
func splitBatches(data []byte) ([]splitBatch, error) {
	var out []splitBatch
	for len(data) > 0 {
		hdr, batch, rest, err := records.ReadBatch(data)
		if err != nil {
			if errors.Is(err, records.ErrPartial) {
				return out, nil
			}
			return out, err
		}
		out = append(out, splitBatch{hdr, batch})
		data = rest
	}
	return out, nil
}

// abortedTxn is one entry of a fetch response's aborted transactions.
type abortedTxn struct {
	producerID  int64
	firstOffset int64
}

// abortedFrom returns a fetch response's aborted transactions sorted by
// first offset.
func abortedFrom(in []kmsg.FetchResponseTopicPartitionAbortedTransaction) []abortedTxn {
	if len(in) == 0 {
		return nil
	}
	out := make([]abortedTxn, len(in))
	for i, a := range in {
		out[i] = abortedTxn{producerID: a.ProducerID, firstOffset: a.FirstOffset}
	}
	slices.SortFunc(out, func(a, b abortedTxn) int {
		switch {
		case a.firstOffset < b.firstOffset:
			return -1
		case a.firstOffset > b.firstOffset:
			return 1
		}
		return 0
	})
	return out
}

// recordSlab is the records decoded from one fetched partition (a
// *compactPart); the fetcher and the buffer see them through this
// interface.
type recordSlab interface {
	// Len returns the number of records.
	Len() int
	// Position returns the offset and the leader epoch of record i.
	Position(i int) (offset int64, leaderEpoch int32)
}

// decoded is the outcome of decoding one fetched partition.
type decoded struct {
	// recs are the records to return, in offset order, nil if none. Their
	// bytes alias the fetched data (or, for compressed batches, the
	// decompressed records).
	recs recordSlab
	n    int // recs.Len()
	// nextOffset is where the next fetch starts: after the last batch
	// examined, including skipped control batches and aborted
	// transactions.
	nextOffset int64
	// err is a corrupt batch met after the records in recs; nextOffset is
	// that batch's base offset.
	err error
}

// recordSink collects the records of a partition's batches as
// decodePartition walks them.
type recordSink interface {
	// reserve makes room for n more records.
	reserve(n int)
	// appendBatch decodes the records of a batch whose offsets lie in
	// [from, below) — below < 0: no upper bound — and appends them in
	// order, skipping any not above the last one appended. It returns how
	// many it appended, the offset after the last of them (from if none)
	// and whether it stopped at below. On a malformed record it removes
	// what it appended of the batch and returns the error.
	appendBatch(dec *records.Decoder, hdr *records.BatchHeader, batch []byte, from, below int64) (n int, next int64, stopped bool, err error)
}

// decodePartition walks the record batches of one fetched partition and
// hands the records to return to sink, which decodes them without copying
// record bytes. It returns where the next fetch starts and a corrupt batch
// met after the records handed over, if any.
//
// Under read_committed it follows the Java client: a transactional batch of
// a producer whose transaction the response lists as aborted (at or before
// the batch) is skipped, until that producer's ABORT marker; control
// batches never surface; nothing at or beyond the last stable offset is
// returned. A trailing partial batch is dropped, to be fetched whole next
// time.
func decodePartition(dec *records.Decoder, in decodeInput, sink recordSink) (nextOffset int64, err error) {
	nextOffset = in.fetchOffset
	// Split the batches first, to size the record slab once.
	batches, splitErr := in.batches, in.splitErr
	if !in.split {
		batches, splitErr = splitBatches(in.data)
	}
	total := 0
	for i := range batches {
		total += int(max(batches[i].hdr.NumRecords, 0))
	}
	if total > 0 {
		// A record takes at least 7 bytes uncompressed; a hostile header
		// cannot make the slab larger than the data allows.
		sink.reserve(min(total, len(in.data)/7+1))
	}
	var abortedPIDs map[int64]struct{}
	aborted := in.aborted
	below := int64(-1)
	if in.readCommitted && in.lastStable >= 0 {
		below = in.lastStable
	}
	// minNext is the lowest offset a record may have to be returned: past
	// the fetch offset and every record returned, so that positions only
	// move forward whatever a broker sends.
	minNext := in.fetchOffset
	for i := range batches {
		hdr, batch := &batches[i].hdr, batches[i].batch
		minNext = max(minNext, nextOffset)
		if hdr.NextOffset() <= minNext {
			continue // wholly before the position (a broker may start earlier)
		}
		if below >= 0 && hdr.BaseOffset >= below {
			return nextOffset, nil // not stable yet
		}
		if in.readCommitted && hdr.ProducerID >= 0 {
			// Transactions that began at or before this batch's end are
			// now open-and-aborted for their producer.
			for len(aborted) > 0 && aborted[0].firstOffset <= hdr.LastOffset() {
				if abortedPIDs == nil {
					abortedPIDs = make(map[int64]struct{})
				}
				abortedPIDs[aborted[0].producerID] = struct{}{}
				aborted = aborted[1:]
			}
			if hdr.IsControl() {
				if isAbortMarker(dec, *hdr, batch) {
					delete(abortedPIDs, hdr.ProducerID)
				}
			} else if _, ok := abortedPIDs[hdr.ProducerID]; ok && hdr.IsTransactional() {
				nextOffset = max(nextOffset, hdr.NextOffset())
				continue
			}
		}
		if hdr.IsControl() {
			nextOffset = max(nextOffset, hdr.NextOffset())
			continue
		}
		_, next, stopped, err := sink.appendBatch(dec, hdr, batch, minNext, below)
		if err != nil {
			return max(nextOffset, hdr.BaseOffset), err
		}
		minNext = next
		if stopped {
			return max(nextOffset, minNext), nil
		}
		nextOffset = max(nextOffset, hdr.NextOffset())
	}
	if splitErr != nil {
		return nextOffset, splitErr
	}
	return nextOffset, nil
}

// isAbortMarker reports whether a control batch holds an ABORT marker. A
// control batch that cannot be read is not one.
func isAbortMarker(dec *records.Decoder, hdr records.BatchHeader, batch []byte) bool {
	it := dec.Iter(hdr, batch)
	var r records.Record
	if !it.Next(&r) {
		return false
	}
	cr, err := records.ParseControlRecord(r.Key, r.Value)
	return err == nil && cr.Type == records.ControlAbort
}
