package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// frame builds a size-prefixed frame around payload.
func frame(payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	return append(out, body...)
}

func corrBytes(c int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(c)) }

func TestResponseHeaders(t *testing.T) {
	meta := func(v int16) (kmsg.Request, kmsg.Response) {
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(v)
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = 7, "broker-7", 9092
		resp.Brokers = append(resp.Brokers, b)
		return req, resp
	}
	apiv := func(v int16) (kmsg.Request, kmsg.Response) {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(v)
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MaxVersion = 3, 12
		resp.ApiKeys = append(resp.ApiKeys, k)
		return req, resp
	}
	tests := []struct {
		name    string
		build   func() (kmsg.Request, kmsg.Response)
		tagByte bool
	}{
		{"Metadata v8 non-flexible", func() (kmsg.Request, kmsg.Response) { return meta(8) }, false},
		{"Metadata v12 flexible header", func() (kmsg.Request, kmsg.Response) { return meta(12) }, true},
		{"ApiVersions v2 non-flexible", func() (kmsg.Request, kmsg.Response) { return apiv(2) }, false},
		{"ApiVersions v3 flexible body, v0 header", func() (kmsg.Request, kmsg.Response) { return apiv(3) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, resp := tt.build()
			wireFrame := wiretest.EncodeResponse(resp, 9)
			hasTag := len(wireFrame) > 8 && wireFrame[8] == 0 && resp.IsFlexible() && resp.Key() != 18
			assert.Equal(t, tt.tagByte, hasTag)
			got, err := decodeResponse(req, 9, wireFrame[4:])
			require.NoError(t, err)
			assert.Equal(t, resp.AppendTo(nil), got.AppendTo(nil))
		})
	}

	t.Run("flexible header with tagged fields", func(t *testing.T) {
		req, resp := meta(12)
		// Header: corr, 2 tags (tag 0 with 3 bytes, tag 5 with 0 bytes).
		hdr := append(corrBytes(4), 2, 0, 3, 'a', 'b', 'c', 5, 0)
		got, err := decodeResponse(req, 4, append(hdr, resp.AppendTo(nil)...))
		require.NoError(t, err)
		assert.Equal(t, "broker-7", got.(*kmsg.MetadataResponse).Brokers[0].Host)
	})

	t.Run("ApiVersions v0 fallback body", func(t *testing.T) {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(4)
		fallback := kmsg.NewPtrApiVersionsResponse() // v0
		fallback.ErrorCode = 35
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MaxVersion = 18, 2
		fallback.ApiKeys = append(fallback.ApiKeys, k)
		got, err := decodeResponse(req, 1, append(corrBytes(1), fallback.AppendTo(nil)...))
		require.NoError(t, err)
		r := got.(*kmsg.ApiVersionsResponse)
		assert.Equal(t, int16(0), r.GetVersion())
		assert.Equal(t, int16(35), r.ErrorCode)
		require.Len(t, r.ApiKeys, 1)
		assert.Equal(t, int16(2), r.ApiKeys[0].MaxVersion)
	})
}

func TestDecodeResponseErrors(t *testing.T) {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	tests := []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"short correlation id", []byte{0, 0, 1}},
		{"correlation mismatch", corrBytes(8)},
		{"truncated header tags", append(corrBytes(7), 3, 0)},
		{"huge tag count", append(corrBytes(7), 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"truncated body", append(corrBytes(7), 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeResponse(req, 7, tt.frame)
			require.ErrorIs(t, err, samsa.ErrMalformedResponse)
		})
	}
}

func TestGarbageResponses(t *testing.T) {
	okBody := func(corr int32) []byte {
		resp := kmsg.NewPtrMetadataResponse()
		resp.SetVersion(kmsg.NewPtrMetadataRequest().MaxVersion())
		return append(append(corrBytes(corr), 0), resp.AppendTo(nil)...)
	}
	tests := []struct {
		name string
		raw  func(corr int32) []byte
		want string
	}{
		{"correlation id mismatch", func(c int32) []byte { return frame(okBody(c + 1)) }, "correlation id"},
		{"truncated body", func(c int32) []byte { return frame(corrBytes(c), []byte{0, 0, 0}) }, "decoding Metadata"},
		{"oversize frame", func(int32) []byte { return binary.BigEndian.AppendUint32(nil, 1<<30) }, "exceeds the maximum"},
		{"negative size", func(int32) []byte { return binary.BigEndian.AppendUint32(nil, 0xfffffff0) }, "too small"},
		{"size below correlation id", func(int32) []byte { return frame([]byte{1, 2}) }, "too small"},
		{"unsolicited second response", func(c int32) []byte {
			return append(frame(okBody(c)), frame(okBody(c+1))...)
		}, "no request in flight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
				if r.Key == 3 {
					return wiretest.Reply{Raw: tt.raw(r.Corr)}
				}
				return wiretest.Reply{}
			})
			c := dial(t, s, Options{})
			_, err := c.Do(context.Background(), metadataReq("x"))
			<-c.Done()
			connErr := c.Err()
			require.ErrorIs(t, connErr, samsa.ErrMalformedResponse)
			assert.Contains(t, connErr.Error(), tt.want)
			if tt.name == "unsolicited second response" {
				require.NoError(t, err, "the first response was fine")
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, samsa.ErrMalformedResponse) || errors.Is(err, samsa.ErrConnectionClosed), "%v", err)
		})
	}
}

// stutterReader hands out data in small pieces and returns a timeout
// error between pieces, like a socket whose read deadline fires early.
type stutterReader struct {
	data  []byte
	chunk int
	flip  bool
}

func (r *stutterReader) Read(p []byte) (int, error) {
	r.flip = !r.flip
	if r.flip {
		return 0, os.ErrDeadlineExceeded
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(r.chunk, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestFrameReaderResumesAfterTimeouts(t *testing.T) {
	big := bytes.Repeat([]byte{0xab}, 3*readBufSize+17) // takes the direct-read path
	frames := [][]byte{
		append(corrBytes(1), 'a', 'b'),
		append(corrBytes(2), big...),
		corrBytes(3),
		append(corrBytes(4), bytes.Repeat([]byte{1}, readBufSize-3)...), // straddles the buffer end
	}
	var stream []byte
	for _, f := range frames {
		stream = append(stream, frame(f)...)
	}
	for _, chunk := range []int{1, 7, 4096, len(stream)} {
		fr := newFrameReader(&stutterReader{data: stream, chunk: chunk}, 1<<30)
		var got [][]byte
		timeouts := 0
		for len(got) < len(frames) {
			f, err := fr.next()
			if isTimeout(err) {
				timeouts++
				continue
			}
			require.NoError(t, err)
			got = append(got, f)
		}
		assert.Equal(t, frames, got, "chunk %d", chunk)
		assert.Positive(t, timeouts)
		assert.False(t, fr.buffered())
		_, err := fr.next()
		for isTimeout(err) {
			_, err = fr.next()
		}
		assert.ErrorIs(t, err, io.EOF)
	}
}
