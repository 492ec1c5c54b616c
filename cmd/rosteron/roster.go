package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

const rosterUsage = `Usage: rosteron roster --url URL --username USER [flags]

Logs in to a RosterOn Mobile instance in headless Chrome, prints the roster
and logs out, whatever happened.

` + passwordSources + `
Flags:
  --url URL           the instance's address, everything before
                      /Account/Login, such as
                      https://rosteron.example.com/RosterOnProd/Mobile
                      (default $ROSTERON_URL)
  --username USER     the RosterOn username (default $ROSTERON_USERNAME)
` + passwordUsage + outputFlagsUsage + `  --save-logs DIR     save every request and response in DIR, with cookies
                      and tokens redacted, even (especially) when the run fails
  --screenshots DIR   save a screenshot of the page after each step in DIR
` + renderUsage + `  --browser WS_URL    use the Chrome already running at this DevTools
                      address, such as ws://127.0.0.1:9222, instead of
                      starting one (default $ROSTERON_BROWSER)
` + browserTokenUsage + `  --chrome PATH       the Chrome to start, unless --browser is given
                      (default $ROSTERON_CHROME, else chromium-headless-shell,
                      else an installed Chrome, Chromium or Edge)
  --timeout DURATION  time limit on the whole run, such as 90s or 2m
                      (default 60s); a run that reaches it gets a second
                      more to log out
  --insecure          do not check the server's TLS certificate (for test
                      servers only; warns)
` + allowHTTPUsage + noSandboxUsage + progressFlagsUsage + `  -h, --help          print this help

On a terminal, each step shows on standard error as it happens. The roster
is fetched in full before --output FILE is touched.

Examples:
  pass show rosteron | rosteron roster --password-stdin \
      --url https://rosteron.example.com/RosterOnProd/Mobile \
      --username joe.bloggs --format json
  rosteron roster --format ics --tz Australia/Melbourne --output roster.ics

Exit status: 0 success, 1 error (Chrome missing included), 2 usage error,
3 bad credentials, 4 unexpected response from RosterOn (network errors and
timeouts included), 5 not logged in, 6 the browser failed (Chrome could not
start or crashed), 130 or 143 when interrupted by SIGINT or SIGTERM.
`

const demoUsage = `Usage: rosteron demo [flags]

Starts a mock RosterOn Mobile on 127.0.0.1, logs in to it as its demo user
in headless Chrome, prints the roster and logs out: the whole of 'rosteron
roster', with nothing to set up but a Chrome, Chromium or Edge.

Flags:
` + outputFlagsUsage + `  --save-logs DIR     save every request and response in DIR, with cookies
                      and tokens redacted
  --screenshots DIR   save a screenshot of the page after each step in DIR
` + renderUsage + `  --browser WS_URL    use the Chrome already running at this DevTools
                      address instead of starting one; it must be able to
                      reach 127.0.0.1 on this machine (default
                      $ROSTERON_BROWSER)
` + browserTokenUsage + `  --chrome PATH       the Chrome to start, unless --browser is given
                      (default $ROSTERON_CHROME, else chromium-headless-shell,
                      else an installed Chrome, Chromium or Edge)
  --timeout DURATION  time limit on the whole run (default 60s)
  --insecure          do not check TLS certificates (warns; the demo's mock
                      is plain HTTP, so it changes nothing here)
` + allowHTTPUsage + noSandboxUsage + progressFlagsUsage + `  -h, --help          print this help
`

// sessionFlags are the flags of the commands that drive Chrome.
type sessionFlags struct {
	outputFlags
	progress    progressFlags
	saveLogs    string
	screenshots string
	render      string // --render: auto or always
	browser     string
	browserTok  string // --browser-token-file
	chrome      string
	timeout     time.Duration
	insecure    bool
	noSandbox   bool
	// allowHTTP is --allow-http, or $ROSTERON_ALLOW_HTTP once
	// resolveAllowHTTP has read it.
	allowHTTP bool
}

func (f *sessionFlags) register(fs *flag.FlagSet) {
	f.outputFlags.register(fs)
	f.progress.register(fs)
	fs.StringVar(&f.saveLogs, "save-logs", "", "")
	fs.StringVar(&f.screenshots, "screenshots", "", "")
	f.registerBrowser(fs)
}

