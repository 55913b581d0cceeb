package mockbroker

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// hostileFrames builds one bad input of each kind; each must make the
// broker close the connection it arrives on.
func hostileFrames(rng *rand.Rand, maxFrame int32) map[string]func() []byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("hostile"))
	frame := func(key, version int16, body []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+2+len(body)))
		b = binary.BigEndian.AppendUint16(b, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, rng.Uint32())
		b = binary.BigEndian.AppendUint16(b, 0xffff) // null client id
		return append(b, body...)
	}
	return map[string]func() []byte{
		"unknown API key": func() []byte {
			return frame(int16(1000+rng.IntN(30000)), 0, nil)
		},
		"unsupported version": func() []byte {
			return frame(int16(kmsg.Produce), int16(20+rng.IntN(1000)), nil)
		},
		"unimplemented API": func() []byte {
			return frame(int16(kmsg.ControlledShutdown), 1, []byte{0, 0, 0, 1})
		},
		"truncated body": func() []byte {
			req := metadataReq(12, "a-topic", "another-topic")
			full := f.AppendRequest(nil, req, 1)
			cut := 14 + rng.IntN(len(full)-15) // keep the header, lose part of the body
			b := binary.BigEndian.AppendUint32(nil, uint32(cut-4))
			return append(b, full[4:cut]...)
		},
		"oversized length prefix": func() []byte {
			return binary.BigEndian.AppendUint32(nil, uint32(maxFrame)+1+uint32(rng.IntN(1<<20)))
		},
		"negative length prefix": func() []byte {
			return binary.BigEndian.AppendUint32(nil, uint32(0x80000000)|rng.Uint32())
		},
		"frame shorter than a header": func() []byte {
			n := rng.IntN(frameHeaderLen)
			b := binary.BigEndian.AppendUint32(nil, uint32(n))
			return append(b, make([]byte, n)...)
		},
		"client id past the end": func() []byte {
			b := binary.BigEndian.AppendUint32(nil, 10)
			b = binary.BigEndian.AppendUint16(b, uint16(kmsg.Metadata))
			b = binary.BigEndian.AppendUint16(b, 1)
			b = binary.BigEndian.AppendUint32(b, 1)
			return binary.BigEndian.AppendUint16(b, 500)
		},
		"garbage": func() []byte {
			n := 8 + rng.IntN(200)
			b := binary.BigEndian.AppendUint32(nil, uint32(n))
			for range n {
				b = append(b, byte(rng.UintN(256)))
			}
			// Make the key unknown or the version absurd so the
			// garbage can never be a valid request by chance.
			binary.BigEndian.PutUint16(b[6:], uint16(0x7000|rng.IntN(0x0fff)))
			return b
		},
	}
}

