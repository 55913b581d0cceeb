package records

import "fmt"

// ValidateProduce checks a batch the way a broker does before appending it
// from a ProduceRequest. hdr and batch are what ReadBatch returned (so
// framing and CRC are already checked). On top of decoding every record
// (which yields a *CorruptError, matching samsa.ErrCorruptBatch, on damage)
// it enforces the produce rules, whose violations wrap ErrInvalidBatch:
// base offset 0, no control batch, at least one record, last offset delta
// equal to the record count minus one, record offset deltas 0, 1, 2, ...,
// and a producer id on transactional batches.
//
// It decodes through the decoder's reused buffers (as Iter does) and does
// not allocate in steady state unless the batch is invalid.
func (d *Decoder) ValidateProduce(hdr BatchHeader, batch []byte) error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidBatch}, args...)...)
	}
	switch {
	case hdr.BaseOffset != 0:
		return invalid("base offset %d, producers must send 0", hdr.BaseOffset)
	case hdr.IsControl():
		return invalid("clients may not write control batches")
	case hdr.NumRecords == 0:
		return invalid("batch has no records")
	case hdr.LastOffsetDelta != hdr.NumRecords-1:
		return invalid("last offset delta %d with %d records", hdr.LastOffsetDelta, hdr.NumRecords)
	case hdr.IsTransactional() && hdr.ProducerID < 0:
		return invalid("transactional batch without a producer id")
	}
	it := d.Iter(hdr, batch)
	var r Record
	for i := int64(0); it.Next(&r); i++ {
		if delta := r.Offset - hdr.BaseOffset; delta != i {
			return invalid("record %d has offset delta %d", i, delta)
		}
	}
	return it.Err()
}
