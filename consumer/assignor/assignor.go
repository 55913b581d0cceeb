package assignor

import (
	"fmt"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/samsa-go/samsa"
)

// RebalanceProtocol is how members give up partitions in a rebalance.
type RebalanceProtocol int8

const (
	// Eager: every member revokes all its partitions before it rejoins;
	// the group stops consuming until the new assignment arrives.
	Eager RebalanceProtocol = 0
	// Cooperative (KIP-429): members keep their partitions through the
	// rebalance and revoke only those the new assignment takes away; a
	// partition that changes owner takes two rebalances.
	Cooperative RebalanceProtocol = 1
)

// String returns "EAGER" or "COOPERATIVE", Java's names.
func (p RebalanceProtocol) String() string {
	switch p {
	case Eager:
		return "EAGER"
	case Cooperative:
		return "COOPERATIVE"
	}
	return fmt.Sprintf("RebalanceProtocol(%d)", int8(p))
}

// Member is one member of the group as the leader sees it in the JoinGroup
// response.
type Member struct {
	// MemberID is the id the coordinator gave the member.
	MemberID string
	// GroupInstanceID is the member's static id (group.instance.id,
	// KIP-345); "" for a dynamic member.
	GroupInstanceID string
	// Subscription is the member's decoded metadata for this protocol.
	Subscription Subscription
}

// Assignor computes the group's assignment on the leader, shaped after
// Java's ConsumerPartitionAssignor so that samsa, Java and sarama members
// can share a group.
//
// Implementations must be safe for concurrent use; the built-ins are
// stateless (the state sticky assignors need travels in the subscription)
// and can be shared by any number of consumers and groups.
type Assignor interface {
	// Name is the protocol name on the wire ("range", "roundrobin",
	// "sticky", "cooperative-sticky"); every member must offer it for the
	// group to use it.
	Name() string
	// Protocols lists the rebalance protocols the assignor supports, lowest
	// first. A consumer uses the highest protocol that all of its
	// configured assignors support.
	Protocols() []RebalanceProtocol
	// SubscriptionUserData returns the user data a member puts in its
	// subscription for this assignor, given the topics it subscribes to,
	// the partitions it holds and the generation they were assigned in
	// (DefaultGeneration if none). nil means none.
	SubscriptionUserData(topics []string, owned []TopicPartitions, generation int32) []byte
	// Assign computes an assignment for every member, keyed by member id;
	// every member gets an entry, possibly empty. metadata maps each topic
	// to its number of partitions; subscribed topics missing from it are
	// skipped, as Java skips topics without metadata. members may come in
	// any order. Invalid input (an empty or repeated member id, a negative
	// partition count) returns an *InputError.
	Assign(metadata map[string]int32, members []Member) (map[string]Assignment, error)
}

// InputError reports input Assign cannot work with. The members and the
// partition counts come from broker responses (JoinGroup, Metadata), so it
// wraps samsa.ErrMalformedResponse.
type InputError struct {
	// Reason says what is wrong.
	Reason string
}

func (e *InputError) Error() string { return "samsa: cannot assign partitions: " + e.Reason }

// Unwrap returns samsa.ErrMalformedResponse.
func (e *InputError) Unwrap() error { return samsa.ErrMalformedResponse }

