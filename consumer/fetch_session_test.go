package consumer

import (
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

func planOf(parts ...plannedPart) *fetchPlan { return &fetchPlan{parts: parts} }

func part(topic string, p int32, offset int64) plannedPart {
	return plannedPart{ps: &partState{tp: samsa.TopicPartition{Topic: topic, Partition: p}}, offset: offset, leaderEpoch: 1}
}

// sent lists "topic-partition@offset" of a request's partitions, and the
// forgotten ones as "-topic-partition".
func sent(req *kmsg.FetchRequest) []string {
	var out []string
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			out = append(out, samsa.TopicPartition{Topic: t.Topic, Partition: p.Partition}.String()+"@"+strconv.FormatInt(p.FetchOffset, 10))
		}
	}
	for _, f := range req.ForgottenTopics {
		for _, p := range f.Partitions {
			out = append(out, "-"+samsa.TopicPartition{Topic: f.Topic, Partition: p}.String())
		}
	}
	slices.Sort(out)
	return out
}

func TestFetchSession(t *testing.T) {
	var s fetchSession
	fill := func(plan *fetchPlan) (*kmsg.FetchRequest, bool) {
		req := kmsg.NewPtrFetchRequest()
		inc := s.fill(req, plan, 12, 1<<20, true)
		return req, inc
	}
	ok := func(id int32) *kmsg.FetchResponse {
		r := kmsg.NewPtrFetchResponse()
		r.SessionID = id
		return r
	}

	// The first fetch is full and asks for a session.
	p1 := planOf(part("t", 0, 10), part("t", 1, 20))
	req, inc := fill(p1)
	assert.False(t, inc)
	assert.Equal(t, int32(0), req.SessionID)
	assert.Equal(t, int32(0), req.SessionEpoch)
	assert.Equal(t, []string{"t-0@10", "t-1@20"}, sent(req))
	s.done(p1, inc, ok(77), nil)

	// Nothing changed: an incremental fetch with no partitions.
	req, inc = fill(p1)
	assert.True(t, inc)
	assert.Equal(t, int32(77), req.SessionID)
	assert.Equal(t, int32(1), req.SessionEpoch)
	assert.Empty(t, sent(req))
	s.done(p1, inc, ok(77), nil)

	// t-0 moved on, t-1 is buffered (left out), t-2 is new.
	p2 := planOf(part("t", 0, 15), part("t", 2, 0))
	req, inc = fill(p2)
	assert.True(t, inc)
	assert.Equal(t, int32(2), req.SessionEpoch)
	assert.Equal(t, []string{"-t-1", "t-0@15", "t-2@0"}, sent(req))
	s.done(p2, inc, ok(77), nil)

	// A session error starts over with a full fetch.
	s.done(p2, true, nil, kerr.FetchSessionIDNotFound)
	req, inc = fill(p2)
	assert.False(t, inc)
	assert.Equal(t, []string{"t-0@15", "t-2@0"}, sent(req))

	// A broker that declines sessions gets full fetches.
	s.done(p2, inc, ok(0), nil)
	_, inc = fill(p2)
	assert.False(t, inc)

	// Without sessions (Fetch v6-): sessionless full fetches.
	req = kmsg.NewPtrFetchRequest()
	inc = s.fill(req, p2, 6, 1<<20, false)
	assert.False(t, inc)
	assert.Equal(t, int32(-1), req.SessionEpoch)
	s.done(p2, inc, ok(5), nil)
	require.Equal(t, int32(0), s.id, "no session is kept from a sessionless fetch")

	assert.True(t, sessionError(kerr.InvalidFetchSessionEpoch))
	assert.False(t, sessionError(kerr.NotLeaderOrFollower))
}
