package mockbroker

import (
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// api is one API key the brokers serve: the version range the handler
// serves and the handler. A handler is called with the decoded request at a
// version in [min, max] and returns the response (nil for none, as for a
// Produce with acks=0) or an error, which closes the connection.
type api struct {
	key      kmsg.Key
	min, max int16
	handle   func(rc *reqCtx, req kmsg.Request) (kmsg.Response, error)
}

// advertisedMin is the lowest version ApiVersions announces for the API.
// It is min, except for Produce: librdkafka (up to 2.11) decides whether a
// broker can take gzip, snappy and lz4 by checking that it supports
// Produce v0, and silently sends uncompressed batches otherwise. Kafka 4.0
// removed Produce v0-v2 but still advertises v0 for that reason
// (KAFKA-18659), and so does the mock; a request below min is still
// refused.
func (a *api) advertisedMin() int16 {
	if a.key == kmsg.Produce {
		return 0
	}
	return a.min
}

// apiTable lists every API the brokers implement, one handler file per key
// (00_produce.go, 01_fetch.go, ...). ApiVersions advertises exactly these
// ranges. Versions were chosen to cover what current Java, librdkafka,
// sarama and franz-go clients send; record batches are magic 2 only, so
// Produce starts at v3 and Fetch at v4.
func apiTable() []api {
	return []api{
		{kmsg.Produce, 3, 11, handleProduce},
		{kmsg.Fetch, 4, 16, handleFetch},
		{kmsg.ListOffsets, 1, 7, handleListOffsets},
		{kmsg.Metadata, 0, 12, handleMetadata},
		{kmsg.OffsetCommit, 0, 9, handleOffsetCommit},
		{kmsg.OffsetFetch, 0, 9, handleOffsetFetch},
		{kmsg.FindCoordinator, 0, 6, handleFindCoordinator},
		{kmsg.JoinGroup, 0, 9, handleJoinGroup},
		{kmsg.Heartbeat, 0, 4, handleHeartbeat},
		{kmsg.LeaveGroup, 0, 5, handleLeaveGroup},
		{kmsg.SyncGroup, 0, 5, handleSyncGroup},
		{kmsg.DescribeGroups, 0, 6, handleDescribeGroups},
		{kmsg.ListGroups, 0, 5, handleListGroups},
		{kmsg.ApiVersions, 0, apiVersionsMax(), handleApiVersions},
		{kmsg.CreateTopics, 0, 7, handleCreateTopics},
		{kmsg.DeleteTopics, 0, 6, handleDeleteTopics},
		{kmsg.DeleteRecords, 0, 2, handleDeleteRecords},
		{kmsg.InitProducerID, 0, 5, handleInitProducerID},
		{kmsg.CreatePartitions, 0, 3, handleCreatePartitions},
		{kmsg.DeleteGroups, 0, 3, handleDeleteGroups},
		{kmsg.OffsetDelete, 0, 0, handleOffsetDelete},
	}
}

// apiIndex is apiTable indexed by key; built once, read-only afterwards.
var apiIndex = sync.OnceValue(func() map[int16]*api {
	m := make(map[int16]*api)
	for _, a := range apiTable() {
		m[int16(a.key)] = &a
	}
	return m
})

// errStaleConn reports a request that arrived on a connection of a broker
// that has since been stopped (or stopped and restarted): it must not take
// effect.
var errStaleConn = errors.New("mockbroker: broker stopped while the request was in flight")

// reqCtx is what a handler knows about the request it serves.
type reqCtx struct {
	c  *Cluster
	cn *conn
	b  *broker
	rq *request

	// fault is the request-wide injected error taken for this request,
	// or nil.
	fault *kerr.Error
	// partFaults memoizes partition-scoped injected errors, so a handler
	// that builds its response more than once (a long-polling Fetch)
	// consumes each at most once per request.
	partFaults map[faultKey]*kerr.Error
	// releases run once the response has been encoded (or dropped): they
	// return buffers the response referred to, such as synthetic fetch
	// data, to their pools.
	releases []func()
}

// onEncoded registers f to run once the response has been encoded.
func (rc *reqCtx) onEncoded(f func()) { rc.releases = append(rc.releases, f) }

func (rc *reqCtx) runReleases() {
	for _, f := range rc.releases {
		f()
	}
}

// lock takes the cluster lock and checks that the request may still take
// effect: the cluster is open and the broker runs in the generation the
// connection was accepted in. On error the lock is not held.
func (rc *reqCtx) lock() error {
	rc.c.mu.Lock()
	if rc.c.closed {
		rc.c.mu.Unlock()
		return samsa.ErrClosed
	}
	if !rc.b.up || rc.b.gen != rc.cn.gen {
		rc.c.mu.Unlock()
		return errStaleConn
	}
	return nil
}

func (rc *reqCtx) unlock() { rc.c.mu.Unlock() }

// lockedAwait runs handle(r) under the cluster lock (see [reqCtx.lock])
// and returns the outcome it gives, or, when it gives none but a channel,
// waits for the outcome there: a JoinGroup or SyncGroup waiting for the
// rest of its group. The wait ends with errStaleConn if the connection's
// broker stops, and with samsa.ErrClosed if the cluster closes.
func lockedAwait[Req, Out any](rc *reqCtx, r Req, handle func(Req) (*Out, <-chan *Out)) (*Out, error) {
	if err := rc.lock(); err != nil {
		return nil, err
	}
	out, wait := handle(r)
	rc.unlock()
	if out != nil {
		return out, nil
	}
	select {
	case out = <-wait:
		return out, nil
	case <-rc.cn.done:
		return nil, errStaleConn
	case <-rc.c.done:
		return nil, samsa.ErrClosed
	}
}

// scopeMode says which scoped faults a lookup matches.
type scopeMode int8

const (
	// scopeAny: OnPartition for this partition, or OnTopic (per-partition
	// APIs).
	scopeAny scopeMode = iota
	// scopeTopicOnly: OnTopic only (Metadata's topic-level error).
	scopeTopicOnly
	// scopePartitionOnly: OnPartition only (Metadata's partition errors).
	scopePartitionOnly
	// scopeWholeTopic: any fault scoped to the topic (topic-level APIs).
	scopeWholeTopic
)

type faultKey struct {
	topic     string
	partition int32
	mode      scopeMode
}

// injected returns the error injected for one partition of this request: a
// request-wide one, or one scoped with OnPartition or OnTopic. nil if none.
// c.mu must be held.
func (rc *reqCtx) injected(topic string, partition int32) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	return rc.injectedMode(topic, partition, scopeAny)
}

