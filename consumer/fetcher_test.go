package consumer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
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
