package assignor

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holder is a simulated group member between rebalances.
type holder struct {
	id         string
	topics     []string
	held       []TopicPartitions
	generation int32
}

// subscribe builds the member's subscription for assignor a the way a
// consumer does: cooperative members report owned partitions and their
// generation; eager members report them only through the user data.
func (h holder) subscribe(a Assignor) Member {
	s := Subscription{Topics: h.topics, GenerationID: DefaultGeneration,
		UserData: a.SubscriptionUserData(h.topics, h.held, h.generation)}
	if slices.Contains(a.Protocols(), Cooperative) {
		s.OwnedPartitions = h.held
		s.GenerationID = h.generation
	}
	return Member{MemberID: h.id, Subscription: s}
}

func members(a Assignor, hs []holder) []Member {
	out := make([]Member, len(hs))
	for i, h := range hs {
		out[i] = h.subscribe(a)
	}
	return out
}

func count(a Assignment) int {
	n := 0
	for _, tp := range a.Partitions {
		n += len(tp.Partitions)
	}
	return n
}

func flatten(tps []TopicPartitions) map[samsa.TopicPartition]bool {
	out := map[samsa.TopicPartition]bool{}
	for _, tp := range tps {
		for _, p := range tp.Partitions {
			out[samsa.TopicPartition{Topic: tp.Topic, Partition: p}] = true
		}
	}
	return out
}

// checkValid asserts that no partition is assigned twice, that members only
// get partitions of topics they subscribe to, and, if complete, that every
// partition of every subscribed topic is assigned.
func checkValid(t *testing.T, metadata map[string]int32, ms []Member, out map[string]Assignment, complete bool) {
	t.Helper()
	require.Len(t, out, len(ms))
	seen := map[samsa.TopicPartition]string{}
	wanted := map[string]bool{}
	for _, m := range ms {
		a, ok := out[m.MemberID]
		require.True(t, ok, "member %s has no assignment", m.MemberID)
		for tp := range flatten(a.Partitions) {
			if !slices.Contains(m.Subscription.Topics, tp.Topic) {
				t.Fatalf("%s got %s without subscribing to it", m.MemberID, tp)
			}
			if tp.Partition < 0 || tp.Partition >= metadata[tp.Topic] {
				t.Fatalf("%s does not exist", tp)
			}
			if other, dup := seen[tp]; dup {
				t.Fatalf("%s assigned to %s and %s", tp, other, m.MemberID)
			}
			seen[tp] = m.MemberID
		}
		for _, topic := range m.Subscription.Topics {
			wanted[topic] = true
		}
	}
	if complete {
		for topic := range wanted {
			for p := range metadata[topic] {
				if _, ok := seen[samsa.TopicPartition{Topic: topic, Partition: p}]; !ok {
					t.Fatalf("%s-%d is not assigned", topic, p)
				}
			}
		}
	}
}

// checkBalanced asserts Java's balance criterion: a member with at least
// two partitions fewer than another cannot take any of that member's.
func checkBalanced(t *testing.T, ms []Member, out map[string]Assignment) {
	t.Helper()
	for _, a := range ms {
		for _, b := range ms {
			if count(out[a.MemberID]) > count(out[b.MemberID])-2 {
				continue
			}
			for _, tp := range out[b.MemberID].Partitions {
				if slices.Contains(a.Subscription.Topics, tp.Topic) {
					t.Fatalf("unbalanced: %s has %d, %s has %d including %s", a.MemberID, count(out[a.MemberID]),
						b.MemberID, count(out[b.MemberID]), tp.Topic)
				}
			}
		}
	}
}

// moved counts partitions whose owner changed between two assignments.
func moved(before, after map[string]Assignment) int {
	owner := map[samsa.TopicPartition]string{}
	for id, a := range before {
		for tp := range flatten(a.Partitions) {
			owner[tp] = id
		}
	}
	n := 0
	for id, a := range after {
		for tp := range flatten(a.Partitions) {
			if o, ok := owner[tp]; ok && o != id {
				n++
			}
		}
	}
	return n
}

