package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

const serveUsage = `Usage: rosteron serve --url URL --username USER [flags]

Serves the roster as a calendar feed for calendar apps to subscribe to. It
logs in to RosterOn in headless Chrome, reads the roster and logs out at
start and then every --refresh; requests are answered from the last roster
read and never log in. When RosterOn is down or answers badly the last good
roster is served, marked stale; it is kept in the --state folder, so a
restart while RosterOn is down serves it too.

The first lines on standard output are the feeds' addresses and the
page's, which hold a secret token: anyone with them can read the roster.

  rosteron serve: iCalendar feed http://127.0.0.1:8765/TOKEN/roster.ics
  rosteron serve: JSON feed http://127.0.0.1:8765/TOKEN/roster.json
  rosteron serve: page http://127.0.0.1:8765/TOKEN/

The page, for a phone, shows the shifts of this week and the next and
subscribes a calendar app in one tap, or by its QR code.

The token is $ROSTERON_FEED_TOKEN, else one made at the first start and
kept in the --state folder.

` + passwordSources + `
Flags:
  --url URL           the instance's address, everything before
                      /Account/Login (default $ROSTERON_URL)
  --username USER     the RosterOn username (default $ROSTERON_USERNAME)
` + passwordUsage + `  --addr HOST:PORT    the address to serve on; port 0 picks a free one
                      (default 127.0.0.1:8765)
  --refresh DURATION  time between logins, such as 1h (default 30m), with a
                      few percent of jitter; after a failure the next try
                      comes sooner, then later, up to this. Below 5m it
                      warns: that is impolite to the RosterOn server. The
                      calendar asks apps to fetch it as often
                      (REFRESH-INTERVAL, X-PUBLISHED-TTL)
  --tz ZONE           the roster's time zone, an IANA name such as
                      Australia/Melbourne (default $TZ; with neither, the
                      feeds give times as the roster shows them, floating,
                      without a zone); the start-up lines say which
  --calendar-name NAME
                      the calendar's name (default "` + export.DefaultCalendarName + `")
  --state DIR         the folder for the last good roster, the calendar's
                      event history, the token and, with --notify, the
                      alerts' state (notify.json), made 0700 (default
                      $XDG_STATE_HOME/rosteron, else ~/.local/state/rosteron)
  --browser WS_URL    use the Chrome already running at this DevTools
                      address (default $ROSTERON_BROWSER)
` + browserTokenUsage + `  --chrome PATH       the Chrome to start for each refresh, unless --browser
                      is given (default $ROSTERON_CHROME, else
                      chromium-headless-shell, else an installed Chrome,
                      Chromium or Edge)
  --timeout DURATION  time limit on each refresh (default 60s)
  --insecure          do not check the server's TLS certificate (for test
                      servers only; warns)
` + noSandboxUsage + `  --public-url URL    the address people reach this server at, such as
                      https://example.org/rosteron behind a reverse proxy:
                      the addresses printed, the page's links and its QR
                      code use it (default: http:// and the host each
                      request names; X-Forwarded-* headers are not read)
  --notify URL        POST an alert to URL when a refresh finds the roster
                      changed: plain text with a Title header, as an ntfy
                      topic (https://ntfy.sh/TOPIC) takes it; json+URL posts
                      JSON instead. Repeatable; failed alerts are retried
  --notify-file PATH  more notify URLs, one a line ('#' starts a comment):
                      URLs with credentials belong there, out of the
                      process list
  -h, --help          print this help

Endpoints, for GET and HEAD:
  /TOKEN/             the page, for people
  /TOKEN/roster.ics   the iCalendar feed (as --format ics writes it, but a
                      shift that changes keeps its event, SEQUENCE rising)
  /TOKEN/roster.json  the shifts as JSON (as --format json writes them)
  /healthz            JSON: the last success and error, the number of
                      shifts, whether stale; no token needed
The feeds have ETag and Last-Modified, and headers X-Roster-Fetched (the
last good refresh), X-Roster-Age (seconds since) and X-Roster-Stale (true
when the last refresh failed). Before any roster exists they answer 503.

One line per refresh goes to standard error. Once RosterOn rejects the
password no more refreshes are made until a restart, lest the account be
locked. SIGINT or SIGTERM stops the server after the requests under way,
stops Chrome and exits 0.
`

