package mockbroker

import (
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
)

// groupState is the state of a classic consumer group, named as Kafka
// names it in DescribeGroups and ListGroups.
//
//	Empty ──join──► PreparingRebalance ──every member joined, or the
//	  ▲                    ▲              rebalance timeout──► CompletingRebalance
//	  │                    │                                        │ leader's SyncGroup
//	  └─ last member gone ─┴── join, leave, expiry, metadata change ─┴─► Stable
//
// Dead is the state of a deleted group (DeleteGroups); such a group is no
// longer kept, so the state only shows in DescribeGroups of an unknown id.
type groupState int8

const (
	groupEmpty groupState = iota
	groupPreparingRebalance
	groupCompletingRebalance
	groupStable
	groupDead
)

var groupStateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (s groupState) String() string { return groupStateNames[s] }

// groupProtocol is one protocol a member offers in JoinGroup: a name (for
// consumers, an assignor name) and metadata that is opaque to the broker
// (for consumers, a ConsumerProtocol subscription).
type groupProtocol struct {
	name     string
	metadata []byte
}

// groupMember is one member of a group. Guarded by Cluster.mu. Byte slices
// stored in a member are never modified in place, only replaced, so
// responses may alias them after the lock is released.
type groupMember struct {
	id string
	// instanceID is the group.instance.id of a static member (KIP-345).
	instanceID string
	static     bool

	clientID, clientHost string

	sessionTimeout, rebalanceTimeout time.Duration
	protocolType                     string
	protocols                        []groupProtocol
	// assignment is what the leader assigned the member in the last
	// completed SyncGroup; nil before the first and after a rebalance
	// interrupted a sync phase (Kafka clears it then too).
	assignment []byte

	// seq orders members by when they joined, for deterministic leader
	// choice and member lists.
	seq uint64
	// expires is when the session ends without a heartbeat. It is not
	// checked while a JoinGroup or SyncGroup of the member waits, as on
	// Kafka.
	expires time.Time

	// join and sync are set while a JoinGroup or SyncGroup of the member
	// waits for the rebalance to go on; each receives exactly one outcome
	// (the channels are buffered, so a sender never blocks).
	join chan *joinOutcome
	sync chan *syncOutcome
}

// joinOutcome is the answer to a JoinGroup.
type joinOutcome struct {
	err            *kerr.Error
	memberID       string
	generation     int32
	protocolType   string
	protocol       string
	leader         string
	skipAssignment bool
	// members is every member's metadata for the chosen protocol; only the
	// leader gets it.
	members []kmsg.JoinGroupResponseMember
}

// syncOutcome is the answer to a SyncGroup.
type syncOutcome struct {
	err          *kerr.Error
	assignment   []byte
	protocolType string
	protocol     string
}

func joinFailure(err *kerr.Error, memberID string) *joinOutcome {
	return &joinOutcome{err: err, memberID: memberID, generation: -1}
}

// finishJoin answers the member's waiting JoinGroup, if any.
func (m *groupMember) finishJoin(o *joinOutcome) {
	if m.join != nil {
		m.join <- o
		m.join = nil
	}
}

// finishSync answers the member's waiting SyncGroup, if any.
func (m *groupMember) finishSync(o *syncOutcome) {
	if m.sync != nil {
		m.sync <- o
		m.sync = nil
	}
}

// awaitJoin makes the member wait for the rebalance and returns the channel
// its outcome arrives on. A JoinGroup of the member that was still waiting
// (sent again, for example, after a client timeout) is answered with
// REBALANCE_IN_PROGRESS; Kafka leaves such a request unanswered.
func (m *groupMember) awaitJoin() <-chan *joinOutcome {
	m.finishJoin(joinFailure(kerr.RebalanceInProgress, m.id))
	ch := make(chan *joinOutcome, 1)
	m.join = ch
	return ch
}

// metadataFor returns the member's metadata for a protocol.
func (m *groupMember) metadataFor(protocol string) []byte {
	for _, p := range m.protocols {
		if p.name == protocol {
			return p.metadata
		}
	}
	return nil
}

