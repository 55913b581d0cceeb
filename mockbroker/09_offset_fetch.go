package mockbroker

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// fetchedOffset is one partition of an OffsetFetch answer.
type fetchedOffset struct {
	partition   int32
	offset      int64
	leaderEpoch int32
	metadata    string
	err         *kerr.Error
}

// fetchedTopic is one topic of an OffsetFetch answer.
type fetchedTopic struct {
	topic string
	parts []fetchedOffset
}

// handleOffsetFetch serves OffsetFetch v0-9: the committed offset, leader
// epoch and metadata of the partitions asked for, -1 (and "") for a
// partition without a commit or of an unknown group; with null topics
// (v2+) every committed partition of the group; from v8 several groups in
// one request, each answered on its own. The mock has no pending
// transactional offsets, so require_stable (v7+) never waits. A group-level
// error (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, or an injected one) is
// reported per partition before v2, at the top level from v2 and per group
// from v8; an error injected with OnTopic or OnPartition is reported for
// that partition.
func handleOffsetFetch(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.OffsetFetchRequest)
	resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	if r.Version >= 8 {
		for _, rg := range r.Groups {
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group = rg.Group
			if e := rc.offsetGroupErrLocked(rg.Group); e != nil {
				sg.ErrorCode = e.Code
				resp.Groups = append(resp.Groups, sg)
				continue
			}
			var want []fetchedTopic
			if rg.Topics != nil {
				want = make([]fetchedTopic, 0, len(rg.Topics))
				for _, rt := range rg.Topics {
					want = append(want, wantedTopic(rt.Topic, rt.Partitions))
				}
			}
			for _, ft := range rc.fetchOffsetsLocked(rg.Group, want) {
				st := kmsg.NewOffsetFetchResponseGroupTopic()
				st.Topic = ft.topic
				for _, fp := range ft.parts {
					sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					sp.Partition, sp.Offset, sp.LeaderEpoch = fp.partition, fp.offset, fp.leaderEpoch
					sp.Metadata = kmsg.StringPtr(fp.metadata)
					if fp.err != nil {
						sp.ErrorCode = fp.err.Code
					}
					st.Partitions = append(st.Partitions, sp)
				}
				sg.Topics = append(sg.Topics, st)
			}
			resp.Groups = append(resp.Groups, sg)
		}
		return resp, nil
	}

	var want []fetchedTopic
	if r.Topics != nil || r.Version < 2 {
		want = make([]fetchedTopic, 0, len(r.Topics))
		for _, rt := range r.Topics {
			want = append(want, wantedTopic(rt.Topic, rt.Partitions))
		}
	}
	var got []fetchedTopic
	if e := rc.offsetGroupErrLocked(r.Group); e != nil {
		if r.Version >= 2 {
			resp.ErrorCode = e.Code
			return resp, nil
		}
		got = want
		for i := range got {
			for j := range got[i].parts {
				got[i].parts[j].err = e
			}
		}
	} else {
		got = rc.fetchOffsetsLocked(r.Group, want)
	}
	for _, ft := range got {
		st := kmsg.NewOffsetFetchResponseTopic()
		st.Topic = ft.topic
		for _, fp := range ft.parts {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			sp.Partition, sp.Offset, sp.LeaderEpoch = fp.partition, fp.offset, fp.leaderEpoch
			sp.Metadata = kmsg.StringPtr(fp.metadata)
			if fp.err != nil {
				sp.ErrorCode = fp.err.Code
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// wantedTopic is a requested topic with every partition unanswered.
func wantedTopic(topic string, partitions []int32) fetchedTopic {
	ft := fetchedTopic{topic: topic, parts: make([]fetchedOffset, len(partitions))}
	for i, p := range partitions {
		ft.parts[i] = fetchedOffset{partition: p, offset: -1, leaderEpoch: -1}
	}
	return ft
}

// offsetGroupErrLocked is the group-level error of an OffsetFetch for one
// group. c.mu must be held.
func (rc *reqCtx) offsetGroupErrLocked(id string) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	return rc.groupErrLocked(id, true)
}

// fetchOffsetsLocked answers the partitions in want, or every committed
// partition of the group, sorted, when want is nil. A commit whose topic
// was deleted (or deleted and created again) since is dropped. c.mu must
// be held.
func (rc *reqCtx) fetchOffsetsLocked(id string, want []fetchedTopic) []fetchedTopic {
	g := rc.c.groupLocked(id)
	if want == nil {
		if g == nil {
			return nil
		}
		var tps []samsa.TopicPartition
		for tp := range g.offsets {
			if rc.c.liveCommitLocked(g, tp) {
				tps = append(tps, tp)
			}
		}
		slices.SortFunc(tps, func(a, b samsa.TopicPartition) int {
			if a.Topic != b.Topic {
				if a.Topic < b.Topic {
					return -1
				}
				return 1
			}
			return int(a.Partition) - int(b.Partition)
		})
		for _, tp := range tps {
			if n := len(want); n == 0 || want[n-1].topic != tp.Topic {
				want = append(want, fetchedTopic{topic: tp.Topic})
			}
			want[len(want)-1].parts = append(want[len(want)-1].parts, fetchedOffset{partition: tp.Partition})
		}
	}
	for i := range want {
		ft := &want[i]
		for j := range ft.parts {
			fp := &ft.parts[j]
			fp.offset, fp.leaderEpoch, fp.metadata = -1, -1, ""
			if e := rc.injectedMode(ft.topic, fp.partition, scopeAny); e != nil {
				fp.err = e
				continue
			}
			tp := samsa.TopicPartition{Topic: ft.topic, Partition: fp.partition}
			if g != nil && rc.c.liveCommitLocked(g, tp) {
				co := g.offsets[tp]
				fp.offset, fp.leaderEpoch, fp.metadata = co.offset, co.leaderEpoch, co.metadata
			}
		}
	}
	return want
}

// liveCommitLocked reports whether the group has a commit for the
// partition whose topic still exists as it was committed; a stale one is
// deleted. c.mu must be held.
func (c *Cluster) liveCommitLocked(g *group, tp samsa.TopicPartition) bool {
	co, ok := g.offsets[tp]
	if !ok {
		return false
	}
	if t := c.topics[tp.Topic]; t == nil || t.id != co.topicID || int(tp.Partition) >= len(t.partitions) {
		delete(g.offsets, tp)
		return false
	}
	return true
}
