package mockbroker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

func initPID(tc *testClient, version int16, txn *string, timeoutMs int32, pid int64, epoch int16) *kmsg.InitProducerIDResponse {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.Version = version
	req.TransactionalID = txn
	req.TransactionTimeoutMillis = timeoutMs
	req.ProducerID, req.ProducerEpoch = pid, epoch
	return tc.do(req).(*kmsg.InitProducerIDResponse)
}

func TestInitProducerIDIdempotent(t *testing.T) {
	c := NewTest(t, WithBrokers(2))
	seen := map[int64]bool{}
	for v := int16(0); v <= 5; v++ {
		for b := range int32(2) {
			addr, err := c.Addr(b)
			require.NoError(t, err)
			resp := initPID(dialClient(t, addr), v, nil, 0, -1, -1)
			require.Zero(t, resp.ErrorCode, "v%d broker %d", v, b)
			assert.Zero(t, resp.ProducerEpoch)
			assert.False(t, seen[resp.ProducerID], "producer id %d handed out twice", resp.ProducerID)
			seen[resp.ProducerID] = true
		}
	}
	tc := dialClient(t, c.Addrs()[0])
	resp := initPID(tc, 3, nil, 0, 7, -1)
	assert.Equal(t, kerr.InvalidRequest.Code, resp.ErrorCode, "producer id without epoch")

	c.InjectError(22, kerr.CoordinatorLoadInProgress, 1)
	assert.Equal(t, kerr.CoordinatorLoadInProgress.Code, initPID(tc, 4, nil, 0, -1, -1).ErrorCode)
	assert.Zero(t, initPID(tc, 4, nil, 0, -1, -1).ErrorCode)
}

func TestInitProducerIDTransactional(t *testing.T) {
	c := NewTest(t, WithBrokers(3))
	txn := "txn-a"
	coord, err := c.coordinatorLocked(txn)
	require.Nil(t, err)
	addr, aerr := c.Addr(coord)
	require.NoError(t, aerr)
	tc := dialClient(t, addr)
	other, aerr := c.Addr((coord + 1) % 3)
	require.NoError(t, aerr)

	assert.Equal(t, kerr.NotCoordinator.Code, initPID(dialClient(t, other), 4, &txn, 60000, -1, -1).ErrorCode)
	assert.Equal(t, kerr.InvalidTransactionTimeout.Code, initPID(tc, 4, &txn, 0, -1, -1).ErrorCode)
	assert.Equal(t, kerr.InvalidTransactionTimeout.Code, initPID(tc, 4, &txn, 16*60*1000, -1, -1).ErrorCode)

	first := initPID(tc, 4, &txn, 60000, -1, -1)
	require.Zero(t, first.ErrorCode)
	assert.Zero(t, first.ProducerEpoch)
	second := initPID(tc, 4, &txn, 60000, -1, -1)
	require.Zero(t, second.ErrorCode)
	assert.Equal(t, first.ProducerID, second.ProducerID, "a transactional id keeps its producer id")
	assert.Equal(t, int16(1), second.ProducerEpoch, "and each init bumps the epoch")

	// The first producer (epoch 0) is fenced now.
	assert.Equal(t, kerr.ProducerFenced.Code, initPID(tc, 4, &txn, 60000, first.ProducerID, 0).ErrorCode)
	assert.Equal(t, kerr.InvalidProducerEpoch.Code, initPID(tc, 3, &txn, 60000, first.ProducerID, 0).ErrorCode)
	third := initPID(tc, 4, &txn, 60000, second.ProducerID, second.ProducerEpoch)
	require.Zero(t, third.ErrorCode)
	assert.Equal(t, int16(2), third.ProducerEpoch)

	// An exhausted epoch moves the id to a new producer id.
	c.mu.Lock()
	c.pids.byTxn[txn] = producerIdentity{id: third.ProducerID, epoch: 32766}
	c.mu.Unlock()
	fresh := initPID(tc, 4, &txn, 60000, -1, -1)
	require.Zero(t, fresh.ErrorCode)
	assert.NotEqual(t, third.ProducerID, fresh.ProducerID)
	assert.Zero(t, fresh.ProducerEpoch)
}

func TestIdempotentProduceWithAllocatedID(t *testing.T) {
	c := NewTest(t, WithTopic("t", 1))
	tc := leaderClient(t, c, "t", 0)
	id := initPID(tc, 4, nil, 0, -1, -1)
	require.Zero(t, id.ErrorCode)
	p := tc.produce("t", 0, idemBatch(t, id.ProducerID, id.ProducerEpoch, 0, "a", "b"))
	require.Zero(t, p.ErrorCode)
	// A retry of the same batch is a duplicate: same offsets, nothing new.
	dup := tc.produce("t", 0, idemBatch(t, id.ProducerID, id.ProducerEpoch, 0, "a", "b"))
	require.Zero(t, dup.ErrorCode)
	assert.Equal(t, p.BaseOffset, dup.BaseOffset)
	gap := tc.produce("t", 0, idemBatch(t, id.ProducerID, id.ProducerEpoch, 5, "c"))
	assert.Equal(t, kerr.OutOfOrderSequenceNumber.Code, gap.ErrorCode)
	// A bumped epoch starts at sequence 0.
	bumped := tc.produce("t", 0, idemBatch(t, id.ProducerID, id.ProducerEpoch+1, 0, "c"))
	require.Zero(t, bumped.ErrorCode)
	hw, err := c.HighWatermark("t", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(3), hw)
}
