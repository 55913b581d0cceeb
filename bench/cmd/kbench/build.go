package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/samsa-go/samsa/bench/workload"
)

const (
	benchModule = "github.com/samsa-go/samsa/bench"
	samsaModule = "github.com/samsa-go/samsa"
)

// tree is where the bench module and the samsa module it sits in live.
type tree struct {
	bench string // the bench module's directory
	root  string // the samsa module's directory, bench's parent
}

// findTree locates the bench module from the working directory, as the go
// command does, and checks that its parent is the samsa module.
func findTree(ctx context.Context) (tree, error) {
	out, err := goOutput(ctx, "", "env", "GOMOD")
	if err != nil {
		return tree{}, err
	}
	gomod := strings.TrimSpace(out)
	if gomod == "" || gomod == os.DevNull {
		return tree{}, fmt.Errorf("kbench: not inside a Go module; run it from the bench directory (cd bench && go run ./cmd/kbench)")
	}
	t := tree{bench: filepath.Dir(gomod), root: filepath.Dir(filepath.Dir(gomod))}
	if path, err := modulePath(filepath.Join(t.bench, "go.mod")); err != nil || path != benchModule {
		return tree{}, fmt.Errorf("kbench: %s is not the bench module (%s); run it from the bench directory", gomod, benchModule)
	}
	if path, err := modulePath(filepath.Join(t.root, "go.mod")); err != nil || path != samsaModule {
		return tree{}, fmt.Errorf("kbench: %s does not hold the samsa module (%s)", t.root, samsaModule)
	}
	return t, nil
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// goOutput runs the go command in dir and returns its standard output,
// or an error carrying its standard error.
func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kbench: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// buildClient builds cmd/kclient of the bench module into dir.
func buildClient(ctx context.Context, t tree, dir string) (string, error) {
	bin := filepath.Join(dir, "kclient")
	_, err := goOutput(ctx, t.bench, "build", "-o", bin, "./cmd/kclient")
	return bin, err
}

// buildMock builds the samsa command (cmd/samsa, whose mock subcommand is
// the broker) into dir.
func buildMock(ctx context.Context, t tree, dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(t.root, "cmd", "samsa")); errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("kbench: %s has no cmd/samsa yet; build `samsa mock` elsewhere and pass it with -mock", t.root)
	}
	bin := filepath.Join(dir, "samsa")
	_, err := goOutput(ctx, t.root, "build", "-o", bin, "./cmd/samsa")
	return bin, err
}

// clientInfo mirrors an entry of `kclient -list`.
type clientInfo struct {
	Name            string             `json:"name"`
	Module          string             `json:"module"`
	Version         string             `json:"version"`
	Produce         bool               `json:"produce"`
	Consume         bool               `json:"consume"`
	ProduceSettings []workload.Setting `json:"produce_settings"`
	ConsumeSettings []workload.Setting `json:"consume_settings"`
}

func (c clientInfo) supports(m workload.Mode) bool {
	return m == workload.ModeProduce && c.Produce || m == workload.ModeConsume && c.Consume
}

func (c clientInfo) settings(m workload.Mode) []workload.Setting {
	if m == workload.ModeProduce {
		return c.ProduceSettings
	}
	return c.ConsumeSettings
}

// listClients asks the client runner which clients it has and how it
// would configure each for cfg.
func listClients(ctx context.Context, kclient string, cfg workload.Config) (map[string]clientInfo, error) {
	cmd := exec.CommandContext(ctx, kclient, append([]string{"-list"}, cfg.Args()...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kbench: kclient -list: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	var infos []clientInfo
	if err := json.Unmarshal(stdout.Bytes(), &infos); err != nil {
		return nil, fmt.Errorf("kbench: kclient -list printed %q: %w", stdout.String(), err)
	}
	m := make(map[string]clientInfo, len(infos))
	for _, i := range infos {
		m[i.Name] = i
	}
	return m, nil
}
