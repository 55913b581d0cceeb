package consumer_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/serde"
)

// secondFetch hooks mb to close the returned channel once the brokers
// received two Fetch requests.
func secondFetch(mb *mockbroker.Cluster) <-chan struct{} {
	var n atomic.Int64
	second := make(chan struct{})
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if req.Key() == int16(kmsg.Fetch) && n.Add(1) == 2 {
			close(second)
		}
		return nil, nil, false
	})
	return second
}

// TestNextFetchSentBeforeDecoding checks that the next Fetch to a broker
// goes out as soon as a response arrived, before its records are decoded:
// the value deserializer of the first record blocks until the broker
// received a second Fetch, which without the pipelining would only be sent
// after the decoding finished.
func TestNextFetchSentBeforeDecoding(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
	second := secondFetch(mb)
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("a", 5)...)
	p.produceValues("t", 1, seq("b", 5)...)

	var blocked, overlapped atomic.Bool
	deser := serde.DeserializerFunc[string](func(_ string, _ []samsa.Header, data []byte) (string, error) {
		if blocked.CompareAndSwap(false, true) {
			select {
			case <-second:
				overlapped.Store(true)
			case <-time.After(testTimeout / 2):
			}
		}
		return string(data), nil
	})
	c, err := consumer.New(serde.String(), deser,
		consumer.WithBrokers(mb.Addrs()...),
		consumer.WithFetchMaxWait(100*time.Millisecond),
		consumer.WithAutoOffsetReset(consumer.ResetEarliest),
	)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	require.NoError(t, c.Assign(tp("t", 0), tp("t", 1)))

	recs := pollN(t, c, 10)
	assert.True(t, overlapped.Load(), "the second Fetch was not sent while the first response was decoded")
	got := map[int32][]string{}
	for _, r := range recs {
		got[r.Partition] = append(got[r.Partition], r.Value)
	}
	assert.Equal(t, seq("a", 5), got[0])
	assert.Equal(t, seq("b", 5), got[1])

	// Records produced later arrive through the pipelined fetches, in order.
	p.produceValues("t", 0, seq("c", 3)...)
	assert.Equal(t, seq("c", 3), values(pollN(t, c, 3)))
}

// TestSeekDuringPipelinedFetch checks that a seek made while the next
// Fetch is in flight discards what that Fetch returns for the partition:
// the records after the seek come from the new position, in order, and the
// position follows them.
func TestSeekDuringPipelinedFetch(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	var fetches atomic.Int64
	held := make(chan struct{}, 1)
	release := make(chan struct{})
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if req.Key() == int16(kmsg.Fetch) && fetches.Add(1) == 2 {
			held <- struct{}{}
			select { // hold the second Fetch until the test has seeked
			case <-release:
			case <-time.After(testTimeout):
			}
		}
		return nil, nil, false
	})
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("v", 10)...)
	c := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, c.Assign(tp("t", 0)))

	assert.Equal(t, seq("v", 10), values(pollN(t, c, 10)))
	select {
	case <-held:
	case <-time.After(testTimeout):
		t.Fatal("the second Fetch never reached the broker")
	}
	// The held Fetch asks from offset 10 and will find new records there.
	p.produceValues("t", 0, "w10", "w11")
	require.NoError(t, c.Seek(tp("t", 0), 3))
	close(release)

	want := append(seq("v", 10)[3:], "w10", "w11")
	recs := pollN(t, c, len(want))
	assert.Equal(t, want, values(recs))
	for i, r := range recs {
		assert.Equal(t, int64(3+i), r.Offset)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	pos, err := c.Position(ctx, tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(12), pos.Offset)
	pollNothing(t, c, 150*time.Millisecond)
}
