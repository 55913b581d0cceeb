package consumer_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
)

// TestIsolationLevelStopsAtLastStableOffset: records after an open
// transaction are not read under read_committed, and are under
// read_uncommitted. (The decoder tests cover aborted transactions and
// markers with hand-built logs; the mock has no transaction coordinator to
// end a transaction.)
func TestIsolationLevelStopsAtLastStableOffset(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b")
	p.produceTxn("t", 0, 4242, 0, "txn-0", "txn-1")
	p.produceValues("t", 0, "c")

	committed := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithIsolationLevel(consumer.ReadCommitted))
	require.NoError(t, committed.Assign(tp("t", 0)))
	assert.Equal(t, []string{"a", "b"}, values(pollN(t, committed, 2)))
	pollNothing(t, committed, 300*time.Millisecond)
	pos, err := committed.Position(t.Context(), tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(2), pos.Offset, "the position stops at the last stable offset")
	// SeekToEnd under read_committed is the last stable offset too.
	require.NoError(t, committed.SeekToEnd())
	pos, err = committed.Position(t.Context(), tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(2), pos.Offset)

	uncommitted := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, uncommitted.Assign(tp("t", 0)))
	assert.Equal(t, []string{"a", "b", "txn-0", "txn-1", "c"}, values(pollN(t, uncommitted, 5)))
}

// TestFetchSessions checks that the consumer fetches within incremental
// fetch sessions (KIP-227) — idle fetches carry no partitions — and that a
// lost session is replaced by a full fetch without losing records.
func TestFetchSessions(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 6))
	var mu sync.Mutex
	var idleIncremental, full int
	failNext := false
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		fr, ok := req.(*kmsg.FetchRequest)
		if !ok {
			return nil, nil, false
		}
		mu.Lock()
		defer mu.Unlock()
		if fr.SessionEpoch > 0 && len(fr.Topics) == 0 && len(fr.ForgottenTopics) == 0 {
			idleIncremental++
		}
		if fr.SessionEpoch == 0 {
			full++
		}
		if failNext && fr.SessionEpoch > 0 {
			failNext = false
			resp := fr.ResponseKind().(*kmsg.FetchResponse)
			resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
			return resp, nil, true
		}
		return nil, nil, false
	})
	p := newProducer(t, mb)
	for part := int32(0); part < 6; part++ {
		p.produceValues("t", part, seq(fmt.Sprintf("p%d-", part), 20)...)
	}
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(partitions("t", 6)...))
	assert.Len(t, pollN(t, c, 120), 120)
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return idleIncremental > 0
	}, "an idle incremental fetch")

	mu.Lock()
	failNext = true
	fullBefore := full
	mu.Unlock()
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !failNext && full > fullBefore
	}, "a full fetch after the session was lost")
	p.produceValues("t", 3, "after")
	assert.Equal(t, []string{"after"}, values(pollN(t, c, 1)))
}

// TestMaxBufferedBytes: while the fetched bytes Poll has not returned reach
// the bound, no fetch is sent, not even for partitions without buffered
// records; below it, those keep long-polling.
func TestMaxBufferedBytes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		bound   int64
		fetches bool
	}{{"bound reached", 1, false}, {"below the bound", consumer.DefaultMaxBufferedBytes, true}} {
		t.Run(tt.name, func(t *testing.T) {
			mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
			p := newProducer(t, mb)
			p.produceValues("t", 0, seq("v", 10)...)
			c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
				consumer.WithMaxPollRecords(1), consumer.WithMaxBufferedBytes(tt.bound))
			require.NoError(t, c.Assign(tp("t", 0), tp("t", 1)))
			require.Equal(t, []string{"v0"}, values(pollN(t, c, 1)))
			// The rest of partition 0's records stay buffered; partition 1
			// has none.
			before := mb.Requests(1)
			deadline := time.Now().Add(400 * time.Millisecond)
			for time.Now().Before(deadline) && mb.Requests(1) == before {
				time.Sleep(10 * time.Millisecond) // observing the absence of requests for a fixed window
			}
			assert.Equal(t, tt.fetches, mb.Requests(1) > before)
			assert.Equal(t, seq("v", 10)[1:], values(pollN(t, c, 9)))
		})
	}
}

