package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/interceptor"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/serde"
)

// Consumer reads records from Kafka, as a member of a consumer group
// (Subscribe, SubscribeRegex) or from partitions it was given (Assign).
// It is the equivalent of Java's KafkaConsumer.
//
// Concurrency: like Java's consumer, a Consumer is driven by one goroutine
// that calls Poll in a loop and, between polls, commits, seeks, pauses and
// resumes. Every method is nevertheless safe to call from any goroutine:
// Poll, Unsubscribe and Close are serialized with each other (they run the
// RebalanceListener), and the other methods take effect at once. To
// interrupt a blocked Poll, cancel its context (Java's wakeup) or Close the
// consumer from another goroutine.
//
// Goroutines: the consumer owns a fetch planner, a fetch goroutine per
// fetcher of each broker it reads from (WithFetchersPerBroker), a position lookup goroutine while lookups run, and
// with a group a heartbeat goroutine, a commit goroutine and, during a
// rebalance, the goroutine running it; Close stops and waits for all of
// them.
type Consumer[K, V any] struct {
	c     *client
	chain *interceptor.ConsumerChain[Record[K, V]]
	conv  *converter[K, V]
}

// New creates a consumer that deserializes keys and values with the given
// deserializers. It validates the options together (a *samsa.ConfigError
// for invalid ones) and connects to the cluster, within the default API
// timeout: if no seed broker answers, it fails with an error wrapping
// samsa.ErrNoBrokers. The consumer reads nothing until Subscribe,
// SubscribeRegex or Assign.
func New[K, V any](keyDeserializer serde.Deserializer[K], valueDeserializer serde.Deserializer[V], opts ...Option) (*Consumer[K, V], error) {
	if keyDeserializer == nil || valueDeserializer == nil {
		return nil, &samsa.ConfigError{Option: "consumer.New", Reason: "the key and value deserializers must not be nil"}
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, &samsa.ConfigError{Option: "consumer.New", Reason: "an option is nil"}
		}
		o.apply(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	protocol, ok := rebalanceProtocol(cfg.assignors)
	if cfg.groupID != "" && !ok {
		return nil, &samsa.ConfigError{Option: "consumer.WithAssignors", Reason: "the assignors share no rebalance protocol"}
	}
	ics := make([]interceptor.ConsumerInterceptor[Record[K, V]], 0, len(cfg.interceptors))
	for i, ic := range cfg.interceptors {
		typed, ok := ic.(interceptor.ConsumerInterceptor[Record[K, V]])
		if !ok || typed == nil {
			return nil, &samsa.ConfigError{Option: "consumer.WithInterceptors", Value: fmt.Sprintf("%T", ic),
				Reason: fmt.Sprintf("interceptor %d is not a ConsumerInterceptor[%T, %T] or is nil", i, *new(K), *new(V))}
		}
		ics = append(ics, typed)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	chain, err := interceptor.NewConsumerChain(log, ics...)
	if err != nil {
		return nil, err
	}
	wo := cfg.wireOptions(log)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.apiTimeout)
	cl, err := cluster.New(ctx, cfg.brokers, cluster.Options{
		Wire:            wo,
		MetadataMaxAge:  cfg.metadataMaxAge,
		RetryBackoff:    cfg.retryBackoff,
		RetryBackoffMax: cfg.retryBackoffMax,
		Logger:          log,
	})
	cancel()
	if err != nil {
		return nil, err
	}
	c := &client{
		cfg:      cfg,
		log:      log,
		cl:       cl,
		wireOpts: wo,
		met:      newConsumerMetrics(cfg.registry, cfg.groupID),
		onCommit: chain.OnCommit,
		pollSem:  make(chan struct{}, 1),
		wake:     make(chan struct{}, 1),
		closing:  make(chan struct{}),
		closed:   make(chan struct{}),
		parts:    make(map[samsa.TopicPartition]*partState),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.closingCtx, c.closingCancel = context.WithCancel(context.Background())
	c.fetcher = newFetcher(c)
	c.fetcher.start()
	if cfg.groupID != "" {
		c.group = newGroup(c, protocol)
		c.commits = newCommitter(c)
		c.goRun(c.commits.loop)
		c.goRun(c.group.heartbeatLoop)
	}
	return &Consumer[K, V]{c: c, chain: chain, conv: newConverter(keyDeserializer, valueDeserializer)}, nil
}

// Subscribe makes the consumer a member of its group, reading the
// partitions of topics the group assigns it (Java's subscribe). It
// replaces an earlier topic subscription; the next Poll joins or rejoins
// the group. It fails with ErrNoGroup without a group id, and with
// ErrSubscriptionConflict after Assign or SubscribeRegex.
func (c *Consumer[K, V]) Subscribe(topics ...string) error {
	cl := c.c
	if cl.group == nil {
		return ErrNoGroup
	}
	if len(topics) == 0 {
		return errors.New("samsa: consumer: Subscribe needs at least one topic; call Unsubscribe to stop consuming")
	}
	for _, t := range topics {
		if err := samsa.ValidateTopic(t); err != nil {
			return err
		}
	}
	topics = slices.Clone(topics)
	slices.Sort(topics)
	topics = slices.Compact(topics)
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if err := cl.usableLocked(); err != nil {
		return err
	}
	if cl.sub.kind == subManual || cl.sub.kind == subPattern {
		return ErrSubscriptionConflict
	}
	if cl.sub.kind == subTopics && slices.Equal(cl.sub.topics, topics) {
		return nil
	}
	cl.sub = subscription{kind: subTopics, topics: topics}
	cl.group.requestRejoinLocked("the subscription changed")
	return nil
}

// SubscribeRegex is Subscribe for every topic whose name the pattern
// matches, internal topics excepted (Java's subscribe(Pattern)). The
// pattern is matched against the cluster's topics before the first join
// and again at every metadata refresh (WithMetadataMaxAge); a change in
// the matched topics rebalances the group.
func (c *Consumer[K, V]) SubscribeRegex(re *regexp.Regexp) error {
	cl := c.c
	if cl.group == nil {
		return ErrNoGroup
	}
	if re == nil {
		return errors.New("samsa: consumer: SubscribeRegex needs a pattern")
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if err := cl.usableLocked(); err != nil {
		return err
	}
	if cl.sub.kind == subManual || cl.sub.kind == subTopics {
		return ErrSubscriptionConflict
	}
	if cl.sub.kind == subPattern && cl.sub.pattern.String() == re.String() {
		return nil
	}
	cl.cl.TrackAllTopics()
	cl.sub = subscription{kind: subPattern, pattern: re}
	cl.group.requestRejoinLocked("the subscription changed")
	return nil
}

// Assign makes the consumer read exactly the given partitions, outside any
// group management (Java's assign). Partitions it already had keep their
// positions; new ones start at their committed offset (with a group id) or
// by the auto offset reset. With auto commit on, the positions reached so
// far are committed asynchronously first. Assign with no partitions
// unassigns everything. It fails with ErrSubscriptionConflict on a
// subscribed consumer.
func (c *Consumer[K, V]) Assign(partitions ...samsa.TopicPartition) error {
	cl := c.c
	for _, tp := range partitions {
		if err := samsa.ValidateTopic(tp.Topic); err != nil {
			return err
		}
		if tp.Partition < 0 {
			return fmt.Errorf("samsa: consumer: Assign %s: partitions are numbered from 0", tp)
		}
	}
	cl.mu.Lock()
	if err := cl.usableLocked(); err != nil {
		cl.mu.Unlock()
		return err
	}
	if cl.subscribedLocked() {
		cl.mu.Unlock()
		return ErrSubscriptionConflict
	}
	var commit map[samsa.TopicPartition]samsa.Offset
	if *cl.cfg.autoCommit && len(cl.parts) > 0 {
		commit = cl.consumedOffsetsLocked(nil)
	}
	want := make(map[samsa.TopicPartition]bool, len(partitions))
	for _, tp := range partitions {
		want[tp] = true
	}
	var drop []samsa.TopicPartition
	for tp := range cl.parts {
		if !want[tp] {
			drop = append(drop, tp)
		}
	}
	cl.removePartitionsLocked(drop)
	cl.addPartitionsLocked(slices.Collect(maps.Keys(want)))
	if len(partitions) == 0 {
		cl.sub = subscription{}
	} else {
		cl.sub = subscription{kind: subManual}
	}
	cl.mu.Unlock()
	if len(commit) > 0 {
		cl.commits.submit(&commitReq{offsets: commit, async: true, auto: true, done: make(chan struct{})})
	}
	cl.wakePoll()
	return nil
}

// Unsubscribe stops consuming: a group member commits what it consumed
// (with auto commit on), revokes its partitions (OnPartitionsRevoked, or
// OnPartitionsLost if its generation is gone) and leaves the group (a
// static member does not send LeaveGroup); a consumer with assigned
// partitions drops them. Like Poll it runs the listener on the caller's
// goroutine, so it waits for a Poll running elsewhere to return. ctx bounds
// the commit and the LeaveGroup (the default API timeout applies if ctx has
// no deadline).
func (c *Consumer[K, V]) Unsubscribe(ctx context.Context) error {
	cl := c.c
	if err := cl.acquire(ctx); err != nil {
		return err
	}
	defer cl.release()
	ctx, cancel := cl.withAPITimeout(ctx)
	defer cancel()
	cl.mu.Lock()
	subscribed := cl.subscribedLocked()
	cl.mu.Unlock()
	var err error
	if subscribed {
		err = cl.group.leave(ctx, "the consumer unsubscribed")
	}
	cl.mu.Lock()
	cl.removePartitionsLocked(cl.assignedLocked())
	cl.sub = subscription{}
	cl.mu.Unlock()
	return err
}

// Seek sets the position of an assigned partition: the offset of the next
// record Poll returns from it. samsa.OffsetEarliest and samsa.OffsetLatest
// seek to the log start or end, resolved by the next Poll or Position.
// Records already fetched for the partition are dropped. It fails with
// ErrNotAssigned for a partition the consumer does not hold.
func (c *Consumer[K, V]) Seek(tp samsa.TopicPartition, offset int64) error {
	return c.c.seek(tp, offset)
}

// SeekToBeginning seeks partitions (none: every assigned one) to their log
// start offset, lazily: the next Poll or Position looks it up.
func (c *Consumer[K, V]) SeekToBeginning(partitions ...samsa.TopicPartition) error {
	return c.c.seekTo(resetEarliest, partitions)
}

// SeekToEnd seeks partitions (none: every assigned one) to their end — the
// high watermark, or the last stable offset under ReadCommitted — lazily.
func (c *Consumer[K, V]) SeekToEnd(partitions ...samsa.TopicPartition) error {
	return c.c.seekTo(resetLatest, partitions)
}

// Position returns the position of an assigned partition: the offset of
// the next record Poll returns from it, with the leader epoch of the
// record before it. If the position is not known yet it looks up the
// committed offset or applies the reset, waiting until ctx ends (the
// default API timeout if ctx has no deadline). It fails with
// ErrNotAssigned for a partition the consumer does not hold.
func (c *Consumer[K, V]) Position(ctx context.Context, tp samsa.TopicPartition) (samsa.Offset, error) {
	return c.c.position(ctx, tp)
}

// Pause stops fetching from partitions (none: every assigned one). Poll
// returns nothing from them until they are resumed; records already
// fetched are kept and returned after Resume. A paused partition stays
// paused until resumed or unassigned.
func (c *Consumer[K, V]) Pause(partitions ...samsa.TopicPartition) error {
	return c.c.setPaused(true, partitions)
}

// Resume undoes Pause for partitions (none: every assigned one).
func (c *Consumer[K, V]) Resume(partitions ...samsa.TopicPartition) error {
	return c.c.setPaused(false, partitions)
}

// Paused returns the paused partitions, sorted.
func (c *Consumer[K, V]) Paused() []samsa.TopicPartition { return c.c.pausedList() }

// Assignment returns the partitions the consumer holds, sorted: those it
// was assigned by Assign, or by its group.
func (c *Consumer[K, V]) Assignment() []samsa.TopicPartition {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	return c.c.assignedLocked()
}

// Subscription returns the subscribed topics, sorted: as given to
// Subscribe, or as currently matched by the SubscribeRegex pattern.
func (c *Consumer[K, V]) Subscription() []string {
	c.c.mu.Lock()
	defer c.c.mu.Unlock()
	return slices.Clone(c.c.sub.topics)
}

// GroupMetadata describes the consumer's group membership, as a
// transactional producer needs it to commit offsets in a transaction.
type GroupMetadata struct {
	GroupID string
	// Generation is the current generation, -1 when not in one.
	Generation int32
	// MemberID is the id the coordinator gave the member, "" before it
	// joined.
	MemberID string
	// InstanceID is the static group instance id, "" for a dynamic member.
	InstanceID string
}

// GroupMetadata returns the consumer's group membership as of now.
func (c *Consumer[K, V]) GroupMetadata() GroupMetadata {
	cl := c.c
	if cl.group == nil {
		return GroupMetadata{Generation: -1}
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	g := cl.group
	return GroupMetadata{GroupID: g.id, Generation: g.generation, MemberID: g.memberID, InstanceID: g.instanceID}
}

// Committed returns the group's committed offsets of partitions; those
// without one are absent from the map. It asks for stable offsets (no
// pending transactional commits, KIP-447) and retries retriable failures
// until ctx ends (the default API timeout if ctx has no deadline). It fails
// with ErrNoGroup without a group id.
func (c *Consumer[K, V]) Committed(ctx context.Context, partitions ...samsa.TopicPartition) (map[samsa.TopicPartition]samsa.Offset, error) {
	return c.c.committed(ctx, partitions)
}

// CommitSync commits offsets to the group and waits for the answer; nil
// offsets commits the current positions of every assigned partition (what
// Poll returned so far). Each offset is the offset of the next record to
// read (Record.NextOffset). Retriable failures are retried until ctx ends
// (the default API timeout if ctx has no deadline); other failures are
// returned — a *CommitError (with kerr causes such as
// kerr.IllegalGeneration when the partitions moved to another member) or
// ErrRebalanceInProgress. Earlier CommitAsync calls are sent first and
// their callbacks run before CommitSync returns. The interceptors' OnCommit
// sees the outcome. It fails with ErrNoGroup without a group id.
func (c *Consumer[K, V]) CommitSync(ctx context.Context, offsets map[samsa.TopicPartition]samsa.Offset) error {
	committed, err := c.c.commitSync(ctx, offsets)
	if !errors.Is(err, ErrNoGroup) && committed != nil {
		c.c.onCommit(committed, err)
	}
	return err
}

// CommitAsync commits offsets without waiting (nil: the current positions,
// as CommitSync). Commits are sent in the order of the calls and not
// retried; callback (which may be nil) receives the outcome, in the order
// of the calls, on the goroutine of a later Poll, CommitSync, CommitAsync
// or Close — never on an internal goroutine. The callback must not block.
func (c *Consumer[K, V]) CommitAsync(offsets map[samsa.TopicPartition]samsa.Offset, callback func(offsets map[samsa.TopicPartition]samsa.Offset, err error)) {
	c.c.commitAsync(offsets, callback)
}

// Close closes the consumer: it makes a blocked Poll return
// samsa.ErrClosed, commits the consumed positions when auto commit is on,
// revokes the group partitions (OnPartitionsRevoked, on the caller's
// goroutine) and leaves the group (not a static member), waits for pending
// async commits and delivers their callbacks, then stops every goroutine
// and closes every connection. ctx bounds the commit, the leave and the
// wait for async commits (the default API timeout if it has no deadline);
// the shutdown itself always completes. Close is idempotent: later calls
// wait for the first and return its result.
func (c *Consumer[K, V]) Close(ctx context.Context) error {
	cl := c.c
	if cl.inCallback.Load() {
		return ErrReentrantCall
	}
	cl.closeOnce.Do(func() {
		cl.closeErr = cl.close(ctx)
		if err := c.chain.Close(); err != nil && cl.closeErr == nil {
			cl.closeErr = err
		}
		close(cl.closed)
	})
	<-cl.closed
	return cl.closeErr
}

// close does the work of Close once.
func (c *client) close(ctx context.Context) error {
	ctx, cancel := c.withAPITimeout(ctx)
	defer cancel()
	c.mu.Lock()
	c.inClose = true
	close(c.closing)
	c.mu.Unlock()
	c.closingCancel()
	// Wait for a running Poll or Unsubscribe to notice and return.
	c.pollSem <- struct{}{}
	defer c.release()
	var errs firstErr
	if c.group != nil {
		c.mu.Lock()
		subscribed := c.subscribedLocked()
		c.mu.Unlock()
		if subscribed {
			errs.set(c.group.leave(ctx, "the consumer is closing"))
		} else if err := c.autoCommitSync(ctx, nil); err != nil && !errors.Is(err, ErrRebalanceInProgress) {
			errs.set(err)
		}
		c.commits.awaitPending(ctx)
	}
	c.cancel()
	c.wg.Wait()
	if c.group != nil {
		c.group.closeConn()
	}
	c.cl.Close()
	if c.commits != nil {
		c.commits.runCallbacks()
	}
	c.mu.Lock()
	c.removePartitionsLocked(c.assignedLocked())
	c.mu.Unlock()
	return errs.err
}
