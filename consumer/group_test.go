package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metrics "github.com/rcrowley/go-metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/mockbroker"
)

func TestGroupSingleMemberConsumesAndCommits(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 4))
	p := newProducer(t, mb)
	for part := int32(0); part < 4; part++ {
		p.produceValues("t", part, seq(fmt.Sprintf("p%d-", part), 10)...)
	}
	reg := metrics.NewRegistry()
	c := newStringConsumer(t, mb, append(groupOpts(mb, "g1"), consumer.WithMetricsRegistry(reg))...)
	require.NoError(t, c.Subscribe("t"))
	got := pollN(t, c, 40)
	assert.Len(t, got, 40)
	assert.Equal(t, partitions("t", 4), c.Assignment())
	md := c.GroupMetadata()
	assert.Equal(t, "g1", md.GroupID)
	assert.GreaterOrEqual(t, md.Generation, int32(1))
	assert.NotEmpty(t, md.MemberID)

	require.NoError(t, c.CommitSync(context.Background(), nil))
	// sarama's group metrics: JoinGroup (including the MEMBER_ID_REQUIRED
	// round) and SyncGroup.
	assert.GreaterOrEqual(t, reg.Get("consumer-group-join-total-g1").(metrics.Counter).Count(), int64(2))
	assert.Equal(t, int64(1), reg.Get("consumer-group-join-failed-g1").(metrics.Counter).Count(), "MEMBER_ID_REQUIRED")
	assert.Equal(t, int64(1), reg.Get("consumer-group-sync-total-g1").(metrics.Counter).Count())
	assert.Equal(t, int64(1), reg.Get("consumer-commit-total").(metrics.Counter).Count())
	committed, err := mb.CommittedOffsets("g1")
	require.NoError(t, err)
	for part := int32(0); part < 4; part++ {
		assert.Equal(t, int64(10), committed[tp("t", part)])
	}
	offs, err := c.Committed(context.Background(), partitions("t", 4)...)
	require.NoError(t, err)
	for _, tp := range partitions("t", 4) {
		assert.Equal(t, int64(10), offs[tp].Offset)
	}

	// A second consumer of the group, after the first left, starts at the
	// committed offsets.
	require.NoError(t, c.Close(context.Background()))
	p.produceValues("t", 1, "after")
	c2 := newStringConsumer(t, mb, groupOpts(mb, "g1")...)
	require.NoError(t, c2.Subscribe("t"))
	assert.Equal(t, []string{"after"}, values(pollN(t, c2, 1)))
}

func TestGroupMembersShareAndRebalance(t *testing.T) {
	tests := []struct {
		name        string
		assignors   []assignor.Assignor
		cooperative bool
	}{
		{"eager range and cooperative-sticky (Java's default)", nil, false},
		{"eager roundrobin", []assignor.Assignor{assignor.RoundRobin()}, false},
		{"cooperative sticky", []assignor.Assignor{assignor.CooperativeSticky()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 12))
			all := partitions("t", 12)
			opts := groupOpts(mb, "g")
			if tt.assignors != nil {
				opts = append(opts, consumer.WithAssignors(tt.assignors...))
			}
			// Records keep arriving throughout, on every partition.
			p := newProducer(t, mb)
			stopProducing := make(chan struct{})
			var produced sync.WaitGroup
			produced.Add(1)
			go func() {
				defer produced.Done()
				for i := 0; ; i++ {
					select {
					case <-stopProducing:
						return
					case <-time.After(2 * time.Millisecond):
					}
					p.produceValues("t", int32(i%12), fmt.Sprintf("v%d", i))
				}
			}()
			defer func() { close(stopProducing); produced.Wait() }()

			a := newMember(t, mb, "a", opts...).start("t")
			b := newMember(t, mb, "b", opts...).start("t")
			c := newMember(t, mb, "c", opts...).start("t")
			eventually(t, func() bool { return exactlyOneOwner(all, a, b, c) && groupAgrees(mb, "g", all, a, b, c) },
				"three members own the 12 partitions")
			for _, m := range []*member{a, b, c} {
				assert.Len(t, m.ownedSet(), 4, "member %s", m.name)
			}

			// One leaves.
			c.close()
			eventually(t, func() bool { return exactlyOneOwner(all, a, b) && groupAgrees(mb, "g", all, a, b) },
				"two members own the 12 partitions after one left")

			// One joins, while a and b keep consuming.
			before := map[*member][]samsa.TopicPartition{a: a.ownedSet(), b: b.ownedSet()}
			joinStart := time.Now()
			d := newMember(t, mb, "d", opts...).start("t")
			eventually(t, func() bool { return exactlyOneOwner(all, a, b, d) && groupAgrees(mb, "g", all, a, b, d) },
				"three members own the 12 partitions after one joined")
			joinEnd := time.Now()
			for _, m := range []*member{a, b, d} {
				assert.Len(t, m.ownedSet(), 4, "member %s", m.name)
				assert.Empty(t, m.errList(), "member %s", m.name)
			}
			if !tt.cooperative {
				// Eager: each rebalance starts by revoking everything.
				var revokedAll bool
				for _, e := range a.eventList() {
					if e.kind == "revoked" && e.at.After(joinStart) {
						revokedAll = slices.Equal(e.parts, before[a])
						break // the first rebalance after d joined
					}
				}
				assert.True(t, revokedAll, "eager revokes all of a's partitions")
				return
			}
			// Cooperative: what stays with a member is never revoked, and
			// is consumed during the rebalance.
			for _, m := range []*member{a, b} {
				kept := intersect(before[m], m.ownedSet())
				require.NotEmpty(t, kept, "member %s keeps partitions", m.name)
				for _, e := range m.eventList() {
					if e.kind == "revoked" || e.kind == "lost" {
						assert.Empty(t, intersect(e.parts, kept), "member %s: kept partitions were revoked (%s)", m.name, e.kind)
					}
				}
				assert.True(t, consumedDuring(m, kept, joinStart, joinEnd),
					"member %s consumed its kept partitions during the rebalance", m.name)
			}
		})
	}
}

