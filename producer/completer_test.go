package producer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/accumulator"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
)

// completerFunc is a Completer only.
type completerFunc func(md producer.RecordMetadata, err error)

func (f completerFunc) OnCompletion(md producer.RecordMetadata, err error) { f(md, err) }

// rawCompleter is a Completer that also takes the accumulator's results.
type rawCompleter struct {
	results chan accumulator.RecordResult
}

// OnCompletion must not be called; if it is, the test reading results sees
// the error at once (a panic would be recovered by the producer and leave
// the test waiting).
func (c rawCompleter) OnCompletion(producer.RecordMetadata, error) {
	c.results <- accumulator.RecordResult{Err: errors.New("OnCompletion called on a Completer that is an accumulator.Completion")}
}

func (c rawCompleter) OnComplete(r accumulator.RecordResult) { c.results <- r }

// bothCompleter is both, and expects OnCompletion.
type bothCompleter struct {
	mds chan producer.RecordMetadata
}

func (c bothCompleter) OnCompletion(md producer.RecordMetadata, _ error) { c.mds <- md }

func (c bothCompleter) OnComplete(accumulator.RecordResult) {
	panic("OnComplete called on a producer with interceptors")
}

func TestSendCompleter(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	ctx := testCtx(t)
	ts := time.UnixMilli(1_700_000_000_123)

	t.Run("Completer", func(t *testing.T) {
		p := newStringProducer(t, cl, producer.WithLinger(0))
		mds := make(chan producer.RecordMetadata, 1)
		require.NoError(t, p.SendCompleter(ctx, &producer.Record[string, string]{Topic: "t", Key: "k", Value: "v1", Timestamp: ts},
			completerFunc(func(md producer.RecordMetadata, err error) {
				assert.NoError(t, err)
				mds <- md
			})))
		md := <-mds
		assert.Equal(t, "t", md.Topic)
		assert.Equal(t, int64(0), md.Offset)
		assert.Equal(t, 1, md.SerializedKeySize)
		assert.Equal(t, 2, md.SerializedValueSize)
		assert.True(t, ts.Equal(md.Timestamp))
	})

	t.Run("accumulator.Completion", func(t *testing.T) {
		p := newStringProducer(t, cl, producer.WithLinger(0))
		c := rawCompleter{results: make(chan accumulator.RecordResult, 1)}
		require.NoError(t, p.SendCompleter(ctx, &producer.Record[string, string]{Topic: "t", Value: "v2", Timestamp: ts}, c))
		r := <-c.results
		require.NoError(t, r.Err)
		assert.Equal(t, "t", r.Partition.Topic)
		assert.Equal(t, int64(1), r.Offset)
		assert.Equal(t, ts.UnixMilli(), r.Timestamp)
		assert.False(t, r.LogAppendTime)
	})

	t.Run("with interceptors an accumulator.Completion still gets metadata", func(t *testing.T) {
		acks := 0
		p := newStringProducer(t, cl, producer.WithLinger(0), producer.WithInterceptors(
			producer.ProducerInterceptor[string, string](&producer.ProducerInterceptorFuncs[string, string]{
				Acknowledgement: func(producer.RecordMetadata, error) { acks++ },
			})))
		c := bothCompleter{mds: make(chan producer.RecordMetadata, 1)}
		require.NoError(t, p.SendCompleter(ctx, &producer.Record[string, string]{Topic: "t", Value: "v3"}, c))
		md := <-c.mds
		assert.Equal(t, int64(2), md.Offset)
		assert.Equal(t, 1, acks)
	})
}
