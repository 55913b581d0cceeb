package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/samsa-go/samsa/mockbroker"
)

// runMock runs `samsa mock`: a mock Kafka cluster (package mockbroker) on
// 127.0.0.1 until ctx is cancelled (SIGINT or SIGTERM), for clients in any
// language. The first line on stdout is the bootstrap addresses, comma
// separated, so a script can read it:
//
//	addrs=$(samsa mock --brokers 3 --topics orders:12 | head -1)
//
// Logs go to stderr.
func runMock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("samsa mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.Int("brokers", 1, "number of brokers (ids 0..N-1)")
	port := fs.Int("port", 0, "port of broker 0; broker i listens on port+i (0: ephemeral ports)")
	topics := fs.String("topics", "", "topics to create, as name:partitions,... (partitions default to --default-partitions)")
	autoCreate := fs.Bool("auto-create", true, "create unknown topics on Metadata requests (auto.create.topics.enable); --auto-create=false to disable")
	defaultPartitions := fs.Int("default-partitions", 1, "partitions of auto-created topics (num.partitions)")
	blackhole := fs.Bool("blackhole", false, "benchmark mode: acknowledge produced batches without storing them")
	synthetic := fs.Int("synthetic-fetch", -1, "benchmark mode: serve every fetch from a synthetic batch of records of this many bytes (-1: off)")
	clusterID := fs.String("cluster-id", "", "cluster id reported in Metadata (default: random)")
	logLevel := fs.String("log-level", "info", "log level on stderr: debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the cluster to this file until it stops (to see what a benchmark costs the broker)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: samsa mock [flags]\n\nRuns a mock Kafka cluster on 127.0.0.1 until interrupted. The first line\non stdout is the bootstrap addresses, comma separated; logs go to stderr.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return &usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", *logLevel)}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := []mockbroker.Option{
		mockbroker.WithBrokers(*brokers),
		mockbroker.WithPort(*port),
		mockbroker.WithAutoCreateTopics(*autoCreate),
		mockbroker.WithDefaultPartitions(int32(*defaultPartitions)),
		mockbroker.WithLogger(logger),
	}
	specs, err := parseTopics(*topics, int32(*defaultPartitions))
	if err != nil {
		return &usageError{err}
	}
	for _, s := range specs {
		opts = append(opts, mockbroker.WithTopic(s.name, s.partitions))
	}
	if *blackhole {
		opts = append(opts, mockbroker.WithBlackhole())
	}
	if *synthetic >= 0 {
		opts = append(opts, mockbroker.WithSyntheticFetch(*synthetic))
	}
	if *clusterID != "" {
		opts = append(opts, mockbroker.WithClusterID(*clusterID))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	c, err := mockbroker.New(opts...)
	if err != nil {
		return err
	}
	addrs := strings.Join(c.Addrs(), ",")
	if _, err := fmt.Fprintln(stdout, addrs); err != nil {
		c.Close()
		return fmt.Errorf("writing the addresses: %w", err)
	}
	logger.Info("mock cluster running; interrupt to stop", "brokers", *brokers, "bootstrap", addrs, "cluster_id", c.ClusterID())
	<-ctx.Done()
	logger.Info("shutting down")
	return c.Close()
}

type topicSpec struct {
	name       string
	partitions int32
}

// parseTopics parses "name:partitions,name,...". Names are validated by
// mockbroker.New.
func parseTopics(s string, def int32) ([]topicSpec, error) {
	var out []topicSpec
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, count, hasCount := strings.Cut(item, ":")
		spec := topicSpec{name: name, partitions: def}
		if hasCount {
			n, err := strconv.ParseInt(count, 10, 32)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("--topics: %q: partitions must be a positive number", item)
			}
			spec.partitions = int32(n)
		}
		out = append(out, spec)
	}
	return out, nil
}
