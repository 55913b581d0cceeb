package mockbroker

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

func twoPartitionProduce(t *testing.T, topic string) *kmsg.ProduceRequest {
	req := produceReq(9, -1, topic, 0, batch(t, 1, "a"))
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = 1, batch(t, 1, "b")
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, rp)
	return req
}

func codes(resp *kmsg.ProduceResponse) []int16 {
	var out []int16
	for _, p := range resp.Topics[0].Partitions {
		out = append(out, p.ErrorCode)
	}
	return out
}

func TestInjectErrorRequestWide(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])
	c.InjectError(int16(kmsg.Produce), kerr.NotEnoughReplicas, 2)
	for i := 0; i < 2; i++ {
		resp := tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
		assert.Equal(t, []int16{kerr.NotEnoughReplicas.Code, kerr.NotEnoughReplicas.Code}, codes(resp))
	}
	hwm, _ := c.HighWatermark("t", 0)
	assert.Zero(t, hwm, "failed partitions take no effect")
	resp := tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
	assert.Equal(t, []int16{0, 0}, codes(resp), "used up after two requests")
}

func TestInjectErrorOnPartition(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])
	c.InjectError(int16(kmsg.Produce), kerr.NotLeaderOrFollower, 1, OnPartition("t", 1))
	// A request without partition 1 does not use the fault up.
	assert.Zero(t, tc.produce("t", 0, batch(t, 1, "x")).ErrorCode)
	resp := tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
	assert.Equal(t, []int16{0, kerr.NotLeaderOrFollower.Code}, codes(resp))
	resp = tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
	assert.Equal(t, []int16{0, 0}, codes(resp))

	c.InjectError(int16(kmsg.Produce), kerr.KafkaStorageError, 1, OnTopic("t"))
	resp = tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
	assert.Equal(t, []int16{kerr.KafkaStorageError.Code, 0}, codes(resp), "OnTopic: the first partition of the topic uses the single unit")

	c.InjectError(int16(kmsg.Produce), kerr.KafkaStorageError, 5)
	c.ClearFaults()
	resp = tc.do(twoPartitionProduce(t, "t")).(*kmsg.ProduceResponse)
	assert.Equal(t, []int16{0, 0}, codes(resp))
}

func TestInjectErrorOtherAPIs(t *testing.T) {
	c := NewTest(t, WithTopic("t", 2))
	tc := dialClient(t, c.Addrs()[0])

	c.InjectError(int16(kmsg.Metadata), kerr.LeaderNotAvailable, 1, OnPartition("t", 1))
	md := tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	assert.Zero(t, md.Topics[0].ErrorCode)
	assert.Zero(t, md.Topics[0].Partitions[0].ErrorCode)
	assert.Equal(t, kerr.LeaderNotAvailable.Code, md.Topics[0].Partitions[1].ErrorCode)

	c.InjectError(int16(kmsg.Metadata), kerr.UnknownTopicOrPartition, 1)
	md = tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	assert.Equal(t, kerr.UnknownTopicOrPartition.Code, md.Topics[0].ErrorCode)
	assert.Empty(t, md.Topics[0].Partitions)

	c.InjectError(int16(kmsg.Fetch), kerr.NotLeaderOrFollower, 1)
	assert.Equal(t, kerr.NotLeaderOrFollower.Code, tc.fetchOne("t", 0, 0).ErrorCode)
	assert.Zero(t, tc.fetchOne("t", 0, 0).ErrorCode)

	c.InjectError(int16(kmsg.ListOffsets), kerr.OffsetNotAvailable, 1)
	lo := tc.do(listOffsetsReq(7, "t", 0, -1)).(*kmsg.ListOffsetsResponse)
	assert.Equal(t, kerr.OffsetNotAvailable.Code, lo.Topics[0].Partitions[0].ErrorCode)

	c.InjectError(int16(kmsg.CreateTopics), kerr.PolicyViolation, 1, OnTopic("x"))
	ct := tc.do(createTopicReq(7, "x", 1, 1, nil)).(*kmsg.CreateTopicsResponse)
	assert.Equal(t, kerr.PolicyViolation.Code, ct.Topics[0].ErrorCode)
	ct = tc.do(createTopicReq(7, "x", 1, 1, nil)).(*kmsg.CreateTopicsResponse)
	assert.Zero(t, ct.Topics[0].ErrorCode)

	c.InjectError(int16(kmsg.ApiVersions), kerr.UnknownServerError, 1)
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(3)
	av.ClientSoftwareName, av.ClientSoftwareVersion = "t", "1"
	assert.Equal(t, kerr.UnknownServerError.Code, tc.do(av).(*kmsg.ApiVersionsResponse).ErrorCode)
	assert.Zero(t, tc.do(av).(*kmsg.ApiVersionsResponse).ErrorCode)
}

