package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rosteron/rosteron/session"
)

// progressFlags are --quiet and --verbose, of the commands that log in.
type progressFlags struct {
	quiet   bool
	verbose bool
}

const progressFlagsUsage = `  --quiet             show no progress, only errors and warnings
  --verbose           show each step and each request it made, with its
                      status and time, even when standard error is not a
                      terminal
`

func (f *progressFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.quiet, "quiet", false, "")
	fs.BoolVar(&f.verbose, "verbose", false, "")
}

func (f *progressFlags) check(cmd string) error {
	if f.quiet && f.verbose {
		return usagef(cmd, "--quiet and --verbose ask for opposite things: give one")
	}
	return nil
}

// progress shows on standard error what a run is doing as it does it: a
// run against a real instance takes seconds. On a terminal each step is a
// line, completed when the step ends:
//
//	rosteron: starting the browser… done in 310 ms
//	rosteron: opening the login page… done in 95 ms
//
// With --verbose, on a terminal or not, each step's start and end are
// lines of their own, with a line for each request between them:
//
//	rosteron: logging in…
//	rosteron:   POST https://…/Account/Login → 302 Found in 41 ms
//	rosteron:   GET https://…/ → 200 OK in 38 ms
//	rosteron: logging in: done in 160 ms
//
// It holds what session.Event holds, which is never a secret, and goes
// through the command's scrubber all the same.
type progress struct {
	w       io.Writer
	verbose bool
	clean   func(string) string
	open    bool // a step's line waits for its end
}

// newProgress returns the run's progress, or nil when none is to be
// shown: with --quiet, or when standard error is not a terminal and
// --verbose was not given.
func (c *cli) newProgress(f progressFlags) *progress {
	if f.quiet || (!f.verbose && !c.stderrIsTerminal()) {
		return nil
	}
	return &progress{w: c.stderr, verbose: f.verbose, clean: c.oneLine}
}

func (c *cli) stderrIsTerminal() bool {
	f, ok := c.stderr.(fdFile)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stepNames say what each step does, as people put it.
var stepNames = map[string]string{
	session.StepBrowser:   "starting the browser",
	session.PurposeLogin:  "opening the login page",
	session.PurposeHome:   "logging in",
	session.PurposeRoster: "reading the roster",
	session.PurposeLogout: "logging out",
}

func stepName(step string) string {
	if name, ok := stepNames[step]; ok {
		return name
	}
	return step
}

// observe is the session's observer.
func (p *progress) observe(ev session.Event) {
	switch ev.Kind {
	case session.StepStarted:
		p.closeLine()
		if p.verbose {
			p.line(stepName(ev.Step) + "…")
			return
		}
		fmt.Fprintf(p.w, "rosteron: %s… ", p.clean(stepName(ev.Step)))
		p.open = true
	case session.RequestDone:
		if p.verbose {
			fmt.Fprintf(p.w, "rosteron:   %s\n", p.clean(requestLine(ev.Request)))
		}
	case session.StepFinished:
		result := "done in " + humanDuration(ev.Took)
		if ev.Err != nil {
			result = "failed after " + humanDuration(ev.Took)
		}
		if p.open {
			fmt.Fprintln(p.w, result)
			p.open = false
			return
		}
		p.line(stepName(ev.Step) + ": " + result)
	}
}

// closeLine ends a step's line that is still open, so that whatever comes
// next starts a line of its own.
func (p *progress) closeLine() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

func (p *progress) line(msg string) {
	fmt.Fprintf(p.w, "rosteron: %s\n", p.clean(msg))
}

// requestLine is "GET URL → 200 OK in 38 ms", or "GET URL → net::ERR_… after
// 2 ms" for a request that got no response.
func requestLine(r session.Request) string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL + " → ")
	switch {
	case r.Status != 0:
		b.WriteString(fmt.Sprint(r.Status))
		if r.StatusText != "" {
			b.WriteString(" " + r.StatusText)
		}
		if r.Took > 0 {
			b.WriteString(" in " + humanDuration(r.Took))
		}
	case r.Error != "":
		b.WriteString(r.Error)
		if r.Took > 0 {
			b.WriteString(" after " + humanDuration(r.Took))
		}
	default:
		b.WriteString("no response")
	}
	return b.String()
}

// humanDuration is d for people: "38 ms" below a second, "1.2 s" above.
func humanDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
