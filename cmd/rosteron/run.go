package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

// Exit statuses. Scripts rely on them: keep them stable.
const (
	exitOK             = 0
	exitError          = 1
	exitUsage          = 2
	exitBadCredentials = 3
	exitBadResponse    = 4
	exitNotLoggedIn    = 5
	exitBrowser        = 6
	// exitCalendarAuth is a calendar (CalDAV, Google) that refused its
	// credentials, and exitCalendar one that failed otherwise: the
	// calendar's failures, not RosterOn's.
	exitCalendarAuth = 7
	exitCalendar     = 8
)

const mainUsage = `rosteron reads a shift worker's roster from a RosterOn Mobile web app by
driving headless Chrome.

Usage:
  rosteron <command> [flags] [arguments]

Commands:
  demo      run the roster command against a built-in mock RosterOn: try this
  roster    log in to RosterOn, print the roster and log out
  sync      write the roster into a CalDAV or Google calendar, once
  parse     print a roster page saved from RosterOn, offline
  diff      compare two rosters: the shifts added, removed and changed
  serve     serve the roster as a calendar feed, refreshed on a schedule
  address   print the feed addresses serve keeps in its state folder
  accounts  add, list, pause and remove the accounts of serve --accounts
  mock      serve a mock RosterOn Mobile to try rosteron against
  chrome    run a headless Chrome for other machines' --browser
  healthcheck exit 0 when a URL answers 2xx, for container health checks
  google-auth authorise rosteron to write into Google Calendar, once
  version   print rosteron's version
  help      print this help, or a command's: rosteron help roster

Run 'rosteron <command> --help' for a command's flags. Flags may come before
or after arguments; -flag and --flag are the same.

Exit status: 0 success, 1 error (Chrome missing included), 2 usage error,
3 login refused (bad credentials, or any other message on the login page:
do not retry), 4 unexpected response from RosterOn (network errors,
timeouts and pages of another origin included), 5 not logged in, 6 the
browser failed (Chrome could not start or crashed, or a remote Chrome
could not be reached), 7 a calendar refused its credentials (a CalDAV
password, a Google token), 8 a calendar failed otherwise, 130 or 143
when interrupted by SIGINT or SIGTERM (serve exits 0). diff follows
diff(1): 0 same, 1 different, 2 trouble.
`

type command struct {
	name  string
	usage string
	run   func(c *cli, ctx context.Context, args []string) error
}

var commands = []*command{
	{"roster", rosterUsage, (*cli).roster},
	{"sync", syncUsage, (*cli).sync},
	{"demo", demoUsage, (*cli).demo},
	{"parse", parseUsage, (*cli).parse},
	{"diff", diffUsage, (*cli).diff},
	{"serve", serveUsage, (*cli).serve},
	{"accounts", accountsUsage, (*cli).accounts},
	{"address", addressUsage, (*cli).address},
	{"mock", mockUsage(), (*cli).mock},
	{"chrome", chromeUsage, (*cli).chrome},
	{"healthcheck", healthcheckUsage, (*cli).healthcheck},
	{"google-auth", googleAuthUsage, (*cli).googleAuth},
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// cli is one run of the command: its streams and environment.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// secretsDir is where Docker secrets are looked for, /run/secrets
	// when empty; tests set it.
	secretsDir string

	// password is kept to scrub it from any message, should a lower layer
	// ever quote it.
	password string
	// secrets are the other secrets read (the CalDAV and SMTP passwords,
	// OAuth tokens), scrubbed from messages as password is; see
	// addSecrets. serve's syncs add to them from their own goroutine.
	secretsMu sync.Mutex
	secrets   []string
	// secretSinks are told each secret added, such as serve's log.
	secretSinks []func(string)

	// sys is the machine, for advice on installing Chrome; nil means
	// this one.
	sys func() system

	// euid is the effective user id, os.Geteuid when nil; tests set it.
	euid func() int

	// openCalendar, when set, opens the calendar that sync and serve
	// write into, in place of the one their flags name; tests set it.
	openCalendar func(ctx context.Context) (calendar.Calendar, error)
}

func (c *cli) geteuid() int {
	if c.euid != nil {
		return c.euid()
	}
	return processEUID()
}

// processEUID is os.Geteuid, but for the package's tests, which run as
// root on some machines and would otherwise all hear the warning that
// Chrome has no sandbox for root (see warnRootSandbox's tests).
var processEUID = os.Geteuid

func (c *cli) system() system {
	if c.sys != nil {
		return c.sys()
	}
	return thisSystem()
}

// run runs the command line args (without the program name) and returns
// the exit status. ctx is cancelled, with a *signalError cause, when the
// process is asked to stop. Results go to stdout; progress and errors, one
// line each, to stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}

	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return c.help(name, rest)
	case "version", "-version", "--version":
		if len(rest) > 0 {
			return c.fail(ctx, usagef("", "version takes no arguments"))
		}
		fmt.Fprintf(stdout, "rosteron %s\n", buildVersion())
		return exitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		if strings.HasPrefix(name, "-") {
			flag, _, _ := strings.Cut(strings.TrimLeft(name, "-"), "=")
			return c.fail(ctx, unknownFlag("", flag))
		}
		return c.fail(ctx, usagef("", "unknown command %q", name))
	}
	err := cmd.run(c, ctx, rest)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, cmd.usage)
		return exitOK
	}
	return c.fail(ctx, err)
}

