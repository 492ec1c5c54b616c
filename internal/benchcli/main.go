// Command benchcli measures rosteron as people run it: the whole `rosteron
// roster` process against a mock RosterOn on loopback, its wall time and the
// peak memory of the largest process in its tree (Chrome's included), next
// to Chrome's own floor (start, render one page, exit). With -bench it also
// runs the Go benchmarks and writes everything to BENCHMARKS.md.
//
//	go run ./internal/benchcli -bin ./rosteron -runs 9 -out BENCHMARKS.md
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

func main() {
	bin := flag.String("bin", "./rosteron", "the rosteron binary to time")
	runs := flag.Int("runs", 9, "runs of each command (the median is reported)")
	out := flag.String("out", "", "write a Markdown report here (and the Go benchmarks' output, from -gobench)")
	gobench := flag.String("gobench", "", "a file holding `go test -bench` output to include in the report")
	stat := flag.String("benchstat", "", "a file holding benchstat's summary of that output")
	flag.Parse()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	m := mockserver.New()
	go http.Serve(l, m)
	url := "http://" + l.Addr().String() + m.BasePath()

	// The Chrome the CLI under measure starts too: it reads ROSTERON_CHROME.
	chrome, err := browser.FindChrome(os.Getenv("ROSTERON_CHROME"))
	check(err)
	version, _ := exec.Command(chrome, "--version").Output()

	env := append(os.Environ(), "ROSTERON_PASSWORD="+mockserver.DemoPassword)
	cli := measure(*runs, func() *exec.Cmd {
		c := exec.Command(*bin, "roster", "--url", url, "--username", mockserver.DemoUsername, "--format", "json")
		c.Env = env
		return c
	})
	floor := measure(*runs, func() *exec.Cmd {
		return exec.Command(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir="+tempDir(), "--dump-dom", url+"/Account/Login")
	})

	var b strings.Builder
	host, _ := os.Hostname()
	cpu := cpuModel()
	fmt.Fprintf(&b, "## Whole process against the mock on loopback\n\n")
	fmt.Fprintf(&b, "Measured %s on %s (%s, %d CPUs), %s, Go %s; %d runs each, after one warm-up.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), host, cpu, runtime.NumCPU(), strings.TrimSpace(string(version)), strings.TrimPrefix(runtime.Version(), "go"), *runs)
	fmt.Fprintf(&b, "| command | median wall time | min – max | largest process, peak RSS (median) | min – max |\n|---|---|---|---|---|\n")
	row := func(name string, r result) {
		fmt.Fprintf(&b, "| %s | %s | %s – %s | %.0f MiB | %.0f – %.0f MiB |\n", name,
			r.median(r.wall), r.min(r.wall), r.max(r.wall), mib(r.medianRSS()), mib(float64(slices.Min(r.rss))), mib(float64(slices.Max(r.rss))))
	}
	row("`rosteron roster` (start Chrome, log in, roster, log out, exit)", cli)
	row("Chrome's floor: `chromium-headless-shell --dump-dom` of the login page", floor)
	fmt.Fprintf(&b, "\nMedian gap to Chrome's floor: %s.\n", cli.median(cli.wall)-floor.median(floor.wall))
	for _, d := range profiles {
		os.RemoveAll(d)
	}
	fmt.Print(b.String())

	if *out == "" {
		return
	}
	var doc strings.Builder
	doc.WriteString("# Benchmarks\n\nWritten by `make bench` (`internal/benchcli`); numbers from one machine, one run. Reproduce with `make bench`.\n\n")
	doc.WriteString(reading)
	doc.WriteString(b.String())
	if *gobench != "" {
		gb, err := os.ReadFile(*gobench)
		check(err)
		doc.WriteString("\n## Go benchmarks\n\n`go test -run '^$' -bench . -benchmem -count 6 ./snapshot/ ./e2e/`: `BenchmarkParse` on generated pages of 200 and 2,000 shifts; `BenchmarkSessions` the full flow on one shared Chrome, four sessions at a time, against an in-process mock.\n\n")
		if *stat != "" {
			sb, err := os.ReadFile(*stat)
			check(err)
			doc.WriteString("Summary by benchstat (median ± 95% confidence interval over the six runs):\n\n```\n")
			doc.Write(sb)
			doc.WriteString("```\n\nRaw output:\n\n")
		}
		doc.WriteString("```\n")
		doc.Write(gb)
		doc.WriteString("```\n")
	}
	check(os.WriteFile(*out, []byte(doc.String()), 0o644))
}

// reading says what limits the figures; it changes only when the flow
// does.
const reading = `What the figures mean. A whole run makes six document requests and renders
four pages in Chrome (the login page; the login POST and the home page it
redirects to; the roster; the logoff and the login page it redirects to)
where Chrome's floor renders one, so the gap to the floor is mostly those
three extra page loads, each a few tens of milliseconds of Chrome's own
work even on loopback, plus DevTools round trips. Sessions on a shared browser are bound by CPU on two
cores: each gets its own browser context, so its own renderer process, and
renders four documents. --single-process, which would avoid the processes,
crashes Chrome as soon as a second browser context opens.

`

type result struct {
	wall []time.Duration
	rss  []int64 // bytes: the largest VmHWM among the run's processes
}

func (r result) median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
func (r result) min(d []time.Duration) time.Duration { return slices.Min(d).Round(time.Millisecond) }
func (r result) max(d []time.Duration) time.Duration { return slices.Max(d).Round(time.Millisecond) }
func (r result) medianRSS() float64 {
	s := slices.Clone(r.rss)
	slices.Sort(s)
	return float64(s[len(s)/2])
}

func mib(b float64) float64 { return b / (1 << 20) }

// measure runs the command runs+1 times (the first is a warm-up) and
// samples the peak RSS of every process in its tree every few
// milliseconds while it runs.
func measure(runs int, mk func() *exec.Cmd) result {
	var r result
	for i := 0; i <= runs; i++ {
		cmd := mk()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		check(cmd.Start())
		peak := sampler(cmd.Process.Pid)
		err := cmd.Wait()
		wall := time.Since(start)
		rss := peak()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%v: %v\n%s", cmd.Args, err, stderr.String())
			os.Exit(1)
		}
		if i == 0 {
			continue
		}
		r.wall = append(r.wall, wall)
		r.rss = append(r.rss, rss)
	}
	return r
}

// sampler watches pid's process tree until the returned func is called,
// and then returns the largest peak RSS (VmHWM) seen in any one process.
func sampler(pid int) func() int64 {
	var mu sync.Mutex
	var best int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			for _, p := range chrometest.Tree(pid) {
				if v := vmHWM(p); v > 0 {
					mu.Lock()
					best = max(best, v)
					mu.Unlock()
				}
			}
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return best
	}
}

func vmHWM(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
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

// profiles are the throwaway Chrome profiles of the floor runs.
var profiles []string

func tempDir() string {
	d, err := os.MkdirTemp("", "rosteron-bench-chrome")
	check(err)
	profiles = append(profiles, d)
	return d
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcli:", err)
		os.Exit(1)
	}
}
