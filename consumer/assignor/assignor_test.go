package assignor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/IBM/sarama"
	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dyn(id string, topics ...string) Member {
	return Member{MemberID: id, Subscription: Subscription{Topics: topics, GenerationID: DefaultGeneration}}
}

func static(id, instance string, topics ...string) Member {
	m := dyn(id, topics...)
	m.GroupInstanceID = instance
	return m
}

// plan flattens an assignment to member → ["topic-partition", ...].
func plan(out map[string]Assignment) map[string][]string {
	res := make(map[string][]string, len(out))
	for id, a := range out {
		list := []string{}
		for _, tp := range a.Partitions {
			for _, p := range tp.Partitions {
				list = append(list, samsa.TopicPartition{Topic: tp.Topic, Partition: p}.String())
			}
		}
		res[id] = list
	}
	return res
}

func TestRangeJavaExamples(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metadata map[string]int32
		members  []Member
		want     map[string][]string
	}{
		{
			"javadoc: two topics of three partitions, two members",
			map[string]int32{"t0": 3, "t1": 3},
			[]Member{dyn("C1", "t0", "t1"), dyn("C0", "t0", "t1")},
			map[string][]string{"C0": {"t0-0", "t0-1", "t1-0", "t1-1"}, "C1": {"t0-2", "t1-2"}},
		},
		{
			"one topic, three partitions, two members",
			map[string]int32{"t": 3},
			[]Member{dyn("c0", "t"), dyn("c1", "t")},
			map[string][]string{"c0": {"t-0", "t-1"}, "c1": {"t-2"}},
		},
		{
			"mixed subscriptions",
			map[string]int32{"t1": 3, "t2": 2},
			[]Member{dyn("consumer1", "t1"), dyn("consumer2", "t1", "t2"), dyn("consumer3", "t1")},
			map[string][]string{"consumer1": {"t1-0"}, "consumer2": {"t1-1", "t2-0", "t2-1"}, "consumer3": {"t1-2"}},
		},
		{
			"more members than partitions; unknown topic skipped",
			map[string]int32{"t": 2},
			[]Member{dyn("a", "t", "missing"), dyn("b", "t"), dyn("c", "t")},
			map[string][]string{"a": {"t-0"}, "b": {"t-1"}, "c": {}},
		},
		{
			"static members first, by instance id",
			map[string]int32{"t": 5},
			[]Member{dyn("a-dynamic", "t"), static("z-member", "inst-2", "t"), static("y-member", "inst-1", "t")},
			map[string][]string{"y-member": {"t-0", "t-1"}, "z-member": {"t-2", "t-3"}, "a-dynamic": {"t-4"}},
		},
		{
			"no members",
			map[string]int32{"t": 5},
			nil,
			map[string][]string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Range().Assign(tc.metadata, tc.members)
			require.NoError(t, err)
			assert.Equal(t, tc.want, plan(out))
		})
	}
}

func TestRoundRobinJavaExamples(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metadata map[string]int32
		members  []Member
		want     map[string][]string
	}{
		{
			"javadoc: same subscriptions",
			map[string]int32{"t0": 3, "t1": 3},
			[]Member{dyn("C0", "t0", "t1"), dyn("C1", "t0", "t1")},
			map[string][]string{"C0": {"t0-0", "t0-2", "t1-1"}, "C1": {"t0-1", "t1-0", "t1-2"}},
		},
		{
			"javadoc: different subscriptions",
			map[string]int32{"t0": 1, "t1": 2, "t2": 3},
			[]Member{dyn("C0", "t0"), dyn("C1", "t0", "t1"), dyn("C2", "t0", "t1", "t2")},
			map[string][]string{"C0": {"t0-0"}, "C1": {"t1-0"}, "C2": {"t1-1", "t2-0", "t2-1", "t2-2"}},
		},
		{
			"cursor is not reset per topic",
			map[string]int32{"a": 1, "b": 3},
			[]Member{dyn("m1", "a", "b"), dyn("m2", "a", "b"), dyn("m3", "b")},
			map[string][]string{"m1": {"a-0", "b-2"}, "m2": {"b-0"}, "m3": {"b-1"}},
		},
		{
			"static members first",
			map[string]int32{"t": 3},
			[]Member{dyn("a", "t"), static("b", "s", "t")},
			map[string][]string{"b": {"t-0", "t-2"}, "a": {"t-1"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := RoundRobin().Assign(tc.metadata, tc.members)
			require.NoError(t, err)
			assert.Equal(t, tc.want, plan(out))
		})
	}
}

