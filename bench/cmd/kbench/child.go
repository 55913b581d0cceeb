package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/samsa-go/samsa/bench/workload"
)

// runRecord is one run of one client: what it reported and what the kernel
// measured of its process.
type runRecord struct {
	round  int
	client string
	result workload.Result
	use    usage         // the whole child process: start-up, run, shutdown
	wall   time.Duration // of the whole child process
	err    error
}

// ok reports whether the run completed and its result checked out.
func (r runRecord) ok() bool { return r.err == nil }

// cpuPerMillion is the child's CPU seconds per million records.
func (r runRecord) cpuPerMillion() float64 {
	if r.result.Records == 0 {
		return 0
	}
	return r.use.cpu.Seconds() / (float64(r.result.Records) / 1e6)
}

// killGrace is how long past its own -timeout a client process may take
// before it is killed.
const killGrace = 30 * time.Second

// runClient runs one client for one workload in its own process and
// collects its result and resource usage. A failed run is reported in
// the record, not as a panic or a hang: the child is killed after
// timeout+killGrace.
func runClient(ctx context.Context, kclient, client string, mode workload.Mode, cfg workload.Config, round int, timeout time.Duration) runRecord {
	rec := runRecord{round: round, client: client}
	ctx, cancel := context.WithTimeout(ctx, timeout+killGrace)
	defer cancel()
	args := append([]string{"-client", client, "-mode", string(mode), "-timeout", timeout.String()}, cfg.Args()...)
	cmd := exec.CommandContext(ctx, kclient, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	stderr := newTailBuffer(8 << 10)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	start := time.Now()
	err := cmd.Run()
	rec.wall = time.Since(start)
	if cmd.ProcessState != nil {
		rec.use = usageOf(cmd.ProcessState)
	}
	if err != nil {
		rec.err = fmt.Errorf("%s run %d: %w: %s", client, round, err, strings.TrimSpace(stderr.String()))
		return rec
	}
	if err := json.Unmarshal(stdout.Bytes(), &rec.result); err != nil {
		rec.err = fmt.Errorf("%s run %d: unreadable result %q: %w", client, round, stdout.String(), err)
		return rec
	}
	if rec.result.Client != client || rec.result.Mode != mode {
		rec.err = fmt.Errorf("%s run %d: result is for %s %s", client, round, rec.result.Client, rec.result.Mode)
		return rec
	}
	if err := rec.result.Check(cfg); err != nil {
		rec.err = fmt.Errorf("%s run %d: %w", client, round, err)
	}
	return rec
}
