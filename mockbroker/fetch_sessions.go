package mockbroker

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// maxFetchSessions is how many incremental fetch sessions one broker keeps
// (Kafka's max.incremental.fetch.session.cache.slots). When all are taken,
// a new session evicts the one used least recently; its client gets
// FETCH_SESSION_ID_NOT_FOUND and starts over, as on Kafka.
const maxFetchSessions = 1000

// partKey names a partition within a fetch: by topic id from Fetch v13,
// by name before.
type partKey struct {
	topic     string
	id        [16]byte
	partition int32
}

// fetchPart is one partition a fetch reads: what the client asked, and, in
// a session, what it was last told.
type fetchPart struct {
	key         partKey
	offset      int64
	maxBytes    int32
	leaderEpoch int32 // current leader epoch the client knows, -1 if none

	// Last values sent in this session; an incremental response includes
	// the partition only when one changed, it has records or an error.
	sent                           bool
	sentHWM, sentLSO, sentLogStart int64
}

// fetchSession is an incremental fetch session (KIP-227). Guarded by
// Cluster.mu.
type fetchSession struct {
	id     int32
	epoch  int32  // the epoch the next request must carry
	byID   bool   // created by Fetch v13+: partitions keyed by topic id
	used   uint64 // fetchSessions.clock when last used
	parts  []*fetchPart
	lookup map[partKey]*fetchPart
}

// fetchSessions are one broker's sessions. Guarded by Cluster.mu.
type fetchSessions struct {
	byID  map[int32]*fetchSession
	clock uint64 // counts session uses, to find the least recently used
}

func newFetchSessions() *fetchSessions {
	return &fetchSessions{byID: make(map[int32]*fetchSession)}
}

