package saramacompat

import (
	"sync/atomic"
	"time"
)

// clockRebase is how long the create-time clock follows the monotonic
// clock before it reads the wall clock again.
const clockRebase = time.Second

// createClock gives messages without a Timestamp their create time, in
// Unix milliseconds, cheaper than time.Now: it reads only the monotonic
// clock (time.Since) and adds the elapsed time to a wall-clock reading
// taken at most clockRebase ago, so a step of the wall clock shows in
// create times within a second. Safe for concurrent use; no locks.
type createClock struct {
	base atomic.Pointer[clockBase]
}

type clockBase struct {
	at   time.Time // a time.Now reading, monotonic part included
	unix int64     // at in Unix nanoseconds
}

// nowMillis returns the current time in Unix milliseconds.
func (c *createClock) nowMillis() int64 {
	if b := c.base.Load(); b != nil {
		if d := time.Since(b.at); d >= 0 && d < clockRebase {
			return (b.unix + int64(d)) / int64(time.Millisecond)
		}
	}
	now := time.Now()
	c.base.Store(&clockBase{at: now, unix: now.UnixNano()})
	return now.UnixMilli()
}
