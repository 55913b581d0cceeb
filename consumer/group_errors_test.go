package consumer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
)

func TestCommitRetries(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b", "c")
	c := newStringConsumer(t, mb, groupOpts(mb, "g")...)
	require.NoError(t, c.Subscribe("t"))
	pollN(t, c, 3)

	t.Run("sync retries retriable errors", func(t *testing.T) {
		mb.InjectError(8, kerr.CoordinatorLoadInProgress, 2) // OffsetCommit
		require.NoError(t, c.CommitSync(context.Background(), map[samsa.TopicPartition]samsa.Offset{tp("t", 0): samsa.NewOffset(2)}))
		committed, err := mb.CommittedOffsets("g")
		require.NoError(t, err)
		assert.Equal(t, int64(2), committed[tp("t", 0)])
	})
	t.Run("sync returns other errors", func(t *testing.T) {
		mb.InjectError(8, kerr.OffsetMetadataTooLarge, 1)
		err := c.CommitSync(context.Background(), nil)
		var ce *consumer.CommitError
		require.ErrorAs(t, err, &ce)
		assert.ErrorIs(t, err, kerr.OffsetMetadataTooLarge)
		assert.Contains(t, ce.Errors, tp("t", 0))
	})
	t.Run("async is not retried", func(t *testing.T) {
		mb.InjectError(8, kerr.CoordinatorLoadInProgress, 1)
		var got []error
		c.CommitAsync(nil, func(_ map[samsa.TopicPartition]samsa.Offset, err error) { got = append(got, err) })
		c.CommitAsync(nil, func(_ map[samsa.TopicPartition]samsa.Offset, err error) { got = append(got, err) })
		require.NoError(t, c.CommitSync(context.Background(), nil))
		require.Len(t, got, 2)
		assert.ErrorIs(t, got[0], kerr.CoordinatorLoadInProgress)
		assert.NoError(t, got[1])
	})
}

func TestGroupJoinErrors(t *testing.T) {
	t.Run("invalid session timeout", func(t *testing.T) {
		mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1), mockbroker.WithGroupMaxSessionTimeout(5*time.Second))
		c := newStringConsumer(t, mb, groupOpts(mb, "g")...)
		require.NoError(t, c.Subscribe("t"))
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		var err error
		for err == nil {
			_, err = c.Poll(ctx)
		}
		var ge *consumer.GroupError
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, "JoinGroup", ge.Op)
		assert.ErrorIs(t, err, kerr.InvalidSessionTimeout)
	})
	t.Run("coordinator moves", func(t *testing.T) {
		mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 2))
		mb.InjectError(11, kerr.NotCoordinator, 2) // JoinGroup
		m := newMember(t, mb, "m", groupOpts(mb, "g")...).start("t")
		eventually(t, func() bool { return exactlyOneOwner(partitions("t", 2), m) }, "joined after NOT_COORDINATOR")
		// The coordinator's broker stops: the member finds the new one.
		coord, err := mb.GroupCoordinator("g")
		require.NoError(t, err)
		require.NoError(t, mb.StopBroker(coord))
		p := newProducer(t, mb)
		p.produceValues("t", 0, "after")
		eventually(t, func() bool {
			for _, r := range m.recordList() {
				if r.Value == "after" {
					return true
				}
			}
			return false
		}, "consuming after the coordinator moved")
	})
}

func TestListenerErrorsAndReentrancy(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	var mu sync.Mutex
	var c *consumer.Consumer[string, string]
	var reentrant error
	calls := 0
	listener := consumer.ListenerFuncs{
		Assigned: func(ctx context.Context, tps []samsa.TopicPartition) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			switch calls {
			case 1:
				_, reentrant = c.Poll(ctx)
				return errors.New("listener says no")
			case 2:
				panic("listener panics")
			}
			return nil
		},
	}
	c = newStringConsumer(t, mb, append(groupOpts(mb, "g"), consumer.WithRebalanceListener(listener))...)
	require.NoError(t, c.Subscribe("t"))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var err error
	for err == nil {
		_, err = c.Poll(ctx)
	}
	var le *consumer.ListenerError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "OnPartitionsAssigned", le.Method)
	assert.Equal(t, []samsa.TopicPartition{tp("t", 0)}, le.Partitions)
	assert.ErrorIs(t, reentrant, consumer.ErrReentrantCall)
	// The assignment stands despite the error.
	assert.Equal(t, []samsa.TopicPartition{tp("t", 0)}, c.Assignment())

	// A panic is reported the same way after the next rebalance.
	require.NoError(t, c.Subscribe("t", "u"))
	err = nil
	for err == nil {
		_, err = c.Poll(ctx)
	}
	require.ErrorAs(t, err, &le)
	var pe *consumer.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "listener panics", pe.Value)
}