func (c *cli) help(name string, args []string) int {
	if name != "help" || len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(c.stdout, mainUsage)
		return exitOK
	}
	if len(args) > 1 {
		return c.fail(context.Background(), usagef("", "help takes one command name"))
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return c.fail(context.Background(), usagef("", "unknown command %q", args[0]))
	}
	fmt.Fprint(c.stdout, cmd.usage)
	return exitOK
}

// fail reports err, if any, as one line on stderr and returns its exit
// status.
func (c *cli) fail(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	var quiet quietExit
	if errors.As(err, &quiet) && code == int(quiet) {
		return code
	}
	var msg string
	var sig *signalError
	switch {
	case errors.As(context.Cause(ctx), &sig):
		// Whatever the step said, it failed because it was stopped.
		msg = sig.Error()
		var noted *notedError
		if errors.As(err, &noted) {
			msg += " (" + noted.note + ")"
		}
	case errors.Is(err, browser.ErrNoChrome):
		msg = noChromeMessage(c.system())
	default:
		msg = err.Error()
	}
	c.errorf("%s", msg)
	return code
}

// errorf prints "rosteron: " and the message on one line of stderr.
func (c *cli) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "rosteron: %s\n", c.oneLine(fmt.Sprintf(format, args...)))
}

// oneLine makes msg one line of harmless text: a message may quote a page
// or a browser's error text, which could hold line breaks or escape
// sequences, and it must never hold the password.
func (c *cli) oneLine(msg string) string {
	return oneline.Clean(msg, c.allSecrets()...)
}

// addSecrets records secrets read besides the RosterOn password, each
// with its base64 forms (an HTTP Basic header or an SMTP AUTH line that a
// server echoes holds them so), to be scrubbed from every message and from
// the logs given to onSecret. Safe from any goroutine; a secret added
// twice is kept once.
func (c *cli) addSecrets(user string, secrets ...string) {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte(s))}
		if user != "" {
			forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+s)))
		}
		for _, f := range forms {
			if slices.Contains(c.secrets, f) {
				continue
			}
			c.secrets = append(c.secrets, f)
			for _, sink := range c.secretSinks {
				sink(f)
			}
		}
	}
}

// onSecret tells sink every secret added so far and each one added
// later.
func (c *cli) onSecret(sink func(string)) {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	for _, s := range c.secrets {
		sink(s)
	}
	c.secretSinks = append(c.secretSinks, sink)
}

// allSecrets is the RosterOn password and every secret added.
func (c *cli) allSecrets() []string {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	return append([]string{c.password}, c.secrets...)
}

// exitCode maps an error to the exit status the usage text promises.
func exitCode(ctx context.Context, err error) int {
	var (
		sig     *signalError
		quiet   quietExit
		status  *statusError
		usage   *usageError
		notIn   *session.NotLoggedInError
		badResp *session.BadResponseError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(context.Cause(ctx), &sig):
		return sig.exitCode()
	case errors.As(err, &quiet):
		return int(quiet)
	case errors.As(err, &status):
		return status.code
	case errors.As(err, &usage), errors.Is(err, session.ErrInvalidURL):
		return exitUsage
	case errors.Is(err, calendar.ErrAuth):
		// The calendar's failures are not RosterOn's: before the
		// session's errors and the timeouts, which they may wrap.
		return exitCalendarAuth
	case errors.Is(err, calendar.ErrCalendar):
		return exitCalendar
	case errors.Is(err, browser.ErrUnauthorized), errors.Is(err, browser.ErrPlaintext):
		// The remote Chrome's token is missing or wrong, or its address
		// is plain ws:// to another machine: settings to put right, which
		// no retry mends. Before ErrBrowser, which wraps them.
		return exitUsage
	case errors.Is(err, browser.ErrNoChrome):
		// Chrome to install, as the message says. Before ErrBrowser,
		// which wraps it when the session looks for Chrome.
		return exitError
	case errors.Is(err, session.ErrBrowser):
		// Chrome could not start, crashed or went away, a remote one
		// could not be reached, or the session was closed: the browser's
		// failure, not RosterOn's, whichever step it happened in.
		return exitBrowser
	case errors.Is(err, session.ErrCredentials):
		// The known "bad password" message, or any other message the
		// login page shows after a submit (a lock-out, say).
		return exitBadCredentials
	case errors.As(err, &notIn), errors.Is(err, session.ErrNotLoggedIn):
		return exitNotLoggedIn
	case errors.As(err, &badResp),
		errors.Is(err, snapshot.ErrNotRoster), errors.Is(err, snapshot.ErrMalformed),
		errors.Is(err, context.DeadlineExceeded):
		return exitBadResponse
	}
	return exitError
}