// registerBrowser registers the flags of the browser and of the way to
// RosterOn, which every command that logs in takes, serve included:
// --render, --browser, --browser-token-file, --chrome, --timeout,
// --insecure, --no-sandbox and --allow-http.
func (f *sessionFlags) registerBrowser(fs *flag.FlagSet) {
	fs.StringVar(&f.render, "render", "", "")
	fs.StringVar(&f.browser, "browser", "", "")
	fs.StringVar(&f.browserTok, "browser-token-file", "", "")
	fs.StringVar(&f.chrome, "chrome", "", "")
	fs.DurationVar(&f.timeout, "timeout", session.DefaultTimeout, "")
	fs.BoolVar(&f.insecure, "insecure", false, "")
	fs.BoolVar(&f.noSandbox, "no-sandbox", false, "")
	fs.BoolVar(&f.allowHTTP, "allow-http", false, "")
}

// renderUsage documents --render in the commands' help texts.
const renderUsage = `  --render MODE       auto (the default) renders the login page and reads
                      the others as sent, rendering a roster page without
                      shifts in case a script fills it; always renders
                      every page and runs all its scripts, as a person's
                      browser does (slower; default $ROSTERON_RENDER, else
                      auto)
`

// noSandboxUsage documents --no-sandbox in the commands' help texts.
const noSandboxUsage = `  --no-sandbox        start Chrome without its sandbox, where it cannot
                      have one: in a container, whose default profile
                      withholds the user namespaces Chrome's sandbox needs
                      (default $ROSTERON_NO_SANDBOX; the image sets it)
`

// check validates the flags and returns the options for the browser.
// Chrome is looked for now, before anyone is asked for a password or a
// mock is started, so that a machine without it says so at once.
func (f *sessionFlags) check(c *cli, cmd string) ([]browser.Option, error) {
	if err := f.outputFlags.check(cmd, c.getenv); err != nil {
		return nil, err
	}
	if err := f.progress.check(cmd); err != nil {
		return nil, err
	}
	return f.checkBrowser(c, cmd)
}

// checkBrowser validates --timeout and the browser flags, and returns the
// options for the browser.
func (f *sessionFlags) checkBrowser(c *cli, cmd string) ([]browser.Option, error) {
	if f.timeout <= 0 {
		return nil, usagef(cmd, "invalid --timeout %v: want a positive duration, such as 60s", f.timeout)
	}
	if f.render = or(f.render, c.getenv("ROSTERON_RENDER")); f.render == "" {
		f.render = "auto"
	}
	if _, err := session.ParseRender(f.render); err != nil {
		return nil, usagef(cmd, "invalid --render %q: want auto or always", f.render)
	}
	noSandbox, err := c.noSandbox(cmd, f.noSandbox)
	if err != nil {
		return nil, err
	}
	remote := or(f.browser, c.getenv("ROSTERON_BROWSER"))
	if remote != "" {
		if !hasAnyPrefix(remote, "ws://", "wss://", "http://", "https://") {
			return nil, usagef(cmd, "invalid --browser %q: want a DevTools address such as ws://127.0.0.1:9222", remote)
		}
		if f.insecure {
			return nil, usagef(cmd, "--insecure needs a Chrome that rosteron starts: a remote browser's certificate checks belong to its owner")
		}
		if f.noSandbox {
			return nil, usagef(cmd, "--no-sandbox is for a Chrome that rosteron starts, not one at --browser")
		}
		if err := f.checkBrowserURL(c, cmd, remote); err != nil {
			return nil, err
		}
		opts := []browser.Option{browser.WithRemote(remote)}
		if f.allowHTTP {
			// checkBrowserURL has warned.
			opts = append(opts, browser.WithAllowPlaintext())
		}
		token, err := f.browserToken(c, cmd)
		if err != nil {
			return nil, err
		}
		if token != "" {
			opts = append(opts, browser.WithRemoteToken(token))
		}
		return opts, nil
	}
	if f.browserTok != "" {
		return nil, usagef(cmd, "--browser-token-file is for a Chrome at --browser (or ROSTERON_BROWSER)")
	}
	chrome := or(f.chrome, c.getenv("ROSTERON_CHROME"))
	path, err := browser.FindChrome(chrome)
	switch {
	case errors.Is(err, browser.ErrNoChrome):
		return nil, err
	case err != nil:
		return nil, usagef(cmd, "invalid --chrome %q (or ROSTERON_CHROME): no such program", chrome)
	}
	opts := []browser.Option{browser.WithExecPath(path)}
	if noSandbox {
		opts = append(opts, browser.WithFlag("no-sandbox", true))
	} else {
		c.warnRootSandbox()
	}
	if f.insecure {
		c.errorf("warning: --insecure: TLS certificates are not checked, so the password may go to whoever answers")
		opts = append(opts, browser.WithInsecureTLS())
	}
	return opts, nil
}

