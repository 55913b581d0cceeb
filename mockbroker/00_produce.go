package mockbroker

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

// checkedBatch is one partition's record batch after the checks that need
// no cluster state: framing and CRC (framingErr) and the produce rules and
// record decoding (recordsErr).
type checkedBatch struct {
	hdr        records.BatchHeader
	batch      []byte
	framingErr error
	recordsErr error
}

// checkProduceBatch checks the records of one partition of a Produce
// request: exactly one record batch of magic 2 (INVALID_RECORD otherwise),
// a valid length and CRC (CORRUPT_MESSAGE), and, unless skipRecords, the
// produce rules (INVALID_RECORD) and every record's encoding, decompressing
// if needed (CORRUPT_MESSAGE).
func checkProduceBatch(dec *records.Decoder, raw []byte, skipRecords bool) checkedBatch {
	var cb checkedBatch
	const magicAt = 16
	switch {
	case len(raw) == 0:
		cb.framingErr = fmt.Errorf("%w: produce requests must carry exactly one record batch per partition, got none", kerr.InvalidRecord)
		return cb
	case len(raw) > magicAt && raw[magicAt] != records.Magic:
		cb.framingErr = fmt.Errorf("%w: record batch magic %d; only magic 2 is accepted", kerr.InvalidRecord, int8(raw[magicAt]))
		return cb
	}
	hdr, batch, rest, err := records.ReadBatch(raw)
	switch {
	case err != nil:
		cb.framingErr = fmt.Errorf("%w: %v", kerr.CorruptMessage, err)
		return cb
	case len(rest) > 0:
		cb.framingErr = fmt.Errorf("%w: produce requests must carry exactly one record batch per partition; %d bytes follow the first", kerr.InvalidRecord, len(rest))
		return cb
	}
	cb.hdr, cb.batch = hdr, batch
	if skipRecords {
		return cb
	}
	if err := dec.ValidateProduce(hdr, batch); err != nil {
		if errors.Is(err, records.ErrInvalidBatch) {
			cb.recordsErr = fmt.Errorf("%w: %v", kerr.InvalidRecord, err)
		} else {
			cb.recordsErr = fmt.Errorf("%w: %v", kerr.CorruptMessage, err)
		}
	}
	return cb
}

