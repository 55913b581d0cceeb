package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefreshCoalesces(t *testing.T) {
	f := newFake(t, 3, nil)
	f.setTopic("orders", 1, fakePart{leader: 0, epoch: 1}, fakePart{leader: 1, epoch: 1})
	c := newCluster(t, []string{f.seed(0)}, Options{})
	before := f.metadataCount()

	gate := f.holdMetadata()

	const callers = 100
	snaps := make(chan *Snapshot, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			s, err := c.Refresh(context.Background(), "orders")
			assert.NoError(t, err)
			snaps <- s
		})
	}
	require.Eventually(t, func() bool { return c.waiters() == callers }, waitFor, time.Millisecond)
	close(gate)
	wg.Wait()
	close(snaps)

	assert.Equal(t, before+1, f.metadataCount(), "100 concurrent refreshes, one Metadata request")
	var first *Snapshot
	for s := range snaps {
		if first == nil {
			first = s
		}
		assert.Same(t, first, s)
	}
	require.NotNil(t, first)
	assert.Same(t, first, c.Snapshot())
	orders := first.Topics["orders"]
	require.NotNil(t, orders)
	assert.Len(t, orders.Partitions, 2)
	assert.Equal(t, [16]byte{1}, orders.ID)
}

func TestRefreshNotCoveredWaitsForNext(t *testing.T) {
	f := newFake(t, 1, nil)
	f.setTopic("a", 1, fakePart{leader: 0, epoch: 0})
	f.setTopic("b", 2, fakePart{leader: 0, epoch: 0})
	c := newCluster(t, []string{f.seed(0)}, Options{})
	before := f.metadataCount()

	gate := f.holdMetadata()

	resA := make(chan *Snapshot, 1)
	go func() {
		s, err := c.Refresh(context.Background(), "a")
		assert.NoError(t, err)
		resA <- s
	}()
	require.Eventually(t, func() bool { return f.metadataCount() == before+1 }, waitFor, time.Millisecond)
	resB := make(chan *Snapshot, 1)
	go func() {
		s, err := c.Refresh(context.Background(), "b")
		assert.NoError(t, err)
		resB <- s
	}()
	require.Eventually(t, func() bool { return c.waiters() == 2 }, waitFor, time.Millisecond)
	gate <- struct{}{} // answer the request for "a"
	sa := <-resA
	assert.Contains(t, sa.Topics, "a")
	assert.NotContains(t, sa.Topics, "b", "the first request did not ask for b")
	gate <- struct{}{} // answer the next one
	sb := <-resB
	assert.Contains(t, sb.Topics, "a", "tracked topics stay in every refresh")
	assert.Contains(t, sb.Topics, "b")

	reqs := f.metadataRequests()[before:]
	require.Len(t, reqs, 2)
	assert.Equal(t, []string{"a"}, reqs[0].topics)
	assert.Equal(t, []string{"a", "b"}, reqs[1].topics)
}

func TestRefreshTopicErrors(t *testing.T) {
	f := newFake(t, 2, nil)
	f.setTopic("leaderless", 1, fakePart{leader: -1, epoch: 3}, fakePart{leader: 1, epoch: 3})
	c := newCluster(t, []string{f.seed(0)}, Options{AllowAutoTopicCreation: true})

	s, err := c.Refresh(context.Background(), "missing", "leaderless")
	require.NoError(t, err)
	require.Contains(t, s.Topics, "missing")
	assert.ErrorIs(t, s.Topics["missing"].Err, kerr.UnknownTopicOrPartition)
	lt := s.Topics["leaderless"]
	require.NoError(t, lt.Err)
	p0, ok := lt.Partition(0)
	require.True(t, ok)
	assert.ErrorIs(t, p0.Err, kerr.LeaderNotAvailable)
	_, ok = s.Leader("leaderless", 0)
	assert.False(t, ok)
	b, ok := s.Leader("leaderless", 1)
	require.True(t, ok)
	assert.Equal(t, int32(1), b.ID)
	assert.Equal(t, f.seed(1), b.Addr())

	reqs := f.metadataRequests()
	assert.True(t, reqs[len(reqs)-1].autoCreat, "AllowAutoTopicCreation is passed on")

	_, err = c.Refresh(context.Background(), "bad topic name")
	assert.ErrorIs(t, err, samsa.ErrInvalidTopic)
}

