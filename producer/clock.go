package producer

import (
	"sync/atomic"
	"time"
)

// clockRebase is how long the record clock follows the monotonic clock
// before it reads the wall clock again.
const clockRebase = time.Second

// recordClock gives records their create time, in Unix milliseconds, for
// about half the cost of time.Now: it reads only the monotonic clock and
// adds it to a wall-clock reading taken at most clockRebase ago. A step of
// the wall clock (an NTP correction, a manual change) therefore shows in
// record timestamps within a second. Safe for concurrent use; no locks.
type recordClock struct {
	base atomic.Pointer[clockBase]
}

type clockBase struct {
	at   time.Time // a time.Now reading, monotonic part included
	unix int64     // at in Unix nanoseconds
}

// nowMillis returns the current time in Unix milliseconds.
func (c *recordClock) nowMillis() int64 {
	b := c.base.Load()
	if b != nil {
		if d := time.Since(b.at); d >= 0 && d < clockRebase {
			return (b.unix + int64(d)) / int64(time.Millisecond)
		}
	}
	now := time.Now()
	c.base.Store(&clockBase{at: now, unix: now.UnixNano()})
	return now.UnixMilli()
}
