package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/samsa-go/samsa/kerr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestCoordinatorCache(t *testing.T) {
	tests := []struct {
		name       string
		findMax    int16
		wantKeysV4 bool
	}{
		{"batched form (v4+)", kmsg.NewPtrFindCoordinatorRequest().MaxVersion(), true},
		{"single-key form (v3)", 3, false},
		{"v1", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			versions := wiretest.DefaultVersions()
			versions[10] = [2]int16{0, tt.findMax}
			f := newFake(t, 3, versions)
			f.coordinator = 2
			c := newCluster(t, []string{f.seed(0)}, Options{})
			ctx := context.Background()

			conn, id, err := c.Coordinator(ctx, GroupCoordinator, "payments")
			require.NoError(t, err)
			assert.Equal(t, int32(2), id)
			assert.Equal(t, f.seed(2), conn.Addr())
			require.Equal(t, 1, f.findCount())

			f.mu.Lock()
			req := f.findReqs[0]
			f.mu.Unlock()
			assert.Equal(t, tt.findMax, req.Version)
			if tt.wantKeysV4 {
				assert.Equal(t, []string{"payments"}, req.CoordinatorKeys)
			} else {
				assert.Equal(t, "payments", req.CoordinatorKey)
			}

			// Cached: no new lookup, same pooled group connection.
			again, id, err := c.Coordinator(ctx, GroupCoordinator, "payments")
			require.NoError(t, err)
			assert.Equal(t, int32(2), id)
			assert.Same(t, conn, again)
			general, err := c.Conn(ctx, 2)
			require.NoError(t, err)
			assert.NotSame(t, conn, general, "coordinator traffic has its own connection")
			assert.Equal(t, 1, f.findCount())

			// The coordinator moves; the cache holds until invalidated.
			f.mu.Lock()
			f.coordinator = 1
			f.mu.Unlock()
			_, id, err = c.Coordinator(ctx, GroupCoordinator, "payments")
			require.NoError(t, err)
			assert.Equal(t, int32(2), id)
			c.InvalidateCoordinator(GroupCoordinator, "payments")
			_, id, err = c.Coordinator(ctx, GroupCoordinator, "payments")
			require.NoError(t, err)
			assert.Equal(t, int32(1), id)
			assert.Equal(t, 2, f.findCount())

			// Kinds and keys are cached separately.
			_, _, err = c.Coordinator(ctx, TxnCoordinator, "payments")
			require.NoError(t, err)
			_, _, err = c.Coordinator(ctx, GroupCoordinator, "other")
			require.NoError(t, err)
			assert.Equal(t, 4, f.findCount())
			f.mu.Lock()
			assert.Equal(t, int8(1), f.findReqs[2].CoordinatorType)
			assert.Equal(t, int8(0), f.findReqs[3].CoordinatorType)
			f.mu.Unlock()
		})
	}
}

func TestCoordinatorSharedLookup(t *testing.T) {
	f := newFake(t, 2, nil)
	f.coordinator = 1
	c := newCluster(t, []string{f.seed(0)}, Options{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, id, err := c.Coordinator(context.Background(), GroupCoordinator, "g")
			assert.NoError(t, err)
			assert.Equal(t, int32(1), id)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, f.findCount())
}

func TestCoordinatorErrors(t *testing.T) {
	t.Run("retriable errors are retried", func(t *testing.T) {
		f := newFake(t, 2, nil)
		f.coordinator = 1
		f.coordErrs = []int16{15, 14, 16} // NOT_AVAILABLE, LOAD_IN_PROGRESS, NOT_COORDINATOR
		c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})
		_, id, err := c.Coordinator(context.Background(), GroupCoordinator, "g")
		require.NoError(t, err)
		assert.Equal(t, int32(1), id)
		assert.Equal(t, 4, f.findCount())
	})

	t.Run("non-retriable error", func(t *testing.T) {
		f := newFake(t, 1, nil)
		f.coordErrs = []int16{30} // GROUP_AUTHORIZATION_FAILED
		c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})
		_, _, err := c.Coordinator(context.Background(), GroupCoordinator, "secret")
		require.ErrorIs(t, err, kerr.GroupAuthorizationFailed)
		assert.Contains(t, err.Error(), `"secret"`)
		assert.Equal(t, 1, f.findCount())
		// Failures are not cached.
		_, _, err = c.Coordinator(context.Background(), GroupCoordinator, "secret")
		require.NoError(t, err)
	})

	t.Run("retries end with the context", func(t *testing.T) {
		f := newFake(t, 1, nil)
		f.coordErrs = make([]int16, 1000)
		for i := range f.coordErrs {
			f.coordErrs[i] = 15
		}
		c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := c.Coordinator(ctx, GroupCoordinator, "g")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "COORDINATOR_NOT_AVAILABLE")
	})

	t.Run("transactions need FindCoordinator v1", func(t *testing.T) {
		versions := wiretest.DefaultVersions()
		versions[10] = [2]int16{0, 0}
		f := newFake(t, 1, versions)
		c := newCluster(t, []string{f.seed(0)}, Options{})
		_, _, err := c.Coordinator(context.Background(), TxnCoordinator, "tx")
		require.ErrorIs(t, err, samsa.ErrUnsupportedVersion)
		assert.Equal(t, 0, f.findCount())
	})
}

