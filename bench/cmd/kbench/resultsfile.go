package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

const resultsHeader = `# samsa benchmark results

Written by ` + "`kbench`" + ` (see README.md for what is measured and how). Each
section is replaced when its scenario is run again; the others are kept as
they were, so sections may come from different runs: each names its own
date, machine and command.
`

func beginMarker(name string) string { return "<!-- kbench:begin " + name + " -->" }
func endMarker(name string) string   { return "<!-- kbench:end " + name + " -->" }

// parseSections returns the scenario sections of a results file by name,
// in file order. Text outside markers is dropped: the header is rewritten.
func parseSections(text string) (names []string, sections map[string]string, err error) {
	sections = map[string]string{}
	const open = "<!-- kbench:begin "
	for {
		i := strings.Index(text, open)
		if i < 0 {
			return names, sections, nil
		}
		rest := text[i+len(open):]
		j := strings.Index(rest, " -->")
		if j < 0 {
			return nil, nil, fmt.Errorf("kbench: unterminated section marker %q", firstLine(text[i:]))
		}
		name := rest[:j]
		body := rest[j+len(" -->"):]
		k := strings.Index(body, endMarker(name))
		if k < 0 {
			return nil, nil, fmt.Errorf("kbench: section %q has no end marker", name)
		}
		if _, dup := sections[name]; dup {
			return nil, nil, fmt.Errorf("kbench: section %q appears twice", name)
		}
		names = append(names, name)
		sections[name] = strings.Trim(body[:k], "\n")
		text = body[k+len(endMarker(name)):]
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// mergeResults returns the results file text with the sections of
// updated replacing or adding to those of old. Sections are ordered as
// the known scenarios are, then any unknown ones in their old order.
func mergeResults(old string, updated map[string]string) (string, error) {
	names, sections, err := parseSections(old)
	if err != nil {
		return "", err
	}
	for n, body := range updated {
		if _, ok := sections[n]; !ok {
			names = append(names, n)
		}
		sections[n] = strings.Trim(body, "\n")
	}
	order := scenarioNames()
	slices.SortStableFunc(names, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		return ia - ib
	})
	var b strings.Builder
	b.WriteString(resultsHeader)
	for _, n := range names {
		fmt.Fprintf(&b, "\n%s\n%s\n%s\n", beginMarker(n), sections[n], endMarker(n))
	}
	return b.String(), nil
}

// writeResults merges updated into the results file at path.
func writeResults(path string, updated map[string]string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	text, err := mergeResults(string(old), updated)
	if err != nil {
		return fmt.Errorf("%w (in %s)", err, path)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
