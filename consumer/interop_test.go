package consumer_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/mockbroker"
)

// The tests of this file put a samsa consumer in one group with a member
// of an independent client — sarama's ConsumerGroup, librdkafka's balanced
// consumer through kcat -G — on the mock cluster. samsa and the mock's
// group coordinator share one codec (kmsg, and the assignor package for
// the consumer protocol), so they could agree on a mistake; a foreign
// client encodes and decodes subscriptions and assignments its own way.
// Each arrangement is run with either client leading the group, so that
// each side's assignor computes and encodes the plan the other decodes, and
// a second samsa member joins later, so that the leader also decodes the
// partitions the other client reports holding (cooperative-sticky).

const (
	interopTopic      = "orders"
	interopPartitions = 8
	interopRecords    = 400
	interopGroup      = "mixed"
	samsaClient       = "samsa-member"
)

// interopCase is one arrangement of a mixed group: the assignor every
// member uses (its protocol name, the same in every client) and which
// member joins first and so leads the group.
type interopCase struct {
	strategy   string
	samsaLeads bool
}

func (c interopCase) String() string {
	if c.samsaLeads {
		return c.strategy + "/samsa leads"
	}
	return c.strategy + "/foreign client leads"
}

func interopCases() []interopCase {
	var out []interopCase
	for _, s := range []string{"range", "cooperative-sticky"} {
		out = append(out, interopCase{s, true}, interopCase{s, false})
	}
	return out
}

func samsaAssignor(strategy string) assignor.Assignor {
	if strategy == "range" {
		return assignor.Range()
	}
	return assignor.CooperativeSticky()
}

// TestInteropSaramaConsumerGroup shares a group between a sarama
// ConsumerGroup member and a samsa consumer, with range and with
// cooperative-sticky, each side leading once (see runMixedGroup).
func TestInteropSaramaConsumerGroup(t *testing.T) {
	for _, tc := range interopCases() {
		t.Run(tc.String(), func(t *testing.T) {
			strategy := sarama.NewBalanceStrategyRange()
			if tc.strategy == "cooperative-sticky" {
				strategy = sarama.NewBalanceStrategyCooperativeSticky()
			}
			runMixedGroup(t, tc, func(mb *mockbroker.Cluster, out *ledger) foreignMember {
				return startSaramaMember(t, mb.Addrs(), interopGroup, interopTopic, saramaConfig("sarama-member", strategy), out)
			})
		})
	}
}

// TestInteropKcatConsumerGroup shares a group between kcat's balanced
// consumer (librdkafka, -G) and a samsa consumer, with range and with
// cooperative-sticky, each side leading once (see runMixedGroup).
func TestInteropKcatConsumerGroup(t *testing.T) {
	kcatPath(t)
	for _, tc := range interopCases() {
		t.Run(tc.String(), func(t *testing.T) {
			runMixedGroup(t, tc, func(mb *mockbroker.Cluster, out *ledger) foreignMember {
				return startKcatMember(t, mb.Addrs(), interopGroup, interopTopic, tc.strategy, out)
			})
		})
	}
}