// javaCompare orders strings as Java's String.compareTo does: by UTF-16
// code units. It differs from Go's byte order only between supplementary
// characters (surrogate pairs, 0xD800-0xDBFF as first unit) and BMP
// characters in U+E000-U+FFFF.
func javaCompare(a, b string) int {
	for len(a) > 0 && len(b) > 0 {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return compareInt(ua, ub)
			}
			// Same high surrogate: the low surrogates decide.
			return compareInt(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return compareInt(len(a), len(b))
}

func firstUnit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

func compareInt[T int | rune](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareMembers is Java's MemberInfo order: static members first, by
// group.instance.id, then dynamic members by member id. Ties (two members
// claiming one instance id) fall back to the member id, for determinism.
func compareMembers(a, b *Member) int {
	as, bs := a.GroupInstanceID != "", b.GroupInstanceID != ""
	switch {
	case as && bs:
		if c := javaCompare(a.GroupInstanceID, b.GroupInstanceID); c != 0 {
			return c
		}
	case as:
		return -1
	case bs:
		return 1
	}
	return javaCompare(a.MemberID, b.MemberID)
}

// group is the validated, indexed input shared by all assignors. Members
// are in Java's MemberInfo order; topics are the union of the subscribed
// topics that have metadata, sorted; partitions are numbered globally in
// (topic, partition) order.
type group struct {
	members []Member
	// subscribed[m] lists member m's topics (indexes into topics), sorted,
	// without duplicates or topics lacking metadata.
	subscribed [][]int
	topics     []string
	topicIndex map[string]int
	// first[t] is the global index of partition 0 of topic t; first has one
	// extra entry, the total number of partitions.
	first []int
}

func newGroup(metadata map[string]int32, members []Member) (*group, error) {
	for topic, n := range metadata {
		if n < 0 {
			return nil, &InputError{Reason: fmt.Sprintf("topic %q has a negative partition count %d", topic, n)}
		}
	}
	g := &group{members: slices.Clone(members), topicIndex: map[string]int{}}
	seen := make(map[string]bool, len(members))
	for i := range g.members {
		id := g.members[i].MemberID
		if id == "" {
			return nil, &InputError{Reason: "a member has an empty member id"}
		}
		if seen[id] {
			return nil, &InputError{Reason: fmt.Sprintf("member id %q appears twice", id)}
		}
		seen[id] = true
	}
	slices.SortFunc(g.members, func(a, b Member) int { return compareMembers(&a, &b) })

	for i := range g.members {
		for _, t := range g.members[i].Subscription.Topics {
			if _, ok := metadata[t]; ok {
				g.topicIndex[t] = 0
			}
		}
	}
	g.topics = make([]string, 0, len(g.topicIndex))
	for t := range g.topicIndex {
		g.topics = append(g.topics, t)
	}
	sort.Strings(g.topics) // topic names are ASCII, so byte order is Java's order
	g.first = make([]int, len(g.topics)+1)
	for i, t := range g.topics {
		g.topicIndex[t] = i
		g.first[i+1] = g.first[i] + int(metadata[t])
	}
	g.subscribed = make([][]int, len(g.members))
	for i := range g.members {
		var ts []int
		for _, t := range g.members[i].Subscription.Topics {
			if ti, ok := g.topicIndex[t]; ok {
				ts = append(ts, ti)
			}
		}
		slices.Sort(ts)
		g.subscribed[i] = slices.Compact(ts)
	}
	return g, nil
}

func (g *group) numPartitions() int { return g.first[len(g.first)-1] }

// topicOf returns the topic index of global partition p.
func (g *group) topicOf(p int) int {
	return sort.Search(len(g.topics), func(t int) bool { return g.first[t+1] > p })
}

// global returns the global index of tp, or -1 if the topic has no metadata
// or the partition does not exist.
func (g *group) global(topic string, partition int32) int {
	t, ok := g.topicIndex[topic]
	if !ok || partition < 0 || int(partition) >= g.first[t+1]-g.first[t] {
		return -1
	}
	return g.first[t] + int(partition)
}

func (g *group) subscribes(m, t int) bool {
	_, ok := slices.BinarySearch(g.subscribed[m], t)
	return ok
}

// result turns per-member lists of global partitions into assignments:
// topics sorted, partitions ascending. Every member gets an entry.
func (g *group) result(assigned [][]int) map[string]Assignment {
	out := make(map[string]Assignment, len(g.members))
	for m := range g.members {
		ps := slices.Clone(assigned[m])
		slices.Sort(ps)
		var a Assignment
		for _, p := range ps {
			t := g.topicOf(p)
			if len(a.Partitions) == 0 || a.Partitions[len(a.Partitions)-1].Topic != g.topics[t] {
				a.Partitions = append(a.Partitions, TopicPartitions{Topic: g.topics[t]})
			}
			last := &a.Partitions[len(a.Partitions)-1]
			last.Partitions = append(last.Partitions, int32(p-g.first[t]))
		}
		out[g.members[m].MemberID] = a
	}
	return out
}
