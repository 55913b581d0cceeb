package clock

import (
	"sync/atomic"
	"time"
)

// Rebase is how long a Millis follows the monotonic clock before it reads
// the wall clock again.
const Rebase = time.Second

// Millis gives the current time in Unix milliseconds, cheaper than
// time.Now: it reads only the monotonic clock (time.Since) and adds the
// elapsed time to a wall-clock reading taken at most Rebase ago, so a step
// of the wall clock (an NTP correction, a manual change) shows within a
// second. The zero value is ready to use. Safe for concurrent use; no
// locks.
type Millis struct {
	base atomic.Pointer[base]
}

type base struct {
	at   time.Time // a time.Now reading, monotonic part included
	unix int64     // at in Unix nanoseconds
}

// Now returns the current time in Unix milliseconds.
func (c *Millis) Now() int64 {
	if b := c.base.Load(); b != nil {
		if d := time.Since(b.at); d >= 0 && d < Rebase {
			return (b.unix + int64(d)) / int64(time.Millisecond)
		}
	}
	now := time.Now()
	c.base.Store(&base{at: now, unix: now.UnixNano()})
	return now.UnixMilli()
}
