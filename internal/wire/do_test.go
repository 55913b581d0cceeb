package wire

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestPipelining(t *testing.T) {
	const inFlight = 4
	var s *wiretest.Server
	release := make(chan struct{})
	s = wiretest.NewServer(t, nil, blockingHandler(&s, release))
	c := dial(t, s, Options{MaxInFlight: inFlight})

	type res struct {
		want, got string
		err       error
	}
	results := make(chan res, inFlight+1)
	for i := range inFlight + 1 {
		go func() {
			topic := fmt.Sprint("topic-", i)
			resp, err := c.Do(context.Background(), metadataReq(topic))
			r := res{want: topic, err: err}
			if err == nil {
				r.got = *resp.(*kmsg.MetadataResponse).Topics[0].Topic
			}
			results <- r
		}()
	}
	// inFlight requests reach the broker; the last one waits for a slot.
	require.Eventually(t, func() bool { return s.Count(3) == inFlight }, waitFor, time.Millisecond)

	// A request with a deadline cannot get a slot while all are taken.
	done := make(chan error, 1)
	c.DoAsync(metadataReq("no-slot"), time.Now().Add(20*time.Millisecond), func(_ kmsg.Response, err error) { done <- err })
	err := <-done
	require.ErrorIs(t, err, ErrNotSent)
	require.ErrorIs(t, err, samsa.ErrRequestTimeout)
	assert.Equal(t, inFlight, s.Count(3), "the waiting request must not have been written")

	// A cancelled ctx gives up waiting for a slot without harming the
	// connection.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Do(ctx, metadataReq("cancelled"))
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, c.Err())

	// One response frees one slot: the waiting request goes out.
	release <- struct{}{}
	require.Eventually(t, func() bool { return s.Count(3) == inFlight+1 }, waitFor, time.Millisecond)
	for range inFlight {
		release <- struct{}{}
	}
	for range inFlight + 1 {
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, r.want, r.got, "each caller gets the response to its own request")
	}
	require.NoError(t, c.Err())
}

func TestManyConcurrentCallers(t *testing.T) {
	s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		if r.Key == 3 {
			return wiretest.Reply{Resp: echoMetadata(r)}
		}
		return wiretest.Reply{}
	})
	c := dial(t, s, Options{MaxInFlight: 3})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				topic := fmt.Sprintf("g%d-%d", g, i)
				resp, err := c.Do(context.Background(), metadataReq(topic))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, topic, topicOf(t, resp))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 400, s.Count(3))
}

func TestDoAsyncOrder(t *testing.T) {
	var s *wiretest.Server
	release := make(chan struct{})
	s = wiretest.NewServer(t, nil, blockingHandler(&s, release))
	c := dial(t, s, Options{MaxInFlight: 8})

	const n = 8
	var mu sync.Mutex
	var order []string
	all := make(chan struct{})
	for i := range n {
		c.DoAsync(metadataReq(fmt.Sprint(i)), time.Time{}, func(resp kmsg.Response, err error) {
			mu.Lock()
			defer mu.Unlock()
			if assert.NoError(t, err) {
				order = append(order, *resp.(*kmsg.MetadataResponse).Topics[0].Topic)
			}
			if len(order) == n {
				close(all)
			}
		})
	}
	close(release) // answer everything
	<-all
	for i, topic := range order {
		assert.Equal(t, fmt.Sprint(i), topic)
	}
}

func TestDoAsyncFailsInOrderOnClose(t *testing.T) {
	var s *wiretest.Server
	release := make(chan struct{})
	s = wiretest.NewServer(t, nil, blockingHandler(&s, release))
	c := dial(t, s, Options{MaxInFlight: 5})

	var mu sync.Mutex
	var seen []int
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		c.DoAsync(metadataReq(fmt.Sprint(i)), time.Time{}, func(_ kmsg.Response, err error) {
			defer wg.Done()
			assert.ErrorIs(t, err, samsa.ErrConnectionClosed)
			mu.Lock()
			seen = append(seen, i)
			mu.Unlock()
		})
	}
	require.Eventually(t, func() bool { return s.Count(3) == 5 }, waitFor, time.Millisecond)
	require.NoError(t, c.Close())
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, seen)
}