// supports reports whether the member offers a protocol.
func (m *groupMember) supports(name string) bool {
	return slices.ContainsFunc(m.protocols, func(p groupProtocol) bool { return p.name == name })
}

// matches reports whether the member offers exactly these protocols, in
// this order and with this metadata.
func (m *groupMember) matches(protocols []groupProtocol) bool {
	return slices.EqualFunc(m.protocols, protocols, func(a, b groupProtocol) bool {
		return a.name == b.name && string(a.metadata) == string(b.metadata)
	})
}

// update takes the protocols and timeouts of a rejoining member.
func (m *groupMember) update(j *joinRequest) {
	m.protocols = j.protocols
	m.sessionTimeout, m.rebalanceTimeout = j.session, j.rebalance
}

// committedOffset is one committed offset of a group. topicID remembers
// the topic the commit was made for, so that a commit does not outlive its
// topic: once the topic is deleted (or deleted and created again) the
// commit is gone, as Kafka removes the offsets of deleted topics.
type committedOffset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	topicID     [16]byte
}

// group is one classic group. Guarded by Cluster.mu.
type group struct {
	id           string
	state        groupState
	protocolType string
	// protocol is the protocol chosen for the current generation; "" while
	// the group has no members.
	protocol   string
	generation int32
	leader     string

	members map[string]*groupMember
	// static maps the instance id of each static member to its member id.
	static map[string]string
	// pending holds the member ids handed out with MEMBER_ID_REQUIRED
	// (KIP-394) whose owners have not joined with them yet, and when each
	// expires (one session timeout later). A rebalance waits for them.
	pending map[string]time.Time
	// pendingSync holds the members that have not sent SyncGroup in this
	// generation; after syncDeadline they are removed.
	pendingSync  map[string]bool
	syncDeadline time.Time
	seq          uint64

	// rebalanceDeadline ends the join phase of PreparingRebalance.
	rebalanceDeadline time.Time
	// delayUntil is set while the initial rebalance delay of a group that
	// was empty runs (group.initial.rebalance.delay.ms); the join phase
	// cannot end before it. Each member joining meanwhile extends it once
	// more, as long as delayRemaining lasts.
	delayUntil     time.Time
	delayRemaining time.Duration
	newMemberAdded bool

	// subscribed is the union of the members' subscribed topics when the
	// group is a consumer group whose subscriptions decode; subscribedKnown
	// is false otherwise, and then every topic counts as subscribed.
	subscribed      map[string]bool
	subscribedKnown bool

	offsets map[samsa.TopicPartition]committedOffset
}

func newGroup(id string) *group {
	return &group{
		id:      id,
		members: make(map[string]*groupMember),
		static:  make(map[string]string),
		pending: make(map[string]time.Time),
		offsets: make(map[samsa.TopicPartition]committedOffset),
	}
}

// sortedMembers returns the members in the order they joined.
func (g *group) sortedMembers() []*groupMember {
	ms := make([]*groupMember, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *groupMember) int { return compareUint64(a.seq, b.seq) })
	return ms
}

func compareUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rebalanceTimeout is the longest rebalance timeout of the members; it
// bounds the join and the sync phase of a rebalance, as on Kafka.
func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// allJoined reports whether every member, and every member id handed out
// with MEMBER_ID_REQUIRED, has a JoinGroup waiting.
func (g *group) allJoined() bool {
	if len(g.pending) > 0 {
		return false
	}
	for _, m := range g.members {
		if m.join == nil {
			return false
		}
	}
	return true
}

// supportsProtocols reports whether a member offering these protocols may
// join: into an empty group any non-empty protocol type and list will do;
// otherwise the type must be the group's and at least one of the protocols
// must be offered by every member.
func (g *group) supportsProtocols(protocolType string, protocols []groupProtocol) bool {
	if g.state == groupEmpty {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportedByAll(p.name) {
			return true
		}
	}
	return false
}

