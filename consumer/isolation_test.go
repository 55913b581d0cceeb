package consumer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
)

// TestIsolationLevelStopsAtLastStableOffset: records after an open
// transaction are not read under read_committed, and are under
// read_uncommitted. (The decoder tests cover aborted transactions and
// markers with hand-built logs; the mock has no transaction coordinator to
// end a transaction.)
func TestIsolationLevelStopsAtLastStableOffset(t *testing.T) {
	mb := mockbroker.NewTest(t, mockbroker.WithTopic("t", 1))
	p := newProducer(t, mb)
	p.produceValues("t", 0, "a", "b")
	p.produceTxn("t", 0, 4242, 0, "txn-0", "txn-1")
	p.produceValues("t", 0, "c")

	committed := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithIsolationLevel(consumer.ReadCommitted))
	require.NoError(t, committed.Assign(tp("t", 0)))
	assert.Equal(t, []string{"a", "b"}, values(pollN(t, committed, 2)))
	pollNothing(t, committed, 300*time.Millisecond)
	pos, err := committed.Position(t.Context(), tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(2), pos.Offset, "the position stops at the last stable offset")
	// SeekToEnd under read_committed is the last stable offset too.
	require.NoError(t, committed.SeekToEnd())
	pos, err = committed.Position(t.Context(), tp("t", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(2), pos.Offset)

	uncommitted := newStringConsumer(t, mb, consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	require.NoError(t, uncommitted.Assign(tp("t", 0)))
	assert.Equal(t, []string{"a", "b", "txn-0", "txn-1", "c"}, values(pollN(t, uncommitted, 5)))
}
