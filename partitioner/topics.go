package partitioner

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// topicMap holds per-topic state of type T. Lookups are one atomic load and
// one map read, without a lock and without allocating; adding a topic copies
// the map under a mutex. Producers write to a bounded set of topics, so the
// copies stop after warm-up.
type topicMap[T any] struct {
	mu sync.Mutex // serializes writers
	m  atomic.Pointer[map[string]*topicEntry[T]]
	// last is the entry found last: producers mostly write to one topic
	// at a time, and comparing the name (the same string, most often:
	// equal pointers end the comparison) costs less than hashing it.
	last atomic.Pointer[topicEntry[T]]
}

type topicEntry[T any] struct {
	topic string
	v     *T
}

// lookup returns the state of topic, or nil if it has none yet.
func (tm *topicMap[T]) lookup(topic string) *T {
	if e := tm.last.Load(); e != nil && e.topic == topic {
		return e.v
	}
	m := tm.m.Load()
	if m == nil {
		return nil
	}
	e := (*m)[topic]
	if e == nil {
		return nil
	}
	tm.last.Store(e)
	return e.v
}

// get returns the state of topic, creating it on first use.
func (tm *topicMap[T]) get(topic string) *T {
	if v := tm.lookup(topic); v != nil {
		return v
	}
	return tm.add(topic)
}

func (tm *topicMap[T]) add(topic string) *T {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	old := tm.m.Load()
	if old != nil {
		if e, ok := (*old)[topic]; ok {
			return e.v // another goroutine added it while we waited
		}
	}
	n := 1
	if old != nil {
		n += len(*old)
	}
	next := make(map[string]*topicEntry[T], n)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	e := &topicEntry[T]{topic: topic, v: new(T)}
	next[topic] = e
	tm.m.Store(&next)
	return e.v
}

// positive31 returns a uniformly random int64 in [0, 2^31), like Java's
// Utils.toPositive(ThreadLocalRandom.current().nextInt()).
func positive31(rnd func() uint32) int64 {
	return int64(rnd() & 0x7fffffff)
}

// defaultRand is the random source of the built-ins: math/rand/v2's
// top-level generator, which is safe for concurrent use and lock-free.
func defaultRand() uint32 { return rand.Uint32() }

// randomAvailable picks a partition uniformly among p.Available, or among
// all partitions if none is available (Java's BuiltInPartitioner and
// RoundRobinPartitioner fallback).
func randomAvailable(p Partitions, r int64) int32 {
	if n := int64(len(p.Available)); n > 0 {
		return p.Available[r%n]
	}
	return int32(r % int64(p.Count))
}
