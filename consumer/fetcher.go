package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/kerr"
)

// The fetcher keeps up to fetchers-per-broker fetches in flight to each
// broker (WithFetchersPerBroker), one per source. The partitions a broker
// leads are divided between its sources, as evenly as the order of
// assignment allows, the way Kafka divides a broker's partitions between
// its replica fetcher threads (num.replica.fetchers); each source fetches
// its partitions that may be fetched — positioned, not paused, and with
// nothing buffered that Poll has not returned yet — in one Fetch, over a
// connection and an incremental fetch session of its own. Side by side
// fetches keep the broker streaming one response while the client reads
// and decodes another, where one fetch per broker would leave each side
// waiting for the other; separate connections keep an idle partition's
// long poll from holding back another source's fetch, since Kafka answers
// a connection's requests in order.
//
// Goroutines: a planner and the sources, all owned by the client (started
// lazily, stopped by Close). The planner decides what each idle source
// fetches next; a source sends the Fetch, decodes the record batches
// (CRC, decompression, aborted transactions, deserializers) off the
// polling goroutine, and hands the records to the buffer that Poll drains.
//
// Pipelining: when a response arrives, the source reads each partition's
// batch headers (no record decoding) to learn where its next fetch starts
// and sends its next Fetch at once, within the buffered bytes bound; it
// decodes the response while the broker prepares the next one. A partition
// whose response it cannot read ahead (an error, a corrupt batch) waits
// until that response was applied, and otherwise is fetched again as soon
// as Poll takes the last of its buffered records. A seek, reset or
// revocation meanwhile makes the next fetch's result for the partition
// stale (incarnation), and a result is applied only if it was fetched from
// where the buffered records end.
type fetcher struct {
	c    *client
	wake chan struct{} // cap 1: pokes the planner
	// Guarded by client.mu.
	sources    map[sourceKey]*source
	refreshing bool // a refresh for missing topics runs
}

// sourceKey names a source: its broker and its index among the broker's
// sources.
type sourceKey struct {
	broker int32
	index  int
}

// source fetches a share of one broker's partitions.
type source struct {
	f     *fetcher
	id    int32           // the broker
	index int             // among the broker's sources
	parts int             // partitions assigned to it (partState.src); guarded by client.mu
	work  chan *fetchPlan // cap 1; the planner sends only when !busy
	busy  bool            // a plan was handed over and not finished; guarded by client.mu
	// Used only by the source goroutine.
	dec     records.Decoder
	session fetchSession
}

// fetchPlan is one Fetch request to build and send.
type fetchPlan struct {
	src   *source
	parts []plannedPart
}

// plannedPart is one partition of a fetch, as it was when planned.
type plannedPart struct {
	ps          *partState
	incarnation uint64
	offset      int64
	leaderEpoch int32
	topicID     [16]byte
}

// fetchedPart is what one fetch returned for one partition: decoded records
// that Poll hands out in order. Its records alias the response bytes,
// which nothing else uses, so nothing was copied.
type fetchedPart struct {
	ps          *partState
	incarnation uint64
	recs        recordSlab
	n           int   // recs.Len()
	next        int   // the next record to return
	nextOffset  int64 // where to fetch from once every record was returned
	bytes       int64 // accounted against the buffered bytes bound
}

func newFetcher(c *client) *fetcher {
	return &fetcher{c: c, wake: make(chan struct{}, 1), sources: make(map[sourceKey]*source)}
}

// start starts the planner goroutine.
func (f *fetcher) start() {
	f.c.goRun(f.plannerLoop)
}

