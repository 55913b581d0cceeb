package wire

import (
	"context"
	"sync"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestVersionNegotiation(t *testing.T) {
	metaMax := kmsg.NewPtrMetadataRequest().MaxVersion()
	tests := []struct {
		name     string
		broker   [2]int16 // Metadata range the broker advertises
		caps     map[int16]int16
		want     int16
		wantFail bool
	}{
		{"broker older than client", [2]int16{0, 7}, nil, 7, false},
		{"broker newer than client", [2]int16{0, metaMax + 5}, nil, metaMax, false},
		{"same range", [2]int16{0, metaMax}, nil, metaMax, false},
		{"capped by MaxVersions", [2]int16{0, metaMax}, map[int16]int16{3: 4}, 4, false},
		{"cap above broker", [2]int16{0, 6}, map[int16]int16{3: 9}, 6, false},
		{"broker minimum above cap", [2]int16{5, 12}, map[int16]int16{3: 2}, -1, true},
		{"broker minimum above client", [2]int16{metaMax + 1, metaMax + 3}, nil, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			versions := wiretest.DefaultVersions()
			versions[3] = tt.broker
			var mu sync.Mutex
			var seen []int16
			s := wiretest.NewServer(t, versions, func(r *wiretest.Request) wiretest.Reply {
				if r.Key == 3 {
					mu.Lock()
					seen = append(seen, r.Version)
					mu.Unlock()
					return wiretest.Reply{Resp: echoMetadata(r)}
				}
				return wiretest.Reply{}
			})
			c := dial(t, s, Options{MaxVersions: tt.caps})

			v, ok := c.Version(3)
			lo, hi, advertised := c.BrokerVersions(3)
			require.True(t, advertised)
			assert.Equal(t, tt.broker, [2]int16{lo, hi})

			resp, err := c.Do(context.Background(), metadataReq("t"))
			if tt.wantFail {
				assert.False(t, ok)
				var ue *UnsupportedAPIError
				require.ErrorAs(t, err, &ue)
				require.ErrorIs(t, err, samsa.ErrUnsupportedVersion)
				assert.Equal(t, int16(3), ue.Key)
				assert.Equal(t, "Metadata", ue.Name)
				assert.Equal(t, tt.broker[0], ue.BrokerMin)
				assert.Equal(t, tt.broker[1], ue.BrokerMax)
				assert.Equal(t, 0, s.Count(3), "nothing may be sent")
				return
			}
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.want, resp.GetVersion())
			mu.Lock()
			assert.Equal(t, []int16{tt.want}, seen)
			mu.Unlock()
		})
	}
}

func TestMissingAPI(t *testing.T) {
	versions := wiretest.DefaultVersions()
	delete(versions, 68) // ConsumerGroupHeartbeat
	s := wiretest.NewServer(t, versions, nil)
	c := dial(t, s, Options{})

	_, ok := c.Version(68)
	assert.False(t, ok)
	_, _, ok = c.BrokerVersions(68)
	assert.False(t, ok)

	_, err := c.Do(context.Background(), kmsg.NewPtrConsumerGroupHeartbeatRequest())
	var ue *UnsupportedAPIError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, int16(-1), ue.BrokerMin)
	assert.Equal(t, int16(-1), ue.BrokerMax)
	assert.Contains(t, ue.Error(), "does not support ConsumerGroupHeartbeat")

	done := make(chan error, 1)
	c.DoAsync(kmsg.NewPtrConsumerGroupHeartbeatRequest(), noDeadline, func(_ kmsg.Response, err error) { done <- err })
	require.ErrorIs(t, <-done, samsa.ErrUnsupportedVersion)
	require.NoError(t, c.Err(), "an unsupported API does not harm the connection")

	_, ok = c.Version(-5)
	assert.False(t, ok)
	_, ok = c.Version(30000)
	assert.False(t, ok)
}

func TestApiVersionsFallback(t *testing.T) {
	ourMax := kmsg.NewPtrApiVersionsRequest().MaxVersion()
	tests := []struct {
		name      string
		brokerMax int16
		caps      map[int16]int16
		wantSent  []int16
	}{
		{"current broker", ourMax, nil, []int16{ourMax}},
		{"broker knows v3", 3, nil, []int16{ourMax, 3}},
		{"broker knows v2 (non-flexible)", 2, nil, []int16{ourMax, 2}},
		{"broker knows only v0", 0, nil, []int16{ourMax, 0}},
		{"capped by MaxVersions", ourMax, map[int16]int16{18: 1}, []int16{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			versions := wiretest.DefaultVersions()
			versions[18] = [2]int16{0, tt.brokerMax}
			var mu sync.Mutex
			var sent []int16
			s := wiretest.NewServer(t, versions, func(r *wiretest.Request) wiretest.Reply {
				if r.Key == 18 {
					mu.Lock()
					sent = append(sent, r.Version)
					mu.Unlock()
				}
				return wiretest.Reply{}
			})
			c := dial(t, s, Options{MaxVersions: tt.caps})
			mu.Lock()
			assert.Equal(t, tt.wantSent, sent)
			mu.Unlock()
			v, ok := c.Version(0)
			require.True(t, ok, "the full version list was learned")
			assert.Equal(t, kmsg.NewPtrProduceRequest().MaxVersion(), v)
		})
	}

	t.Run("broker keeps rejecting", func(t *testing.T) {
		s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
			// Claims to support everything, then rejects anyway.
			resp := kmsg.NewPtrApiVersionsResponse()
			resp.ErrorCode = 35
			k := kmsg.NewApiVersionsResponseApiKey()
			k.ApiKey, k.MaxVersion = 18, 100
			resp.ApiKeys = append(resp.ApiKeys, k)
			return wiretest.Reply{Resp: resp}
		})
		_, err := Dial(context.Background(), s.Addr(), Options{})
		var be *BrokerError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, int16(35), be.Code)
		assert.LessOrEqual(t, s.Count(18), maxFallbacks+1)
	})
}
