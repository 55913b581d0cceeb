package main

import (
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// usage is the resource usage of an exited child process.
type usage struct {
	cpu    time.Duration // user + system
	maxRSS int64         // peak resident set, bytes
}

// usageOf reads the rusage the kernel reported when p was waited for. It
// is zero where the platform has no rusage.
func usageOf(p *os.ProcessState) usage {
	ru, ok := p.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return usage{}
	}
	rss := ru.Maxrss
	if runtime.GOOS != "darwin" { // Linux and the BSDs report KiB, macOS bytes
		rss *= 1024
	}
	return usage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		maxRSS: rss,
	}
}

// tailBuffer is an io.Writer that keeps the last max bytes written, for
// quoting a child's standard error when it fails. Safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
