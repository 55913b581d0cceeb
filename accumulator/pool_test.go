package accumulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
)

func TestNewBufferPoolValidation(t *testing.T) {
	for _, tc := range []struct {
		name            string
		total, poolable int
		ok              bool
	}{
		{"defaults", DefaultBufferMemory, DefaultBatchSize, true},
		{"no free list", 1024, 0, true},
		{"poolable equals total", 1024, 1024, true},
		{"zero total", 0, 0, false},
		{"negative total", -1, 0, false},
		{"negative poolable", 1024, -1, false},
		{"poolable above total", 1024, 1025, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewBufferPool(tc.total, tc.poolable)
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, tc.total, p.TotalMemory())
				assert.Equal(t, tc.total, p.AvailableMemory())
				assert.Equal(t, tc.poolable, p.PoolableSize())
				return
			}
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Nil(t, p)
		})
	}
}

func TestBufferPoolAllocateDeallocate(t *testing.T) {
	p, err := NewBufferPool(1<<20, 16<<10)
	require.NoError(t, err)
	ctx := context.Background()

	b1, err := p.Allocate(ctx, 16<<10, 0)
	require.NoError(t, err)
	assert.Equal(t, 0, len(b1))
	assert.Equal(t, 16<<10, cap(b1))
	assert.Equal(t, 1<<20-16<<10, p.AvailableMemory())

	// A pooled buffer comes back for the next poolable request.
	b1 = append(b1, 1, 2, 3)
	p.Deallocate(b1)
	assert.Equal(t, 1<<20, p.AvailableMemory())
	b2, err := p.Allocate(ctx, 16<<10, 0)
	require.NoError(t, err)
	assert.Equal(t, 0, len(b2))
	assert.Same(t, &b1[:1][0], &b2[:1][0], "the pooled buffer is reused")

	// Other sizes are only counted.
	big, err := p.Allocate(ctx, 100_000, 0)
	require.NoError(t, err)
	assert.Equal(t, 100_000, cap(big))
	assert.Equal(t, 1<<20-16<<10-100_000, p.AvailableMemory())
	p.Deallocate(big)
	p.Deallocate(b2)
	assert.Equal(t, 1<<20, p.AvailableMemory())

	// Giving back more than was taken never inflates the pool.
	p.Deallocate(b2)
	p.Deallocate(make([]byte, 0, 5000))
	p.Deallocate(nil)
	assert.Equal(t, 1<<20, p.AvailableMemory())
}

func TestBufferPoolFreeListReleasedForOtherSizes(t *testing.T) {
	p, err := NewBufferPool(64<<10, 16<<10)
	require.NoError(t, err)
	ctx := context.Background()
	var bufs [][]byte
	for range 4 {
		b, err := p.Allocate(ctx, 16<<10, 0)
		require.NoError(t, err)
		bufs = append(bufs, b)
	}
	for _, b := range bufs {
		p.Deallocate(b) // all on the free list now
	}
	// A non-poolable request takes its memory from free-listed buffers.
	b, err := p.Allocate(ctx, 40<<10, 0)
	require.NoError(t, err)
	assert.Equal(t, 24<<10, p.AvailableMemory())
	p.Deallocate(b)
	assert.Equal(t, 64<<10, p.AvailableMemory())
}

func TestBufferPoolBadSizes(t *testing.T) {
	p, err := NewBufferPool(1<<20, 16<<10)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		size int
		want error
	}{
		{"zero", 0, ErrInvalidSize},
		{"negative", -5, ErrInvalidSize},
		{"above total", 1<<20 + 1, samsa.ErrRecordTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Even with a long max block, an impossible request fails at once.
			buf, err := p.Allocate(context.Background(), tc.size, time.Hour)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, buf)
		})
	}
	var tooLarge *RecordTooLargeError
	_, err = p.Allocate(context.Background(), 2<<20, time.Hour)
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, 2<<20, tooLarge.Size)
	assert.Equal(t, 1<<20, tooLarge.Limit)
	assert.Contains(t, err.Error(), "2097152 bytes is larger than the total buffer memory of 1048576 bytes")
}