// runMixedGroup runs samsa members and one foreign member in a group on a
// 3-broker cluster and checks, in order:
//   - the member that joins first leads, alone holding every partition,
//     and keeps leading as the others join;
//   - when the second joins, the leader's plan (seen in its SyncGroup),
//     the coordinator, samsa and the foreign client agree on one split of
//     the partitions, each member holding some: for range the
//     Java/sarama/librdkafka plan (members by member id, consecutive
//     ranges), for cooperative-sticky a balanced one;
//   - records produced then (by sarama's producer) are each read exactly
//     once across the two, by the member that holds their partition, with
//     their key and value, while the group stays in that generation;
//   - a second samsa member joins: the leader now decodes what the other
//     members hold, and cooperative-sticky only takes partitions away from
//     them; records produced then are read exactly once across the three;
//   - under cooperative-sticky, no plan hands a partition over while its
//     holder still reads it (KIP-429), which a leader misreading the owned
//     partitions of another client's subscription would;
//   - the foreign member commits and leaves; the samsa members take its
//     partitions over at its commits (nothing is read again) and the
//     committed offsets end at the high watermark of every partition.
func runMixedGroup(t *testing.T, tc interopCase, startForeign func(*mockbroker.Cluster, *ledger) foreignMember) {
	g := &mixedGroup{
		t:   t,
		tc:  tc,
		mb:  mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(interopTopic, interopPartitions)),
		out: newLedger(),
		all: partitions(interopTopic, interopPartitions),
	}
	g.plans = recordPlans(g.mb)
	s := g.newSamsa(samsaClient)

	// The first member joins alone and leads; the second joins.
	var leader string
	if tc.samsaLeads {
		s.start(interopTopic)
		g.await("samsa alone in the group", func() bool { return g.settled(g.view(), []*member{s}, nil) })
		leader = samsaClient
		g.f = startForeign(g.mb, g.out)
	} else {
		g.f = startForeign(g.mb, g.out)
		g.await(g.f.name()+" alone in the group", func() bool { return g.settled(g.view(), nil, g.f) })
		leader = g.f.name()
		s.start(interopTopic)
	}
	g.await("samsa and "+g.f.name()+" sharing the partitions", func() bool { return g.settled(g.view(), []*member{s}, g.f) })
	two := g.view()
	assert.Equal(t, two.members[leader].MemberID, two.leader, "the first member to join leads")
	for client, gm := range two.members {
		assert.Equal(t, []string{tc.strategy}, gm.Protocols, "%s offers only %s", client, tc.strategy)
	}
	g.checkPlan(two, nil)
	g.produceAndCheck(two, 0, true)

	// A second samsa member joins.
	s2 := g.newSamsa(samsaClient + "-2")
	s2.start(interopTopic)
	g.await("three members sharing the partitions", func() bool { return g.settled(g.view(), []*member{s, s2}, g.f) })
	three := g.view()
	assert.Equal(t, two.leader, three.leader, "the leader stays")
	g.checkPlan(three, &two)
	g.produceAndCheck(three, 1, false)

	// The foreign member commits and leaves (kcat, whose periodic commit
	// runs every 5 s, commits as it closes).
	g.f.stop()
	g.await("the foreign member's commits at the end", func() bool { return g.committedToEnd(g.all) })
	g.await("the samsa members holding every partition", func() bool { return g.settled(g.view(), []*member{s, s2}, nil) })
	for _, m := range []*member{s, s2} {
		for _, tp := range m.c.Assignment() {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			pos, err := m.c.Position(ctx, tp)
			cancel()
			require.NoError(t, err)
			hwm, err := g.mb.HighWatermark(tp.Topic, tp.Partition)
			require.NoError(t, err)
			assert.Equal(t, hwm, pos.Offset, "%v: %s continues at the end", tp, m.name)
		}
	}
	assert.Equal(t, 2*interopRecords, g.out.count(), "nothing read twice after the foreign member left")
	for _, m := range []*member{s, s2} {
		assert.Empty(t, m.errList(), m.name)
	}
	assert.Empty(t, g.f.errs(), g.f.name())
	if tc.strategy == "cooperative-sticky" {
		assert.Empty(t, g.plans.cooperativeViolations(), "partitions handed over while their holder still read them")
	}
	s2.close()
	s.close()
	g.await("the group empty", func() bool { return g.view().state == "Empty" })
	assert.True(t, g.committedToEnd(g.all), "committed offsets at the high watermarks")
}

// mixedGroup is one run of runMixedGroup.
type mixedGroup struct {
	t      *testing.T
	tc     interopCase
	mb     *mockbroker.Cluster
	out    *ledger
	all    []samsa.TopicPartition
	samsas []*member
	f      foreignMember
	plans  *planRecorder
}

