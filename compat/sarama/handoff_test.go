package saramacompat

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"
)

func TestHandoffKeepsOrderAcrossBatches(t *testing.T) {
	for _, limit := range []int{1, 3, 256} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var h handoff
			h.init(limit)
			msgs := make([]*sarama.ProducerMessage, 1000)
			for i := range msgs {
				msgs[i] = &sarama.ProducerMessage{Offset: int64(i)}
			}
			var got []*sarama.ProducerMessage
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					batch, ok := h.take()
					if !ok {
						return
					}
					require.LessOrEqual(t, len(batch), limit)
					got = append(got, batch...)
					clear(batch)
				}
			}()
			for _, m := range msgs {
				h.put(m)
			}
			h.close()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the taker did not end after close")
			}
			require.Equal(t, msgs, got)
		})
	}
}

func TestHandoffPutWaitsWhileFull(t *testing.T) {
	var h handoff
	h.init(2)
	h.put(&sarama.ProducerMessage{})
	h.put(&sarama.ProducerMessage{})
	third := &sarama.ProducerMessage{Offset: 3}
	put := make(chan struct{})
	go func() {
		defer close(put)
		h.put(third)
	}()
	// The third put waits for room: until the taker takes the queue, it
	// cannot have returned.
	require.Eventually(t, h.putterWaits.Load, 10*time.Second, time.Millisecond)
	select {
	case <-put:
		t.Fatal("put returned while the queue was full")
	default:
	}
	batch, ok := h.take()
	require.True(t, ok)
	require.Len(t, batch, 2)
	select {
	case <-put:
	case <-time.After(10 * time.Second):
		t.Fatal("put did not return after the queue was taken")
	}
	batch, ok = h.take()
	require.True(t, ok)
	require.Equal(t, []*sarama.ProducerMessage{third}, batch)
}

func TestHandoffCloseWakesWaitingTaker(t *testing.T) {
	var h handoff
	h.init(4)
	var wg sync.WaitGroup
	var ok bool
	wg.Go(func() { _, ok = h.take() })
	require.Eventually(t, h.takerWaits.Load, 10*time.Second, time.Millisecond)
	h.close()
	wg.Wait()
	require.False(t, ok)
}

func BenchmarkHandoff(b *testing.B) {
	var h handoff
	h.init(256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			batch, ok := h.take()
			if !ok {
				return
			}
			clear(batch)
		}
	}()
	msg := &sarama.ProducerMessage{}
	b.ReportAllocs()
	for b.Loop() {
		h.put(msg)
	}
	h.close()
	<-done
}

// TestHandoffCloseRightAfterPut races a put followed at once by close
// against a take that finds the queue empty: take must not see the close
// without the message put before it, so the message is always taken.
func TestHandoffCloseRightAfterPut(t *testing.T) {
	msg := &sarama.ProducerMessage{}
	for round := range 50000 {
		var h handoff
		h.init(4)
		var taking atomic.Bool
		took := make(chan int, 1)
		go func() {
			n := 0
			taking.Store(true)
			for {
				batch, ok := h.take()
				if !ok {
					took <- n
					return
				}
				n += len(batch)
			}
		}()
		for !taking.Load() {
		}
		h.put(msg)
		h.close()
		select {
		case n := <-took:
			require.Equal(t, 1, n, "round %d: the message put before close was lost", round)
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the taker did not end after close", round)
		}
	}
}