// fill allocates every byte of p in poolable buffers.
func fill(t *testing.T, p *BufferPool) [][]byte {
	t.Helper()
	var bufs [][]byte
	for p.AvailableMemory() > 0 {
		b, err := p.Allocate(context.Background(), p.PoolableSize(), 0)
		require.NoError(t, err)
		bufs = append(bufs, b)
	}
	return bufs
}

func TestBufferPoolBlocksUntilFreed(t *testing.T) {
	p, err := NewBufferPool(1<<20, 16<<10)
	require.NoError(t, err)
	bufs := fill(t, p)
	require.Len(t, bufs, 64)

	got := make(chan []byte, 1)
	errs := make(chan error, 1)
	go func() {
		b, err := p.Allocate(context.Background(), 16<<10, time.Minute)
		got <- b
		errs <- err
	}()
	waitUntil(t, "the allocation to block", func() bool { return p.Queued() == 1 })
	select {
	case <-got:
		t.Fatal("Allocate returned while no memory was free")
	default:
	}
	p.Deallocate(bufs[0])
	require.NoError(t, result(t, errs))
	b := <-got
	assert.Equal(t, 16<<10, cap(b))
	assert.Equal(t, 0, p.Queued())
	assert.Equal(t, 0, p.AvailableMemory())
}

func TestBufferPoolMaxBlock(t *testing.T) {
	p, err := NewBufferPool(1<<20, 16<<10)
	require.NoError(t, err)
	_ = fill(t, p)

	t.Run("waits then fails", func(t *testing.T) {
		start := time.Now()
		buf, err := p.Allocate(context.Background(), 16<<10, 20*time.Millisecond)
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		assert.Nil(t, buf)
		require.ErrorIs(t, err, samsa.ErrBufferFull)
		var ex *BufferExhaustedError
		require.ErrorAs(t, err, &ex)
		assert.Equal(t, BufferExhaustedError{Requested: 16 << 10, MaxBlock: 20 * time.Millisecond,
			TotalMemory: 1 << 20, AvailableMemory: 0, PoolableSize: 16 << 10}, *ex)
		assert.Contains(t, err.Error(), "failed to allocate 16384 bytes within the configured max blocking time 20ms")
		assert.Contains(t, err.Error(), "Total memory: 1048576 bytes. Available memory: 0 bytes. Poolable size: 16384 bytes")
		assert.Equal(t, 0, p.Queued())
	})
	t.Run("zero max block does not wait", func(t *testing.T) {
		_, err := p.Allocate(context.Background(), 100, 0)
		require.ErrorIs(t, err, samsa.ErrBufferFull)
	})
}

func TestBufferPoolContextEnds(t *testing.T) {
	p, err := NewBufferPool(1<<20, 16<<10)
	require.NoError(t, err)
	bufs := fill(t, p)
	// Free a little, so the waiter gathers part of what it needs before
	// it gives up; that part must come back.
	p.Deallocate(bufs[0])
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, err := p.Allocate(ctx, 64<<10, time.Minute)
		errs <- err
	}()
	waitUntil(t, "the allocation to gather the free memory", func() bool {
		return p.Queued() == 1 && p.AvailableMemory() == 0
	})
	cancel()
	err = result(t, errs)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, samsa.ErrBufferFull)
	assert.Contains(t, err.Error(), "65536 bytes")
	assert.Equal(t, 16<<10, p.AvailableMemory(), "the gathered memory is given back")
	assert.Equal(t, 0, p.Queued())
}