// noSandbox reports whether Chrome is to start without its sandbox:
// --no-sandbox, else $ROSTERON_NO_SANDBOX.
func (c *cli) noSandbox(cmd string, flag bool) (bool, error) {
	v := c.getenv("ROSTERON_NO_SANDBOX")
	if flag || v == "" {
		return flag, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, usagef(cmd, "invalid ROSTERON_NO_SANDBOX %q: want 1 or 0", v)
	}
	return on, nil
}

// flow is one run of the roster flow.
type flow struct {
	url      string
	username string
	password string
	flags    *sessionFlags
	browser  []browser.Option
	progress *progress // nil: none shown
}

func (c *cli) roster(ctx context.Context, args []string) error {
	const cmd = "roster"
	fs := newFlagSet(cmd)
	var f sessionFlags
	f.register(fs)
	url := fs.String("url", "", "")
	username := fs.String("username", "", "")
	var pf passwordFlags
	pf.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		// Not quoted: it may well be a password typed where it should not be.
		return usagef(cmd, "roster takes no arguments, only flags (got %d)", len(pos))
	}
	if err := f.outputFlags.check(cmd, c.getenv); err != nil {
		return err
	}
	fl := flow{flags: &f}
	if fl.url, fl.username, err = c.account(cmd, *url, *username); err != nil {
		return err
	}
	if err := f.checkRosterURL(c, cmd, fl.url); err != nil {
		return err
	}

	var prompt bool
	if fl.password, prompt, err = c.passwordSource(ctx, cmd, pf); err != nil {
		return err
	}
	if fl.browser, err = f.check(c, cmd); err != nil {
		return err
	}
	if prompt {
		if fl.password, err = c.askPassword(ctx, cmd, fl.username, fl.url); err != nil {
			return err
		}
	}
	fl.progress = c.newProgress(f.progress)
	return c.getAndPrintRoster(ctx, fl)
}

// account returns the RosterOn address and username of the flags, else
// of the environment.
func (c *cli) account(cmd, url, username string) (string, string, error) {
	if url = or(url, c.getenv("ROSTERON_URL")); url == "" {
		return "", "", usagef(cmd, "missing --url (or ROSTERON_URL): the RosterOn Mobile address, such as https://rosteron.example.com/RosterOnProd/Mobile")
	}
	if _, err := session.NormalizeURL(url); err != nil {
		return "", "", err
	}
	if username = or(username, c.getenv("ROSTERON_USERNAME")); username == "" {
		return "", "", usagef(cmd, "missing --username (or ROSTERON_USERNAME)")
	}
	return url, username, nil
}

// passwordSource reads the password from the first line of standard input
// (--password-stdin), of a file (see passwordFile) or from
// $ROSTERON_PASSWORD, or reports that it is to be typed at a prompt
// (askPassword), which the caller does once all else is checked.
func (c *cli) passwordSource(ctx context.Context, cmd string, pf passwordFlags) (password string, prompt bool, err error) {
	if pf.stdin && pf.file != "" {
		return "", false, usagef(cmd, "--password-stdin and --password-file are two sources of the password: give one")
	}
	file, named := c.passwordFile(pf.file)
	switch {
	case pf.stdin && !c.stdinIsTerminal():
		password, err = readPasswordLine(ctx, c.stdin)
		if err != nil {
			var usage *usageError
			if errors.As(err, &usage) {
				usage.cmd = cmd
			}
			return "", false, err
		}
	case pf.stdin:
		// Typed, not piped: don't echo it.
		prompt = true
	case file != "":
		if password, err = readPasswordFile(ctx, cmd, file); err != nil {
			if !named {
				err = fmt.Errorf("%w (found there, so read in place of $ROSTERON_PASSWORD)", err)
			}
			return "", false, err
		}
		c.warnOpenPasswordFile(file)
	case c.getenv("ROSTERON_PASSWORD") != "":
		password = c.getenv("ROSTERON_PASSWORD")
	case c.stdinIsTerminal():
		prompt = true
	default:
		return "", false, usagef(cmd, "no password: give a file with --password-file, pipe it in with --password-stdin, "+
			"set ROSTERON_PASSWORD, or run in a terminal to be asked for it")
	}
	c.password = password
	return password, prompt, nil
}

