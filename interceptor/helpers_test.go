package interceptor

import (
	"context"
	"log/slog"
	"sync"
)

// logged is one captured log record.
type logged struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

// capture is a slog.Handler that keeps every record, for asserting what a
// chain logged.
type capture struct {
	mu      sync.Mutex
	records []logged
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	l := logged{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value
		return true
	})
	c.mu.Lock()
	c.records = append(c.records, l)
	c.mu.Unlock()
	return nil
}

func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) all() []logged {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]logged(nil), c.records...)
}

func newCapture() (*capture, *slog.Logger) {
	c := &capture{}
	return c, slog.New(c)
}

// rec is the record type the tests use: a pointer, as the producer's and
// consumer's records are.
type rec struct {
	Topic string
	Value string
	Trace []string
}

// tracer appends its name to the record's trace, and to a shared log of
// calls, to check ordering.
type tracer struct {
	name  string
	mu    *sync.Mutex
	calls *[]string
}

func (t tracer) note(what string) {
	t.mu.Lock()
	*t.calls = append(*t.calls, t.name+"."+what)
	t.mu.Unlock()
}

func (t tracer) OnSend(r *rec) (*rec, error) {
	r.Trace = append(r.Trace, t.name)
	t.note("send")
	return r, nil
}

func (t tracer) OnAcknowledgement(RecordMetadata, error) { t.note("ack") }