// intersect returns the partitions in both lists.
func intersect(a, b []samsa.TopicPartition) []samsa.TopicPartition {
	var out []samsa.TopicPartition
	for _, tp := range a {
		if slices.Contains(b, tp) {
			out = append(out, tp)
		}
	}
	return out
}

// consumedDuring reports whether the member polled records of the given
// partitions between from and to, while the group rebalanced.
func consumedDuring(m *member, tps []samsa.TopicPartition, from, to time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.records {
		at := m.polledAt[i]
		if at.After(from) && at.Before(to) && slices.Contains(tps, r.TopicPartition()) {
			return true
		}
	}
	return false
}

func TestGroupStaticMemberRestart(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(2), mockbroker.WithTopic("t", 6))
	all := partitions("t", 6)
	opts := groupOpts(mb, "static")
	a := newMember(t, mb, "a", append(opts, consumer.WithGroupInstanceID("inst-a"))...).start("t")
	b := newMember(t, mb, "b", append(opts, consumer.WithGroupInstanceID("inst-b"))...).start("t")
	eventually(t, func() bool { return exactlyOneOwner(all, a, b) && groupAgrees(mb, "static", all, a, b) }, "two static members share the partitions")
	gen, err := mb.GroupGeneration("static")
	require.NoError(t, err)
	aParts := a.ownedSet()
	bEvents := len(b.eventList())

	// a restarts: Close sends no LeaveGroup, so the group stays stable and a
	// new consumer with the same instance id takes its place.
	a.close()
	state, err := mb.GroupState("static")
	require.NoError(t, err)
	assert.Equal(t, "Stable", state, "closing a static member does not rebalance")
	a2 := newMember(t, mb, "a2", append(opts, consumer.WithGroupInstanceID("inst-a"))...).start("t")
	eventually(t, func() bool { return slices.Equal(a2.ownedSet(), aParts) }, "the restarted member gets %v back", aParts)
	gen2, err := mb.GroupGeneration("static")
	require.NoError(t, err)
	assert.Equal(t, gen, gen2, "no rebalance: the generation is unchanged")
	assert.Len(t, b.eventList(), bEvents, "the other member saw no rebalance")
	assert.True(t, exactlyOneOwner(all, a2, b))

	// Two running members with one instance id: the older one is fenced.
	a3 := newStringConsumer(t, mb, append(opts, consumer.WithGroupInstanceID("inst-b"))...)
	require.NoError(t, a3.Subscribe("t"))
	pollUntil(t, a3, func() bool { return len(a3.Assignment()) > 0 }, "the second inst-b member has partitions")
	eventually(t, func() bool {
		for _, err := range b.errList() {
			var fenced *consumer.FencedInstanceError
			if errors.As(err, &fenced) {
				return true
			}
		}
		return false
	}, "the older member with instance id inst-b is fenced")
	assert.ErrorIs(t, b.errList()[0], kerr.FencedInstanceID)
}

