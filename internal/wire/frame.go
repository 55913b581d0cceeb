package wire

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/samsa-go/samsa"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// readBufSize is the frameReader's buffer: large enough that small
// responses (produce acks, heartbeats, metadata of a few topics) arrive in
// one read system call, small enough not to matter per connection.
const readBufSize = 16 << 10

// frameReader splits a byte stream into size-prefixed Kafka frames. It is
// resumable: when the underlying Read returns an error (a read deadline
// that fired early, for instance) the bytes of the partial frame are kept
// and the next call to next continues where the last one stopped.
//
// Each returned frame is a freshly allocated slice that the caller owns,
// because kmsg's decoders alias their input (record batches, byte fields).
// Not safe for concurrent use; the connection's reader goroutine owns it.
type frameReader struct {
	r   io.Reader
	max int32

	buf      []byte // buffered stream bytes are buf[off:end]
	off, end int

	frame []byte // the frame being filled; nil between frames
	have  int    // bytes of frame filled so far
}

func newFrameReader(r io.Reader, maxSize int32) *frameReader {
	return &frameReader{r: r, max: maxSize, buf: make([]byte, readBufSize)}
}

// malformedError marks a permanent framing or decoding failure. It wraps
// samsa.ErrMalformedResponse.
type malformedError struct{ msg string }

func (e *malformedError) Error() string {
	return samsa.ErrMalformedResponse.Error() + ": " + e.msg
}

func (e *malformedError) Unwrap() error { return samsa.ErrMalformedResponse }

func malformedf(format string, args ...any) error {
	return &malformedError{msg: fmt.Sprintf(format, args...)}
}

// next returns the next complete frame, without its 4-byte size prefix.
// A *malformedError is permanent; any other error comes from the
// underlying reader and the frame reader may be called again after it.
func (f *frameReader) next() ([]byte, error) {
	for {
		if f.frame == nil {
			if f.end-f.off >= 4 {
				size := int32(binary.BigEndian.Uint32(f.buf[f.off:]))
				switch {
				case size < 4:
					return nil, malformedf("frame size %d is too small to hold a correlation id", size)
				case size > f.max:
					return nil, malformedf("frame size %d exceeds the maximum response size %d", size, f.max)
				}
				f.off += 4
				f.frame = make([]byte, size)
				f.have = 0
			} else if err := f.fill(); err != nil {
				return nil, err
			}
			continue
		}
		n := copy(f.frame[f.have:], f.buf[f.off:f.end])
		f.off += n
		f.have += n
		if f.have == len(f.frame) {
			fr := f.frame
			f.frame = nil
			return fr, nil
		}
		// The buffer is drained. A large remainder is read straight into
		// the frame, sparing a copy; a small one goes through the buffer so
		// the next frame's first bytes come with the same system call.
		if len(f.frame)-f.have >= len(f.buf) {
			n, err := f.r.Read(f.frame[f.have:])
			f.have += n
			switch {
			case f.have == len(f.frame):
				// Complete; an error that came with the last bytes
				// resurfaces on the next read.
			case err != nil:
				return nil, err
			case n == 0:
				return nil, io.ErrNoProgress
			}
			continue
		}
		if err := f.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads at least one more byte into the buffer, compacting it first.
func (f *frameReader) fill() error {
	if f.off == f.end {
		f.off, f.end = 0, 0
	} else if f.end == len(f.buf) {
		f.end = copy(f.buf, f.buf[f.off:f.end])
		f.off = 0
	}
	n, err := f.r.Read(f.buf[f.end:])
	f.end += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// buffered reports whether bytes of an unfinished frame are pending.
func (f *frameReader) buffered() bool { return f.frame != nil || f.end > f.off }

// decodeResponse checks a frame's correlation id, skips the response
// header and decodes the body as the response to req. Errors wrap
// samsa.ErrMalformedResponse. A panic in a (possibly custom) decoder is
// reported as a malformed response rather than taking the process down.
//
// kmsg (v1.15.0) bounds allocations by the bytes present but not loops: a
// hostile flexible body announcing ~2^32 tagged fields would keep ReadFrom
// busy for minutes. decodeBody refuses such bodies; the header's tags,
// which this package skips itself, are bounded.
func decodeResponse(req kmsg.Request, corr int32, frame []byte) (resp kmsg.Response, err error) {
	if len(frame) < 4 {
		return nil, malformedf("frame of %d bytes has no correlation id", len(frame))
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return nil, malformedf("correlation id %d, expected %d for %s", got, corr, keyName(req.Key()))
	}
	body := frame[4:]
	key := req.Key()
	// Flexible responses carry header v1 (tagged fields) — except
	// ApiVersions, whose header stays v0 so that a broker can answer any
	// ApiVersions version with a v0 body (KIP-511).
	if req.IsFlexible() && key != 18 {
		rest, ok := skipTags(body)
		if !ok {
			return nil, malformedf("truncated tagged fields in the %s response header", keyName(key))
		}
		body = rest
	}
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, malformedf("decoding %s v%d panicked: %v", keyName(key), req.GetVersion(), r)
		}
	}()
	resp = req.ResponseKind()
	if resp == nil {
		return nil, malformedf("request %s has no response kind", keyName(key))
	}
	// A broker that does not serve the requested ApiVersions version
	// answers in the v0 layout with UNSUPPORTED_VERSION and its own range.
	if key == 18 && len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == errUnsupportedVersion {
		resp.SetVersion(0)
	}
	if err := decodeBody(req, resp, body); err != nil {
		return nil, malformedf("decoding %s v%d: %v", keyName(key), resp.GetVersion(), err)
	}
	return resp, nil
}

// errUnsupportedVersion is Kafka's UNSUPPORTED_VERSION error code.
const errUnsupportedVersion int16 = 35

// skipTags skips a tagged-field section at the front of b. Unlike
// kmsg.SkipTags it stops at the first truncation, so a hostile count
// cannot make it spin.
func skipTags(b []byte) ([]byte, bool) {
	n, ok := uvarint(&b)
	if !ok {
		return nil, false
	}
	for ; n > 0; n-- {
		if _, ok := uvarint(&b); !ok {
			return nil, false
		}
		size, ok := uvarint(&b)
		if !ok || uint64(size) > uint64(len(b)) {
			return nil, false
		}
		b = b[size:]
	}
	return b, true
}

func uvarint(b *[]byte) (uint32, bool) {
	v, n := binary.Uvarint(*b)
	if n <= 0 || v > 1<<32-1 {
		return 0, false
	}
	*b = (*b)[n:]
	return uint32(v), true
}
