package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		option string
	}{
		{"negative dial timeout", Options{DialTimeout: -1}, "wire.Options.DialTimeout"},
		{"negative request timeout", Options{RequestTimeout: -time.Second}, "wire.Options.RequestTimeout"},
		{"negative in flight", Options{MaxInFlight: -1}, "wire.Options.MaxInFlight"},
		{"negative response size", Options{MaxResponseSize: -1}, "wire.Options.MaxResponseSize"},
		{"tiny response size", Options{MaxResponseSize: 7}, "wire.Options.MaxResponseSize"},
		{"negative version cap", Options{MaxVersions: map[int16]int16{3: -1}}, "wire.Options.MaxVersions"},
		{"bad software name", Options{SoftwareName: "has space"}, "wire.Options.SoftwareName"},
		{"bad software version", Options{SoftwareVersion: "-1.0"}, "wire.Options.SoftwareVersion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(context.Background(), "127.0.0.1:1", tt.opts)
			require.Nil(t, c)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}

	o, err := Options{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, DefaultDialTimeout, o.DialTimeout)
	assert.Equal(t, DefaultRequestTimeout, o.RequestTimeout)
	assert.Equal(t, DefaultMaxInFlight, o.MaxInFlight)
	assert.Equal(t, int32(DefaultMaxResponseSize), o.MaxResponseSize)
	assert.Equal(t, DefaultClientID, o.ClientID)
	assert.NotNil(t, o.Dialer)
	assert.NotNil(t, o.Logger)
}

func TestDialFailures(t *testing.T) {
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = Dial(context.Background(), addr, Options{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), addr)
	})
	t.Run("dial timeout", func(t *testing.T) {
		blocked := func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		start := time.Now()
		_, err := Dial(context.Background(), "10.0.0.1:9092", Options{Dialer: blocked, DialTimeout: 30 * time.Millisecond})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), waitFor)
	})
	t.Run("broker hangs up during ApiVersions", func(t *testing.T) {
		s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
			return wiretest.Reply{Close: true}
		})
		_, err := Dial(context.Background(), s.Addr(), Options{})
		require.ErrorIs(t, err, samsa.ErrConnectionClosed)
		assert.Contains(t, err.Error(), "ApiVersions")
	})
	t.Run("ApiVersions error code", func(t *testing.T) {
		s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
			resp := kmsg.NewPtrApiVersionsResponse()
			resp.SetVersion(r.Version)
			resp.ErrorCode = 42 // INVALID_REQUEST
			return wiretest.Reply{Resp: resp}
		})
		_, err := Dial(context.Background(), s.Addr(), Options{})
		var be *BrokerError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, int16(42), be.Code)
		assert.Equal(t, "ApiVersions", be.API)
	})
}

func TestHandshakeSendsClientIdentity(t *testing.T) {
	var mu sync.Mutex
	var got *kmsg.ApiVersionsRequest
	var clientID string
	s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		if r.Key == 18 {
			mu.Lock()
			got = r.Req.(*kmsg.ApiVersionsRequest)
			clientID = *r.ClientID
			mu.Unlock()
		}
		return wiretest.Reply{}
	})
	dial(t, s, Options{ClientID: "orders-svc", SoftwareName: "samsa-test", SoftwareVersion: "1.2.3"})
	mu.Lock()
	defer mu.Unlock()
	require.NotNil(t, got)
	assert.Equal(t, "orders-svc", clientID)
	assert.Equal(t, "samsa-test", got.ClientSoftwareName)
	assert.Equal(t, "1.2.3", got.ClientSoftwareVersion)
	assert.Equal(t, kmsg.NewPtrApiVersionsRequest().MaxVersion(), got.Version)
}

func TestCloseFailsEverything(t *testing.T) {
	var s *wiretest.Server
	release := make(chan struct{})
	s = wiretest.NewServer(t, nil, blockingHandler(&s, release))
	c := dial(t, s, Options{MaxInFlight: 3})

	const n = 4 // three in flight, one waiting for a slot
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := c.Do(context.Background(), metadataReq(fmt.Sprint("t", i)))
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return s.Count(3) == 3 }, waitFor, time.Millisecond)

	require.NoError(t, c.Close())
	notSent := 0
	for range n {
		err := <-errs
		require.ErrorIs(t, err, samsa.ErrConnectionClosed)
		assert.ErrorIs(t, err, samsa.ErrClosed)
		assert.NotErrorIs(t, err, samsa.ErrRequestTimeout)
		if errors.Is(err, ErrNotSent) {
			notSent++
		}
	}
	assert.Equal(t, 1, notSent, "only the request waiting for a slot was not sent")
	assert.ErrorIs(t, c.Err(), samsa.ErrClosed)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}

	require.NoError(t, c.Close(), "Close is idempotent")
	_, err := c.Do(context.Background(), metadataReq("late"))
	require.ErrorIs(t, err, samsa.ErrConnectionClosed)
	assert.ErrorIs(t, err, ErrNotSent)

	done := make(chan error, 1)
	c.DoAsync(metadataReq("late"), time.Time{}, func(_ kmsg.Response, err error) { done <- err })
	assert.ErrorIs(t, <-done, ErrNotSent)
}

func TestBrokerHangsUp(t *testing.T) {
	s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		if r.Key == 3 {
			return wiretest.Reply{Close: true}
		}
		return wiretest.Reply{}
	})
	c := dial(t, s, Options{})
	_, err := c.Do(context.Background(), metadataReq("x"))
	require.ErrorIs(t, err, samsa.ErrConnectionClosed)
	assert.NotErrorIs(t, err, ErrNotSent, "the request was written; the broker may have seen it")
	<-c.Done()
	assert.ErrorIs(t, c.Err(), samsa.ErrConnectionClosed)
}

func TestTLS(t *testing.T) {
	serverCfg, clientCfg := wiretest.TLSConfigs(t)
	s := wiretest.NewTLSServer(t, serverCfg, nil, func(r *wiretest.Request) wiretest.Reply {
		if r.Key == 3 {
			return wiretest.Reply{Resp: echoMetadata(r)}
		}
		return wiretest.Reply{}
	})
	c := dial(t, s, Options{TLS: clientCfg})
	resp, err := c.Do(context.Background(), metadataReq("secure"))
	require.NoError(t, err)
	assert.Equal(t, "secure", topicOf(t, resp))

	t.Run("certificate for another name", func(t *testing.T) {
		cfg := clientCfg.Clone()
		cfg.ServerName = "wrong.example"
		_, err := Dial(context.Background(), s.Addr(), Options{TLS: cfg})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "TLS handshake")
	})
}
