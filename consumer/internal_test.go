package consumer

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/serde"
)

func TestRebalanceProtocol(t *testing.T) {
	tests := []struct {
		name string
		as   []assignor.Assignor
		want assignor.RebalanceProtocol
	}{
		{"Java's default is eager", []assignor.Assignor{assignor.Range(), assignor.CooperativeSticky()}, assignor.Eager},
		{"cooperative-sticky alone", []assignor.Assignor{assignor.CooperativeSticky()}, assignor.Cooperative},
		{"sticky", []assignor.Assignor{assignor.Sticky()}, assignor.Eager},
		{"roundrobin and range", []assignor.Assignor{assignor.RoundRobin(), assignor.Range()}, assignor.Eager},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rebalanceProtocol(tt.as)
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBackoff(t *testing.T) {
	c := config{retryBackoff: 100 * time.Millisecond, retryBackoffMax: time.Second}
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{0, 0.5, 100 * time.Millisecond},
		{1, 0.5, 200 * time.Millisecond},
		{3, 0.5, 800 * time.Millisecond},
		{4, 0.5, time.Second},
		{20, 0.5, time.Second},
		{0, 0, 80 * time.Millisecond},
		{0, 1, 120 * time.Millisecond},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.backoff(tt.attempt, tt.jitter), "attempt %d jitter %v", tt.attempt, tt.jitter)
	}
}

func TestDefaultsMatchJava(t *testing.T) {
	c := defaultConfig()
	c.brokers = []string{"b:9092"}
	c.groupID = "g"
	require.NoError(t, c.validate())
	assert.Equal(t, 45*time.Second, c.sessionTimeout)
	assert.Equal(t, 3*time.Second, c.heartbeatInterval)
	assert.Equal(t, 5*time.Minute, c.maxPollInterval)
	assert.Equal(t, 500, c.maxPollRecords)
	assert.True(t, *c.autoCommit, "auto commit is on with a group")
	assert.Equal(t, 5*time.Second, c.autoCommitInterval)
	assert.Equal(t, ResetLatest, c.offsetReset)
	assert.Equal(t, ReadUncommitted, c.isolation)
	assert.Equal(t, int32(1), c.fetchMinBytes)
	assert.Equal(t, int32(50<<20), c.fetchMaxBytes)
	assert.Equal(t, 500*time.Millisecond, c.fetchMaxWait)
	assert.Equal(t, int32(1<<20), c.maxPartitionBytes)
	assert.Equal(t, 60*time.Second, c.apiTimeout)
	assert.Equal(t, 10*time.Second, c.dialTimeout)
	names := []string{}
	for _, a := range c.assignors {
		names = append(names, a.Name())
	}
	assert.Equal(t, []string{"range", "cooperative-sticky"}, names)

	noGroup := defaultConfig()
	noGroup.brokers = []string{"b:9092"}
	require.NoError(t, noGroup.validate())
	assert.False(t, *noGroup.autoCommit, "no auto commit without a group")
}

func TestEnumStrings(t *testing.T) {
	assert.Equal(t, "earliest", ResetEarliest.String())
	assert.Equal(t, "latest", ResetLatest.String())
	assert.Equal(t, "none", ResetNone.String())
	assert.Equal(t, "read_committed", ReadCommitted.String())
	assert.Equal(t, "read_uncommitted", ReadUncommitted.String())
	assert.Equal(t, "LogAppendTime", LogAppendTime.String())
	assert.Equal(t, "CreateTime", CreateTime.String())
}

func TestGroupByTopic(t *testing.T) {
	got := groupByTopic([]samsa.TopicPartition{{Topic: "b", Partition: 1}, {Topic: "a", Partition: 2}, {Topic: "b", Partition: 0}, {Topic: "a", Partition: 0}})
	assert.Equal(t, []assignor.TopicPartitions{{Topic: "a", Partitions: []int32{0, 2}}, {Topic: "b", Partitions: []int32{0, 1}}}, got)
	assert.Nil(t, groupByTopic(nil))
}

