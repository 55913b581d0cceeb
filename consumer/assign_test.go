package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	metrics "github.com/rcrowley/go-metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/interceptor"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-metrics starts one process-wide ticker the first time a meter
		// is created and never stops it.
		goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"),
	)
}

func TestAssignConsumesEverything(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 4))
	p := newProducer(t, mb)
	const perPartition = 120
	for part := int32(0); part < 4; part++ {
		for b := 0; b < perPartition/20; b++ {
			recs := make([]rec, 20)
			for i := range recs {
				n := b*20 + i
				recs[i] = rec{key: fmt.Sprintf("k%d", n), value: fmt.Sprintf("p%d-v%d", part, n),
					headers: []samsa.Header{{Key: "n", Value: []byte(strconv.Itoa(n))}}}
			}
			p.produce("orders", part, recs...)
		}
	}
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest), consumer.WithMaxPollRecords(50))
	require.NoError(t, c.Assign(tp("orders", 0), tp("orders", 1), tp("orders", 2), tp("orders", 3)))

	got := pollN(t, c, 4*perPartition)
	require.Len(t, got, 4*perPartition)
	next := make(map[int32]int64)
	for _, r := range got {
		require.NoError(t, r.Err)
		assert.Equal(t, "orders", r.Topic)
		assert.Equal(t, next[r.Partition], r.Offset, "offsets of partition %d run on without gaps", r.Partition)
		n := next[r.Partition]
		next[r.Partition]++
		assert.Equal(t, fmt.Sprintf("k%d", n), r.Key)
		assert.Equal(t, fmt.Sprintf("p%d-v%d", r.Partition, n), r.Value)
		require.Len(t, r.Headers, 1)
		assert.Equal(t, samsa.Header{Key: "n", Value: []byte(strconv.Itoa(int(n)))}, r.Headers[0])
		assert.Equal(t, consumer.CreateTime, r.TimestampType)
		assert.WithinDuration(t, time.Now(), r.Timestamp, time.Minute)
		assert.GreaterOrEqual(t, r.LeaderEpoch, int32(0))
	}
	for part := int32(0); part < 4; part++ {
		pos, err := c.Position(context.Background(), tp("orders", part))
		require.NoError(t, err)
		assert.Equal(t, int64(perPartition), pos.Offset)
	}
	pollNothing(t, c, 200*time.Millisecond)

	// Records produced later arrive too.
	p.produceValues("orders", 2, "late")
	late := pollN(t, c, 1)
	assert.Equal(t, []string{"late"}, values(late))
	assert.Equal(t, int64(perPartition), late[0].Offset)
}

// TestResetLooksUpMissingMetadataAtOnce: partitions assigned by hand
// before the consumer has metadata about their topic are reset as soon as
// that metadata arrives, not after a retry backoff (once 100 ms of start-up
// latency for every such consumer).
func TestResetLooksUpMissingMetadataAtOnce(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("fresh", 2))
	p := newProducer(t, mb)
	p.produceValues("fresh", 0, "a", "b")
	p.produceValues("fresh", 1, "c")
	// A backoff far beyond the poll's deadline: only a reset without one
	// returns records in time.
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithRetryBackoff(time.Hour, time.Hour))
	require.NoError(t, c.Assign(tp("fresh", 0), tp("fresh", 1)))
	got := pollN(t, c, 3)
	assert.ElementsMatch(t, []string{"a", "b", "c"}, values(got))
}

func TestMaxPollRecords(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("v", 25)...)
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest), consumer.WithMaxPollRecords(10))
	require.NoError(t, c.Assign(tp("t", 0)))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var sizes []int
	total := 0
	for total < 25 {
		recs, err := c.Poll(ctx)
		require.NoError(t, err)
		sizes = append(sizes, len(recs))
		total += len(recs)
	}
	for _, n := range sizes {
		assert.LessOrEqual(t, n, 10)
	}
	assert.Equal(t, 25, total)
}

