package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where a scenario ran.
type machine struct {
	cpuModel  string
	cpus      int // logical CPUs usable by this process
	goVersion string
	kernel    string
	samsaRev  string
}

// describeMachine reads the CPU model from /proc/cpuinfo, the kernel from
// /proc, the go command's version and the samsa tree's git revision.
// Anything it cannot read is reported as "unknown".
func describeMachine(ctx context.Context, t tree) machine {
	m := machine{
		cpuModel:  "unknown",
		cpus:      runtime.NumCPU(),
		goVersion: runtime.Version(),
		kernel:    runtime.GOOS + "/" + runtime.GOARCH,
		samsaRev:  "unknown",
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b)) + " " + runtime.GOARCH
	}
	if v, err := goOutput(ctx, t.bench, "env", "GOVERSION"); err == nil && strings.TrimSpace(v) != "" {
		m.goVersion = strings.TrimSpace(v)
	}
	m.samsaRev = gitRevision(ctx, t.root)
	return m
}

// gitRevision is the short commit of the tree at dir, with "+local
// changes" when the working tree differs from it.
func gitRevision(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rev, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	s := strings.TrimSpace(string(rev))
	status, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(strings.TrimSpace(string(status))) > 0 {
		s += " + local changes"
	}
	return s
}

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
