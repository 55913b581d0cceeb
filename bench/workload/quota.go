package workload

import (
	"sync/atomic"
	"time"
)

// DefaultQuotaChunk is how many records a reader claims at once: large
// enough that readers rarely touch the shared counters, small enough that
// no reader sits on many unread claims when the run ends.
const DefaultQuotaChunk = 256

// Quota hands out exactly total records to concurrent readers (one per
// partition, for clients that deliver each partition separately) and notes
// the moment the last one is used. A reader claims a chunk, uses it record
// by record and reports it used when the chunk is empty. Claim and Used are
// safe for concurrent use.
type Quota struct {
	total     int64
	chunk     int64
	remaining atomic.Int64
	used      atomic.Int64
	done      chan struct{}
	end       time.Time // written once before done is closed
}

// NewQuota returns a quota of total records handed out chunk at a time
// (DefaultQuotaChunk if chunk <= 0).
func NewQuota(total, chunk int64) *Quota {
	if chunk <= 0 {
		chunk = DefaultQuotaChunk
	}
	q := &Quota{total: total, chunk: chunk, done: make(chan struct{})}
	q.remaining.Store(total)
	return q
}

// Claim takes up to one chunk of records; 0 means every record is claimed
// and the reader should stop.
func (q *Quota) Claim() int64 {
	for {
		r := q.remaining.Load()
		if r <= 0 {
			return 0
		}
		take := min(q.chunk, r)
		if q.remaining.CompareAndSwap(r, r-take) {
			return take
		}
	}
}

// Used reports n claimed records as seen. The call that reports the last
// record notes the time and closes Done.
func (q *Quota) Used(n int64) {
	if n <= 0 {
		return
	}
	after := q.used.Add(n)
	if after == q.total {
		q.end = time.Now()
		close(q.done)
	}
}

// Done is closed once every record has been used.
func (q *Quota) Done() <-chan struct{} { return q.done }

// End is when the last record was used; valid once Done is closed.
func (q *Quota) End() time.Time { return q.end }

// Reader is one reader's view of a Quota: Take before each record, which
// claims chunks as needed and reports them used as they empty. A Reader is
// owned by one goroutine.
type Reader struct {
	q      *Quota
	tokens int64
	held   int64
}

// Reader returns a new reader of q.
func (q *Quota) Reader() *Reader { return &Reader{q: q} }

// Take reports whether the reader may count one more record; false means
// the quota is spent and the reader should stop. A record taken is
// reported used no later than when its chunk empties.
func (r *Reader) Take() bool {
	if r.tokens == 0 {
		r.tokens = r.q.Claim()
		if r.tokens == 0 {
			return false
		}
		r.held = r.tokens
	}
	r.tokens--
	if r.tokens == 0 {
		r.q.Used(r.held)
		r.held = 0
	}
	return true
}