func TestRequestTimeout(t *testing.T) {
	never := func(s **wiretest.Server) wiretest.Handler {
		return func(r *wiretest.Request) wiretest.Reply {
			if r.Key != 3 {
				return wiretest.Reply{}
			}
			<-(*s).Closing()
			return wiretest.Reply{Close: true}
		}
	}

	t.Run("request timeout option", func(t *testing.T) {
		var s *wiretest.Server
		s = wiretest.NewServer(t, nil, never(&s))
		c := dial(t, s, Options{RequestTimeout: 50 * time.Millisecond})
		start := time.Now()
		_, err := c.Do(context.Background(), metadataReq("slow"))
		require.ErrorIs(t, err, samsa.ErrRequestTimeout)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
		<-c.Done()
		assert.ErrorIs(t, c.Err(), samsa.ErrRequestTimeout)
	})

	t.Run("caller deadline fails only its request as a timeout", func(t *testing.T) {
		var s *wiretest.Server
		s = wiretest.NewServer(t, nil, never(&s))
		c := dial(t, s, Options{MaxInFlight: 4})
		others := make(chan error, 3)
		for i := range 3 {
			go func() {
				_, err := c.Do(context.Background(), metadataReq(fmt.Sprint("other", i)))
				others <- err
			}()
		}
		require.Eventually(t, func() bool { return s.Count(3) == 3 }, waitFor, time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.Do(ctx, metadataReq("short"))
		require.ErrorIs(t, err, samsa.ErrRequestTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		for range 3 {
			err := <-others
			require.ErrorIs(t, err, samsa.ErrConnectionClosed)
			assert.NotErrorIs(t, err, samsa.ErrRequestTimeout)
			assert.NotErrorIs(t, err, ErrNotSent)
		}
	})

	t.Run("async deadline", func(t *testing.T) {
		var s *wiretest.Server
		s = wiretest.NewServer(t, nil, never(&s))
		c := dial(t, s, Options{})
		done := make(chan error, 1)
		c.DoAsync(metadataReq("slow"), time.Now().Add(30*time.Millisecond), func(_ kmsg.Response, err error) { done <- err })
		err := <-done
		require.ErrorIs(t, err, samsa.ErrRequestTimeout)
		assert.NotErrorIs(t, err, ErrNotSent)
	})

	t.Run("stale deadline of a finished request does not kill the connection", func(t *testing.T) {
		// The first request arms a short read deadline and is answered;
		// the second one has a long deadline and a slower answer.
		var s *wiretest.Server
		gate := make(chan struct{})
		s = wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
			if r.Key != 3 {
				return wiretest.Reply{}
			}
			if topic := *r.Req.(*kmsg.MetadataRequest).Topics[0].Topic; topic == "slow" {
				select {
				case <-gate:
				case <-s.Closing():
				}
			}
			return wiretest.Reply{Resp: echoMetadata(r)}
		})
		c := dial(t, s, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
		defer cancel()
		_, err := c.Do(ctx, metadataReq("fast"))
		require.NoError(t, err)
		c.mu.Lock()
		stale := c.armed
		c.mu.Unlock()
		slow := make(chan error, 1)
		go func() {
			_, err := c.Do(context.Background(), metadataReq("slow"))
			slow <- err
		}()
		// The first request's deadline is still armed on the socket. Once
		// it fires, the reader must notice nothing expired and re-arm for
		// the slow request instead of failing the connection.
		require.Eventually(t, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return !c.armed.Equal(stale)
		}, waitFor, time.Millisecond)
		close(gate)
		require.NoError(t, <-slow)
		require.NoError(t, c.Err())
	})
}

func TestCancelAfterWrite(t *testing.T) {
	var s *wiretest.Server
	release := make(chan struct{})
	s = wiretest.NewServer(t, nil, blockingHandler(&s, release))
	c := dial(t, s, Options{})

	other := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), metadataReq("bystander"))
		other <- err
	}()
	require.Eventually(t, func() bool { return s.Count(3) == 1 }, waitFor, time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, metadataReq("abandoned"))
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.Count(3) == 2 }, waitFor, time.Millisecond)
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, samsa.ErrRequestTimeout)
	<-c.Done()
	err = <-other
	require.ErrorIs(t, err, samsa.ErrConnectionClosed)
	assert.Contains(t, err.Error(), "abandoned")
}

func TestAcksZeroProduce(t *testing.T) {
	s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		switch r.Key {
		case 0:
			if r.Req.(*kmsg.ProduceRequest).Acks == 0 {
				return wiretest.Reply{NoReply: true}
			}
			return wiretest.Reply{Resp: r.Req.ResponseKind()}
		case 3:
			return wiretest.Reply{Resp: echoMetadata(r)}
		}
		return wiretest.Reply{}
	})
	c := dial(t, s, Options{MaxInFlight: 1})

	tests := []struct {
		name string
		req  kmsg.Request
	}{
		{"kmsg produce", func() kmsg.Request { p := kmsg.NewPtrProduceRequest(); p.Acks = 0; return p }()},
		{"custom produce", &customProduce{acks: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Count(0)
			// Several in a row with one slot: acks=0 must not hold the slot.
			for range 3 {
				resp, err := c.Do(context.Background(), tt.req)
				require.NoError(t, err)
				assert.Nil(t, resp)
			}
			done := make(chan error, 1)
			c.DoAsync(tt.req, time.Time{}, func(resp kmsg.Response, err error) {
				assert.Nil(t, resp)
				done <- err
			})
			require.NoError(t, <-done)
			require.Eventually(t, func() bool { return s.Count(0) == before+4 }, waitFor, time.Millisecond)
			// Correlation continues to match after responses were skipped.
			resp, err := c.Do(context.Background(), metadataReq("after"))
			require.NoError(t, err)
			assert.Equal(t, "after", topicOf(t, resp))
		})
	}

	t.Run("custom produce with acks", func(t *testing.T) {
		resp, err := c.Do(context.Background(), &customProduce{acks: -1})
		require.NoError(t, err)
		_, ok := resp.(*kmsg.ProduceResponse)
		assert.True(t, ok)
	})
}

// customProduce is a Produce request implemented outside kmsg, the way the
// producer hand-encodes its requests: only the interface is available.
type customProduce struct {
	version int16
	acks    int16
}

func (*customProduce) Key() int16              { return 0 }
func (*customProduce) MaxVersion() int16       { return 9 }
func (p *customProduce) SetVersion(v int16)    { p.version = v }
func (p *customProduce) GetVersion() int16     { return p.version }
func (p *customProduce) IsFlexible() bool      { return p.version >= 9 }
func (p *customProduce) RequiredAcks() int16   { return p.acks }
func (p *customProduce) ReadFrom([]byte) error { return fmt.Errorf("customProduce is never decoded") }
func (p *customProduce) AppendTo(dst []byte) []byte {
	// Encoded by a real kmsg request of the same version with no topics.
	r := kmsg.NewPtrProduceRequest()
	r.SetVersion(p.version)
	r.Acks = p.acks
	r.TimeoutMillis = 1000
	return r.AppendTo(dst)
}
func (p *customProduce) ResponseKind() kmsg.Response {
	r := kmsg.NewPtrProduceResponse()
	r.SetVersion(p.version)
	return r
}
