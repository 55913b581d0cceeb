package accumulator

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
)

func TestReadyLinger(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(10*time.Millisecond))
	start := clk.Now()
	ready, next, unknown := a.Ready(start, allOn(1))
	assert.Empty(t, ready)
	assert.Equal(t, NoDeadline, next, "nothing queued, nothing to wait for")
	assert.Empty(t, unknown)

	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	for _, tc := range []struct {
		after time.Duration
		ready bool
		next  time.Duration
	}{
		{0, false, 10 * time.Millisecond},
		{9 * time.Millisecond, false, time.Millisecond},
		{10 * time.Millisecond, true, NoDeadline},
		{time.Hour, true, NoDeadline},
	} {
		t.Run(tc.after.String(), func(t *testing.T) {
			ready, next, _ := a.Ready(start.Add(tc.after), allOn(1))
			if tc.ready {
				assert.Equal(t, []int32{1}, ready)
			} else {
				assert.Empty(t, ready)
			}
			assert.Equal(t, tc.next, next)
		})
	}
}

func TestReadyFullBatch(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour), WithBatchSize(1024))
	for i := 0; a.QueuedBatches(tp0) < 2; i++ {
		mustAppend(t, a, tp0, nil, i, value(100, 'x'))
	}
	ready, _, _ := a.Ready(clk.Now(), allOn(3))
	assert.Equal(t, []int32{3}, ready, "a queue of two batches is sendable at once")
	// The head went; the remaining open batch lingers.
	require.Len(t, a.Drain(clk.Now(), 3, []samsa.TopicPartition{tp0}, 1<<20), 1)
	ready, next, _ := a.Ready(clk.Now(), allOn(3))
	assert.Empty(t, ready)
	assert.Equal(t, time.Hour, next)
}

func TestReadyConditions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(a *Accumulator)
		ready bool
	}{
		{"lingering", func(*Accumulator) {}, false},
		{"flush", func(a *Accumulator) { a.BeginFlush() }, true},
		{"closed", func(a *Accumulator) { a.Close() }, true},
		{"muted", func(a *Accumulator) { a.BeginFlush(); a.Mute(tp0) }, false},
		{"unmuted", func(a *Accumulator) { a.BeginFlush(); a.Mute(tp0); a.Unmute(tp0) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, clk := newTestAcc(t, WithLinger(time.Hour))
			mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
			tc.setup(a)
			ready, _, _ := a.Ready(clk.Now(), allOn(1))
			assert.Equal(t, tc.ready, len(ready) == 1, "ready = %v", ready)
		})
	}
}

func TestReadyFlushEndsWithAwait(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour))
	a.BeginFlush()
	assert.True(t, a.FlushInProgress())
	require.NoError(t, a.AwaitFlushCompletion(context.Background()), "nothing to wait for")
	assert.False(t, a.FlushInProgress())
	// An unmatched await does not make the count negative.
	require.NoError(t, a.AwaitFlushCompletion(context.Background()))
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	ready, _, _ := a.Ready(clk.Now(), allOn(1))
	assert.Empty(t, ready)
	a.BeginFlush()
	ready, _, _ = a.Ready(clk.Now(), allOn(1))
	assert.Equal(t, []int32{1}, ready)
}

func TestReadyUnknownLeaderAndNodes(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0))
	parts := []samsa.TopicPartition{
		{Topic: "a", Partition: 0}, {Topic: "a", Partition: 1},
		{Topic: "b", Partition: 0}, {Topic: "c", Partition: 0}, {Topic: "c", Partition: 1},
	}
	for i, tp := range parts {
		mustAppend(t, a, tp, nil, i, value(10, 'a'))
	}
	leaders := map[samsa.TopicPartition]int32{parts[0]: 1, parts[1]: 2, parts[3]: 1}
	ready, _, unknown := a.Ready(clk.Now(), func(tp samsa.TopicPartition) (int32, int32, bool) {
		l, ok := leaders[tp]
		return l, 0, ok
	})
	assert.ElementsMatch(t, []int32{1, 2}, ready, "each ready broker once")
	assert.ElementsMatch(t, []string{"b", "c"}, unknown, "each topic once")
}

