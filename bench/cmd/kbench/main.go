// Command kbench compares samsa with its Go peers (franz-go, IBM/sarama,
// segmentio/kafka-go) on the same broker in the same run, and writes the
// results to RESULTS.md.
//
//	cd bench && go run ./cmd/kbench -scenario produce
//	cd bench && go run ./cmd/kbench -scenario produce,consume -runs 5
//	cd bench && go run ./cmd/kbench -records 100000 -runs 1 -out ''
//
// It builds the client runner (cmd/kclient) and the samsa command (whose
// `samsa mock` is the broker), starts the broker in its own process for
// each scenario, then runs every client in its own process, -runs times,
// interleaved round robin across the clients, reading each child's CPU
// time from its rusage. Clients the runner does not have are reported as
// missing, not faked. See README.md for what is measured and the caveats.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/samsa-go/samsa/bench/workload"
)

type options struct {
	scenarios           []string
	clients             []string // empty: every client of a scenario
	runs                int
	records             int64 // 0: the scenario's default
	recordBytes         int
	brokers             int
	partitionsPerBroker int
	mockBin             string
	mockPort            int
	out                 string
	timeout             time.Duration
	startTimeout        time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("kbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scen := fs.String("scenario", "produce,consume", "comma-separated scenarios ("+strings.Join(scenarioNames(), ", ")+") or all")
	clients := fs.String("clients", "", "comma-separated clients to run (default: every client of each scenario)")
	fs.IntVar(&o.runs, "runs", 5, "runs per client and scenario")
	fs.Int64Var(&o.records, "records", 0, "records per run (default: 1,000,000 to produce, 5,000,000 to consume)")
	fs.IntVar(&o.recordBytes, "record-bytes", workload.DefaultRecordBytes, "bytes per record value")
	fs.IntVar(&o.brokers, "brokers", 3, "brokers in the mock cluster")
	fs.IntVar(&o.partitionsPerBroker, "partitions-per-broker", 4, "partitions of the topic per broker")
	fs.StringVar(&o.mockBin, "mock", "", "a built samsa command to run as `samsa mock` (default: build ../cmd/samsa)")
	fs.IntVar(&o.mockPort, "mock-port", 0, "first port of the mock brokers (default: let `samsa mock` choose)")
	fs.StringVar(&o.out, "out", "RESULTS.md", "results file, relative to the bench directory, merged by scenario; empty: do not write")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit for one client run")
	fs.DurationVar(&o.startTimeout, "mock-start-timeout", 30*time.Second, "limit for the mock to print its addresses")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("kbench: unexpected arguments %q", fs.Args())
	}
	o.scenarios = splitList(*scen)
	if len(o.scenarios) == 1 && o.scenarios[0] == "all" {
		o.scenarios = scenarioNames()
	}
	o.clients = splitList(*clients)
	for _, s := range o.scenarios {
		if _, ok := scenarioNamed(s); !ok {
			return o, fmt.Errorf("kbench: unknown scenario %q (have %s)", s, strings.Join(scenarioNames(), ", "))
		}
	}
	switch {
	case len(o.scenarios) == 0:
		return o, fmt.Errorf("kbench: -scenario names no scenario")
	case o.runs <= 0:
		return o, fmt.Errorf("kbench: -runs must be positive, not %d", o.runs)
	case o.records < 0:
		return o, fmt.Errorf("kbench: -records must not be negative, not %d", o.records)
	case o.brokers <= 0 || o.partitionsPerBroker <= 0:
		return o, fmt.Errorf("kbench: -brokers and -partitions-per-broker must be positive")
	case o.timeout <= 0 || o.startTimeout <= 0:
		return o, fmt.Errorf("kbench: timeouts must be positive")
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// run is kbench without the process around it; it returns the exit code:
// 0 when every run succeeded, 1 when any failed (the report is still
// written), 2 for bad flags or a failed build.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "kbench: "+format+"\n", a...) }
	t, err := findTree(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	tmp, err := os.MkdirTemp("", "kbench-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer os.RemoveAll(tmp)

	logf("building the client runner")
	kclient, err := buildClient(ctx, t, tmp)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	mockBin := o.mockBin
	if mockBin == "" {
		logf("building the samsa command for `samsa mock`")
		if mockBin, err = buildMock(ctx, t, tmp); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	m := describeMachine(ctx, t)
	command := commandLine(args)
	sections := map[string]string{}
	code := 0
	for _, name := range o.scenarios {
		sc, _ := scenarioNamed(name)
		rep := runScenario(ctx, o, sc, kclient, mockBin, logf)
		rep.machine, rep.command = m, command
		md := rep.markdown()
		fmt.Fprintln(stdout, md)
		sections[name] = md
		if rep.failed() {
			code = 1
		}
	}
	if o.out != "" {
		path := o.out
		if !filepath.IsAbs(path) {
			path = filepath.Join(t.bench, path)
		}
		if err := writeResults(path, sections); err != nil {
			fmt.Fprintln(stderr, "kbench: writing results:", err)
			return 2
		}
		logf("wrote %s", path)
	}
	return code
}

// runScenario measures one scenario; failures end up in the report.
func runScenario(ctx context.Context, o options, sc scenario, kclient, mockBin string, logf func(string, ...any)) *scenarioReport {
	cfg := workload.DefaultConfig()
	cfg.Records = sc.records
	if o.records > 0 {
		cfg.Records = o.records
	}
	cfg.RecordBytes = o.recordBytes
	cfg.Partitions = int32(o.brokers * o.partitionsPerBroker)
	mockArgs := []string{"mock", "--brokers", strconv.Itoa(o.brokers),
		"--topics", fmt.Sprintf("%s:%d", cfg.Topic, cfg.Partitions)}
	if o.mockPort > 0 {
		mockArgs = append(mockArgs, "--port", strconv.Itoa(o.mockPort))
	}
	mockArgs = append(mockArgs, sc.mockFlags(cfg)...)
	rep := &scenarioReport{
		sc: sc, cfg: cfg, brokers: o.brokers, runs: o.runs,
		mockCmd: "samsa " + strings.Join(mockArgs, " "),
		started: time.Now(), loadPre: loadAverage(),
	}
	defer func() { rep.finished, rep.loadPost = time.Now(), loadAverage() }()

	infos, err := listClients(ctx, kclient, cfg)
	if err != nil {
		rep.failure = err
		return rep
	}
	rep.infos = infos
	for _, c := range sc.clients() {
		if len(o.clients) > 0 && !slices.Contains(o.clients, c) {
			continue
		}
		if info, ok := infos[c]; ok && info.supports(sc.mode) {
			rep.measured = append(rep.measured, c)
		} else {
			rep.missing = append(rep.missing, c)
		}
	}
	if len(rep.missing) > 0 {
		logf("%s: not in this build: %s", sc.name, strings.Join(rep.missing, ", "))
	}
	switch {
	case sc.needSubject && !slices.Contains(rep.measured, sc.subject):
		rep.skipped = fmt.Sprintf("this scenario compares `%s` with its peers, and this build has no `%s` client runner (or it was not selected with -clients).", sc.subject, sc.subject)
	case len(rep.measured) == 0:
		rep.skipped = "none of this scenario's clients is in this build or selected with -clients."
	}
	if rep.skipped != "" {
		logf("%s: skipped: %s", sc.name, rep.skipped)
		return rep
	}

	logf("%s: starting %s", sc.name, rep.mockCmd)
	mock, err := startMock(ctx, mockBin, mockArgs, o.startTimeout)
	if err != nil {
		rep.failure = err
		return rep
	}
	defer mock.stop()
	cfg.Brokers = mock.addrs
	rep.cfg = cfg
rounds:
	for round := 1; round <= o.runs; round++ {
		for _, c := range rep.measured {
			if err := ctx.Err(); err != nil {
				rep.failure = fmt.Errorf("kbench: interrupted: %w", err)
				break rounds
			}
			if err := mock.alive(); err != nil {
				rep.failure = err
				break rounds
			}
			rec := runClient(ctx, kclient, c, sc.mode, cfg, round, o.timeout)
			rep.records = append(rep.records, rec)
			if rec.ok() {
				logf("%s run %d/%d %-9s %12s records/s  %7.3f s CPU  %5.0f MiB", sc.name, round, o.runs, c,
					thousands(rec.result.RecordsPerSecond()), rec.use.cpu.Seconds(), float64(rec.use.maxRSS)/(1<<20))
			} else {
				logf("%s run %d/%d %s FAILED: %v", sc.name, round, o.runs, c, rec.err)
			}
		}
	}
	if err := mock.stop(); err != nil && rep.failure == nil {
		rep.failure = err
	}
	rep.mockCPU = mock.cpu()
	return rep
}

// commandLine renders how kbench was invoked, for the report.
func commandLine(args []string) string {
	parts := []string{"cd bench && go run ./cmd/kbench"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
