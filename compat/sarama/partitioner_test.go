package saramacompat

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/partitioner"
)

// countingPartitioner records how sarama's producer would see it called.
type countingPartitioner struct {
	topic      string
	seen       []string // Value of every message asked about
	consistent bool
	consChecks int
}

func (c *countingPartitioner) Partition(msg *sarama.ProducerMessage, n int32) (int32, error) {
	v, _ := msg.Value.Encode()
	c.seen = append(c.seen, string(v))
	return n - 1, nil
}

func (c *countingPartitioner) RequiresConsistency() bool {
	c.consChecks++
	return c.consistent
}

func TestSaramaPartitionerOneInstancePerTopicAcrossSwitches(t *testing.T) {
	made := map[string]*countingPartitioner{}
	a := newSaramaPartitioner(func(topic string) sarama.Partitioner {
		require.NotContains(t, made, topic, "a second partitioner for %q", topic)
		p := &countingPartitioner{topic: topic, consistent: topic == "b"}
		made[topic] = p
		return p
	})
	parts := partitioner.Partitions{Count: 4, Available: []int32{0, 2}}
	steps := []struct {
		topic, value string
		want         int32
	}{
		{"a", "1", 2}, // writable partitions: the last of [0 2]
		{"a", "2", 2},
		{"b", "3", 3}, // requires consistency: the last of all four
		{"a", "4", 2},
		{"b", "5", 3},
	}
	for _, s := range steps {
		msg := &sarama.ProducerMessage{Topic: s.topic, Value: sarama.StringEncoder(s.value)}
		a.cur = msg
		got := a.Partition(s.topic, nil, nil, parts)
		require.NoError(t, a.err)
		require.Equal(t, s.want, got, "message %s", s.value)
		require.Equal(t, s.want, msg.Partition)
	}
	require.Len(t, made, 2)
	require.Equal(t, []string{"1", "2", "4"}, made["a"].seen)
	require.Equal(t, []string{"3", "5"}, made["b"].seen)
	// RequiresConsistency is asked once per message, as sarama asks it.
	require.Equal(t, 3, made["a"].consChecks)
	require.Equal(t, 2, made["b"].consChecks)
}