func (fs *fetchSessions) create(byID bool) *fetchSession {
	if len(fs.byID) >= maxFetchSessions {
		var lru *fetchSession
		for _, s := range fs.byID {
			if lru == nil || s.used < lru.used {
				lru = s
			}
		}
		delete(fs.byID, lru.id)
	}
	for {
		var b [4]byte
		_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
		id := int32(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
		if id == 0 || fs.byID[id] != nil {
			continue
		}
		s := &fetchSession{id: id, epoch: 1, byID: byID, used: fs.tick(), lookup: make(map[partKey]*fetchPart)}
		fs.byID[id] = s
		return s
	}
}

func (fs *fetchSessions) tick() uint64 {
	fs.clock++
	return fs.clock
}

// set adds a partition to the session or updates the one it has.
func (s *fetchSession) set(fp *fetchPart) {
	if have := s.lookup[fp.key]; have != nil {
		have.offset, have.maxBytes, have.leaderEpoch = fp.offset, fp.maxBytes, fp.leaderEpoch
		return
	}
	s.lookup[fp.key] = fp
	s.parts = append(s.parts, fp)
}

func (s *fetchSession) forget(k partKey) {
	if s.lookup[k] == nil {
		return
	}
	delete(s.lookup, k)
	for i, fp := range s.parts {
		if fp.key == k {
			s.parts = append(s.parts[:i:i], s.parts[i+1:]...)
			break
		}
	}
}

// moveToEnd moves the partitions that returned records to the end of the
// session's order, so that, as on Kafka, partitions take turns at being
// first in line for the response's byte budget.
func (s *fetchSession) moveToEnd(served map[*fetchPart]bool) {
	if len(served) == 0 {
		return
	}
	rest := make([]*fetchPart, 0, len(s.parts))
	var tail []*fetchPart
	for _, fp := range s.parts {
		if served[fp] {
			tail = append(tail, fp)
		} else {
			rest = append(rest, fp)
		}
	}
	s.parts = append(rest, tail...)
}

// fetchPlan is what a Fetch request reads, decided once per request (the
// session update must not repeat while the fetch long-polls).
type fetchPlan struct {
	parts   []*fetchPart
	session *fetchSession // nil for a sessionless fetch
	full    bool          // every partition goes in the response
	// respSessionID is the session id the response carries.
	respSessionID int32
}

func requestParts(r *kmsg.FetchRequest) []*fetchPart {
	var parts []*fetchPart
	for _, rt := range r.Topics {
		for _, rp := range rt.Partitions {
			fp := &fetchPart{
				key:         partKey{partition: rp.Partition},
				offset:      rp.FetchOffset,
				maxBytes:    rp.PartitionMaxBytes,
				leaderEpoch: -1,
			}
			if r.Version >= 13 {
				fp.key.id = rt.TopicID
			} else {
				fp.key.topic = rt.Topic
			}
			if r.Version >= 9 {
				fp.leaderEpoch = rp.CurrentLeaderEpoch
			}
			parts = append(parts, fp)
		}
	}
	return parts
}

// planFetch applies the request's session fields (KIP-227) to the broker's
// sessions and returns what to read, or the error for the whole request:
//
//	id 0, epoch -1: a full fetch without a session.
//	id 0 (or any id), epoch 0: a full fetch that opens a new session
//	  (closing the given one), evicting the least recently used session
//	  when all slots are taken.
//	id n, epoch -1: close session n, then a full fetch without a session.
//	id n, epoch e > 0: an incremental fetch in session n, which must
//	  expect epoch e (INVALID_FETCH_SESSION_EPOCH otherwise;
//	  FETCH_SESSION_ID_NOT_FOUND for an unknown n).
//
// c.mu must be held.
func (rc *reqCtx) planFetch(r *kmsg.FetchRequest) (*fetchPlan, error) {
	sessions := rc.b.sessions
	byID := r.Version >= 13
	if r.Version < 7 {
		return &fetchPlan{parts: requestParts(r), full: true}, nil
	}
	switch {
	case r.SessionEpoch == -1:
		if r.SessionID != 0 {
			delete(sessions.byID, r.SessionID)
		}
		return &fetchPlan{parts: requestParts(r), full: true}, nil
	case r.SessionEpoch == 0:
		if r.SessionID != 0 {
			delete(sessions.byID, r.SessionID)
		}
		s := sessions.create(byID)
		for _, fp := range requestParts(r) {
			s.set(fp)
		}
		return &fetchPlan{parts: slices.Clone(s.parts), session: s, full: true, respSessionID: s.id}, nil
	case r.SessionEpoch < -1 || r.SessionID == 0:
		return nil, fmt.Errorf("%w: session id %d with epoch %d", kerr.InvalidFetchSessionEpoch, r.SessionID, r.SessionEpoch)
	}
	s := sessions.byID[r.SessionID]
	switch {
	case s == nil:
		return nil, fmt.Errorf("%w: session %d", kerr.FetchSessionIDNotFound, r.SessionID)
	case s.epoch != r.SessionEpoch:
		return nil, fmt.Errorf("%w: session %d expects epoch %d, got %d", kerr.InvalidFetchSessionEpoch, r.SessionID, s.epoch, r.SessionEpoch)
	case s.byID != byID:
		delete(sessions.byID, s.id)
		return nil, fmt.Errorf("%w: session %d was opened with%s topic ids", kerr.FetchSessionTopicIDError, s.id, map[bool]string{true: "", false: "out"}[s.byID])
	}
	for _, fp := range requestParts(r) {
		s.set(fp)
	}
	for _, ft := range r.ForgottenTopics {
		for _, p := range ft.Partitions {
			k := partKey{partition: p}
			if byID {
				k.id = ft.TopicID
			} else {
				k.topic = ft.Topic
			}
			s.forget(k)
		}
	}
	s.used = sessions.tick()
	s.epoch++
	if s.epoch <= 0 {
		s.epoch = 1
	}
	return &fetchPlan{parts: slices.Clone(s.parts), session: s, respSessionID: s.id}, nil
}