func adopt(hs []holder, out map[string]Assignment, generation int32) []holder {
	next := slices.Clone(hs)
	for i := range next {
		next[i].held = out[next[i].id].Partitions
		next[i].generation = generation
	}
	return next
}

func stickyAssignors() []Assignor { return []Assignor{Sticky(), CooperativeSticky()} }

func TestStickyJavadocEqualSubscriptions(t *testing.T) {
	metadata := map[string]int32{"t0": 2, "t1": 2, "t2": 2, "t3": 2}
	all := []string{"t0", "t1", "t2", "t3"}
	for _, a := range stickyAssignors() {
		t.Run(a.Name(), func(t *testing.T) {
			hs := []holder{{id: "C0", topics: all, generation: -1}, {id: "C1", topics: all, generation: -1}, {id: "C2", topics: all, generation: -1}}
			first, err := a.Assign(metadata, members(a, hs))
			require.NoError(t, err)
			checkValid(t, metadata, members(a, hs), first, true)
			assert.ElementsMatch(t, []int{3, 3, 2}, []int{count(first["C0"]), count(first["C1"]), count(first["C2"])})

			// C1 leaves: C0 and C2 keep everything and share C1's partitions.
			hs = adopt(hs, first, 1)
			rest := []holder{hs[0], hs[2]}
			second, err := a.Assign(metadata, members(a, rest))
			require.NoError(t, err)
			checkValid(t, metadata, members(a, rest), second, true)
			assert.Equal(t, 4, count(second["C0"]))
			assert.Equal(t, 4, count(second["C2"]))
			assert.Subset(t, keys(flatten(second["C0"].Partitions)), keys(flatten(first["C0"].Partitions)))
			assert.Subset(t, keys(flatten(second["C2"].Partitions)), keys(flatten(first["C2"].Partitions)))
		})
	}
}

func keys(m map[samsa.TopicPartition]bool) []samsa.TopicPartition {
	return slices.Collect(maps.Keys(m))
}

func TestStickyJavadocDifferentSubscriptions(t *testing.T) {
	metadata := map[string]int32{"t0": 1, "t1": 2, "t2": 3}
	for _, a := range stickyAssignors() {
		t.Run(a.Name(), func(t *testing.T) {
			hs := []holder{
				{id: "C0", topics: []string{"t0"}, generation: -1},
				{id: "C1", topics: []string{"t0", "t1"}, generation: -1},
				{id: "C2", topics: []string{"t0", "t1", "t2"}, generation: -1},
			}
			first, err := a.Assign(metadata, members(a, hs))
			require.NoError(t, err)
			assert.Equal(t, map[string][]string{
				"C0": {"t0-0"}, "C1": {"t1-0", "t1-1"}, "C2": {"t2-0", "t2-1", "t2-2"},
			}, plan(first))

			// C0 leaves: its partition goes to C1; nothing else moves
			// (round robin would move t1-0 to C2).
			hs = adopt(hs, first, 1)
			rest := hs[1:]
			second, err := a.Assign(metadata, members(a, rest))
			require.NoError(t, err)
			assert.Equal(t, map[string][]string{
				"C1": {"t0-0", "t1-0", "t1-1"}, "C2": {"t2-0", "t2-1", "t2-2"},
			}, plan(second))
		})
	}
}

// randomHolders returns a random group; with equal set, everyone subscribes
// to every topic.
func randomHolders(rng *rand.Rand, equal bool) (map[string]int32, []holder) {
	metadata := map[string]int32{}
	var topics []string
	for i := range 1 + rng.IntN(5) {
		name := fmt.Sprintf("t%d", i)
		topics = append(topics, name)
		metadata[name] = int32(1 + rng.IntN(15))
	}
	var hs []holder
	for i := range 1 + rng.IntN(8) {
		hs = append(hs, holder{id: fmt.Sprintf("m%02d", i), topics: randomTopics(rng, topics, equal), generation: -1})
	}
	return metadata, hs
}