func (g *group) supportedByAll(name string) bool {
	for _, m := range g.members {
		if !m.supports(name) {
			return false
		}
	}
	return true
}

// selectProtocol chooses the group's protocol as Kafka does: among the
// protocols every member offers, each member votes for the first in its
// own preference order, and the most votes win. A tie goes to the protocol
// that got its first vote from the longest-standing member.
func (g *group) selectProtocol() string {
	members := g.sortedMembers()
	votes := make(map[string]int)
	var order []string
	for _, m := range members {
		for _, p := range m.protocols {
			if g.supportedByAll(p.name) {
				if votes[p.name] == 0 {
					order = append(order, p.name)
				}
				votes[p.name]++
				break
			}
		}
	}
	best := ""
	for _, name := range order {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	if best == "" && len(members) > 0 && len(members[0].protocols) > 0 {
		// No protocol is common to all; the join checks prevent it, but
		// the group must still pick something rather than fail.
		best = members[0].protocols[0].name
	}
	return best
}

// memberMetadata lists every member with its metadata for the chosen
// protocol: what the leader's JoinGroup response carries.
func (g *group) memberMetadata() []kmsg.JoinGroupResponseMember {
	out := make([]kmsg.JoinGroupResponseMember, 0, len(g.members))
	for _, m := range g.sortedMembers() {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		if m.static {
			jm.InstanceID = kmsg.StringPtr(m.instanceID)
		}
		jm.ProtocolMetadata = m.metadataFor(g.protocol)
		if jm.ProtocolMetadata == nil {
			jm.ProtocolMetadata = []byte{}
		}
		out = append(out, jm)
	}
	return out
}

// currentJoin is the answer to a JoinGroup that does not start a
// rebalance: the current generation. Only the leader gets the members.
func (g *group) currentJoin(m *groupMember, withMembers bool) *joinOutcome {
	o := &joinOutcome{
		memberID:     m.id,
		generation:   g.generation,
		protocolType: g.protocolType,
		protocol:     g.protocol,
		leader:       g.leader,
	}
	if withMembers {
		o.members = g.memberMetadata()
	}
	return o
}

// fenced reports whether a request naming this instance id and member id
// comes from a static member that another member id has replaced.
func (g *group) fenced(instanceID *string, memberID string) bool {
	if instanceID == nil {
		return false
	}
	cur, ok := g.static[*instanceID]
	return ok && cur != memberID
}

// addMember adds a member; the first member of a group sets its protocol
// type and the first member without a leader becomes the leader.
func (g *group) addMember(m *groupMember) {
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	g.seq++
	m.seq = g.seq
	g.members[m.id] = m
	if m.static {
		g.static[m.instanceID] = m.id
	}
	if g.leader == "" {
		g.leader = m.id
	}
}

// dropMember removes a member from the group's books, answering its
// waiting JoinGroup or SyncGroup with UNKNOWN_MEMBER_ID, without moving the
// group to another state. A leaving leader hands over to the
// longest-standing member left.
func (g *group) dropMember(m *groupMember) {
	m.finishJoin(joinFailure(kerr.UnknownMemberID, ""))
	m.finishSync(&syncOutcome{err: kerr.UnknownMemberID})
	delete(g.members, m.id)
	if m.static && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
	delete(g.pendingSync, m.id)
	if g.leader == m.id {
		g.leader = ""
		if rest := g.sortedMembers(); len(rest) > 0 {
			g.leader = rest[0].id
		}
	}
}

// replaceStatic gives a static member a new member id, as when its
// instance restarts: requests still waiting under the old id are answered
// with FENCED_INSTANCE_ID, and later ones get it from the checks.
func (g *group) replaceStatic(m *groupMember, newID string) {
	oldID := m.id
	m.finishJoin(joinFailure(kerr.FencedInstanceID, oldID))
	m.finishSync(&syncOutcome{err: kerr.FencedInstanceID})
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	g.static[m.instanceID] = newID
	if g.leader == oldID {
		g.leader = newID
	}
	if g.pendingSync[oldID] {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = true
	}
}

// computeSubscribed works out which topics a consumer group subscribes to,
// from every member's subscription for the chosen protocol, decoded with
// the consumer protocol. When the group is not a consumer group or a
// subscription does not decode, it is unknown, and OffsetDelete treats
// every topic as subscribed, as Kafka does.
func (g *group) computeSubscribed() {
	g.subscribed, g.subscribedKnown = nil, false
	if g.protocolType != assignor.ProtocolType {
		return
	}
	topics := make(map[string]bool)
	for _, m := range g.members {
		s, _, err := assignor.DecodeSubscription(m.metadataFor(g.protocol))
		if err != nil {
			return
		}
		for _, t := range s.Topics {
			topics[t] = true
		}
	}
	g.subscribed, g.subscribedKnown = topics, true
}

func (g *group) subscribedTo(topic string) bool {
	return !g.subscribedKnown || g.subscribed[topic]
}

// nextDeadline is the earliest time at which the group needs the timer:
// a pending member id or a session expires, the join phase or the initial
// delay ends, or the sync phase ends. Zero if none.
func (g *group) nextDeadline() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, exp := range g.pending {
		consider(exp)
	}
	for _, m := range g.members {
		if m.join == nil && m.sync == nil {
			consider(m.expires)
		}
	}
	switch g.state {
	case groupPreparingRebalance:
		if !g.delayUntil.IsZero() {
			consider(g.delayUntil)
		} else {
			consider(g.rebalanceDeadline)
		}
	case groupCompletingRebalance, groupStable:
		if len(g.pendingSync) > 0 {
			consider(g.syncDeadline)
		}
	}
	return next
}