func TestBufferPoolFIFO(t *testing.T) {
	p, err := NewBufferPool(64<<10, 16<<10)
	require.NoError(t, err)
	bufs := fill(t, p)

	// Waiter 0 needs 32 KiB, waiters 1 and 2 need one buffer each; they
	// queue in that order. Each keeps what it is given, so the test frees
	// memory one buffer at a time and sees exactly who was served by it.
	type grant struct {
		waiter int
		buf    []byte
	}
	served := make(chan grant, 3)
	sizes := []int{32 << 10, 16 << 10, 16 << 10}
	for i, size := range sizes {
		go func() {
			b, err := p.Allocate(context.Background(), size, time.Minute)
			if err != nil {
				t.Errorf("waiter %d: %v", i, err)
				b = nil
			}
			served <- grant{i, b}
		}()
		waitUntil(t, "the waiter to queue", func() bool { return p.Queued() == i+1 })
	}
	next := func(want int) grant {
		t.Helper()
		select {
		case g := <-served:
			require.Equal(t, want, g.waiter, "served out of order")
			return g
		case <-time.After(10 * time.Second):
			t.Fatalf("waiter %d was not served", want)
			return grant{}
		}
	}

	// One buffer is not enough for the first waiter, and the second must
	// not overtake it.
	p.Deallocate(bufs[0])
	waitUntil(t, "the first waiter to gather 16 KiB", func() bool { return p.AvailableMemory() == 0 })
	select {
	case g := <-served:
		t.Fatalf("waiter %d was served before the first waiter had enough", g.waiter)
	default:
	}
	assert.Equal(t, 3, p.Queued())

	var grants []grant
	for i, b := range bufs[1:] {
		p.Deallocate(b)
		grants = append(grants, next(i))
	}
	assert.Equal(t, 0, p.Queued())
	for _, g := range grants {
		p.Deallocate(g.buf)
	}
	assert.Equal(t, 64<<10, p.AvailableMemory())
}

func TestBufferPoolNewcomerQueuesBehindWaiter(t *testing.T) {
	p, err := NewBufferPool(64<<10, 16<<10)
	require.NoError(t, err)
	bufs := fill(t, p)
	errs := make(chan error, 1)
	go func() {
		b, err := p.Allocate(context.Background(), 48<<10, time.Minute)
		if err == nil {
			p.Deallocate(b)
		}
		errs <- err
	}()
	waitUntil(t, "the waiter to queue", func() bool { return p.Queued() == 1 })
	p.Deallocate(bufs[0])
	// Memory is being gathered by the waiter: a newcomer that would fit in
	// it must not take it.
	_, err = p.Allocate(context.Background(), 16<<10, 0)
	require.ErrorIs(t, err, samsa.ErrBufferFull)
	p.Deallocate(bufs[1])
	p.Deallocate(bufs[2])
	require.NoError(t, result(t, errs))
	p.Deallocate(bufs[3])
	assert.Equal(t, 64<<10, p.AvailableMemory())
}

func TestBufferPoolClose(t *testing.T) {
	p, err := NewBufferPool(32<<10, 16<<10)
	require.NoError(t, err)
	bufs := fill(t, p)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := p.Allocate(context.Background(), 16<<10, time.Minute)
			errs <- err
		}()
	}
	waitUntil(t, "both waiters to queue", func() bool { return p.Queued() == 2 })
	p.Close()
	p.Close() // idempotent
	for range 2 {
		err := result(t, errs)
		require.ErrorIs(t, err, samsa.ErrClosed)
		assert.Contains(t, err.Error(), "closed while allocating")
	}
	_, err = p.Allocate(context.Background(), 16<<10, time.Minute)
	require.ErrorIs(t, err, samsa.ErrClosed)
	// Deallocate still accounts after Close.
	for _, b := range bufs {
		p.Deallocate(b)
	}
	assert.Equal(t, 32<<10, p.AvailableMemory())
	assert.Equal(t, 0, p.Queued())
}

func TestBufferPoolErrorsAreDistinct(t *testing.T) {
	// Each failure matches its own sentinel only, so the producer can tell
	// a full buffer from a closed producer.
	exhausted := error(&BufferExhaustedError{})
	tooLarge := error(&RecordTooLargeError{})
	assert.True(t, errors.Is(exhausted, samsa.ErrBufferFull))
	assert.False(t, errors.Is(exhausted, samsa.ErrClosed))
	assert.True(t, errors.Is(tooLarge, samsa.ErrRecordTooLarge))
	assert.False(t, errors.Is(tooLarge, samsa.ErrBufferFull))
	assert.True(t, errors.Is(errClosedAllocate, samsa.ErrClosed))
}
