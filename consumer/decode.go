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

// decoded is the outcome of decoding one fetched partition.
type decoded struct {
	// recs are the records to return, in offset order; they alias the
	// fetched bytes (or, for compressed batches, the decompressed ones).
	recs    []records.Record
	batches []batchMeta
	// nextOffset is where the next fetch starts: after the last batch
	// examined, including skipped control batches and aborted
	// transactions.
	nextOffset int64
	// err is a corrupt batch met after the records in recs; nextOffset is
	// that batch's base offset.
	err error
}

// decodePartition decodes the record batches of one fetched partition into
// one slab of records, without copying record bytes.
//
// Under read_committed it follows the Java client: a transactional batch of
// a producer whose transaction the response lists as aborted (at or before
// the batch) is skipped, until that producer's ABORT marker; control
// batches never surface; nothing at or beyond the last stable offset is
// returned. A trailing partial batch is dropped, to be fetched whole next
// time.
func decodePartition(dec *records.Decoder, in decodeInput) decoded {
	out := decoded{nextOffset: in.fetchOffset}
	type found struct {
		hdr   records.BatchHeader
		batch []byte
	}
	// Split the batches first, to size the record slab once.
	var batches []found
	total := 0
	for data := in.data; len(data) > 0; {
		hdr, batch, rest, err := records.ReadBatch(data)
		if err != nil {
			if !errors.Is(err, records.ErrPartial) {
				out.err = err
			}
			break
		}
		batches = append(batches, found{hdr, batch})
		total += int(max(hdr.NumRecords, 0))
		data = rest
	}
	if total > 0 {
		// A record takes at least 7 bytes uncompressed; a hostile header
		// cannot make the slab larger than the data allows.
		out.recs = make([]records.Record, 0, min(total, len(in.data)/7+1))
	}
	var abortedPIDs map[int64]struct{}
	aborted := in.aborted
	// minNext is the lowest offset a record may have to be returned: past
	// the fetch offset and every record returned, so that positions only
	// move forward whatever a broker sends.
	minNext := in.fetchOffset
	for i := range batches {
		hdr, batch := &batches[i].hdr, batches[i].batch
		minNext = max(minNext, out.nextOffset)
		if hdr.NextOffset() <= minNext {
			continue // wholly before the position (a broker may start earlier)
		}
		if in.readCommitted && in.lastStable >= 0 && hdr.BaseOffset >= in.lastStable {
			break // not stable yet
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
				out.nextOffset = max(out.nextOffset, hdr.NextOffset())
				continue
			}
		}
		if hdr.IsControl() {
			out.nextOffset = max(out.nextOffset, hdr.NextOffset())
			continue
		}
		start := len(out.recs)
		recs, err := dec.Records(*hdr, batch, out.recs)
		if err != nil {
			out.err = err
			out.nextOffset = max(out.nextOffset, hdr.BaseOffset)
			break
		}
		// Keep records from minNext on, in increasing order, and under
		// read_committed below the last stable offset.
		added := recs[start:]
		kept := 0
		truncated := false
		for _, r := range added {
			if r.Offset < minNext {
				continue
			}
			if in.readCommitted && in.lastStable >= 0 && r.Offset >= in.lastStable {
				truncated = true
				break
			}
			added[kept] = r
			kept++
			minNext = r.Offset + 1
		}
		clear(added[kept:])
		recs = recs[:start+kept]
		out.recs = recs
		if kept > 0 {
			out.batches = append(out.batches, batchMeta{
				end: len(recs), epoch: hdr.PartitionLeaderEpoch, logAppend: hdr.LogAppendTime(),
			})
		}
		if truncated {
			out.nextOffset = max(out.nextOffset, minNext)
			break
		}
		out.nextOffset = max(out.nextOffset, hdr.NextOffset())
	}
	if len(out.recs) == 0 {
		out.recs = nil
	}
	return out
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