// wakeLocked asks the planner to plan again. Safe with or without
// client.mu held; the name says it may be called with it.
func (f *fetcher) wakeLocked() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// plannerLoop plans fetches whenever something changed, and after backoffs
// expire.
func (f *fetcher) plannerLoop(ctx context.Context) {
	c := f.c
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		plans, next, missing, orphans := f.planLocked(time.Now(), nil)
		c.mu.Unlock()
		for _, p := range plans {
			p.src.work <- p // never blocks: the source was idle
		}
		if len(missing) > 0 {
			f.refreshTopics(missing)
		}
		if orphans || len(missing) > 0 {
			c.cl.TriggerRefresh()
			retry := time.Now().Add(c.cfg.retryBackoff)
			if next.IsZero() || retry.Before(next) {
				next = retry
			}
		}
		var tc <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-tc:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// planLocked groups the fetchable partitions by leader into one plan per
// idle source. It returns the plans, the earliest time a backoff ends,
// topics missing from the metadata, and whether some partition has no
// known leader. With only set it plans the next fetch of that source alone
// (busy with a response it decodes) from the partitions it already
// fetches. client.mu must be held.
func (f *fetcher) planLocked(now time.Time, only *source) (plans []*fetchPlan, next time.Time, missing []string, orphans bool) {
	c := f.c
	if c.isClosing() || c.bufferedBytes >= c.cfg.maxBufferedBytes {
		return nil, time.Time{}, nil, false
	}
	snap := c.cl.Snapshot()
	var bySource map[*source]*fetchPlan
	seenMissing := make(map[string]bool)
	for _, ps := range c.parts {
		if only != nil && ps.src != only {
			continue
		}
		if !ps.fetchable(now) {
			if ps.hasPos && ps.backoffUntil.After(now) && (next.IsZero() || ps.backoffUntil.Before(next)) {
				next = ps.backoffUntil
			}
			continue
		}
		t := snap.Topics[ps.tp.Topic]
		if t == nil {
			if !seenMissing[ps.tp.Topic] {
				seenMissing[ps.tp.Topic] = true
				missing = append(missing, ps.tp.Topic)
			}
			continue
		}
		p, ok := t.Partition(ps.tp.Partition)
		if !ok || p.Leader < 0 {
			orphans = true
			continue
		}
		if _, ok := snap.Brokers[p.Leader]; !ok {
			orphans = true
			continue
		}
		if only != nil && p.Leader != only.id {
			// Moved to another leader: the planner fetches it from there
			// once only is idle; planning it here would start a plan for
			// another source that nothing sends.
			continue
		}
		src := f.sourceForLocked(ps, p.Leader)
		if src != only && src.busy {
			continue
		}
		if bySource == nil {
			bySource = make(map[*source]*fetchPlan)
		}
		plan := bySource[src]
		if plan == nil {
			plan = &fetchPlan{src: src}
			bySource[src] = plan
			plans = append(plans, plan)
		}
		plan.parts = append(plan.parts, plannedPart{
			ps: ps, incarnation: ps.incarnation, offset: ps.nextFetchOffset(),
			leaderEpoch: p.LeaderEpoch, topicID: t.ID,
		})
	}
	for _, plan := range plans {
		plan.src.busy = true
		for _, pp := range plan.parts {
			pp.ps.inflight = true
		}
	}
	return plans, next, missing, orphans
}

// refreshTopics asks for metadata of topics the cluster does not track yet
// (a refresh only covers topics once asked for), on a goroutine of its own
// so that planning for the other partitions goes on; one at a time.
func (f *fetcher) refreshTopics(topics []string) {
	c := f.c
	c.mu.Lock()
	if f.refreshing || c.isClosing() {
		c.mu.Unlock()
		return
	}
	f.refreshing = true
	c.goRun(func(ctx context.Context) {
		rctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
		_, err := c.cl.Refresh(rctx, topics...)
		cancel()
		if err != nil && ctx.Err() == nil {
			c.log.Debug("consumer: metadata refresh for assigned topics failed", slog.Any("error", err))
		}
		c.mu.Lock()
		f.refreshing = false
		c.mu.Unlock()
		f.wakeLocked()
	})
	c.mu.Unlock()
}

// sourceForLocked returns the source that fetches a partition from its
// leader. A partition keeps its source while the leader stays; a partition
// new to the leader goes to the leader's source with the fewest
// partitions, the lowest index on a tie, so a broker gets a second source
// (and connection) only once it leads two of the consumer's partitions.
// The partition may move while a response of its old source is still being
// decoded (the pipelined fetch); its records stay in order because a result
// is applied only if it was fetched from where the partition's buffered
// records end (applyLocked). client.mu must be held.
func (f *fetcher) sourceForLocked(ps *partState, leader int32) *source {
	if ps.src != nil && ps.src.id == leader {
		return ps.src
	}
	var best *source
	for i := range f.c.cfg.fetchersPerBroker {
		s := f.sources[sourceKey{leader, i}]
		if s == nil {
			s = f.startSourceLocked(leader, i)
		}
		if best == nil || s.parts < best.parts {
			best = s
		}
		if best.parts == 0 {
			break // no other can have fewer; later ones are not started yet
		}
	}
	ps.leaveSourceLocked()
	ps.src = best
	best.parts++
	return best
}

// startSourceLocked starts the index-th source of a broker.
func (f *fetcher) startSourceLocked(broker int32, index int) *source {
	s := &source{f: f, id: broker, index: index, work: make(chan *fetchPlan, 1)}
	s.dec.MaxDecompressedSize = int(max(f.c.cfg.fetchMaxBytes, f.c.cfg.maxPartitionBytes)) * 4
	f.sources[sourceKey{broker, index}] = s
	f.c.goRun(s.loop)
	return s
}

func (s *source) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case plan := <-s.work:
			s.fetch(ctx, plan)
		}
	}
}

