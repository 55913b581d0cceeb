package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These tests run the cluster layer against samsa's stateful mock
// cluster, which has its own codec paths and state (leaders, epochs,
// topic ids), as a cross-check of the fake-server tests.

func TestMockBootstrapWithDeadSeed(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 6))
	for range 4 { // random start: both seed orders
		c := newCluster(t, []string{deadAddr(t), mb.Addrs()[1]}, Options{})
		snap := c.Snapshot()
		assert.Len(t, snap.Brokers, 3)
		assert.Equal(t, mb.ClusterID(), snap.ClusterID)
		for id, addr := range mb.Addrs() {
			assert.Equal(t, addr, snap.Brokers[int32(id)].Addr())
		}
		require.NoError(t, c.Close())
	}
}

func TestMockMetadata(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 6),
		mockbroker.WithAutoCreateTopics(false))
	c := newCluster(t, mb.Addrs(), Options{})
	s, err := c.Refresh(context.Background(), "orders", "missing")
	require.NoError(t, err)

	orders := s.Topics["orders"]
	require.NotNil(t, orders)
	require.NoError(t, orders.Err)
	id, err := mb.TopicID("orders")
	require.NoError(t, err)
	assert.Equal(t, id, orders.ID)
	require.Len(t, orders.Partitions, 6)
	for _, p := range orders.Partitions {
		leader, err := mb.Leader("orders", p.ID)
		require.NoError(t, err)
		epoch, err := mb.LeaderEpoch("orders", p.ID)
		require.NoError(t, err)
		assert.Equal(t, leader, p.Leader, "partition %d", p.ID)
		assert.Equal(t, epoch, p.LeaderEpoch, "partition %d", p.ID)
		assert.NotEmpty(t, p.Replicas)
	}
	require.Contains(t, s.Topics, "missing")
	assert.ErrorIs(t, s.Topics["missing"].Err, kerr.UnknownTopicOrPartition)
}

func TestMockAutoCreate(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithAutoCreateTopics(true), mockbroker.WithDefaultPartitions(3))
	c := newCluster(t, mb.Addrs(), Options{AllowAutoTopicCreation: true})
	require.Eventually(t, func() bool {
		s, err := c.Refresh(context.Background(), "created")
		return err == nil && s.Topics["created"] != nil && s.Topics["created"].Err == nil &&
			len(s.Topics["created"].Partitions) == 3
	}, waitFor, time.Millisecond)
}

func TestMockLeaderMoveThenRefresh(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 1))
	c := newCluster(t, mb.Addrs(), Options{})
	s, err := c.Refresh(context.Background(), "orders")
	require.NoError(t, err)
	p, _ := s.Topics["orders"].Partition(0)
	oldLeader, oldEpoch := p.Leader, p.LeaderEpoch

	newLeader := (oldLeader + 1) % 3
	require.NoError(t, mb.MoveLeader("orders", 0, newLeader))
	// The snapshot is unchanged until a refresh.
	p, _ = c.Snapshot().Topics["orders"].Partition(0)
	assert.Equal(t, oldLeader, p.Leader)

	s, err = c.Refresh(context.Background())
	require.NoError(t, err)
	p, _ = s.Topics["orders"].Partition(0)
	assert.Equal(t, newLeader, p.Leader)
	assert.Greater(t, p.LeaderEpoch, oldEpoch)
	b, ok := s.Leader("orders", 0)
	require.True(t, ok)
	conn, err := c.Conn(context.Background(), b.ID)
	require.NoError(t, err)
	assert.Equal(t, mb.Addrs()[newLeader], conn.Addr())

	// A stopped broker: leadership moves with a bumped epoch; the cluster
	// layer follows after a triggered refresh.
	require.NoError(t, mb.StopBroker(newLeader))
	before := c.Snapshot()
	c.TriggerRefresh()
	require.Eventually(t, func() bool {
		s := c.Snapshot()
		if s == before {
			return false
		}
		p, _ := s.Topics["orders"].Partition(0)
		return p.Leader != newLeader && p.Leader >= 0
	}, waitFor, time.Millisecond)
	p, _ = c.Snapshot().Topics["orders"].Partition(0)
	epoch, err := mb.LeaderEpoch("orders", 0)
	require.NoError(t, err)
	assert.Equal(t, epoch, p.LeaderEpoch)
}

func TestMockRefreshCoalesces(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("orders", 3))
	c := newCluster(t, mb.Addrs(), Options{})

	// Hold Metadata at the brokers until every caller is waiting.
	release := make(chan struct{})
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if req.Key() == 3 {
			<-release
		}
		return nil, nil, false
	})
	before := mb.Requests(3)
	const callers = 100
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			s, err := c.Refresh(context.Background(), "orders")
			if assert.NoError(t, err) {
				assert.Len(t, s.Topics["orders"].Partitions, 3)
			}
		})
	}
	require.Eventually(t, func() bool { return c.waiters() == callers }, waitFor, time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, before+1, mb.Requests(3), "100 concurrent refreshes, one Metadata request")
}

func TestMockPoolRedial(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2))
	c := newCluster(t, mb.Addrs(), Options{})
	old, err := c.ConnFor(context.Background(), 1, PurposeProduce)
	require.NoError(t, err)
	require.NoError(t, mb.DropConnections(1))
	<-old.Done()
	assert.ErrorIs(t, old.Err(), samsa.ErrConnectionClosed)
	conn, err := c.ConnFor(context.Background(), 1, PurposeProduce)
	require.NoError(t, err)
	assert.NotSame(t, old, conn)
	_, err = conn.Do(context.Background(), kmsg.NewPtrMetadataRequest())
	require.NoError(t, err)
}