// injectedTopic returns the error injected for one topic of a topic-level
// API (CreateTopics, DeleteTopics, CreatePartitions). c.mu must be held.
func (rc *reqCtx) injectedTopic(topic string) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	return rc.injectedMode(topic, -1, scopeWholeTopic)
}

// injectedMode returns a scoped fault, memoized per request: a handler that
// builds its response more than once (a long-polling Fetch) consumes each
// fault at most once per request. c.mu must be held.
func (rc *reqCtx) injectedMode(topic string, partition int32, mode scopeMode) *kerr.Error {
	k := faultKey{topic, partition, mode}
	if e, ok := rc.partFaults[k]; ok {
		return e
	}
	e := rc.c.faults.takeScoped(rc.rq.key, topic, partition, mode)
	if rc.partFaults == nil {
		rc.partFaults = make(map[faultKey]*kerr.Error)
	}
	rc.partFaults[k] = e
	return e
}

// version is the request's version.
func (rc *reqCtx) version() int16 { return rc.rq.version }

// handle serves one request and returns what to write back: a response
// frame, an instruction to close the connection, or nil for nothing.
func (c *Cluster) handle(cn *conn, rq *request) *response {
	if rq.body != nil {
		resp, err, handled, hooked := c.runHooks(cn.b.id, rq.body)
		rq.recyclable = rq.key == int16(kmsg.Produce) && !hooked
		if handled {
			switch {
			case err != nil:
				return closeResponse(rq, fmt.Sprintf("hook failed %s v%d: %v", kmsg.NameForKey(rq.key), rq.version, err))
			case resp == nil:
				return nil
			}
			resp.SetVersion(rq.version)
			return &response{frame: appendResponse(getFrameBuf(), rq.corr, resp), received: rq.received}
		}
	}
	a := apiIndex()[rq.key]
	if a == nil || rq.version < a.min || rq.version > a.max {
		if rq.key == int16(kmsg.ApiVersions) {
			// KIP-511: answer an unsupported ApiVersions version
			// with a v0 response the client can always read.
			resp := apiVersionsFallback(kerr.UnsupportedVersion.Code)
			return &response{frame: appendResponse(getFrameBuf(), rq.corr, resp), received: rq.received}
		}
		reason := fmt.Sprintf("unsupported request %s v%d", kmsg.NameForKey(rq.key), rq.version)
		if a != nil {
			reason += fmt.Sprintf(" (this broker serves v%d to v%d)", a.min, a.max)
		} else {
			reason += " (not implemented by this broker)"
		}
		return closeResponse(rq, reason)
	}
	c.mu.Lock()
	drop := c.faults.takeDrop(rq.key)
	fault := c.faults.takeRequestWide(rq.key)
	c.mu.Unlock()
	rc := &reqCtx{c: c, cn: cn, b: cn.b, rq: rq, fault: fault}
	resp, err := a.handle(rc, rq.body)
	defer rc.runReleases()
	switch {
	case errors.Is(err, errStaleConn) || errors.Is(err, samsa.ErrClosed):
		cn.shutdown()
		return nil
	case err != nil:
		return closeResponse(rq, fmt.Sprintf("%s v%d: %v", kmsg.NameForKey(rq.key), rq.version, err))
	case drop:
		return closeResponse(rq, fmt.Sprintf("dropping the response to %s v%d as injected", kmsg.NameForKey(rq.key), rq.version))
	case resp == nil:
		return nil
	}
	return &response{frame: appendResponse(getFrameBuf(), rq.corr, resp), received: rq.received}
}

