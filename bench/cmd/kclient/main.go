// Command kclient runs one benchmark workload with one Kafka client and
// prints the result as one JSON line on stdout. It is the per-client child
// process of kbench, which runs it once per client and run so that the CPU
// time each client spends can be read from the child's resource usage; it
// can also be run by hand:
//
//	kclient -client franz-go -mode produce -brokers 127.0.0.1:9092 -records 100000
//	kclient -list
//
// Every client is one file of this package that registers a
// workload.Client in an init function; -list prints the clients compiled
// in, their module versions, the workloads they implement and the settings
// mapping each would use for the given flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"syscall"
	"time"

	"github.com/samsa-go/samsa/bench/workload"
)

// registry holds the clients compiled into this binary, by name. It is
// filled by init functions, one per client file, before main runs, and
// only read afterwards.
var registry = map[string]workload.Client{}

// register adds c to the registry; two clients with one name are a build
// mistake, reported at start-up.
func register(c workload.Client) {
	if _, dup := registry[c.Name()]; dup {
		panic("kclient: two clients named " + c.Name())
	}
	registry[c.Name()] = c
}

// ClientInfo is one entry of the -list output.
type ClientInfo struct {
	Name            string             `json:"name"`
	Module          string             `json:"module"`
	Version         string             `json:"version"`
	Produce         bool               `json:"produce"`
	Consume         bool               `json:"consume"`
	ProduceSettings []workload.Setting `json:"produce_settings,omitempty"`
	ConsumeSettings []workload.Setting `json:"consume_settings,omitempty"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kclient:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := workload.DefaultConfig()
	cfg.RegisterFlags(fs)
	client := fs.String("client", "", "client to run; -list shows them")
	mode := fs.String("mode", string(workload.ModeProduce), "workload: produce or consume")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up on the run after this long")
	list := fs.Bool("list", false, "print the compiled-in clients as JSON and exit")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the run to this file")
	traceFile := fs.String("trace", "", "write an execution trace of the run to this file (go tool trace)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *list {
		return json.NewEncoder(stdout).Encode(listClients(cfg))
	}
	m, err := workload.ParseMode(*mode)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	c, ok := registry[*client]
	if !ok {
		return fmt.Errorf("unknown client %q; compiled in: %v", *client, clientNames())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	res, err := runOne(ctx, c, m, cfg)
	if err != nil {
		return err
	}
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	if err := res.Check(cfg); err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// errUnsupported reports a client asked for a workload it does not
// implement.
var errUnsupported = errors.New("workload not implemented by this client")

func runOne(ctx context.Context, c workload.Client, m workload.Mode, cfg workload.Config) (workload.Result, error) {
	switch m {
	case workload.ModeProduce:
		if p, ok := c.(workload.Producer); ok {
			return p.Produce(ctx, cfg)
		}
	case workload.ModeConsume:
		if p, ok := c.(workload.Consumer); ok {
			return p.Consume(ctx, cfg)
		}
	}
	return workload.Result{}, fmt.Errorf("%s %s: %w", c.Name(), m, errUnsupported)
}

func clientNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func listClients(cfg workload.Config) []ClientInfo {
	var out []ClientInfo
	for _, name := range clientNames() {
		c := registry[name]
		info := ClientInfo{Name: name, Module: c.Module(), Version: moduleVersion(c.Module())}
		if p, ok := c.(workload.Producer); ok {
			info.Produce, info.ProduceSettings = true, p.ProduceSettings(cfg)
		}
		if p, ok := c.(workload.Consumer); ok {
			info.Consume, info.ConsumeSettings = true, p.ConsumeSettings(cfg)
		}
		out = append(out, info)
	}
	return out
}

// benchModule is this module's path: the module of a client written here
// (relay).
const benchModule = "github.com/samsa-go/samsa/bench"

// moduleVersion is the version of module path this binary was built with,
// "(local)" for a module replaced by a directory (samsa itself) or for
// this module, or "unknown" when the build carries no module information.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if path == bi.Main.Path {
		return "(local)"
	}
	for _, d := range bi.Deps {
		if d.Path != path {
			continue
		}
		if d.Replace != nil {
			if d.Replace.Version == "" {
				return "(local)"
			}
			return d.Replace.Version
		}
		return d.Version
	}
	return "unknown"
}

// writeHeapProfile writes the allocation profile (every allocation since
// the start, by the sampling rate) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // make the profile's in-use figures current
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
