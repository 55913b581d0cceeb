package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"
)

// TestMain doubles as the samsa binary when SAMSA_TEST_MAIN is set, so
// tests can run the real main (signals, exit codes) without building.
func TestMain(m *testing.M) {
	if os.Getenv("SAMSA_TEST_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// metadata asks a broker for metadata with kmsg and returns the response.
func metadata(t *testing.T, addr string) *kmsg.MetadataResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(9)
	_, err = conn.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, 1))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	var size [4]byte
	_, err = io.ReadFull(conn, size[:])
	require.NoError(t, err)
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err = io.ReadFull(conn, body)
	require.NoError(t, err)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	require.NoError(t, resp.ReadFrom(body[5:])) // correlation id, empty header tags
	return resp
}

func TestMockRunsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runMock(ctx, []string{"--brokers", "3", "--topics", "orders:4,audit", "--default-partitions", "2", "--cluster-id", "cli"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	addrs := strings.Split(strings.TrimSpace(line), ",")
	require.Len(t, addrs, 3)

	resp := metadata(t, addrs[0])
	assert.Len(t, resp.Brokers, 3)
	require.NotNil(t, resp.ClusterID)
	assert.Equal(t, "cli", *resp.ClusterID)
	parts := map[string]int{}
	for _, tp := range resp.Topics {
		parts[*tp.Topic] = len(tp.Partitions)
	}
	assert.Equal(t, map[string]int{"orders": 4, "audit": 2}, parts)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("runMock did not return after cancel")
	}
	_, err = net.DialTimeout("tcp", addrs[0], time.Second)
	assert.Error(t, err, "the cluster is closed")
	assert.Contains(t, stderr.String(), "shutting down")
}

func TestMockCPUProfile(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "mock.prof")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runMock(ctx, []string{"--cpuprofile", profile}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	metadata(t, strings.TrimSpace(line))
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("runMock did not return after cancel")
	}
	// A CPU profile is gzip-compressed protobuf: it starts with gzip's magic.
	b, err := os.ReadFile(profile)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	assert.Equal(t, []byte{0x1f, 0x8b}, b[:2])

	err = runMock(context.Background(), []string{"--cpuprofile", filepath.Join(t.TempDir(), "missing", "dir", "p")}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "--cpuprofile")
}

func TestMockUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage: samsa"},
		{"unknown command", []string{"nope"}, 2, "unknown command"},
		{"bad topics", []string{"mock", "--topics", "a:zero"}, 2, "partitions must be a positive number"},
		{"bad log level", []string{"mock", "--log-level", "loud"}, 2, "--log-level"},
		{"extra argument", []string{"mock", "extra"}, 2, "unexpected arguments"},
		{"unknown flag", []string{"mock", "--frobnicate"}, 2, "frobnicate"},
		{"invalid option", []string{"mock", "--brokers", "0"}, 1, "WithBrokers"},
		{"invalid topic name", []string{"mock", "--topics", "a b:1"}, 1, "invalid topic name"},
		{"help", []string{"mock", "-h"}, 0, "usage: samsa mock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr.String())
			assert.Contains(t, stderr.String(), tt.want)
			assert.Empty(t, stdout.String())
		})
	}
}

// TestMockBinaryStopsOnSIGTERM runs the real main in a child process
// (this test binary, see TestMain), reads the first line and stops it with
// SIGTERM.
func TestMockBinaryStopsOnSIGTERM(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "mock", "--brokers", "2", "--blackhole")
	cmd.Env = append(os.Environ(), "SAMSA_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	addrs := strings.Split(strings.TrimSpace(line), ",")
	require.Len(t, addrs, 2)
	assert.Len(t, metadata(t, addrs[1]).Brokers, 2)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("exit status %d, stderr: %s", exitErr.ExitCode(), stderr.String())
		}
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-waited
		t.Fatal("the process did not exit after SIGTERM")
	}
	assert.Contains(t, stderr.String(), "shutting down")
}
