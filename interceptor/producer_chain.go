package interceptor

import (
	"log/slog"
)

// ProducerChain runs a producer's interceptors in order, isolating each
// from the failures of the others. It is immutable after construction and
// safe for concurrent use as long as the interceptors are. A nil or zero
// *ProducerChain has no interceptors: OnSend returns its record unchanged.
type ProducerChain[R any] struct {
	chain[ProducerInterceptor[R]]
	isNil func(R) bool // nil unless R's values can be nil
}

// NewProducerChain returns a chain that runs interceptors in the order
// given. Failures are logged to logger at level Warn; a nil logger drops
// them. A nil interceptor (or a nil pointer) is a configuration error,
// reported as a *samsa.ConfigError. The chain keeps its own copy of the
// list.
func NewProducerChain[R any](logger *slog.Logger, interceptors ...ProducerInterceptor[R]) (*ProducerChain[R], error) {
	c := &ProducerChain[R]{isNil: nilChecker[R]()}
	if err := c.init("interceptor.NewProducerChain", logger, interceptors); err != nil {
		return nil, err
	}
	return c, nil
}

// Len returns the number of interceptors in the chain.
func (c *ProducerChain[R]) Len() int {
	if c == nil {
		return 0
	}
	return len(c.interceptors)
}

// OnSend passes rec through every interceptor's OnSend in order, each
// getting the previous one's result, and returns the last result. An
// interceptor that returns an error, panics or returns a nil record is
// logged and skipped: the next one gets the record the failing one was
// given. OnSend itself never fails and never panics because of an
// interceptor.
func (c *ProducerChain[R]) OnSend(rec R) R {
	if c == nil {
		return rec
	}
	for i, ic := range c.interceptors {
		out, err := c.send(ic, rec)
		if err == nil && c.isNil != nil && c.isNil(out) {
			err = ErrNilRecord
		}
		if err != nil {
			c.fail("OnSend", i, err)
			continue
		}
		rec = out
	}
	return rec
}

// send makes one OnSend call, turning a panic into a *PanicError.
func (c *ProducerChain[R]) send(ic ProducerInterceptor[R], rec R) (out R, err error) {
	defer recoverInto(&err)
	return ic.OnSend(rec)
}

// OnAcknowledgement calls every interceptor's OnAcknowledgement in order.
// A panic in one is logged, and the others still run.
func (c *ProducerChain[R]) OnAcknowledgement(md RecordMetadata, err error) {
	if c == nil {
		return
	}
	for i, ic := range c.interceptors {
		if p := c.ack(ic, md, err); p != nil {
			c.fail("OnAcknowledgement", i, p)
		}
	}
}

// ack makes one OnAcknowledgement call and returns a recovered panic as a
// *PanicError.
func (c *ProducerChain[R]) ack(ic ProducerInterceptor[R], md RecordMetadata, err error) (p error) {
	defer recoverInto(&p)
	ic.OnAcknowledgement(md, err)
	return nil
}

// Close closes, in order, each interceptor that implements [Closer], and
// returns their failures (errors and recovered panics, each an *[Error])
// joined. Only the first call closes; later calls return nil. The chain's
// owner must not call OnSend or OnAcknowledgement after Close.
func (c *ProducerChain[R]) Close() error {
	if c == nil {
		return nil
	}
	return c.close()
}
