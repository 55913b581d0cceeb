package partitioner

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
)

// Option configures [UniformSticky] and [Default]. Options are validated
// together by the constructor, which returns a *samsa.ConfigError for any it
// cannot honour.
type Option interface {
	apply(*stickyConfig)
}

type stickyConfig struct {
	adaptive     bool
	availTimeout time.Duration
	ignoreKeys   bool
	rnd          func() uint32
	rndSet       bool
}

type optionFunc func(*stickyConfig)

func (f optionFunc) apply(c *stickyConfig) { f(c) }

// WithAdaptive turns KIP-794 adaptive partitioning on or off (Java's
// partitioner.adaptive.partitioning.enable, default true). When on, the
// partition to stick to next is drawn with a probability that falls with the
// length of its queue, as reported through [LoadAware]; when off, it is drawn
// uniformly among the available partitions and load reports are ignored.
func WithAdaptive(enabled bool) Option {
	return optionFunc(func(c *stickyConfig) { c.adaptive = enabled })
}

// WithAvailabilityTimeout sets Java's partitioner.availability.timeout.ms
// (default 0, which disables it). When positive and adaptive partitioning
// is on, a partition whose leader has gone longer than d without being
// drained ([PartitionLoad].NotDrainedFor) is not chosen as the next sticky
// partition. Negative values are rejected.
func WithAvailabilityTimeout(d time.Duration) Option {
	return optionFunc(func(c *stickyConfig) { c.availTimeout = d })
}

// WithIgnoreKeys makes [Default] place keyed records with the sticky logic
// too, so keys no longer decide the partition (Java's
// partitioner.ignore.keys, default false). [UniformSticky] always ignores
// keys; the option changes nothing there.
func WithIgnoreKeys(ignore bool) Option {
	return optionFunc(func(c *stickyConfig) { c.ignoreKeys = ignore })
}

// WithRand replaces the random source used to draw the next sticky
// partition. rnd must be safe for concurrent use and return uniformly
// distributed values; tests inject a deterministic sequence. Default: the
// math/rand/v2 top-level generator. A nil rnd is rejected.
func WithRand(rnd func() uint32) Option {
	return optionFunc(func(c *stickyConfig) { c.rnd = rnd; c.rndSet = true })
}

func newStickyCore(who string, batchSize int, opts []Option) (*stickyCore, stickyConfig, error) {
	cfg := stickyConfig{adaptive: true, rnd: defaultRand}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	switch {
	case batchSize < 0:
		return nil, cfg, &samsa.ConfigError{Option: who + " batchSize", Value: batchSize,
			Reason: "must be >= 0 (Java's batch.size; 0 switches partition after every record)"}
	case cfg.availTimeout < 0:
		return nil, cfg, &samsa.ConfigError{Option: "partitioner.WithAvailabilityTimeout", Value: cfg.availTimeout,
			Reason: "must be >= 0 (0 disables the availability timeout)"}
	case cfg.rndSet && cfg.rnd == nil:
		return nil, cfg, &samsa.ConfigError{Option: "partitioner.WithRand", Reason: "the random source must not be nil"}
	}
	return &stickyCore{
		batchSize:    int64(batchSize),
		adaptive:     cfg.adaptive,
		availTimeout: cfg.availTimeout,
		rnd:          cfg.rnd,
	}, cfg, nil
}

// stickyCore is KIP-794's built-in partitioner: one sticky partition per
// topic, switched after batch.size bytes, the next one drawn with weights
// from the queue lengths.
type stickyCore struct {
	batchSize    int64
	adaptive     bool
	availTimeout time.Duration
	rnd          func() uint32
	topics       topicMap[stickyTopic]
}

type stickyTopic struct {
	// cur is the partition records stick to; nil means "draw a new one on
	// the next record". It is only ever replaced by compare-and-swap, so of
	// several goroutines that race to switch, exactly one does.
	cur  atomic.Pointer[stickyChoice]
	load atomic.Pointer[loadTable]
}

type stickyChoice struct {
	partition int32
	produced  atomic.Int64 // bytes appended since this partition was chosen
}

// loadTable is the cumulative frequency table of Java's
// updatePartitionLoadStats: cft[i] - cft[i-1] is the weight of ids[i],
// (max queue + 1) - queue[i], so a shorter queue weighs more.
type loadTable struct {
	cft []int64 // strictly increasing
	ids []int32
}

func (s *stickyCore) partition(topic string, p Partitions) int32 {
	if p.Count <= 0 {
		return NoPartition
	}
	t := s.topics.get(topic)
	for {
		c := t.cur.Load()
		if c != nil && c.partition < p.Count {
			return c.partition
		}
		n := &stickyChoice{partition: s.next(t, p)}
		if t.cur.CompareAndSwap(c, n) {
			return n.partition
		}
		// Another goroutine chose first; stick to its choice.
	}
}

// next draws the next sticky partition (Java's nextPartition).
func (s *stickyCore) next(t *stickyTopic, p Partitions) int32 {
	r := positive31(s.rnd)
	if lt := t.load.Load(); lt != nil && s.adaptive {
		w := r % lt.cft[len(lt.cft)-1]
		i := sort.Search(len(lt.cft), func(i int) bool { return lt.cft[i] > w })
		if id := lt.ids[i]; id < p.Count {
			return id
		}
		// The statistics predate a metadata change; fall back to uniform.
	}
	return randomAvailable(p, r)
}

