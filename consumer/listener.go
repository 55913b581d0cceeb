package consumer

import (
	"context"
	"runtime/debug"
	"slices"

	"github.com/samsa-go/samsa"
)

// RebalanceListener is told when the consumer's group assignment changes
// (Java's ConsumerRebalanceListener).
//
// Its methods run on the goroutine that calls Poll (or Unsubscribe or
// Close, which revoke what the consumer holds), never on an internal
// goroutine and never under a consumer lock, so they may call the
// consumer's methods: commit in OnPartitionsRevoked, seek in
// OnPartitionsAssigned. They must not call Poll, Unsubscribe or Close
// (those return ErrReentrantCall). ctx is the context of the call that runs
// them. An error or a panic is returned from that call as a
// *ListenerError; the assignment change is not undone.
//
// Under the eager protocol every rebalance of a member that holds a
// generation starts by revoking everything (OnPartitionsRevoked, possibly
// with no partitions) and ends by assigning the full new assignment
// (OnPartitionsAssigned). Under the
// cooperative protocol (KIP-429) only partitions that move are revoked,
// after the rebalance, and OnPartitionsAssigned gets only the newly added
// partitions; it is called once per completed rebalance, even with none.
type RebalanceListener interface {
	// OnPartitionsRevoked is called before the consumer gives partitions
	// up while it still owns them: commits made here succeed. With auto
	// commit on, their positions were committed just before.
	OnPartitionsRevoked(ctx context.Context, partitions []samsa.TopicPartition) error
	// OnPartitionsAssigned is called with the partitions added to the
	// assignment, before any record of them is fetched.
	OnPartitionsAssigned(ctx context.Context, partitions []samsa.TopicPartition) error
	// OnPartitionsLost is called when the consumer lost partitions without
	// a chance to revoke them (its session expired, it was fenced, or it
	// exceeded the max poll interval): other members may own them already,
	// so commits for them fail.
	OnPartitionsLost(ctx context.Context, partitions []samsa.TopicPartition) error
}

// ListenerFuncs builds a RebalanceListener from functions; nil functions do
// nothing, except that a nil Lost calls Revoked, as Java's default does.
type ListenerFuncs struct {
	Revoked  func(ctx context.Context, partitions []samsa.TopicPartition) error
	Assigned func(ctx context.Context, partitions []samsa.TopicPartition) error
	Lost     func(ctx context.Context, partitions []samsa.TopicPartition) error
}

// OnPartitionsRevoked calls f.Revoked, if set.
func (f ListenerFuncs) OnPartitionsRevoked(ctx context.Context, tps []samsa.TopicPartition) error {
	if f.Revoked == nil {
		return nil
	}
	return f.Revoked(ctx, tps)
}

// OnPartitionsAssigned calls f.Assigned, if set.
func (f ListenerFuncs) OnPartitionsAssigned(ctx context.Context, tps []samsa.TopicPartition) error {
	if f.Assigned == nil {
		return nil
	}
	return f.Assigned(ctx, tps)
}

// OnPartitionsLost calls f.Lost, or f.Revoked if Lost is nil.
func (f ListenerFuncs) OnPartitionsLost(ctx context.Context, tps []samsa.TopicPartition) error {
	if f.Lost == nil {
		return f.OnPartitionsRevoked(ctx, tps)
	}
	return f.Lost(ctx, tps)
}

// listenerKind selects a RebalanceListener method.
type listenerKind int8

const (
	onRevoked listenerKind = iota
	onAssigned
	onLost
)

func (k listenerKind) String() string {
	switch k {
	case onRevoked:
		return "OnPartitionsRevoked"
	case onAssigned:
		return "OnPartitionsAssigned"
	}
	return "OnPartitionsLost"
}

// callListener runs one listener method on the caller's goroutine with the
// partitions sorted, recovering a panic. inCallback is set meanwhile so
// that re-entrant calls are refused rather than deadlocking. It must be
// called without c.mu held.
func (c *client) callListener(ctx context.Context, kind listenerKind, tps []samsa.TopicPartition) (err error) {
	l := c.cfg.listener
	if l == nil {
		return nil
	}
	tps = slices.Clone(tps)
	sortTPs(tps)
	c.inCallback.Store(true)
	defer func() {
		c.inCallback.Store(false)
		if r := recover(); r != nil {
			err = &ListenerError{Method: kind.String(), Partitions: tps, Err: &PanicError{Value: r, Stack: debug.Stack()}}
		}
	}()
	switch kind {
	case onRevoked:
		err = l.OnPartitionsRevoked(ctx, tps)
	case onAssigned:
		err = l.OnPartitionsAssigned(ctx, tps)
	default:
		err = l.OnPartitionsLost(ctx, tps)
	}
	if err != nil {
		return &ListenerError{Method: kind.String(), Partitions: tps, Err: err}
	}
	return nil
}

// firstErr keeps the first of several errors.
type firstErr struct{ err error }

func (f *firstErr) set(err error) {
	if f.err == nil && err != nil {
		f.err = err
	}
}
