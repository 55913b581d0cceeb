package accumulator

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
)

// fuzzRecord is the completion of one record appended by the fuzzer.
type fuzzRecord struct {
	id    int
	calls int
	res   RecordResult
}

func (r *fuzzRecord) OnComplete(res RecordResult) {
	r.calls++
	r.res = res
}

// FuzzOperations drives an accumulator with a random sequence of producer
// and sender operations — appends of any size, drains with any request
// size, acknowledgements, retries, splits, expiry, muting, clock jumps —
// and checks the invariants that must survive any sequence: no panic, no
// deadlock (appends never block: max block is 0), every drained batch holds
// exactly the records its completions say, every appended record completes
// exactly once, and all buffer memory comes back.
func FuzzOperations(f *testing.F) {
	f.Add([]byte{0, 0, 10, 0, 1, 50, 0, 2, 200, 1, 0, 2, 0})
	f.Add([]byte{0, 0, 255, 0, 0, 255, 0, 0, 255, 1, 40, 4, 0, 1, 40, 3, 0, 6, 200, 1, 40, 2, 0, 2, 0})
	f.Add([]byte{0, 1, 3, 0, 1, 3, 0, 1, 3, 7, 1, 1, 9, 5, 0, 7, 1, 1, 9, 2, 1})
	f.Add([]byte{0, 2, 100, 0, 2, 100, 6, 255, 5, 10, 0, 2, 90, 1, 1, 4, 0, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 4096 {
			return
		}
		clk := newFakeClock()
		a, err := New(WithBatchSize(256), WithBufferMemory(4096), WithLinger(3*time.Millisecond),
			WithMaxBlock(0), WithRetryBackoff(time.Millisecond, 8*time.Millisecond), WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		parts := []samsa.TopicPartition{tpN(0), tpN(1), tpN(2)}
		var appended []*fuzzRecord
		var owned []*Batch
		offsets := map[int32]int64{}
		pos := 0
		next := func() int {
			if pos >= len(ops) {
				return 0
			}
			pos++
			return int(ops[pos-1])
		}
		take := func() *Batch {
			if len(owned) == 0 {
				return nil
			}
			i := next() % len(owned)
			b := owned[i]
			owned = append(owned[:i], owned[i+1:]...)
			return b
		}
		val := make([]byte, 0, 600)
		for pos < len(ops) {
			switch next() % 8 {
			case 0: // append
				tp := parts[next()%3]
				size := 8 + next()*2
				val = val[:size]
				binary.BigEndian.PutUint64(val, uint64(len(appended)))
				r := &fuzzRecord{id: len(appended)}
				_, err := a.Append(context.Background(), tp, clk.Now().UnixMilli(), nil, val, nil, r)
				switch {
				case err == nil:
					appended = append(appended, r)
				case errors.Is(err, samsa.ErrBufferFull), errors.Is(err, samsa.ErrRecordTooLarge):
				default:
					t.Fatalf("append: %v", err)
				}
			case 1: // ready and drain
				ready, _, _ := a.Ready(clk.Now(), allOn(1))
				maxSize := 1 + next()*8
				if len(ready) > 0 || next()%2 == 0 {
					for _, b := range a.Drain(clk.Now(), 1, parts, maxSize) {
						checkFuzzBatch(t, b)
						owned = append(owned, b)
					}
				}
			case 2: // acknowledge
				if b := take(); b != nil {
					p := b.TopicPartition().Partition
					b.Complete(offsets[p], -1, nil)
					offsets[p] += int64(b.NumRecords())
				}
			case 3: // retry
				if b := take(); b != nil {
					if err := a.Reenqueue(b, clk.Now()); err != nil {
						t.Fatalf("reenqueue: %v", err)
					}
				}
			case 4: // too large: split
				if b := take(); b != nil {
					if _, err := a.SplitAndReenqueue(b); err != nil {
						if !errors.Is(err, samsa.ErrRecordTooLarge) {
							t.Fatalf("split: %v", err)
						}
						b.Complete(-1, -1, err)
					}
				}
			case 5: // expiry
				expired, _ := a.ExpiredBatches(clk.Now(), time.Duration(next())*time.Millisecond)
				for _, b := range expired {
					b.Complete(-1, -1, ExpiryError(b, clk.Now()))
				}
			case 6:
				clk.Advance(time.Duration(next()) * time.Millisecond)
			case 7:
				tp := parts[next()%3]
				if a.IsMuted(tp) {
					a.Unmute(tp)
				} else {
					a.Mute(tp)
				}
			}
		}
		for _, b := range owned {
			b.Complete(-1, -1, errors.New("end of test"))
		}
		a.AbortIncomplete(nil)
		for _, r := range appended {
			if r.calls != 1 {
				t.Fatalf("record %d completed %d times", r.id, r.calls)
			}
		}
		if got := a.Pool().AvailableMemory(); got != 4096 {
			t.Fatalf("%d of 4096 bytes of buffer memory came back", got)
		}
		if a.HasIncomplete() || a.HasUndrained() {
			t.Fatal("batches left after abort")
		}
	})
}

// checkFuzzBatch checks that a drained batch decodes and that record k
// belongs to completion k.
func checkFuzzBatch(t *testing.T, b *Batch) {
	t.Helper()
	_, recs := decoded(t, b.Records())
	if len(recs) != len(b.recs) || len(recs) != b.NumRecords() {
		t.Fatalf("batch holds %d records, %d completions, NumRecords %d", len(recs), len(b.recs), b.NumRecords())
	}
	for k, r := range recs {
		want := b.recs[k].done.(*fuzzRecord).id
		if got := int(binary.BigEndian.Uint64(r.Value)); got != want {
			t.Fatalf("record %d of the batch is record %d, its completion is record %d's", k, got, want)
		}
	}
}
