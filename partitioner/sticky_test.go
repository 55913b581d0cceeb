package partitioner

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seq returns a concurrency-safe random source that yields vals in order,
// then repeats the last one.
func seq(vals ...uint32) func() uint32 {
	var i atomic.Int64
	return func() uint32 {
		n := i.Add(1) - 1
		if int(n) >= len(vals) {
			return vals[len(vals)-1]
		}
		return vals[n]
	}
}

func TestStickySwitchesAfterBatchSize(t *testing.T) {
	p, err := UniformSticky(100, WithRand(seq(3, 5, 6)))
	require.NoError(t, err)
	parts := Partitions{Count: 8, Available: []int32{0, 1, 2, 3, 4, 5, 6, 7}}
	aa := p.(AppendAware)

	first := p.Partition("t", nil, nil, parts)
	assert.Equal(t, int32(3), first)
	// 99 bytes: below batch size, stays even though the batch is full.
	for range 9 {
		require.Equal(t, first, p.Partition("t", nil, nil, parts))
		aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 11, AllBatchesFull: true})
	}
	require.Equal(t, first, p.Partition("t", nil, nil, parts))
	// The 100th byte switches.
	aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 1, AllBatchesFull: true})
	second := p.Partition("t", nil, nil, parts)
	assert.Equal(t, int32(5), second)
	// Other topics have their own sticky partition.
	assert.Equal(t, int32(6), p.Partition("u", nil, nil, parts))
	assert.Equal(t, int32(5), p.Partition("t", nil, nil, parts))
}

func TestStickyDefersSwitchUntilBatchesFull(t *testing.T) {
	p, err := UniformSticky(100, WithRand(seq(2, 4)))
	require.NoError(t, err)
	parts := all(8)
	aa := p.(AppendAware)
	first := p.Partition("t", nil, nil, parts)
	require.Equal(t, int32(2), first)

	// Past batch size but the last batch still has room: stay.
	aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 150, AllBatchesFull: false})
	assert.Equal(t, first, p.Partition("t", nil, nil, parts))
	// A zero-byte report with full batches completes the deferred switch
	// (the accumulator's pre-append check).
	aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 0, AllBatchesFull: true})
	assert.Equal(t, int32(4), p.Partition("t", nil, nil, parts))
}

func TestStickyHardCapAtTwiceBatchSize(t *testing.T) {
	p, err := UniformSticky(100, WithRand(seq(1, 7)))
	require.NoError(t, err)
	aa := p.(AppendAware)
	first := p.Partition("t", nil, nil, all(8))
	aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 199})
	assert.Equal(t, first, p.Partition("t", nil, nil, all(8)))
	aa.OnAppend(Append{Topic: "t", Partition: first, Bytes: 1})
	assert.Equal(t, int32(7), p.Partition("t", nil, nil, all(8)))
}

func TestStickyIgnoresStaleAppends(t *testing.T) {
	p, err := UniformSticky(10, WithRand(seq(1, 2, 3)))
	require.NoError(t, err)
	aa := p.(AppendAware)
	assert.Equal(t, int32(1), p.Partition("t", nil, nil, all(8)))
	// An append to another partition (a racer's stale choice) or another
	// topic does not count.
	aa.OnAppend(Append{Topic: "t", Partition: 5, Bytes: 1000, AllBatchesFull: true})
	aa.OnAppend(Append{Topic: "nope", Partition: 1, Bytes: 1000, AllBatchesFull: true})
	assert.Equal(t, int32(1), p.Partition("t", nil, nil, all(8)))
}

func TestStickyBatchSizeZero(t *testing.T) {
	p, err := UniformSticky(0, WithRand(seq(0, 1, 2, 3)))
	require.NoError(t, err)
	aa := p.(AppendAware)
	var got []int32
	for range 4 {
		part := p.Partition("t", nil, nil, all(8))
		got = append(got, part)
		aa.OnAppend(Append{Topic: "t", Partition: part, Bytes: 5})
	}
	assert.Equal(t, []int32{0, 1, 2, 3}, got)
}

