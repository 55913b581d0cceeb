package mockbroker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
)

// consumed records which member consumed which record, by partition and
// offset. Safe for concurrent use.
type consumed struct {
	mu  sync.Mutex
	by  map[samsa.TopicPartition]map[int64][]string
	n   int
	err []string
}

func (c *consumed) add(member string, m *sarama.ConsumerMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tp := samsa.TopicPartition{Topic: m.Topic, Partition: m.Partition}
	if c.by[tp] == nil {
		c.by[tp] = map[int64][]string{}
	}
	if want := fmt.Sprintf("value-%d-%d", m.Partition, m.Offset); string(m.Value) != want {
		c.err = append(c.err, fmt.Sprintf("%s read %q at %v/%d", member, m.Value, tp, m.Offset))
	}
	c.by[tp][m.Offset] = append(c.by[tp][m.Offset], member)
	c.n++
}

func (c *consumed) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// groupHandler is a sarama ConsumerGroupHandler that records every
// message and marks it consumed; Cleanup commits synchronously, so that
// the next owner of a partition continues where this one stopped.
type groupHandler struct {
	member string
	out    *consumed
}

func (h groupHandler) Setup(sarama.ConsumerGroupSession) error { return nil }

func (h groupHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

func (h groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.out.add(h.member, m)
			s.MarkMessage(m, "")
		case <-s.Context().Done():
			return nil
		}
	}
}

// saramaMember runs one sarama ConsumerGroup member until stop is called;
// stop closes it (it leaves the group) and waits for its goroutines.
func saramaMember(t *testing.T, addrs []string, cfg *sarama.Config, name string, out *consumed, errs chan<- error) (stop func()) {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, "sarama-group", cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{"orders"}, groupHandler{name, out}); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: Consume: %w", name, err)
				return
			}
		}
	})
	wg.Go(func() {
		for err := range cg.Errors() {
			errs <- fmt.Errorf("%s: %w", name, err)
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			assert.NoError(t, cg.Close())
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestSaramaConsumerGroup runs sarama's ConsumerGroup, an independent
// implementation of the group protocol, against the coordinator: two
// members share a topic (eager range, then KIP-429 cooperative-sticky),
// each record is consumed exactly once, the committed offsets reach the
// end of every partition, and when one member leaves the other takes over
// its partitions from the committed offsets.
func TestSaramaConsumerGroup(t *testing.T) {
	strategies := []struct {
		name     string
		strategy sarama.BalanceStrategy
	}{
		{"range", sarama.NewBalanceStrategyRange()},
		{"cooperative-sticky", sarama.NewBalanceStrategyCooperativeSticky()},
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			const partitions, perRound = 6, 120
			c := NewTest(t, WithBrokers(3), WithTopic("orders", partitions))
			leaders := map[int32]*testClient{}
			for p := range int32(partitions) {
				leaders[p] = leaderClient(t, c, "orders", p)
			}
			produce := func(round int) {
				t.Helper()
				for i := range perRound {
					p := int32(i % partitions)
					tc := leaders[p]
					hwm, err := c.HighWatermark("orders", p)
					require.NoError(t, err)
					value := fmt.Sprintf("value-%d-%d", p, hwm)
					require.Zero(t, tc.produce("orders", p, batch(t, time.Now().UnixMilli(), value)).ErrorCode, "round %d", round)
				}
			}

			cfg := sarama.NewConfig()
			cfg.ClientID = "sarama-member"
			cfg.Version = sarama.V3_6_0_0
			cfg.Consumer.Return.Errors = true
			cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
			cfg.Consumer.Offsets.AutoCommit.Interval = 50 * time.Millisecond
			cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
			cfg.Consumer.Retry.Backoff = 10 * time.Millisecond
			cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{st.strategy}
			cfg.Consumer.Group.Rebalance.Timeout = 5 * time.Second
			cfg.Consumer.Group.Rebalance.Retry.Backoff = 20 * time.Millisecond
			cfg.Consumer.Group.Session.Timeout = 3 * time.Second
			cfg.Consumer.Group.Heartbeat.Interval = 50 * time.Millisecond
			cfg.Metadata.Retry.Backoff = 10 * time.Millisecond

			out := &consumed{by: map[samsa.TopicPartition]map[int64][]string{}}
			errs := make(chan error, 16)
			stopA := saramaMember(t, c.Addrs(), cfg, "a", out, errs)
			stopB := saramaMember(t, c.Addrs(), cfg, "b", out, errs)

			// Both members hold partitions before anything is produced,
			// so that no rebalance happens while the records are read.
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for !cond() {
					select {
					case err := <-errs:
						t.Fatalf("sarama: %v", err)
					case <-tick.C:
					}
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s", what)
					}
				}
			}
			waitFor("two members sharing the partitions", func() bool {
				state, err := c.GroupState("sarama-group")
				ms, _ := c.GroupMembers("sarama-group")
				return err == nil && state == "Stable" && len(ms) == 2 && len(ms[0].Partitions)+len(ms[1].Partitions) == partitions &&
					len(ms[0].Partitions) > 0 && len(ms[1].Partitions) > 0
			})
			ms, err := c.GroupMembers("sarama-group")
			require.NoError(t, err)
			for _, m := range ms {
				assert.Equal(t, "sarama-member", m.ClientID)
				assert.Equal(t, []string{st.name}, m.Protocols)
			}
			committedAll := func() bool {
				offsets, err := c.CommittedOffsets("sarama-group")
				if err != nil || len(offsets) != partitions {
					return false
				}
				for tp, off := range offsets {
					if hwm, _ := c.HighWatermark(tp.Topic, tp.Partition); off != hwm {
						return false
					}
				}
				return true
			}

			produce(1)
			waitFor("every record of round 1", func() bool { return out.count() >= perRound })
			waitFor("commits of round 1", committedAll)

			// b leaves; a takes over b's partitions where b stopped.
			stopB()
			waitFor("a alone holding every partition", func() bool {
				ms, err := c.GroupMembers("sarama-group")
				state, _ := c.GroupState("sarama-group")
				return err == nil && state == "Stable" && len(ms) == 1 && len(ms[0].Partitions) == partitions
			})
			produce(2)
			waitFor("every record of round 2", func() bool { return out.count() >= 2*perRound })
			waitFor("commits of round 2", committedAll)
			stopA()
			select {
			case err := <-errs:
				t.Fatalf("sarama: %v", err)
			default:
			}

			out.mu.Lock()
			defer out.mu.Unlock()
			assert.Empty(t, out.err)
			assert.Equal(t, 2*perRound, out.n, "each record consumed exactly once")
			byMember := map[string]int{}
			for tp, offs := range out.by {
				hwm, err := c.HighWatermark(tp.Topic, tp.Partition)
				require.NoError(t, err)
				assert.Len(t, offs, int(hwm), "%v: every offset consumed", tp)
				for off, who := range offs {
					assert.Len(t, who, 1, "%v/%d consumed by %v", tp, off, who)
					byMember[who[0]]++
				}
			}
			assert.Positive(t, byMember["a"])
			assert.Positive(t, byMember["b"])
			waitState(t, c, "sarama-group", "Empty")
		})
	}
}