// removeMemberLocked removes a member that left, whose session expired or
// that an administrator removed, and moves the group on: a stable or
// syncing group rebalances, a rebalancing one may now be complete. c.mu
// must be held.
func (c *Cluster) removeMemberLocked(g *group, m *groupMember, reason string) {
	g.dropMember(m)
	c.log.Info("group member removed", "group", g.id, "member", m.id, "reason", reason)
	switch g.state {
	case groupStable, groupCompletingRebalance:
		c.prepareRebalanceLocked(g, reason)
	case groupPreparingRebalance:
		c.maybeCompleteJoinLocked(g)
	}
}

// maybePrepareRebalanceLocked starts a rebalance unless one is already
// preparing. c.mu must be held.
func (c *Cluster) maybePrepareRebalanceLocked(g *group, reason string) {
	switch g.state {
	case groupEmpty, groupStable, groupCompletingRebalance:
		c.prepareRebalanceLocked(g, reason)
	}
}

// prepareRebalanceLocked moves the group to PreparingRebalance: members
// waiting in SyncGroup are told REBALANCE_IN_PROGRESS and lose their
// assignment, and the join phase starts, bounded by the rebalance timeout
// (after the initial delay, for a group that was empty). c.mu must be
// held.
func (c *Cluster) prepareRebalanceLocked(g *group, reason string) {
	now := time.Now()
	if g.state == groupCompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			m.finishSync(&syncOutcome{err: kerr.RebalanceInProgress})
		}
	}
	g.pendingSync, g.syncDeadline = nil, time.Time{}
	if d := c.cfg.groups.initialDelay; g.state == groupEmpty && d > 0 {
		g.delayUntil = now.Add(d)
		g.delayRemaining = max(g.rebalanceTimeout()-d, 0)
		g.newMemberAdded = false
	}
	g.state = groupPreparingRebalance
	g.rebalanceDeadline = now.Add(g.rebalanceTimeout())
	c.log.Info("group preparing to rebalance", "group", g.id, "generation", g.generation, "reason", reason)
	c.maybeCompleteJoinLocked(g)
}