func TestDefaultKeyedAndUnkeyed(t *testing.T) {
	p, err := Default(100, WithRand(seq(6, 2)))
	require.NoError(t, err)
	aa := p.(AppendAware)
	parts := all(100)
	sticky := p.Partition("t", nil, nil, parts)
	require.Equal(t, int32(6), sticky)
	// Keyed records hash with murmur2 and do not count towards the switch.
	assert.Equal(t, int32(16), p.Partition("t", []byte("foo"), nil, parts))
	aa.OnAppend(Append{Topic: "t", Partition: sticky, Keyed: true, Bytes: 1000, AllBatchesFull: true})
	assert.Equal(t, sticky, p.Partition("t", nil, nil, parts))
	aa.OnAppend(Append{Topic: "t", Partition: sticky, Bytes: 100, AllBatchesFull: true})
	assert.Equal(t, int32(2), p.Partition("t", nil, nil, parts))
}

func TestDefaultIgnoreKeys(t *testing.T) {
	p, err := Default(100, WithIgnoreKeys(true), WithRand(seq(6, 2)))
	require.NoError(t, err)
	aa := p.(AppendAware)
	assert.Equal(t, int32(6), p.Partition("t", []byte("foo"), nil, all(100)))
	aa.OnAppend(Append{Topic: "t", Partition: 6, Keyed: true, Bytes: 100, AllBatchesFull: true})
	assert.Equal(t, int32(2), p.Partition("t", []byte("foo"), nil, all(100)))
}

// TestAdaptivePrefersShortQueues drives the cumulative frequency table of
// KIP-794 with a known random sequence: queues 0,3,1 give the table 4,5,8,
// so draws 0-3 pick the first partition, 4 the second, 5-7 the third.
func TestAdaptivePrefersShortQueues(t *testing.T) {
	draws := []uint32{0, 3, 4, 5, 7, 8, 12, 0x80000004}
	want := []int32{10, 10, 11, 12, 12, 10, 11, 11} // 8%8=0, 12%8=4; the sign bit is masked
	p, err := UniformSticky(0, WithRand(seq(draws...)))
	require.NoError(t, err)
	p.(LoadAware).UpdateLoad("t", []PartitionLoad{
		{Partition: 10, QueuedBatches: 0},
		{Partition: 11, QueuedBatches: 3},
		{Partition: 12, QueuedBatches: 1},
	})
	aa := p.(AppendAware)
	var got []int32
	for range draws {
		part := p.Partition("t", nil, nil, all(16))
		got = append(got, part)
		aa.OnAppend(Append{Topic: "t", Partition: part, Bytes: 1})
	}
	assert.Equal(t, want, got)
}

func TestAdaptiveWeightsStatistically(t *testing.T) {
	p, err := UniformSticky(0)
	require.NoError(t, err)
	p.(LoadAware).UpdateLoad("t", []PartitionLoad{
		{Partition: 0, QueuedBatches: 0}, // weight 10
		{Partition: 1, QueuedBatches: 9}, // weight 1
		{Partition: 2, QueuedBatches: 5}, // weight 5
	})
	aa := p.(AppendAware)
	counts := map[int32]int{}
	const n = 32000
	for range n {
		part := p.Partition("t", nil, nil, all(3))
		counts[part]++
		aa.OnAppend(Append{Topic: "t", Partition: part, Bytes: 1})
	}
	assert.InDelta(t, n*10/16, counts[0], n/40)
	assert.InDelta(t, n*1/16, counts[1], n/40)
	assert.InDelta(t, n*5/16, counts[2], n/40)
}

func TestAdaptiveLoadTable(t *testing.T) {
	core, _, err := newStickyCore("x", 10, []Option{WithAvailabilityTimeout(time.Second)})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		load    []PartitionLoad
		wantCFT []int64
		wantIDs []int32
	}{
		{"nil", nil, nil, nil},
		{"one partition", []PartitionLoad{{Partition: 0, QueuedBatches: 4}}, nil, nil},
		{"all equal", []PartitionLoad{{0, 2, 0}, {1, 2, 0}, {2, 2, 0}}, nil, nil},
		{"java example", []PartitionLoad{{0, 0, 0}, {1, 3, 0}, {2, 1, 0}}, []int64{4, 5, 8}, []int32{0, 1, 2}},
		{"negative queue is empty", []PartitionLoad{{0, -3, 0}, {1, 1, 0}}, []int64{2, 3}, []int32{0, 1}},
		{"excluded slow leader", []PartitionLoad{{0, 0, 0}, {1, 3, 2 * time.Second}, {2, 1, time.Second}},
			[]int64{2, 3}, []int32{0, 2}},
		{"equal but one excluded", []PartitionLoad{{0, 2, 0}, {1, 2, 5 * time.Second}, {2, 2, 0}},
			[]int64{1, 2}, []int32{0, 2}},
		{"all excluded", []PartitionLoad{{0, 2, time.Hour}, {1, 2, time.Hour}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lt := core.buildLoadTable(tc.load)
			if tc.wantCFT == nil {
				assert.Nil(t, lt)
				return
			}
			require.NotNil(t, lt)
			assert.Equal(t, tc.wantCFT, lt.cft)
			assert.Equal(t, tc.wantIDs, lt.ids)
		})
	}
}