func TestAssignInputErrors(t *testing.T) {
	for _, a := range []Assignor{Range(), RoundRobin(), Sticky(), CooperativeSticky()} {
		for _, tc := range []struct {
			name     string
			metadata map[string]int32
			members  []Member
		}{
			{"duplicate member", map[string]int32{"t": 1}, []Member{dyn("a", "t"), dyn("a", "t")}},
			{"empty member id", map[string]int32{"t": 1}, []Member{dyn("", "t")}},
			{"negative partition count", map[string]int32{"t": -1}, []Member{dyn("a", "t")}},
		} {
			t.Run(a.Name()+"/"+tc.name, func(t *testing.T) {
				_, err := a.Assign(tc.metadata, tc.members)
				require.ErrorIs(t, err, samsa.ErrMalformedResponse)
				var ie *InputError
				require.ErrorAs(t, err, &ie)
			})
		}
	}
}

func TestJavaCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a", "b", -1},
		{"b", "a", 1},
		{"a", "a", 0},
		{"a", "ab", -1},
		{"", "a", -1},
		{"Z", "a", -1},
		// U+FF21 (BMP, above the surrogates) vs U+1F600 (surrogate pair
		// D83D DE00): Java puts the surrogate pair first, Go bytes the BMP one.
		{"\uFF21", "\U0001F600", 1},
		{"\U0001F600", "\uFF21", -1},
		{"\U0001F600", "\U0001F601", -1},
		{"x\U0001F600", "x\U0001F600", 0},
	} {
		t.Run(fmt.Sprintf("%q<>%q", tc.a, tc.b), func(t *testing.T) {
			assert.Equal(t, tc.want, javaCompare(tc.a, tc.b))
		})
	}
}

func TestNamesAndProtocols(t *testing.T) {
	for _, tc := range []struct {
		a     Assignor
		name  string
		proto []RebalanceProtocol
	}{
		{Range(), "range", []RebalanceProtocol{Eager}},
		{RoundRobin(), "roundrobin", []RebalanceProtocol{Eager}},
		{Sticky(), "sticky", []RebalanceProtocol{Eager}},
		{CooperativeSticky(), "cooperative-sticky", []RebalanceProtocol{Eager, Cooperative}},
	} {
		assert.Equal(t, tc.name, tc.a.Name())
		assert.Equal(t, tc.proto, tc.a.Protocols())
	}
	assert.Equal(t, "EAGER", Eager.String())
	assert.Equal(t, "COOPERATIVE", Cooperative.String())
	assert.Equal(t, "RebalanceProtocol(7)", RebalanceProtocol(7).String())
}

// saramaPlan runs a sarama balance strategy on the same group.
func saramaPlan(t *testing.T, s sarama.BalanceStrategy, metadata map[string]int32, members []Member) map[string][]string {
	t.Helper()
	sm := map[string]sarama.ConsumerGroupMemberMetadata{}
	topics := map[string][]int32{}
	for _, m := range members {
		sm[m.MemberID] = sarama.ConsumerGroupMemberMetadata{Topics: m.Subscription.Topics}
		for _, tp := range m.Subscription.Topics {
			if n, ok := metadata[tp]; ok {
				ps := make([]int32, n)
				for i := range ps {
					ps[i] = int32(i)
				}
				topics[tp] = ps
			}
		}
	}
	p, err := s.Plan(sm, topics)
	require.NoError(t, err)
	res := map[string][]string{}
	for _, m := range members {
		list := []string{}
		byTopic := p[m.MemberID]
		names := make([]string, 0, len(byTopic))
		for tp := range byTopic {
			names = append(names, tp)
		}
		slices.Sort(names)
		for _, tp := range names {
			ps := slices.Clone(byTopic[tp])
			slices.Sort(ps)
			for _, part := range ps {
				list = append(list, samsa.TopicPartition{Topic: tp, Partition: part}.String())
			}
		}
		res[m.MemberID] = list
	}
	return res
}