func randomTopics(rng *rand.Rand, topics []string, equal bool) []string {
	if equal {
		return slices.Clone(topics)
	}
	var subs []string
	for _, tp := range topics {
		if rng.IntN(2) == 0 {
			subs = append(subs, tp)
		}
	}
	if len(subs) == 0 {
		subs = []string{topics[rng.IntN(len(topics))]}
	}
	return subs
}

// perturb removes, adds and resubscribes members at random.
func perturb(rng *rand.Rand, metadata map[string]int32, hs []holder, equal bool, next *int) []holder {
	topics := slices.Sorted(maps.Keys(metadata))
	var out []holder
	for _, h := range hs {
		switch rng.IntN(6) {
		case 0: // leaves
		case 1:
			if !equal {
				h.topics = randomTopics(rng, topics, false)
			}
			out = append(out, h)
		default:
			out = append(out, h)
		}
	}
	for range rng.IntN(3) {
		*next++
		out = append(out, holder{id: fmt.Sprintf("n%02d", *next), topics: randomTopics(rng, topics, equal), generation: -1})
	}
	if len(out) == 0 {
		out = append(out, holder{id: "solo", topics: topics, generation: -1})
	}
	return out
}

// TestStickyProperties runs the sticky assignor over many random groups and
// membership changes: every assignment is valid, complete and balanced, and
// feeding an assignment back as the held partitions reproduces it.
func TestStickyProperties(t *testing.T) {
	a := Sticky()
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 99))
		equal := seed%2 == 0
		metadata, hs := randomHolders(rng, equal)
		next := 0
		for round := int32(1); round <= 4; round++ {
			ms := members(a, hs)
			out, err := a.Assign(metadata, ms)
			require.NoError(t, err)
			checkValid(t, metadata, ms, out, true)
			checkBalanced(t, ms, out)
			if equal {
				counts := []int{}
				for _, as := range out {
					counts = append(counts, count(as))
				}
				require.LessOrEqual(t, slices.Max(counts)-slices.Min(counts), 1, "seed %d round %d", seed, round)
			}
			hs = adopt(hs, out, round)
			again, err := a.Assign(metadata, members(a, hs))
			require.NoError(t, err)
			require.Equal(t, plan(out), plan(again), "not stable, seed %d round %d", seed, round)
			hs = perturb(rng, metadata, hs, equal, &next)
		}
	}
}

// TestStickyMinimalMovement: with equal subscriptions, a joining member
// takes partitions only from others (nobody else swaps; the cooperative
// assignor withholds them for a round, so nothing moves at all), and a
// leaving member's partitions are the only ones that move.
func TestStickyMinimalMovement(t *testing.T) {
	for _, a := range stickyAssignors() {
		t.Run(a.Name(), func(t *testing.T) {
			for seed := range uint64(200) {
				rng := rand.New(rand.NewPCG(seed, 7))
				metadata, hs := randomHolders(rng, true)
				out, err := a.Assign(metadata, members(a, hs))
				require.NoError(t, err)
				hs = adopt(hs, out, 1)

				joined := append(slices.Clone(hs), holder{id: "zz-new", topics: hs[0].topics, generation: -1})
				afterJoin, err := a.Assign(metadata, members(a, joined))
				require.NoError(t, err)
				require.Equal(t, count(afterJoin["zz-new"]), moved(out, afterJoin), "join, seed %d", seed)

				if len(hs) < 2 {
					continue
				}
				leaver := rng.IntN(len(hs))
				left := slices.Delete(slices.Clone(hs), leaver, leaver+1)
				afterLeave, err := a.Assign(metadata, members(a, left))
				require.NoError(t, err)
				require.Equal(t, count(out[hs[leaver].id]), moved(out, afterLeave), "leave, seed %d", seed)
				for _, h := range left {
					assert.Subset(t, keys(flatten(afterLeave[h.id].Partitions)), keys(flatten(out[h.id].Partitions)))
				}
			}
		})
	}
}