func (s *stickyCore) onAppend(a Append) {
	t := s.topics.lookup(a.Topic)
	if t == nil {
		return
	}
	c := t.cur.Load()
	if c == nil || c.partition != a.Partition {
		// Appended to a partition we have already moved away from (a racing
		// goroutine switched between Partition and the append); it no longer
		// counts towards anything.
		return
	}
	produced := c.produced.Add(int64(a.Bytes))
	if produced >= s.batchSize && a.AllBatchesFull || produced >= 2*s.batchSize {
		// Clear rather than draw here: the next record draws with the
		// metadata and load that are current then.
		t.cur.CompareAndSwap(c, nil)
	}
}

func (s *stickyCore) updateLoad(topic string, load []PartitionLoad) {
	if !s.adaptive {
		return
	}
	t := s.topics.get(topic)
	t.load.Store(s.buildLoadTable(load))
}

// buildLoadTable turns queue lengths into a cumulative frequency table, or
// returns nil when there is nothing to weigh: fewer than 2 partitions, every
// partition excluded, or all queues equal with none excluded.
func (s *stickyCore) buildLoadTable(load []PartitionLoad) *loadTable {
	if len(load) < 2 {
		return nil
	}
	kept := 0
	maxQueue := 0
	first := -1
	allEqual := true
	for _, l := range load {
		if s.excluded(l) {
			continue
		}
		q := max(l.QueuedBatches, 0)
		if first < 0 {
			first = q
		} else if q != first {
			allEqual = false
		}
		maxQueue = max(maxQueue, q)
		kept++
	}
	if kept == 0 || allEqual && kept == len(load) {
		return nil
	}
	lt := &loadTable{cft: make([]int64, 0, kept), ids: make([]int32, 0, kept)}
	var sum int64
	for _, l := range load {
		if s.excluded(l) {
			continue
		}
		sum += int64(maxQueue) + 1 - int64(max(l.QueuedBatches, 0))
		lt.cft = append(lt.cft, sum)
		lt.ids = append(lt.ids, l.Partition)
	}
	return lt
}

func (s *stickyCore) excluded(l PartitionLoad) bool {
	return l.Partition < 0 || s.availTimeout > 0 && l.NotDrainedFor > s.availTimeout
}

// UniformSticky returns Java's KIP-794 built-in partitioner applied to every
// record, keyed or not (the placement of Java's UniformStickyPartitioner, now
// built into the accumulator). Records stick to one partition until
// batchSize bytes were appended to it and its batches are full, or until
// 2×batchSize bytes were appended; then the next record draws a new
// partition: uniformly among the available partitions, or, with adaptive
// partitioning (the default), weighted by the inverse of each partition's
// queue length. See [WithAdaptive], [WithAvailabilityTimeout], [WithRand].
//
// batchSize is the producer's batch size (Java's batch.size, default 16384);
// 0 switches after every record; negative values are rejected with a
// *samsa.ConfigError.
//
// The partitioner depends on the producer reporting appends ([AppendAware])
// and, for adaptive partitioning, queue lengths ([LoadAware]); without those
// reports it sticks to its first partition for ever. Safe for concurrent
// use: choosing is one atomic load on the hot path, reporting an append one
// atomic add; no locks; one 16-byte allocation per switch of partition, none
// per record otherwise.
func UniformSticky(batchSize int, opts ...Option) (Partitioner, error) {
	core, _, err := newStickyCore("partitioner.UniformSticky", batchSize, opts)
	if err != nil {
		return nil, err
	}
	return &uniformSticky{core: core}, nil
}

type uniformSticky struct{ core *stickyCore }

func (u *uniformSticky) Partition(topic string, _, _ []byte, p Partitions) int32 {
	return u.core.partition(topic, p)
}

func (u *uniformSticky) OnAppend(a Append) { u.core.onAppend(a) }

func (u *uniformSticky) UpdateLoad(topic string, load []PartitionLoad) {
	u.core.updateLoad(topic, load)
}

func (*uniformSticky) RequiresConsistency([]byte) bool { return false }

// Default returns the Java producer's default placement for records without
// an explicit partition (the explicit partition itself is the producer's
// business, see [Resolve]): a keyed record goes to toPositive(murmur2(key))
// % Count over all partitions, exactly as Java places it ([Murmur2]); an
// unkeyed record goes to the KIP-794 uniform sticky partition
// ([UniformSticky]). [WithIgnoreKeys] sends keyed records the sticky way too.
//
// batchSize is the producer's batch size (Java's batch.size, default
// 16384); negative values and invalid options are rejected with a
// *samsa.ConfigError. Only unkeyed appends count towards the sticky switch
// (all appends with WithIgnoreKeys). Safe for concurrent use; no locks; no
// allocation per record except one small one per sticky switch.
func Default(batchSize int, opts ...Option) (Partitioner, error) {
	core, cfg, err := newStickyCore("partitioner.Default", batchSize, opts)
	if err != nil {
		return nil, err
	}
	return &defaultP{core: core, ignoreKeys: cfg.ignoreKeys}, nil
}

type defaultP struct {
	core       *stickyCore
	ignoreKeys bool
}

func (d *defaultP) Partition(topic string, key, _ []byte, p Partitions) int32 {
	if key != nil && !d.ignoreKeys {
		if p.Count <= 0 {
			return NoPartition
		}
		return murmur2Partition(key, p.Count)
	}
	return d.core.partition(topic, p)
}

func (d *defaultP) OnAppend(a Append) {
	if a.Keyed && !d.ignoreKeys {
		return // placed by its key, not by the sticky logic
	}
	d.core.onAppend(a)
}

func (d *defaultP) UpdateLoad(topic string, load []PartitionLoad) {
	d.core.updateLoad(topic, load)
}

func (d *defaultP) RequiresConsistency(key []byte) bool { return key != nil && !d.ignoreKeys }