func TestOffsetReset(t *testing.T) {
	tests := []struct {
		name  string
		reset consumer.OffsetReset
		// want is what the consumer reads after "new" is produced; nil
		// means Poll reports a *NoOffsetError.
		want []string
	}{
		{"earliest", consumer.ResetEarliest, []string{"old0", "old1", "old2", "new"}},
		{"latest", consumer.ResetLatest, []string{"new"}},
		{"none", consumer.ResetNone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
			p := newProducer(t, mb)
			p.produceValues("t", 0, "old0", "old1", "old2")
			c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(tt.reset))
			require.NoError(t, c.Assign(tp("t", 0)))
			if tt.want == nil {
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				_, err := c.Poll(ctx)
				var noOffset *consumer.NoOffsetError
				require.ErrorAs(t, err, &noOffset)
				assert.ErrorIs(t, err, consumer.ErrNoOffset)
				assert.Equal(t, []samsa.TopicPartition{tp("t", 0)}, noOffset.Partitions)
				// Position reports it too; a seek gives the partition a position.
				_, err = c.Position(ctx, tp("t", 0))
				assert.ErrorIs(t, err, consumer.ErrNoOffset)
				require.NoError(t, c.Seek(tp("t", 0), 1))
				assert.Equal(t, []string{"old1", "old2"}, values(pollN(t, c, 2)))
				return
			}
			// The position is resolved before anything new is produced.
			pos, err := c.Position(context.Background(), tp("t", 0))
			require.NoError(t, err)
			p.produceValues("t", 0, "new")
			assert.Equal(t, tt.want, values(pollN(t, c, len(tt.want))))
			if tt.reset == consumer.ResetLatest {
				assert.Equal(t, int64(3), pos.Offset)
			} else {
				assert.Equal(t, int64(0), pos.Offset)
			}
		})
	}
}

func TestOffsetOutOfRangeAppliesReset(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("v", 5)...)
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(tp("t", 0)))
	require.NoError(t, c.Seek(tp("t", 0), 1000)) // beyond the log end
	got := pollN(t, c, 5)
	assert.Equal(t, seq("v", 5), values(got))

	// With none the out-of-range position is reported.
	c2 := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetNone))
	require.NoError(t, c2.Assign(tp("t", 0)))
	require.NoError(t, c2.Seek(tp("t", 0), 1000))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := c2.Poll(ctx)
	var noOffset *consumer.NoOffsetError
	require.ErrorAs(t, err, &noOffset)
	assert.Equal(t, map[samsa.TopicPartition]int64{tp("t", 0): 1000}, noOffset.OutOfRange)
	assert.ErrorIs(t, err, kerr.OffsetOutOfRange)
}

// TestOutOfRangeAheadReturnsFetchedRecordsFirst: a fetch sent ahead of the
// application (after records still buffered) that the broker answers
// OFFSET_OUT_OF_RANGE does not discard the records fetched before it: they
// are returned, then the auto offset reset applies, as with the Java
// client, which meets the error only once it fetches from there.
func TestOutOfRangeAheadReturnsFetchedRecordsFirst(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("v", 100)...)
	// Every fetch past the records is out of range, as if the log had
	// been truncated under the consumer.
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		fr, ok := req.(*kmsg.FetchRequest)
		if !ok || len(fr.Topics) != 1 || len(fr.Topics[0].Partitions) != 1 || fr.Topics[0].Partitions[0].FetchOffset < 100 {
			return nil, nil, false
		}
		resp := fr.ResponseKind().(*kmsg.FetchResponse)
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = fr.Topics[0].Topic
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition = 0
		rp.ErrorCode = kerr.OffsetOutOfRange.Code
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetNone), consumer.WithMaxPollRecords(10),
		consumer.WithMaxVersions(map[int16]int16{1: 6})) // Fetch v6: no sessions, the hook answers by name
	require.NoError(t, c.Assign(tp("t", 0)))
	require.NoError(t, c.Seek(tp("t", 0), 0))

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var got []consumer.Record[string, string]
	var err error
	for err == nil {
		var recs []consumer.Record[string, string]
		recs, err = c.Poll(ctx)
		got = append(got, recs...)
	}
	assert.Equal(t, seq("v", 100), values(got), "every record fetched before the error is returned")
	var noOffset *consumer.NoOffsetError
	require.ErrorAs(t, err, &noOffset)
	assert.Equal(t, map[samsa.TopicPartition]int64{tp("t", 0): 100}, noOffset.OutOfRange)
}

