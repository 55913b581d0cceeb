package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/samsa-go/samsa/bench/workload"
)

// helperEnv makes the test binary, started again as a child, play a mock
// broker or a client runner, so process handling is tested against real
// processes.
const helperEnv = "KBENCH_TEST_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(helper(role, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helper(role string, args []string) int {
	switch role {
	case "mock":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("127.0.0.1:19092,127.0.0.1:19093")
		<-term
		return 0
	case "mock-garbage":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("listening")
		<-term
		return 0
	case "mock-silent":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		<-term
		return 0
	case "mock-stubborn":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("127.0.0.1:19092")
		time.Sleep(time.Hour) // killed by the test
		return 0
	case "mock-exit":
		fmt.Fprintln(os.Stderr, "bind: address already in use")
		return 3
	case "kclient", "kclient-short", "kclient-other", "kclient-fail":
		return fakeClient(role, args)
	}
	fmt.Fprintln(os.Stderr, "unknown helper role", role)
	return 2
}

// fakeClient parses kclient's flags, burns a little CPU so rusage has
// something to show, and reports a result: complete for "kclient", one
// record short for "kclient-short", for another client for
// "kclient-other", none for "kclient-fail".
func fakeClient(role string, args []string) int {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	cfg := workload.DefaultConfig()
	cfg.RegisterFlags(fs)
	client := fs.String("client", "", "")
	mode := fs.String("mode", "", "")
	fs.Duration("timeout", 0, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if role == "kclient-fail" {
		fmt.Fprintln(os.Stderr, "kclient: dial tcp: connection refused")
		return 1
	}
	x := 0
	for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	res := workload.Result{
		Client:  *client,
		Mode:    workload.Mode(*mode),
		Records: cfg.Records,
		Bytes:   cfg.Records * int64(cfg.RecordBytes),
		Elapsed: 10*time.Millisecond + time.Duration(x%2),
	}
	switch role {
	case "kclient-short":
		res.Records--
	case "kclient-other":
		res.Client = "other"
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	return 0
}