func TestValidateCooperative(t *testing.T) {
	members := []assignor.Member{
		{MemberID: "m1", Subscription: assignor.Subscription{OwnedPartitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}}}},
		{MemberID: "m2"},
	}
	ok := map[string]assignor.Assignment{
		"m1": {Partitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{0}}}},
		"m2": {Partitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{2}}}},
	}
	assert.NoError(t, validateCooperative(members, ok))
	moved := map[string]assignor.Assignment{
		"m1": {Partitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{0}}}},
		"m2": {Partitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{1}}}},
	}
	err := validateCooperative(members, moved)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "t-1")
}

func TestStrategies(t *testing.T) {
	owned := []samsa.TopicPartition{{Topic: "a", Partition: 0}, {Topic: "b", Partition: 0}}
	revoke, always := eagerStrategy{}.revokeBeforeJoin(owned, []string{"a", "b"})
	assert.Equal(t, owned, revoke)
	assert.True(t, always)
	assert.False(t, eagerStrategy{}.reportsOwned())
	revoke, always = cooperativeStrategy{}.revokeBeforeJoin(owned, []string{"a"})
	assert.Equal(t, []samsa.TopicPartition{{Topic: "b", Partition: 0}}, revoke)
	assert.False(t, always)
	assert.True(t, cooperativeStrategy{}.reportsOwned())
}

func TestErrorMessagesAndUnwrap(t *testing.T) {
	tp := samsa.TopicPartition{Topic: "t", Partition: 3}
	noOff := &NoOffsetError{Partitions: []samsa.TopicPartition{tp}, OutOfRange: map[samsa.TopicPartition]int64{tp: 99}}
	assert.ErrorIs(t, noOff, ErrNoOffset)
	assert.ErrorIs(t, noOff, kerr.OffsetOutOfRange)
	assert.Contains(t, noOff.Error(), "t-3 (offset 99 out of range)")
	assert.NotErrorIs(t, &NoOffsetError{Partitions: []samsa.TopicPartition{tp}}, kerr.OffsetOutOfRange)

	ce := &CommitError{Errors: map[samsa.TopicPartition]error{tp: kerr.IllegalGeneration, {Topic: "t", Partition: 1}: kerr.IllegalGeneration}}
	assert.ErrorIs(t, ce, kerr.IllegalGeneration)
	assert.Len(t, ce.Unwrap(), 1, "causes are deduplicated")
	assert.Contains(t, ce.Error(), "t-1: ILLEGAL_GENERATION")
	assert.ErrorIs(t, &CommitError{Err: samsa.ErrConnectionClosed}, samsa.ErrConnectionClosed)

	fenced := &FencedInstanceError{Group: "g", InstanceID: "i"}
	assert.ErrorIs(t, fenced, kerr.FencedInstanceID)
	assert.ErrorIs(t, ErrRebalanceInProgress, kerr.RebalanceInProgress)

	se := &serde.Error{Topic: "t", Field: serde.FieldValue, Err: serde.ErrMalformed}
	re := &RecordError{TopicPartition: tp, Offset: 5, Err: se}
	assert.ErrorIs(t, re, serde.ErrMalformed)
	assert.Contains(t, re.Error(), "t-3@5")

	fe := &FetchError{TopicPartition: tp, Offset: 7, Err: samsa.ErrCorruptBatch}
	assert.ErrorIs(t, fe, samsa.ErrCorruptBatch)
	ge := &GroupError{Group: "g", Op: "JoinGroup", Err: kerr.GroupAuthorizationFailed}
	assert.ErrorIs(t, ge, kerr.GroupAuthorizationFailed)
	le := &ListenerError{Method: "OnPartitionsLost", Err: &PanicError{Value: errors.New("boom")}}
	assert.EqualError(t, errors.Unwrap(errors.Unwrap(le)), "boom")
}
