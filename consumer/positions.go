package consumer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/samsa-go/samsa"
)

// subKind is how the consumer got its partitions.
type subKind int8

const (
	subNone    subKind = iota
	subTopics          // Subscribe: the group assigns partitions of these topics
	subPattern         // SubscribeRegex: the group assigns partitions of matching topics
	subManual          // Assign: the application chose the partitions
)

// partState is the consumer's state for one assigned partition. Every field
// is guarded by client.mu.
//
// A partition is in one of four position states: waiting for its committed
// offset (awaitingCommitted), waiting for an offset reset (reset != 0),
// stuck without an offset (noOffset, auto offset reset none), or
// positioned (hasPos). Only positioned partitions are fetched.
type partState struct {
	tp samsa.TopicPartition

	// position is the offset of the next record Poll returns; epoch is the
	// leader epoch of the record before it (-1 if unknown).
	position int64
	epoch    int32
	hasPos   bool

	awaitingCommitted bool
	reset             resetTarget // pending lazy reset (seek to beginning/end, auto offset reset)
	noOffset          bool
	outOfRange        int64 // the position that was out of range, when noOffset came from OFFSET_OUT_OF_RANGE; -1 otherwise

	paused        bool
	pendingRevoke bool // eager rebalance started: return nothing more from it
	removed       bool // no longer assigned; in-flight work for it is dropped

	src      *source        // the source that fetches it; see fetcher.sourceForLocked
	inflight bool           // included in a fetch in flight
	buffered []*fetchedPart // fetched records Poll has not returned yet, oldest first
	// ahead is set while a fetch's response for the partition is decoded
	// and fetchFrom, read from its batch headers, is where the next fetch
	// may start meanwhile; aheadSeq tells apart the fetches that set it.
	ahead        bool
	fetchFrom    int64
	aheadSeq     uint64
	backoffUntil time.Time // not fetched (or reset) before this, after an error
	failures     int       // failed fetches in a row, for the backoff
	fetchErr     error     // a *FetchError for Poll to report once
	// outOfRangeAfter says that a fetch after the buffered records, at
	// outOfRangeAt, was answered OFFSET_OUT_OF_RANGE: the records already
	// fetched are returned first, and the auto offset reset applies once
	// they are (Java fetches no further while records are buffered, so it
	// meets the error only there).
	outOfRangeAfter bool
	outOfRangeAt    int64

	// incarnation changes whenever the position is set out of band (seek,
	// reset, committed offset, reassignment), so that a fetch or offset
	// lookup started before the change is recognised as stale and dropped.
	incarnation uint64

	// From the last fetch response, for lag.
	highWatermark, lastStable, logStart int64
}

// resetTarget is a pending offset reset.
type resetTarget int8

const (
	resetNone resetTarget = iota
	resetEarliest
	resetLatest
)

// fetchable reports whether the partition may be included in a new fetch:
// positioned, not paused, and either nothing of it buffered or the response
// of its last fetch being decoded with the next fetch offset known.
func (ps *partState) fetchable(now time.Time) bool {
	return ps.hasPos && !ps.paused && !ps.pendingRevoke && !ps.removed && !ps.inflight && !ps.outOfRangeAfter &&
		(ps.ahead || len(ps.buffered) == 0) && ps.fetchErr == nil && !now.Before(ps.backoffUntil)
}

// nextFetchOffset returns where the partition's next fetch starts: after
// what is being decoded, else after what is buffered, else its position.
func (ps *partState) nextFetchOffset() int64 {
	if ps.ahead {
		return ps.fetchFrom
	}
	return ps.nextFetchOffsetApplied()
}

// nextFetchOffsetApplied returns where the fetch after the applied ones
// starts: after what is buffered, else at the position. A fetch's result
// is applied only if it was sent from there.
func (ps *partState) nextFetchOffsetApplied() int64 {
	if n := len(ps.buffered); n > 0 {
		return ps.buffered[n-1].nextOffset
	}
	return ps.position
}

// leaveSourceLocked takes the partition off its source's count.
func (ps *partState) leaveSourceLocked() {
	if ps.src != nil {
		ps.src.parts--
		ps.src = nil
	}
}

// needsPosition reports whether the partition waits for a committed offset
// or a reset.
func (ps *partState) needsPosition() bool {
	return !ps.hasPos && (ps.awaitingCommitted || ps.reset != resetNone)
}

