package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/bench/workload"
)

func TestMockLifecycle(t *testing.T) {
	t.Setenv(helperEnv, "mock")
	m, err := startMock(context.Background(), os.Args[0], nil, 30*time.Second)
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:19092", "127.0.0.1:19093"}, m.addrs)
	assert.NoError(t, m.alive())
	require.NoError(t, m.stop())
	require.NoError(t, m.stop(), "stop is idempotent")
	assert.Positive(t, m.cpu())
}

func TestMockStartFailures(t *testing.T) {
	tests := []struct {
		role    string
		timeout time.Duration
		want    string
	}{
		{"mock-exit", 30 * time.Second, "address already in use"},
		{"mock-silent", 300 * time.Millisecond, "printed no addresses"},
		{"mock-garbage", 30 * time.Second, "not a list of host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			t.Setenv(helperEnv, tt.role)
			m, err := startMock(context.Background(), os.Args[0], nil, tt.timeout)
			assert.Nil(t, m)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	t.Run("missing binary", func(t *testing.T) {
		_, err := startMock(context.Background(), "/nonexistent/samsa", nil, time.Second)
		assert.ErrorContains(t, err, "starting the mock broker")
	})
}

func TestMockStubbornIsKilled(t *testing.T) {
	t.Setenv(helperEnv, "mock-stubborn")
	m, err := startMock(context.Background(), os.Args[0], nil, 30*time.Second)
	require.NoError(t, err)
	m.grace = 200 * time.Millisecond
	err = m.stop()
	assert.ErrorContains(t, err, "was killed")
	assert.Error(t, m.alive())
}

func TestMockExitNoticed(t *testing.T) {
	t.Setenv(helperEnv, "mock")
	m, err := startMock(context.Background(), os.Args[0], nil, 30*time.Second)
	require.NoError(t, err)
	require.NoError(t, m.cmd.Process.Kill())
	<-m.exited
	assert.ErrorIs(t, m.alive(), errMockExited)
	assert.ErrorIs(t, m.stop(), errMockExited)
}

func TestRunClient(t *testing.T) {
	cfg := workload.DefaultConfig()
	cfg.Brokers = []string{"127.0.0.1:19092"}
	cfg.Records = 1000
	tests := []struct {
		role string
		want string
	}{
		{"kclient", ""},
		{"kclient-short", "counted 999 records"},
		{"kclient-fail", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			t.Setenv(helperEnv, tt.role)
			rec := runClient(context.Background(), os.Args[0], "franz-go", workload.ModeProduce, cfg, 3, time.Minute)
			assert.Equal(t, 3, rec.round)
			assert.Equal(t, "franz-go", rec.client)
			assert.Positive(t, rec.wall)
			if tt.want != "" {
				assert.False(t, rec.ok())
				assert.ErrorContains(t, rec.err, tt.want)
				return
			}
			require.NoError(t, rec.err)
			assert.Equal(t, cfg.Records, rec.result.Records)
			assert.Positive(t, rec.use.cpu)
			assert.Positive(t, rec.use.maxRSS)
			assert.InDelta(t, rec.use.cpu.Seconds()*1000, rec.cpuPerMillion(), 1e-9)
		})
	}
	t.Run("result of another client", func(t *testing.T) {
		t.Setenv(helperEnv, "kclient-other")
		rec := runClient(context.Background(), os.Args[0], "sarama", workload.ModeConsume, cfg, 1, time.Minute)
		assert.ErrorContains(t, rec.err, "result is for other consume")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Setenv(helperEnv, "mock-stubborn")
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		rec := runClient(ctx, os.Args[0], "sarama", workload.ModeConsume, cfg, 1, time.Minute)
		assert.Error(t, rec.err)
		assert.True(t, errors.Is(rec.err, context.DeadlineExceeded) || strings.Contains(rec.err.Error(), "killed"), rec.err)
	})
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(5)
	_, _ = b.Write([]byte("abc"))
	_, _ = b.Write([]byte("defg"))
	assert.Equal(t, "cdefg", b.String())
	_, _ = b.Write([]byte("0123456789"))
	assert.Equal(t, "56789", b.String())
}
