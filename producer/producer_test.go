package producer_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
)

func TestSendDelivers(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("orders", 6))
	p := newStringProducer(t, cl)
	ctx := testCtx(t)
	col := newCollector()
	const n = 1000
	for i := range n {
		require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: "orders", Key: fmt.Sprint("k", i%17), Value: fmt.Sprint(i)}, col.cb))
	}
	got := col.wait(t, n)
	total := 0
	for _, o := range got {
		require.NoError(t, o.err)
		assert.Equal(t, "orders", o.md.Topic)
		assert.GreaterOrEqual(t, o.md.Offset, int64(0))
	}
	for part := range int32(6) {
		total += len(recordValues(t, cl, "orders", part))
	}
	assert.Equal(t, n, total)
}
