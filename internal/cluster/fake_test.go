package cluster

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitFor = 5 * time.Second

// fakeCluster is a few wiretest brokers sharing one tiny cluster model:
// topics with partition leaders and epochs, and a coordinator.
type fakeCluster struct {
	servers []*wiretest.Server // index = broker id

	mu          sync.Mutex
	listed      []int32 // brokers Metadata lists; default all
	topics      map[string]*fakeTopic
	coordinator int32
	coordErrs   []int16 // answered (and consumed) before the coordinator
	metaReqs    []metaReq
	findReqs    []*kmsg.FindCoordinatorRequest
	gate        chan struct{} // when set, Metadata waits for a token
	closing     chan struct{}
}

type fakeTopic struct {
	id    [16]byte
	parts []fakePart
}

type fakePart struct{ leader, epoch int32 }

type metaReq struct {
	broker    int32
	topics    []string // sorted; nil for "all topics"
	all       bool
	autoCreat bool
}

// newFake starts n brokers; versions nil means wiretest's defaults.
func newFake(t testing.TB, n int, versions map[int16][2]int16) *fakeCluster {
	f := &fakeCluster{topics: make(map[string]*fakeTopic), closing: make(chan struct{})}
	t.Cleanup(func() { close(f.closing) })
	for i := range n {
		id := int32(i)
		f.servers = append(f.servers, wiretest.NewServer(t, versions, func(r *wiretest.Request) wiretest.Reply {
			return f.handle(id, r)
		}))
	}
	return f
}

func (f *fakeCluster) seed(id int32) string { return f.servers[id].Addr() }

func (f *fakeCluster) setTopic(name string, id byte, parts ...fakePart) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics[name] = &fakeTopic{id: [16]byte{id}, parts: parts}
}

// holdMetadata makes every Metadata request from now on wait for a token
// on the returned channel (or for it to be closed) before it is answered.
func (f *fakeCluster) holdMetadata() chan struct{} {
	gate := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = gate
	return gate
}

func (f *fakeCluster) metadataRequests() []metaReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.metaReqs)
}

func (f *fakeCluster) metadataCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.metaReqs)
}

func (f *fakeCluster) findCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.findReqs)
}

func (f *fakeCluster) handle(broker int32, r *wiretest.Request) wiretest.Reply {
	switch r.Key {
	case 3:
		return f.metadata(broker, r)
	case 10:
		return f.findCoordinator(r)
	}
	return wiretest.Reply{}
}

func (f *fakeCluster) metadata(broker int32, r *wiretest.Request) wiretest.Reply {
	req := r.Req.(*kmsg.MetadataRequest)
	mr := metaReq{broker: broker, all: req.Topics == nil, autoCreat: req.AllowAutoTopicCreation}
	for _, t := range req.Topics {
		mr.topics = append(mr.topics, *t.Topic)
	}
	slices.Sort(mr.topics)
	f.mu.Lock()
	f.metaReqs = append(f.metaReqs, mr)
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-f.closing:
			return wiretest.Reply{Close: true}
		case <-f.servers[broker].Closing():
			return wiretest.Reply{Close: true}
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.ClusterID = kmsg.StringPtr("fake-cluster")
	resp.ControllerID = 0
	listed := f.listed
	if listed == nil {
		for i := range f.servers {
			listed = append(listed, int32(i))
		}
	}
	for _, id := range listed {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID = id
		b.Host, b.Port = f.servers[id].HostPort()
		b.Rack = kmsg.StringPtr("rack-" + string(rune('a'+id)))
		resp.Brokers = append(resp.Brokers, b)
	}
	names := mr.topics
	if mr.all {
		for name := range f.topics {
			names = append(names, name)
		}
	}
	for _, name := range names {
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = kmsg.StringPtr(name)
		ft, ok := f.topics[name]
		if !ok {
			rt.ErrorCode = 3 // UNKNOWN_TOPIC_OR_PARTITION
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		rt.TopicID = ft.id
		for i, p := range ft.parts {
			rp := kmsg.NewMetadataResponseTopicPartition()
			rp.Partition, rp.Leader, rp.LeaderEpoch = int32(i), p.leader, p.epoch
			rp.Replicas, rp.ISR = []int32{p.leader}, []int32{p.leader}
			if p.leader < 0 {
				rp.ErrorCode = 5 // LEADER_NOT_AVAILABLE
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return wiretest.Reply{Resp: resp}
}

func (f *fakeCluster) findCoordinator(r *wiretest.Request) wiretest.Reply {
	req := r.Req.(*kmsg.FindCoordinatorRequest)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.findReqs = append(f.findReqs, req)
	code := int16(0)
	if len(f.coordErrs) > 0 {
		code, f.coordErrs = f.coordErrs[0], f.coordErrs[1:]
	}
	host, port := f.servers[f.coordinator].HostPort()
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	if req.Version >= 4 {
		for _, key := range req.CoordinatorKeys {
			co := kmsg.NewFindCoordinatorResponseCoordinator()
			co.Key, co.ErrorCode = key, code
			if code == 0 {
				co.NodeID, co.Host, co.Port = f.coordinator, host, port
			}
			resp.Coordinators = append(resp.Coordinators, co)
		}
		return wiretest.Reply{Resp: resp}
	}
	resp.ErrorCode = code
	if code == 0 {
		resp.NodeID, resp.Host, resp.Port = f.coordinator, host, port
	}
	return wiretest.Reply{Resp: resp}
}

// deadAddr returns an address nothing listens on.
func deadAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// newCluster bootstraps a Cluster and closes it when the test ends.
func newCluster(t testing.TB, seeds []string, o Options) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := New(ctx, seeds, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waiters counts the Refresh callers waiting on the current and the next
// metadata request.
func (c *Cluster) waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	if c.inflight != nil {
		n += c.inflight.waiters
	}
	if c.next != nil {
		n += c.next.waiters
	}
	return n
}
