package accumulator

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// waitFor is how long a test waits for a condition before failing.
const waitFor = 5 * time.Second

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// outcome is one completion as a recorder saw it.
type outcome struct {
	id  int
	res RecordResult
}

// recorder collects completions in the order they were called.
type recorder struct {
	mu   sync.Mutex
	seen []outcome
}

func (r *recorder) done(id int) Completion { return &recordDone{id: id, rec: r} }

func (r *recorder) outcomes() []outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outcome(nil), r.seen...)
}

func (r *recorder) ids() []int {
	var ids []int
	for _, o := range r.outcomes() {
		ids = append(ids, o.id)
	}
	return ids
}

type recordDone struct {
	id  int
	rec *recorder
}

func (d *recordDone) OnComplete(res RecordResult) {
	d.rec.mu.Lock()
	d.rec.seen = append(d.rec.seen, outcome{id: d.id, res: res})
	d.rec.mu.Unlock()
}

// newTestAcc returns an accumulator on a fake clock.
func newTestAcc(t testing.TB, opts ...Option) (*Accumulator, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	a, err := New(append([]Option{WithClock(clk.Now), WithRandom(func() float64 { return 0.5 })}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a, clk
}

var tp0 = samsa.TopicPartition{Topic: "t", Partition: 0}

func tpN(p int32) samsa.TopicPartition { return samsa.TopicPartition{Topic: "t", Partition: p} }

// allOn returns a LeaderFunc placing every partition on broker node with
// leader epoch 0.
func allOn(node int32) LeaderFunc {
	return func(samsa.TopicPartition) (int32, int32, bool) { return node, 0, true }
}

func value(n int, fill byte) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = fill
	}
	return v
}

// mustAppend appends a record with a recorder completion.
func mustAppend(t testing.TB, a *Accumulator, tp samsa.TopicPartition, rec *recorder, id int, v []byte) AppendResult {
	t.Helper()
	var done Completion
	if rec != nil {
		done = rec.done(id)
	}
	res, err := a.Append(context.Background(), tp, int64(1000+id), []byte(fmt.Sprint("k", id)), v, nil, done)
	require.NoError(t, err)
	return res
}

// decoded returns the records of a finished batch.
func decoded(t testing.TB, batch []byte) (records.BatchHeader, []records.Record) {
	t.Helper()
	hdr, raw, rest, err := records.ReadBatch(batch)
	require.NoError(t, err)
	require.Empty(t, rest)
	var dec records.Decoder
	recs, err := dec.Records(hdr, raw, nil)
	require.NoError(t, err)
	return hdr, recs
}

// waitUntil fails the test if cond does not hold within waitFor. It polls,
// which is the only way to observe a goroutine blocking inside the pool.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// result waits for an error (or nil) on ch.
func result(t testing.TB, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(waitFor):
		t.Fatal("timed out waiting for a result")
		return nil
	}
}
