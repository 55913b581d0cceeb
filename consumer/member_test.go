package consumer_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
)

// event is one listener call a member saw.
type event struct {
	kind  string // "revoked", "assigned", "lost"
	parts []samsa.TopicPartition
	at    time.Time
}

// member is a group consumer running its own poll loop, as an application
// would, recording what its listener and Poll saw.
type member struct {
	t    testing.TB
	name string
	c    *consumer.Consumer[string, string]
	// onRecords runs on the poll goroutine after each non-empty poll
	// (e.g. to commit).
	onRecords func(m *member, recs []consumer.Record[string, string])

	mu       sync.Mutex
	owned    map[samsa.TopicPartition]bool
	events   []event
	records  []consumer.Record[string, string]
	polledAt []time.Time // when each record arrived
	errs     []error

	cancel context.CancelFunc
	done   chan struct{}
}

// groupOpts are the options every group test member gets: quick
// heartbeats, manual commits, and a session timeout long enough that a
// loaded machine never expires a live member (tests that kill a member
// shorten it for that member).
func groupOpts(mb *mockbroker.Cluster, group string) []consumer.Option {
	return []consumer.Option{
		consumer.WithGroupID(group),
		consumer.WithSessionTimeout(10 * time.Second),
		consumer.WithHeartbeatInterval(100 * time.Millisecond),
		consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithAutoCommit(false),
	}
}

// newMember creates a group member; start runs its poll loop.
func newMember(t testing.TB, mb *mockbroker.Cluster, name string, opts ...consumer.Option) *member {
	m := &member{t: t, name: name, owned: make(map[samsa.TopicPartition]bool)}
	listener := consumer.ListenerFuncs{
		Revoked: func(_ context.Context, tps []samsa.TopicPartition) error {
			m.record("revoked", tps)
			return nil
		},
		Assigned: func(_ context.Context, tps []samsa.TopicPartition) error {
			m.record("assigned", tps)
			return nil
		},
		Lost: func(_ context.Context, tps []samsa.TopicPartition) error {
			m.record("lost", tps)
			return nil
		},
	}
	m.c = newStringConsumer(t, mb, append(opts, consumer.WithRebalanceListener(listener), consumer.WithClientID(name))...)
	return m
}

func (m *member) record(kind string, tps []samsa.TopicPartition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, event{kind: kind, parts: slices.Clone(tps), at: time.Now()})
	for _, tp := range tps {
		m.owned[tp] = kind == "assigned"
		if kind != "assigned" {
			delete(m.owned, tp)
		}
	}
}

// start subscribes the member and runs its poll loop until stop.
func (m *member) start(topics ...string) *member {
	require.NoError(m.t, m.c.Subscribe(topics...))
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			recs, err := m.c.Poll(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, samsa.ErrClosed) {
					return
				}
				m.mu.Lock()
				m.errs = append(m.errs, err)
				m.mu.Unlock()
				var fenced *consumer.FencedInstanceError
				if errors.As(err, &fenced) {
					return // fatal: every later Poll fails the same way
				}
				continue
			}
			now := time.Now()
			m.mu.Lock()
			m.records = append(m.records, recs...)
			for range recs {
				m.polledAt = append(m.polledAt, now)
			}
			m.mu.Unlock()
			if m.onRecords != nil && len(recs) > 0 {
				m.onRecords(m, recs)
			}
		}
	}()
	m.t.Cleanup(m.stop)
	return m
}

// stop ends the poll loop (the consumer stays open).
func (m *member) stop() {
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
}

// close stops the loop and closes the consumer.
func (m *member) close() {
	m.stop()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(m.t, m.c.Close(ctx))
}

// ownedSet returns what the listener says the member owns.
func (m *member) ownedSet() []samsa.TopicPartition {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []samsa.TopicPartition
	for tp := range m.owned {
		out = append(out, tp)
	}
	slices.SortFunc(out, cmpTP)
	return out
}

func (m *member) eventList() []event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

func (m *member) recordList() []consumer.Record[string, string] {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records)
}

func (m *member) errList() []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.errs)
}

func cmpTP(a, b samsa.TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition - b.Partition)
}

// partitions returns partitions 0..n-1 of topic.
func partitions(topic string, n int32) []samsa.TopicPartition {
	out := make([]samsa.TopicPartition, n)
	for i := range out {
		out[i] = samsa.TopicPartition{Topic: topic, Partition: int32(i)}
	}
	return out
}

// exactlyOneOwner reports whether the members' listener-tracked assignments
// partition want: every partition owned by exactly one member, nothing else
// owned, and the consumers' own view agrees.
func exactlyOneOwner(want []samsa.TopicPartition, members ...*member) bool {
	owner := make(map[samsa.TopicPartition]int)
	for _, m := range members {
		owned := m.ownedSet()
		if !slices.Equal(owned, m.c.Assignment()) {
			return false
		}
		for _, tp := range owned {
			owner[tp]++
		}
	}
	if len(owner) != len(want) {
		return false
	}
	for _, tp := range want {
		if owner[tp] != 1 {
			return false
		}
	}
	return true
}

// groupAgrees reports whether the mock coordinator's view of the group has
// exactly these members (by client id) with non-overlapping assignments
// covering want.
func groupAgrees(mb *mockbroker.Cluster, group string, want []samsa.TopicPartition, members ...*member) bool {
	gms, err := mb.GroupMembers(group)
	if err != nil || len(gms) != len(members) {
		return false
	}
	st, err := mb.GroupState(group)
	if err != nil || st != "Stable" {
		return false
	}
	var all []samsa.TopicPartition
	for _, gm := range gms {
		all = append(all, gm.Partitions...)
	}
	slices.SortFunc(all, cmpTP)
	return slices.Equal(all, want)
}