func TestCoordinatorOutsideMetadata(t *testing.T) {
	// The coordinator is a broker the metadata does not list (yet): its
	// address comes from FindCoordinator.
	f := newFake(t, 3, nil)
	f.listed = []int32{0, 1}
	f.coordinator = 2
	c := newCluster(t, []string{f.seed(0)}, Options{})
	conn, id, err := c.Coordinator(context.Background(), GroupCoordinator, "g")
	require.NoError(t, err)
	assert.Equal(t, int32(2), id)
	assert.Equal(t, f.seed(2), conn.Addr())
	// A refresh that still does not list it keeps the connection.
	_, err = c.Refresh(context.Background())
	require.NoError(t, err)
	select {
	case <-conn.Done():
		t.Fatal("the coordinator connection was pruned")
	default:
	}
}

func TestCoordinatorUnreachable(t *testing.T) {
	f := newFake(t, 3, nil)
	f.coordinator = 2
	c := newCluster(t, []string{f.seed(0)}, Options{RetryBackoff: time.Millisecond})
	old, id, err := c.Coordinator(context.Background(), GroupCoordinator, "g")
	require.NoError(t, err)
	require.Equal(t, int32(2), id)

	// Broker 2 dies and the group moves to broker 1: the cached entry
	// fails to connect, is invalidated and looked up again.
	f.servers[2].Close()
	<-old.Done()
	f.mu.Lock()
	f.coordinator = 1
	f.mu.Unlock()
	conn, id, err := c.Coordinator(context.Background(), GroupCoordinator, "g")
	require.NoError(t, err)
	assert.Equal(t, int32(1), id)
	assert.Equal(t, f.seed(1), conn.Addr())
}

func TestSnapshotHelpers(t *testing.T) {
	resp := kmsg.NewPtrMetadataResponse()
	resp.SetVersion(12)
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID, b.Host, b.Port = 4, "kafka-4.example", 9093
	resp.Brokers = append(resp.Brokers, b)
	rt := kmsg.NewMetadataResponseTopic()
	rt.Topic = kmsg.StringPtr("t")
	for _, id := range []int32{2, 0, 1, 1} { // out of order, one duplicate
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition, p.Leader = id, 4
		rt.Partitions = append(rt.Partitions, p)
	}
	noName := kmsg.NewMetadataResponseTopic() // answered by id only
	resp.Topics = append(resp.Topics, rt, noName)
	s := buildSnapshot(resp, nil, time.Now())

	require.Len(t, s.Topics, 1)
	tp := s.Topics["t"]
	require.Len(t, tp.Partitions, 3)
	for i, p := range tp.Partitions {
		assert.Equal(t, int32(i), p.ID)
		assert.Equal(t, "t", p.Topic)
		assert.NoError(t, p.Err)
	}
	_, ok := tp.Partition(3)
	assert.False(t, ok)
	_, ok = tp.Partition(-1)
	assert.False(t, ok)
	br, ok := s.Leader("t", 2)
	require.True(t, ok)
	assert.Equal(t, "kafka-4.example:9093", br.Addr())
	_, ok = s.Leader("nope", 0)
	assert.False(t, ok)
	assert.Empty(t, s.ClusterID)

	// Gaps: binary search still finds partitions.
	sparse := &Topic{Partitions: []Partition{{ID: 0}, {ID: 5}, {ID: 9}}}
	p, ok := sparse.Partition(9)
	require.True(t, ok)
	assert.Equal(t, int32(9), p.ID)
}
