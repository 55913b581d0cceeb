package interceptor

import (
	"log/slog"

	"github.com/samsa-go/samsa"
)

// ConsumerChain runs a consumer's interceptors in order, isolating each
// from the failures of the others. It is immutable after construction and
// safe for concurrent use as long as the interceptors are. A nil or zero
// *ConsumerChain has no interceptors: OnConsume returns its records
// unchanged.
type ConsumerChain[R any] struct {
	chain[ConsumerInterceptor[R]]
}

// NewConsumerChain returns a chain that runs interceptors in the order
// given. Failures are logged to logger at level Warn; a nil logger drops
// them. A nil interceptor (or a nil pointer) is a configuration error,
// reported as a *samsa.ConfigError. The chain keeps its own copy of the
// list.
func NewConsumerChain[R any](logger *slog.Logger, interceptors ...ConsumerInterceptor[R]) (*ConsumerChain[R], error) {
	c := &ConsumerChain[R]{}
	if err := c.init("interceptor.NewConsumerChain", logger, interceptors); err != nil {
		return nil, err
	}
	return c, nil
}

// Len returns the number of interceptors in the chain.
func (c *ConsumerChain[R]) Len() int {
	if c == nil {
		return 0
	}
	return len(c.interceptors)
}

// OnConsume passes recs through every interceptor's OnConsume in order,
// each getting the previous one's result, and returns the last result. An
// interceptor that returns an error or panics is logged and skipped: the
// next one gets the slice the failing one was given. A nil or empty result
// without an error is a valid result (everything was filtered out).
func (c *ConsumerChain[R]) OnConsume(recs []R) []R {
	if c == nil {
		return recs
	}
	for i, ic := range c.interceptors {
		out, err := c.consume(ic, recs)
		if err != nil {
			c.fail("OnConsume", i, err)
			continue
		}
		recs = out
	}
	return recs
}

// consume makes one OnConsume call, turning a panic into a *PanicError.
func (c *ConsumerChain[R]) consume(ic ConsumerInterceptor[R], recs []R) (out []R, err error) {
	defer recoverInto(&err)
	return ic.OnConsume(recs)
}

// OnCommit calls every interceptor's OnCommit in order. A panic in one is
// logged, and the others still run.
func (c *ConsumerChain[R]) OnCommit(offsets map[samsa.TopicPartition]samsa.Offset, err error) {
	if c == nil {
		return
	}
	for i, ic := range c.interceptors {
		if p := c.commit(ic, offsets, err); p != nil {
			c.fail("OnCommit", i, p)
		}
	}
}

// commit makes one OnCommit call and returns a recovered panic as a
// *PanicError.
func (c *ConsumerChain[R]) commit(ic ConsumerInterceptor[R], offsets map[samsa.TopicPartition]samsa.Offset, err error) (p error) {
	defer recoverInto(&p)
	ic.OnCommit(offsets, err)
	return nil
}

// Close closes, in order, each interceptor that implements [Closer], and
// returns their failures (errors and recovered panics, each an *[Error])
// joined. Only the first call closes; later calls return nil. The chain's
// owner must not call OnConsume or OnCommit after Close.
func (c *ConsumerChain[R]) Close() error {
	if c == nil {
		return nil
	}
	return c.close()
}
