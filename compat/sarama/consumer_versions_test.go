package saramacompat_test

import (
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	saramacompat "github.com/samsa-go/samsa/compat/sarama"
	"github.com/samsa-go/samsa/mockbroker"
)

// versionSpy records the highest version of each API key a cluster is
// sent.
type versionSpy struct {
	mu   sync.Mutex
	seen map[int16]int16
}

func spyVersions(c *mockbroker.Cluster) *versionSpy {
	s := &versionSpy{seen: map[int16]int16{}}
	c.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		s.mu.Lock()
		s.seen[req.Key()] = max(s.seen[req.Key()], req.GetVersion())
		s.mu.Unlock()
		return nil, nil, false
	})
	return s
}

// check requires that every key of want was sent at exactly its version.
func (s *versionSpy) check(t *testing.T, want map[int16]int16) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, v := range want {
		require.Contains(t, s.seen, key, "API key %d was sent", key)
		assert.Equal(t, v, s.seen[key], "API key %d capped at v%d", key, v)
	}
}

// TestVersionCapsConsumerGroup checks that Config.Version caps the
// versions of a ConsumerGroup's fetches, group membership and commits at
// the release's, as sarama's does, and that the group consumes and
// commits at those versions.
func TestVersionCapsConsumerGroup(t *testing.T) {
	cases := []struct {
		version sarama.KafkaVersion
		want    map[int16]int16 // API key -> the release's highest version
	}{
		// Fetch, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup,
		// Heartbeat, SyncGroup.
		{sarama.V1_0_0_0, map[int16]int16{1: 6, 8: 3, 9: 3, 10: 1, 11: 2, 12: 1, 14: 1}},
		{sarama.V2_1_0_0, map[int16]int16{1: 10, 8: 6, 9: 5, 10: 2, 11: 3, 12: 2, 14: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.version.String(), func(t *testing.T) {
			c := newCluster(t, mockbroker.WithTopic("ver", 2))
			spy := spyVersions(c)
			capped := func(addrs []string, group string, cfg *sarama.Config) (sarama.ConsumerGroup, error) {
				cfg.Version = tc.version
				return saramacompat.NewConsumerGroup(addrs, group, cfg)
			}
			tl, offs := runGroup(t, c, "ver", 2, 10, sarama.NewBalanceStrategyRange, capped)
			assert.Equal(t, 10, tl.total())
			var sum int64
			for _, o := range offs {
				sum += o
			}
			assert.Equal(t, int64(10), sum, "every message committed")
			spy.check(t, tc.want)
		})
	}
}

// TestVersionCapsConsumer checks that Config.Version caps a Consumer's
// Fetch and ListOffsets requests: Kafka 2.1 has Fetch v10 and ListOffsets
// v4.
func TestVersionCapsConsumer(t *testing.T) {
	c := newCluster(t, mockbroker.WithTopic("ver", 1))
	spy := spyVersions(c)
	cfg := testConfig()
	cfg.Version = sarama.V2_1_0_0
	p := newSync(t, compatImpl, c, cfg)
	_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "ver", Value: sarama.StringEncoder("v")})
	require.NoError(t, err)

	cons, err := saramacompat.NewConsumer(c.Addrs(), cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, cons.Close()) }()
	pc, err := cons.ConsumePartition("ver", 0, sarama.OffsetOldest)
	require.NoError(t, err)
	select {
	case m := <-pc.Messages():
		assert.Equal(t, "v", string(m.Value))
	case err := <-pc.Errors():
		t.Fatalf("consuming: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no message within 20s")
	}
	spy.check(t, map[int16]int16{1: 10, 2: 4})
}
