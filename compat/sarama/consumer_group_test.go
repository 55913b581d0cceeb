package saramacompat_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	saramacompat "github.com/samsa-go/samsa/compat/sarama"
	"github.com/samsa-go/samsa/mockbroker"
)

type newGroupFunc func(addrs []string, groupID string, cfg *sarama.Config) (sarama.ConsumerGroup, error)

// tally counts the messages a group consumed, over all its members.
type tally struct {
	mu     sync.Mutex
	counts map[string]int
	setups int
	claims map[string][]string // member -> "topic-partition" claimed in the last session
}

func newTally() *tally { return &tally{counts: map[string]int{}, claims: map[string][]string{}} }

func (t *tally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.counts {
		n += c
	}
	return n
}

// handler is the sarama.ConsumerGroupHandler of the tests: it counts and
// marks every message, the way sarama's examples do.
type handler struct {
	t      *tally
	member string
}

func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	h.t.setups++
	var cs []string
	for topic, ps := range s.Claims() {
		for _, p := range ps {
			cs = append(cs, fmt.Sprintf("%s-%d", topic, p))
		}
	}
	sort.Strings(cs)
	h.t.claims[h.member] = cs
	return nil
}

func (h handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-c.Messages():
			if !ok {
				return nil
			}
			h.t.mu.Lock()
			h.t.counts[string(m.Value)]++
			h.t.mu.Unlock()
			s.MarkMessage(m, "")
		case <-s.Context().Done():
			return nil
		}
	}
}

// member runs Consume in a loop, as sarama programs do, until ctx ends.
func member(ctx context.Context, t *testing.T, g sarama.ConsumerGroup, topics []string, h sarama.ConsumerGroupHandler, wg *sync.WaitGroup) {
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, topics, h); err != nil {
				if errors.Is(err, sarama.ErrClosedConsumerGroup) || ctx.Err() != nil {
					// sarama's cooperative Consume may report the
					// cancellation when it arrives during a rejoin.
					return
				}
				t.Errorf("Consume: %v", err)
				return
			}
		}
	})
}

func groupConfig(strategy sarama.BalanceStrategy) *sarama.Config {
	cfg := testConfig()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 50 * time.Millisecond
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{strategy}
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	return cfg
}

// runGroup produces n messages over the topic's partitions, then runs the
// members (one constructor each) until every message was consumed, and
// returns the tally and the committed offsets once the members closed.
func runGroup(t *testing.T, c *mockbroker.Cluster, topic string, parts int32, n int, strategy func() sarama.BalanceStrategy, members ...newGroupFunc) (*tally, map[samsa.TopicPartition]int64) {
	t.Helper()
	cfg := testConfig()
	cfg.Producer.Partitioner = sarama.NewRoundRobinPartitioner
	p := newSync(t, compatImpl, c, cfg)
	for i := range n {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", topic, i))})
		require.NoError(t, err)
	}
	require.NoError(t, p.Close())

	group := "g-" + topic
	tl := newTally()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for i, newGroup := range members {
		g, err := newGroup(c.Addrs(), group, groupConfig(strategy()))
		require.NoError(t, err)
		groups = append(groups, g)
		member(ctx, t, g, []string{topic}, handler{t: tl, member: fmt.Sprint(i)}, &wg)
	}
	waitFor(t, "every message consumed", func() bool { return tl.total() >= n })
	// Let the last marks be committed, then stop.
	waitFor(t, "offsets committed", func() bool {
		offs, err := c.CommittedOffsets(group)
		if err != nil {
			return false
		}
		var sum int64
		for _, o := range offs {
			sum += o
		}
		return sum == int64(n)
	})
	cancel()
	wg.Wait()
	for _, g := range groups {
		require.NoError(t, g.Close())
	}
	offs, err := c.CommittedOffsets(group)
	require.NoError(t, err)
	return tl, offs
}

// TestConsumerGroupLikeSarama runs a group of two members with each
// implementation, with range and with cooperative-sticky, and compares
// what was consumed and committed.
func TestConsumerGroupLikeSarama(t *testing.T) {
	strategies := []struct {
		name string
		new  func() sarama.BalanceStrategy
	}{
		{"range", sarama.NewBalanceStrategyRange},
		{"roundrobin", sarama.NewBalanceStrategyRoundRobin},
		{"cooperative-sticky", sarama.NewBalanceStrategyCooperativeSticky},
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			type outcome struct {
				Counts    map[string]int
				Committed map[samsa.TopicPartition]int64
			}
			out := map[string]outcome{}
			for _, im := range []struct {
				name string
				new  newGroupFunc
			}{{"sarama", sarama.NewConsumerGroup}, {"saramacompat", saramacompat.NewConsumerGroup}} {
				c := newCluster(t, mockbroker.WithTopic("grp", 4))
				tl, offs := runGroup(t, c, "grp", 4, 80, st.new, im.new, im.new)
				for v, k := range tl.counts {
					assert.Equal(t, 1, k, "%s consumed %s %d times", im.name, v, k)
				}
				out[im.name] = outcome{Counts: tl.counts, Committed: offs}
			}
			assert.Equal(t, out["sarama"], out["saramacompat"])
		})
	}
}

