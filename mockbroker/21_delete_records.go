package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleDeleteRecords moves log start offsets forward: offset -1 means the
// high watermark; an offset beyond it, or below -1, is
// OFFSET_OUT_OF_RANGE; an offset below the current log start changes
// nothing. The response's low watermark is the new log start offset. Only
// the leader accepts it (NOT_LEADER_OR_FOLLOWER otherwise).
func handleDeleteRecords(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.DeleteRecordsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteRecordsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c

	for _, rt := range r.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			p := c.partitionLocked(rt.Topic, rp.Partition)
			switch {
			case p == nil:
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case p.leader != rc.b.id:
				sp.ErrorCode = kerr.NotLeaderOrFollower.Code
			default:
				if e := rc.injected(rt.Topic, rp.Partition); e != nil {
					sp.ErrorCode = e.Code
					break
				}
				off := rp.Offset
				if off == -1 {
					off = p.log.end
				}
				if off < 0 || off > p.log.end {
					sp.ErrorCode = kerr.OffsetOutOfRange.Code
					break
				}
				p.log.truncateBefore(off)
				sp.LowWatermark = p.log.start
				p.notify()
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
