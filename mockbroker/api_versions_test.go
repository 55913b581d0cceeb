package mockbroker

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

func TestApiVersionsAdvertisesTheHandlers(t *testing.T) {
	c := NewTest(t)
	want := map[int16][2]int16{}
	for _, a := range apiTable() {
		want[int16(a.key)] = [2]int16{a.advertisedMin(), a.max}
	}
	// Produce is advertised from v0 for librdkafka's compression check
	// (KAFKA-18659) although only record-batch versions are served.
	require.Equal(t, [2]int16{0, 11}, want[int16(kmsg.Produce)])
	for v := int16(0); v <= apiVersionsMax(); v++ {
		t.Run("v"+string(rune('0'+v)), func(t *testing.T) {
			tc := dialClient(t, c.Addrs()[0])
			req := kmsg.NewPtrApiVersionsRequest()
			req.SetVersion(v)
			req.ClientSoftwareName, req.ClientSoftwareVersion = "samsa-test", "1.0.0"
			resp := tc.do(req).(*kmsg.ApiVersionsResponse)
			require.Zero(t, resp.ErrorCode)
			got := map[int16][2]int16{}
			for _, k := range resp.ApiKeys {
				got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
			}
			assert.Equal(t, want, got)
			for i := 1; i < len(resp.ApiKeys); i++ {
				assert.Less(t, resp.ApiKeys[i-1].ApiKey, resp.ApiKeys[i].ApiKey, "keys are sorted")
			}
		})
	}
}

// TestApiVersionsUnsupportedVersionFallsBackToV0 checks KIP-511: a version
// above the broker's gets a v0 body (with a v0 header) carrying
// UNSUPPORTED_VERSION and the ApiVersions range, and the connection stays
// open for the retry.
func TestApiVersionsUnsupportedVersionFallsBackToV0(t *testing.T) {
	c := NewTest(t)
	for _, v := range []int16{apiVersionsMax() + 1, 5, 127} {
		tc := dialClient(t, c.Addrs()[0])
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(min(v, req.MaxVersion()))
		frame := tc.f.AppendRequest(nil, req, 77)
		binary.BigEndian.PutUint16(frame[6:], uint16(v)) // the version field
		_, err := tc.conn.Write(frame)
		require.NoError(t, err)
		var size [4]byte
		_, err = io.ReadFull(tc.br, size[:])
		require.NoError(t, err)
		body := make([]byte, binary.BigEndian.Uint32(size[:]))
		_, err = io.ReadFull(tc.br, body)
		require.NoError(t, err)
		assert.Equal(t, int32(77), int32(binary.BigEndian.Uint32(body)))
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.SetVersion(0)
		require.NoError(t, resp.ReadFrom(body[4:]))
		assert.Equal(t, kerr.UnsupportedVersion.Code, resp.ErrorCode)
		require.Len(t, resp.ApiKeys, 1)
		assert.Equal(t, int16(kmsg.ApiVersions), resp.ApiKeys[0].ApiKey)
		assert.Equal(t, apiVersionsMax(), resp.ApiKeys[0].MaxVersion)

		ok := kmsg.NewPtrApiVersionsRequest()
		ok.SetVersion(3)
		ok.ClientSoftwareName, ok.ClientSoftwareVersion = "x", "1"
		assert.Zero(t, tc.do(ok).(*kmsg.ApiVersionsResponse).ErrorCode, "the connection stays usable")
	}
}

func TestApiVersionsValidatesClientSoftware(t *testing.T) {
	c := NewTest(t)
	tests := []struct {
		name, version string
		ok            bool
	}{
		{"sarama", "v1.61.1", true},
		{"librdkafka", "2.6.0", true},
		{"a", "1", true},
		{"", "1.0", false},
		{"samsa", "", false},
		{"-samsa", "1", false},
		{"samsa.", "1", false},
		{"sam sa", "1", false},
		{"samsa", "(devel)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.version, func(t *testing.T) {
			tc := dialClient(t, c.Addrs()[0])
			req := kmsg.NewPtrApiVersionsRequest()
			req.SetVersion(3)
			req.ClientSoftwareName, req.ClientSoftwareVersion = tt.name, tt.version
			resp := tc.do(req).(*kmsg.ApiVersionsResponse)
			if tt.ok {
				assert.Zero(t, resp.ErrorCode)
			} else {
				assert.Equal(t, kerr.InvalidRequest.Code, resp.ErrorCode)
			}
		})
	}
}

// TestProduceBelowServedVersionIsRefused checks that advertising Produce
// from v0 does not make the broker accept message-set versions: a v2
// Produce closes the connection.
func TestProduceBelowServedVersionIsRefused(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(2)
	req.Acks = 1
	req.TimeoutMillis = 1000
	_, err := tc.conn.Write(tc.f.AppendRequest(nil, req, 1))
	require.NoError(t, err)
	var b [1]byte
	_, err = io.ReadFull(tc.br, b[:])
	require.Error(t, err, "the broker must close the connection instead of answering")
}