// TestCooperativeTwoPhase simulates KIP-429 rebalances over random groups:
// in no round does a member receive a partition another member still
// holds, and after each membership change the group settles within two
// rounds on a complete, balanced assignment.
func TestCooperativeTwoPhase(t *testing.T) {
	a := CooperativeSticky()
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 5))
		equal := seed%2 == 1
		metadata, hs := randomHolders(rng, equal)
		next := 0
		generation := int32(0)
		for change := 0; change < 4; change++ {
			settled := false
			for round := 0; round < 3; round++ {
				generation++
				ms := members(a, hs)
				out, err := a.Assign(metadata, ms)
				require.NoError(t, err)
				checkValid(t, metadata, ms, out, false)
				holders := map[samsa.TopicPartition][]string{}
				for _, h := range hs {
					for tp := range flatten(h.held) {
						holders[tp] = append(holders[tp], h.id)
					}
				}
				for _, m := range ms {
					for tp := range flatten(out[m.MemberID].Partitions) {
						for _, other := range holders[tp] {
							if other != m.MemberID {
								t.Fatalf("seed %d: %s given to %s while %s holds it", seed, tp, m.MemberID, other)
							}
						}
					}
				}
				revoked := false
				for _, h := range hs {
					now := flatten(out[h.id].Partitions)
					for tp := range flatten(h.held) {
						if !now[tp] {
							revoked = true
						}
					}
				}
				complete := true
				assigned := 0
				for _, as := range out {
					assigned += count(as)
				}
				wanted := map[string]bool{}
				for _, h := range hs {
					for _, topic := range h.topics {
						wanted[topic] = true
					}
				}
				total := 0
				for topic := range wanted {
					total += int(metadata[topic])
				}
				complete = assigned == total
				hs = adopt(hs, out, generation)
				if !revoked && complete {
					checkValid(t, metadata, ms, out, true)
					checkBalanced(t, ms, out)
					settled = true
					break
				}
			}
			require.True(t, settled, "seed %d change %d did not settle in 3 rounds", seed, change)
			hs = perturb(rng, metadata, hs, equal, &next)
		}
	}
}

func TestGenerationConflicts(t *testing.T) {
	metadata := map[string]int32{"t": 4}
	sub := func(id string, gen int32, parts ...int32) Member {
		return Member{MemberID: id, Subscription: Subscription{Topics: []string{"t"}, GenerationID: gen,
			OwnedPartitions: []TopicPartitions{{Topic: "t", Partitions: parts}}}}
	}
	t.Run("higher generation keeps the partition", func(t *testing.T) {
		out, err := CooperativeSticky().Assign(metadata, []Member{sub("a", 5, 0, 1), sub("b", 4, 1, 2)})
		require.NoError(t, err)
		got := plan(out)
		assert.Contains(t, got["a"], "t-0")
		assert.Contains(t, got["a"], "t-1")
		// b held t-2 (uncontested) and keeps it; t-1 is a's.
		assert.Contains(t, got["b"], "t-2")
		assert.NotContains(t, got["b"], "t-1")
	})
	t.Run("same generation: nobody gets it this round", func(t *testing.T) {
		out, err := CooperativeSticky().Assign(metadata, []Member{sub("a", 5, 0, 1), sub("b", 5, 1, 2)})
		require.NoError(t, err)
		for id, list := range plan(out) {
			assert.NotContains(t, list, "t-1", "member %s", id)
		}
		// Eager sticky with the same claims reassigns it at once.
		ua := Sticky().SubscriptionUserData(nil, []TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}}, 5)
		ub := Sticky().SubscriptionUserData(nil, []TopicPartitions{{Topic: "t", Partitions: []int32{1, 2}}}, 5)
		eager, err := Sticky().Assign(metadata, []Member{
			{MemberID: "a", Subscription: Subscription{Topics: []string{"t"}, UserData: ua}},
			{MemberID: "b", Subscription: Subscription{Topics: []string{"t"}, UserData: ub}},
		})
		require.NoError(t, err)
		assert.Equal(t, 2, count(eager["a"]))
		assert.Equal(t, 2, count(eager["b"]))
		assert.Contains(t, plan(eager)["a"], "t-0")
		assert.Contains(t, plan(eager)["b"], "t-2")
	})
	t.Run("stale claims of nonexistent partitions are ignored", func(t *testing.T) {
		out, err := CooperativeSticky().Assign(metadata, []Member{sub("a", 3, 0, 9, -1), {MemberID: "b", Subscription: Subscription{
			Topics: []string{"t"}, GenerationID: 3, OwnedPartitions: []TopicPartitions{{Topic: "gone", Partitions: []int32{0}}}}}})
		require.NoError(t, err)
		assert.Equal(t, 2, count(out["a"]))
		assert.Equal(t, 2, count(out["b"]))
	})
}

