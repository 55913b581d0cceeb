package mockbroker

import (
	"fmt"
	"math"

	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

// producerBatchesKept is how many recent batches per producer and partition
// a broker remembers to detect duplicates, as Kafka does (it is also why
// clients allow at most five in-flight requests with idempotence).
const producerBatchesKept = 5

// producerBatch is a batch an idempotent producer wrote.
type producerBatch struct {
	firstSeq, lastSeq int32
	base, last        int64
}

// producerState is what a partition remembers of one idempotent producer.
// Guarded by Cluster.mu.
type producerState struct {
	epoch  int16
	recent []producerBatch // oldest first, at most producerBatchesKept
}

// lastSequence returns the sequence of the last record of a batch that
// starts at first and spans delta more records; sequences wrap from
// MaxInt32 to 0.
func lastSequence(first, delta int32) int32 {
	if first > math.MaxInt32-delta {
		return delta - (math.MaxInt32 - first) - 1
	}
	return first + delta
}

// checkProducer applies Kafka's idempotent-producer rules to a batch about
// to be appended. It returns the batch already written if this one is a
// retry of it (same epoch and sequence range: the broker answers with the
// original offsets and writes nothing), or an error wrapping
// INVALID_PRODUCER_EPOCH (an epoch older than the producer's current one)
// or OUT_OF_ORDER_SEQUENCE_NUMBER (a gap or reordering; a new epoch must
// start at sequence 0). A producer the partition does not know yet may
// start at any sequence, as on Kafka 2.5+ (KIP-360). c.mu must be held.
func (p *partition) checkProducer(hdr *records.BatchHeader) (*producerBatch, error) {
	if hdr.ProducerID < 0 {
		return nil, nil
	}
	st := p.producers[hdr.ProducerID]
	if st == nil {
		return nil, nil
	}
	first := hdr.BaseSequence
	last := lastSequence(first, hdr.LastOffsetDelta)
	switch {
	case hdr.ProducerEpoch < st.epoch:
		return nil, fmt.Errorf("%w: producer %d epoch %d is older than the current epoch %d",
			kerr.InvalidProducerEpoch, hdr.ProducerID, hdr.ProducerEpoch, st.epoch)
	case hdr.ProducerEpoch > st.epoch:
		if first != 0 {
			return nil, fmt.Errorf("%w: producer %d: new epoch %d must start at sequence 0, got %d",
				kerr.OutOfOrderSequenceNumber, hdr.ProducerID, hdr.ProducerEpoch, first)
		}
		return nil, nil
	}
	for i := range st.recent {
		if b := &st.recent[i]; b.firstSeq == first && b.lastSeq == last {
			return b, nil
		}
	}
	if n := len(st.recent); n > 0 {
		prev := st.recent[n-1].lastSeq
		if !(first == prev+1 || prev == math.MaxInt32 && first == 0) {
			return nil, fmt.Errorf("%w: producer %d epoch %d: expected sequence %d, got %d",
				kerr.OutOfOrderSequenceNumber, hdr.ProducerID, hdr.ProducerEpoch, lastSequence(prev, 1), first)
		}
	}
	return nil, nil
}

// recordProducer remembers an appended batch of an idempotent or
// transactional producer. c.mu must be held.
func (p *partition) recordProducer(hdr *records.BatchHeader, base int64) {
	if hdr.ProducerID < 0 {
		return
	}
	if p.producers == nil {
		p.producers = make(map[int64]*producerState)
	}
	st := p.producers[hdr.ProducerID]
	if st == nil || hdr.ProducerEpoch != st.epoch {
		st = &producerState{epoch: hdr.ProducerEpoch}
		p.producers[hdr.ProducerID] = st
	}
	b := producerBatch{
		firstSeq: hdr.BaseSequence,
		lastSeq:  lastSequence(hdr.BaseSequence, hdr.LastOffsetDelta),
		base:     base,
		last:     base + int64(hdr.LastOffsetDelta),
	}
	if len(st.recent) == producerBatchesKept {
		copy(st.recent, st.recent[1:])
		st.recent = st.recent[:producerBatchesKept-1]
	}
	st.recent = append(st.recent, b)
	if hdr.IsTransactional() {
		if p.openTxns == nil {
			p.openTxns = make(map[int64]int64)
		}
		if _, open := p.openTxns[hdr.ProducerID]; !open {
			p.openTxns[hdr.ProducerID] = base
		}
	}
}
