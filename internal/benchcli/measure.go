package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

// A command is one of the things timed in a scenario.
type command struct {
	name string
	// make builds the command for one run, bound to ctx; check says
	// whether its output is what it should be.
	make  func(ctx context.Context, tmp string) *exec.Cmd
	check func(stdout []byte) error
}

// sample is one run: its wall time, the largest peak RSS among its
// processes and which kind of process that was.
type sample struct {
	wall    time.Duration
	rss     int64
	largest string
}

type scenarioResult struct {
	scenario
	commands []string
	samples  map[string][]sample
}

// measureScenario runs each command once to warm up, then runs times in
// rounds, alternating the order from round to round so that neither
// command always follows the other.
func measureScenario(sc scenario, url, bin, chrome string, runs int) (scenarioResult, error) {
	cmds := commands(sc, url, bin, chrome)
	r := scenarioResult{scenario: sc, samples: map[string][]sample{}}
	for _, c := range cmds {
		r.commands = append(r.commands, c.name)
	}
	for round := -1; round < runs; round++ {
		order := cmds
		if round%2 != 0 {
			order = reversed(cmds)
		}
		for _, c := range order {
			s, err := runOnce(c, runLimit, stopGrace)
			if err != nil {
				return r, err
			}
			if round >= 0 {
				r.samples[c.name] = append(r.samples[c.name], s)
			}
		}
	}
	return r, nil
}

const (
	cliName            = "rosteron roster"
	floorName          = "floor"
	floorIncognitoName = "floor, incognito"
)

func commands(sc scenario, url, bin, chrome string) []command {
	floor := func(extra ...string) func(ctx context.Context, tmp string) *exec.Cmd {
		return func(ctx context.Context, tmp string) *exec.Cmd {
			args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync"}
			args = append(args, extra...)
			args = append(args, "--user-data-dir="+filepath.Join(tmp, "profile"), "--dump-dom", url+"/Account/Login")
			return exec.CommandContext(ctx, chrome, args...)
		}
	}
	checkLogin := func(out []byte) error {
		if !bytes.Contains(out, []byte(`id="account-login"`)) {
			return fmt.Errorf("the floor printed no login page: %.200q", out)
		}
		return nil
	}
	return []command{
		{
			name: cliName,
			make: func(ctx context.Context, tmp string) *exec.Cmd {
				c := exec.CommandContext(ctx, bin, "roster", "--url", url, "--username", mockserver.DemoUsername, "--format", "json")
				c.Env = append(os.Environ(), "ROSTERON_PASSWORD="+mockserver.DemoPassword, "TMPDIR="+tmp)
				return c
			},
			check: func(out []byte) error {
				var snap struct {
					Items []json.RawMessage `json:"items"`
				}
				if err := json.Unmarshal(out, &snap); err != nil {
					return fmt.Errorf("rosteron printed no roster: %v: %.200q", err, out)
				}
				if len(snap.Items) != sc.shifts {
					return fmt.Errorf("rosteron printed %d shifts, want %d", len(snap.Items), sc.shifts)
				}
				return nil
			},
		},
		{name: floorName, make: floor(), check: checkLogin},
		{name: floorIncognitoName, make: floor("--incognito"), check: checkLogin},
	}
}

func reversed(cmds []command) []command {
	out := make([]command, len(cmds))
	for i, c := range cmds {
		out[len(cmds)-1-i] = c
	}
	return out
}

// runLimit bounds one run, so that a hung rosteron or Chrome fails make
// bench instead of stalling it. It is generous: above what rosteron's own
// limits (a minute a step) let a run take.
const runLimit = 5 * time.Minute

// stopGrace is how long a command over its limit has to end after SIGTERM
// (rosteron then closes its Chrome), and how long its output may stay open
// after it ended (a child of Chrome's may hold it), before it is killed
// and its output closed.
const stopGrace = 10 * time.Second

// runOnce runs c in a fresh temporary folder, sampling the peak RSS of
// every process in its tree every few milliseconds while it runs, for at
// most limit, and grace more to stop (see stopGrace).
func runOnce(c command, limit, grace time.Duration) (sample, error) {
	tmp, err := os.MkdirTemp("", "rosteron-bench-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := c.make(ctx, tmp)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = grace
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", c.name, err)
	}
	peak := sampler(cmd.Process.Pid)
	err = cmd.Wait()
	wall := time.Since(start)
	rss, largest := peak()
	if err != nil && ctx.Err() != nil {
		return sample{}, fmt.Errorf("%s: still running after %v, stopped (%v)\n%s", c.name, limit, err, stderr.String())
	}
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w\n%s", c.name, err, stderr.String())
	}
	if err := c.check(stdout.Bytes()); err != nil {
		return sample{}, err
	}
	if rss == 0 {
		return sample{}, fmt.Errorf("%s: no memory figure could be read from /proc", c.name)
	}
	return sample{wall: wall, rss: rss, largest: largest}, nil
}

// sampler watches pid's process tree until the returned func is called,
// and then returns the largest peak RSS (VmHWM) seen in any one process,
// and that process's kind.
func sampler(pid int) func() (int64, string) {
	var mu sync.Mutex
	var best int64
	var kind string
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			for _, p := range chrometest.Tree(pid) {
				if v := vmHWM(p); v > 0 {
					mu.Lock()
					if v > best {
						best, kind = v, processKind(p, pid)
					}
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
	return func() (int64, string) {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return best, kind
	}
}

// processKind names a process of the tree: the command itself, Chrome's
// browser process, or its --type (renderer, gpu-process, utility…).
func processKind(p, root int) string {
	if p == root {
		return "command"
	}
	args := chrometest.Args(p)
	if args == nil {
		return "?"
	}
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--type="); ok {
			if v == "utility" {
				for _, a := range args {
					if sub, ok := strings.CutPrefix(a, "--utility-sub-type="); ok {
						return sub
					}
				}
			}
			return v
		}
	}
	return "browser"
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