// TestCooperativeGenerationFromUserData: members writing subscriptions
// before v2 carry their generation in the cooperative user data.
func TestCooperativeGenerationFromUserData(t *testing.T) {
	metadata := map[string]int32{"t": 2}
	a := CooperativeSticky()
	mk := func(id string, gen int32) Member {
		return Member{MemberID: id, Subscription: Subscription{Topics: []string{"t"}, GenerationID: DefaultGeneration,
			UserData:        a.SubscriptionUserData(nil, nil, gen),
			OwnedPartitions: []TopicPartitions{{Topic: "t", Partitions: []int32{0}}}}}
	}
	out, err := a.Assign(metadata, []Member{mk("old", 2), mk("new", 3)})
	require.NoError(t, err)
	assert.Equal(t, []string{"t-0"}, plan(out)["new"])
	assert.NotContains(t, plan(out)["old"], "t-0")
}

func TestSubscriptionUserData(t *testing.T) {
	owned := []TopicPartitions{{Topic: "b", Partitions: []int32{1}}, {Topic: "a", Partitions: []int32{3, 2}}}
	assert.Nil(t, Range().SubscriptionUserData([]string{"a"}, owned, 3))
	assert.Nil(t, RoundRobin().SubscriptionUserData([]string{"a"}, owned, 3))

	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, CooperativeSticky().SubscriptionUserData(nil, nil, DefaultGeneration))
	assert.Equal(t, binary.BigEndian.AppendUint32(nil, 12), CooperativeSticky().SubscriptionUserData(nil, owned, 12))

	assert.Nil(t, Sticky().SubscriptionUserData([]string{"a"}, nil, DefaultGeneration))
	ud := Sticky().SubscriptionUserData([]string{"a", "b"}, owned, 7)
	got, gen, err := decodeStickyUserData(ud)
	require.NoError(t, err)
	assert.Equal(t, int32(7), gen)
	assert.Equal(t, []TopicPartitions{{Topic: "a", Partitions: []int32{2, 3}}, {Topic: "b", Partitions: []int32{1}}}, got)
	// Held nothing but has a generation: still v1, with an empty list.
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 4}, Sticky().SubscriptionUserData(nil, nil, 4))
}

func TestStickyIgnoresUnparsableUserData(t *testing.T) {
	out, err := Sticky().Assign(map[string]int32{"t": 2}, []Member{
		{MemberID: "a", Subscription: Subscription{Topics: []string{"t"}, UserData: []byte{0, 0, 0, 9, 1}}},
		{MemberID: "b", Subscription: Subscription{Topics: []string{"t"}, UserData: []byte{}}},
	})
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"a": {"t-0"}, "b": {"t-1"}}, plan(out))
}

func TestStickyNoPartitionsOrMembers(t *testing.T) {
	for _, a := range stickyAssignors() {
		out, err := a.Assign(map[string]int32{"t": 0}, []Member{dyn("a", "t"), dyn("b", "x")})
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{"a": {}, "b": {}}, plan(out))
		out, err = a.Assign(map[string]int32{"t": 3}, nil)
		require.NoError(t, err)
		assert.Empty(t, out)
	}
}
