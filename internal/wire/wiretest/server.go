package wiretest

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Request is one decoded request as the handler sees it.
type Request struct {
	Key, Version int16
	Corr         int32
	ClientID     *string
	Req          kmsg.Request
	// Conn identifies the connection (1, 2, ... in accept order).
	Conn int
}

// Reply is a handler's answer. The zero Reply means "not handled": the
// server answers ApiVersions itself and closes the connection for any
// other key.
type Reply struct {
	// Resp is encoded with the right response header for Req.
	Resp kmsg.Response
	// Raw, if set, is written verbatim instead (size prefix included).
	Raw []byte
	// NoReply sends nothing (as for acks=0 produce) and goes on.
	NoReply bool
	// Close closes the connection instead of answering.
	Close bool
}

func (r Reply) zero() bool { return r.Resp == nil && r.Raw == nil && !r.NoReply && !r.Close }

// Handler answers requests. It runs on the connection's handler goroutine
// and may block to hold back this connection's responses (later requests
// are still read and counted). It must return once the Server is closing:
// select on Server.Closing() when blocking.
type Handler func(r *Request) Reply

// Server is a fake broker. Safe for concurrent use.
type Server struct {
	ln      net.Listener
	handler Handler

	mu       sync.Mutex
	versions map[int16][2]int16
	conns    map[net.Conn]struct{}
	counts   map[int16]int
	nconns   int
	closed   bool

	closing chan struct{}
	wg      sync.WaitGroup
}

// DefaultVersions advertises every API key kmsg knows, v0 up to kmsg's
// maximum.
func DefaultVersions() map[int16][2]int16 {
	out := make(map[int16][2]int16)
	for k := int16(0); k < 200; k++ {
		if r := kmsg.RequestForKey(k); r != nil {
			out[k] = [2]int16{0, r.MaxVersion()}
		}
	}
	return out
}