// maybeCompleteJoinLocked ends the join phase once every member has
// joined, unless the initial delay still runs. c.mu must be held.
func (c *Cluster) maybeCompleteJoinLocked(g *group) {
	if g.state == groupPreparingRebalance && g.delayUntil.IsZero() && g.allJoined() {
		c.completeJoinLocked(g)
	}
}

// endInitialDelayLocked handles the end of an initial rebalance delay: if
// members joined meanwhile it waits once more, up to what is left of the
// rebalance timeout; otherwise the join phase ends. c.mu must be held.
func (c *Cluster) endInitialDelayLocked(g *group, now time.Time) {
	if g.newMemberAdded && g.delayRemaining > 0 {
		d := min(c.cfg.groups.initialDelay, g.delayRemaining)
		g.newMemberAdded = false
		g.delayRemaining -= d
		g.delayUntil = now.Add(d)
		return
	}
	g.delayUntil = time.Time{}
	c.completeJoinLocked(g)
}

// minRejoinWait bounds how often the join phase of a group whose members
// are all static and silent is retried.
const minRejoinWait = 10 * time.Millisecond

// completeJoinLocked ends the join phase: dynamic members that did not
// rejoin are removed (static ones stay until their session expires), the
// leader is kept if it rejoined or handed to a member that did, the
// generation advances, the protocol is chosen by vote, and every waiting
// JoinGroup is answered — the leader with every member's metadata. A group
// left without members becomes Empty. c.mu must be held.
func (c *Cluster) completeJoinLocked(g *group) {
	now := time.Now()
	var joined []*groupMember
	for _, m := range g.sortedMembers() {
		switch {
		case m.join != nil:
			joined = append(joined, m)
		case !m.static:
			g.dropMember(m)
			c.log.Info("group member removed", "group", g.id, "member", m.id, "reason", "did not rejoin within the rebalance timeout")
		}
	}
	if len(g.members) > 0 && len(joined) == 0 {
		// Only static members that have not rejoined are left: wait
		// another rebalance timeout (their sessions may expire first),
		// but not so short a one that the timer spins.
		g.delayUntil = time.Time{}
		g.rebalanceDeadline = now.Add(max(g.rebalanceTimeout(), minRejoinWait))
		return
	}
	if l := g.members[g.leader]; (l == nil || l.join == nil) && len(joined) > 0 {
		g.leader = joined[0].id
	}
	g.generation++
	g.delayUntil, g.rebalanceDeadline = time.Time{}, time.Time{}
	if len(g.members) == 0 {
		g.state = groupEmpty
		g.protocol, g.leader = "", ""
		g.computeSubscribed()
		c.log.Info("group is empty", "group", g.id, "generation", g.generation)
		return
	}
	g.protocol = g.selectProtocol()
	g.computeSubscribed()
	g.state = groupCompletingRebalance
	g.pendingSync = make(map[string]bool, len(g.members))
	for id := range g.members {
		g.pendingSync[id] = true
	}
	g.syncDeadline = now.Add(g.rebalanceTimeout())
	for _, m := range joined {
		m.finishJoin(g.currentJoin(m, m.id == g.leader))
		m.expires = now.Add(m.sessionTimeout)
	}
	c.log.Info("group completing rebalance", "group", g.id, "generation", g.generation,
		"protocol", g.protocol, "leader", g.leader, "members", len(g.members))
}

// completeSyncLocked distributes the leader's assignments (an empty one
// for a member the leader left out), answers every waiting SyncGroup and
// makes the group Stable. c.mu must be held.
func (c *Cluster) completeSyncLocked(g *group, assignments map[string][]byte) {
	for id, m := range g.members {
		m.assignment = assignments[id]
		if m.assignment == nil {
			m.assignment = []byte{}
		}
	}
	g.state = groupStable
	for _, m := range g.members {
		m.finishSync(&syncOutcome{assignment: m.assignment, protocolType: g.protocolType, protocol: g.protocol})
	}
	c.log.Info("group stable", "group", g.id, "generation", g.generation, "members", len(g.members))
}