// handleProduce appends record batches to partition logs. Per partition,
// in Kafka's order of checks: the topic must be a legal name
// (INVALID_TOPIC_EXCEPTION) and exist (UNKNOWN_TOPIC_OR_PARTITION; v13+
// addresses topics by id, UNKNOWN_TOPIC_ID), this broker must lead the
// partition (NOT_LEADER_OR_FOLLOWER, with the current leader from v10,
// KIP-951), the batch must be whole (CORRUPT_MESSAGE), at most the topic's
// max.message.bytes (MESSAGE_TOO_LARGE), and well-formed (INVALID_RECORD,
// CORRUPT_MESSAGE; a null key on a compacted topic is INVALID_RECORD).
// Idempotent producers get Kafka's sequence checks; a retried batch is
// answered with its original offset. acks must be -1, 0 or 1
// (INVALID_REQUIRED_ACKS); with acks=0 nothing is sent back. Replication is
// instant, so acks=-1 and acks=1 answer at once.
func handleProduce(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.ProduceRequest)
	resp := r.ResponseKind().(*kmsg.ProduceResponse)
	c := rc.c
	byID := r.Version >= 13

	// The costly checks (CRC, decompression, record decoding) run before
	// the cluster lock is taken.
	checked := make([][]checkedBatch, len(r.Topics))
	for i, rt := range r.Topics {
		checked[i] = make([]checkedBatch, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			checked[i][j] = checkProduceBatch(&rc.cn.dec, rp.Records, c.cfg.blackhole)
		}
	}

	if err := rc.lock(); err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	leaders := map[int32]bool{}
	for i, rt := range r.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		var t *topic
		var topicErr error
		switch {
		case byID:
			if t = c.topicIDs[rt.TopicID]; t == nil {
				topicErr = fmt.Errorf("%w: no topic has id %x", kerr.UnknownTopicID, rt.TopicID)
			}
		case samsa.ValidateTopic(rt.Topic) != nil:
			topicErr = fmt.Errorf("%w: %v", kerr.InvalidTopicException, samsa.ValidateTopic(rt.Topic))
		default:
			if t = c.topics[rt.Topic]; t == nil {
				topicErr = fmt.Errorf("%w: topic %q does not exist", kerr.UnknownTopicOrPartition, rt.Topic)
			}
		}
		for j, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset = -1
			err := topicErr
			if err == nil && (r.Acks < -1 || r.Acks > 1) {
				err = fmt.Errorf("%w: acks %d; want -1, 0 or 1", kerr.InvalidRequiredAcks, r.Acks)
			}
			if err == nil {
				err = rc.produceTo(t, &sp, &checked[i][j], now, leaders)
			}
			if err != nil {
				sp.ErrorCode = codeOf(err)
				if r.Version >= 8 {
					sp.ErrorMessage = messageOf(err)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if r.Version >= 10 {
		for _, b := range c.brokers {
			if leaders[b.id] && b.up {
				pb := kmsg.NewProduceResponseBroker()
				pb.NodeID, pb.Host, pb.Port = b.id, "127.0.0.1", int32(b.port)
				resp.Brokers = append(resp.Brokers, pb)
			}
		}
	}
	rc.unlock()
	if r.Acks == 0 {
		return nil, nil
	}
	return resp, nil
}

// produceTo appends one checked batch to a partition of t and fills in its
// response. leaders collects the brokers named in a NOT_LEADER_OR_FOLLOWER
// answer's current-leader field. c.mu must be held.
func (rc *reqCtx) produceTo(t *topic, sp *kmsg.ProduceResponseTopicPartition, cb *checkedBatch, now int64, leaders map[int32]bool) error {
	if sp.Partition < 0 || int(sp.Partition) >= len(t.partitions) {
		return fmt.Errorf("%w: topic %q has no partition %d", kerr.UnknownTopicOrPartition, t.name, sp.Partition)
	}
	p := t.partitions[sp.Partition]
	if p.leader != rc.b.id {
		if rc.version() >= 10 && p.leader >= 0 {
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = p.leader, p.leaderEpoch
			leaders[p.leader] = true
		}
		return fmt.Errorf("%w: broker %d does not lead %s; broker %d does", kerr.NotLeaderOrFollower, rc.b.id, p.tp(), p.leader)
	}
	if e := rc.injected(t.name, p.index); e != nil {
		return fmt.Errorf("%w (injected)", e)
	}
	if cb.framingErr != nil {
		return cb.framingErr
	}
	if len(cb.batch) > int(t.cfg.maxMessageBytes) {
		return fmt.Errorf("%w: record batch of %d bytes exceeds max.message.bytes %d of topic %q", kerr.MessageTooLarge, len(cb.batch), t.cfg.maxMessageBytes, t.name)
	}
	if cb.recordsErr != nil {
		return cb.recordsErr
	}
	if t.cfg.compacted && !rc.c.cfg.blackhole {
		if i, ok := nullKeyRecord(&rc.cn.dec, cb); ok {
			sp.ErrorRecords = append(sp.ErrorRecords, kmsg.ProduceResponseTopicPartitionErrorRecord{RelativeOffset: int32(i)})
			return fmt.Errorf("%w: compacted topic %q cannot accept a record without a key (record %d of the batch)", kerr.InvalidRecord, t.name, i)
		}
	}
	dup, err := p.checkProducer(&cb.hdr)
	if err != nil {
		return err
	}
	sp.LogStartOffset = p.log.start
	if dup != nil {
		sp.BaseOffset = dup.base
		return nil
	}
	maxTs := cb.hdr.MaxTimestamp
	if t.cfg.logAppendTime {
		maxTs = now
		sp.LogAppendTime = now
	}
	base, stored := p.log.append(cb.batch, cb.hdr.LastOffsetDelta, maxTs, p.leaderEpoch)
	if stored != nil {
		records.SetBaseOffset(stored, base)
		records.SetPartitionLeaderEpoch(stored, p.leaderEpoch)
		if t.cfg.logAppendTime {
			records.SetLogAppendTime(stored, now)
		}
	}
	p.recordProducer(&cb.hdr, base)
	sp.BaseOffset = base
	p.notify()
	return nil
}

// nullKeyRecord returns the index of the first record of a checked batch
// with a null key.
func nullKeyRecord(dec *records.Decoder, cb *checkedBatch) (int, bool) {
	it := dec.Iter(cb.hdr, cb.batch)
	var r records.Record
	for i := 0; it.Next(&r); i++ {
		if r.Key == nil {
			return i, true
		}
	}
	return 0, false
}
