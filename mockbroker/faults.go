package mockbroker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// FaultOption narrows an injected fault. Sealed: only this package
// implements it.
type FaultOption interface {
	applyFault(*errFault)
}

type faultOptionFunc func(*errFault)

func (f faultOptionFunc) applyFault(e *errFault) { f(e) }

// OnPartition restricts an injected error to one partition: it is returned
// for that partition only, in the next requests of the key that include it,
// and each such request counts once. For topic-level APIs (CreateTopics,
// DeleteTopics, CreatePartitions, Metadata's topic errors) the partition is
// ignored and the error applies to the topic.
func OnPartition(topic string, partition int32) FaultOption {
	return faultOptionFunc(func(e *errFault) {
		e.scoped, e.topic, e.partition = true, topic, partition
	})
}

// OnTopic restricts an injected error to every partition of one topic (or
// the topic itself for topic-level APIs); each request including the topic
// counts once per partition it names.
func OnTopic(topic string) FaultOption {
	return faultOptionFunc(func(e *errFault) {
		e.scoped, e.topic, e.partition = true, topic, -1
	})
}

// HookFunc is a raw request hook; see Cluster.Hook.
type HookFunc func(broker int32, req kmsg.Request) (resp kmsg.Response, err error, handled bool)

// errFault is one InjectError call. Guarded by Cluster.mu.
type errFault struct {
	key       int16
	err       *kerr.Error
	remaining int
	scoped    bool
	topic     string
	partition int32 // -1: any partition of topic
}

// faults holds the pending injected faults, in injection order. Guarded by
// Cluster.mu.
type faults struct {
	errs  []*errFault
	drops map[int16]int
}

// takeRequestWide consumes one unit of the oldest request-wide error fault
// for key.
func (f *faults) takeRequestWide(key int16) *kerr.Error {
	return f.take(func(e *errFault) bool { return e.key == key && !e.scoped })
}

// takeScoped consumes one unit of the oldest fault scoped to this topic
// and partition that mode accepts.
func (f *faults) takeScoped(key int16, topic string, partition int32, mode scopeMode) *kerr.Error {
	return f.take(func(e *errFault) bool {
		if e.key != key || !e.scoped || e.topic != topic {
			return false
		}
		switch mode {
		case scopeTopicOnly:
			return e.partition == -1
		case scopePartitionOnly:
			return e.partition >= 0 && e.partition == partition
		case scopeWholeTopic:
			return true
		default:
			return e.partition == -1 || e.partition == partition
		}
	})
}

func (f *faults) take(match func(*errFault) bool) *kerr.Error {
	for i, e := range f.errs {
		if !match(e) {
			continue
		}
		e.remaining--
		if e.remaining == 0 {
			f.errs = append(f.errs[:i:i], f.errs[i+1:]...)
		}
		return e.err
	}
	return nil
}

func (f *faults) takeDrop(key int16) bool {
	if f.drops[key] == 0 {
		return false
	}
	f.drops[key]--
	return true
}

// InjectError makes the next times requests with the API key fail with
// code. Where the API reports errors per partition (Produce, Fetch,
// ListOffsets, DeleteRecords) or per topic (Metadata, CreateTopics,
// DeleteTopics, CreatePartitions), every partition or topic of the request
// gets the error; with OnPartition or OnTopic only that one does. The
// request then takes no effect for what failed (a failed Produce partition
// is not appended). ApiVersions reports it as its top-level error code.
// Faults for one key are used up in the order they were injected. A nil
// code or times < 1 injects nothing. Safe for concurrent use while clients
// run.
func (c *Cluster) InjectError(key int16, code *kerr.Error, times int, opts ...FaultOption) {
	if code == nil || times < 1 {
		return
	}
	f := &errFault{key: key, err: code, remaining: times}
	for _, o := range opts {
		if o != nil {
			o.applyFault(f)
		}
	}
	c.mu.Lock()
	c.faults.errs = append(c.faults.errs, f)
	c.mu.Unlock()
}

// DropResponse makes the next times requests with the API key take effect
// as usual, after which the broker writes no response and closes the
// connection, after writing the responses to earlier requests. The client
// cannot know whether the request took effect ("unsure if produced").
// Safe for concurrent use while clients run.
func (c *Cluster) DropResponse(key int16, times int) {
	if times < 1 {
		return
	}
	c.mu.Lock()
	if c.faults.drops == nil {
		c.faults.drops = make(map[int16]int)
	}
	c.faults.drops[key] += times
	c.mu.Unlock()
}

// ClearFaults removes every pending injected error and dropped response.
// Latency, hooks and broker states are left as they are.
func (c *Cluster) ClearFaults() {
	c.mu.Lock()
	c.faults = faults{}
	c.mu.Unlock()
}

// SetLatency delays every response of one broker by d, measured from when
// its request arrived, as network latency would: pipelined requests wait
// concurrently, not one after another. 0 removes the delay. Safe for
// concurrent use while clients run.
func (c *Cluster) SetLatency(broker int32, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.brokerLocked(broker)
	if err != nil {
		return err
	}
	b.latency.Store(int64(max(d, 0)))
	return nil
}

// DropConnections closes every open connection of one broker, as a network
// failure would. The broker keeps running and accepts new connections.
func (c *Cluster) DropConnections(broker int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.brokerLocked(broker)
	if err != nil {
		return err
	}
	for cn := range b.conns {
		cn.shutdown()
	}
	return nil
}

// Hook registers fn, called for every request any broker decodes, before
// the broker's own handler and without any cluster lock held; hooks run in
// the order registered until one returns handled = true. A handled request
// is answered with resp (its version is set to the request's), or with
// nothing if resp is nil, or the connection is closed if err is not nil;
// the broker's own handler does not run. Hooks see requests for API keys
// and versions the broker does not implement, which they may answer. fn is
// called from connection goroutines concurrently and must be safe for
// that; it may call the Cluster's methods.
func (c *Cluster) Hook(fn func(broker int32, req kmsg.Request) (resp kmsg.Response, err error, handled bool)) {
	if fn == nil {
		return
	}
	c.mu.Lock()
	c.hooks = append(c.hooks, fn)
	c.mu.Unlock()
}