// NewServer starts a fake broker on 127.0.0.1 with an ephemeral port and
// registers Close with tb.Cleanup. versions nil means DefaultVersions.
func NewServer(tb testing.TB, versions map[int16][2]int16, h Handler) *Server {
	tb.Helper()
	s, err := Start(versions, h)
	if err != nil {
		tb.Fatalf("wiretest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewTLSServer is NewServer behind TLS with the given server config.
func NewTLSServer(tb testing.TB, cfg *tls.Config, versions map[int16][2]int16, h Handler) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("wiretest: %v", err)
	}
	s := serve(tls.NewListener(ln, cfg), versions, h)
	tb.Cleanup(s.Close)
	return s
}

// Start is NewServer without a testing.TB; the caller must Close.
func Start(versions map[int16][2]int16, h Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return serve(ln, versions, h), nil
}

func serve(ln net.Listener, versions map[int16][2]int16, h Handler) *Server {
	if versions == nil {
		versions = DefaultVersions()
	}
	if h == nil {
		h = func(*Request) Reply { return Reply{} }
	}
	s := &Server{
		ln:       ln,
		handler:  h,
		versions: versions,
		conns:    make(map[net.Conn]struct{}),
		counts:   make(map[int16]int),
		closing:  make(chan struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HostPort returns the host and port separately, as Metadata wants them.
func (s *Server) HostPort() (string, int32) {
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return host, int32(p)
}

// Closing is closed when Close starts; blocking handlers select on it.
func (s *Server) Closing() <-chan struct{} { return s.closing }

// SetVersions replaces the advertised API versions for new ApiVersions
// requests.
func (s *Server) SetVersions(v map[int16][2]int16) {
	s.mu.Lock()
	s.versions = v
	s.mu.Unlock()
}

// Count returns how many requests of key were received (decoded).
func (s *Server) Count(key int16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// Conns returns how many connections were accepted so far.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nconns
}

// DropConnections closes every open connection; the server keeps
// accepting new ones.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// Close stops the listener, closes every connection and waits for every
// goroutine. Idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	close(s.closing)
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.nconns++
		id := s.nconns
		s.wg.Add(2)
		s.mu.Unlock()
		reqs := make(chan *Request, 64)
		go s.read(nc, id, reqs)
		go s.serve(nc, reqs)
	}
}

func (s *Server) forget(nc net.Conn) {
	_ = nc.Close()
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}

// read decodes requests and queues them for serve, in order.
func (s *Server) read(nc net.Conn, id int, reqs chan<- *Request) {
	defer s.wg.Done()
	defer close(reqs)
	br := bufio.NewReader(nc)
	for {
		r, err := readRequest(br)
		if err != nil {
			s.forget(nc)
			return
		}
		r.Conn = id
		s.mu.Lock()
		s.counts[r.Key]++
		s.mu.Unlock()
		select {
		case reqs <- r:
		case <-s.closing:
			s.forget(nc)
			return
		}
	}
}

// serve answers queued requests in arrival order.
func (s *Server) serve(nc net.Conn, reqs <-chan *Request) {
	defer s.wg.Done()
	defer s.forget(nc)
	for r := range reqs {
		rep := s.handler(r)
		if rep.zero() {
			rep = s.builtin(r)
		}
		switch {
		case rep.Close:
			return
		case rep.NoReply:
			continue
		case rep.Raw != nil:
			if _, err := nc.Write(rep.Raw); err != nil {
				return
			}
		case rep.Resp != nil:
			if _, err := nc.Write(EncodeResponse(rep.Resp, r.Corr)); err != nil {
				return
			}
		}
	}
}

// builtin answers ApiVersions (with the KIP-511 fallback) and closes the
// connection for anything else.
func (s *Server) builtin(r *Request) Reply {
	if r.Key != 18 {
		return Reply{Close: true}
	}
	s.mu.Lock()
	versions := s.versions
	s.mu.Unlock()
	return Reply{Resp: ApiVersionsResponse(r, versions)}
}

// ApiVersionsResponse builds the answer to an ApiVersions request for the
// advertised versions: a full list at the requested version, or, when the
// requested version is above what is advertised for key 18, a v0 body with
// UNSUPPORTED_VERSION and only the ApiVersions range (KIP-511).
func ApiVersionsResponse(r *Request, versions map[int16][2]int16) kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(r.Version)
	av, ok := versions[18]
	if !ok || r.Version > av[1] {
		resp.SetVersion(0)
		resp.ErrorCode = 35
		if ok {
			k := kmsg.NewApiVersionsResponseApiKey()
			k.ApiKey, k.MinVersion, k.MaxVersion = 18, av[0], av[1]
			resp.ApiKeys = append(resp.ApiKeys, k)
		}
		return resp
	}
	for key := int16(0); key < 1000; key++ {
		v, ok := versions[key]
		if !ok {
			continue
		}
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = key, v[0], v[1]
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}

// EncodeResponse frames a response: size, correlation id, a tag byte for
// flexible responses other than ApiVersions, body.
func EncodeResponse(resp kmsg.Response, corr int32) []byte {
	buf := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(buf[4:], uint32(corr))
	if resp.IsFlexible() && resp.Key() != 18 {
		buf = append(buf, 0)
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	return buf
}

// maxRequest bounds request frames the fake accepts.
const maxRequest = 64 << 20

var errBadRequest = errors.New("wiretest: malformed request")

// readRequest reads and decodes one request frame.
func readRequest(r io.Reader) (*Request, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if n < 8 || n > maxRequest {
		return nil, fmt.Errorf("%w: size %d", errBadRequest, n)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		return nil, err
	}
	req := &Request{
		Key:     int16(binary.BigEndian.Uint16(frame)),
		Version: int16(binary.BigEndian.Uint16(frame[2:])),
		Corr:    int32(binary.BigEndian.Uint32(frame[4:])),
	}
	body := frame[8:]
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: no client id", errBadRequest)
	}
	if l := int16(binary.BigEndian.Uint16(body)); l >= 0 {
		if int(l)+2 > len(body) {
			return nil, fmt.Errorf("%w: client id", errBadRequest)
		}
		id := string(body[2 : 2+l])
		req.ClientID = &id
		body = body[2+l:]
	} else {
		body = body[2:]
	}
	kr := kmsg.RequestForKey(req.Key)
	if kr == nil {
		return nil, fmt.Errorf("%w: unknown key %d", errBadRequest, req.Key)
	}
	if req.Version < 0 || req.Version > kr.MaxVersion() {
		// ApiVersions must still be answered (KIP-511): decode what we can.
		if req.Key != 18 {
			return nil, fmt.Errorf("%w: key %d v%d", errBadRequest, req.Key, req.Version)
		}
		req.Req = kr
		return req, nil
	}
	kr.SetVersion(req.Version)
	if kr.IsFlexible() {
		if len(body) < 1 || body[0] != 0 {
			return nil, fmt.Errorf("%w: header tags", errBadRequest)
		}
		body = body[1:]
	}
	if err := kr.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	req.Req = kr
	return req, nil
}