func TestDropResponse(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := dialClient(t, c.Addrs()[0])
	c.DropResponse(int16(kmsg.Produce), 1)
	meta := metadataReq(12, "t")
	mc := tc.send(meta)
	tc.send(produceReq(9, -1, "t", 0, batch(t, 1, "maybe")))
	_, err := tc.recv(meta, mc)
	require.NoError(t, err, "the response before the dropped one is written")
	tc.expectClosed()
	hwm, err := c.HighWatermark("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), hwm, "the request took effect")

	tc = dialClient(t, c.Addrs()[0])
	assert.Zero(t, tc.produce("t", 0, batch(t, 1, "again")).ErrorCode, "only one was dropped")
}

func TestSetLatency(t *testing.T) {
	c := NewTest(t, WithBrokers(2))
	// Long enough that a loaded machine's scheduling noise stays well
	// below it.
	const d = time.Second
	require.NoError(t, c.SetLatency(0, d))
	assert.ErrorIs(t, c.SetLatency(9, d), ErrUnknownBroker)
	slow := dialClient(t, c.Addrs()[0])
	start := time.Now()
	var reqs []kmsg.Request
	var corrs []int32
	for i := 0; i < 3; i++ {
		req := metadataReq(12)
		reqs = append(reqs, req)
		corrs = append(corrs, slow.send(req))
	}
	for i := range reqs {
		_, err := slow.recv(reqs[i], corrs[i])
		require.NoError(t, err)
	}
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, d)
	assert.Less(t, elapsed, 3*d, "pipelined requests wait concurrently")

	fast := dialClient(t, c.Addrs()[1])
	start = time.Now()
	fast.do(metadataReq(12))
	assert.Less(t, time.Since(start), d, "other brokers are not slowed")

	require.NoError(t, c.SetLatency(0, 0))
	start = time.Now()
	slow.do(metadataReq(12))
	assert.Less(t, time.Since(start), d)
}

func TestDropConnections(t *testing.T) {
	c := NewTest(t)
	a := dialClient(t, c.Addrs()[0])
	b := dialClient(t, c.Addrs()[0])
	a.do(metadataReq(12))
	b.do(metadataReq(12))
	require.NoError(t, c.DropConnections(0))
	a.expectClosed()
	b.expectClosed()
	dialClient(t, c.Addrs()[0]).do(metadataReq(12))
	assert.ErrorIs(t, c.DropConnections(1), ErrUnknownBroker)
}

func TestStopAndRestartBroker(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 3))
	addr0, err := c.Addr(0)
	require.NoError(t, err)
	var led []int32
	for p := int32(0); p < 3; p++ {
		if l, _ := c.Leader("t", p); l == 0 {
			led = append(led, p)
		}
	}
	require.NotEmpty(t, led)

	// A fetch long-polling on broker 0 ends when the broker stops.
	tc := dialClient(t, addr0)
	tc.send(fetchReq(12, "t", led[0], 0, 20*time.Second, 1))
	eventually(t, "the fetch to wait", func() bool { return waiting(c, "t", led[0]) })

	require.NoError(t, c.StopBroker(0))
	tc.expectClosed()
	assert.ErrorIs(t, c.StopBroker(0), ErrBrokerState)
	assert.Len(t, c.Addrs(), 2)
	for _, p := range led {
		l, err := c.Leader("t", p)
		require.NoError(t, err)
		assert.NotEqual(t, int32(0), l)
		e, err := c.LeaderEpoch("t", p)
		require.NoError(t, err)
		assert.Equal(t, int32(1), e)
	}
	_, err = dialClientErr(addr0)
	assert.Error(t, err, "the listener is closed")

	require.NoError(t, c.RestartBroker(0))
	assert.ErrorIs(t, c.RestartBroker(0), ErrBrokerState)
	got, err := c.Addr(0)
	require.NoError(t, err)
	assert.Equal(t, addr0, got, "same port")
	for _, p := range led {
		l, err := c.Leader("t", p)
		require.NoError(t, err)
		assert.Equal(t, int32(0), l, "the preferred leader is back")
		e, err := c.LeaderEpoch("t", p)
		require.NoError(t, err)
		assert.Equal(t, int32(2), e)
	}
	tc = dialClient(t, addr0)
	assert.Zero(t, tc.produce("t", led[0], batch(t, 1, "back")).ErrorCode)
}