// The refresh below which serve warns that it is impolite.
const politeRefresh = 5 * time.Minute

// serveFlags are serve's flags.
type serveFlags struct {
	session      sessionFlags // --browser, --chrome, --timeout, --insecure
	url          string
	username     string
	password     passwordFlags
	addr         string
	refresh      time.Duration
	tz           string
	calendarName string
	state        string
	publicURL    string
	notify       stringList
	notifyFile   string
}

// stringList is a flag that may be given more than once.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "")
	fs.StringVar(&f.username, "username", "", "")
	f.password.register(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8765", "")
	fs.DurationVar(&f.refresh, "refresh", feed.DefaultInterval, "")
	fs.StringVar(&f.tz, "tz", "", "")
	fs.StringVar(&f.calendarName, "calendar-name", "", "")
	fs.StringVar(&f.state, "state", "", "")
	fs.StringVar(&f.publicURL, "public-url", "", "")
	fs.Var(&f.notify, "notify", "")
	fs.StringVar(&f.notifyFile, "notify-file", "", "")
	fs.StringVar(&f.session.browser, "browser", "", "")
	fs.StringVar(&f.session.browserTok, "browser-token-file", "", "")
	fs.StringVar(&f.session.chrome, "chrome", "", "")
	fs.DurationVar(&f.session.timeout, "timeout", session.DefaultTimeout, "")
	fs.BoolVar(&f.session.insecure, "insecure", false, "")
	fs.BoolVar(&f.session.noSandbox, "no-sandbox", false, "")
}

// serveConfig is serve's command line, checked: what a feed is built
// from.
type serveConfig struct {
	flow         flow
	addr         string
	refresh      time.Duration
	loc          *time.Location
	tz           string // as given, for the zone's start-up line
	calendarName string
	stateDir     string
	public       *url.URL
	targets      []*feed.Target
	token        string // ROSTERON_FEED_TOKEN; "" for the state folder's
}

func (c *cli) serve(ctx context.Context, args []string) error {
	cfg, err := c.checkServe(ctx, args)
	if err != nil {
		return err
	}
	srv, err := c.buildServe(cfg)
	if err != nil {
		return err
	}
	return c.runServe(ctx, srv)
}

