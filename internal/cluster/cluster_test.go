package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name   string
		seeds  []string
		opts   Options
		option string
	}{
		{"no seeds", nil, Options{}, "cluster seeds"},
		{"seed without port", []string{"localhost"}, Options{}, "cluster seeds"},
		{"seed with empty host", []string{":9092"}, Options{}, "cluster seeds"},
		{"seed with bad port", []string{"localhost:99999"}, Options{}, "cluster seeds"},
		{"negative max age", []string{"localhost:9092"}, Options{MetadataMaxAge: -1}, "cluster.Options.MetadataMaxAge"},
		{"negative backoff", []string{"localhost:9092"}, Options{RetryBackoff: -1}, "cluster.Options.RetryBackoff"},
		{"negative backoff max", []string{"localhost:9092"}, Options{RetryBackoffMax: -1}, "cluster.Options.RetryBackoffMax"},
		{"bad wire options", []string{"localhost:9092"}, Options{Wire: wire.Options{MaxInFlight: -2}}, "wire.Options.MaxInFlight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(context.Background(), tt.seeds, tt.opts)
			require.Nil(t, c)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}

	o, err := Options{RetryBackoff: 3 * time.Second}.withDefaults([]string{"h:1"})
	require.NoError(t, err)
	assert.Equal(t, DefaultMetadataMaxAge, o.MetadataMaxAge)
	assert.Equal(t, 3*time.Second, o.RetryBackoffMax, "the cap is never below the base")
	assert.Equal(t, 3*time.Second, o.backoff(5))

	o, err = Options{}.withDefaults([]string{"h:1"})
	require.NoError(t, err)
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		assert.Equal(t, want, o.backoff(n), "backoff(%d)", n)
	}
}

func TestBootstrap(t *testing.T) {
	f := newFake(t, 3, nil)

	t.Run("dead seed then live seed", func(t *testing.T) {
		for range 4 { // random start: cover both orders
			c := newCluster(t, []string{deadAddr(t), f.seed(1)}, Options{})
			snap := c.Snapshot()
			require.NotNil(t, snap)
			assert.Len(t, snap.Brokers, 3)
			assert.Equal(t, "fake-cluster", snap.ClusterID)
			assert.Equal(t, int32(0), snap.ControllerID)
			assert.Equal(t, "rack-b", snap.Brokers[1].Rack)
			assert.Empty(t, snap.Topics, "bootstrap asks for no topics")
			require.NoError(t, c.Close())
		}
		for _, r := range f.metadataRequests() {
			assert.False(t, r.all, "bootstrap must not ask for every topic")
		}
	})

	t.Run("every seed dead", func(t *testing.T) {
		seeds := []string{deadAddr(t), deadAddr(t), deadAddr(t)}
		c, err := New(context.Background(), seeds, Options{})
		require.Nil(t, c)
		require.ErrorIs(t, err, samsa.ErrNoBrokers)
		for _, s := range seeds {
			assert.Contains(t, err.Error(), "seed "+s)
		}
	})

	t.Run("seed connection is kept", func(t *testing.T) {
		before := f.servers[2].Conns()
		c := newCluster(t, []string{f.seed(2)}, Options{})
		require.Equal(t, before+1, f.servers[2].Conns())
		conn, err := c.Conn(context.Background(), 2)
		require.NoError(t, err)
		assert.Equal(t, f.seed(2), conn.Addr())
		assert.Equal(t, before+1, f.servers[2].Conns(), "the bootstrap connection was reused")
	})

	t.Run("bootstrap context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := New(ctx, []string{f.seed(0)}, Options{})
		require.ErrorIs(t, err, samsa.ErrNoBrokers)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestClose(t *testing.T) {
	f := newFake(t, 2, nil)
	f.setTopic("orders", 1, fakePart{leader: 0, epoch: 1})
	c := newCluster(t, []string{f.seed(0)}, Options{})
	conn, err := c.Conn(context.Background(), 1)
	require.NoError(t, err)

	// A refresh that is stuck at the broker when Close comes.
	f.holdMetadata()
	refreshErr := make(chan error, 1)
	go func() {
		_, err := c.Refresh(context.Background(), "orders")
		refreshErr <- err
	}()
	require.Eventually(t, func() bool { return c.waiters() == 1 && f.metadataCount() == 2 }, waitFor, time.Millisecond)

	require.NoError(t, c.Close())
	require.ErrorIs(t, <-refreshErr, samsa.ErrClosed)
	<-conn.Done()
	require.NoError(t, c.Close(), "Close is idempotent")

	_, err = c.Refresh(context.Background())
	assert.ErrorIs(t, err, samsa.ErrClosed)
	_, err = c.Conn(context.Background(), 0)
	assert.ErrorIs(t, err, samsa.ErrClosed)
	_, _, err = c.AnyConn(context.Background())
	assert.ErrorIs(t, err, samsa.ErrClosed)
	_, _, err = c.Coordinator(context.Background(), GroupCoordinator, "g")
	assert.ErrorIs(t, err, samsa.ErrClosed)
	c.TriggerRefresh() // must not block or panic
	assert.NotNil(t, c.Snapshot(), "the last snapshot stays readable")
}