// askPassword asks for the password at the terminal, without echo.
func (c *cli) askPassword(ctx context.Context, cmd, username, url string) (string, error) {
	password, err := c.promptPassword(ctx, fmt.Sprintf("Password for %s at %s: ", username, url))
	if err != nil {
		var usage *usageError
		if errors.As(err, &usage) {
			usage.cmd = cmd
		}
		return "", err
	}
	c.password = password
	return password, nil
}

func (c *cli) demo(ctx context.Context, args []string) error {
	const cmd = "demo"
	fs := newFlagSet(cmd)
	var f sessionFlags
	f.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "demo takes no arguments, only flags (got %q)", pos[0])
	}
	bopts, err := f.check(c, cmd)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the mock RosterOn: %w", err)
	}
	mock := mockserver.New()
	srv := &http.Server{Handler: mock, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// By the time this runs the session has logged out and closed: no
	// request is left to finish gracefully.
	defer srv.Close()

	base := "http://" + ln.Addr().String() + mock.BasePath()
	progress := c.newProgress(f.progress)
	if !f.progress.quiet {
		fmt.Fprintf(c.stderr, "rosteron demo: started a mock RosterOn at %s\n", base)
	}
	if progress == nil && !f.progress.quiet {
		// Progress, when shown, says so step by step.
		fmt.Fprintf(c.stderr, "rosteron demo: logging in as %s in headless Chrome…\n", mockserver.DemoUsername)
	}
	return c.getAndPrintRoster(ctx, flow{
		url:      base,
		username: mockserver.DemoUsername,
		password: mockserver.DemoPassword,
		flags:    &f,
		browser:  bopts,
		progress: progress,
	})
}

// getAndPrintRoster runs the flow and prints the roster, or writes it to the
// --output file. The roster is printed when it was read, even if
// saving the logs then failed.
func (c *cli) getAndPrintRoster(ctx context.Context, fl flow) error {
	snap, err := c.getRoster(ctx, fl)
	if snap != nil {
		if perr := c.emit(snap, &fl.flags.outputFlags); perr != nil {
			return perr
		}
	}
	return err
}