// checkServe parses and checks serve's flags and environment, and reads
// the password, before anything is made: every mistake in them is a usage
// error that changes nothing.
func (c *cli) checkServe(ctx context.Context, args []string) (*serveConfig, error) {
	const cmd = "serve"
	fs := newFlagSet(cmd)
	var f serveFlags
	f.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		// Not quoted: it may well be a password typed where it should not be.
		return nil, usagef(cmd, "serve takes no arguments, only flags (got %d)", len(pos))
	}
	cfg := &serveConfig{flow: flow{flags: &f.session}, addr: f.addr, refresh: f.refresh, tz: f.tz, calendarName: f.calendarName}
	fl := &cfg.flow
	if fl.url, fl.username, err = c.account(cmd, f.url, f.username); err != nil {
		return nil, err
	}
	if f.refresh <= 0 {
		return nil, usagef(cmd, "invalid --refresh %v: want a positive duration, such as 30m", f.refresh)
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return nil, usagef(cmd, "invalid --addr %q: want HOST:PORT, such as 127.0.0.1:8765 or :0", f.addr)
	}
	if cfg.loc, err = loadZone(cmd, f.tz, c.getenv); err != nil {
		return nil, err
	}
	if cfg.stateDir = f.state; cfg.stateDir == "" {
		if cfg.stateDir, err = defaultStateDir(c.getenv); err != nil {
			return nil, err
		}
	}
	if cfg.public, err = parsePublicURL(cmd, f.publicURL); err != nil {
		return nil, err
	}
	if cfg.targets, err = notifyTargets(cmd, f.notify, f.notifyFile); err != nil {
		return nil, err
	}
	if cfg.token = c.getenv("ROSTERON_FEED_TOKEN"); cfg.token != "" {
		if err := feed.CheckToken(cfg.token); err != nil {
			return nil, usagef(cmd, "invalid ROSTERON_FEED_TOKEN: %v; or leave it unset for one made and kept in the --state folder", err)
		}
	}

	var prompt bool
	if fl.password, prompt, err = c.passwordSource(ctx, cmd, f.password); err != nil {
		return nil, err
	}
	if fl.browser, err = f.session.checkBrowser(c, cmd); err != nil {
		return nil, err
	}
	if prompt {
		if fl.password, err = c.askPassword(ctx, cmd, fl.username, fl.url); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// server is serve's feed, built and ready to run.
type server struct {
	cfg      *serveConfig
	feed     *feed.Feed
	notifier *feed.Notifier // nil without --notify
	log      *scrubWriter
	token    string
	created  bool // the token was made at this start
	normURL  string
}

// buildServe makes the feed of cfg: the log that keeps secrets out, the
// state folder, the token, the roster saved by an earlier run and the
// alerts' notifier. From here on several goroutines write to stderr, one
// line at a time, and never the token or the password, should anything
// quote them.
func (c *cli) buildServe(cfg *serveConfig) (*server, error) {
	fl := &cfg.flow
	sv := &server{cfg: cfg, token: cfg.token}
	sv.log = &scrubWriter{w: c.stderr, secrets: []string{cfg.token, fl.password}}
	for _, t := range cfg.targets {
		for _, s := range t.Secrets() {
			sv.log.add(s)
		}
	}
	c.stderr = sv.log
	if cfg.refresh < politeRefresh {
		c.errorf("warning: --refresh %v is less than 5m: logging in to RosterOn that often is impolite to its server", cfg.refresh)
	}

	// Readable by the user only: it holds the roster and the token.
	if err := os.MkdirAll(cfg.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state folder: %w", err)
	}
	if sv.token == "" {
		var err error
		if sv.token, sv.created, err = feed.LoadOrCreateToken(cfg.stateDir); err != nil {
			return nil, err
		}
		sv.log.add(sv.token)
	}
	sv.normURL, _ = session.NormalizeURL(fl.url)
	sv.feed = feed.New(
		feed.WithLocation(cfg.loc),
		feed.WithCalendarName(cfg.calendarName),
		feed.WithRefreshInterval(cfg.refresh),
		feed.WithStateDir(cfg.stateDir),
		feed.WithSource(sv.normURL, fl.username),
		feed.WithSecrets(fl.password, sv.token),
	)
	c.loadSaved(sv.feed, cfg.stateDir)

	if len(cfg.targets) > 0 {
		sv.notifier = feed.NewNotifier(sv.feed, cfg.targets...)
		sv.notifier.Log = sv.log
		if err := sv.notifier.Load(); err != nil {
			c.errorf("warning: alerts start afresh: %v", err)
		}
	}
	return sv, nil
}

// loadSaved serves the roster an earlier run saved in the state folder, if
// there is one it can: a feed started while RosterOn is down has that much
// to serve.
func (c *cli) loadSaved(fd *feed.Feed, stateDir string) {
	loaded, err := fd.Load()
	var histErr *feed.HistoryError
	if errors.As(err, &histErr) {
		c.errorf("warning: %v", err)
		err = nil
	}
	if err != nil {
		c.errorf("warning: not serving the saved roster: %v", err)
	} else if loaded {
		st := fd.Status()
		fetched := "at an unknown time"
		if st.LastSuccess != nil {
			fetched = st.LastSuccess.Format(time.RFC3339)
		}
		fmt.Fprintf(c.stderr, "rosteron serve: serving the roster saved in %s (%d shifts, fetched %s) until a refresh succeeds\n",
			filepath.Join(stateDir, feed.StateFile), st.Shifts, fetched)
	}
}

// runServe serves the feed, and refreshes it and sends its alerts in the
// background, until ctx ends or the server fails; then it stops all three
// and returns.
func (c *cli) runServe(ctx context.Context, sv *server) error {
	cfg := sv.cfg
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	c.announce(sv, baseURL(cfg.addr, ln.Addr(), ""))

	srv := &http.Server{
		Handler:           feed.Handler(sv.feed, sv.token, feed.WithPublicURL(cfg.public)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(sv.log, "rosteron serve: http: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	refresher := &feed.Refresher{
		Feed:     sv.feed,
		Interval: cfg.refresh,
		Log:      sv.log,
		// Each refresh is the roster command's flow: a Chrome of its
		// own, started and stopped with it (see docs/serve.md).
		Fetch:  func(ctx context.Context) (*snapshot.Snapshot, error) { return c.refresh(ctx, cfg.flow) },
		Notify: sv.notifier,
	}
	refreshed := make(chan struct{})
	go func() {
		refresher.Run(runCtx)
		close(refreshed)
	}()
	notified := make(chan struct{})
	go func() {
		if sv.notifier != nil {
			sv.notifier.Run(runCtx)
		}
		close(notified)
	}()

	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}
	stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	<-refreshed
	<-notified
	if serveErr == nil {
		serveErr = <-served
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	fmt.Fprintln(c.stderr, "rosteron serve: stopped")
	return nil
}

// announce prints the feeds' addresses on stdout (the first lines, which
// hold the token) and what is served on stderr. base is where the server
// listens.
func (c *cli) announce(sv *server, base string) {
	cfg := sv.cfg
	shown := base
	if cfg.public != nil {
		shown = cfg.public.String()
	}
	fmt.Fprintf(c.stdout, "rosteron serve: iCalendar feed %s/%s/%s\n", shown, sv.token, feed.ICSName)
	fmt.Fprintf(c.stdout, "rosteron serve: JSON feed %s/%s/%s\n", shown, sv.token, feed.JSONName)
	fmt.Fprintf(c.stdout, "rosteron serve: page %s/%s/\n", shown, sv.token)
	fmt.Fprintf(c.stderr, "rosteron serve: health at %s/healthz; the roster of %s at %s every %v; state in %s\n",
		base, cfg.flow.username, sv.normURL, cfg.refresh, cfg.stateDir)
	fmt.Fprintf(c.stderr, "rosteron serve: %s\n", zoneLine(cfg.loc, cfg.tz))
	if sv.created {
		fmt.Fprintf(c.stderr, "rosteron serve: made a new feed token, kept in %s: the addresses above hold it\n",
			filepath.Join(cfg.stateDir, feed.TokenFile))
	}
}

// refresh is one of serve's refreshes: the roster command's flow, with
// rejected credentials marked permanent, since trying the same password
// again could lock the account.
func (c *cli) refresh(ctx context.Context, fl flow) (*snapshot.Snapshot, error) {
	snap, err := c.fetch(ctx, fl)
	var badCreds *session.BadCredentialsError
	if errors.As(err, &badCreds) {
		err = feed.Permanent(err)
	}
	return snap, err
}

// defaultStateDir is $XDG_STATE_HOME/rosteron, else
// ~/.local/state/rosteron: the XDG base directories' place for state that
// outlives a restart but is no one's document.
func defaultStateDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "rosteron"), nil
	}
	if home := getenv("HOME"); home != "" && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "rosteron"), nil
	}
	return "", usagef("serve", "no --state and no $HOME for the default ~/.local/state/rosteron: name a folder with --state")
}