// partResult is the outcome of one partition of a fetch, computed without
// the client lock.
type partResult struct {
	err                       error        // partition error (a kerr value), or nil
	batches                   []splitBatch // split by scanAhead
	splitErr                  error
	ahead                     bool // the next fetch was planned from its batch headers
	aheadSeq                  uint64
	reserved                  int64 // bytes counted in bufferedBytes before decoding
	dec                       decoded
	bytes                     int64
	highWatermark, lastStable int64
	logStart                  int64
}

// fetch sends one plan's Fetch and applies the results. As soon as a
// response arrives it works out each partition's next fetch offset from the
// batch headers (scanAhead) and sends the source's next Fetch, so that the
// broker prepares that response while this one is decoded; it goes on so
// while there is something to fetch within the buffered bytes bound.
func (s *source) fetch(ctx context.Context, plan *fetchPlan) {
	c := s.f.c
	start := time.Now()
	resp, err := s.send(ctx, plan)
	for plan != nil {
		results := make([]partResult, len(plan.parts))
		var matched []*kmsg.FetchResponseTopicPartition
		var next *fetchPlan
		var pending chan sendResult
		nextStart := time.Now()
		if err == nil {
			matched = matchResponse(plan, resp)
			next = s.scanAhead(plan, matched, results)
		}
		if next != nil {
			// The source waits for this goroutine below, whatever happens.
			pending = make(chan sendResult, 1)
			go func(next *fetchPlan) {
				r, e := s.send(ctx, next)
				pending <- sendResult{r, e}
			}(next)
		}
		if err == nil {
			s.decodeResponse(plan, matched, results)
		}
		if err != nil && ctx.Err() == nil {
			c.log.Debug("consumer: fetch failed", slog.Int("broker", int(s.id)), slog.Any("error", err))
			c.cl.TriggerRefresh()
		}
		c.met.fetched(s.id, time.Since(start), results)

		now := time.Now()
		c.mu.Lock()
		if next == nil {
			s.busy = false
		}
		gotData := false
		for i := range plan.parts {
			if s.applyLocked(&plan.parts[i], &results[i], err, now) {
				gotData = true
			}
		}
		c.mu.Unlock()
		s.f.wakeLocked()
		if gotData {
			c.wakePoll()
		}
		if next == nil {
			return
		}
		r := <-pending
		plan, resp, err, start = next, r.resp, r.err, nextStart
	}
}

// sendResult is the outcome of a Fetch sent while the previous response
// is decoded.
type sendResult struct {
	resp *kmsg.FetchResponse
	err  error
}

