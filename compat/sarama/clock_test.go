package saramacompat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateClockFollowsWallClock(t *testing.T) {
	var c createClock
	for i := range 3 {
		before := time.Now().UnixMilli()
		got := c.nowMillis()
		after := time.Now().UnixMilli()
		require.GreaterOrEqual(t, got, before, "reading %d", i)
		require.LessOrEqual(t, got, after, "reading %d", i)
	}
	// A base older than clockRebase is replaced by a fresh wall-clock
	// reading instead of being extended.
	stale := time.Now().Add(-2 * clockRebase)
	c.base.Store(&clockBase{at: stale, unix: stale.UnixNano() - int64(time.Hour)})
	before := time.Now().UnixMilli()
	got := c.nowMillis()
	require.GreaterOrEqual(t, got, before)
	require.True(t, c.base.Load().at.After(stale), "the stale base was replaced")
}

func BenchmarkCreateClock(b *testing.B) {
	var c createClock
	b.ReportAllocs()
	for b.Loop() {
		c.nowMillis()
	}
}
