package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeResults(t *testing.T) {
	first, err := mergeResults("", map[string]string{"consume": "## C1\n", "produce": "## P1"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(first, resultsHeader))
	assert.Less(t, strings.Index(first, "## P1"), strings.Index(first, "## C1"), "known scenarios keep their order")

	second, err := mergeResults(first, map[string]string{"produce": "## P2", "custom": "## X"})
	require.NoError(t, err)
	names, sections, err := parseSections(second)
	require.NoError(t, err)
	assert.Equal(t, []string{"produce", "consume", "custom"}, names)
	assert.Equal(t, "## P2", sections["produce"])
	assert.Equal(t, "## C1", sections["consume"], "a scenario not rerun is kept")
	assert.Equal(t, 1, strings.Count(second, "# samsa benchmark results"))

	again, err := mergeResults(second, nil)
	require.NoError(t, err)
	assert.Equal(t, second, again, "merging nothing is a fixed point")
}

func TestParseSectionsErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no end", beginMarker("produce") + "\nbody", "no end marker"},
		{"unterminated", "<!-- kbench:begin produce", "unterminated"},
		{"duplicate", beginMarker("a") + endMarker("a") + beginMarker("a") + endMarker("a"), "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseSections(tt.text)
			assert.ErrorContains(t, err, tt.want)
			_, err = mergeResults(tt.text, map[string]string{"produce": "x"})
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestWriteResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RESULTS.md")
	require.NoError(t, writeResults(path, map[string]string{"produce": "## P"}))
	require.NoError(t, writeResults(path, map[string]string{"consume": "## C"}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, sections, err := parseSections(string(data))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"produce": "## P", "consume": "## C"}, sections)
	_, err = os.Stat(path + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestOptions(t *testing.T) {
	o, err := parseOptions([]string{"-scenario", "consume, produce", "-clients", "sarama", "-runs", "2"}, &strings.Builder{})
	require.NoError(t, err)
	assert.Equal(t, []string{"consume", "produce"}, o.scenarios)
	assert.Equal(t, []string{"sarama"}, o.clients)
	assert.Equal(t, 2, o.runs)
	assert.Equal(t, "RESULTS.md", o.out)

	o, err = parseOptions([]string{"-scenario", "all"}, &strings.Builder{})
	require.NoError(t, err)
	assert.Equal(t, scenarioNames(), o.scenarios)

	for _, args := range [][]string{
		{"-scenario", "fetch"},
		{"-scenario", ""},
		{"-runs", "0"},
		{"-records", "-1"},
		{"-brokers", "0"},
		{"-timeout", "0s"},
		{"stray"},
	} {
		_, err := parseOptions(args, &strings.Builder{})
		assert.Error(t, err, "%q", args)
	}
}

func TestCommandLine(t *testing.T) {
	assert.Equal(t, "cd bench && go run ./cmd/kbench -runs 1 -out '' -mock '/tmp/a b'",
		commandLine([]string{"-runs", "1", "-out", "", "-mock", "/tmp/a b"}))
	assert.Equal(t, `cd bench && go run ./cmd/kbench 'it'\''s'`, commandLine([]string{"it's"}))
}
