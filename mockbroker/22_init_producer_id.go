package mockbroker

import (
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// maxTransactionTimeout is Kafka's transaction.max.timeout.ms default: the
// longest transaction timeout InitProducerId accepts.
const maxTransactionTimeout = 15 * time.Minute

// producerIDs allocates producer ids and remembers the identity of every
// transactional id. Guarded by Cluster.mu.
type producerIDs struct {
	next  int64                       // the next producer id to hand out
	byTxn map[string]producerIdentity // current identity per transactional id
}

// producerIdentity is a producer id and its current epoch.
type producerIdentity struct {
	id    int64
	epoch int16
}

// allocate returns a fresh producer id with epoch 0. c.mu must be held.
func (p *producerIDs) allocate() producerIdentity {
	id := p.next
	p.next++
	return producerIdentity{id: id, epoch: 0}
}

// handleInitProducerID serves InitProducerId v0-5.
//
// Without a transactional id (an idempotent producer) every call gets a
// fresh producer id with epoch 0, as Kafka's producer id manager hands out:
// an idempotent producer bumps its epoch itself and asks again only when
// the epoch is exhausted. Any broker answers.
//
// With a transactional id the request must reach the id's transaction
// coordinator (NOT_COORDINATOR otherwise; see FindCoordinator) and the
// timeout must be in (0, 15 min] (INVALID_TRANSACTION_TIMEOUT). The id
// keeps its producer id across calls and each call bumps the epoch, which
// fences older producers with the same transactional id; an exhausted
// epoch moves the id to a new producer id. From v3 a caller may name the
// producer id and epoch it has: if they are not the current ones, it was
// fenced (PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before). The
// mock does not serve the other transaction APIs, so no transaction is
// ever open here to be aborted.
func handleInitProducerID(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.InitProducerIDRequest)
	resp := r.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	if rc.fault != nil {
		resp.ErrorCode = rc.fault.Code
		return resp, nil
	}
	if (r.ProducerID < 0) != (r.ProducerEpoch < 0) {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	pids := &rc.c.pids
	if r.TransactionalID == nil {
		id := pids.allocate()
		resp.ProducerID, resp.ProducerEpoch = id.id, id.epoch
		return resp, nil
	}
	txn := *r.TransactionalID
	timeout := time.Duration(r.TransactionTimeoutMillis) * time.Millisecond
	if timeout <= 0 || timeout > maxTransactionTimeout {
		resp.ErrorCode = kerr.InvalidTransactionTimeout.Code
		return resp, nil
	}
	coord, kerrCode := rc.c.coordinatorLocked(txn)
	switch {
	case kerrCode != nil:
		resp.ErrorCode = kerrCode.Code
		return resp, nil
	case coord != rc.b.id:
		resp.ErrorCode = kerr.NotCoordinator.Code
		return resp, nil
	}
	cur, known := pids.byTxn[txn]
	if known && r.ProducerID >= 0 && (r.ProducerID != cur.id || r.ProducerEpoch != cur.epoch) {
		resp.ErrorCode = kerr.InvalidProducerEpoch.Code
		if r.Version >= 4 {
			resp.ErrorCode = kerr.ProducerFenced.Code
		}
		return resp, nil
	}
	switch {
	case !known || cur.epoch >= math.MaxInt16-1:
		cur = pids.allocate()
	default:
		cur.epoch++
	}
	if pids.byTxn == nil {
		pids.byTxn = make(map[string]producerIdentity)
	}
	pids.byTxn[txn] = cur
	resp.ProducerID, resp.ProducerEpoch = cur.id, cur.epoch
	return resp, nil
}
