package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/bench/workload"
)

func TestDistOf(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want dist
	}{
		{"empty", nil, dist{}},
		{"one", []float64{4}, dist{n: 1, median: 4, min: 4, max: 4}},
		{"odd", []float64{5, 1, 3}, dist{n: 3, median: 3, min: 1, max: 5}},
		{"even", []float64{4, 1, 3, 10}, dist{n: 4, median: 3.5, min: 1, max: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			assert.Equal(t, tt.want, distOf(tt.in))
			assert.Equal(t, in, tt.in, "the input is not reordered")
		})
	}
}

// fakeRun is a successful run of records in elapsed with cpu of client CPU.
func fakeRun(client string, round int, records int64, elapsed, cpu time.Duration) runRecord {
	return runRecord{
		round: round, client: client,
		result: workload.Result{Client: client, Records: records, Bytes: records * 100, Elapsed: elapsed},
		use:    usage{cpu: cpu, maxRSS: 64 << 20},
		wall:   elapsed + 50*time.Millisecond,
	}
}

func TestSummarizeAndRatios(t *testing.T) {
	const n = 1_000_000
	var recs []runRecord
	// samsa: 1s, 2s, 4s per million; peer: always 2s; CPU likewise.
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		recs = append(recs, fakeRun("samsa", i+1, n, d, d/2))
		recs = append(recs, fakeRun("peer", i+1, n, 2*time.Second, time.Second))
	}
	recs = append(recs, runRecord{round: 4, client: "peer", err: errors.New("boom")})
	recs = append(recs, fakeRun("samsa", 4, n, time.Second, time.Second/2))

	sums := summarize(recs, []string{"samsa", "peer", "absent"})
	require.Len(t, sums, 3)
	assert.Equal(t, 4, sums[0].runs)
	assert.Equal(t, 750_000.0, sums[0].rps.median) // 1e6/s, 1e6/s, 5e5/s, 2.5e5/s
	assert.Equal(t, 4, sums[1].runs)
	assert.Len(t, sums[1].errs, 1)
	assert.Equal(t, 3, sums[1].rps.n)
	assert.Equal(t, 500_000.0, sums[1].rps.median)
	assert.InDelta(t, 1.0, sums[1].cpuPM.median, 1e-9)
	assert.InDelta(t, 64.0, sums[1].rssMiB.median, 1e-9)
	assert.Zero(t, sums[2].runs)

	rs := ratios(recs, sums, "samsa", []string{"peer", "absent"})
	require.Len(t, rs, 1, "a peer without runs has no ratio")
	r := rs[0]
	assert.Equal(t, "peer", r.peer)
	// Round 4 has no successful peer run, so three pairs: 2, 1, 0.5.
	assert.Equal(t, dist{n: 3, median: 1, min: 0.5, max: 2}, r.rpsPerRun)
	assert.InDelta(t, 1.5, r.rpsOfMedians, 1e-9)
	assert.Equal(t, dist{n: 3, median: 1, min: 0.5, max: 2}, r.cpuPerRun)
	// samsa CPU/1M: 0.5, 1, 2, 0.5 → median 0.75; peer 1.
	assert.InDelta(t, 0.75, r.cpuOfMedians, 1e-9)
}

func testReport(withSubject bool) *scenarioReport {
	sc, _ := scenarioNamed("produce")
	cfg := workload.DefaultConfig()
	cfg.Records = 1_000_000
	infos := map[string]clientInfo{
		"franz-go": {Name: "franz-go", Module: "github.com/twmb/franz-go", Version: "v1.22.2", Produce: true,
			ProduceSettings: []workload.Setting{{Name: "linger.ms", Value: "ProducerLinger(5ms)"}, {Name: "acks", Value: "a|b"}}},
		"sarama": {Name: "sarama", Module: "github.com/IBM/sarama", Version: "v1.61.1", Produce: true,
			ProduceSettings: []workload.Setting{{Name: "linger.ms", Value: "Flush.Frequency = 5ms"}, {Name: "protocol version cap", Value: "2.8.0"}}},
	}
	rep := &scenarioReport{
		sc: sc, cfg: cfg, brokers: 3, runs: 2,
		mockCmd: "samsa mock --brokers 3 --topics bench:12 --blackhole", mockCPU: 1500 * time.Millisecond,
		infos:   infos,
		machine: machine{cpuModel: "Test CPU", cpus: 2, goVersion: "go1.26.8", kernel: "Linux 6 amd64", samsaRev: "abc1234"},
		command: "cd bench && go run ./cmd/kbench", started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		finished: time.Date(2026, 1, 2, 3, 9, 5, 0, time.UTC), loadPre: "0.1 0.2 0.3", loadPost: "1 2 3",
		measured: []string{"franz-go", "sarama"}, missing: []string{"samsa", "kafka-go"},
	}
	if withSubject {
		infos["samsa"] = clientInfo{Name: "samsa", Module: "github.com/samsa-go/samsa", Version: "(local)", Produce: true}
		rep.measured = []string{"samsa", "franz-go", "sarama"}
		rep.missing = []string{"kafka-go"}
	}
	for round := 1; round <= 2; round++ {
		for _, c := range rep.measured {
			rep.records = append(rep.records, fakeRun(c, round, cfg.Records, time.Second, 2*time.Second))
		}
	}
	rep.records = append(rep.records, runRecord{round: 2, client: "sarama", err: fmt.Errorf("sarama run 2: exit status 1:\nkclient: boom")})
	return rep
}

