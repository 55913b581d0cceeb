package assignor

import (
	"encoding/binary"
	"slices"
)

// Sticky returns Java's StickyAssignor (protocol name "sticky", eager only).
//
// Its goals, in order: the assignment is as balanced as possible (partition
// counts differ by at most one, or, when subscriptions differ, no member
// with at least two partitions fewer than another could take any of that
// member's partitions), and as many partitions as possible stay with the
// member that held them. Eager members revoke everything before they
// rejoin, so each member reports what it held in its subscription user
// data (StickyAssignorUserData: the partitions plus the generation they
// were assigned in), which [Assignor.SubscriptionUserData] builds.
//
// When two members claim the same partition, the claim from the higher
// generation wins; claims from the same generation are both dropped and the
// partition is reassigned. When all members subscribe to the same topics
// the assignment follows Java's quota algorithm exactly: each member keeps
// up to floor(P/C) or ceil(P/C) of its partitions (sorted by partition
// number, then topic) and the rest are dealt round robin, in member id
// order, to members below their quota. Otherwise members keep what they
// still subscribe to, the rest goes to the least loaded eligible members,
// and partitions move (newly dealt ones before held ones) from a member to
// an eligible member with at least two fewer until none can. Java's
// rack-aware passes need replica racks, which the assignor is not given.
//
// Stateless and safe for concurrent use.
func Sticky() Assignor { return stickyAssignor{} }

// CooperativeSticky returns Java's CooperativeStickyAssignor (protocol name
// "cooperative-sticky", cooperative and eager), the assignor of KIP-429
// incremental rebalancing.
//
// It computes the same assignment as [Sticky], reading what each member
// holds from Subscription.OwnedPartitions and the generation from
// Subscription.GenerationID (or, for subscriptions before v2, from the
// 4-byte generation in its user data). Then it applies the two-phase rule:
// a partition that some other member still holds is left out of the
// assignment of its new owner, so the holder revokes it first and it is
// assigned in the next rebalance, which the revoking member triggers by
// rejoining. A partition is therefore never owned by two members at once,
// and a partition claimed by two members of the same generation is given
// to nobody until both have let go of it.
//
// Stateless and safe for concurrent use.
func CooperativeSticky() Assignor { return stickyAssignor{cooperative: true} }

type stickyAssignor struct{ cooperative bool }

func (s stickyAssignor) Name() string {
	if s.cooperative {
		return "cooperative-sticky"
	}
	return "sticky"
}

func (s stickyAssignor) Protocols() []RebalanceProtocol {
	if s.cooperative {
		return []RebalanceProtocol{Eager, Cooperative}
	}
	return []RebalanceProtocol{Eager}
}

// SubscriptionUserData returns, for "sticky", StickyAssignorUserData v1
// (the held partitions and the generation), or nil for a member that holds
// nothing from any generation; for "cooperative-sticky", the generation as
// a 4-byte big-endian int32, as Java writes them.
func (s stickyAssignor) SubscriptionUserData(_ []string, owned []TopicPartitions, generation int32) []byte {
	if s.cooperative {
		return binary.BigEndian.AppendUint32(nil, uint32(generation))
	}
	if generation < 0 && len(owned) == 0 {
		return nil
	}
	return encodeStickyUserData(normalizeOwned(owned), generation)
}

const stickyUserDataName = "StickyAssignorUserData"

// encodeStickyUserData writes StickyAssignorUserData v1:
// [{topic string, partitions [int32]}] followed by the generation.
func encodeStickyUserData(owned []TopicPartitions, generation int32) []byte {
	b := appendTopicPartitionsArray(make([]byte, 0, 32), owned)
	return appendInt32(b, generation)
}

// decodeStickyUserData reads StickyAssignorUserData v1, or v0 (no
// generation) when no generation follows the partitions; the version is not
// on the wire, so Java tries v1 first and falls back to v0. Bytes after the
// generation are ignored.
func decodeStickyUserData(b []byte) (owned []TopicPartitions, generation int32, err error) {
	r := reader{b: b, what: stickyUserDataName}
	owned = r.topicPartitionsArray("previous_assignment")
	if r.err != nil {
		return nil, DefaultGeneration, r.err
	}
	if r.remaining() < 4 {
		return owned, DefaultGeneration, nil
	}
	return owned, r.int32("generation"), nil
}

