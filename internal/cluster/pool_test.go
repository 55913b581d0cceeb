package cluster

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestConnPool(t *testing.T) {
	f := newFake(t, 3, nil)
	c := newCluster(t, []string{f.seed(0)}, Options{})
	ctx := context.Background()

	t.Run("concurrent callers share one dial", func(t *testing.T) {
		before := f.servers[2].Conns()
		conns := make(chan *wire.Conn, 20)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				conn, err := c.Conn(ctx, 2)
				assert.NoError(t, err)
				conns <- conn
			})
		}
		wg.Wait()
		close(conns)
		first := <-conns
		for conn := range conns {
			assert.Same(t, first, conn)
		}
		assert.Equal(t, before+1, f.servers[2].Conns())
	})

	t.Run("purposes get their own connections", func(t *testing.T) {
		general, err := c.Conn(ctx, 1)
		require.NoError(t, err)
		fetch, err := c.ConnFor(ctx, 1, PurposeFetch)
		require.NoError(t, err)
		produce, err := c.ConnFor(ctx, 1, PurposeProduce)
		require.NoError(t, err)
		assert.NotSame(t, general, fetch)
		assert.NotSame(t, fetch, produce)
		again, err := c.ConnFor(ctx, 1, PurposeFetch)
		require.NoError(t, err)
		assert.Same(t, fetch, again)
		assert.Equal(t, "fetch", PurposeFetch.String())
		second, err := c.ConnFor(ctx, 1, FetchPurpose(1))
		require.NoError(t, err)
		assert.NotSame(t, fetch, second)
		assert.NotSame(t, produce, second)
	})

	t.Run("fetch purposes", func(t *testing.T) {
		assert.Equal(t, PurposeFetch, FetchPurpose(0))
		seen := map[Purpose]bool{PurposeGeneral: true, PurposeProduce: true, PurposeGroup: true}
		for i := range MaxFetchConns {
			p := FetchPurpose(i)
			assert.False(t, seen[p], "fetch purpose %d (%s) is taken", i, p)
			seen[p] = true
		}
		assert.Equal(t, "fetch-1", FetchPurpose(1).String())
		assert.Equal(t, "fetch-15", FetchPurpose(MaxFetchConns-1).String())
		assert.Equal(t, PurposeFetch, FetchPurpose(MaxFetchConns), "out of range: the first")
	})

	t.Run("unknown broker", func(t *testing.T) {
		_, err := c.Conn(ctx, 42)
		require.ErrorIs(t, err, ErrUnknownBroker)
	})

	t.Run("redial after the broker drops the connection", func(t *testing.T) {
		old, err := c.Conn(ctx, 1)
		require.NoError(t, err)
		f.servers[1].DropConnections()
		<-old.Done()
		conn, err := c.Conn(ctx, 1)
		require.NoError(t, err)
		assert.NotSame(t, old, conn)
		resp, err := conn.Do(ctx, kmsg.NewPtrMetadataRequest())
		require.NoError(t, err)
		assert.Len(t, resp.(*kmsg.MetadataResponse).Brokers, 3)
	})

	t.Run("caller context bounds the wait, not the dial", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		f.servers[0].DropConnections()
		_, err := c.ConnFor(cctx, 0, PurposeGroup)
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
		conn, err := c.ConnFor(ctx, 0, PurposeGroup)
		require.NoError(t, err)
		assert.Equal(t, f.seed(0), conn.Addr())
	})
}

func TestDialBackoff(t *testing.T) {
	f := newFake(t, 2, nil)
	var dials atomic.Int32
	var block atomic.Bool
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == f.seed(1) {
			dials.Add(1)
			if block.Load() {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errRefused}
			}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	c := newCluster(t, []string{f.seed(0)}, Options{
		Wire:         wire.Options{Dialer: dialer},
		RetryBackoff: time.Hour, // no second dial within the test
	})
	block.Store(true)
	_, err := c.Conn(context.Background(), 1)
	require.Error(t, err)
	assert.Equal(t, int32(1), dials.Load())
	for range 10 {
		_, err = c.Conn(context.Background(), 1)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "next dial in")
	}
	assert.Equal(t, int32(1), dials.Load(), "failed dials back off")

	// Another purpose has its own backoff state and still dials.
	block.Store(false)
	_, err = c.ConnFor(context.Background(), 1, PurposeFetch)
	require.NoError(t, err)
	assert.Equal(t, int32(2), dials.Load())
}

type refusedError struct{}

func (refusedError) Error() string { return "connection refused (test)" }

var errRefused = refusedError{}

func TestAnyConn(t *testing.T) {
	f := newFake(t, 3, nil)
	c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})
	conn, id, err := c.AnyConn(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int32(0), id, "the broker with a live connection is preferred")
	assert.Equal(t, f.seed(0), conn.Addr())

	f.servers[0].Close()
	f.servers[1].Close()
	<-conn.Done()
	for range 3 {
		conn, id, err = c.AnyConn(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int32(2), id)
		assert.Equal(t, f.seed(2), conn.Addr())
	}

	f.servers[2].Close()
	<-conn.Done()
	_, _, err = c.AnyConn(context.Background())
	require.ErrorIs(t, err, samsa.ErrNoBrokers)
}

func TestPruneBrokersThatLeft(t *testing.T) {
	f := newFake(t, 3, nil)
	c := newCluster(t, []string{f.seed(0)}, Options{})
	conn2, err := c.Conn(context.Background(), 2)
	require.NoError(t, err)

	f.mu.Lock()
	f.listed = []int32{0, 1}
	f.mu.Unlock()
	s, err := c.Refresh(context.Background())
	require.NoError(t, err)
	assert.NotContains(t, s.Brokers, int32(2))
	<-conn2.Done() // closed by the refresh
	_, err = c.Conn(context.Background(), 2)
	require.ErrorIs(t, err, ErrUnknownBroker)
}
