package consumer

import (
	"errors"
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// fetchSession is a source's incremental fetch session with its broker
// (KIP-227). The broker remembers the partitions of the session and the
// fetch offset of each; an incremental fetch sends only what changed —
// partitions added or with a new offset or leader epoch, and partitions to
// forget — and the response carries only partitions with records, an error
// or new watermarks. With many partitions this keeps both requests and
// responses small.
//
// The session holds exactly the partitions of the last fetch: a partition
// left out of a plan (its records are still buffered, it is paused, it
// moved) is forgotten, since the broker would otherwise keep reading it at
// its old offset. Any failure starts a new session with a full fetch. Only
// the source's goroutine uses it.
type fetchSession struct {
	id    int32 // 0: none yet; the next fetch asks for one
	epoch int32 // the epoch of the next incremental fetch
	// maxVersion is the Fetch version cap the session was created under:
	// sessions created naming topics (v12-) and by id (v13+) do not mix.
	maxVersion int16
	parts      map[samsa.TopicPartition]sessionPart
	enabled    bool // the last fetch was built with sessions
}

// sessionPart is what the broker's session holds for one partition.
type sessionPart struct {
	offset      int64
	leaderEpoch int32
	topicID     [16]byte
}

// reset forgets the session; the next fetch is a full one asking for a new
// session.
func (s *fetchSession) reset() {
	s.id, s.epoch = 0, 0
	clear(s.parts)
}

// fill sets the session fields of req and adds the plan's partitions: all
// of them in a full fetch, only the changed ones (plus the partitions to
// forget) in an incremental one. Without sessions (a broker before Fetch
// v7) every fetch is full and sessionless. It reports whether the fetch is
// incremental.
func (s *fetchSession) fill(req *kmsg.FetchRequest, plan *fetchPlan, maxVersion int16, partMaxBytes int32, sessions bool) bool {
	if s.parts == nil {
		s.parts = make(map[samsa.TopicPartition]sessionPart)
	}
	if !sessions || (s.id != 0 && maxVersion != s.maxVersion) {
		s.reset()
	}
	s.enabled = sessions
	incremental := s.id != 0
	switch {
	case !sessions:
		req.SessionID, req.SessionEpoch = 0, -1 // a full fetch outside any session
	case incremental:
		req.SessionID, req.SessionEpoch = s.id, s.epoch
	default:
		req.SessionID, req.SessionEpoch = 0, 0 // a full fetch, asking for a session
		s.maxVersion = maxVersion
	}
	byName := maxVersion < 13
	index := make(map[string]int)
	inPlan := make(map[samsa.TopicPartition]bool, len(plan.parts))
	for i := range plan.parts {
		pp := &plan.parts[i]
		tp := pp.ps.tp
		inPlan[tp] = true
		want := sessionPart{offset: pp.offset, leaderEpoch: pp.leaderEpoch, topicID: pp.topicID}
		if have, ok := s.parts[tp]; incremental && ok && have == want {
			continue // the broker fetches it from where it is
		}
		ti, ok := index[tp.Topic]
		if !ok {
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID = tp.Topic, pp.topicID
			req.Topics = append(req.Topics, t)
			ti = len(req.Topics) - 1
			index[tp.Topic] = ti
		}
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition = tp.Partition
		p.FetchOffset = pp.offset
		p.CurrentLeaderEpoch = pp.leaderEpoch
		p.PartitionMaxBytes = partMaxBytes
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, p)
	}
	if incremental {
		forgot := make(map[string]int)
		for tp, sp := range s.parts {
			if inPlan[tp] {
				continue
			}
			fi, ok := forgot[tp.Topic]
			if !ok {
				f := kmsg.NewFetchRequestForgottenTopic()
				if byName {
					f.Topic = tp.Topic
				} else {
					f.TopicID = sp.topicID
				}
				req.ForgottenTopics = append(req.ForgottenTopics, f)
				fi = len(req.ForgottenTopics) - 1
				forgot[tp.Topic] = fi
			}
			req.ForgottenTopics[fi].Partitions = append(req.ForgottenTopics[fi].Partitions, tp.Partition)
		}
	}
	return incremental
}

// done records the outcome of a fetch built by fill: on success the session
// now holds the plan's partitions at the offsets sent (the broker does not
// advance them by itself), on failure it is reset.
func (s *fetchSession) done(plan *fetchPlan, incremental bool, resp *kmsg.FetchResponse, err error) {
	if err != nil || resp == nil || !s.enabled {
		s.reset()
		return
	}
	if !incremental {
		if resp.SessionID == 0 {
			s.reset() // the broker declined a session: fetch in full
			return
		}
		s.id, s.epoch = resp.SessionID, 1
	} else {
		s.epoch++
		if s.epoch == math.MaxInt32 || s.epoch <= 0 {
			s.epoch = 1 // the epoch wraps to 1, never 0 (a new session)
		}
	}
	clear(s.parts)
	for i := range plan.parts {
		pp := &plan.parts[i]
		s.parts[pp.ps.tp] = sessionPart{offset: pp.offset, leaderEpoch: pp.leaderEpoch, topicID: pp.topicID}
	}
}

// sessionError reports whether a fetch failed because of its session, so a
// full fetch can be sent at once.
func sessionError(err error) bool {
	return errors.Is(err, kerr.FetchSessionIDNotFound) || errors.Is(err, kerr.InvalidFetchSessionEpoch)
}