// newSamsa creates a samsa member using the case's assignor that, after
// each poll, records what it read and commits it synchronously.
func (g *mixedGroup) newSamsa(name string) *member {
	m := newMember(g.t, g.mb, name, append(groupOpts(g.mb, interopGroup), consumer.WithAssignors(samsaAssignor(g.tc.strategy)))...)
	m.onRecords = func(m *member, recs []consumer.Record[string, string]) {
		offsets := make(map[samsa.TopicPartition]samsa.Offset)
		var errs []error
		for _, r := range recs {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
			g.out.add(m.name, r.TopicPartition(), r.Offset, r.Key, r.Value)
			offsets[r.TopicPartition()] = r.NextOffset()
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := m.c.CommitSync(ctx, offsets); err != nil {
			errs = append(errs, fmt.Errorf("CommitSync: %w", err))
		}
		m.mu.Lock()
		m.errs = append(m.errs, errs...)
		m.mu.Unlock()
	}
	g.samsas = append(g.samsas, m)
	return m
}

// await waits for cond, failing early if a member reports an error.
func (g *mixedGroup) await(what string, cond func() bool) {
	g.t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		var errs []error
		for _, m := range g.samsas {
			errs = append(errs, m.errList()...)
		}
		if g.f != nil {
			errs = append(errs, g.f.errs()...)
		}
		require.Empty(g.t, errs, "while waiting for %s%s", what, foreignReport(g.f))
		require.True(g.t, time.Now().Before(deadline), "timed out waiting for %s: group %+v%s", what, g.view(), foreignReport(g.f))
		time.Sleep(5 * time.Millisecond)
	}
}

func (g *mixedGroup) view() groupView { return viewGroup(g.t, g.mb) }

// settled reports whether the coordinator's view of the group is stable
// with exactly these members, each holding some partitions, between them
// every partition once, and whether each member's own view of what it holds
// and of its member id agrees with the coordinator's.
func (g *mixedGroup) settled(v groupView, samsas []*member, f foreignMember) bool {
	var held []samsa.TopicPartition
	for _, m := range samsas {
		gm, ok := v.members[m.name]
		if !ok || len(gm.Partitions) == 0 || gm.MemberID != m.c.GroupMetadata().MemberID ||
			!slices.Equal(gm.Partitions, m.c.Assignment()) || !slices.Equal(gm.Partitions, m.ownedSet()) {
			return false
		}
		held = append(held, gm.Partitions...)
	}
	want := len(samsas)
	if f != nil {
		want++
		gm, ok := v.members[f.name()]
		if !ok || len(gm.Partitions) == 0 || gm.MemberID != f.memberID() || !slices.Equal(gm.Partitions, f.owned()) {
			return false
		}
		held = append(held, gm.Partitions...)
	}
	slices.SortFunc(held, cmpTP)
	return v.state == "Stable" && len(v.members) == want && slices.Equal(held, g.all)
}

// checkPlan checks the assignment of a settled group: it is the plan the
// leader sent; range's plan is fixed by the member ids; cooperative-sticky's
// is balanced and, after prev, only takes partitions away from members
// that stayed.
func (g *mixedGroup) checkPlan(v groupView, prev *groupView) {
	t := g.t
	var ids []string
	byID := map[string][]samsa.TopicPartition{}
	for _, gm := range v.members {
		ids = append(ids, gm.MemberID)
		byID[gm.MemberID] = gm.Partitions
	}
	slices.Sort(ids)
	n := len(ids)
	assert.Equal(t, byID, g.plans.plan(v.generation), "the leader's plan of generation %d is what the coordinator says each member holds", v.generation)
	assert.Empty(t, g.plans.decodeErrors(), "the leader's assignments decode")
	switch g.tc.strategy {
	case "range":
		next := 0
		for i, id := range ids {
			take := interopPartitions / n
			if i < interopPartitions%n {
				take++
			}
			assert.Equal(t, g.all[next:next+take], byID[id], "range: member %d of %d by id", i, n)
			next += take
		}
	default:
		for client, gm := range v.members {
			assert.InDelta(t, float64(interopPartitions)/float64(n), len(gm.Partitions), 1, "cooperative-sticky balances: %s holds %v", client, gm.Partitions)
			if prev == nil {
				continue
			}
			if before, ok := prev.members[client]; ok {
				assert.Subset(t, before.Partitions, gm.Partitions, "cooperative-sticky: %s keeps what it can", client)
			}
		}
	}
}