func TestSeekPauseResume(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 2))
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("a", 10)...)
	p.produceValues("t", 1, seq("b", 10)...)
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(tp("t", 0), tp("t", 1)))

	t.Run("seek", func(t *testing.T) {
		require.NoError(t, c.Seek(tp("t", 0), 7))
		require.NoError(t, c.Seek(tp("t", 1), 9))
		got := pollN(t, c, 4)
		assert.ElementsMatch(t, []string{"a7", "a8", "a9", "b9"}, values(got))
		require.NoError(t, c.SeekToBeginning(tp("t", 1)))
		assert.Equal(t, seq("b", 10), values(pollN(t, c, 10)))
		require.NoError(t, c.SeekToEnd())
		pollNothing(t, c, 150*time.Millisecond)
		pos, err := c.Position(context.Background(), tp("t", 0))
		require.NoError(t, err)
		assert.Equal(t, int64(10), pos.Offset)
	})
	t.Run("pause", func(t *testing.T) {
		require.NoError(t, c.Pause(tp("t", 0)))
		assert.Equal(t, []samsa.TopicPartition{tp("t", 0)}, c.Paused())
		p.produceValues("t", 0, "a10")
		p.produceValues("t", 1, "b10")
		got := pollN(t, c, 1)
		assert.Equal(t, []string{"b10"}, values(got))
		pollNothing(t, c, 200*time.Millisecond)
		require.NoError(t, c.Resume(tp("t", 0)))
		assert.Empty(t, c.Paused())
		assert.Equal(t, []string{"a10"}, values(pollN(t, c, 1)))
	})
	t.Run("paused data is kept", func(t *testing.T) {
		p.produceValues("t", 0, "a11", "a12")
		c1 := newStringConsumer(t, mb, consumer.WithMaxPollRecords(1))
		require.NoError(t, c1.Assign(tp("t", 0)))
		require.NoError(t, c1.Seek(tp("t", 0), 11))
		// One fetch brings both records; Poll returns one, the other
		// stays buffered across the pause.
		assert.Equal(t, []string{"a11"}, values(pollN(t, c1, 1)))
		require.NoError(t, c1.Pause(tp("t", 0)))
		pollNothing(t, c1, 200*time.Millisecond)
		require.NoError(t, c1.Resume(tp("t", 0)))
		assert.Equal(t, []string{"a12"}, values(pollN(t, c1, 1)))
	})
	t.Run("errors", func(t *testing.T) {
		assert.ErrorIs(t, c.Seek(tp("other", 0), 1), consumer.ErrNotAssigned)
		assert.ErrorIs(t, c.Pause(tp("t", 7)), consumer.ErrNotAssigned)
		assert.Error(t, c.Seek(tp("t", 0), -5))
		_, err := c.Position(context.Background(), tp("t", 9))
		assert.ErrorIs(t, err, consumer.ErrNotAssigned)
	})
}

func TestLeaderMoveDuringConsumption(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 2))
	p := newProducer(t, mb)
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(tp("t", 0), tp("t", 1)))
	var want, got []string
	for round := 0; round < 6; round++ {
		batch := seq(fmt.Sprintf("r%d-", round), 10)
		want = append(want, batch...)
		p.produceValues("t", int32(round%2), batch...)
		got = append(got, values(pollN(t, c, 10))...)
		// Move the leader of both partitions to the next broker.
		for part := int32(0); part < 2; part++ {
			leader, err := mb.Leader("t", part)
			require.NoError(t, err)
			require.NoError(t, mb.MoveLeader("t", part, (leader+1)%3))
		}
	}
	assert.Equal(t, want, got)

	// A stopped leader: its partitions move to a replica, consumption goes on.
	leader, err := mb.Leader("t", 0)
	require.NoError(t, err)
	require.NoError(t, mb.StopBroker(leader))
	p.produceValues("t", 0, "after-stop")
	assert.Equal(t, []string{"after-stop"}, values(pollN(t, c, 1)))
}

