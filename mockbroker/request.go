package mockbroker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors for input a broker refuses to process. Each closes the connection
// it arrived on; they reach only the cluster's log.
var (
	errFrameTooLarge      = errors.New("mockbroker: request frame exceeds the maximum frame size")
	errMalformedRequest   = errors.New("mockbroker: malformed request")
	errUnknownAPIKey      = errors.New("mockbroker: unknown API key")
	errUnsupportedVersion = errors.New("mockbroker: unsupported API version")
)

// frameHeaderLen is the fixed part of every request header: api key,
// api version and correlation id.
const frameHeaderLen = 8

// request is one request frame, decoded.
type request struct {
	key      int16
	version  int16
	corr     int32
	clientID *string
	// body is the decoded request, or nil for an ApiVersions request at a
	// version above the one this broker serves: KIP-511 says such a body
	// must not be parsed, only answered with a v0 error response.
	body     kmsg.Request
	size     int
	received time.Time
	// frame is the request's frame, which body may alias. recyclable is
	// set by the handler when nothing kept a reference to it once the
	// request was served: a Produce request served without hooks (the
	// partition logs copy the batches they store).
	frame      []byte
	recyclable bool
}

// readFrame reads one size-prefixed frame from r and returns its contents
// (without the size). A frame announcing more than maxSize bytes, a negative
// size or a size too small for a request header is refused before any of
// its body is read. The buffer grows as bytes arrive (never to more than
// twice what was received), so a peer announcing a large frame and sending
// nothing costs no memory. The buffer comes from requestBufs when one there
// is large enough; a frame whose request kept nothing of it may go back
// with putRequestBuf.
func readFrame(r io.Reader, maxSize int32) ([]byte, error) {
	var sizeBuf [4]byte
	if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
	switch {
	case size < 0:
		return nil, fmt.Errorf("%w: negative frame size %d", errMalformedRequest, size)
	case size > maxSize:
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", errFrameTooLarge, size, maxSize)
	case size < frameHeaderLen:
		return nil, fmt.Errorf("%w: frame of %d bytes is shorter than a request header", errMalformedRequest, size)
	}
	var buf []byte
	if int(size) > requestChunk {
		buf = getRequestBuf() // only large frames: small ones would keep pooled buffers
	}
	if cap(buf) < min(int(size), requestChunk) {
		buf = make([]byte, 0, min(int(size), requestChunk))
	}
	for len(buf) < int(size) {
		if len(buf) == cap(buf) {
			// Double, up to the power of two that holds the frame, so
			// that the buffer, recycled, fits the next frame of a
			// similar size.
			grown := make([]byte, len(buf), min(pow2AtLeast(int(size)), 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		n, err := io.ReadFull(r, buf[len(buf):min(cap(buf), int(size))])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("%w: connection ended after %d of %d bytes of a frame", io.ErrUnexpectedEOF, len(buf), size)
			}
			return nil, err
		}
	}
	return buf, nil
}

// pow2AtLeast returns the smallest power of two at least n (n > 0).
func pow2AtLeast(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// requestBufs pools request frame buffers. A benchmark client sends
// produce requests of hundreds of KiB many times a second; reading each
// into a fresh buffer made the broker spend more on garbage collection
// than on the requests. Only frames whose request kept no reference to
// them come back (see request.recyclable); buffers beyond
// maxPooledRequest are left to the garbage collector.
var requestBufs sync.Pool

// requestChunk is the first allocation for a frame read without a pooled
// buffer; frames no larger neither take nor return pooled buffers.
// maxPooledRequest bounds what the pool keeps.
const (
	requestChunk     = 64 << 10
	maxPooledRequest = 16 << 20
)

func getRequestBuf() []byte {
	if b, ok := requestBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

func putRequestBuf(b []byte) {
	if cap(b) <= requestChunk || cap(b) > maxPooledRequest {
		return
	}
	b = b[:0]
	requestBufs.Put(&b)
}

// parseRequest decodes a request frame (without its size prefix): the header
// and, with kmsg, the body. avMax is the highest ApiVersions version the
// broker serves; a higher one is returned with a nil body (KIP-511).
// Errors wrap errMalformedRequest, errUnknownAPIKey or errUnsupportedVersion;
// the returned request carries the header fields decoded so far even then,
// for logging.
func parseRequest(frame []byte, avMax int16) (*request, error) {
	if len(frame) < frameHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes is shorter than a request header", errMalformedRequest, len(frame))
	}
	rq := &request{
		key:     int16(binary.BigEndian.Uint16(frame[0:])),
		version: int16(binary.BigEndian.Uint16(frame[2:])),
		corr:    int32(binary.BigEndian.Uint32(frame[4:])),
		size:    len(frame),
		frame:   frame,
	}
	rd := &reader{b: frame[frameHeaderLen:]}
	body := kmsg.RequestForKey(rq.key)
	if body == nil {
		return rq, fmt.Errorf("%w %d", errUnknownAPIKey, rq.key)
	}
	// ControlledShutdown v0 is the one request with header v0: no client id.
	if rq.key != int16(kmsg.ControlledShutdown) || rq.version != 0 {
		rq.clientID = rd.nullableString()
	}
	if rd.bad {
		return rq, fmt.Errorf("%w: %s v%d header: client id runs past the end of the frame", errMalformedRequest, kmsg.NameForKey(rq.key), rq.version)
	}
	if rq.version < 0 {
		return rq, fmt.Errorf("%w: %s v%d", errUnsupportedVersion, kmsg.NameForKey(rq.key), rq.version)
	}
	if rq.key == int16(kmsg.ApiVersions) && rq.version > avMax {
		return rq, nil
	}
	if rq.version > body.MaxVersion() {
		return rq, fmt.Errorf("%w: %s v%d is newer than any this broker knows", errUnsupportedVersion, kmsg.NameForKey(rq.key), rq.version)
	}
	body.SetVersion(rq.version)
	if body.IsFlexible() {
		rd.skipTags()
		if rd.bad {
			return rq, fmt.Errorf("%w: %s v%d header: bad tagged fields", errMalformedRequest, kmsg.NameForKey(rq.key), rq.version)
		}
	}
	if err := decodeBody(body, rd.b); err != nil {
		return rq, fmt.Errorf("%w: %s v%d body: %v", errMalformedRequest, kmsg.NameForKey(rq.key), rq.version, err)
	}
	rq.body = body
	return rq, nil
}

// appendResponse appends a response frame for resp, answering the request
// with correlation id corr, to dst.
func appendResponse(dst []byte, corr int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	// Flexible responses use response header v1 (a tagged-field section)
	// except ApiVersions, whose header stays v0 so that a client can read
	// the error code of a v0 fallback response at a fixed offset (KIP-511).
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// reader reads the request header fields kmsg does not decode. A read past
// the end sets bad and yields zero values.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) span(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad = true
		r.b = nil
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) uvarint() uint32 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > 1<<32-1 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return uint32(v)
}

func (r *reader) nullableString() *string {
	l := r.span(2)
	if l == nil {
		return nil
	}
	n := int16(binary.BigEndian.Uint16(l))
	if n < 0 {
		if n != -1 {
			r.bad = true
		}
		return nil
	}
	s := r.span(int(n))
	if s == nil {
		return nil
	}
	str := string(s)
	return &str
}

// skipTags skips a tagged-field section. Unlike kmsg.SkipTags it stops at
// the first bad read, so a hostile field count cannot make it spin.
func (r *reader) skipTags() {
	for n := r.uvarint(); n > 0 && !r.bad; n-- {
		r.uvarint()
		r.span(int(r.uvarint()))
	}
}
