package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/samsa-go/samsa/bench/workload"
)

// scenarioReport is everything one scenario's section of RESULTS.md says.
type scenarioReport struct {
	sc       scenario
	cfg      workload.Config
	brokers  int
	runs     int
	mockCmd  string
	mockCPU  time.Duration
	measured []string // clients run, in round-robin order
	missing  []string // clients of the scenario this build lacks
	infos    map[string]clientInfo
	records  []runRecord
	machine  machine
	command  string
	started  time.Time
	finished time.Time
	loadPre  string
	loadPost string
	// skipped, when set, says why nothing was measured.
	skipped string
	// failure is a scenario-level error (the mock would not start, died
	// or would not stop).
	failure error
}

func (r *scenarioReport) failed() bool {
	if r.failure != nil {
		return true
	}
	for _, rec := range r.records {
		if !rec.ok() {
			return true
		}
	}
	return false
}

// markdown renders the section, without its begin/end markers.
func (r *scenarioReport) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("## %s (`-scenario %s`)\n\n", r.sc.title, r.sc.name)
	w("%s records of %d bytes (nil keys), %s. %s\n\n", thousands(float64(r.cfg.Records)), r.cfg.RecordBytes, r.workloadSummary(), r.sc.description)
	if r.skipped != "" {
		w("**Not run:** %s\n\n", r.skipped)
		r.writeSetup(w)
		return b.String()
	}
	if r.failure != nil {
		w("**Scenario failed:** %s\n\n", oneLine(r.failure.Error()))
	}
	sums := summarize(r.records, r.measured)
	r.writeSubjectLine(w, sums)
	w("| client | version | records/s (median) | records/s (min–max) | client CPU s per 1M records (median) | CPU s per 1M (min–max) | peak RSS MiB (median) | runs ok |\n")
	w("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range sums {
		ok := s.runs - len(s.errs)
		if s.rps.n == 0 {
			w("| %s | %s | – | – | – | – | – | %d/%d |\n", s.name, r.version(s.name), ok, s.runs)
			continue
		}
		w("| %s | %s | %s | %s–%s | %.3f | %.3f–%.3f | %.0f | %d/%d |\n", s.name, r.version(s.name),
			thousands(s.rps.median), thousands(s.rps.min), thousands(s.rps.max),
			s.cpuPM.median, s.cpuPM.min, s.cpuPM.max, s.rssMiB.median, ok, s.runs)
	}
	w("\n")
	if rs := ratios(r.records, sums, r.sc.subject, r.sc.peers); len(rs) > 0 {
		w("%s ÷ peer (records/s: above 1 favours %s; CPU per record: below 1 favours %s):\n\n", r.sc.subject, r.sc.subject, r.sc.subject)
		w("| peer | records/s ratio, median of per-run pairs (min–max) | records/s, ratio of medians | CPU/record ratio, median of per-run pairs (min–max) | CPU/record, ratio of medians |\n")
		w("|---|--:|--:|--:|--:|\n")
		for _, x := range rs {
			w("| %s | %.2f (%.2f–%.2f) | %.2f | %.2f (%.2f–%.2f) | %.2f |\n", x.peer,
				x.rpsPerRun.median, x.rpsPerRun.min, x.rpsPerRun.max, x.rpsOfMedians,
				x.cpuPerRun.median, x.cpuPerRun.min, x.cpuPerRun.max, x.cpuOfMedians)
		}
		w("\n")
	}
	var errs []string
	for _, s := range sums {
		for _, e := range s.errs {
			errs = append(errs, oneLine(e.Error()))
		}
	}
	if len(errs) > 0 {
		w("Failed runs:\n\n")
		for _, e := range errs {
			w("- %s\n", e)
		}
		w("\n")
	}
	r.writeSetup(w)
	r.writeSettings(w)
	r.writeRuns(w)
	return b.String()
}

func (r *scenarioReport) writeSubjectLine(w func(string, ...any), sums []clientSummary) {
	for _, m := range r.missing {
		if m == r.sc.subject {
			w("**%s was not measured:** this build has no `%s` client runner yet (it is added as one file in `cmd/kclient`). Only the peers are shown; there are no ratios.\n\n", m, m)
			return
		}
	}
	for _, s := range sums {
		if s.name == r.sc.subject && s.rps.n == 0 {
			w("**%s has no successful run,** so there are no ratios.\n\n", s.name)
		}
	}
}