func TestGroupCommitAfterProcessSurvivesKilledMember(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("t", 6))
	all := partitions("t", 6)
	const total = 600
	var mu sync.Mutex
	processed := make(map[string]int)
	byA := 0
	killNow := make(chan struct{})
	// Process, then commit what was processed, after every poll.
	commitAfter := func(m *member, recs []consumer.Record[string, string]) {
		mu.Lock()
		for _, r := range recs {
			processed[fmt.Sprintf("%d@%d", r.Partition, r.Offset)]++
		}
		if m.name == "a" {
			byA += len(recs)
		}
		mu.Unlock()
		offsets := make(map[samsa.TopicPartition]samsa.Offset)
		for _, r := range recs {
			offsets[r.TopicPartition()] = r.NextOffset()
		}
		if err := m.c.CommitSync(context.Background(), offsets); err != nil {
			m.t.Logf("member %s commit: %v", m.name, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if m.name == "a" && byA >= 60 && m.cancel != nil {
			// a dies here, mid-stream, right after a commit.
			m.cancel()
			select {
			case <-killNow:
			default:
				close(killNow)
			}
		}
	}
	// a's session is short, so the group notices its death quickly; b's
	// is long, so that b is never timed out on a loaded machine.
	opts := append(groupOpts(mb, "g"), consumer.WithMaxPollRecords(7))
	a := newMember(t, mb, "a", append(opts, consumer.WithSessionTimeout(time.Second))...)
	a.onRecords = commitAfter
	b := newMember(t, mb, "b", append(opts, consumer.WithSessionTimeout(10*time.Second))...)
	b.onRecords = commitAfter
	a.start("t")
	b.start("t")
	eventually(t, func() bool { return exactlyOneOwner(all, a, b) && groupAgrees(mb, "g", all, a, b) }, "a and b share the partitions")
	p := newProducer(t, mb)
	for i := 0; i < total; i += 10 {
		p.produceValues("t", int32(i/10%6), seq(fmt.Sprintf("v%d-", i), 10)...)
	}
	select {
	case <-killNow:
	case <-time.After(testTimeout):
		t.Fatal("a did not process 60 records")
	}
	// Kill a: its poll loop stopped after a commit, and Close cannot reach
	// the coordinator (cancelled context), so the group only notices when
	// a's session expires.
	a.stop()
	killedAt := time.Now()
	aParts := a.ownedSet()
	committedAtKill, err := mb.CommittedOffsets("g")
	require.NoError(t, err)
	killed, cancel := context.WithCancel(context.Background())
	cancel()
	_ = a.c.Close(killed)

	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(processed) == total
	}, "every record processed")
	// Nothing is lost. (Processing is at least once: a record processed
	// after the last successful commit may be processed again.)
	mu.Lock()
	assert.Len(t, processed, total)
	mu.Unlock()
	// b resumed a's partitions exactly at a's last commit.
	first := make(map[samsa.TopicPartition]int64)
	b.mu.Lock()
	for i, r := range b.records {
		if _, ok := first[r.TopicPartition()]; !ok && b.polledAt[i].After(killedAt) {
			first[r.TopicPartition()] = r.Offset
		}
	}
	b.mu.Unlock()
	resumed := 0
	for _, tp := range aParts {
		hwm, err := mb.HighWatermark(tp.Topic, tp.Partition)
		require.NoError(t, err)
		want := committedAtKill[tp]
		if want == hwm {
			continue // a had finished the partition
		}
		resumed++
		assert.Equal(t, want, first[tp], "b resumed %s at a's last committed offset", tp)
	}
	assert.Positive(t, resumed, "a died with unprocessed records")
}

func TestGroupAsyncCommitCallbacksInOrder(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
	p := newProducer(t, mb)
	p.produceValues("t", 0, seq("v", 100)...)
	c := newStringConsumer(t, mb, groupOpts(mb, "g")...)
	require.NoError(t, c.Subscribe("t"))
	pollN(t, c, 100)

	var order []int
	var errs []error
	const n = 60
	for i := 0; i < n; i++ {
		i := i
		c.CommitAsync(map[samsa.TopicPartition]samsa.Offset{tp("t", 0): samsa.NewOffset(int64(i + 1))},
			func(_ map[samsa.TopicPartition]samsa.Offset, err error) {
				order = append(order, i)
				errs = append(errs, err)
			})
	}
	// CommitSync waits for earlier async commits and runs their callbacks.
	require.NoError(t, c.CommitSync(context.Background(), map[samsa.TopicPartition]samsa.Offset{tp("t", 1): samsa.NewOffset(0)}))
	require.Len(t, order, n)
	for i := range order {
		assert.Equal(t, i, order[i])
		assert.NoError(t, errs[i])
	}
	committed, err := mb.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Equal(t, int64(n), committed[tp("t", 0)])

	// An invalid offset is reported through the callback, in order.
	var got []error
	c.CommitAsync(map[samsa.TopicPartition]samsa.Offset{tp("t", 0): samsa.NewOffset(-4)}, func(_ map[samsa.TopicPartition]samsa.Offset, err error) { got = append(got, err) })
	require.Len(t, got, 1)
	assert.Error(t, got[0])
}

