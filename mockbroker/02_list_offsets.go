package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

// Special ListOffsets timestamps.
const (
	listLatest       = -1 // the high watermark (last stable offset for read_committed)
	listEarliest     = -2 // the log start offset
	listMaxTimestamp = -3 // the record with the highest timestamp (KIP-734, v7)
	listEarliestLoc  = -4 // the earliest local offset (KIP-1005); everything is local here
)

// handleListOffsets answers offsets by timestamp: -2 the log start offset,
// -1 the high watermark (the last stable offset under read_committed), -3
// the record with the highest timestamp (v7+), -4 the earliest local
// offset (the log start offset here), and any other value the first record
// whose timestamp is at least that, or offset -1 if there is none. Only
// the leader answers (NOT_LEADER_OR_FOLLOWER); from v4 the client's current
// leader epoch is checked (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH).
func handleListOffsets(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.ListOffsetsRequest)
	resp := r.ResponseKind().(*kmsg.ListOffsetsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c

	for _, rt := range r.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			p := c.partitionLocked(rt.Topic, rp.Partition)
			cle := int32(-1)
			if r.Version >= 4 {
				cle = rp.CurrentLeaderEpoch
			}
			switch {
			case p == nil:
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case p.leader != rc.b.id:
				sp.ErrorCode = kerr.NotLeaderOrFollower.Code
			case cle >= 0 && cle < p.leaderEpoch:
				sp.ErrorCode = kerr.FencedLeaderEpoch.Code
			case cle > p.leaderEpoch:
				sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
			default:
				if e := rc.injected(rt.Topic, rp.Partition); e != nil {
					sp.ErrorCode = e.Code
					break
				}
				rc.listOffset(p, rp.Timestamp, r.IsolationLevel == readCommitted, &sp)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// listOffset fills in the offset, timestamp and leader epoch for one
// partition. c.mu must be held.
func (rc *reqCtx) listOffset(p *partition, ts int64, committed bool, sp *kmsg.ListOffsetsResponseTopicPartition) {
	l := &p.log
	limit := l.end
	if committed {
		limit = p.lastStableOffset()
	}
	switch ts {
	case listLatest:
		sp.Offset, sp.LeaderEpoch = limit, p.leaderEpoch
		return
	case listEarliest, listEarliestLoc:
		sp.Offset, sp.LeaderEpoch = l.start, p.leaderEpoch
		if i := l.find(l.start); i < len(l.batches) {
			sp.LeaderEpoch = l.batches[i].epoch
		}
		return
	}
	batches := l.batchesFrom(l.start)
	pick := -1
	if ts == listMaxTimestamp {
		for i := range batches {
			if batches[i].base < limit && (pick < 0 || batches[i].maxTs > batches[pick].maxTs) {
				pick = i
			}
		}
		if pick >= 0 {
			ts = batches[pick].maxTs
		}
	} else {
		for i := range batches {
			if batches[i].base < limit && batches[i].maxTs >= ts {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		return // offset and timestamp stay -1: no such record
	}
	b := &batches[pick]
	hdr, batch, _, err := records.ReadBatch(b.bytes())
	if err != nil {
		rc.c.log.Error("stored batch does not parse", "partition", p.tp().String(), "offset", b.base, "err", err)
		sp.ErrorCode = kerr.KafkaStorageError.Code
		return
	}
	it := rc.cn.dec.Iter(hdr, batch)
	var rec records.Record
	for it.Next(&rec) {
		if rec.Offset >= l.start && rec.Offset < limit && rec.Timestamp >= ts {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = rec.Offset, rec.Timestamp, b.epoch
			return
		}
	}
}