// setPosition positions the partition at off, dropping anything fetched or
// in flight for it.
func (c *client) setPositionLocked(ps *partState, off int64, epoch int32) {
	c.invalidateLocked(ps)
	ps.position, ps.epoch, ps.hasPos = off, epoch, true
	ps.awaitingCommitted, ps.reset, ps.noOffset, ps.outOfRange = false, resetNone, false, -1
}

// requestResetLocked makes the partition wait for a reset to target.
func (c *client) requestResetLocked(ps *partState, target resetTarget) {
	c.invalidateLocked(ps)
	ps.hasPos = false
	ps.awaitingCommitted, ps.reset, ps.noOffset, ps.outOfRange = false, target, false, -1
}

// applyResetPolicyLocked handles a partition without a usable offset by the
// auto offset reset policy; outOfRange is the offending position, or -1.
func (c *client) applyResetPolicyLocked(ps *partState, outOfRange int64) {
	switch c.cfg.offsetReset {
	case ResetEarliest:
		c.requestResetLocked(ps, resetEarliest)
	case ResetLatest:
		c.requestResetLocked(ps, resetLatest)
	default:
		c.invalidateLocked(ps)
		ps.hasPos, ps.awaitingCommitted, ps.reset = false, false, resetNone
		ps.noOffset, ps.outOfRange = true, outOfRange
	}
}

// invalidateLocked drops the partition's buffered records and makes any
// in-flight fetch or lookup for it stale.
func (c *client) invalidateLocked(ps *partState) {
	ps.incarnation++
	ps.ahead = false
	ps.fetchErr = nil
	ps.outOfRangeAfter = false
	ps.backoffUntil, ps.failures = time.Time{}, 0
	c.dropBufferedLocked(ps)
}

// addPartitionsLocked adds partitions to the assignment. With a group id
// they first look for a committed offset, as Java's consumer does; without
// one they follow the auto offset reset.
func (c *client) addPartitionsLocked(tps []samsa.TopicPartition) {
	for _, tp := range tps {
		if _, ok := c.parts[tp]; ok {
			continue
		}
		ps := &partState{tp: tp, epoch: -1, outOfRange: -1, highWatermark: -1, lastStable: -1, logStart: -1}
		c.parts[tp] = ps
		if c.cfg.groupID != "" {
			ps.awaitingCommitted = true
		} else {
			c.applyResetPolicyLocked(ps, -1)
		}
	}
	c.fetcher.wakeLocked()
}

// removePartitionsLocked removes partitions from the assignment, dropping
// their buffered records.
func (c *client) removePartitionsLocked(tps []samsa.TopicPartition) {
	for _, tp := range tps {
		ps, ok := c.parts[tp]
		if !ok {
			continue
		}
		c.invalidateLocked(ps)
		ps.removed = true
		ps.leaveSourceLocked()
		delete(c.parts, tp)
	}
}

// assignedLocked returns the assigned partitions, sorted.
func (c *client) assignedLocked() []samsa.TopicPartition {
	return sortedKeys(c.parts)
}

// partLocked returns the state of an assigned partition.
func (c *client) partLocked(tp samsa.TopicPartition) (*partState, error) {
	ps, ok := c.parts[tp]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotAssigned, tp)
	}
	return ps, nil
}