func TestDeserializerErrorOnOneRecord(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "1", "2", "three", "4")
	c, err := consumer.New(serde.String(), serde.DeserializerFunc[int](func(_ string, _ []samsa.Header, b []byte) (int, error) {
		return strconv.Atoi(string(b))
	}), consumer.WithBrokers(mb.Addrs()...), consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithFetchMaxWait(50*time.Millisecond))
	require.NoError(t, err)
	defer c.Close(context.Background())
	require.NoError(t, c.Assign(tp("t", 0)))
	got := pollN(t, c, 4)
	require.Len(t, got, 4)
	for i, want := range []int{1, 2, 0, 4} {
		assert.Equal(t, want, got[i].Value, "record %d", i)
		assert.Equal(t, int64(i), got[i].Offset)
	}
	assert.NoError(t, got[0].Err)
	assert.NoError(t, got[3].Err)
	var re *consumer.RecordError
	require.ErrorAs(t, got[2].Err, &re)
	assert.Equal(t, tp("t", 0), re.TopicPartition)
	assert.Equal(t, int64(2), re.Offset)
	assert.Equal(t, []byte("three"), re.Value)
	var se *serde.Error
	require.ErrorAs(t, got[2].Err, &se)
	assert.Equal(t, serde.FieldValue, se.Field)
	assert.ErrorIs(t, got[2].Err, strconv.ErrSyntax)
}

func TestInterceptorsAndMetrics(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b", "c")
	var consumed int
	ic := interceptor.ConsumerFuncs[consumer.Record[string, string]]{
		Consume: func(recs []consumer.Record[string, string]) ([]consumer.Record[string, string], error) {
			consumed += len(recs)
			out := recs[:0]
			for _, r := range recs {
				if r.Value != "b" { // filter one out
					r.Value += "!"
					out = append(out, r)
				}
			}
			return out, nil
		},
	}
	reg := metrics.NewRegistry()
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithInterceptors[string, string](ic), consumer.WithMetricsRegistry(reg))
	require.NoError(t, c.Assign(tp("t", 0)))
	got := pollN(t, c, 2)
	assert.Equal(t, []string{"a!", "c!"}, values(got))
	assert.Equal(t, 3, consumed)
	assert.Positive(t, reg.Get("consumer-fetch-rate").(metrics.Meter).Count())
	assert.Equal(t, int64(3), reg.Get("consumer-records-consumed-rate").(metrics.Meter).Count())
	assert.Positive(t, reg.Get("consumer-fetch-response-size").(metrics.Histogram).Count())

	// Interceptors of other types are a configuration error.
	_, err := consumer.New(serde.String(), serde.String(), consumer.WithBrokers(mb.Addrs()...),
		consumer.WithInterceptors[string, int](interceptor.ConsumerFuncs[consumer.Record[string, int]]{}))
	var ce *samsa.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "consumer.WithInterceptors", ce.Option)
}