func closeResponse(rq *request, reason string) *response {
	return &response{close: true, received: rq.received, reason: reason}
}

// countRequest records that a request with this key arrived.
func (c *Cluster) countRequest(key int16) {
	c.mu.Lock()
	c.requests[key]++
	c.mu.Unlock()
}

// runHooks calls the hooks in registration order until one handles the
// request; hooked reports whether there was any hook to call, which may
// have kept the request. It runs without any cluster lock held.
func (c *Cluster) runHooks(broker int32, req kmsg.Request) (resp kmsg.Response, err error, handled, hooked bool) {
	c.mu.Lock()
	hooks := c.hooks
	c.mu.Unlock()
	for _, h := range hooks {
		if resp, err, handled := h(broker, req); handled {
			return resp, err, true, true
		}
	}
	return nil, nil, false, len(hooks) > 0
}

// frameBufs pools response frame buffers, so that a stream of large fetch
// responses reuses its buffers instead of growing a new one from 4 KiB
// each time (which cost a benchmark broker more than encoding itself).
// Buffers beyond maxPooledFrame, twice Kafka's default fetch.max.bytes,
// are left to the garbage collector; what the pool holds is released
// after two idle GC cycles anyway.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledFrame = 100 << 20

func getFrameBuf() []byte {
	return (*frameBufs.Get().(*[]byte))[:0]
}

func putFrameBuf(b []byte) {
	if cap(b) > maxPooledFrame {
		return
	}
	b = b[:0]
	frameBufs.Put(&b)
}
