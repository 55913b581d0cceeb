package interceptor

import (
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/samsa-go/samsa"
)

// chain is what ProducerChain and ConsumerChain share: the interceptors
// (I is ProducerInterceptor[R] or ConsumerInterceptor[R]), their names for
// reports, the logger and the once-only Close.
type chain[I any] struct {
	interceptors []I
	names        []string
	logger       *slog.Logger
	closed       atomic.Bool
}

// init copies interceptors into c, rejecting a nil one (or a nil pointer)
// with a *samsa.ConfigError naming option.
func (c *chain[I]) init(option string, logger *slog.Logger, interceptors []I) error {
	c.interceptors = make([]I, len(interceptors))
	c.names = make([]string, len(interceptors))
	c.logger = logger
	for i, ic := range interceptors {
		if isNilValue(ic) {
			return &samsa.ConfigError{
				Option: option,
				Reason: "interceptor " + strconv.Itoa(i) + " is nil",
			}
		}
		c.interceptors[i] = ic
		c.names[i] = typeName(ic)
	}
	return nil
}

// close closes, in order, each interceptor that implements Closer, logs
// each failure and returns them joined. Only the first call closes.
func (c *chain[I]) close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	for i, ic := range c.interceptors {
		if err := closeOne(ic); err != nil {
			errs = append(errs, c.fail("Close", i, err))
		}
	}
	return errors.Join(errs...)
}

// fail logs the failure of interceptor i's method and returns it as an
// *Error.
func (c *chain[I]) fail(method string, i int, err error) *Error {
	e := &Error{Method: method, Index: i, Interceptor: c.names[i], Err: err}
	logFailure(c.logger, e)
	return e
}

// closeOne closes v if it implements Closer, turning a panic into a
// *PanicError.
func closeOne(v any) (err error) {
	cl, ok := v.(Closer)
	if !ok {
		return nil
	}
	defer recoverInto(&err)
	return cl.Close()
}

// recoverInto, deferred directly (defer recoverInto(&err)), turns a panic
// in the calling function into a *PanicError stored in *err.
func recoverInto(err *error) {
	if v := recover(); v != nil {
		*err = newPanicError(v)
	}
}
