package mockbroker

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		option string
	}{
		{"no brokers", []Option{WithBrokers(0)}, "mockbroker.WithBrokers"},
		{"too many brokers", []Option{WithBrokers(maxBrokers + 1)}, "mockbroker.WithBrokers"},
		{"negative port", []Option{WithPort(-1)}, "mockbroker.WithPort"},
		{"ports past 65535", []Option{WithBrokers(3), WithPort(65534)}, "mockbroker.WithPort"},
		{"zero default partitions", []Option{WithDefaultPartitions(0)}, "mockbroker.WithDefaultPartitions"},
		{"tiny frame size", []Option{WithMaxFrameSize(10)}, "mockbroker.WithMaxFrameSize"},
		{"negative synthetic size", []Option{WithSyntheticFetch(-2)}, "mockbroker.WithSyntheticFetch"},
		{"huge synthetic size", []Option{WithSyntheticFetch(maxSyntheticRecordBytes + 1)}, "mockbroker.WithSyntheticFetch"},
		{"invalid topic name", []Option{WithTopic("bad name", 1)}, "mockbroker.WithTopic"},
		{"zero partitions", []Option{WithTopic("t", 0)}, "mockbroker.WithTopic"},
		{"duplicate topic", []Option{WithTopic("t", 1), WithTopic("t", 2)}, "mockbroker.WithTopic"},
		{"invalid log append time topic", []Option{WithLogAppendTime("..")}, "mockbroker.WithLogAppendTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.option, ce.Option)
		})
	}
}

func TestNewStartsBrokersAndTopics(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("a", 4), WithTopic("b", 1), WithClusterID("my-cluster"))
	addrs := c.Addrs()
	require.Len(t, addrs, 3)
	for i, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", host)
		got, err := c.Addr(int32(i))
		require.NoError(t, err)
		assert.Equal(t, a, got)
	}
	assert.Equal(t, "my-cluster", c.ClusterID())
	for p := int32(0); p < 4; p++ {
		l, err := c.Leader("a", p)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, l, int32(0))
		hwm, err := c.HighWatermark("a", p)
		require.NoError(t, err)
		assert.Zero(t, hwm)
	}
	_, err := c.Leader("a", 4)
	assert.ErrorIs(t, err, kerr.UnknownTopicOrPartition)
	_, err = c.Addr(3)
	assert.ErrorIs(t, err, ErrUnknownBroker)
}

func TestLeadersSpreadRoundRobin(t *testing.T) {
	c := NewTest(t, WithBrokers(3), WithTopic("t", 6))
	count := map[int32]int{}
	for p := int32(0); p < 6; p++ {
		l, err := c.Leader("t", p)
		require.NoError(t, err)
		count[l]++
	}
	assert.Equal(t, map[int32]int{0: 2, 1: 2, 2: 2}, count)
}

func TestWithPortUsesConsecutivePorts(t *testing.T) {
	// Find a free range by asking the kernel for an ephemeral port and
	// hoping its two neighbours are free too; retry a few times.
	for attempt := 0; attempt < 20; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if base+2 > 65535 {
			continue
		}
		c, err := New(WithBrokers(3), WithPort(base))
		if err != nil {
			continue // a neighbour was taken; try another base
		}
		for i, a := range c.Addrs() {
			assert.Equal(t, "127.0.0.1:"+strconv.Itoa(base+i), a)
		}
		require.NoError(t, c.Close())
		return
	}
	t.Fatal("found no three consecutive free ports")
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	c, err := New(WithTopic("t", 1))
	require.NoError(t, err)
	tc := dialClient(t, c.Addrs()[0])
	tc.do(metadataReq(9))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	tc.expectClosed()
	_, err = c.HighWatermark("t", 0)
	assert.ErrorIs(t, err, samsa.ErrClosed)
	assert.ErrorIs(t, c.CreateTopic("u", 1), samsa.ErrClosed)
	assert.ErrorIs(t, c.StopBroker(0), samsa.ErrClosed)
	assert.Empty(t, c.Addrs())
}
