package mockbroker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// errTagBomb reports a flexible request whose tagged-field counts cannot be
// decoded safely; see decodeBody.
var errTagBomb = errors.New("a tagged-field count exceeds the bytes left")

// decodeBody decodes a request body with kmsg, guarding against one
// weakness of kmsg's generated decoders: a tagged-field section starts with
// a uvarint count, and kmsg loops that many times even after the input ran
// out, so a 5-byte count (up to 2^32) in an 8-byte body costs minutes of
// CPU while the connection's goroutine, and Close, wait.
//
// A count can only be dangerous where a uvarint of three or more bytes
// decodes to more than the bytes after it: no valid length, array count or
// tag count can. Bodies without such a spot (and non-flexible versions,
// which have no tagged fields) are decoded directly. Otherwise the body is
// probed first, on copies in which the first byte of every such spot is
// replaced (until no spot is left): in a valid request those spots are data
// (integers, string or record bytes), never structure, so both probes (one
// patching 0x00, one 0x01) must decode and re-encode to the same length.
// A request failing that is refused without decoding the original.
func decodeBody(req kmsg.Request, body []byte) error {
	if !req.IsFlexible() {
		return req.ReadFrom(body)
	}
	// Produce carries megabytes of record batches, which the generic check
	// would scan byte by byte; its skeleton is simple enough to walk.
	if req.Key() == int16(kmsg.Produce) && req.GetVersion() <= 12 && produceTagsBounded(body) {
		return req.ReadFrom(body)
	}
	if len(dangerousVarints(body)) == 0 {
		return req.ReadFrom(body)
	}
	var lens [2]int
	for i, patch := range []byte{0x00, 0x01} {
		probe := kmsg.RequestForKey(req.Key())
		probe.SetVersion(req.GetVersion())
		if err := probe.ReadFrom(defuse(body, patch)); err != nil {
			return fmt.Errorf("%w: %v", errTagBomb, err)
		}
		lens[i] = len(probe.AppendTo(nil))
	}
	if lens[0] != lens[1] {
		return errTagBomb
	}
	return req.ReadFrom(body)
}

// dangerousVarints returns the offsets in b where a uvarint of three to five
// bytes (as kmsg reads them: at most 32 bits) decodes to more than one plus
// the number of bytes that follow it.
func dangerousVarints(b []byte) []int {
	var at []int
	for i := 0; i+2 < len(b); i++ {
		if b[i] < 0x80 || b[i+1] < 0x80 {
			continue
		}
		v, n := binary.Uvarint(b[i:min(len(b), i+5)])
		if n < 3 || v > math.MaxUint32 {
			continue // short, or an overflow kmsg rejects at once
		}
		if v > uint64(len(b)-i-n)+1 {
			at = append(at, i)
		}
	}
	return at
}

// defuse returns a copy of b in which the first byte of every dangerous
// uvarint is set to patch, repeated until none is left (a patch can shorten
// a uvarint that began earlier into a dangerous one).
func defuse(b []byte, patch byte) []byte {
	out := slices.Clone(b)
	for {
		at := dangerousVarints(out)
		if len(at) == 0 {
			return out
		}
		for _, i := range at {
			out[i] = patch
		}
	}
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
