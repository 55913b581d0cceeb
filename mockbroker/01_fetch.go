package mockbroker

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// brokerFetchMaxBytes caps a fetch response, as Kafka's fetch.max.bytes
// (55 MiB) does whatever the client asks.
const brokerFetchMaxBytes = 55 << 20

// readCommitted is the isolation level that reads only up to the last
// stable offset.
const readCommitted = 1

// fetchWaiter is a long-polling Fetch waiting for data: it registers with
// the partitions it reads, and any of them wakes it.
type fetchWaiter struct {
	ch chan struct{}
}

func (w *fetchWaiter) wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// fetchResult is what one partition of a fetch yields.
type fetchResult struct {
	fp                  *fetchPart
	p                   *partition // nil when the partition does not exist
	err                 error
	hwm, lso, logStart  int64
	data                []byte
	pooled              bool  // data comes from the synthetic pool
	leaderID, leaderEpc int32 // current leader, for NOT_LEADER_OR_FOLLOWER (v16+, KIP-951)
}

// handleFetch serves a Fetch: full fetches with or without a session and
// incremental fetch sessions (KIP-227; see planFetch), topic ids from v13.
// Per partition it checks existence (UNKNOWN_TOPIC_OR_PARTITION,
// UNKNOWN_TOPIC_ID), leadership (NOT_LEADER_OR_FOLLOWER), the client's
// current leader epoch from v9 (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH)
// and the offset (OFFSET_OUT_OF_RANGE below the log start offset or above
// the high watermark), then reads whole batches up to the partition's and
// the response's byte limits, cutting the last one short as Kafka does,
// and returning at least one whole batch in the first partition with data
// (KIP-74). read_committed reads up to the last stable offset. Without an
// error and with fewer than min bytes, it long-polls up to max wait, woken
// as soon as data arrives in any of its partitions.
func handleFetch(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.FetchRequest)
	c := rc.c
	if err := rc.lock(); err != nil {
		return nil, err
	}
	plan, err := rc.planFetch(r)
	if err != nil {
		rc.unlock()
		resp := r.ResponseKind().(*kmsg.FetchResponse)
		resp.ErrorCode = codeOf(err)
		return resp, nil
	}
	deadline := rc.rq.received.Add(time.Duration(max(r.MaxWaitMillis, 0)) * time.Millisecond)
	w := &fetchWaiter{ch: make(chan struct{}, 1)}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		results, total, errored := rc.readFetch(r, plan)
		if errored || total >= int(r.MinBytes) || !time.Now().Before(deadline) {
			resp := rc.fetchResponse(r, plan, results)
			rc.unlock()
			rc.onEncoded(func() { rc.releaseFetch(results) })
			return resp, nil
		}
		rc.releaseFetch(results)
		var watched []*partition
		for _, res := range results {
			if res.p != nil {
				if res.p.waiters == nil {
					res.p.waiters = make(map[*fetchWaiter]struct{})
				}
				res.p.waiters[w] = struct{}{}
				watched = append(watched, res.p)
			}
		}
		rc.unlock()
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		var stop error
		select {
		case <-w.ch:
		case <-timer.C:
		case <-rc.cn.done:
			stop = errStaleConn
		case <-c.done:
			stop = samsa.ErrClosed
		}
		c.mu.Lock()
		for _, p := range watched {
			delete(p.waiters, w)
		}
		c.mu.Unlock()
		if stop != nil {
			return nil, stop
		}
		if err := rc.lock(); err != nil {
			return nil, err
		}
	}
}

// releaseFetch returns pooled synthetic data to its pool.
func (rc *reqCtx) releaseFetch(results []fetchResult) {
	for i := range results {
		if results[i].pooled {
			rc.c.synthetic.release(results[i].data)
		}
	}
}

// readFetch reads every partition of the plan, within the response's byte
// budget. It reports the bytes read and whether any partition failed (which
// answers the fetch at once, as on Kafka). c.mu must be held.
func (rc *reqCtx) readFetch(r *kmsg.FetchRequest, plan *fetchPlan) (results []fetchResult, total int, errored bool) {
	remaining := int(min(r.MaxBytes, brokerFetchMaxBytes))
	minOne := true
	results = make([]fetchResult, len(plan.parts))
	for i, fp := range plan.parts {
		res := &results[i]
		rc.readPartition(r, fp, res, max(0, min(int(fp.maxBytes), remaining)), minOne)
		if n := len(res.data); n > 0 {
			minOne = false
			remaining -= n
			total += n
		}
		if res.err != nil {
			errored = true
		}
	}
	return results, total, errored
}