// claims is what one member says it holds, as global partition indexes.
type claims struct {
	partitions []int
	generation int32
}

// memberClaims extracts member m's held partitions and generation the way
// Java's memberData does for the assignor in use. Partitions of topics
// without metadata, or beyond the partition count, are dropped.
func (s stickyAssignor) memberClaims(g *group, m int) claims {
	sub := &g.members[m].Subscription
	var owned []TopicPartitions
	c := claims{generation: DefaultGeneration}
	if s.cooperative {
		owned = sub.OwnedPartitions
		switch {
		case sub.GenerationID >= 0:
			c.generation = sub.GenerationID
		case len(sub.UserData) >= 4:
			c.generation = int32(binary.BigEndian.Uint32(sub.UserData))
		}
	} else if len(sub.UserData) > 0 {
		// Unparsable user data means no previous assignment, as in Java.
		var err error
		if owned, c.generation, err = decodeStickyUserData(sub.UserData); err != nil {
			owned, c.generation = nil, DefaultGeneration
		}
	}
	for _, tp := range owned {
		for _, p := range tp.Partitions {
			if gp := g.global(tp.Topic, p); gp >= 0 {
				c.partitions = append(c.partitions, gp)
			}
		}
	}
	slices.Sort(c.partitions)
	c.partitions = slices.Compact(c.partitions)
	return c
}

func (s stickyAssignor) Assign(metadata map[string]int32, members []Member) (map[string]Assignment, error) {
	g, err := newGroup(metadata, members)
	if err != nil {
		return nil, err
	}
	if len(g.members) == 0 {
		return map[string]Assignment{}, nil
	}
	numP := g.numPartitions()

	// Resolve claims in member order. claimant is the last member whose
	// claim was considered; owner the member that keeps the partition.
	owner := make([]int32, numP)
	claimant := make([]int32, numP)
	for p := range owner {
		owner[p], claimant[p] = -1, -1
	}
	claimed := make([]bool, numP)
	contested := make([]bool, numP) // claimed by two members of one generation
	gens := make([]int32, len(g.members))
	for m := range g.members {
		c := s.memberClaims(g, m)
		gens[m] = c.generation
		for _, p := range c.partitions {
			claimed[p] = true
			prev := claimant[p]
			switch {
			case prev < 0:
				owner[p], claimant[p] = int32(m), int32(m)
			case gens[m] == gens[prev]:
				contested[p] = true
				owner[p], claimant[p] = -1, int32(m)
			case gens[m] > gens[prev]:
				owner[p], claimant[p] = int32(m), int32(m)
			}
		}
	}
	held := make([][]int, len(g.members))
	for p, o := range owner {
		if o >= 0 && !contested[p] {
			held[o] = append(held[o], p)
		}
	}

	var assigned [][]int
	if allSubscriptionsEqual(g.members) {
		assigned = constrainedAssign(g, held)
	} else {
		assigned = generalAssign(g, held)
	}

	if s.cooperative {
		// KIP-429: a partition some other member still holds (or that two
		// members claimed) is withheld from its new owner for this round.
		for m := range assigned {
			assigned[m] = slices.DeleteFunc(assigned[m], func(p int) bool {
				return claimed[p] && (owner[p] != int32(m) || contested[p])
			})
		}
	}
	return g.result(assigned), nil
}

// allSubscriptionsEqual reports whether every member subscribes to the same
// set of topics (as sent, whether or not they have metadata).
func allSubscriptionsEqual(members []Member) bool {
	norm := func(ts []string) []string {
		ts = slices.Clone(ts)
		slices.Sort(ts)
		return slices.Compact(ts)
	}
	first := norm(members[0].Subscription.Topics)
	for i := 1; i < len(members); i++ {
		if !slices.Equal(first, norm(members[i].Subscription.Topics)) {
			return false
		}
	}
	return true
}
