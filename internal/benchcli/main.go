// Command benchcli measures rosteron as people run it and writes
// BENCHMARKS.md: the whole `rosteron roster` process against a mock
// RosterOn on loopback, next to Chrome's own floor (start, render one page,
// exit), on plain pages and on pages that load the realistic script stack
// with a 124-shift roster; the peak memory of the largest process in each
// run's tree; and, from `go test -bench` output, warm sessions per second
// and parse speed. Runs of the commands alternate, and figures are medians
// with their ranges, never minima.
//
//	go run ./internal/benchcli -bin ./rosteron -runs 9 -out BENCHMARKS.md -gobench bench.out
//
// With -cpu N it instead reports where a warm session's processor time
// goes, by kind of process (see cpu.go). With -parse it instead times
// `rosteron parse --format json` of a 2,000-shift roster as whole
// processes, for -bin and any other binaries named after the flags (a
// build of main, say), alternating (see parse.go):
//
//	go run ./internal/benchcli -parse -runs 50 -bin ./rosteron ./rosteron-main
//
// It fails, saying why, rather than write figures it could not measure:
// without Chrome, without the realistic stack's Debian packages, when a run
// fails or prints something other than the roster, or when the Go
// benchmarks' output lacks a figure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/mockserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchcli:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "./rosteron", "the rosteron binary to time")
	runs := flag.Int("runs", 15, "runs of each command in each scenario, alternating (medians are reported)")
	out := flag.String("out", "", "write the Markdown report here")
	gobench := flag.String("gobench", "", "a file holding `go test -bench` output of ./snapshot/ and ./e2e/ (required with -out)")
	stat := flag.String("benchstat", "", "a file holding benchstat's summary of that output")
	cpu := flag.Int("cpu", 0, "instead, run this many warm sessions of each kind and report the processor time each kind of process spends per session (see cpu.go)")
	cpuProfile := flag.String("cpuprofile", "", "with -cpu, write this Go process's CPU profile here, for go tool pprof")
	parse := flag.Bool("parse", false, "instead, time rosteron parse --format json of 2,000 shifts, for -bin and the binaries named after the flags")
	flag.Parse()
	if *runs < 3 {
		return errors.New("-runs must be at least 3 for a median and a range")
	}
	if *parse {
		return runParse(os.Stdout, append([]string{*bin}, flag.Args()...), *runs)
	}

	// The Chrome the CLI under measure starts too: it reads ROSTERON_CHROME.
	chrome, err := browser.FindChrome(os.Getenv("ROSTERON_CHROME"))
	if err != nil {
		return err
	}
	stack, err := mockserver.LoadScriptStack("")
	if err != nil {
		return fmt.Errorf("the realistic scenario: %w", err)
	}
	scenarios := []scenario{
		{name: "plain", what: "plain pages (one small script and stylesheet, 32 shifts)", shifts: 32},
		{name: "realistic", what: "the realistic stack (jQuery, Migrate, jQuery Mobile; 124 shifts)", shifts: 124,
			opts: []mockserver.Option{mockserver.WithScriptStack(stack), mockserver.WithDemoShifts(124)}},
	}
	if *cpu > 0 {
		return runCPU(os.Stdout, *cpu, scenarios, *cpuProfile)
	}
	version, err := exec.Command(*bin, "version").Output()
	if err != nil {
		return fmt.Errorf("running %s version: %w (make build first)", *bin, err)
	}
	chromeVersion, _ := exec.Command(chrome, "--version").Output()
	var gb *goBench
	if *gobench != "" {
		if gb, err = readGoBench(*gobench); err != nil {
			return err
		}
	} else if *out != "" {
		return errors.New("-out needs -gobench: BENCHMARKS.md holds the Go benchmarks' figures too")
	}

	env := envInfo{
		when:       time.Now().UTC(),
		host:       hostname(),
		cpu:        cpuModel(),
		cpus:       runtime.NumCPU(),
		chrome:     strings.TrimSpace(string(chromeVersion)),
		goVersion:  strings.TrimPrefix(runtime.Version(), "go"),
		rosteron:   strings.TrimSpace(string(version)),
		loadBefore: loadAverage(),
	}
	var results []scenarioResult
	for _, sc := range scenarios {
		url, stop, err := serve(sc.opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchcli: %s: %d runs of each command, alternating\n", sc.name, *runs)
		r, err := measureScenario(sc, url, *bin, chrome, *runs)
		stop()
		if err != nil {
			return fmt.Errorf("%s pages: %w", sc.name, err)
		}
		results = append(results, r)
	}
	fmt.Fprintf(os.Stderr, "benchcli: parse: %d runs, 2,000 shifts\n", *runs)
	_, parseTimes, err := timeParse([]string{*bin}, *runs)
	if err != nil {
		return fmt.Errorf("timing parse: %w", err)
	}
	env.loadAfter = loadAverage()

	report := writeReport(env, results, gb, *stat, &parseTimes[0])
	fmt.Print(report.summary)
	if *out == "" {
		return nil
	}
	return os.WriteFile(*out, []byte(report.full), 0o644)
}

type envInfo struct {
	when                        time.Time
	host, cpu                   string
	cpus                        int
	chrome, goVersion, rosteron string
	loadBefore, loadAfter       string
}

type scenario struct {
	name, what string
	shifts     int
	opts       []mockserver.Option
}

// serve starts a mock on loopback and returns its base URL.
func serve(opts []mockserver.Option) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	m := mockserver.New(opts...)
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	stop := func() {
		m.Close()
		srv.Close()
	}
	return "http://" + l.Addr().String() + m.BasePath(), stop, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

// loadAverage is /proc/loadavg's first three figures, to show how busy
// the machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