func TestTrackAllTopics(t *testing.T) {
	f := newFake(t, 1, nil)
	f.setTopic("x", 1, fakePart{leader: 0})
	f.setTopic("y", 2, fakePart{leader: 0})
	c := newCluster(t, []string{f.seed(0)}, Options{})
	c.TrackAllTopics()
	s, err := c.Refresh(context.Background())
	require.NoError(t, err)
	assert.Len(t, s.Topics, 2)
	reqs := f.metadataRequests()
	assert.True(t, reqs[len(reqs)-1].all)
}

func TestLeaderEpochNeverGoesBack(t *testing.T) {
	f := newFake(t, 3, nil)
	f.setTopic("orders", 7, fakePart{leader: 1, epoch: 5})
	c := newCluster(t, []string{f.seed(0)}, Options{})

	leader := func() (int32, int32) {
		p, ok := c.Snapshot().Topics["orders"].Partition(0)
		require.True(t, ok)
		return p.Leader, p.LeaderEpoch
	}
	steps := []struct {
		name       string
		topicID    byte
		part       fakePart
		wantLeader int32
		wantEpoch  int32
	}{
		{"initial", 7, fakePart{leader: 1, epoch: 5}, 1, 5},
		{"lagging broker with an older epoch is ignored", 7, fakePart{leader: 0, epoch: 3}, 1, 5},
		{"same epoch is accepted", 7, fakePart{leader: 1, epoch: 5}, 1, 5},
		{"newer epoch moves the leader", 7, fakePart{leader: 2, epoch: 6}, 2, 6},
		{"older again is ignored", 7, fakePart{leader: 0, epoch: 4}, 2, 6},
		{"recreated topic starts over", 8, fakePart{leader: 0, epoch: 0}, 0, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.setTopic("orders", st.topicID, st.part)
			_, err := c.Refresh(context.Background(), "orders")
			require.NoError(t, err)
			l, e := leader()
			assert.Equal(t, st.wantLeader, l)
			assert.Equal(t, st.wantEpoch, e)
		})
	}
}

func TestTriggerRefreshDebounced(t *testing.T) {
	f := newFake(t, 1, nil)
	const backoff = 150 * time.Millisecond
	c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: backoff})
	start := time.Now()
	before := f.metadataCount()
	boot := c.Snapshot()
	for range 50 {
		c.TriggerRefresh()
	}
	// Wait for the triggered refresh to be published, not just sent.
	require.Eventually(t, func() bool { return c.Snapshot() != boot }, waitFor, time.Millisecond)
	assert.Equal(t, before+1, f.metadataCount(), "50 triggers, one refresh")
	assert.GreaterOrEqual(t, time.Since(start), backoff-10*time.Millisecond,
		"the triggered refresh waits for the backoff since the bootstrap")

	// An explicit refresh is not debounced, and it satisfies triggers.
	for range 50 {
		c.TriggerRefresh()
	}
	_, err := c.Refresh(context.Background())
	require.NoError(t, err)
	assert.Equal(t, before+2, f.metadataCount())
}

func TestPeriodicRefresh(t *testing.T) {
	f := newFake(t, 1, nil)
	f.setTopic("t", 1, fakePart{leader: 0})
	c := newCluster(t, []string{f.seed(0)}, Options{MetadataMaxAge: 20 * time.Millisecond})
	_, err := c.Refresh(context.Background(), "t")
	require.NoError(t, err)
	n := f.metadataCount()
	require.Eventually(t, func() bool { return f.metadataCount() >= n+3 }, waitFor, time.Millisecond)
	reqs := f.metadataRequests()
	assert.Equal(t, []string{"t"}, reqs[len(reqs)-1].topics, "periodic refreshes keep the tracked topics")
	assert.Contains(t, c.Snapshot().Topics, "t")
}

func TestRefreshFailsOver(t *testing.T) {
	f := newFake(t, 3, nil)
	f.setTopic("t", 1, fakePart{leader: 2, epoch: 1})
	c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})

	f.servers[0].Close()
	f.servers[1].Close()
	for range 5 { // whichever broker is tried first, broker 2 answers
		s, err := c.Refresh(context.Background(), "t")
		require.NoError(t, err)
		assert.Contains(t, s.Topics, "t")
	}
	for _, r := range f.metadataRequests()[1:] {
		assert.Equal(t, int32(2), r.broker)
	}

	f.servers[2].Close()
	_, err := c.Refresh(context.Background(), "t")
	require.ErrorIs(t, err, samsa.ErrNoBrokers)
	assert.Contains(t, err.Error(), "seed "+f.seed(0), "the seeds are tried last")
}
