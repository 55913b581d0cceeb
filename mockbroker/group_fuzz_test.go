package mockbroker

import (
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
)

// opReader hands out the bytes of a fuzz input; past the end it yields
// zeros, so every input is a complete program.
type opReader struct{ b []byte }

func (r *opReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *opReader) bytes(n int) []byte {
	n = min(n, len(r.b))
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// groupOps interprets in as a sequence of group coordinator operations
// (joins, syncs, heartbeats, leaves, commits, fetches, admin requests and
// jumps in time) against one broker of c, with a few groups, member ids,
// instance ids and protocols, valid and garbage bytes mixed. It never
// waits for a JoinGroup or SyncGroup, so no input can make it block, and
// checks the coordinator's invariants after every operation.
type groupOps struct {
	t   testing.TB
	c   *Cluster
	cn  *conn
	ids []string
	sub []byte
}

func newGroupOps(t testing.TB, c *Cluster) *groupOps {
	server, client := net.Pipe()
	t.Cleanup(func() { client.Close() })
	b := c.brokers[0]
	c.mu.Lock()
	cn := &conn{c: c, b: b, gen: b.gen, nc: server, done: make(chan struct{}), dec: records.Decoder{ReuseBuffers: true}}
	c.mu.Unlock()
	t.Cleanup(cn.shutdown)
	return &groupOps{t: t, c: c, cn: cn, sub: subscription(t, "t")}
}

func (o *groupOps) rc(key kmsg.Key, version int16) *reqCtx {
	return &reqCtx{c: o.c, cn: o.cn, b: o.cn.b, rq: &request{key: int16(key), version: version, clientID: kmsg.StringPtr("fuzz"), received: time.Now()}}
}

func (o *groupOps) group(r *opReader) string { return [...]string{"a", "b", ""}[r.byte()%3] }

func (o *groupOps) memberID(r *opReader) string {
	switch v := r.byte(); {
	case v < 96 || len(o.ids) == 0:
		return ""
	case v < 240:
		return o.ids[int(v)%len(o.ids)]
	default:
		return "garbage"
	}
}

func (o *groupOps) instance(r *opReader) *string {
	switch r.byte() % 3 {
	case 0:
		return kmsg.StringPtr("i0")
	case 1:
		return kmsg.StringPtr("i1")
	}
	return nil
}

func (o *groupOps) generation(r *opReader, group string) int32 {
	if v := r.byte(); v >= 200 {
		return int32(v) - 220
	}
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	if g := o.c.groupLocked(group); g != nil {
		return g.generation
	}
	return -1
}

func (o *groupOps) learn(id string) {
	if id != "" && len(o.ids) < 16 {
		o.ids = append(o.ids, id)
	}
}

func (o *groupOps) payload(r *opReader) []byte {
	if r.byte()%2 == 0 {
		return o.sub
	}
	return r.bytes(int(r.byte() % 16))
}

func (o *groupOps) run(in []byte) {
	r := &opReader{b: in}
	for steps := 0; len(r.b) > 0 && steps < 64; steps++ {
		o.step(r)
		checkGroupInvariants(o.t, o.c)
	}
}

func (o *groupOps) step(r *opReader) {
	switch op := r.byte() % 12; op {
	case 0, 11: // JoinGroup
		req := kmsg.NewPtrJoinGroupRequest()
		req.SetVersion(int16(r.byte() % 10))
		req.Group, req.MemberID = o.group(r), o.memberID(r)
		if req.Version >= 5 {
			req.InstanceID = o.instance(r)
		}
		req.SessionTimeoutMillis = 4*int32(r.byte()) - 8
		req.RebalanceTimeoutMillis = int32(r.byte()) - 8
		req.ProtocolType = [...]string{"consumer", "consumer", "consumer", "consumer", "consumer", "consumer", "other", ""}[r.byte()%8]
		for n := 1 + r.byte()%2 - r.byte()/255; n > 0; n-- {
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name = [...]string{"range", "roundrobin"}[r.byte()%2]
			p.Metadata = o.payload(r)
			req.Protocols = append(req.Protocols, p)
		}
		rc := o.rc(kmsg.JoinGroup, req.Version)
		o.c.mu.Lock()
		out, wait := rc.joinGroupLocked(req)
		o.c.mu.Unlock()
		if out == nil {
			select {
			case out = <-wait:
			default:
			}
		}
		if out != nil {
			o.learn(out.memberID)
		}
	case 1: // SyncGroup
		req := kmsg.NewPtrSyncGroupRequest()
		req.SetVersion(int16(r.byte() % 6))
		req.Group, req.MemberID = o.group(r), o.memberID(r)
		req.Generation = o.generation(r, req.Group)
		if req.Version >= 3 {
			req.InstanceID = o.instance(r)
		}
		for _, id := range o.ids {
			if r.byte()%2 == 0 {
				ga := kmsg.NewSyncGroupRequestGroupAssignment()
				ga.MemberID, ga.MemberAssignment = id, o.payload(r)
				req.GroupAssignment = append(req.GroupAssignment, ga)
			}
		}
		rc := o.rc(kmsg.SyncGroup, req.Version)
		o.c.mu.Lock()
		rc.syncGroupLocked(req)
		o.c.mu.Unlock()
	case 2: // Heartbeat
		req := kmsg.NewPtrHeartbeatRequest()
		req.SetVersion(int16(r.byte() % 5))
		req.Group, req.MemberID = o.group(r), o.memberID(r)
		req.Generation = o.generation(r, req.Group)
		o.handle(kmsg.Heartbeat, req, handleHeartbeat)
	case 3: // LeaveGroup
		req := kmsg.NewPtrLeaveGroupRequest()
		req.SetVersion(int16(r.byte() % 6))
		req.Group, req.MemberID = o.group(r), o.memberID(r)
		for n := r.byte() % 3; n > 0; n-- {
			m := kmsg.NewLeaveGroupRequestMember()
			m.MemberID, m.InstanceID = o.memberID(r), o.instance(r)
			req.Members = append(req.Members, m)
		}
		o.handle(kmsg.LeaveGroup, req, handleLeaveGroup)
	case 4: // OffsetCommit
		req := kmsg.NewPtrOffsetCommitRequest()
		req.SetVersion(int16(r.byte() % 10))
		req.Group, req.MemberID = o.group(r), o.memberID(r)
		req.Generation = o.generation(r, req.Group)
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = [...]string{"t", "nope"}[r.byte()%2]
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = int32(r.byte()%3), int64(r.byte())
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		o.handle(kmsg.OffsetCommit, req, handleOffsetCommit)
	case 5: // OffsetFetch
		req := kmsg.NewPtrOffsetFetchRequest()
		req.SetVersion(int16(r.byte() % 10))
		req.Group = o.group(r)
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = req.Group
		req.Groups = append(req.Groups, rg)
		o.handle(kmsg.OffsetFetch, req, handleOffsetFetch)
	case 6: // DescribeGroups and ListGroups
		dg := kmsg.NewPtrDescribeGroupsRequest()
		dg.SetVersion(int16(r.byte() % 7))
		dg.Groups = []string{o.group(r), o.group(r)}
		o.handle(kmsg.DescribeGroups, dg, handleDescribeGroups)
		lg := kmsg.NewPtrListGroupsRequest()
		lg.SetVersion(5)
		o.handle(kmsg.ListGroups, lg, handleListGroups)
	case 7: // DeleteGroups
		req := kmsg.NewPtrDeleteGroupsRequest()
		req.SetVersion(int16(r.byte() % 4))
		req.Groups = []string{o.group(r)}
		o.handle(kmsg.DeleteGroups, req, handleDeleteGroups)
	case 8: // OffsetDelete
		req := kmsg.NewPtrOffsetDeleteRequest()
		req.Group = o.group(r)
		rt := kmsg.NewOffsetDeleteRequestTopic()
		rt.Topic = "t"
		rt.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{{Partition: int32(r.byte() % 3)}}
		req.Topics = append(req.Topics, rt)
		o.handle(kmsg.OffsetDelete, req, handleOffsetDelete)
	default: // time passes
		o.c.mu.Lock()
		o.c.expireGroupsLocked(time.Now().Add(time.Duration(r.byte()) * time.Millisecond))
		o.c.mu.Unlock()
	}
}

// handle runs a handler that never waits.
func (o *groupOps) handle(key kmsg.Key, req kmsg.Request, h func(*reqCtx, kmsg.Request) (kmsg.Response, error)) {
	o.t.Helper()
	resp, err := h(o.rc(key, req.GetVersion()), req)
	if err != nil {
		o.t.Fatalf("%s: %v", kmsg.NameForKey(int16(key)), err)
	}
	resp.SetVersion(req.GetVersion())
	_ = resp.AppendTo(nil) // every response must encode
}

// checkGroupInvariants checks what must hold of every group between
// requests.
func checkGroupInvariants(t testing.TB, c *Cluster) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	fail := func(g *group, format string, args ...any) {
		t.Helper()
		t.Fatalf("group %q (%s, generation %d): "+format, append([]any{g.id, g.state, g.generation}, args...)...)
	}
	for id, g := range c.groups.groups {
		if id != g.id {
			fail(g, "registered as %q", id)
		}
		if g.state == groupDead {
			fail(g, "a dead group is still registered")
		}
		if (len(g.members) == 0) != (g.leader == "") {
			fail(g, "leader %q with %d members", g.leader, len(g.members))
		}
		if g.leader != "" && g.members[g.leader] == nil {
			fail(g, "leader %q is no member", g.leader)
		}
		switch g.state {
		case groupEmpty:
			if len(g.members) > 0 {
				fail(g, "empty with %d members", len(g.members))
			}
		case groupCompletingRebalance, groupStable:
			if len(g.members) == 0 {
				fail(g, "no members")
			}
			for _, m := range g.members {
				if !m.supports(g.protocol) {
					fail(g, "member %s does not offer the group's protocol %q", m.id, g.protocol)
				}
			}
		}
		for inst, mid := range g.static {
			if m := g.members[mid]; m == nil || !m.static || m.instanceID != inst {
				fail(g, "instance %q maps to %q, which is not its member", inst, mid)
			}
		}
		for mid, m := range g.members {
			if m.id != mid {
				fail(g, "member %q filed as %q", m.id, mid)
			}
			if m.static && g.static[m.instanceID] != mid {
				fail(g, "static member %q is not mapped by its instance %q", mid, m.instanceID)
			}
			if m.expires.IsZero() {
				fail(g, "member %q has no session deadline", mid)
			}
		}
		for mid := range g.pendingSync {
			if g.members[mid] == nil {
				fail(g, "pending sync of %q, no member", mid)
			}
		}
	}
}

