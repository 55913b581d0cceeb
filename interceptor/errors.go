package interceptor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strconv"
)

// ErrNilRecord is the cause reported when OnSend returns a nil record
// without an error.
var ErrNilRecord = errors.New("interceptor: OnSend returned a nil record")

// Error reports one failed interceptor call: an error it returned, a panic
// it raised (Err is then a *[PanicError]), or a nil record. The chains log
// these; Close returns them.
type Error struct {
	// Method is the interceptor method that failed: "OnSend",
	// "OnAcknowledgement", "OnConsume", "OnCommit" or "Close".
	Method string
	// Index is the interceptor's position in the chain, from 0.
	Index int
	// Interceptor is the interceptor's dynamic type, as %T prints it.
	Interceptor string
	// Err is the cause.
	Err error
}

// Error returns e.g. "interceptor 1 (*main.tracer) OnSend: boom".
func (e *Error) Error() string {
	return "interceptor " + strconv.Itoa(e.Index) + " (" + e.Interceptor + ") " + e.Method + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// PanicError is the cause of an [Error] for an interceptor call that
// panicked.
type PanicError struct {
	// Value is what the interceptor passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns "panic: " and the panic value.
func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap returns the panic value if it is an error, so errors.Is sees
// through a panic(err).
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// newPanicError wraps a recovered value; call it from the deferred function
// so the stack still shows the panic.
func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// logFailure logs a failed call. It runs only on the failure path.
func logFailure(logger *slog.Logger, e *Error) {
	if logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", e.Method),
		slog.Int("index", e.Index),
		slog.String("interceptor", e.Interceptor),
		slog.Any("error", e.Err),
	}
	if p, ok := e.Err.(*PanicError); ok {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	logger.LogAttrs(context.Background(), slog.LevelWarn, "samsa: interceptor failed; the chain goes on without its result", attrs...)
}

// typeName names an interceptor in reports.
func typeName(v any) string { return fmt.Sprintf("%T", v) }

// isNilValue reports whether v is nil or holds a nil pointer, map, slice,
// channel, function or interface. It is used once per interceptor at
// construction time.
func isNilValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// nilChecker returns, for a record type whose values can be nil, a function
// reporting whether a record is nil; for other types it returns nil, so the
// hot path never boxes a struct just to ask.
func nilChecker[R any]() func(R) bool {
	switch reflect.TypeFor[R]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return func(r R) bool {
			a := any(r)
			if a == nil {
				return true
			}
			rv := reflect.ValueOf(a)
			switch rv.Kind() {
			case reflect.Pointer, reflect.Map, reflect.Slice:
				return rv.IsNil()
			}
			return false
		}
	}
	return nil
}
