package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMillisFollowsTheWallClock(t *testing.T) {
	var c Millis
	for range 1000 {
		before := time.Now().UnixMilli()
		got := c.Now()
		after := time.Now().UnixMilli()
		// The monotonic and wall clocks may disagree by an NTP slew over a
		// second at most; a millisecond either way covers it.
		assert.GreaterOrEqual(t, got, before-1)
		assert.LessOrEqual(t, got, after+1)
	}
	// A base older than Rebase is replaced by a fresh wall-clock reading
	// instead of being extended.
	stale := time.Now().Add(-2 * Rebase)
	c.base.Store(&base{at: stale, unix: stale.UnixNano() - int64(time.Hour)})
	before := time.Now().UnixMilli()
	got := c.Now()
	require.GreaterOrEqual(t, got, before)
	require.True(t, c.base.Load().at.After(stale), "the stale base was replaced")
}

func TestMillisIsMonotonic(t *testing.T) {
	var c Millis
	prev := c.Now()
	for range 100000 {
		now := c.Now()
		if now < prev-1 {
			t.Fatalf("clock went back from %d to %d", prev, now)
		}
		prev = now
	}
}

func BenchmarkMillis(b *testing.B) {
	var c Millis
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Now()
	}
}

func BenchmarkTimeNowMillis(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = time.Now().UnixMilli()
	}
}