// partsOrAllLocked resolves the partitions a call names; none means every
// assigned partition, as in Java's seekToBeginning.
func (c *client) partsOrAllLocked(tps []samsa.TopicPartition) ([]*partState, error) {
	if len(tps) == 0 {
		out := make([]*partState, 0, len(c.parts))
		for _, tp := range c.assignedLocked() {
			out = append(out, c.parts[tp])
		}
		return out, nil
	}
	out := make([]*partState, 0, len(tps))
	for _, tp := range tps {
		ps, err := c.partLocked(tp)
		if err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	return out, nil
}

// seek implements Consumer.Seek.
func (c *client) seek(tp samsa.TopicPartition, offset int64) error {
	if offset < 0 && offset != samsa.OffsetEarliest && offset != samsa.OffsetLatest {
		return fmt.Errorf("samsa: consumer: seek %s to offset %d: an offset is at least 0, or OffsetEarliest or OffsetLatest", tp, offset)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	ps, err := c.partLocked(tp)
	if err != nil {
		return err
	}
	switch offset {
	case samsa.OffsetEarliest:
		c.requestResetLocked(ps, resetEarliest)
	case samsa.OffsetLatest:
		c.requestResetLocked(ps, resetLatest)
	default:
		c.setPositionLocked(ps, offset, -1)
	}
	c.fetcher.wakeLocked()
	c.wakePoll()
	return nil
}

// seekTo implements SeekToBeginning and SeekToEnd: lazy resets, done by the
// next Poll or Position.
func (c *client) seekTo(target resetTarget, tps []samsa.TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	pss, err := c.partsOrAllLocked(tps)
	if err != nil {
		return err
	}
	for _, ps := range pss {
		c.requestResetLocked(ps, target)
	}
	c.wakePoll()
	return nil
}

// setPaused implements Pause and Resume. Records already fetched for a
// paused partition are kept and returned after it is resumed.
func (c *client) setPaused(paused bool, tps []samsa.TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	pss, err := c.partsOrAllLocked(tps)
	if err != nil {
		return err
	}
	for _, ps := range pss {
		ps.paused = paused
	}
	if !paused {
		c.fetcher.wakeLocked()
		c.wakePoll()
	}
	return nil
}

// paused implements Consumer.Paused.
func (c *client) pausedList() []samsa.TopicPartition {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []samsa.TopicPartition
	for tp, ps := range c.parts {
		if ps.paused {
			out = append(out, tp)
		}
	}
	sortTPs(out)
	return out
}

// position implements Consumer.Position: it resolves the partition's
// position (committed offset or reset) if needed, waiting until it is known
// or ctx ends.
func (c *client) position(ctx context.Context, tp samsa.TopicPartition) (samsa.Offset, error) {
	ctx, cancel := c.withAPITimeout(ctx)
	defer cancel()
	for {
		c.mu.Lock()
		if err := c.usableLocked(); err != nil {
			c.mu.Unlock()
			return samsa.Offset{}, err
		}
		ps, err := c.partLocked(tp)
		if err != nil {
			c.mu.Unlock()
			return samsa.Offset{}, err
		}
		if ps.hasPos {
			off := samsa.Offset{Offset: ps.position, LeaderEpoch: ps.epoch}
			c.mu.Unlock()
			return off, nil
		}
		if ps.noOffset {
			err := c.noOffsetErrorLocked([]*partState{ps})
			c.mu.Unlock()
			return samsa.Offset{}, err
		}
		retryAt := c.nextResolve
		c.mu.Unlock()
		if wait := time.Until(retryAt); wait > 0 {
			if err := sleepCtx(ctx, wait); err != nil {
				return samsa.Offset{}, fmt.Errorf("samsa: consumer: position of %s: %w", tp, err)
			}
			continue
		}
		select {
		case <-c.resolveAsync():
		case <-ctx.Done():
			return samsa.Offset{}, fmt.Errorf("samsa: consumer: position of %s: %w", tp, ctx.Err())
		}
	}
}

// noOffsetErrorLocked builds the error for partitions stuck without an
// offset.
func (c *client) noOffsetErrorLocked(pss []*partState) error {
	e := &NoOffsetError{}
	for _, ps := range pss {
		e.Partitions = append(e.Partitions, ps.tp)
		if ps.outOfRange >= 0 {
			if e.OutOfRange == nil {
				e.OutOfRange = make(map[samsa.TopicPartition]int64)
			}
			e.OutOfRange[ps.tp] = ps.outOfRange
		}
	}
	sortTPs(e.Partitions)
	return e
}

// noOffsetError returns a *NoOffsetError for every partition stuck without
// an offset, or nil.
func (c *client) noOffsetError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var stuck []*partState
	for _, ps := range c.parts {
		if ps.noOffset {
			stuck = append(stuck, ps)
		}
	}
	if len(stuck) == 0 {
		return nil
	}
	return c.noOffsetErrorLocked(stuck)
}

// consumedOffsetsLocked returns the positions of the partitions that have
// one: what an auto commit or CommitSync(nil) commits.
func (c *client) consumedOffsetsLocked(only func(*partState) bool) map[samsa.TopicPartition]samsa.Offset {
	out := make(map[samsa.TopicPartition]samsa.Offset, len(c.parts))
	for tp, ps := range c.parts {
		if ps.hasPos && (only == nil || only(ps)) {
			out[tp] = samsa.Offset{Offset: ps.position, LeaderEpoch: ps.epoch}
		}
	}
	return out
}

// matchTopics returns the topics of names the pattern matches, sorted;
// internal topics are left out (Java's exclude.internal.topics).
func matchTopics(re *regexp.Regexp, names []string, internal func(string) bool) []string {
	var out []string
	for _, n := range names {
		if re.MatchString(n) && !internal(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