func TestPollContextAndClose(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	c := newStringConsumer(t, mb)
	require.NoError(t, c.Assign(tp("t", 0)))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Poll(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// Close from another goroutine interrupts a blocked Poll.
	done := make(chan error, 1)
	go func() {
		_, err := c.Poll(context.Background())
		done <- err
	}()
	// Let the Poll block: it holds the poll slot until it returns.
	require.NoError(t, c.Close(context.Background()))
	select {
	case err := <-done:
		assert.ErrorIs(t, err, samsa.ErrClosed)
	case <-time.After(testTimeout):
		t.Fatal("Poll did not return after Close")
	}
	require.NoError(t, c.Close(context.Background()), "Close is idempotent")
	_, err = c.Poll(context.Background())
	assert.ErrorIs(t, err, samsa.ErrClosed)
	assert.ErrorIs(t, c.Seek(tp("t", 0), 1), samsa.ErrClosed)
	assert.ErrorIs(t, c.Assign(tp("t", 0)), samsa.ErrClosed)
}

func TestNoGroupCalls(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	c := newStringConsumer(t, mb)
	assert.ErrorIs(t, c.Subscribe("t"), consumer.ErrNoGroup)
	assert.ErrorIs(t, c.CommitSync(context.Background(), nil), consumer.ErrNoGroup)
	_, err := c.Committed(context.Background(), tp("t", 0))
	assert.ErrorIs(t, err, consumer.ErrNoGroup)
	var cbErr error
	c.CommitAsync(nil, func(_ map[samsa.TopicPartition]samsa.Offset, err error) { cbErr = err })
	assert.ErrorIs(t, cbErr, consumer.ErrNoGroup)
	assert.Equal(t, consumer.GroupMetadata{Generation: -1}, c.GroupMetadata())
}

func TestConfigValidation(t *testing.T) {
	brokers := consumer.WithBrokers("127.0.0.1:1")
	tests := []struct {
		name   string
		opts   []consumer.Option
		option string
	}{
		{"no brokers", nil, "consumer.WithBrokers"},
		{"empty broker", []consumer.Option{consumer.WithBrokers("")}, "consumer.WithBrokers"},
		{"heartbeat above session", []consumer.Option{brokers, consumer.WithHeartbeatInterval(10 * time.Second), consumer.WithSessionTimeout(5 * time.Second)}, "consumer.WithHeartbeatInterval+WithSessionTimeout"},
		{"auto commit without group", []consumer.Option{brokers, consumer.WithAutoCommit(true)}, "consumer.WithAutoCommit"},
		{"instance without group", []consumer.Option{brokers, consumer.WithGroupInstanceID("i")}, "consumer.WithGroupInstanceID"},
		{"max poll records", []consumer.Option{brokers, consumer.WithMaxPollRecords(0)}, "consumer.WithMaxPollRecords"},
		{"reset", []consumer.Option{brokers, consumer.WithAutoOffsetReset(7)}, "consumer.WithAutoOffsetReset"},
		{"isolation", []consumer.Option{brokers, consumer.WithIsolationLevel(3)}, "consumer.WithIsolationLevel"},
		{"fetch max bytes", []consumer.Option{brokers, consumer.WithFetchMaxBytes(0)}, "consumer.WithFetchMaxBytes"},
		{"partition bytes", []consumer.Option{brokers, consumer.WithMaxPartitionFetchBytes(-1)}, "consumer.WithMaxPartitionFetchBytes"},
		{"max wait above request timeout", []consumer.Option{brokers, consumer.WithFetchMaxWait(time.Minute)}, "consumer.WithFetchMaxWait+WithRequestTimeout"},
		{"buffered bytes", []consumer.Option{brokers, consumer.WithMaxBufferedBytes(0)}, "consumer.WithMaxBufferedBytes"},
		{"no fetchers", []consumer.Option{brokers, consumer.WithFetchersPerBroker(0)}, "consumer.WithFetchersPerBroker"},
		{"too many fetchers", []consumer.Option{brokers, consumer.WithFetchersPerBroker(17)}, "consumer.WithFetchersPerBroker"},
		{"session timeout", []consumer.Option{brokers, consumer.WithSessionTimeout(0)}, "consumer.WithSessionTimeout"},
		{"no assignors", []consumer.Option{brokers, consumer.WithGroupID("g"), consumer.WithAssignors()}, "consumer.WithAssignors"},
		{"nil assignor", []consumer.Option{brokers, consumer.WithGroupID("g"), consumer.WithAssignors(nil)}, "consumer.WithAssignors"},
		{"client id", []consumer.Option{brokers, consumer.WithClientID("")}, "consumer.WithClientID"},
		{"nil option", []consumer.Option{brokers, nil}, "consumer.New"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := consumer.New(serde.String(), serde.String(), tt.opts...)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}
	t.Run("nil deserializer", func(t *testing.T) {
		_, err := consumer.New[string, string](nil, serde.String(), brokers)
		var ce *samsa.ConfigError
		require.ErrorAs(t, err, &ce)
	})
	t.Run("unreachable brokers", func(t *testing.T) {
		_, err := consumer.New(serde.String(), serde.String(), brokers, consumer.WithDefaultAPITimeout(2*time.Second))
		assert.True(t, errors.Is(err, samsa.ErrNoBrokers), "got %v", err)
	})
}