// randomGroup returns dynamic members with random subscriptions over topics
// of at most maxPartitions partitions.
func randomGroup(rng *rand.Rand, maxPartitions int) (map[string]int32, []Member) {
	metadata := map[string]int32{}
	var topics []string
	for i := range 1 + rng.IntN(6) {
		name := fmt.Sprintf("topic%d", i)
		topics = append(topics, name)
		metadata[name] = int32(rng.IntN(maxPartitions + 1))
	}
	var members []Member
	for i := range 1 + rng.IntN(8) {
		var subs []string
		for _, tp := range topics {
			if rng.IntN(2) == 0 {
				subs = append(subs, tp)
			}
		}
		if len(subs) == 0 {
			subs = topics[:1]
		}
		members = append(members, dyn(fmt.Sprintf("member-%x-%d", rng.Uint32(), i), subs...))
	}
	return metadata, members
}

func TestRangeMatchesSarama(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 300 {
		metadata, members := randomGroup(rng, 30)
		out, err := Range().Assign(metadata, members)
		require.NoError(t, err)
		require.Equal(t, saramaPlan(t, sarama.NewBalanceStrategyRange(), metadata, members), plan(out), "case %d", i)
	}
}

// TestRoundRobinMatchesSarama: sarama deals partitions in the string order
// of "topic-partition", which is Java's order while topics have at most 10
// partitions.
func TestRoundRobinMatchesSarama(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range 300 {
		metadata, members := randomGroup(rng, 10)
		out, err := RoundRobin().Assign(metadata, members)
		require.NoError(t, err)
		require.Equal(t, saramaPlan(t, sarama.NewBalanceStrategyRoundRobin(), metadata, members), plan(out), "case %d", i)
	}
}

// TestRoundRobinDiffersFromSaramaBeyondTenPartitions documents where sarama
// departs from Java: with 12 partitions sarama deals in the string order
// t-0 t-1 t-10 t-11 t-2 ... t-9, Java in numeric order.
func TestRoundRobinDiffersFromSaramaBeyondTenPartitions(t *testing.T) {
	metadata := map[string]int32{"t": 12}
	members := []Member{dyn("a", "t"), dyn("b", "t"), dyn("c", "t")}
	out, err := RoundRobin().Assign(metadata, members)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{
		"a": {"t-0", "t-3", "t-6", "t-9"},
		"b": {"t-1", "t-4", "t-7", "t-10"},
		"c": {"t-2", "t-5", "t-8", "t-11"},
	}, plan(out))
	assert.Equal(t, map[string][]string{
		"a": {"t-0", "t-4", "t-7", "t-11"},
		"b": {"t-1", "t-2", "t-5", "t-8"},
		"c": {"t-3", "t-6", "t-9", "t-10"},
	}, saramaPlan(t, sarama.NewBalanceStrategyRoundRobin(), metadata, members))
}

func TestRangeAndRoundRobinStaticDiffersFromSarama(t *testing.T) {
	// sarama orders by member id only; Java (and samsa) put static members
	// first, by instance id.
	metadata := map[string]int32{"t": 2}
	members := []Member{dyn("a", "t"), static("b", "instance", "t")}
	for _, tc := range []struct {
		ours   Assignor
		theirs sarama.BalanceStrategy
	}{{Range(), sarama.NewBalanceStrategyRange()}, {RoundRobin(), sarama.NewBalanceStrategyRoundRobin()}} {
		out, err := tc.ours.Assign(metadata, members)
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{"b": {"t-0"}, "a": {"t-1"}}, plan(out))
		assert.Equal(t, map[string][]string{"a": {"t-0"}, "b": {"t-1"}}, saramaPlan(t, tc.theirs, metadata, members))
	}
}
