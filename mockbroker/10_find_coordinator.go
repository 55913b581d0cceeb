package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleFindCoordinator serves FindCoordinator v0-6: one key (v0-3) or a
// batch of keys (v4+), each a group id (key type 0) or a transactional id
// (key type 1). A key's coordinator is the first running broker among the
// replicas of its partition of the internal topic (Java's hash of the key
// modulo 50, placed like a topic partition), so it is deterministic and
// moves only when brokers stop and restart. Errors:
// COORDINATOR_NOT_AVAILABLE (every replica stopped), INVALID_REQUEST (an
// unknown key type), or an injected error.
func handleFindCoordinator(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.FindCoordinatorRequest)
	resp := r.ResponseKind().(*kmsg.FindCoordinatorResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	if r.Version < 4 {
		b, err := rc.findCoordinatorLocked(r.CoordinatorType, r.CoordinatorKey)
		if err != nil {
			resp.ErrorCode = err.Code
			resp.ErrorMessage = kmsg.StringPtr(err.Description)
			resp.NodeID, resp.Port = -1, -1
			return resp, nil
		}
		resp.NodeID, resp.Host, resp.Port = b.id, "127.0.0.1", int32(b.port)
		return resp, nil
	}
	for _, key := range r.CoordinatorKeys {
		co := kmsg.NewFindCoordinatorResponseCoordinator()
		co.Key = key
		b, err := rc.findCoordinatorLocked(r.CoordinatorType, key)
		if err != nil {
			co.ErrorCode = err.Code
			co.ErrorMessage = kmsg.StringPtr(err.Description)
			co.NodeID, co.Port = -1, -1
		} else {
			co.NodeID, co.Host, co.Port = b.id, "127.0.0.1", int32(b.port)
		}
		resp.Coordinators = append(resp.Coordinators, co)
	}
	return resp, nil
}

// findCoordinatorLocked returns the coordinator of one key. c.mu must be
// held.
func (rc *reqCtx) findCoordinatorLocked(keyType int8, key string) (*broker, *kerr.Error) {
	if rc.fault != nil {
		return nil, rc.fault
	}
	if keyType != coordinatorGroup && keyType != coordinatorTransaction {
		return nil, kerr.InvalidRequest
	}
	id, err := rc.c.coordinatorLocked(key)
	if err != nil {
		return nil, err
	}
	return rc.c.brokers[id], nil
}