// scrubWriter writes each Write whole, one at a time, with its secrets
// replaced by [REDACTED]. serve's goroutines all log through one.
type scrubWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

func (s *scrubWriter) add(secret string) {
	s.mu.Lock()
	s.secrets = append(s.secrets, secret)
	s.mu.Unlock()
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, oneline.Redact(string(p), s.secrets...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// parsePublicURL checks --public-url: an absolute http or https address,
// with a path or none, and nothing after it.
func parsePublicURL(cmd, v string) (*url.URL, error) {
	if v == "" {
		return nil, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, usagef(cmd, "invalid --public-url %q: want an http or https address with no query, "+
			"such as https://example.org/rosteron", v)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// notifyTargets reads --notify and --notify-file. Its errors never quote
// a URL, which may hold credentials.
func notifyTargets(cmd string, specs []string, file string) ([]*feed.Target, error) {
	type spec struct{ where, url string }
	var all []spec
	for i, s := range specs {
		all = append(all, spec{fmt.Sprintf("--notify #%d", i+1), s})
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef(cmd, "--notify-file: %v", err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			all = append(all, spec{fmt.Sprintf("--notify-file line %d", i+1), line})
		}
	}
	var targets []*feed.Target
	for _, s := range all {
		t, err := feed.ParseTarget(s.url)
		if err != nil {
			return nil, usagef(cmd, "%s: %v", s.where, err)
		}
		targets = append(targets, t)
	}
	return targets, nil
}