// TestLogAppendTimeAndLeaderEpoch: records carry their batch's timestamp
// type and partition leader epoch, across batches written in different
// leader epochs.
func TestLogAppendTimeAndLeaderEpoch(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 1), mockbroker.WithLogAppendTime("t"))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b")
	epoch0, err := mb.LeaderEpoch("t", 0)
	require.NoError(t, err)
	leader, err := mb.Leader("t", 0)
	require.NoError(t, err)
	require.NoError(t, mb.MoveLeader("t", 0, 1-leader))
	p.produceValues("t", 0, "c")
	epoch1, err := mb.LeaderEpoch("t", 0)
	require.NoError(t, err)
	require.Greater(t, epoch1, epoch0)

	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(tp("t", 0)))
	got := pollN(t, c, 3)
	for i, want := range []int32{epoch0, epoch0, epoch1} {
		assert.Equal(t, consumer.LogAppendTime, got[i].TimestampType)
		assert.Equal(t, want, got[i].LeaderEpoch, "record %d", i)
	}
	pos, err := c.Position(t.Context(), tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, samsa.Offset{Offset: 3, LeaderEpoch: epoch1}, pos)
	assert.Equal(t, samsa.Offset{Offset: 3, LeaderEpoch: epoch1}, got[2].NextOffset())
}

// TestFetchersPerBroker: a broker's partitions are fetched by as many
// fetchers as configured, each with a fetch session of its own covering a
// share of the partitions, and every record still arrives once, in order
// per partition.
func TestFetchersPerBroker(t *testing.T) {
	for _, fetchers := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(fetchers), func(t *testing.T) {
			mb := mockbroker.NewTest(t, mockbroker.WithBrokers(1), mockbroker.WithTopic("t", 4))
			var mu sync.Mutex
			sessions := map[int32]map[int32]bool{} // session id -> partitions it fetched
			mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
				fr, ok := req.(*kmsg.FetchRequest)
				if !ok || fr.SessionID == 0 {
					return nil, nil, false
				}
				mu.Lock()
				defer mu.Unlock()
				if sessions[fr.SessionID] == nil {
					sessions[fr.SessionID] = map[int32]bool{}
				}
				for _, rt := range fr.Topics {
					for _, rp := range rt.Partitions {
						sessions[fr.SessionID][rp.Partition] = true
					}
				}
				return nil, nil, false
			})
			p := newProducer(t, mb)
			for part := int32(0); part < 4; part++ {
				p.produceValues("t", part, seq(fmt.Sprintf("a%d-", part), 10)...)
			}
			c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
				consumer.WithFetchersPerBroker(fetchers))
			require.NoError(t, c.Assign(partitions("t", 4)...))
			got := pollN(t, c, 40)
			// More records after the sessions exist: incremental fetches
			// name the partitions whose offsets moved.
			for part := int32(0); part < 4; part++ {
				p.produceValues("t", part, seq(fmt.Sprintf("b%d-", part), 10)...)
			}
			got = append(got, pollN(t, c, 40)...)
			byPart := map[int32][]string{}
			for _, r := range got {
				byPart[r.Partition] = append(byPart[r.Partition], r.Value)
			}
			for part := int32(0); part < 4; part++ {
				want := append(seq(fmt.Sprintf("a%d-", part), 10), seq(fmt.Sprintf("b%d-", part), 10)...)
				assert.Equal(t, want, byPart[part], "partition %d", part)
			}

			mu.Lock()
			defer mu.Unlock()
			assert.Len(t, sessions, fetchers, "one session per fetcher")
			seen := map[int32]int{}
			for id, ps := range sessions {
				assert.NotEmpty(t, ps, "session %d", id)
				for part := range ps {
					seen[part]++
				}
			}
			for part := int32(0); part < 4; part++ {
				assert.Equal(t, 1, seen[part], "partition %d is fetched by exactly one fetcher", part)
			}
		})
	}
}
