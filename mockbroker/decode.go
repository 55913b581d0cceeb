package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/tagguard"
)

// decodeBody decodes a request body with kmsg, guarded against tag bombs
// (see package tagguard): a flexible request whose tagged-field counts
// could make kmsg loop for minutes is refused without being decoded.
// Produce, which carries megabytes of record batches that the generic
// guard would scan byte by byte, has its skeleton walked instead.
func decodeBody(req kmsg.Request, body []byte) error {
	if !req.IsFlexible() {
		return req.ReadFrom(body)
	}
	if req.Key() == int16(kmsg.Produce) && req.GetVersion() <= 12 && produceTagsBounded(body) {
		return req.ReadFrom(body)
	}
	return tagguard.Decode(req, body, func() tagguard.Message {
		probe := kmsg.RequestForKey(req.Key())
		probe.SetVersion(req.GetVersion())
		return probe
	})
}

// produceTagsBounded walks the skeleton of a flexible Produce request (v9
// to v12) without decoding it and reports whether it is complete and every
// tagged-field section in it holds as many tags as it announces, so that
// kmsg can decode it without the unbounded loop. Record batches are
// skipped, not scanned.
func produceTagsBounded(b []byte) bool {
	r := &reader{b: b}
	skipCompact := func() { // compact string or bytes: uvarint length+1
		if n := r.uvarint(); n > 0 {
			r.span(int(n - 1))
		}
	}
	skipCompact() // transactional id
	r.span(2 + 4) // acks, timeout
	topics := r.uvarint()
	for i := uint32(1); i < topics && !r.bad; i++ {
		skipCompact() // topic name
		partitions := r.uvarint()
		for j := uint32(1); j < partitions && !r.bad; j++ {
			r.span(4)     // partition
			skipCompact() // records
			r.skipTags()
		}
		r.skipTags()
	}
	r.skipTags()
	return !r.bad
}
