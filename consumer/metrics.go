package consumer

import (
	"strconv"
	"sync"
	"time"

	metrics "github.com/rcrowley/go-metrics"
)

// consumerMetrics reports to a go-metrics registry, under sarama's names
// where the meaning is the same:
//
//	consumer-fetch-rate, consumer-fetch-rate-for-broker-<id>   meter: fetch responses
//	consumer-batch-size                                        histogram: records per partition per fetch
//	consumer-fetch-response-size                               histogram: record bytes per fetch response
//	consumer-group-join-total-<group>, ...-join-failed-<group> counters: JoinGroup requests
//	consumer-group-sync-total-<group>, ...-sync-failed-<group> counters: SyncGroup requests
//
// and samsa's own:
//
//	consumer-fetch-latency-in-ms                  histogram: fetch round trips
//	consumer-records-consumed-rate                meter: records returned by Poll
//	consumer-commit-total, consumer-commit-failed counters: offset commits
//	consumer-rebalance-total, ...-failed          counters: completed and failed rebalances
//	consumer-poll-timeout-total                   counter: max poll interval exceeded
//
// A nil *consumerMetrics (no registry) records nothing.
type consumerMetrics struct {
	r            metrics.Registry
	fetchRate    metrics.Meter
	batchSize    metrics.Histogram
	respSize     metrics.Histogram
	fetchLatency metrics.Histogram
	consumedRate metrics.Meter
	commitTotal  metrics.Counter
	commitFailed metrics.Counter
	rebalances   metrics.Counter
	rebalFailed  metrics.Counter
	pollTimeouts metrics.Counter
	joinT, joinF metrics.Counter
	syncT, syncF metrics.Counter

	mu        sync.Mutex
	perBroker map[int32]metrics.Meter
}

func newConsumerMetrics(r metrics.Registry, group string) *consumerMetrics {
	if r == nil {
		return nil
	}
	hist := func(name string) metrics.Histogram {
		return metrics.GetOrRegisterHistogram(name, r, metrics.NewExpDecaySample(1028, 0.015))
	}
	m := &consumerMetrics{
		r:            r,
		fetchRate:    metrics.GetOrRegisterMeter("consumer-fetch-rate", r),
		batchSize:    hist("consumer-batch-size"),
		respSize:     hist("consumer-fetch-response-size"),
		fetchLatency: hist("consumer-fetch-latency-in-ms"),
		consumedRate: metrics.GetOrRegisterMeter("consumer-records-consumed-rate", r),
		commitTotal:  metrics.GetOrRegisterCounter("consumer-commit-total", r),
		commitFailed: metrics.GetOrRegisterCounter("consumer-commit-failed", r),
		rebalances:   metrics.GetOrRegisterCounter("consumer-rebalance-total", r),
		rebalFailed:  metrics.GetOrRegisterCounter("consumer-rebalance-failed", r),
		pollTimeouts: metrics.GetOrRegisterCounter("consumer-poll-timeout-total", r),
		perBroker:    make(map[int32]metrics.Meter),
	}
	if group != "" {
		m.joinT = metrics.GetOrRegisterCounter("consumer-group-join-total-"+group, r)
		m.joinF = metrics.GetOrRegisterCounter("consumer-group-join-failed-"+group, r)
		m.syncT = metrics.GetOrRegisterCounter("consumer-group-sync-total-"+group, r)
		m.syncF = metrics.GetOrRegisterCounter("consumer-group-sync-failed-"+group, r)
	}
	return m
}

// fetched records one fetch round trip and its partitions.
func (m *consumerMetrics) fetched(broker int32, took time.Duration, results []partResult) {
	if m == nil {
		return
	}
	m.fetchRate.Mark(1)
	m.mu.Lock()
	bm := m.perBroker[broker]
	if bm == nil {
		bm = metrics.GetOrRegisterMeter("consumer-fetch-rate-for-broker-"+strconv.Itoa(int(broker)), m.r)
		m.perBroker[broker] = bm
	}
	m.mu.Unlock()
	bm.Mark(1)
	m.fetchLatency.Update(took.Milliseconds())
	var size int64
	for i := range results {
		size += results[i].bytes
		if n := results[i].dec.n; n > 0 {
			m.batchSize.Update(int64(n))
		}
	}
	m.respSize.Update(size)
}

func (m *consumerMetrics) consumed(n int) {
	if m != nil {
		m.consumedRate.Mark(int64(n))
	}
}

func (m *consumerMetrics) committed(_ int, err error) {
	if m == nil {
		return
	}
	m.commitTotal.Inc(1)
	if err != nil {
		m.commitFailed.Inc(1)
	}
}

func (m *consumerMetrics) rebalanced() {
	if m != nil {
		m.rebalances.Inc(1)
	}
}

func (m *consumerMetrics) rebalanceFailed() {
	if m != nil {
		m.rebalFailed.Inc(1)
	}
}

func (m *consumerMetrics) pollTimeout() {
	if m != nil {
		m.pollTimeouts.Inc(1)
	}
}

func (m *consumerMetrics) joinTotal() {
	if m != nil && m.joinT != nil {
		m.joinT.Inc(1)
	}
}

func (m *consumerMetrics) joinFailed() {
	if m != nil && m.joinF != nil {
		m.joinF.Inc(1)
	}
}

func (m *consumerMetrics) syncTotal() {
	if m != nil && m.syncT != nil {
		m.syncT.Inc(1)
	}
}

func (m *consumerMetrics) syncFailed() {
	if m != nil && m.syncF != nil {
		m.syncF.Inc(1)
	}
}