// produceAndCheck produces a round of records into the settled group v
// and checks that each is read exactly once, by the member that holds its
// partition. The group must not rebalance meanwhile: that is what makes
// exactly once the expectation. Before it returns, the samsa members, and
// with foreignCommits the foreign member too, have committed their reads.
func (g *mixedGroup) produceAndCheck(v groupView, round int, foreignCommits bool) {
	t := g.t
	t.Helper()
	from := map[samsa.TopicPartition]int64{}
	for _, tp := range g.all {
		hwm, err := g.mb.HighWatermark(tp.Topic, tp.Partition)
		require.NoError(t, err)
		from[tp] = hwm
	}
	saramaProduce(t, g.mb.Addrs(), interopTopic, round, interopRecords)
	logs := map[samsa.TopicPartition][]mockbroker.Record{}
	total := 0
	for _, tp := range g.all {
		recs, err := g.mb.Records(tp.Topic, tp.Partition)
		require.NoError(t, err)
		recs = slices.DeleteFunc(recs, func(r mockbroker.Record) bool { return r.Offset < from[tp] })
		require.NotEmpty(t, recs, "%v got no records in round %d; the test needs every partition in use", tp, round)
		logs[tp] = recs
		total += len(recs)
	}
	require.Equal(t, interopRecords, total)
	// samsa commits after each poll; its last commit is in before the
	// next rebalance, lest the rebalance refuse it. The foreign member
	// commits periodically (sarama every 50 ms, kcat every 5 s) and before
	// it gives partitions up.
	committers := g.all
	if !foreignCommits {
		committers = nil
		for client, gm := range v.members {
			if client != g.f.name() {
				committers = append(committers, gm.Partitions...)
			}
		}
	}
	g.await(fmt.Sprintf("every record of round %d read and committed", round), func() bool {
		return g.out.count() >= (round+1)*interopRecords && g.committedToEnd(committers)
	})

	require.Equal(t, v.generation, g.view().generation, "the group rebalanced while reading; exactly once is not guaranteed")
	reads := g.out.snapshot()
	readers := map[string]int{}
	for _, tp := range g.all {
		owner := ""
		for client, gm := range v.members {
			if slices.Contains(gm.Partitions, tp) {
				owner = client
			}
		}
		readers[owner] += len(logs[tp])
		assert.Len(t, reads[tp], int(logs[tp][len(logs[tp])-1].Offset+1), "%v: offsets read", tp)
		for _, r := range logs[tp] {
			want := []read{{owner, string(r.Key), string(r.Value)}}
			assert.Equal(t, want, reads[tp][r.Offset], "%v@%d read once, by its owner, as written", tp, r.Offset)
		}
	}
	assert.Equal(t, (round+1)*interopRecords, g.out.count(), "reads in all, after round %d", round)
	for client := range v.members {
		assert.Positive(t, readers[client], "%s read records in round %d", client, round)
	}
}

// committedToEnd reports whether the group's commits of tps are at their
// high watermarks.
func (g *mixedGroup) committedToEnd(tps []samsa.TopicPartition) bool {
	committed, err := g.mb.CommittedOffsets(interopGroup)
	if err != nil {
		return false
	}
	for _, tp := range tps {
		if hwm, err := g.mb.HighWatermark(tp.Topic, tp.Partition); err != nil || committed[tp] != hwm {
			return false
		}
	}
	return true
}