func TestGroupMaxPollIntervalLeaves(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 4))
	all := partitions("t", 4)
	opts := groupOpts(mb, "g")
	slow := newMember(t, mb, "slow", append(opts, consumer.WithMaxPollInterval(400*time.Millisecond))...)
	fast := newMember(t, mb, "fast", opts...).start("t")
	require.NoError(t, slow.c.Subscribe("t"))
	// slow polls until it has partitions, then stops polling.
	pollUntil(t, slow.c, func() bool { return len(slow.c.Assignment()) > 0 && exactlyOneOwner(all, slow, fast) }, "both members share the partitions")
	held := slow.ownedSet()
	require.NotEmpty(t, held)
	// Without polls for the max poll interval, slow leaves and fast gets
	// everything.
	eventually(t, func() bool { return exactlyOneOwner(all, fast) && groupAgrees(mb, "g", all, fast) },
		"the member that stopped polling left the group")
	// Its next Poll reports the partitions lost and rejoins.
	pollUntil(t, slow.c, func() bool {
		evs := slow.eventList()
		return len(evs) > 0 && evs[len(evs)-1].kind == "assigned" && slices.ContainsFunc(evs, func(e event) bool { return e.kind == "lost" })
	}, "the slow member lost its partitions and rejoined")
	var lost []samsa.TopicPartition
	for _, e := range slow.eventList() {
		if e.kind == "lost" {
			lost = e.parts
		}
	}
	assert.Equal(t, held, lost)
}

func TestGroupHeartbeatUnknownMemberLosesPartitions(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 3))
	all := partitions("t", 3)
	// The coordinator still holds the old member id, which it expires
	// after the session timeout before the rejoin completes.
	m := newMember(t, mb, "m", append(groupOpts(mb, "g"), consumer.WithSessionTimeout(time.Second))...).start("t")
	eventually(t, func() bool { return exactlyOneOwner(all, m) }, "the member owns everything")
	mb.InjectError(12, kerr.UnknownMemberID, 1) // Heartbeat
	eventually(t, func() bool {
		return slices.ContainsFunc(m.eventList(), func(e event) bool { return e.kind == "lost" }) && exactlyOneOwner(all, m)
	}, "the member lost its partitions and rejoined")
}

func TestGroupRegexSubscription(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("re-a", 1), mockbroker.WithTopic("re-b", 2), mockbroker.WithTopic("other", 1))
	m := newMember(t, mb, "m", append(groupOpts(mb, "g"), consumer.WithMetadataMaxAge(100*time.Millisecond))...)
	require.NoError(t, m.c.SubscribeRegex(regexp.MustCompile(`^re-`)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			_, _ = m.c.Poll(ctx)
		}
	}()
	want := []samsa.TopicPartition{tp("re-a", 0), tp("re-b", 0), tp("re-b", 1)}
	eventually(t, func() bool { return slices.Equal(m.c.Assignment(), want) }, "the pattern's topics are assigned")
	assert.Equal(t, []string{"re-a", "re-b"}, m.c.Subscription())
	require.NoError(t, mb.CreateTopic("re-c", 1))
	want = append(want, tp("re-c", 0))
	eventually(t, func() bool { return slices.Equal(m.c.Assignment(), want) }, "a new matching topic is assigned after a metadata refresh")
	assert.ErrorIs(t, m.c.Subscribe("x"), consumer.ErrSubscriptionConflict)
	assert.ErrorIs(t, m.c.Assign(tp("x", 0)), consumer.ErrSubscriptionConflict)
}

func TestGroupUnsubscribeAndClose(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 2))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b")
	var revoked atomic.Int32
	c := newStringConsumer(t, mb, append(groupOpts(mb, "g"), consumer.WithAutoCommit(true),
		consumer.WithRebalanceListener(consumer.ListenerFuncs{Revoked: func(_ context.Context, tps []samsa.TopicPartition) error {
			revoked.Add(int32(len(tps)))
			return nil
		}}))...)
	require.NoError(t, c.Subscribe("t"))
	pollN(t, c, 2)
	require.NoError(t, c.Unsubscribe(context.Background()))
	assert.Equal(t, int32(2), revoked.Load())
	assert.Empty(t, c.Assignment())
	gms, err := mb.GroupMembers("g")
	require.NoError(t, err)
	assert.Empty(t, gms, "Unsubscribe left the group")
	committed, err := mb.CommittedOffsets("g")
	require.NoError(t, err)
	assert.Equal(t, int64(2), committed[tp("t", 0)], "auto commit before revocation")

	// After Unsubscribe the consumer may Assign instead.
	require.NoError(t, c.Assign(tp("t", 1)))
	require.NoError(t, c.Close(context.Background()))
}