func TestMarkdownWithoutSubject(t *testing.T) {
	rep := testReport(false)
	md := rep.markdown()
	for _, want := range []string{
		"## Produce (`-scenario produce`)",
		"1,000,000 records of 100 bytes",
		"**samsa was not measured:**",
		"| franz-go | v1.22.2 | 1,000,000 | 1,000,000–1,000,000 | 2.000 | 2.000–2.000 | 64 | 2/2 |",
		"| sarama | v1.61.1 | 1,000,000 |",
		"| 2/3 |",
		"- sarama run 2: exit status 1: kclient: boom",
		"Not in this build: samsa, kafka-go.",
		"it used 1.5 s of CPU",
		"Test CPU, 2 logical CPUs",
		"load average 0.1 0.2 0.3 before, 1 2 3 after",
		"2026-01-02 03:04:05 to 03:09:05",
		"| linger.ms | ProducerLinger(5ms) | Flush.Frequency = 5ms |",
		`| acks | a\|b | – |`,
		"| protocol version cap | – | 2.8.0 |",
		"<details><summary>Every run</summary>",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "÷ peer")
	assert.True(t, rep.failed())
}

func TestMarkdownWithSubject(t *testing.T) {
	rep := testReport(true)
	md := rep.markdown()
	assert.NotContains(t, md, "was not measured")
	assert.Contains(t, md, "samsa ÷ peer")
	assert.Contains(t, md, "| samsa | `abc1234` |")
	assert.Contains(t, md, "| franz-go | 1.00 (1.00–1.00) | 1.00 | 1.00 (1.00–1.00) | 1.00 |")
	assert.Contains(t, md, "| sarama | 1.00 (1.00–1.00) | 1.00 |")
	assert.Contains(t, md, "interleaved round robin (samsa, franz-go, sarama, then again)")
}

func TestMarkdownSkipped(t *testing.T) {
	sc, _ := scenarioNamed("compat-produce")
	rep := &scenarioReport{sc: sc, cfg: workload.DefaultConfig(), skipped: "no samsa-sarama", mockCmd: "samsa mock", loadPre: "x", loadPost: "y",
		measured: []string{"sarama"}, missing: []string{"samsa-sarama"},
		infos: map[string]clientInfo{"sarama": {Name: "sarama", Version: "v1.61.1", Produce: true}}}
	md := rep.markdown()
	assert.NotContains(t, md, "Versions:", "nothing ran, so no versions are claimed")
	assert.Contains(t, md, "Not in this build: samsa-sarama.")
	assert.Contains(t, md, "**Not run:** no samsa-sarama")
	assert.NotContains(t, md, "| client |")
	assert.False(t, rep.failed())
	rep.failure = errors.New("mock died")
	assert.True(t, rep.failed())
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567.6, "1,234,568"}, {-12345, "-12,345"}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, thousands(tt.in))
	}
	assert.Equal(t, "1 MiB", byteSize(1<<20))
	assert.Equal(t, "64 KiB", byteSize(64<<10))
	assert.Equal(t, "1000 B", byteSize(1000))
	assert.Equal(t, "a b c", oneLine("a\n  b\tc\n"))
	assert.Len(t, oneLine(strings.Repeat("x", 1000)), 604)
}

func TestScenarios(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range scenarios {
		assert.False(t, seen[s.name], "duplicate scenario %s", s.name)
		seen[s.name] = true
		assert.Positive(t, s.records)
		assert.NotEmpty(t, s.peers)
		assert.Equal(t, s.subject, s.clients()[0])
		assert.NotEmpty(t, s.mockFlags(workload.DefaultConfig()))
	}
	sc, ok := scenarioNamed("consume")
	require.True(t, ok)
	assert.Equal(t, []string{"--synthetic-fetch", "100"}, sc.mockFlags(workload.DefaultConfig()))
	_, ok = scenarioNamed("nope")
	assert.False(t, ok)
}
