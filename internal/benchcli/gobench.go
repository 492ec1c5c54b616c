package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// goBench holds the figures BENCHMARKS.md takes from `go test -bench`
// output: each run's sessions per second and parse throughput.
type goBench struct {
	raw      []byte
	sessions map[string][]float64 // "plain", "realistic"
	parse    map[string][]float64 // "200", "2000" shifts: MB/s
}

var (
	sessionsLine = regexp.MustCompile(`(?m)^BenchmarkSessions/(plain|realistic)(?:-\d+)?\s+\d+\s.*?\s([0-9.]+) sessions/s`)
	parseLine    = regexp.MustCompile(`(?m)^BenchmarkParse/(\d+)-shifts(?:-\d+)?\s+\d+\s.*?\s([0-9.]+) MB/s`)
)

func readGoBench(path string) (*goBench, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	gb := &goBench{raw: raw, sessions: map[string][]float64{}, parse: map[string][]float64{}}
	for _, m := range sessionsLine.FindAllSubmatch(raw, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, m[0], err)
		}
		gb.sessions[string(m[1])] = append(gb.sessions[string(m[1])], v)
	}
	for _, m := range parseLine.FindAllSubmatch(raw, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, m[0], err)
		}
		gb.parse[string(m[1])] = append(gb.parse[string(m[1])], v)
	}
	for _, want := range []struct {
		m    map[string][]float64
		key  string
		name string
	}{
		{gb.sessions, "plain", "BenchmarkSessions/plain"},
		{gb.sessions, "realistic", "BenchmarkSessions/realistic"},
		{gb.parse, "200", "BenchmarkParse/200-shifts"},
		{gb.parse, "2000", "BenchmarkParse/2000-shifts"},
	} {
		if len(want.m[want.key]) < 3 {
			return nil, fmt.Errorf("%s has %d results of %s, want at least 3 (-count): did go test -bench fail or skip it?", path, len(want.m[want.key]), want.name)
		}
	}
	return gb, nil
}
