package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

// TestSourcesDivideABrokersPartitions checks how partitions are given to
// the sources of their leader: evenly in the order they come, a further
// source only once every started one has a partition, kept while the
// leader stays, and given back when they move or are removed.
func TestSourcesDivideABrokersPartitions(t *testing.T) {
	for _, tt := range []struct {
		name     string
		fetchers int
		want     []int // source index of partitions 0..6, all led by broker 1
	}{
		{"three fetchers", 3, []int{0, 1, 2, 0, 1, 2, 0}},
		{"one fetcher, as Java", 1, []int{0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			c := &client{cfg: defaultConfig(), ctx: ctx}
			c.cfg.fetchersPerBroker = tt.fetchers
			f := newFetcher(c)
			c.fetcher = f
			defer func() {
				cancel()
				c.wg.Wait() // the sources' goroutines
			}()
			c.mu.Lock()
			defer c.mu.Unlock()

			parts := make([]*partState, len(tt.want))
			for i := range parts {
				parts[i] = &partState{tp: samsa.TopicPartition{Topic: "t", Partition: int32(i)}}
				src := f.sourceForLocked(parts[i], 1)
				assert.Equal(t, int32(1), src.id)
				assert.Equal(t, tt.want[i], src.index, "partition %d", i)
				assert.Same(t, src, f.sourceForLocked(parts[i], 1), "kept while the leader stays")
			}
			assert.Len(t, f.sources, tt.fetchers, "only the sources needed are started")
			counts := func() []int {
				out := make([]int, tt.fetchers)
				for i := range out {
					out[i] = f.sources[sourceKey{1, i}].parts
				}
				return out
			}
			total := func() int {
				n := 0
				for _, k := range counts() {
					n += k
				}
				return n
			}
			require.Equal(t, len(parts), total())

			// Partition 0 moves to broker 2; partition 3 is removed.
			moved := f.sourceForLocked(parts[0], 2)
			assert.Equal(t, sourceKey{2, 0}, sourceKey{moved.id, moved.index})
			parts[3].leaveSourceLocked()
			parts[3].leaveSourceLocked() // idempotent
			assert.Equal(t, len(parts)-2, total())
			if tt.fetchers == 3 {
				assert.Equal(t, []int{1, 2, 2}, counts())
				// A new partition fills the emptiest source.
				p := &partState{tp: samsa.TopicPartition{Topic: "u", Partition: 0}}
				assert.Equal(t, 0, f.sourceForLocked(p, 1).index)
			}
		})
	}
}

// TestPipelinedPlanStaysOnItsSource checks the plan a busy source makes for
// its own next fetch (planLocked with only set) when the metadata moved one
// of its partitions to another broker meanwhile: the plan covers only the
// partitions still led by the source's broker, and the moved partition is
// neither marked in flight nor handed to another source, so that the
// planner fetches it from its new leader once the source is idle.
func TestPipelinedPlanStaysOnItsSource(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 2))
	require.NoError(t, mb.MoveLeader("t", 0, 0))
	require.NoError(t, mb.MoveLeader("t", 1, 1))
	cons, err := New(serde.String(), serde.String(), WithBrokers(mb.Addrs()...))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cons.Close(context.Background()) })
	c := cons.c
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.cl.Refresh(ctx, "t")
	require.NoError(t, err)

	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fetcher
	p0 := &partState{tp: samsa.TopicPartition{Topic: "t", Partition: 0}, hasPos: true}
	p1 := &partState{tp: samsa.TopicPartition{Topic: "t", Partition: 1}, hasPos: true}
	// Both were led by broker 0 when the source was chosen; the metadata
	// now says broker 1 leads partition 1.
	s := f.sourceForLocked(p0, 0)
	require.Same(t, s, f.sourceForLocked(p1, 0))
	c.parts[p0.tp], c.parts[p1.tp] = p0, p1
	defer func() { // before the lock is released, for the planner's sake
		delete(c.parts, p0.tp)
		delete(c.parts, p1.tp)
		s.busy = false
		for _, other := range f.sources {
			other.busy = false
		}
	}()
	s.busy = true // decoding a response

	plans, _, _, _ := f.planLocked(time.Now(), s)
	require.Len(t, plans, 1)
	assert.Same(t, s, plans[0].src)
	require.Len(t, plans[0].parts, 1)
	assert.Same(t, p0, plans[0].parts[0].ps)
	assert.True(t, p0.inflight)
	assert.False(t, p1.inflight, "the moved partition is not in flight")
	for k, other := range f.sources {
		if other != s {
			assert.False(t, other.busy, "source %v was made busy by another source's plan", k)
		}
	}
}
