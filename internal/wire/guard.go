package wire

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/tagguard"
)

// decodeBody decodes a response body into resp (made by req.ResponseKind),
// guarded against tag bombs (see package tagguard): a flexible response
// whose tagged-field counts could keep kmsg looping for minutes, and this
// connection's read loop with it, is refused with an error instead. Fetch
// responses carry megabytes of record batches that the generic guard
// would scan byte by byte, so their skeleton is walked instead; one the
// walk does not vouch for goes through the generic guard.
func decodeBody(req kmsg.Request, resp kmsg.Response, body []byte) error {
	if !resp.IsFlexible() {
		return resp.ReadFrom(body)
	}
	if resp.Key() == int16(kmsg.Fetch) && fetchTagsBounded(body, resp.GetVersion()) {
		return resp.ReadFrom(body)
	}
	return tagguard.Decode(resp, body, func() tagguard.Message {
		probe := req.ResponseKind()
		probe.SetVersion(resp.GetVersion())
		return probe
	})
}

// fetchTagsBounded walks the skeleton of a flexible Fetch response (v12 to
// v18, which share one layout but for topic names or ids) as kmsg reads it,
// without decoding it, and reports whether every tagged-field section in it
// holds no more tags than its bytes allow and every tag's value is free of
// dangerous counts of its own. Record batches are skipped, not scanned.
// False only means "not vouched for".
func fetchTagsBounded(b []byte, version int16) bool {
	if version < 12 || version > 18 {
		return false
	}
	r := skeleton{b: b}
	r.skip(4 + 2 + 4) // throttle, error code, session id
	for topics := r.count(); topics > 0 && !r.bad; topics-- {
		if version >= 13 {
			r.skip(16) // topic id
		} else {
			r.compactBytes() // topic name
		}
		for parts := r.count(); parts > 0 && !r.bad; parts-- {
			r.skip(4 + 2 + 8 + 8 + 8) // partition, error code, high watermark, last stable and log start offsets
			for aborted := r.count(); aborted > 0 && !r.bad; aborted-- {
				r.skip(8 + 8) // producer id, first offset
				r.tags()
			}
			r.skip(4)        // preferred read replica
			r.compactBytes() // record batches
			r.tags()
		}
		r.tags()
	}
	r.tags()
	return !r.bad
}

// skeleton reads the structure of a flexible message; a read past the end,
// or anything it cannot vouch for, sets bad.
type skeleton struct {
	b   []byte
	bad bool
}

func (r *skeleton) uvarint() int {
	v, ok := uvarint(&r.b)
	if !ok {
		r.bad = true
	}
	return int(v)
}

func (r *skeleton) skip(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// count reads a compact array length: the element count, 0 for a null
// array.
func (r *skeleton) count() int {
	return max(r.uvarint()-1, 0)
}

// compactBytes skips a compact (nullable) string or byte array.
func (r *skeleton) compactBytes() {
	if n := r.uvarint(); n > 0 {
		r.skip(n - 1)
	}
}

// tags skips a tagged-field section. A tag's value may be a structure with
// tag sections of its own (kmsg decodes the known ones): a value holding
// anything that could be a dangerous count is not vouched for.
func (r *skeleton) tags() {
	for n := r.uvarint(); n > 0 && !r.bad; n-- {
		r.uvarint() // key
		value := r.skip(r.uvarint())
		if len(tagguard.DangerousVarints(value)) > 0 {
			r.bad = true
		}
	}
}