// scanAhead reads the batch headers of each partition of a response,
// without decoding records, to learn where its next fetch starts, and plans
// the source's next fetch from them. A partition with an error, a corrupt
// batch or a batch straddling the last stable offset is left to the
// decoding as before; the others become fetchable at once, their bytes
// counted against the buffered bytes bound. It returns the next plan, or
// nil if there is nothing to fetch now (the source then goes idle once the
// response is applied).
func (s *source) scanAhead(plan *fetchPlan, matched []*kmsg.FetchResponseTopicPartition, results []partResult) *fetchPlan {
	c := s.f.c
	readCommitted := c.cfg.isolation == ReadCommitted
	nexts := make([]int64, len(plan.parts))
	ok := make([]bool, len(plan.parts))
	for i := range plan.parts {
		rp := matched[i]
		switch {
		case rp == nil:
			nexts[i], ok[i] = plan.parts[i].offset, true
		case rp.ErrorCode == 0:
			lastStable := int64(-1)
			if readCommitted {
				lastStable = rp.LastStableOffset
			}
			res := &results[i]
			res.batches, res.splitErr = splitBatches(rp.RecordBatches)
			if res.splitErr == nil {
				nexts[i], ok[i] = scanNextOffset(res.batches, plan.parts[i].offset, lastStable)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosing() {
		return nil
	}
	for i := range plan.parts {
		pp := &plan.parts[i]
		ps := pp.ps
		if !ok[i] || ps.removed || ps.incarnation != pp.incarnation || !ps.hasPos {
			continue
		}
		ps.inflight = false
		ps.ahead, ps.fetchFrom = true, nexts[i]
		ps.aheadSeq++
		res := &results[i]
		res.ahead, res.aheadSeq = true, ps.aheadSeq
		if rp := matched[i]; rp != nil {
			res.reserved = int64(len(rp.RecordBatches))
			c.bufferedBytes += res.reserved
		}
	}
	plans, _, _, _ := s.f.planLocked(time.Now(), s)
	if len(plans) == 0 {
		return nil
	}
	return plans[0]
}

// scanNextOffset walks the batch headers of a partition's record batches
// (split by splitBatches, so a trailing partial batch is already left out)
// and returns the offset after the last batch the decoding examines, which
// is where it would set the next fetch; with lastStable >= 0
// (read_committed) the first batch at or beyond it ends the walk. It
// reports false when only decoding can tell (a batch straddling the last
// stable offset).
func scanNextOffset(batches []splitBatch, fetchOffset, lastStable int64) (int64, bool) {
	next := fetchOffset
	for i := range batches {
		hdr := &batches[i].hdr
		if hdr.NextOffset() > next && lastStable >= 0 {
			if hdr.BaseOffset >= lastStable {
				break
			}
			if hdr.LastOffset() >= lastStable {
				return 0, false
			}
		}
		next = max(next, hdr.NextOffset())
	}
	return next, true
}

// cappedRequest caps the version of a request below what kmsg knows, for
// example Fetch at v12 when a topic id is unknown.
type cappedRequest struct {
	kmsg.Request
	max int16
}

// MaxVersion returns the lower of the request type's and the cap.
func (r cappedRequest) MaxVersion() int16 { return min(r.Request.MaxVersion(), r.max) }

// send builds and sends the Fetch of a plan, within the source's fetch
// session when the broker supports sessions (Fetch v7+).
func (s *source) send(ctx context.Context, plan *fetchPlan) (*kmsg.FetchResponse, error) {
	c := s.f.c
	conn, err := c.cl.ConnFor(ctx, s.id, cluster.FetchPurpose(s.index))
	if err != nil {
		s.session.reset()
		return nil, err
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(c.cfg.fetchMaxWait / time.Millisecond)
	req.MinBytes = c.cfg.fetchMinBytes
	req.MaxBytes = c.cfg.fetchMaxBytes
	req.IsolationLevel = int8(c.cfg.isolation)
	maxVersion := req.MaxVersion()
	for i := range plan.parts {
		if plan.parts[i].topicID == ([16]byte{}) {
			maxVersion = min(maxVersion, 12) // v13+ names topics by id only
		}
	}
	if v, ok := conn.Version(1); ok {
		maxVersion = min(maxVersion, v)
	}
	incremental := s.session.fill(req, plan, maxVersion, c.cfg.maxPartitionBytes, maxVersion >= 7)
	// The broker may hold the fetch for the max wait; allow that on top of
	// the request timeout.
	rctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout+c.cfg.fetchMaxWait)
	defer cancel()
	resp, err := conn.Do(rctx, cappedRequest{Request: req, max: maxVersion})
	var fr *kmsg.FetchResponse
	if err == nil {
		var ok bool
		if fr, ok = resp.(*kmsg.FetchResponse); !ok {
			err = fmt.Errorf("%w: fetch answered with %T", samsa.ErrMalformedResponse, resp)
		} else if fr.ErrorCode != 0 {
			err = fmt.Errorf("fetch from broker %d: %w", s.id, kerr.ForCode(fr.ErrorCode))
		}
	}
	s.session.done(plan, incremental, fr, err)
	if err != nil {
		return nil, err
	}
	return fr, nil
}

// partKey identifies a partition in a fetch response: by name up to v12,
// by topic id from v13.
type partKey struct {
	topic     string
	id        [16]byte
	partition int32
}

// matchResponse returns, for each partition of the plan, its part of the
// response, or nil where the broker left it out.
func matchResponse(plan *fetchPlan, resp *kmsg.FetchResponse) []*kmsg.FetchResponseTopicPartition {
	byID := resp.Version >= 13
	index := make(map[partKey]int, len(plan.parts))
	for i := range plan.parts {
		pp := &plan.parts[i]
		k := partKey{partition: pp.ps.tp.Partition}
		if byID {
			k.id = pp.topicID
		} else {
			k.topic = pp.ps.tp.Topic
		}
		index[k] = i
	}
	matched := make([]*kmsg.FetchResponseTopicPartition, len(plan.parts))
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			k := partKey{partition: rp.Partition}
			if byID {
				k.id = rt.TopicID
			} else {
				k.topic = rt.Topic
			}
			if i, ok := index[k]; ok {
				matched[i] = rp // a partition not asked for is ignored, as Java does
			}
		}
	}
	return matched
}

// decodeResponse decodes the record batches of the plan's partitions into
// results. Partitions the broker left out keep a zero result (no data, no
// error).
func (s *source) decodeResponse(plan *fetchPlan, matched []*kmsg.FetchResponseTopicPartition, results []partResult) {
	c := s.f.c
	for i := range plan.parts {
		res := &results[i]
		res.highWatermark, res.lastStable, res.logStart = -1, -1, -1
		rp := matched[i]
		if rp == nil {
			continue
		}
		if rp.ErrorCode != 0 {
			res.err = kerr.ForCode(rp.ErrorCode)
			continue
		}
		res.highWatermark, res.lastStable, res.logStart = rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset
		res.bytes = int64(len(rp.RecordBatches))
		in := decodeInput{
			data:        rp.RecordBatches,
			fetchOffset: plan.parts[i].offset,
			lastStable:  -1,
			split:       true,
			batches:     res.batches,
			splitErr:    res.splitErr,
		}
		if c.cfg.isolation == ReadCommitted {
			in.readCommitted = true
			in.lastStable = rp.LastStableOffset
			in.aborted = abortedFrom(rp.AbortedTransactions)
		}
		res.dec = decodePart(&s.dec, plan.parts[i].ps.tp, in)
	}
}

// applyLocked applies one partition's result to its state; it reports
// whether Poll has something new (records or an error). reqErr is the
// failure of the whole request, if any. client.mu must be held.
func (s *source) applyLocked(pp *plannedPart, res *partResult, reqErr error, now time.Time) bool {
	c := s.f.c
	ps := pp.ps
	c.bufferedBytes -= res.reserved
	if !res.ahead {
		ps.inflight = false // else cleared by scanAhead; it may be in the next fetch
	}
	if ps.removed || ps.incarnation != pp.incarnation || !ps.hasPos || ps.nextFetchOffsetApplied() != pp.offset {
		return false // reassigned, seeked or reset meanwhile: stale
	}
	if res.ahead && ps.ahead && ps.aheadSeq == res.aheadSeq {
		ps.ahead = false // from now on the buffered records tell where to fetch
	}
	backoff := func() {
		ps.backoffUntil = now.Add(c.cfg.backoff(ps.failures, c.jitter()))
		ps.failures++
	}
	if reqErr != nil {
		if !sessionError(reqErr) { // a session error is answered by a full fetch at once
			backoff()
		}
		return false
	}
	if res.highWatermark >= 0 {
		ps.highWatermark, ps.lastStable, ps.logStart = res.highWatermark, res.lastStable, res.logStart
	}
	switch err := res.err; {
	case err == nil:
		ps.failures = 0
	case errors.Is(err, kerr.OffsetOutOfRange):
		c.log.Info("consumer: fetch offset out of range; applying the auto offset reset",
			slog.String("partition", ps.tp.String()), slog.Int64("offset", pp.offset),
			slog.String("reset", c.cfg.offsetReset.String()))
		if len(ps.buffered) > 0 {
			// A fetch ahead of the application: the reset waits until
			// the records fetched before it are returned (collect).
			ps.outOfRangeAfter, ps.outOfRangeAt = true, pp.offset
			return false
		}
		c.applyResetPolicyLocked(ps, pp.offset)
		c.wakePoll()
		return true
	case errors.Is(err, kerr.NotLeaderOrFollower), errors.Is(err, kerr.FencedLeaderEpoch),
		errors.Is(err, kerr.UnknownLeaderEpoch), errors.Is(err, kerr.LeaderNotAvailable),
		errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID),
		errors.Is(err, kerr.ReplicaNotAvailable), errors.Is(err, kerr.KafkaStorageError),
		errors.Is(err, kerr.OffsetNotAvailable):
		// The leader moved or is moving: follow it after a metadata
		// refresh.
		c.log.Debug("consumer: partition must be refetched after a metadata refresh",
			slog.String("partition", ps.tp.String()), slog.Any("error", err))
		c.cl.TriggerRefresh()
		backoff()
		return false
	case kerr.IsRetriable(err):
		backoff()
		return false
	default:
		ps.fetchErr = &FetchError{TopicPartition: ps.tp, Offset: pp.offset, Err: err}
		backoff()
		return true
	}
	d := &res.dec
	if d.err != nil {
		// Records before the failure are returned; the error is reported
		// once they are, at the offset of the batch that failed.
		ps.fetchErr = &FetchError{TopicPartition: ps.tp, Offset: d.nextOffset, Err: d.err}
		backoff()
	}
	if d.n == 0 {
		// Nothing to return: skip what was examined (control batches,
		// aborted transactions) and fetch on.
		if n := len(ps.buffered); n > 0 {
			last := ps.buffered[n-1]
			last.nextOffset = max(last.nextOffset, d.nextOffset)
		} else if d.nextOffset > ps.position {
			ps.position = d.nextOffset
		}
		return ps.fetchErr != nil
	}
	fp := &fetchedPart{
		ps: ps, incarnation: ps.incarnation, recs: d.recs, n: d.n,
		nextOffset: d.nextOffset, bytes: res.bytes,
	}
	ps.buffered = append(ps.buffered, fp)
	c.buffer = append(c.buffer, fp)
	c.bufferedBytes += fp.bytes
	return true
}

// dropBufferedLocked removes a partition's buffered records from the
// buffer. client.mu must be held.
func (c *client) dropBufferedLocked(ps *partState) {
	if len(ps.buffered) == 0 {
		return
	}
	for _, fp := range ps.buffered {
		c.bufferedBytes -= fp.bytes
	}
	c.buffer = slices.DeleteFunc(c.buffer, func(fp *fetchedPart) bool { return fp.ps == ps })
	ps.buffered = nil
	c.fetcher.wakeLocked()
}
