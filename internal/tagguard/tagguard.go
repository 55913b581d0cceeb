package tagguard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrTagBomb reports a flexible message whose tagged-field counts cannot
// be decoded safely.
var ErrTagBomb = errors.New("a tagged-field count exceeds the bytes left")

// Message is the part of a kmsg request or response that Decode uses.
type Message interface {
	ReadFrom([]byte) error
	AppendTo([]byte) []byte
}

// Decode decodes body, a flexible message, into m, refusing a body in
// which a tagged-field count could make kmsg loop. fresh returns an empty
// message of m's kind and version, for probes.
//
// A count can only be dangerous where a uvarint of three or more bytes
// decodes to more than the bytes after it: no valid length, array count or
// tag count can. Bodies without such a spot are decoded directly.
// Otherwise the body is probed first, on copies in which the first byte of
// every such spot is replaced (until no spot is left): in a valid message
// those spots are data (integers, strings, record bytes), never structure,
// so both probes (one patching 0x00, one 0x01) must decode and re-encode
// to the same length. A body failing that is refused without decoding the
// original.
func Decode(m Message, body []byte, fresh func() Message) error {
	if len(DangerousVarints(body)) == 0 {
		return m.ReadFrom(body)
	}
	var lens [2]int
	for i, patch := range []byte{0x00, 0x01} {
		probe := fresh()
		if err := probe.ReadFrom(defuse(body, patch)); err != nil {
			return fmt.Errorf("%w: %v", ErrTagBomb, err)
		}
		lens[i] = len(probe.AppendTo(nil))
	}
	if lens[0] != lens[1] {
		return ErrTagBomb
	}
	return m.ReadFrom(body)
}

// DangerousVarints returns the offsets in b where a uvarint of three to
// five bytes (as kmsg reads them: at most 32 bits) decodes to more than one
// plus the number of bytes that follow it.
func DangerousVarints(b []byte) []int {
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
		at := DangerousVarints(out)
		if len(at) == 0 {
			return out
		}
		for _, i := range at {
			out[i] = patch
		}
	}
}