func (r *scenarioReport) workloadSummary() string {
	if r.sc.mode == workload.ModeProduce {
		return fmt.Sprintf("acks=all, no compression, linger %v, batches up to %s, idempotence off, topic `%s` with %d partitions",
			r.cfg.Linger, byteSize(r.cfg.BatchBytes), r.cfg.Topic, r.cfg.Partitions)
	}
	return fmt.Sprintf("topic `%s` with %d partitions, all read from offset 0, fetches up to %s per partition and %s per response",
		r.cfg.Topic, r.cfg.Partitions, byteSize(r.cfg.PartitionFetchBytes), byteSize(r.cfg.FetchMaxBytes))
}

func (r *scenarioReport) version(client string) string {
	if info, ok := r.infos[client]; ok {
		if client == "samsa" || strings.HasPrefix(client, "samsa-") {
			return "`" + r.machine.samsaRev + "`"
		}
		return info.Version
	}
	return "–"
}

func (r *scenarioReport) writeSetup(w func(string, ...any)) {
	w("Setup:\n\n")
	w("- Broker: `%s` in its own process (its CPU is not charged to the clients)", r.mockCmd)
	if r.mockCPU > 0 {
		w("; it used %.1f s of CPU over the whole scenario", r.mockCPU.Seconds())
	}
	w(".\n")
	if r.skipped == "" {
		w("- Runs: %d per client, each client in its own process, interleaved round robin (%s, then again); medians over the runs. Client CPU is user+system time of the whole client process (rusage), start-up and shutdown included; records/s uses the timed window only.\n",
			r.runs, strings.Join(r.measured, ", "))
	}
	if len(r.missing) > 0 {
		w("- Not in this build: %s.\n", strings.Join(r.missing, ", "))
	}
	var versions []string
	for _, c := range r.measured {
		if r.skipped != "" {
			break
		}
		if info, ok := r.infos[c]; ok {
			versions = append(versions, fmt.Sprintf("%s %s (`%s`)", c, r.version(c), info.Module))
		}
	}
	if len(versions) > 0 {
		w("- Versions: %s; samsa tree at `%s`.\n", strings.Join(versions, ", "), r.machine.samsaRev)
	}
	w("- Machine: %s, %d logical CPUs (shared with other work; load average %s before, %s after), %s, %s. Clients run with the default GOMAXPROCS and GOGC.\n",
		r.machine.cpuModel, r.machine.cpus, r.loadPre, r.loadPost, r.machine.goVersion, r.machine.kernel)
	w("- Date: %s to %s (UTC).\n", r.started.UTC().Format("2006-01-02 15:04:05"), r.finished.UTC().Format("15:04:05"))
	w("- Command: `%s`\n\n", r.command)
}

// writeSettings renders how each client was configured: one row per
// common setting (named as the Java client names it), one column per
// client.
func (r *scenarioReport) writeSettings(w func(string, ...any)) {
	var names []string
	seen := map[string]bool{}
	values := map[string]map[string]string{}
	for _, c := range r.measured {
		values[c] = map[string]string{}
		for _, s := range r.infos[c].settings(r.sc.mode) {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
			values[c][s.Name] = s.Value
		}
	}
	if len(names) == 0 {
		return
	}
	w("Settings, as each client was told them:\n\n| setting |")
	for _, c := range r.measured {
		w(" %s |", c)
	}
	w("\n|---|%s\n", strings.Repeat("---|", len(r.measured)))
	for _, n := range names {
		w("| %s |", n)
		for _, c := range r.measured {
			v := values[c][n]
			if v == "" {
				v = "–"
			}
			w(" %s |", strings.ReplaceAll(v, "|", `\|`))
		}
		w("\n")
	}
	w("\n")
}

func (r *scenarioReport) writeRuns(w func(string, ...any)) {
	w("<details><summary>Every run</summary>\n\n")
	w("| run | client | records/s | timed window s | process wall s | client CPU s | CPU s per 1M | peak RSS MiB | outcome |\n")
	w("|--:|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, rec := range r.records {
		outcome := "ok"
		if !rec.ok() {
			outcome = "failed"
		}
		w("| %d | %s | %s | %.3f | %.3f | %.3f | %.3f | %.0f | %s |\n", rec.round, rec.client,
			thousands(rec.result.RecordsPerSecond()), rec.result.Elapsed.Seconds(), rec.wall.Seconds(),
			rec.use.cpu.Seconds(), rec.cpuPerMillion(), float64(rec.use.maxRSS)/(1<<20), outcome)
	}
	w("\n</details>\n\n")
}

// thousands formats x rounded to an integer with comma separators.
func thousands(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// byteSize renders n as KiB or MiB when it is a whole number of them.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// oneLine folds a multi-line error for a table cell or list item.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 600 {
		s = s[:600] + " …"
	}
	return s
}
