package interceptor

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tag returns an interceptor that marks every record with name and logs
// its calls.
func tag(name string, calls *[]string) ConsumerFuncs[*rec] {
	return ConsumerFuncs[*rec]{
		Consume: func(recs []*rec) ([]*rec, error) {
			*calls = append(*calls, name+".consume")
			for _, r := range recs {
				r.Trace = append(r.Trace, name)
			}
			return recs, nil
		},
		Commit: func(map[samsa.TopicPartition]samsa.Offset, error) {
			*calls = append(*calls, name+".commit")
		},
	}
}

func TestConsumerChainOrder(t *testing.T) {
	var calls []string
	c, err := NewConsumerChain[*rec](nil, tag("a", &calls), tag("b", &calls))
	require.NoError(t, err)
	assert.Equal(t, 2, c.Len())

	out := c.OnConsume([]*rec{{Value: "1"}, {Value: "2"}})
	require.Len(t, out, 2)
	assert.Equal(t, []string{"a", "b"}, out[0].Trace)
	assert.Equal(t, []string{"a", "b"}, out[1].Trace)

	offsets := map[samsa.TopicPartition]samsa.Offset{{Topic: "orders", Partition: 0}: samsa.NewOffset(10)}
	c.OnCommit(offsets, nil)
	assert.Equal(t, []string{"a.consume", "b.consume", "a.commit", "b.commit"}, calls)
}

func TestConsumerChainReplacementAndFiltering(t *testing.T) {
	dropOdd := ConsumerFuncs[*rec]{Consume: func(recs []*rec) ([]*rec, error) {
		out := make([]*rec, 0, len(recs))
		for _, r := range recs {
			if len(r.Value)%2 == 0 {
				out = append(out, r)
			}
		}
		return out, nil
	}}
	var seen []*rec
	observe := ConsumerFuncs[*rec]{Consume: func(recs []*rec) ([]*rec, error) {
		seen = recs
		return recs, nil
	}}
	dropAll := ConsumerFuncs[*rec]{Consume: func([]*rec) ([]*rec, error) { return nil, nil }}

	c, err := NewConsumerChain[*rec](nil, dropOdd, observe)
	require.NoError(t, err)
	in := []*rec{{Value: "a"}, {Value: "bb"}, {Value: "ccc"}, {Value: "dddd"}}
	out := c.OnConsume(in)
	assert.Equal(t, []*rec{{Value: "bb"}, {Value: "dddd"}}, out)
	assert.Equal(t, out, seen)
	assert.Len(t, in, 4, "the input slice is not shortened")

	c, err = NewConsumerChain[*rec](nil, dropAll, observe)
	require.NoError(t, err)
	assert.Empty(t, c.OnConsume(in), "dropping everything is a valid result")
	assert.Nil(t, seen)
}

func TestConsumerChainIsolation(t *testing.T) {
	errBad := errors.New("bad consumer interceptor")
	tests := []struct {
		name    string
		failing ConsumerFuncs[*rec]
		check   func(t *testing.T, err error)
	}{
		{
			name: "error",
			failing: ConsumerFuncs[*rec]{Consume: func([]*rec) ([]*rec, error) {
				return []*rec{{Value: "must not be used"}}, errBad
			}},
			check: func(t *testing.T, err error) { assert.ErrorIs(t, err, errBad) },
		},
		{
			name: "panic",
			failing: ConsumerFuncs[*rec]{Consume: func(recs []*rec) ([]*rec, error) {
				_ = recs[len(recs)+1] // index out of range
				return recs, nil
			}},
			check: func(t *testing.T, err error) {
				var p *PanicError
				require.ErrorAs(t, err, &p)
				assert.Contains(t, p.Error(), "index out of range")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := newCapture()
			var calls []string
			c, err := NewConsumerChain[*rec](logger, tag("a", &calls), tt.failing, tag("b", &calls))
			require.NoError(t, err)

			in := []*rec{{Value: "x"}}
			out := c.OnConsume(in)
			require.Equal(t, in, out)
			assert.Equal(t, []string{"a", "b"}, out[0].Trace)

			l := logs.all()
			require.Len(t, l, 1)
			assert.Equal(t, "OnConsume", l[0].attrs["method"].String())
			assert.Equal(t, int64(1), l[0].attrs["index"].Int64())
			cause, ok := l[0].attrs["error"].Any().(error)
			require.True(t, ok)
			tt.check(t, cause)
		})
	}
}

func TestConsumerChainCommitPanicIsolated(t *testing.T) {
	logs, logger := newCapture()
	var got []error
	note := ConsumerFuncs[*rec]{Commit: func(offsets map[samsa.TopicPartition]samsa.Offset, err error) {
		assert.Len(t, offsets, 1)
		got = append(got, err)
	}}
	panicky := ConsumerFuncs[*rec]{Commit: func(map[samsa.TopicPartition]samsa.Offset, error) { panic(io.ErrNoProgress) }}
	c, err := NewConsumerChain[*rec](logger, note, panicky, note)
	require.NoError(t, err)

	offsets := map[samsa.TopicPartition]samsa.Offset{{Topic: "orders", Partition: 3}: samsa.NewOffset(99)}
	c.OnCommit(offsets, io.EOF)
	assert.Equal(t, []error{io.EOF, io.EOF}, got)

	l := logs.all()
	require.Len(t, l, 1)
	assert.Equal(t, "OnCommit", l[0].attrs["method"].String())
	cause, _ := l[0].attrs["error"].Any().(error)
	assert.ErrorIs(t, cause, io.ErrNoProgress)
}

func TestConsumerChainNilEmptyAndConfig(t *testing.T) {
	in := []*rec{{Value: "x"}}

	var nilChain *ConsumerChain[*rec]
	assert.Equal(t, in, nilChain.OnConsume(in))
	nilChain.OnCommit(nil, nil)
	assert.NoError(t, nilChain.Close())
	assert.Zero(t, nilChain.Len())

	var zero ConsumerChain[*rec]
	assert.Equal(t, in, zero.OnConsume(in))

	c, err := NewConsumerChain[*rec](nil, ConsumerFuncs[*rec]{}, nil)
	assert.Nil(t, c)
	var ce *samsa.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "interceptor.NewConsumerChain", ce.Option)
	assert.Contains(t, ce.Error(), "interceptor 1 is nil")
}

func TestConsumerChainClose(t *testing.T) {
	var order []string
	c, err := NewConsumerChain[*rec](nil,
		&closer{name: "a", order: &order},
		&closer{name: "b", err: io.ErrClosedPipe, order: &order},
		ConsumerFuncs[*rec]{},
		&closer{name: "c", order: &order},
	)
	require.NoError(t, err)
	err = c.Close()
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	assert.Equal(t, []string{"a", "b", "c"}, order)
	assert.NoError(t, c.Close())
	assert.True(t, slices.Equal([]string{"a", "b", "c"}, order))
}
