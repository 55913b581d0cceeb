package accumulator

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
)

// stressRecord is the completion of one record of the stress test: it
// knows which producer appended it and as which of its records.
type stressRecord struct {
	g, i  int
	calls atomic.Int32
	res   RecordResult
	log   *stressLog
}

func (r *stressRecord) OnComplete(res RecordResult) {
	r.calls.Add(1)
	r.res = res
	r.log.add(res)
}

// stressLog is the order in which completions ran, per partition.
type stressLog struct {
	mu      sync.Mutex
	offsets map[int32][]int64
}

func (l *stressLog) add(res RecordResult) {
	l.mu.Lock()
	l.offsets[res.Partition.Partition] = append(l.offsets[res.Partition.Partition], res.Offset)
	l.mu.Unlock()
}

// TestConcurrentAppendAndDrain runs producers appending concurrently, with
// little buffer memory so they block, against one sender that drains,
// retries, splits and acknowledges, and a goroutine that flushes. Every
// record must complete exactly once, with the offset of its position in
// its partition's log, in offset order, and each producer's records in
// append order.
func TestConcurrentAppendAndDrain(t *testing.T) {
	const (
		producers  = 8
		perProd    = 2500
		partitions = 4
	)
	a, err := New(WithBatchSize(2048), WithBufferMemory(32<<10), WithLinger(0), WithRetryBackoff(0, 0),
		WithMaxBlock(time.Minute))
	require.NoError(t, err)
	log := &stressLog{offsets: map[int32][]int64{}}
	recs := make([][]*stressRecord, producers)
	for g := range recs {
		recs[g] = make([]*stressRecord, perProd)
		for i := range recs[g] {
			recs[g][i] = &stressRecord{g: g, i: i, log: log}
		}
	}
	wake := make(chan struct{}, 1)
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}

	var producersWG sync.WaitGroup
	for g := range producers {
		producersWG.Add(1)
		go func() {
			defer producersWG.Done()
			v := make([]byte, 16, 200)
			for i := range perProd {
				binary.BigEndian.PutUint64(v[0:], uint64(g))
				binary.BigEndian.PutUint64(v[8:], uint64(i))
				// Vary the size: some records are larger than a batch.
				size := 16 + (i*37)%150
				if i%500 == 499 {
					size = 3000
				}
				val := append(v[:16], make([]byte, size-16)...)
				tp := tpN(int32(i % partitions))
				res, err := a.Append(context.Background(), tp, int64(i), nil, val, nil, recs[g][i])
				if !assert.NoError(t, err) {
					return
				}
				if res.BatchIsFull || res.NewBatchCreated || i%16 == 0 {
					signal()
				}
			}
		}()
	}
	var flusherWG sync.WaitGroup
	flusherWG.Add(1)
	go func() {
		defer flusherWG.Done()
		for range 5 {
			a.BeginFlush()
			signal()
			assert.NoError(t, a.AwaitFlushCompletion(context.Background()))
		}
	}()
	producersDone := make(chan struct{})
	go func() {
		producersWG.Wait()
		close(producersDone)
	}()

	// The sender: one goroutine, as in the producer.
	rng := rand.New(rand.NewPCG(1, 2))
	nextOffset := map[int32]int64{}
	parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2), tpN(3)}
	finished, flushing := false, false
	deadline := time.After(60 * time.Second)
	for !finished {
		select {
		case <-producersDone:
			finished = !a.HasIncomplete()
			if !finished && !flushing {
				a.BeginFlush() // no more appends: send the open batches
				flushing = true
			}
		default:
		}
		ready, _, _ := a.Ready(time.Now(), allOn(1))
		if len(ready) == 0 {
			select {
			case <-wake:
			case <-producersDone:
			case <-deadline:
				t.Fatal("the stress test did not finish")
			case <-time.After(time.Millisecond):
			}
			continue
		}
		for _, b := range a.Drain(time.Now(), 1, parts, 16<<10) {
			tp := b.TopicPartition()
			a.Mute(tp)
			switch r := rng.IntN(10); {
			case r == 0 && b.Attempts() < 3:
				require.NoError(t, a.Reenqueue(b, time.Now()))
			case r == 1 && b.NumRecords() > 1:
				_, err := a.SplitAndReenqueue(b)
				require.NoError(t, err)
			default:
				checkBatchMatchesCompletions(t, b)
				base := nextOffset[tp.Partition]
				nextOffset[tp.Partition] = base + int64(b.NumRecords())
				require.True(t, b.Complete(base, -1, nil))
			}
			a.Unmute(tp)
		}
		signal()
	}
	flusherWG.Wait()
	a.Close()
	assert.Equal(t, 32<<10, a.Pool().AvailableMemory(), "all memory returned")

	// Every record completed exactly once, without error, in its
	// producer's append order within its partition.
	lastOffset := map[[2]int]int64{}
	for g := range recs {
		for i, r := range recs[g] {
			require.Equal(t, int32(1), r.calls.Load(), "record %d of producer %d", i, g)
			require.NoError(t, r.res.Err)
			require.Equal(t, int32(i%partitions), r.res.Partition.Partition)
			key := [2]int{g, i % partitions}
			if prev, ok := lastOffset[key]; ok {
				require.Greater(t, r.res.Offset, prev, "producer %d's records are in order", g)
			}
			lastOffset[key] = r.res.Offset
		}
	}
	// Offsets are dense and completions ran in offset order.
	total := 0
	for p := range int32(partitions) {
		offs := log.offsets[p]
		for j, o := range offs {
			require.Equal(t, int64(j), o, "partition %d", p)
		}
		total += len(offs)
	}
	assert.Equal(t, producers*perProd, total)
	st := a.Stats()
	assert.Positive(t, st.BatchesRetried)
	assert.Positive(t, st.BatchesSplit)
	assert.Zero(t, st.IncompleteBatches)
}

// checkBatchMatchesCompletions decodes a drained batch and checks that
// record k's bytes belong to the record whose completion is k-th.
func checkBatchMatchesCompletions(t *testing.T, b *Batch) {
	t.Helper()
	_, recs := decoded(t, b.Records())
	require.Len(t, recs, len(b.recs))
	for k, r := range recs {
		sr := b.recs[k].done.(*stressRecord)
		require.Equal(t, uint64(sr.g), binary.BigEndian.Uint64(r.Value[0:]))
		require.Equal(t, uint64(sr.i), binary.BigEndian.Uint64(r.Value[8:]))
		require.Equal(t, int64(sr.i), r.Timestamp)
	}
}
