package mockbroker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// handleOffsetCommit serves OffsetCommit v0-9 as Kafka's classic
// coordinator does. A member of the group commits with its member id and
// generation; a consumer that assigns partitions itself commits with
// generation -1 and no member id, which is accepted only while the group
// has no members (and creates the group, Empty, if it does not exist).
// Each partition stores its offset, leader epoch (v6+, -1 before) and
// metadata (null is stored as ""). Per-partition errors:
// UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE (over 4096 bytes),
// and the group's: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// ILLEGAL_GENERATION (a stale generation, or an unknown group before v9),
// GROUP_ID_NOT_FOUND (an unknown group, v9+), UNKNOWN_MEMBER_ID,
// FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS (the group is between its
// JoinGroup and SyncGroup phases); or an injected error (OnTopic and
// OnPartition narrow it). A member's commit also counts as a heartbeat.
func handleOffsetCommit(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.OffsetCommitRequest)
	resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c
	g, groupErr := rc.offsetCommitGroupLocked(r)
	registered := c.groupLocked(r.Group) == g
	for _, rt := range r.Topics {
		st := kmsg.NewOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		t := c.topics[rt.Topic]
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			e := rc.injected(rt.Topic, rp.Partition)
			switch {
			case e != nil:
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				e = kerr.UnknownTopicOrPartition
			case groupErr != nil:
				e = groupErr
			case rp.Metadata != nil && len(*rp.Metadata) > maxOffsetMetadata:
				e = kerr.OffsetMetadataTooLarge
			default:
				co := committedOffset{offset: rp.Offset, leaderEpoch: -1, topicID: t.id}
				if r.Version >= 6 {
					co.leaderEpoch = rp.LeaderEpoch
				}
				if rp.Metadata != nil {
					co.metadata = *rp.Metadata
				}
				g.offsets[samsa.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}] = co
				if !registered {
					c.addGroupLocked(g)
					registered = true
				}
			}
			if e != nil {
				sp.ErrorCode = e.Code
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// offsetCommitGroupLocked checks whether the request may commit to its
// group, as Kafka's ClassicGroup.validateOffsetCommit does, and returns the
// group (a new, not yet registered one for the first commit of a group
// without members) or the error every partition gets. c.mu must be held.
func (rc *reqCtx) offsetCommitGroupLocked(r *kmsg.OffsetCommitRequest) (*group, *kerr.Error) {
	if e := rc.groupErrLocked(r.Group, true); e != nil {
		return nil, e
	}
	g := rc.c.groupLocked(r.Group)
	if g == nil {
		switch {
		case r.Generation < 0:
			return newGroup(r.Group), nil
		case r.Version >= 9:
			return nil, kerr.GroupIDNotFound
		default:
			return nil, kerr.IllegalGeneration
		}
	}
	if r.Generation < 0 && g.state == groupEmpty {
		return g, nil
	}
	if r.Generation >= 0 || r.MemberID != "" || r.InstanceID != nil {
		var m *groupMember
		if r.InstanceID != nil {
			id, ok := g.static[*r.InstanceID]
			switch {
			case !ok:
				return nil, kerr.UnknownMemberID
			case id != r.MemberID:
				return nil, kerr.FencedInstanceID
			}
		}
		if m = g.members[r.MemberID]; m == nil {
			return nil, kerr.UnknownMemberID
		}
		if r.Generation != g.generation {
			return nil, kerr.IllegalGeneration
		}
		m.expires = time.Now().Add(m.sessionTimeout)
	} else if g.state != groupEmpty {
		return nil, kerr.UnknownMemberID
	}
	if g.state == groupCompletingRebalance {
		return nil, kerr.RebalanceInProgress
	}
	return g, nil
}
