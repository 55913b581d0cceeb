package producer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRecordClockFollowsTheWallClock(t *testing.T) {
	var c recordClock
	for range 1000 {
		before := time.Now().UnixMilli()
		got := c.nowMillis()
		after := time.Now().UnixMilli()
		// The monotonic and wall clocks may disagree by an NTP slew over a
		// second at most; a millisecond either way covers it.
		assert.GreaterOrEqual(t, got, before-1)
		assert.LessOrEqual(t, got, after+1)
	}
	// A base older than the rebase interval is replaced.
	old := time.Now().Add(-2 * clockRebase)
	c.base.Store(&clockBase{at: old, unix: old.UnixNano() - int64(time.Hour)})
	assert.InDelta(t, time.Now().UnixMilli(), c.nowMillis(), 5)
	assert.NotEqual(t, old, c.base.Load().at)
}

func TestRecordClockIsMonotonic(t *testing.T) {
	var c recordClock
	prev := c.nowMillis()
	for range 100000 {
		now := c.nowMillis()
		if now < prev-1 {
			t.Fatalf("clock went back from %d to %d", prev, now)
		}
		prev = now
	}
}

func BenchmarkRecordClock(b *testing.B) {
	var c recordClock
	b.ReportAllocs()
	for range b.N {
		_ = c.nowMillis()
	}
}

func BenchmarkTimeNowMillis(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		_ = time.Now().UnixMilli()
	}
}