// readPartition reads one partition of a fetch. c.mu must be held.
func (rc *reqCtx) readPartition(r *kmsg.FetchRequest, fp *fetchPart, res *fetchResult, maxBytes int, minOne bool) {
	c := rc.c
	*res = fetchResult{fp: fp, hwm: -1, lso: -1, logStart: -1, leaderID: -1, leaderEpc: -1}
	var t *topic
	if r.Version >= 13 {
		if t = c.topicIDs[fp.key.id]; t == nil {
			res.err = fmt.Errorf("%w: %x", kerr.UnknownTopicID, fp.key.id)
			return
		}
	} else if t = c.topics[fp.key.topic]; t == nil {
		res.err = fmt.Errorf("%w: %s", kerr.UnknownTopicOrPartition, fp.key.topic)
		return
	}
	if fp.key.partition < 0 || int(fp.key.partition) >= len(t.partitions) {
		res.err = fmt.Errorf("%w: %s-%d", kerr.UnknownTopicOrPartition, t.name, fp.key.partition)
		return
	}
	p := t.partitions[fp.key.partition]
	res.p = p
	switch {
	case p.leader != rc.b.id:
		res.leaderID, res.leaderEpc = p.leader, p.leaderEpoch
		res.err = fmt.Errorf("%w: %s", kerr.NotLeaderOrFollower, p.tp())
		return
	case fp.leaderEpoch >= 0 && fp.leaderEpoch < p.leaderEpoch:
		res.err = fmt.Errorf("%w: %s: client epoch %d, leader epoch %d", kerr.FencedLeaderEpoch, p.tp(), fp.leaderEpoch, p.leaderEpoch)
		return
	case fp.leaderEpoch > p.leaderEpoch:
		res.err = fmt.Errorf("%w: %s: client epoch %d, leader epoch %d", kerr.UnknownLeaderEpoch, p.tp(), fp.leaderEpoch, p.leaderEpoch)
		return
	}
	if e := rc.injected(t.name, p.index); e != nil {
		res.err = e
		return
	}
	if c.synthetic != nil {
		if fp.offset < 0 {
			res.err = fmt.Errorf("%w: %s: offset %d", kerr.OffsetOutOfRange, p.tp(), fp.offset)
			return
		}
		res.data, res.hwm = c.synthetic.serve(fp.offset, maxBytes, minOne)
		res.lso, res.logStart = res.hwm, 0
		res.pooled = true
		return
	}
	hwm, lso, start := p.log.end, p.lastStableOffset(), p.log.start
	if fp.offset < start || fp.offset > hwm {
		res.err = fmt.Errorf("%w: %s: offset %d is outside [%d, %d]", kerr.OffsetOutOfRange, p.tp(), fp.offset, start, hwm)
		return
	}
	res.hwm, res.lso, res.logStart = hwm, lso, start
	limit := hwm
	if r.IsolationLevel == readCommitted {
		limit = lso
	}
	res.data = p.log.read(fp.offset, maxBytes, minOne, limit)
}

// fetchResponse builds the response from the partitions read. In an
// incremental session only partitions with records, an error or a changed
// high watermark, last stable offset or log start offset are included.
// c.mu must be held.
func (rc *reqCtx) fetchResponse(r *kmsg.FetchRequest, plan *fetchPlan, results []fetchResult) *kmsg.FetchResponse {
	resp := r.ResponseKind().(*kmsg.FetchResponse)
	resp.SessionID = plan.respSessionID
	served := make(map[*fetchPart]bool)
	leaders := make(map[int32]bool)
	cur := -1 // index of the topic partitions are added to
	for i := range results {
		res := &results[i]
		fp := res.fp
		changed := !fp.sent || res.err != nil || len(res.data) > 0 ||
			res.hwm != fp.sentHWM || res.lso != fp.sentLSO || res.logStart != fp.sentLogStart
		if plan.session != nil {
			fp.sent, fp.sentHWM, fp.sentLSO, fp.sentLogStart = true, res.hwm, res.lso, res.logStart
			if len(res.data) > 0 {
				served[fp] = true
			}
		}
		if !plan.full && !changed {
			continue
		}
		sp := kmsg.NewFetchResponseTopicPartition()
		sp.Partition = fp.key.partition
		sp.ErrorCode = codeOf(res.err)
		sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = res.hwm, res.lso, res.logStart
		// Kafka sends empty records, never null: librdkafka rejects a
		// null record set as an invalid MessageSetSize.
		sp.RecordBatches = res.data
		if sp.RecordBatches == nil {
			sp.RecordBatches = []byte{}
		}
		if r.IsolationLevel == readCommitted && res.err == nil {
			sp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		}
		if r.Version >= 16 && res.leaderID >= 0 {
			sp.CurrentLeader.LeaderID, sp.CurrentLeader.LeaderEpoch = res.leaderID, res.leaderEpc
			leaders[res.leaderID] = true
		}
		// Consecutive partitions of one topic share a topic entry.
		if cur < 0 || resp.Topics[cur].Topic != fp.key.topic || resp.Topics[cur].TopicID != fp.key.id {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = fp.key.topic, fp.key.id
			resp.Topics = append(resp.Topics, rt)
			cur = len(resp.Topics) - 1
		}
		resp.Topics[cur].Partitions = append(resp.Topics[cur].Partitions, sp)
	}
	if plan.session != nil && !plan.full {
		plan.session.moveToEnd(served)
	}
	for _, b := range rc.c.brokers {
		if leaders[b.id] && b.up {
			fb := kmsg.NewFetchResponseBroker()
			fb.NodeID, fb.Host, fb.Port = b.id, "127.0.0.1", int32(b.port)
			resp.Brokers = append(resp.Brokers, fb)
		}
	}
	return resp
}
