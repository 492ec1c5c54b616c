package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/benchflow"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/session"
)

// The CPU mode answers "where does a warm session's time go?" with the
// processor time each kind of process spent per session, read from /proc
// (Linux only): Chrome's browser process, its renderers (those that exited
// are counted through the zygote that reaped them), the GPU process, the
// network service, and this Go process. Sessions run four at once on one
// browser with tabs made ahead, as BenchmarkSessions runs them, next to
// the least an isolated session can cost: a tab in a new browser
// context, the login page rendered, the tab closed.
//
//	go run ./internal/benchcli -cpu 40 [-cpuprofile go.prof]

// cpuFlow is one kind of warm session.
type cpuFlow struct {
	name string
	run  func(ctx context.Context, url string, b *browser.Browser) error
}

var cpuFlows = []cpuFlow{
	{"whole flow (log in, roster, log out, close)", benchflow.Session},
	{"whole flow, --render always", benchflow.SessionWith(session.WithRender(session.RenderAlways))},
	{"least isolated session (new context, login page rendered, closed)", func(ctx context.Context, url string, b *browser.Browser) error {
		tab, err := b.NewTab(ctx, browser.Block(browser.Stylesheet, browser.Image, browser.Font, browser.Media))
		if err != nil {
			return err
		}
		defer tab.Close()
		_, err = tab.Navigate(ctx, url+"/Account/Login")
		return err
	}},
}

// cpuKinds are the columns of the report, in order.
var cpuKinds = []string{"browser", "renderer", "gpu-process", "network", "other Chrome", "Go"}

func runCPU(w io.Writer, n int, scenarios []scenario, profile string) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(w, "Processor time per warm session, ms, four sessions at once, %d sessions each (load average %s):\n\n", n, loadAverage())
	fmt.Fprintf(w, "| pages | session | %s | total | sessions/s |\n|---|---|%s---|---|\n", strings.Join(cpuKinds, " | "), strings.Repeat("---|", len(cpuKinds)))
	for _, sc := range scenarios {
		url, stop, err := serve(sc.opts)
		if err != nil {
			return err
		}
		for _, f := range cpuFlows {
			row, rate, err := cpuOf(url, f, n)
			if err != nil {
				stop()
				return fmt.Errorf("%s, %s: %w", sc.name, f.name, err)
			}
			total := 0.0
			var cells []string
			for _, k := range cpuKinds {
				total += row[k]
				cells = append(cells, fmt.Sprintf("%.0f", row[k]))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.0f | %.1f |\n", sc.name, f.name, strings.Join(cells, " | "), total, rate)
		}
		stop()
	}
	return nil
}

// cpuOf runs n sessions of f, four at once, on a browser of its own, and
// returns the processor time per session of each kind of process, in ms,
// and the sessions per second.
func cpuOf(url string, f cpuFlow, n int) (map[string]float64, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, err := browser.Open(ctx, append(chrometest.Options(), browser.WithReadyTabs(benchflow.Parallel))...)
	if err != nil {
		return nil, 0, err
	}
	defer b.Close()
	if b.PID() == 0 {
		return nil, 0, fmt.Errorf("a remote browser's processes cannot be read")
	}
	// One session first, so that the tabs made ahead are there at the
	// start as at the end.
	if err := f.run(ctx, url, b); err != nil {
		return nil, 0, err
	}
	before, goBefore := chromeCPU(b.PID()), goCPU()
	elapsed, err := benchflow.Run(n, func() error { return f.run(ctx, url, b) })
	rate := float64(n) / elapsed.Seconds()
	after, goAfter := chromeCPU(b.PID()), goCPU()
	if err != nil {
		return nil, 0, err
	}
	row := map[string]float64{"Go": (goAfter - goBefore).Seconds() * 1000 / float64(n)}
	for k, v := range after {
		row[k] += (v - before[k]).Seconds() * 1000 / float64(n)
	}
	return row, rate, nil
}

// chromeCPU sums the processor time of a Chrome's processes by kind. A
// process's own time goes to its kind; the time of children it reaped goes
// to the renderers when the zygote reaped them (renderers are the zygote's
// children), and to "other Chrome" otherwise.
func chromeCPU(pid int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range chrometest.Tree(pid) {
		self, reaped, ok := chrometest.CPU(p)
		if !ok {
			continue
		}
		kind := chromeKind(p, pid)
		out[kind] += self
		if kind == "zygote" {
			out["renderer"] += reaped
		} else {
			out["other Chrome"] += reaped
		}
	}
	out["other Chrome"] += out["zygote"]
	delete(out, "zygote")
	return out
}

func chromeKind(p, root int) string {
	if p == root {
		return "browser"
	}
	switch k := processKind(p, -1); k {
	case "renderer", "gpu-process", "zygote":
		return k
	case "network.mojom.NetworkService":
		return "network"
	default:
		return "other Chrome"
	}
}

func goCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