// TestHostileClientsDoNotDisturbOthers sends hundreds of bad frames of
// every kind, each on its own connection, while a well-behaved client
// produces and fetches; every bad connection must be closed by the broker
// and every good request must succeed.
func TestHostileClientsDoNotDisturbOthers(t *testing.T) {
	const perKind = 200
	const maxFrame = 1 << 20
	c := NewTest(t, WithTopic("t", 1), WithMaxFrameSize(maxFrame))
	addr := c.Addrs()[0]

	stop := make(chan struct{})
	var good sync.WaitGroup
	var produced, fetched atomic.Int64
	var goodErr atomic.Value
	good.Add(1)
	go func() {
		defer good.Done()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			goodErr.Store(err)
			return
		}
		defer conn.Close()
		tc := &testClient{t: t, conn: conn, br: bufioReader(conn), f: kmsg.NewRequestFormatter()}
		for {
			select {
			case <-stop:
				return
			default:
			}
			preq := produceReq(9, -1, "t", 0, batch(t, time.Now().UnixMilli(), "good"))
			resp, err := tc.recv(preq, tc.sendNoFail(preq))
			if err != nil || resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode != 0 {
				goodErr.Store(errors.Join(errors.New("produce failed"), err))
				return
			}
			produced.Add(1)
			freq := fetchReq(12, "t", 0, produced.Load()-1, 0, 0)
			fresp, err := tc.recv(freq, tc.sendNoFail(freq))
			if err != nil || len(fresp.(*kmsg.FetchResponse).Topics[0].Partitions[0].RecordBatches) == 0 {
				goodErr.Store(errors.Join(errors.New("fetch failed"), err))
				return
			}
			fetched.Add(1)
		}
	}()

	rng := rand.New(rand.NewPCG(1, 2))
	kinds := hostileFrames(rng, maxFrame)
	closed := map[string]int{}
	for name, gen := range kinds {
		frames := make([][]byte, perKind)
		for i := range frames {
			frames[i] = gen()
		}
		var n atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perKind; i += 4 {
					if sendAndExpectClose(addr, frames[i]) == nil {
						n.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		closed[name] = int(n.Load())
	}
	// Random bodies for implemented APIs: the broker either answers (the
	// bytes happened to decode) or closes; either way it goes on.
	answered, randomClosed := 0, 0
	for i := 0; i < perKind; i++ {
		key := []int16{int16(kmsg.Metadata), int16(kmsg.ApiVersions), int16(kmsg.ListOffsets)}[i%3]
		body := make([]byte, rng.IntN(64))
		for j := range body {
			body[j] = byte(rng.UintN(256))
		}
		b := binary.BigEndian.AppendUint32(nil, uint32(10+len(body)))
		b = binary.BigEndian.AppendUint16(b, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(rng.IntN(4)))
		b = binary.BigEndian.AppendUint32(b, 1)
		b = binary.BigEndian.AppendUint16(b, 0xffff)
		if sendAndExpectClose(addr, append(b, body...)) == nil {
			randomClosed++
		} else {
			answered++
		}
	}
	// Connections that send half a frame and hang up.
	for i := 0; i < perKind; i++ {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, _ = conn.Write([]byte{0, 0, 1, 0, 0, 3, 0})
		conn.Close()
	}
	// Every hostile connection is gone; only the good client's remains.
	eventually(t, "the broker to drop the hostile connections", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.brokers[0].conns) == 1
	})

	eventually(t, "the good client to make progress", func() bool { return produced.Load() >= 50 || goodErr.Load() != nil })
	close(stop)
	good.Wait()
	if err := goodErr.Load(); err != nil {
		t.Fatalf("the well-behaved client failed: %v", err)
	}
	for name, n := range closed {
		assert.Equal(t, perKind, n, "%s: connections closed by the broker", name)
		t.Logf("%-28s %d bad frames, %d connections closed by the broker", name, perKind, n)
	}
	t.Logf("%-28s %d bad frames, %d answered, %d closed", "random body, real API", perKind, answered, randomClosed)
	t.Logf("%-28s %d connections, all closed by the broker", "half a frame, then hang up", perKind)
	t.Logf("meanwhile the well-behaved client produced %d batches and fetched %d times", produced.Load(), fetched.Load())
	hwm, err := c.HighWatermark("t", 0)
	require.NoError(t, err)
	assert.Equal(t, produced.Load(), hwm)
	// The broker still accepts and serves new connections.
	dialClient(t, addr).do(metadataReq(12, "t"))
}

// sendAndExpectClose writes frame on a new connection and returns nil if
// the broker closes the connection without answering.
func sendAndExpectClose(addr string, frame []byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write(frame); err != nil {
		return nil // already closed by the broker
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	n, err := io.ReadFull(conn, b[:])
	if n > 0 {
		return errors.New("the broker answered a bad frame")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the broker left the connection open")
	}
	return nil
}

func TestReadFrameLimits(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"too large", []byte{0, 1, 0, 1}, errFrameTooLarge},
		{"negative", []byte{0xff, 0xff, 0xff, 0xf0}, errMalformedRequest},
		{"too small", []byte{0, 0, 0, 3, 1, 2, 3}, errMalformedRequest},
		{"truncated", []byte{0, 0, 0, 20, 1, 2, 3}, io.ErrUnexpectedEOF},
		{"empty", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readFrame(bytesReader(tt.in), 1024)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	frame, err := readFrame(bytesReader([]byte{0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9}), 1024)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3, 4, 5, 6, 7, 8}, frame)
}

func TestParseRequestErrors(t *testing.T) {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("x"))
	good := f.AppendRequest(nil, metadataReq(12, "t"), 5)[4:]
	rq, err := parseRequest(good, apiVersionsMax())
	require.NoError(t, err)
	assert.Equal(t, int32(5), rq.corr)
	require.NotNil(t, rq.clientID)
	assert.Equal(t, "x", *rq.clientID)

	unknown := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(unknown, 4242)
	_, err = parseRequest(unknown, apiVersionsMax())
	assert.ErrorIs(t, err, errUnknownAPIKey)

	future := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(future[2:], 99)
	_, err = parseRequest(future, apiVersionsMax())
	assert.ErrorIs(t, err, errUnsupportedVersion)

	negative := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(negative[2:], 0xffff)
	_, err = parseRequest(negative, apiVersionsMax())
	assert.ErrorIs(t, err, errUnsupportedVersion)

	_, err = parseRequest(good[:len(good)-4], apiVersionsMax())
	assert.ErrorIs(t, err, errMalformedRequest)

	badTags := append([]byte(nil), good[:11]...)            // header up to the client id
	badTags = append(badTags, 0xff, 0xff, 0xff, 0xff, 0x0f) // 2^32-1 tags, then nothing
	_, err = parseRequest(badTags, apiVersionsMax())
	assert.ErrorIs(t, err, errMalformedRequest)
}