func TestReadyWaitsForMemory(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(time.Hour), WithBatchSize(1024), WithBufferMemory(1024))
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	errs := make(chan error, 1)
	go func() {
		_, err := a.Append(context.Background(), tpN(1), 1, nil, value(10, 'b'), nil, nil)
		errs <- err
	}()
	waitUntil(t, "the appender to block", func() bool { return a.Pool().Queued() == 1 })
	ready, _, _ := a.Ready(clk.Now(), allOn(1))
	assert.Equal(t, []int32{1}, ready, "blocked appenders make every batch sendable")
	bs := a.Drain(clk.Now(), 1, []samsa.TopicPartition{tp0, tpN(1)}, 1<<20)
	require.Len(t, bs, 1)
	bs[0].Complete(0, -1, nil)
	require.NoError(t, result(t, errs))
}

func TestReadyRetryBackoff(t *testing.T) {
	a, clk := newTestAcc(t, WithLinger(0), WithRetryBackoff(100*time.Millisecond, time.Second))
	mustAppend(t, a, tp0, nil, 0, value(10, 'a'))
	epoch := int32(5)
	leader := func(samsa.TopicPartition) (int32, int32, bool) { return 1, epoch, true }
	ready, _, _ := a.Ready(clk.Now(), leader)
	require.Equal(t, []int32{1}, ready)
	bs := a.Drain(clk.Now(), 1, []samsa.TopicPartition{tp0}, 1<<20)
	require.Len(t, bs, 1)
	b := bs[0]

	// The first retry backs off 100ms (the jitter source returns 0.5,
	// which is a factor of exactly 1).
	failed := clk.Advance(time.Second)
	require.NoError(t, a.Reenqueue(b, failed))
	assert.Equal(t, 1, b.Attempts())
	assert.Equal(t, failed, b.LastAttempt())
	ready, next, _ := a.Ready(failed.Add(40*time.Millisecond), leader)
	assert.Empty(t, ready)
	assert.Equal(t, 60*time.Millisecond, next)
	assert.Empty(t, a.Drain(failed.Add(40*time.Millisecond), 1, []samsa.TopicPartition{tp0}, 1<<20),
		"a backing-off batch is not drained")
	ready, _, _ = a.Ready(failed.Add(100*time.Millisecond), leader)
	assert.Equal(t, []int32{1}, ready)

	bs = a.Drain(failed.Add(100*time.Millisecond), 1, []samsa.TopicPartition{tp0}, 1<<20)
	require.Len(t, bs, 1)
	assert.Same(t, b, bs[0])
	failed = clk.Advance(time.Second)
	require.NoError(t, a.Reenqueue(b, failed))
	ready, next, _ = a.Ready(failed, leader)
	assert.Empty(t, ready)
	assert.Equal(t, 200*time.Millisecond, next, "the second retry backs off twice as long")

	// KIP-951: a new leader epoch means a new leader; no need to back off.
	epoch = 6
	ready, _, _ = a.Ready(failed, leader)
	assert.Equal(t, []int32{1}, ready)
	require.Len(t, a.Drain(failed, 1, []samsa.TopicPartition{tp0}, 1<<20), 1)
	b.Complete(0, -1, nil)
}

func TestBackoffFor(t *testing.T) {
	for _, tc := range []struct {
		name         string
		initial, max time.Duration
		random       float64
		want         []time.Duration // attempts 1, 2, ...
	}{
		{"java defaults without jitter", 100 * time.Millisecond, time.Second, 0.5,
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
				800 * time.Millisecond, time.Second, time.Second, time.Second}},
		{"lowest jitter", 100 * time.Millisecond, time.Second, 0,
			[]time.Duration{80 * time.Millisecond, 160 * time.Millisecond, 320 * time.Millisecond,
				640 * time.Millisecond, 800 * time.Millisecond}},
		{"highest jitter is capped", 100 * time.Millisecond, time.Second, 0.999999,
			[]time.Duration{120 * time.Millisecond, 240 * time.Millisecond, 480 * time.Millisecond,
				960 * time.Millisecond, time.Second}},
		{"no exponential range", 100 * time.Millisecond, 100 * time.Millisecond, 0,
			[]time.Duration{100 * time.Millisecond, 100 * time.Millisecond}},
		{"zero", 0, 0, 0.3, []time.Duration{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(WithRetryBackoff(tc.initial, tc.max), WithRandom(func() float64 { return tc.random }))
			require.NoError(t, err)
			defer a.Close()
			for i, want := range tc.want {
				got := a.backoffFor(i + 1)
				assert.InDelta(t, float64(want), float64(got), float64(time.Microsecond), "attempt %d", i+1)
				assert.LessOrEqual(t, got, tc.max, "attempt %d", i+1)
			}
		})
	}
}