// getRoster logs in, gets the roster and logs out, all within the --timeout.
func (c *cli) getRoster(ctx context.Context, fl flow) (snap *snapshot.Snapshot, err error) {
	ctx, cancel := context.WithTimeout(ctx, fl.flags.timeout)
	defer cancel()
	opts := []session.Option{
		session.WithTimeout(fl.flags.timeout),
		session.WithBrowserOptions(fl.browser...),
	}
	if fl.flags.allowHTTP {
		// checkRosterURL has warned.
		opts = append(opts, session.WithAllowHTTP())
	}
	if fl.flags.screenshots != "" {
		opts = append(opts, session.WithScreenshots(fl.flags.screenshots))
	}
	if mode, err := session.ParseRender(fl.flags.render); err == nil {
		// check has refused any other name.
		opts = append(opts, session.WithRender(mode))
	}
	if fl.progress != nil {
		opts = append(opts, session.WithObserver(fl.progress.observe))
	}
	// A warning (a screenshot that could not be saved) fails nothing, but
	// is shown, even with --quiet, on a line of its own.
	opts = append(opts, session.WithWarnings(func(err error) {
		if fl.progress != nil {
			fl.progress.closeLine()
		}
		c.errorf("warning: %v", err)
	}))
	s, err := session.New(fl.url, opts...)
	if err != nil {
		return nil, err
	}
	if dir := fl.flags.saveLogs; dir != "" {
		// Deferred first so that it runs last, after Close has logged
		// out: the logout belongs in the logs, and a failed run needs
		// them most.
		defer func() { err = c.saveLogs(s, dir, err) }()
	}
	loggedOut := false
	defer func() {
		// Close logs out when LogOut did not get to, within a budget:
		// the usual 10 seconds after a failure, but a run that reached
		// its --timeout or was interrupted must end promptly.
		cctx, ccancel := closeBudget(ctx)
		defer ccancel()
		if cerr := s.CloseContext(cctx); cerr != nil && err == nil && loggedOut {
			c.errorf("warning: closing the session: %v", cerr)
		}
	}()

	if err := s.LogIn(ctx, fl.username, fl.password); err != nil {
		return nil, err
	}
	snap, err = s.GetRoster(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.LogOut(ctx); err != nil {
		// The roster is what was asked for, and it is here: print it,
		// but say that RosterOn may still hold the session open.
		c.errorf("warning: logging out failed, RosterOn may keep the session open until it expires: %v", err)
	} else {
		loggedOut = true
	}
	return snap, nil
}

// The time a session gets to log out as the program ends: after the run's
// deadline the exit should follow within about a second, and after Ctrl-C
// or SIGTERM a logout is worth two seconds at most.
const (
	logoutAfterDeadline  = 800 * time.Millisecond
	logoutAfterInterrupt = 2 * time.Second
	logoutAfterFailure   = 10 * time.Second
)

func closeBudget(run context.Context) (context.Context, context.CancelFunc) {
	d := logoutAfterFailure
	switch {
	case errors.Is(run.Err(), context.DeadlineExceeded):
		d = logoutAfterDeadline
	case run.Err() != nil:
		d = logoutAfterInterrupt
	}
	return context.WithTimeout(context.WithoutCancel(run), d)
}

func (c *cli) saveLogs(s *session.Session, dir string, runErr error) error {
	saved := fmt.Sprintf("%d log files saved in %s", len(s.LogNames()), dir)
	if len(s.LogNames()) == 1 {
		saved = "1 log file saved in " + dir
	}
	if err := s.SaveLogs(dir); err != nil {
		if runErr != nil {
			c.errorf("warning: %v", err)
			return runErr
		}
		return err
	}
	if runErr != nil {
		return &notedError{runErr, saved}
	}
	fmt.Fprintf(c.stderr, "rosteron: %s\n", saved)
	return nil
}

// notedError adds a note to an error's message without changing what it
// matches, so its exit status stays the same.
type notedError struct {
	err  error
	note string
}

func (e *notedError) Error() string { return e.err.Error() + " (" + e.note + ")" }
func (e *notedError) Unwrap() error { return e.err }

type fdFile interface{ Fd() uintptr }

// tableWidth is the terminal's width when stdout is one, else 80.
func (c *cli) tableWidth() int {
	if f, ok := c.stdout.(fdFile); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return export.DefaultWidth
}

func (c *cli) stdoutIsTerminal() bool {
	f, ok := c.stdout.(fdFile)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *cli) stdinIsTerminal() bool {
	f, ok := c.stdin.(fdFile)
	return ok && term.IsTerminal(int(f.Fd()))
}

// maxPasswordLine bounds what --password-stdin reads: a password is short,
// and a mistakenly piped file should not be read whole.
const maxPasswordLine = 64 << 10

// readPasswordLine returns the first line of r without its line ending.
func readPasswordLine(ctx context.Context, r io.Reader) (string, error) {
	data, err := readAll(ctx, r, maxPasswordLine, true)
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line := firstLine(data)
	if line == "" {
		return "", usagef("roster", "--password-stdin: no password on the first line of standard input")
	}
	return line, nil
}

// promptPassword asks for the password on the terminal without echo.
func (c *cli) promptPassword(ctx context.Context, prompt string) (string, error) {
	fd := int(c.stdin.(fdFile).Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	fmt.Fprint(c.stderr, prompt)
	type result struct {
		pw  []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		pw, err := term.ReadPassword(fd)
		done <- result{pw, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(c.stderr)
		if r.err != nil {
			return "", fmt.Errorf("reading the password: %w", r.err)
		}
		if len(r.pw) == 0 {
			return "", usagef("roster", "no password given")
		}
		return string(r.pw), nil
	case <-ctx.Done():
		// ReadPassword cannot be interrupted; put the terminal back as
		// it was, or the shell is left without echo.
		_ = term.Restore(fd, state)
		fmt.Fprintln(c.stderr)
		return "", ctx.Err()
	}
}

var errTooLong = errors.New("too long")

// firstLine is data's first line, without its "\n" or "\r\n".
func firstLine(data []byte) string {
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSuffix(line, "\r")
}

// readAll reads r up to limit bytes (up to the first newline too, when
// line is set), giving up when ctx ends, since a terminal or a pipe may
// never deliver.
func readAll(ctx context.Context, r io.Reader, limit int64, line bool) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var buf bytes.Buffer
		lr := io.LimitReader(r, limit+1)
		p := make([]byte, 32<<10)
		if line {
			// Byte by byte, so that nothing after the line is taken
			// from a stream someone else may go on reading.
			p = p[:1]
		}
		for {
			n, err := lr.Read(p)
			buf.Write(p[:n])
			if line && n > 0 && p[0] == '\n' {
				break
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				done <- result{nil, err}
				return
			}
		}
		if int64(buf.Len()) > limit {
			done <- result{nil, errTooLong}
			return
		}
		done <- result{buf.Bytes(), nil}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