func TestAvailabilityTimeoutSkipsSlowLeader(t *testing.T) {
	p, err := UniformSticky(0, WithAvailabilityTimeout(100*time.Millisecond))
	require.NoError(t, err)
	p.(LoadAware).UpdateLoad("t", []PartitionLoad{
		{Partition: 0, QueuedBatches: 1},
		{Partition: 1, QueuedBatches: 1, NotDrainedFor: time.Second},
		{Partition: 2, QueuedBatches: 1},
	})
	aa := p.(AppendAware)
	for range 2000 {
		part := p.Partition("t", nil, nil, all(3))
		require.NotEqual(t, int32(1), part)
		aa.OnAppend(Append{Topic: "t", Partition: part, Bytes: 1})
	}
}

func TestAdaptiveOffIgnoresLoad(t *testing.T) {
	p, err := UniformSticky(0, WithAdaptive(false), WithRand(seq(1)))
	require.NoError(t, err)
	p.(LoadAware).UpdateLoad("t", []PartitionLoad{{0, 0, 0}, {1, 100, 0}})
	// Draw 1 over Available {0,1} is partition 1, the long queue.
	assert.Equal(t, int32(1), p.Partition("t", nil, nil, Partitions{Count: 2, Available: []int32{0, 1}}))
}

func TestStaleLoadTableFallsBack(t *testing.T) {
	p, err := UniformSticky(0, WithRand(seq(1)))
	require.NoError(t, err)
	p.(LoadAware).UpdateLoad("t", []PartitionLoad{{7, 5, 0}, {9, 0, 0}})
	// Weights 1 and 6: draw 1 picks partition 9, which is beyond Count 4.
	got := p.Partition("t", nil, nil, Partitions{Count: 4, Available: []int32{0, 3}})
	assert.Equal(t, int32(3), got)
}

func TestStickyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		batch  int
		opts   []Option
		option string
	}{
		{"negative batch", -1, nil, "partitioner.UniformSticky batchSize"},
		{"negative timeout", 10, []Option{WithAvailabilityTimeout(-time.Second)}, "partitioner.WithAvailabilityTimeout"},
		{"nil rand", 10, []Option{WithRand(nil)}, "partitioner.WithRand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UniformSticky(tc.batch, tc.opts...)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.option, ce.Option)
			_, err = Default(tc.batch, tc.opts...)
			require.ErrorAs(t, err, &ce)
		})
	}
	_, err := Default(10, nil) // a nil option is skipped
	require.NoError(t, err)
}

// TestStickyConcurrent hammers one sticky partitioner from many goroutines
// (run with -race): every choice is in range, every switch happens after
// enough bytes, and the choice keeps changing.
func TestStickyConcurrent(t *testing.T) {
	p, err := Default(1000)
	require.NoError(t, err)
	aa, la := p.(AppendAware), p.(LoadAware)
	parts := Partitions{Count: 12, Available: []int32{0, 2, 4, 6, 8, 10}}
	const workers, perWorker = 8, 5000
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int32]bool{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[int32]bool{}
			topic := []string{"a", "b", "c"}[w%3]
			for i := range perWorker {
				var key []byte
				if i%4 == 0 {
					key = []byte{byte(i), byte(w)}
				}
				part := p.Partition(topic, key, nil, parts)
				if part < 0 || part >= parts.Count {
					t.Errorf("partition %d out of range", part)
					return
				}
				if key == nil {
					local[part] = true
				}
				aa.OnAppend(Append{Topic: topic, Partition: part, Keyed: key != nil, Bytes: 50, AllBatchesFull: i%3 == 0})
				if i%500 == 0 {
					la.UpdateLoad(topic, []PartitionLoad{{0, i % 7, 0}, {2, 1, 0}, {4, 3, 0}, {6, 0, 0}, {8, 2, 0}, {10, 1, 0}})
				}
			}
			mu.Lock()
			for k := range local {
				seen[k] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for k := range seen {
		assert.Equal(t, int32(0), k%2, "unkeyed record on unavailable partition %d", k)
	}
	assert.Greater(t, len(seen), 3, "the sticky partition should have moved around: %v", seen)
}
