package producer

import (
	"fmt"
	"sync"
	"time"

	"github.com/rcrowley/go-metrics"
)

// producerMetrics holds the producer's go-metrics instruments, named as
// sarama names them. They are updated once per batch, request or response,
// never per record. The per-topic and per-broker maps are touched only by
// the sender goroutine, except at unregister, after the sender stopped;
// mu guards the list of registered names.
type producerMetrics struct {
	reg metrics.Registry

	recordSendRate    metrics.Meter
	recordErrorRate   metrics.Meter
	recordRetryRate   metrics.Meter
	batchSize         metrics.Histogram
	recordsPerRequest metrics.Histogram
	compressionRatio  metrics.Histogram
	requestRate       metrics.Meter
	responseRate      metrics.Meter
	requestLatency    metrics.Histogram
	outgoingByteRate  metrics.Meter
	requestsInFlight  metrics.Counter

	topics  map[string]*topicMetrics
	brokers map[int32]*brokerMetrics

	mu    sync.Mutex
	names []string
}

type topicMetrics struct {
	recordSendRate   metrics.Meter
	recordErrorRate  metrics.Meter
	batchSize        metrics.Histogram
	compressionRatio metrics.Histogram
}

type brokerMetrics struct {
	requestRate      metrics.Meter
	responseRate     metrics.Meter
	requestLatency   metrics.Histogram
	outgoingByteRate metrics.Meter
	requestsInFlight metrics.Counter
}

func newProducerMetrics(reg metrics.Registry) *producerMetrics {
	m := &producerMetrics{reg: reg, topics: map[string]*topicMetrics{}, brokers: map[int32]*brokerMetrics{}}
	m.recordSendRate = m.meter("record-send-rate")
	m.recordErrorRate = m.meter("record-error-rate")
	m.recordRetryRate = m.meter("record-retry-rate")
	m.batchSize = m.histogram("batch-size")
	m.recordsPerRequest = m.histogram("records-per-request")
	m.compressionRatio = m.histogram("compression-ratio")
	m.requestRate = m.meter("request-rate")
	m.responseRate = m.meter("response-rate")
	m.requestLatency = m.histogram("request-latency-in-ms")
	m.outgoingByteRate = m.meter("outgoing-byte-rate")
	m.requestsInFlight = m.counter("requests-in-flight")
	return m
}

func (m *producerMetrics) remember(name string) {
	m.mu.Lock()
	m.names = append(m.names, name)
	m.mu.Unlock()
}

func (m *producerMetrics) meter(name string) metrics.Meter {
	m.remember(name)
	return metrics.GetOrRegisterMeter(name, m.reg)
}

func (m *producerMetrics) histogram(name string) metrics.Histogram {
	m.remember(name)
	return metrics.GetOrRegisterHistogram(name, m.reg, metrics.NewExpDecaySample(1028, 0.015))
}

func (m *producerMetrics) counter(name string) metrics.Counter {
	m.remember(name)
	return metrics.GetOrRegisterCounter(name, m.reg)
}

func (m *producerMetrics) topic(name string) *topicMetrics {
	t := m.topics[name]
	if t == nil {
		t = &topicMetrics{
			recordSendRate:   m.meter("record-send-rate-for-topic-" + name),
			recordErrorRate:  m.meter("record-error-rate-for-topic-" + name),
			batchSize:        m.histogram("batch-size-for-topic-" + name),
			compressionRatio: m.histogram("compression-ratio-for-topic-" + name),
		}
		m.topics[name] = t
	}
	return t
}

func (m *producerMetrics) broker(id int32) *brokerMetrics {
	b := m.brokers[id]
	if b == nil {
		b = &brokerMetrics{
			requestRate:      m.meter(fmt.Sprintf("request-rate-for-broker-%d", id)),
			responseRate:     m.meter(fmt.Sprintf("response-rate-for-broker-%d", id)),
			requestLatency:   m.histogram(fmt.Sprintf("request-latency-in-ms-for-broker-%d", id)),
			outgoingByteRate: m.meter(fmt.Sprintf("outgoing-byte-rate-for-broker-%d", id)),
			requestsInFlight: m.counter(fmt.Sprintf("requests-in-flight-for-broker-%d", id)),
		}
		m.brokers[id] = b
	}
	return b
}

// requestSent records a request about to be written: its batches and
// records. Sender goroutine only.
func (m *producerMetrics) requestSent(node int32, r *produceRequest) {
	n, _ := r.records()
	m.recordsPerRequest.Update(int64(n))
	m.recordSendRate.Mark(int64(n))
	for _, b := range r.batches {
		t := m.topic(b.TopicPartition().Topic)
		size := len(b.Records())
		ratio := int64(0)
		if u := b.UncompressedSize(); u > 0 {
			ratio = int64(100 * size / u)
		}
		m.batchSize.Update(int64(size))
		m.compressionRatio.Update(ratio)
		t.batchSize.Update(int64(size))
		t.compressionRatio.Update(ratio)
		t.recordSendRate.Mark(int64(b.NumRecords()))
	}
	bm := m.broker(node)
	m.requestRate.Mark(1)
	bm.requestRate.Mark(1)
	m.requestsInFlight.Inc(1)
	bm.requestsInFlight.Inc(1)
}

// requestWritten records the size of a request DoAsync encoded.
func (m *producerMetrics) requestWritten(node int32, r *produceRequest) {
	m.outgoingByteRate.Mark(int64(r.size))
	m.broker(node).outgoingByteRate.Mark(int64(r.size))
}

// responseReceived records the end of a request, answered or not.
func (m *producerMetrics) responseReceived(node int32, latency time.Duration, answered bool) {
	bm := m.broker(node)
	m.requestsInFlight.Dec(1)
	bm.requestsInFlight.Dec(1)
	if !answered {
		return
	}
	ms := latency.Milliseconds()
	m.responseRate.Mark(1)
	bm.responseRate.Mark(1)
	m.requestLatency.Update(ms)
	bm.requestLatency.Update(ms)
}

// failed records n records of topic that failed for good.
func (m *producerMetrics) failed(topic string, n int) {
	m.recordErrorRate.Mark(int64(n))
	m.topic(topic).recordErrorRate.Mark(int64(n))
}

// retry records n records of topic put back for a retry.
func (m *producerMetrics) retry(topic string, n int) {
	m.recordRetryRate.Mark(int64(n))
}

// unregister removes every metric this producer registered, which also
// stops its meters' ticking.
func (m *producerMetrics) unregister() {
	m.mu.Lock()
	names := m.names
	m.names = nil
	m.mu.Unlock()
	for _, n := range names {
		m.reg.Unregister(n)
	}
}