func TestStopAllReplicasLeavesNoLeader(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	require.NoError(t, c.StopBroker(0))
	l, err := c.Leader("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int32(-1), l)
	require.NoError(t, c.RestartBroker(0))
	tc := dialClient(t, c.Addrs()[0])
	md := tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	assert.Zero(t, md.Topics[0].Partitions[0].ErrorCode)
	assert.Equal(t, int32(0), md.Topics[0].Partitions[0].Leader)
	assert.Equal(t, int32(2), md.Topics[0].Partitions[0].LeaderEpoch)
}

func TestMoveLeader(t *testing.T) {
	c := NewTest(t, WithBrokers(4), WithTopic("t", 1))
	old, err := c.Leader("t", 0)
	require.NoError(t, err)
	oldClient := leaderClient(t, c, "t", 0)
	corr := oldClient.send(fetchReq(12, "t", 0, 0, 20*time.Second, 1))
	eventually(t, "the fetch to wait", func() bool { return waiting(c, "t", 0) })

	// Broker (old+3)%4 is not a replica (replicas are old..old+2).
	target := (old + 3) % 4
	require.NoError(t, c.MoveLeader("t", 0, target))
	resp, err := oldClient.recv(fetchReq(12, "t", 0, 0, 0, 0), corr)
	require.NoError(t, err)
	assert.Equal(t, kerr.NotLeaderOrFollower.Code, resp.(*kmsg.FetchResponse).Topics[0].Partitions[0].ErrorCode,
		"a waiting fetch learns of the move at once")
	assert.Equal(t, kerr.NotLeaderOrFollower.Code, oldClient.produce("t", 0, batch(t, 1, "x")).ErrorCode)
	e, err := c.LeaderEpoch("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int32(1), e)
	assert.Zero(t, leaderClient(t, c, "t", 0).produce("t", 0, batch(t, 1, "x")).ErrorCode)
	md := oldClient.do(metadataReq(12, "t")).(*kmsg.MetadataResponse)
	assert.Contains(t, md.Topics[0].Partitions[0].Replicas, target)
	assert.Len(t, md.Topics[0].Partitions[0].Replicas, 3)

	require.NoError(t, c.MoveLeader("t", 0, target), "no-op")
	e, _ = c.LeaderEpoch("t", 0)
	assert.Equal(t, int32(1), e)
	require.NoError(t, c.StopBroker(old))
	assert.ErrorIs(t, c.MoveLeader("t", 0, old), ErrBrokerState)
	assert.ErrorIs(t, c.MoveLeader("nope", 0, 1), kerr.UnknownTopicOrPartition)
}

func TestHook(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	var seen atomic.Int32
	c.Hook(func(broker int32, req kmsg.Request) (kmsg.Response, error, bool) {
		seen.Add(1)
		switch r := req.(type) {
		case *kmsg.FindCoordinatorRequest:
			// An API the broker does not implement.
			resp := r.ResponseKind().(*kmsg.FindCoordinatorResponse)
			resp.NodeID, resp.Host, resp.Port = 0, "127.0.0.1", 1234
			return resp, nil, true
		case *kmsg.MetadataRequest:
			if len(r.Topics) == 1 && *r.Topics[0].Topic == "silent" {
				return nil, nil, true
			}
			if len(r.Topics) == 1 && *r.Topics[0].Topic == "kill" {
				return nil, errors.New("hook says no"), true
			}
		}
		return nil, nil, false
	})
	tc := dialClient(t, c.Addrs()[0])
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.SetVersion(3)
	fc.CoordinatorKey = "g"
	resp := tc.do(fc).(*kmsg.FindCoordinatorResponse)
	assert.Equal(t, int32(1234), resp.Port)

	assert.Len(t, tc.do(metadataReq(12, "t")).(*kmsg.MetadataResponse).Topics, 1, "unhandled requests reach the broker")

	silent := metadataReq(12, "silent")
	tc.send(silent)
	md := metadataReq(12, "t")
	corr := tc.send(md)
	_, err := tc.recv(md, corr)
	require.NoError(t, err, "a handled request with no response writes nothing")

	tc.send(metadataReq(12, "kill"))
	tc.expectClosed()
	assert.Equal(t, int32(5), seen.Load())
	assert.Equal(t, 4, c.Requests(int16(kmsg.Metadata)))
	assert.Equal(t, 1, c.Requests(int16(kmsg.FindCoordinator)))
	assert.Zero(t, c.Requests(int16(kmsg.Produce)))
}

func TestUnimplementedAPIClosesConnection(t *testing.T) {
	c := NewTest(t)
	tc := dialClient(t, c.Addrs()[0])
	// ControlledShutdown is a controller API no mock broker serves.
	cs := kmsg.NewPtrControlledShutdownRequest()
	cs.SetVersion(1)
	tc.send(cs)
	tc.expectClosed()
	// A version outside the served range of an implemented API too.
	tc = dialClient(t, c.Addrs()[0])
	tc.send(produceReq(2, -1, "t", 0, batch(t, 1, "x")))
	tc.expectClosed()
	dialClient(t, c.Addrs()[0]).do(metadataReq(12))
}
