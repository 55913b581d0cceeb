package mockbroker

import (
	"crypto/rand"
	"fmt"
	"math"
	"net"
	"time"
	"unicode/utf16"

	"github.com/samsa-go/samsa/kerr"
)

// groupCoordinator is the cluster's group coordinator: every group, and
// the timer that expires sessions and ends join and sync phases. Its zero
// value is ready; the timer goroutine starts with the first deadline.
// Guarded by Cluster.mu.
//
// Group state is cluster-wide, as Kafka's is durable in __consumer_offsets:
// when a coordinator broker stops, the next replica of the group's
// coordinator partition takes over the group as it stands (requests that
// were waiting on the stopped broker's connections are lost with them, and
// their members must rejoin or time out).
type groupCoordinator struct {
	groups map[string]*group
	// kick wakes the timer goroutine when a deadline earlier than wake
	// appears; nil until the goroutine runs.
	kick chan struct{}
	// wake is when the timer goroutine looks next; zero when it has
	// nothing to wait for.
	wake time.Time
}

// coordinatorPartitions is Kafka's offsets.topic.num.partitions and
// transaction.state.log.num.partitions: group ids and transactional ids
// are spread over this many partitions of an internal topic, and the
// leader of a key's partition coordinates it.
const coordinatorPartitions = 50

// maxOffsetMetadata is Kafka's offset.metadata.max.bytes: longer commit
// metadata is refused with OFFSET_METADATA_TOO_LARGE.
const maxOffsetMetadata = 4096

// Coordinator key types of FindCoordinator.
const (
	coordinatorGroup       int8 = 0
	coordinatorTransaction int8 = 1
)

// javaStringHash is Java's String.hashCode over the UTF-16 code units of
// s, which Kafka uses to place a group id or transactional id.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + hi
			h = 31*h + lo
			continue
		}
		h = 31*h + r
	}
	return h
}

// coordinatorPartition is the internal-topic partition of a key, as
// Kafka's Utils.abs(key.hashCode) % partitions computes it.
func coordinatorPartition(key string) int {
	h := javaStringHash(key)
	switch {
	case h == math.MinInt32:
		h = 0
	case h < 0:
		h = -h
	}
	return int(h % coordinatorPartitions)
}

// coordinatorLocked returns the broker coordinating a key: the first
// running replica of the key's coordinator partition, whose replicas are
// placed like a topic's (min(3, brokers) brokers starting at partition mod
// brokers). It returns COORDINATOR_NOT_AVAILABLE when every replica is
// stopped. c.mu must be held.
func (c *Cluster) coordinatorLocked(key string) (int32, *kerr.Error) {
	p := coordinatorPartition(key)
	n := len(c.brokers)
	for j := range min(3, n) {
		if b := c.brokers[(p+j)%n]; b.up {
			return b.id, nil
		}
	}
	return -1, kerr.CoordinatorNotAvailable
}

// groupErrLocked checks that a request for a group may be served by this
// broker: the group id is valid (some APIs accept an empty one, as Kafka
// does for compatibility) and the broker coordinates the group. c.mu must
// be held.
func (rc *reqCtx) groupErrLocked(id string, allowEmpty bool) *kerr.Error {
	if id == "" && !allowEmpty {
		return kerr.InvalidGroupID
	}
	coord, err := rc.c.coordinatorLocked(id)
	if err != nil {
		return err
	}
	if coord != rc.b.id {
		return kerr.NotCoordinator
	}
	return nil
}

// groupLocked returns a group or nil. c.mu must be held.
func (c *Cluster) groupLocked(id string) *group { return c.groups.groups[id] }

// addGroupLocked registers a new group. c.mu must be held.
func (c *Cluster) addGroupLocked(g *group) {
	if c.groups.groups == nil {
		c.groups.groups = make(map[string]*group)
	}
	c.groups.groups[g.id] = g
}

// scheduleGroupLocked makes sure the timer goroutine wakes for the group's
// next deadline, starting the goroutine the first time. c.mu must be held.
func (c *Cluster) scheduleGroupLocked(g *group) {
	t := g.nextDeadline()
	if t.IsZero() || c.closed {
		return
	}
	gc := &c.groups
	if gc.kick == nil {
		gc.kick = make(chan struct{}, 1)
		gc.wake = t
		c.wg.Add(1)
		go c.groupTimerLoop(gc.kick)
		return
	}
	if gc.wake.IsZero() || t.Before(gc.wake) {
		gc.wake = t
		select {
		case gc.kick <- struct{}{}:
		default:
		}
	}
}

// groupTimerLoop is the coordinator's timer goroutine, owned by the
// cluster: it sleeps until the earliest deadline of any group (or a kick
// for an earlier one), applies every deadline that has passed, and exits
// when the cluster closes.
func (c *Cluster) groupTimerLoop(kick <-chan struct{}) {
	defer c.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		next := c.expireGroupsLocked(time.Now())
		c.groups.wake = next
		c.mu.Unlock()
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
		select {
		case <-kick:
		case <-timer.C:
		case <-c.done:
			return
		}
	}
}

// expireGroupsLocked applies every deadline up to now and returns the
// next one (zero if none). c.mu must be held.
func (c *Cluster) expireGroupsLocked(now time.Time) time.Time {
	var next time.Time
	for _, g := range c.groups.groups {
		c.expireGroupLocked(g, now)
		if t := g.nextDeadline(); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// expireGroupLocked applies one group's passed deadlines: member ids
// handed out with MEMBER_ID_REQUIRED and never used are dropped, members
// whose session expired are removed, the initial delay or the join phase
// ends, and members that did not send SyncGroup in time are removed.
// c.mu must be held.
func (c *Cluster) expireGroupLocked(g *group, now time.Time) {
	dropped := false
	for id, exp := range g.pending {
		if !exp.After(now) {
			delete(g.pending, id)
			dropped = true
			c.log.Info("pending group member expired", "group", g.id, "member", id)
		}
	}
	if dropped {
		c.maybeCompleteJoinLocked(g)
	}
	for _, m := range g.sortedMembers() {
		if g.members[m.id] == m && m.join == nil && m.sync == nil && !m.expires.After(now) {
			c.removeMemberLocked(g, m, "session timeout expired")
		}
	}
	switch g.state {
	case groupPreparingRebalance:
		if !g.delayUntil.IsZero() {
			if !g.delayUntil.After(now) {
				c.endInitialDelayLocked(g, now)
			}
		} else if !g.rebalanceDeadline.After(now) {
			c.completeJoinLocked(g)
		}
	case groupCompletingRebalance, groupStable:
		if len(g.pendingSync) > 0 && !g.syncDeadline.After(now) {
			for _, m := range g.sortedMembers() {
				if g.pendingSync[m.id] {
					g.dropMember(m)
					c.log.Info("group member removed", "group", g.id, "member", m.id, "reason", "no SyncGroup within the rebalance timeout")
				}
			}
			c.prepareRebalanceLocked(g, "members did not sync in time")
		}
	}
}

// newMemberID returns a member id as Kafka makes them: the client id (or
// the instance id of a static member), a dash and a random UUID.
func newMemberID(prefix string) string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// clientHost is the member's host as Kafka reports it in DescribeGroups:
// "/" and the client's IP address.
func (rc *reqCtx) clientHost() string {
	addr := rc.cn.nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return "/" + addr
}

// clientID is the client id of the request header ("" if null).
func (rc *reqCtx) clientID() string {
	if rc.rq.clientID == nil {
		return ""
	}
	return *rc.rq.clientID
}
