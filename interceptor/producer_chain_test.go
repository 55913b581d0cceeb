package interceptor

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTracers(names ...string) ([]ProducerInterceptor[*rec], *[]string) {
	var mu sync.Mutex
	calls := &[]string{}
	out := make([]ProducerInterceptor[*rec], len(names))
	for i, n := range names {
		out[i] = tracer{name: n, mu: &mu, calls: calls}
	}
	return out, calls
}

func TestProducerChainOrder(t *testing.T) {
	ics, calls := newTracers("a", "b", "c")
	c, err := NewProducerChain(nil, ics...)
	require.NoError(t, err)
	assert.Equal(t, 3, c.Len())

	r := c.OnSend(&rec{Topic: "orders"})
	assert.Equal(t, []string{"a", "b", "c"}, r.Trace)

	c.OnAcknowledgement(RecordMetadata{Topic: "orders", Partition: 1, Offset: 7}, nil)
	assert.Equal(t, []string{"a.send", "b.send", "c.send", "a.ack", "b.ack", "c.ack"}, *calls)
}

func TestProducerChainReplacement(t *testing.T) {
	replacer := ProducerFuncs[*rec]{Send: func(r *rec) (*rec, error) {
		return &rec{Topic: r.Topic + "-copy", Value: "replaced"}, nil
	}}
	var seen *rec
	observer := ProducerFuncs[*rec]{Send: func(r *rec) (*rec, error) {
		seen = r
		return r, nil
	}}
	c, err := NewProducerChain[*rec](nil, replacer, observer)
	require.NoError(t, err)

	orig := &rec{Topic: "orders", Value: "v"}
	out := c.OnSend(orig)
	assert.Same(t, seen, out, "the next interceptor gets the replacement")
	assert.Equal(t, &rec{Topic: "orders-copy", Value: "replaced"}, out)
	assert.Equal(t, &rec{Topic: "orders", Value: "v"}, orig, "the original is untouched")
}

func TestProducerChainIsolation(t *testing.T) {
	errBad := errors.New("bad interceptor")
	tests := []struct {
		name      string
		failing   ProducerInterceptor[*rec]
		wantCause func(t *testing.T, err error)
	}{
		{
			name: "error",
			failing: ProducerFuncs[*rec]{Send: func(r *rec) (*rec, error) {
				r.Trace = append(r.Trace, "failing")
				return &rec{Value: "must not be used"}, errBad
			}},
			wantCause: func(t *testing.T, err error) { assert.ErrorIs(t, err, errBad) },
		},
		{
			name: "panic",
			failing: ProducerFuncs[*rec]{Send: func(*rec) (*rec, error) {
				panic("kaboom")
			}},
			wantCause: func(t *testing.T, err error) {
				var p *PanicError
				require.ErrorAs(t, err, &p)
				assert.Equal(t, "kaboom", p.Value)
				assert.Contains(t, string(p.Stack), "TestProducerChainIsolation")
			},
		},
		{
			name: "panic with an error",
			failing: ProducerFuncs[*rec]{Send: func(*rec) (*rec, error) {
				panic(io.ErrUnexpectedEOF)
			}},
			wantCause: func(t *testing.T, err error) { assert.ErrorIs(t, err, io.ErrUnexpectedEOF) },
		},
		{
			name: "nil record",
			failing: ProducerFuncs[*rec]{Send: func(*rec) (*rec, error) {
				return nil, nil
			}},
			wantCause: func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrNilRecord) },
		},
		{
			name: "runtime error",
			failing: ProducerFuncs[*rec]{Send: func(r *rec) (*rec, error) {
				var m map[string]int
				m[r.Topic] = 1 // assignment to a nil map
				return r, nil
			}},
			wantCause: func(t *testing.T, err error) {
				var p *PanicError
				require.ErrorAs(t, err, &p)
				assert.Contains(t, p.Error(), "nil map")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := newCapture()
			before, calls := newTracers("before", "after")
			c, err := NewProducerChain(logger, before[0], tt.failing, before[1])
			require.NoError(t, err)

			in := &rec{Topic: "orders"}
			out := c.OnSend(in)
			require.Same(t, in, out, "the record the failing interceptor was given goes on")
			assert.Contains(t, out.Trace, "before")
			assert.Contains(t, out.Trace, "after")
			assert.Equal(t, []string{"before.send", "after.send"}, *calls)

			got := logs.all()
			require.Len(t, got, 1)
			assert.Equal(t, slog.LevelWarn, got[0].level)
			assert.Equal(t, "OnSend", got[0].attrs["method"].String())
			assert.Equal(t, int64(1), got[0].attrs["index"].Int64())
			assert.Equal(t, "interceptor.ProducerFuncs[*github.com/samsa-go/samsa/interceptor.rec]", got[0].attrs["interceptor"].String())
			cause, ok := got[0].attrs["error"].Any().(error)
			require.True(t, ok)
			tt.wantCause(t, cause)
		})
	}
}

