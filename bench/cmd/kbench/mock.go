package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// mockProcess is the broker, `samsa mock`, running in its own process so
// its CPU time is not charged to any client. It is owned by one scenario:
// startMock starts it, stop ends it and waits for it.
type mockProcess struct {
	cmd    *exec.Cmd
	args   []string
	addrs  []string
	stderr *tailBuffer

	// exited is closed by the goroutine that owns the child's stdout once
	// it has drained stdout and waited for the child; waitErr and use are
	// written before.
	exited  chan struct{}
	waitErr error
	use     usage

	// grace is how long the mock gets to exit after SIGTERM.
	grace    time.Duration
	stopOnce sync.Once
	stopErr  error
}

// errMockExited reports a mock that ended on its own.
var errMockExited = errors.New("kbench: the mock broker exited")

// startMock starts bin with args and waits, up to startTimeout, for the
// first line of its standard output: the comma-separated bootstrap
// addresses.
func startMock(ctx context.Context, bin string, args []string, startTimeout time.Duration) (*mockProcess, error) {
	m := &mockProcess{args: args, stderr: newTailBuffer(16 << 10), exited: make(chan struct{}), grace: stopGrace}
	m.cmd = exec.Command(bin, args...)
	m.cmd.Stderr = m.stderr
	stdout, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("kbench: starting the mock broker: %w", err)
	}
	first := make(chan string, 1)
	go m.own(stdout, first)

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-first:
	case <-m.exited:
		return nil, m.failure(fmt.Errorf("%w before printing its addresses: %v", errMockExited, m.waitErr))
	case <-timer.C:
		_ = m.stop()
		return nil, m.failure(fmt.Errorf("kbench: the mock broker printed no addresses within %v", startTimeout))
	case <-ctx.Done():
		_ = m.stop()
		return nil, ctx.Err()
	}
	for _, a := range strings.Split(strings.TrimSpace(line), ",") {
		if a = strings.TrimSpace(a); a != "" {
			m.addrs = append(m.addrs, a)
		}
	}
	if len(m.addrs) == 0 || !strings.Contains(m.addrs[0], ":") {
		_ = m.stop()
		return nil, m.failure(fmt.Errorf("kbench: the mock broker's first line %q is not a list of host:port addresses", line))
	}
	return m, nil
}

// own reads the child's stdout: the first line goes to first, the rest is
// discarded; then it waits for the child and closes exited.
func (m *mockProcess) own(stdout io.Reader, first chan<- string) {
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); err == nil {
		first <- line
	}
	_, _ = io.Copy(io.Discard, r)
	m.waitErr = m.cmd.Wait()
	if m.cmd.ProcessState != nil {
		m.use = usageOf(m.cmd.ProcessState)
	}
	close(m.exited)
}

// failure adds the tail of the mock's standard error to err.
func (m *mockProcess) failure(err error) error {
	if tail := strings.TrimSpace(m.stderr.String()); tail != "" {
		return fmt.Errorf("%w\nmock stderr:\n%s", err, tail)
	}
	return err
}

// alive reports an error if the mock has exited.
func (m *mockProcess) alive() error {
	select {
	case <-m.exited:
		return m.failure(fmt.Errorf("%w: %v", errMockExited, m.waitErr))
	default:
		return nil
	}
}

// stopGrace is how long the mock gets to exit after SIGTERM.
const stopGrace = 10 * time.Second

// stop sends SIGTERM, waits up to m.grace, then kills, and returns once
// the process and the goroutine owning it are gone. Idempotent. It
// returns an error if the mock had already exited on its own or had to be
// killed.
func (m *mockProcess) stop() error {
	m.stopOnce.Do(func() {
		if err := m.alive(); err != nil {
			m.stopErr = err
			return
		}
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		timer := time.NewTimer(m.grace)
		defer timer.Stop()
		select {
		case <-m.exited:
		case <-timer.C:
			_ = m.cmd.Process.Kill()
			<-m.exited
			m.stopErr = m.failure(fmt.Errorf("kbench: the mock broker did not exit within %v of SIGTERM and was killed", m.grace))
		}
	})
	return m.stopErr
}

// cpu is the mock's CPU time, valid after stop.
func (m *mockProcess) cpu() time.Duration { return m.use.cpu }
