package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/bench/workload"
	"github.com/samsa-go/samsa/mockbroker"
)

const testPartitions = 6

func testConfig(brokers []string, records int64) workload.Config {
	cfg := workload.DefaultConfig()
	cfg.Brokers = brokers
	cfg.Partitions = testPartitions
	cfg.Records = records
	cfg.FetchMaxWait = 100 * time.Millisecond
	return cfg
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestProduceStored runs every producer against a mock cluster that keeps
// what it is sent, and checks that every record landed, exactly once.
func TestProduceStored(t *testing.T) {
	for _, name := range clientNames() {
		p, ok := registry[name].(workload.Producer)
		if _, ys := registry[name].(yardstick); !ok || ys {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(workload.DefaultTopic, testPartitions))
			cfg := testConfig(c.Addrs(), 5000)
			res, err := p.Produce(testCtx(t), cfg)
			require.NoError(t, err)
			require.NoError(t, res.Check(cfg))
			assert.Equal(t, name, res.Client)
			assert.Equal(t, workload.ModeProduce, res.Mode)
			var stored int64
			for part := range int32(testPartitions) {
				hwm, err := c.HighWatermark(workload.DefaultTopic, part)
				require.NoError(t, err)
				stored += hwm
			}
			assert.Equal(t, cfg.Records, stored, "records stored over all partitions")
			recs, err := c.Records(workload.DefaultTopic, 0)
			require.NoError(t, err)
			for _, r := range recs {
				require.Equal(t, cfg.Payload(), r.Value)
			}
		})
	}
}

// TestWorkloadsThroughMain runs every client in both benchmark modes of
// the mock cluster through the command-line entry point, as kbench does.
func TestWorkloadsThroughMain(t *testing.T) {
	modes := []struct {
		mode    workload.Mode
		opt     mockbroker.Option
		records int64
	}{
		{workload.ModeProduce, mockbroker.WithBlackhole(), 20000},
		{workload.ModeConsume, mockbroker.WithSyntheticFetch(workload.DefaultRecordBytes), 50000},
	}
	for _, m := range modes {
		t.Run(string(m.mode), func(t *testing.T) {
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(workload.DefaultTopic, testPartitions), m.opt)
			cfg := testConfig(c.Addrs(), m.records)
			for _, name := range clientNames() {
				if !implements(registry[name], m.mode) {
					continue // a client implements only the workloads it can run
				}
				t.Run(name, func(t *testing.T) {
					var out bytes.Buffer
					args := append([]string{"-client", name, "-mode", string(m.mode)}, cfg.Args()...)
					require.NoError(t, run(testCtx(t), args, &out, io.Discard))
					var res workload.Result
					require.NoError(t, json.Unmarshal(out.Bytes(), &res))
					assert.NoError(t, res.Check(cfg))
					assert.Equal(t, name, res.Client)
					assert.Equal(t, m.mode, res.Mode)
					assert.Positive(t, res.RecordsPerSecond())
				})
			}
		})
	}
}

// implements reports whether a client runs the workload of a mode.
func implements(c workload.Client, m workload.Mode) bool {
	switch m {
	case workload.ModeProduce:
		_, ok := c.(workload.Producer)
		return ok
	case workload.ModeConsume:
		_, ok := c.(workload.Consumer)
		return ok
	}
	return false
}

func TestList(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-list", "-linger", "7ms"}, &out, io.Discard))
	var infos []ClientInfo
	require.NoError(t, json.Unmarshal(out.Bytes(), &infos))
	byName := map[string]ClientInfo{}
	for _, i := range infos {
		byName[i.Name] = i
	}
	for _, name := range []string{"franz-go", "sarama", "kafka-go"} {
		info, ok := byName[name]
		require.True(t, ok, "client %s listed", name)
		assert.True(t, info.Produce)
		assert.True(t, info.Consume)
		assert.Regexp(t, `^v\d+\.\d+\.\d+`, info.Version)
		assert.NotEmpty(t, info.ConsumeSettings)
		var linger string
		for _, s := range info.ProduceSettings {
			if s.Name == "linger.ms" {
				linger = s.Value
			}
		}
		assert.Contains(t, linger, "7ms", "%s maps linger.ms from the flags", name)
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown client", []string{"-client", "nope", "-brokers", "127.0.0.1:1", "-records", "1"}, `unknown client "nope"`},
		{"unknown mode", []string{"-client", "sarama", "-mode", "fetch", "-brokers", "127.0.0.1:1", "-records", "1"}, "unknown mode"},
		{"invalid config", []string{"-client", "sarama", "-records", "1"}, "-brokers"},
		{"stray argument", []string{"-client", "sarama", "extra"}, "unexpected arguments"},
		{"bad flag", []string{"-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			assert.ErrorContains(t, err, tt.want)
			assert.Zero(t, out.Len())
		})
	}
}

func TestRunOneUnsupported(t *testing.T) {
	var c workload.Client = struct{ workload.Client }{franzGo{}}
	_, err := runOne(context.Background(), c, workload.ModeConsume, workload.DefaultConfig())
	assert.ErrorIs(t, err, errUnsupported)
	_, err = runOne(context.Background(), c, workload.ModeProduce, workload.DefaultConfig())
	assert.ErrorIs(t, err, errUnsupported)
}

// TestFailsAgainstDeadBroker checks that a run with nothing listening
// fails within its deadline rather than hanging or reporting success.
func TestFailsAgainstDeadBroker(t *testing.T) {
	c, err := mockbroker.New()
	require.NoError(t, err)
	addrs := c.Addrs()
	require.NoError(t, c.Close())
	for _, name := range clientNames() {
		if _, ys := registry[name].(yardstick); ys {
			continue // talks to no broker
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			cfg := testConfig(addrs, 10)
			var err error
			if p, ok := registry[name].(workload.Producer); ok {
				_, err = p.Produce(ctx, cfg)
			} else {
				_, err = registry[name].(workload.Consumer).Consume(ctx, cfg)
			}
			assert.Error(t, err)
		})
	}
}

// TestRelayReturnsEveryMessageInOrder checks the yardstick keeps the
// AsyncProducer contract the workload relies on: every message comes back
// once, in order, with consecutive offsets, and Close ends everything.
func TestRelayReturnsEveryMessageInOrder(t *testing.T) {
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	p, err := newRelayProducer(nil, cfg)
	require.NoError(t, err)
	const n = 10000
	got := make(chan []*sarama.ProducerMessage)
	go func() {
		var out []*sarama.ProducerMessage
		for msg := range p.Successes() {
			out = append(out, msg)
		}
		got <- out
	}()
	sent := make([]*sarama.ProducerMessage, n)
	for i := range sent {
		sent[i] = &sarama.ProducerMessage{Topic: "t"}
		p.Input() <- sent[i]
	}
	p.AsyncClose()
	out := <-got
	require.Len(t, out, n)
	for i, msg := range out {
		require.Same(t, sent[i], msg)
		require.Equal(t, int64(i), msg.Offset)
	}
	_, open := <-p.Errors()
	assert.False(t, open, "Errors is closed")
	require.NoError(t, p.Close())
	assert.ErrorIs(t, p.BeginTxn(), sarama.ErrNonTransactedProducer)
}