// TestMixedGroup runs one sarama member and one saramacompat member in the
// same group: every message is consumed exactly once between them.
func TestMixedGroup(t *testing.T) {
	for _, st := range []func() sarama.BalanceStrategy{sarama.NewBalanceStrategyRange, sarama.NewBalanceStrategyCooperativeSticky} {
		name := st().Name()
		t.Run(name, func(t *testing.T) {
			c := newCluster(t, mockbroker.WithTopic("mixed", 6))
			tl, offs := runGroup(t, c, "mixed", 6, 120, st, sarama.NewConsumerGroup, saramacompat.NewConsumerGroup)
			require.Len(t, tl.counts, 120)
			for v, k := range tl.counts {
				assert.Equal(t, 1, k, v)
			}
			for p := int32(0); p < 6; p++ {
				assert.Equal(t, int64(20), offs[samsa.TopicPartition{Topic: "mixed", Partition: p}])
			}
		})
	}
}

// TestConsumerGroupEdges checks Consume's and Close's answers that sarama
// programs rely on.
func TestConsumerGroupEdges(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("edges", 2))
	for _, im := range []struct {
		name string
		new  newGroupFunc
	}{{"sarama", sarama.NewConsumerGroup}, {"saramacompat", saramacompat.NewConsumerGroup}} {
		t.Run(im.name, func(t *testing.T) {
			g, err := im.new(c.Addrs(), "edges-"+im.name, groupConfig(sarama.NewBalanceStrategyRange()))
			require.NoError(t, err)
			err = g.Consume(context.Background(), nil, handler{t: newTally()})
			assert.EqualError(t, err, "no topics provided")
			require.NoError(t, g.Close())
			err = g.Consume(context.Background(), []string{"edges"}, handler{t: newTally()})
			assert.ErrorIs(t, err, sarama.ErrClosedConsumerGroup)
			_, open := <-g.Errors()
			assert.False(t, open, "Errors is closed by Close")
		})
	}
}

// offsetsHandler marks, resets and commits explicitly, without auto
// commit, and records what its session reported.
type offsetsHandler struct {
	done chan struct{}
	mu   *sync.Mutex
	seen *[]string
}

func (h offsetsHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	*h.seen = append(*h.seen, fmt.Sprintf("setup member=%v gen=%v claims=%v", s.MemberID() != "", s.GenerationID() > 0, s.Claims()))
	h.mu.Unlock()
	return nil
}
func (h offsetsHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h offsetsHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	h.mu.Lock()
	*h.seen = append(*h.seen, fmt.Sprintf("claim %s-%d initial=%d", c.Topic(), c.Partition(), c.InitialOffset()))
	h.mu.Unlock()
	for m := range c.Messages() {
		if m.Offset == 4 {
			s.MarkOffset(m.Topic, m.Partition, 9, "nine")    // forward
			s.MarkOffset(m.Topic, m.Partition, 7, "ignored") // backward: ignored
			s.ResetOffset(m.Topic, m.Partition, 5, "five")   // backward on purpose
			s.Commit()
			close(h.done)
			return nil
		}
	}
	return nil
}

// TestMarkResetCommit compares MarkOffset, ResetOffset and Commit with
// auto commit off: the committed offset is the reset one in both.
func TestMarkResetCommit(t *testing.T) {
	results := map[string]any{}
	for _, im := range []struct {
		name string
		new  newGroupFunc
	}{{"sarama", sarama.NewConsumerGroup}, {"saramacompat", saramacompat.NewConsumerGroup}} {
		c := newCluster(t, mockbroker.WithTopic("marks", 1))
		produceN(t, c, "marks", 0, 0, 10)
		cfg := groupConfig(sarama.NewBalanceStrategyRange())
		cfg.Consumer.Offsets.AutoCommit.Enable = false
		g, err := im.new(c.Addrs(), "marks", cfg)
		require.NoError(t, err)
		var mu sync.Mutex
		var seen []string
		h := offsetsHandler{done: make(chan struct{}), mu: &mu, seen: &seen}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = g.Consume(ctx, []string{"marks"}, h) })
		select {
		case <-h.done:
		case <-time.After(20 * time.Second):
			t.Fatal("handler did not reach offset 4")
		}
		cancel()
		wg.Wait()
		require.NoError(t, g.Close())
		offs, err := c.CommittedOffsets("marks")
		require.NoError(t, err)
		mu.Lock()
		results[im.name] = fmt.Sprint(seen, offs)
		mu.Unlock()
	}
	assert.Equal(t, results["sarama"], results["saramacompat"])
}

// TestGroupConfigRefusals checks the group settings saramacompat refuses.
func TestGroupConfigRefusals(t *testing.T) {
	cases := []struct {
		field string
		set   func(*sarama.Config)
	}{
		{"Consumer.Group.ResetInvalidOffsets", func(c *sarama.Config) { c.Consumer.Group.ResetInvalidOffsets = false }},
		{"Consumer.Offsets.Retention", func(c *sarama.Config) { c.Consumer.Offsets.Retention = time.Hour }},
		{"Consumer.Group.Rebalance.Retry", func(c *sarama.Config) { c.Consumer.Group.Rebalance.Retry.Max = 9 }},
		{"Consumer.Retry.Max", func(c *sarama.Config) { c.Consumer.Retry.Max = 3 }},
		{"RackID", func(c *sarama.Config) { c.RackID = "r1" }},
		{"Consumer.Group.Member.UserData", func(c *sarama.Config) {
			c.Consumer.Group.Member.UserData = []byte("x")
			c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := testConfig()
			tc.set(cfg)
			require.NoError(t, cfg.Validate())
			_, err := saramacompat.NewConsumerGroup([]string{"127.0.0.1:1"}, "g", cfg)
			var ce sarama.ConfigurationError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}