// TestJoinGroupWireFormat checks what the consumer sends in JoinGroup: the
// configured assignors in order, each with a version 3 ConsumerProtocol
// subscription that Java, sarama and franz-go members read — under the
// cooperative protocol with the partitions it owns and their generation.
func TestJoinGroupWireFormat(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2), mockbroker.WithTopic("u", 1))
	var mu sync.Mutex
	var joins []*kmsg.JoinGroupRequest
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		if jr, ok := req.(*kmsg.JoinGroupRequest); ok && jr.MemberID != "" {
			mu.Lock()
			joins = append(joins, jr)
			mu.Unlock()
		}
		return nil, nil, false
	})
	m := newMember(t, mb, "m", append(groupOpts(mb, "g"), consumer.WithRack("rack-1"),
		consumer.WithAssignors(assignor.CooperativeSticky()))...).start("t")
	eventually(t, func() bool { return exactlyOneOwner(partitions("t", 2), m) }, "joined")
	gen := m.c.GroupMetadata().Generation
	require.NoError(t, m.c.Subscribe("t", "u"))
	want := append(partitions("t", 2), tp("u", 0))
	eventually(t, func() bool { return exactlyOneOwner(want, m) }, "rejoined with both topics")

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(joins), 2)
	first, last := joins[0], joins[len(joins)-1]
	for _, j := range []*kmsg.JoinGroupRequest{first, last} {
		assert.Equal(t, "consumer", j.ProtocolType)
		require.Len(t, j.Protocols, 1)
		assert.Equal(t, "cooperative-sticky", j.Protocols[0].Name)
		assert.Equal(t, int32(10*time.Second/time.Millisecond), j.SessionTimeoutMillis)
	}
	sub, version, err := assignor.DecodeSubscription(first.Protocols[0].Metadata)
	require.NoError(t, err)
	assert.Equal(t, int16(3), version)
	assert.Equal(t, []string{"t"}, sub.Topics)
	assert.Empty(t, sub.OwnedPartitions)
	assert.Equal(t, assignor.DefaultGeneration, sub.GenerationID)
	assert.Equal(t, "rack-1", sub.RackID)

	sub, _, err = assignor.DecodeSubscription(last.Protocols[0].Metadata)
	require.NoError(t, err)
	assert.Equal(t, []string{"t", "u"}, sub.Topics)
	assert.Equal(t, []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}}, sub.OwnedPartitions)
	assert.Equal(t, gen, sub.GenerationID)
	// The cooperative-sticky user data is the generation, 4 bytes.
	assert.Len(t, sub.UserData, 4)
}

func TestGroupDefaultAssignorsOffered(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	m := newMember(t, mb, "m", groupOpts(mb, "g")...).start("t")
	eventually(t, func() bool { return exactlyOneOwner(partitions("t", 1), m) }, "joined")
	gms, err := mb.GroupMembers("g")
	require.NoError(t, err)
	require.Len(t, gms, 1)
	assert.Equal(t, []string{"range", "cooperative-sticky"}, gms[0].Protocols, "Java's default order")
	assert.Equal(t, "m", gms[0].ClientID)
}

// TestGroupLeaderNoticesNewPartitions: the leader rebalances when a
// subscribed topic gains partitions, once the metadata refresh shows them.
func TestGroupLeaderNoticesNewPartitions(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
	m := newMember(t, mb, "m", append(groupOpts(mb, "g"), consumer.WithMetadataMaxAge(100*time.Millisecond))...).start("t")
	eventually(t, func() bool { return exactlyOneOwner(partitions("t", 2), m) }, "joined")

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	conn, err := wire.Dial(ctx, mb.Addrs()[0], wire.Options{})
	require.NoError(t, err)
	defer conn.Close()
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = "t", 4
	req.Topics = append(req.Topics, rt)
	resp, err := conn.Do(ctx, req)
	require.NoError(t, err)
	require.Zero(t, resp.(*kmsg.CreatePartitionsResponse).Topics[0].ErrorCode)

	eventually(t, func() bool { return exactlyOneOwner(partitions("t", 4), m) }, "the new partitions are assigned")
}