// FuzzGroupCoordinator runs arbitrary sequences of group requests and
// jumps in time against the coordinator: a refused request is fine; a
// panic, a broken invariant or a response that cannot be encoded is not.
func FuzzGroupCoordinator(f *testing.F) {
	f.Add([]byte{0, 9, 0, 0, 0, 100, 50, 0, 1, 0, 0})
	f.Add([]byte{0, 3, 0, 0, 100, 50, 0, 2, 0, 0, 1, 1, 1, 0, 1, 100, 0, 2, 0, 1, 100, 10, 255})
	f.Add([]byte{0, 5, 1, 0, 0, 60, 60, 2, 1, 1, 7, 4, 0, 7, 1, 0, 2, 3, 4, 1, 150, 0, 8, 0, 1})
	c, err := New(WithTopic("t", 2))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		newGroupOps(t, c).run(in)
		c.mu.Lock()
		c.groups.groups = nil
		c.mu.Unlock()
	})
}

// TestGroupRandomOperations runs the fuzz target's interpreter over
// random programs, so that plain `go test` covers it beyond the seeds.
func TestGroupRandomOperations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := NewTest(t, WithTopic("t", 2), WithLogger(nil))
	for i := range 300 {
		t.Run(itoa(i), func(t *testing.T) {
			in := make([]byte, 64+rng.IntN(512))
			for j := range in {
				in[j] = byte(rng.UintN(256))
			}
			newGroupOps(t, c).run(in)
			c.mu.Lock()
			c.groups.groups = nil
			c.mu.Unlock()
		})
	}
}