func TestProducerChainAckPanicIsolated(t *testing.T) {
	logs, logger := newCapture()
	var got []RecordMetadata
	var gotErr []error
	record := ProducerFuncs[*rec]{Acknowledgement: func(md RecordMetadata, err error) {
		got = append(got, md)
		gotErr = append(gotErr, err)
	}}
	panicky := ProducerFuncs[*rec]{Acknowledgement: func(RecordMetadata, error) { panic("ack boom") }}
	c, err := NewProducerChain[*rec](logger, panicky, record, panicky, record)
	require.NoError(t, err)

	md := RecordMetadata{Topic: "orders", Partition: 2, Offset: 41, Timestamp: time.UnixMilli(1700000000000), SerializedKeySize: 3, SerializedValueSize: -1}
	c.OnAcknowledgement(md, io.EOF)
	assert.Equal(t, []RecordMetadata{md, md}, got)
	assert.Equal(t, []error{io.EOF, io.EOF}, gotErr)

	l := logs.all()
	require.Len(t, l, 2)
	assert.Equal(t, int64(0), l[0].attrs["index"].Int64())
	assert.Equal(t, int64(2), l[1].attrs["index"].Int64())
	assert.Equal(t, "OnAcknowledgement", l[1].attrs["method"].String())
	assert.Contains(t, l[1].attrs["stack"].String(), "panic")
}

func TestProducerChainNilAndEmpty(t *testing.T) {
	r := &rec{Topic: "t"}

	var nilChain *ProducerChain[*rec]
	assert.Same(t, r, nilChain.OnSend(r))
	nilChain.OnAcknowledgement(RecordMetadata{}, nil)
	assert.NoError(t, nilChain.Close())
	assert.Zero(t, nilChain.Len())

	var zero ProducerChain[*rec]
	assert.Same(t, r, zero.OnSend(r))
	zero.OnAcknowledgement(RecordMetadata{}, nil)
	assert.NoError(t, zero.Close())

	empty, err := NewProducerChain[*rec](nil)
	require.NoError(t, err)
	assert.Same(t, r, empty.OnSend(r))
}

func TestProducerChainNilInterceptor(t *testing.T) {
	var typedNil *ProducerFuncs[*rec]
	for name, ics := range map[string][]ProducerInterceptor[*rec]{
		"untyped nil": {ProducerFuncs[*rec]{}, nil},
		"typed nil":   {typedNil},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := NewProducerChain(nil, ics...)
			assert.Nil(t, c)
			var ce *samsa.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "interceptor.NewProducerChain", ce.Option)
			assert.Contains(t, ce.Reason, "is nil")
		})
	}
}

// valueRec is a non-pointer record type: no nil check applies.
type valueRec struct{ N int }

func TestProducerChainValueRecords(t *testing.T) {
	inc := ProducerFuncs[valueRec]{Send: func(r valueRec) (valueRec, error) { return valueRec{r.N + 1}, nil }}
	fail := ProducerFuncs[valueRec]{Send: func(r valueRec) (valueRec, error) { return valueRec{100}, io.EOF }}
	zeroOut := ProducerFuncs[valueRec]{Send: func(valueRec) (valueRec, error) { return valueRec{}, nil }}
	c, err := NewProducerChain[valueRec](nil, inc, fail, inc, zeroOut, inc)
	require.NoError(t, err)
	assert.Equal(t, valueRec{1}, c.OnSend(valueRec{0}), "a zero struct is a legitimate result")
}

// closer is an interceptor with resources.
type closer struct {
	ProducerFuncs[*rec]
	ConsumerFuncs[*rec]
	name   string
	err    error
	panics bool
	order  *[]string
}

func (c *closer) Close() error {
	*c.order = append(*c.order, c.name)
	if c.panics {
		panic("close boom")
	}
	return c.err
}

func TestProducerChainClose(t *testing.T) {
	logs, logger := newCapture()
	var order []string
	c, err := NewProducerChain[*rec](logger,
		&closer{name: "a", order: &order},
		ProducerFuncs[*rec]{}, // not a Closer
		&closer{name: "b", err: io.ErrClosedPipe, order: &order},
		&closer{name: "c", panics: true, order: &order},
		&closer{name: "d", order: &order},
	)
	require.NoError(t, err)

	err = c.Close()
	assert.Equal(t, []string{"a", "b", "c", "d"}, order)
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	var ie *Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Close", ie.Method)
	assert.Equal(t, 2, ie.Index)
	assert.Contains(t, err.Error(), "panic: close boom")
	assert.Len(t, logs.all(), 2)

	assert.NoError(t, c.Close(), "only the first Close closes")
	assert.Equal(t, []string{"a", "b", "c", "d"}, order)
}

func TestProducerChainConcurrent(t *testing.T) {
	var acks sync.WaitGroup
	counter := ProducerFuncs[*rec]{
		Send: func(r *rec) (*rec, error) {
			r.Trace = append(r.Trace, "counted")
			return r, nil
		},
		Acknowledgement: func(RecordMetadata, error) { acks.Done() },
	}
	_, logger := newCapture()
	c, err := NewProducerChain[*rec](logger, counter, ProducerFuncs[*rec]{Send: func(r *rec) (*rec, error) {
		if r.Value == "bad" {
			panic("bad value")
		}
		return r, nil
	}})
	require.NoError(t, err)

	const goroutines, each = 8, 200
	acks.Add(goroutines * each)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				v := "ok"
				if (g+i)%7 == 0 {
					v = "bad"
				}
				out := c.OnSend(&rec{Value: v})
				assert.Equal(t, []string{"counted"}, out.Trace)
				c.OnAcknowledgement(RecordMetadata{Offset: int64(i)}, nil)
			}
		})
	}
	wg.Wait()
	acks.Wait()
}

func TestErrorString(t *testing.T) {
	e := &Error{Method: "OnSend", Index: 1, Interceptor: "*main.tracer", Err: io.EOF}
	assert.Equal(t, "interceptor 1 (*main.tracer) OnSend: EOF", e.Error())
	assert.ErrorIs(t, e, io.EOF)

	p := &PanicError{Value: 42}
	assert.Equal(t, "panic: 42", p.Error())
	assert.NoError(t, p.Unwrap())
}
