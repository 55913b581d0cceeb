package mockbroker

import (
	"fmt"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
)

// GroupMember is one member of a group as its coordinator knows it, for
// tests to inspect.
type GroupMember struct {
	// MemberID is the id the coordinator gave the member.
	MemberID string
	// InstanceID is the group.instance.id of a static member, "" for a
	// dynamic one.
	InstanceID string
	// ClientID and ClientHost are the client id of the member's JoinGroup
	// and the address it came from ("/127.0.0.1").
	ClientID, ClientHost string
	// SessionTimeout and RebalanceTimeout are what the member asked for.
	SessionTimeout, RebalanceTimeout time.Duration
	// Protocols are the names of the protocols the member offers, in its
	// order of preference.
	Protocols []string
	// Assignment is what the leader assigned the member in the last
	// completed SyncGroup (empty if the leader left it out); nil before
	// the first, and after a rebalance interrupted a sync phase.
	Assignment []byte
	// Partitions is Assignment decoded with the consumer protocol when the
	// group's protocol type is "consumer" and the bytes decode, sorted;
	// nil otherwise.
	Partitions []samsa.TopicPartition
	// AssignmentErr is why Assignment did not decode as a consumer
	// assignment (a *assignor.ProtocolError), nil if it did or the group
	// is not a consumer group.
	AssignmentErr error
}

// ErrUnknownGroup is returned by the group inspection methods of Cluster
// for a group the cluster does not have. It wraps kerr.GroupIDNotFound.
var ErrUnknownGroup = fmt.Errorf("mockbroker: unknown group: %w", kerr.GroupIDNotFound)

// groupFor returns a group or an error wrapping ErrUnknownGroup (or
// samsa.ErrClosed). c.mu must be held.
func (c *Cluster) groupFor(id string) (*group, error) {
	if c.closed {
		return nil, samsa.ErrClosed
	}
	g := c.groupLocked(id)
	if g == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownGroup, id)
	}
	return g, nil
}

// Groups returns the ids of every group the cluster has, sorted: groups
// with members, and groups without members that have committed offsets or
// a member id handed out with MEMBER_ID_REQUIRED.
func (c *Cluster) Groups() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.groups.groups))
	for id := range c.groups.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// GroupState returns a group's state as Kafka names it: "Empty",
// "PreparingRebalance", "CompletingRebalance" or "Stable".
func (c *Cluster) GroupState(group string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.groupFor(group)
	if err != nil {
		return "", err
	}
	return g.state.String(), nil
}

// GroupGeneration returns a group's generation: 0 before its first
// rebalance completes, then one more with each.
func (c *Cluster) GroupGeneration(group string) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.groupFor(group)
	if err != nil {
		return -1, err
	}
	return g.generation, nil
}

// GroupLeader returns the member id of a group's leader, "" when it has no
// members.
func (c *Cluster) GroupLeader(group string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.groupFor(group)
	if err != nil {
		return "", err
	}
	return g.leader, nil
}

// GroupMembers returns the members of a group in the order they joined.
// Assignments of a consumer group are decoded without the cluster lock.
func (c *Cluster) GroupMembers(group string) ([]GroupMember, error) {
	c.mu.Lock()
	g, err := c.groupFor(group)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	consumer := g.protocolType == assignor.ProtocolType
	var out []GroupMember
	for _, m := range g.sortedMembers() {
		gm := GroupMember{
			MemberID:         m.id,
			InstanceID:       m.instanceID,
			ClientID:         m.clientID,
			ClientHost:       m.clientHost,
			SessionTimeout:   m.sessionTimeout,
			RebalanceTimeout: m.rebalanceTimeout,
			Assignment:       clonePreservingNil(m.assignment),
		}
		for _, p := range m.protocols {
			gm.Protocols = append(gm.Protocols, p.name)
		}
		out = append(out, gm)
	}
	c.mu.Unlock()

	if consumer {
		for i := range out {
			gm := &out[i]
			if gm.Assignment == nil {
				continue
			}
			a, _, err := assignor.DecodeAssignment(gm.Assignment)
			if err != nil {
				gm.AssignmentErr = err
				continue
			}
			gm.Partitions = []samsa.TopicPartition{}
			for _, tp := range a.Partitions {
				for _, p := range tp.Partitions {
					gm.Partitions = append(gm.Partitions, samsa.TopicPartition{Topic: tp.Topic, Partition: p})
				}
			}
			slices.SortFunc(gm.Partitions, compareTopicPartitions)
		}
	}
	return out, nil
}

func compareTopicPartitions(a, b samsa.TopicPartition) int {
	switch {
	case a.Topic < b.Topic:
		return -1
	case a.Topic > b.Topic:
		return 1
	}
	return int(a.Partition) - int(b.Partition)
}

// CommittedOffsets returns a group's committed offsets. Commits for topics
// deleted since are not included.
func (c *Cluster) CommittedOffsets(group string) (map[samsa.TopicPartition]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.groupFor(group)
	if err != nil {
		return nil, err
	}
	out := make(map[samsa.TopicPartition]int64, len(g.offsets))
	for tp, co := range g.offsets {
		if c.liveCommitLocked(g, tp) {
			out[tp] = co.offset
		}
	}
	return out, nil
}

// GroupCoordinator returns the broker that coordinates a group (or
// transactional id), as FindCoordinator would answer; the error wraps
// kerr.CoordinatorNotAvailable when every broker that could is stopped.
func (c *Cluster) GroupCoordinator(group string) (int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return -1, samsa.ErrClosed
	}
	id, e := c.coordinatorLocked(group)
	if e != nil {
		return -1, fmt.Errorf("mockbroker: coordinator of %q: %w", group, e)
	}
	return id, nil
}
