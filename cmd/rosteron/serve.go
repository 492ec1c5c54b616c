package main

import (
	"cmp"
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

	"golang.org/x/net/netutil"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

const serveUsage = `Usage: rosteron serve --url URL --username USER [flags]

Serves the roster as a calendar feed for calendar apps to subscribe to. It
logs in to RosterOn in headless Chrome, reads the roster and logs out at
start and then every --refresh; requests are answered from the last roster
read and never log in. When RosterOn is down or answers badly the last good
roster is served, marked stale; it is kept in the --state folder, so a
restart while RosterOn is down serves it too.

For a whole ward, many accounts in one server with a join page, see
'rosteron serve --accounts --help'.

The feeds' addresses and the page's hold a secret token: anyone with them
can read the roster. serve keeps them in the --state folder (` + addressesFile + `,
0600), where 'rosteron address' prints them from:

  rosteron serve: iCalendar feed http://127.0.0.1:8765/TOKEN/roster.ics
  rosteron serve: JSON feed http://127.0.0.1:8765/TOKEN/roster.json
  rosteron serve: page http://127.0.0.1:8765/TOKEN/

When standard output is a terminal they are its first lines too; otherwise
(a service's journal, 'docker logs') a line on standard error says where
they are, and the token goes to no log.

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
` + remindUsage + `  --state DIR         the folder for the token, the addresses and the
                      store, ` + stateStoreFile + `, which keeps the last good
                      roster, the calendar's event history, the lock-out
                      guard's count (login-guard.json) and, with --notify,
                      the alerts' state (notify.json), and never the
                      password; made 0700 (default
                      $XDG_STATE_HOME/rosteron, else
                      ~/.local/state/rosteron); one of another user's is
                      refused, one open to others made 0700. Those files
                      of an earlier rosteron are moved into the store
  --browser WS_URL    use the Chrome already running at this DevTools
                      address (default $ROSTERON_BROWSER)
` + browserTokenUsage + `  --chrome PATH       the Chrome to start for each refresh, unless --browser
                      is given (default $ROSTERON_CHROME, else
                      chromium-headless-shell, else an installed Chrome,
                      Chromium or Edge)
  --render MODE       auto (the default) or always: which pages Chrome
                      renders, as for 'rosteron roster'
                      (default $ROSTERON_RENDER)
  --timeout DURATION  time limit on each refresh (default 60s)
  --insecure          do not check the server's TLS certificate (for test
                      servers only; warns)
` + allowHTTPUsage + noSandboxUsage + `  --max-connections N
                      the most connections served at once; more wait
                      their turn (default 256)
  --public-url URL    the address people reach this server at, such as
                      https://example.org/rosteron behind a reverse proxy:
                      the addresses printed, the page's links and its QR
                      code use it (default: http:// and the host each
                      request names; X-Forwarded-* headers are not read)
  --notify URL        POST an alert to URL when a refresh finds the roster
                      changed, and once when refreshes stop or the roster
                      goes stale, and once more when that mends: plain text
                      with a Title header, as an ntfy topic
                      (https://ntfy.sh/TOPIC) takes it; json+URL posts JSON
                      instead; mailto:ADDRESS sends a plain-text email
                      through --smtp. Repeatable; failed alerts are retried
  --notify-file PATH  more notify URLs, one a line ('#' starts a comment):
                      URLs with credentials belong there, out of the
                      process list. A plain http:// one with credentials
                      (user, query or topic) to another machine warns:
                      they cross the network in clear
` + smtpUsage + `  --retry-login       after refreshes stopped because RosterOn refused the
                      login (kept in the --state folder across restarts),
                      try one more login with the same password: once an
                      account locked is unlocked, say, or a password
                      rejected is right after all. If it is refused too,
                      they stop again. Remove it once used
` + serveSyncUsage + `  -h, --help          print this help

Endpoints, for GET and HEAD:
  /TOKEN/             the page, for people
  /TOKEN/roster.ics   the iCalendar feed (as --format ics writes it, but a
                      shift that changes keeps its event, SEQUENCE rising)
  /TOKEN/roster.json  the shifts as JSON (as --format json writes them)
  /healthz            JSON, no token needed: a state word (starting, ok,
                      stale, stopped), the last success, its age, the next
                      refresh; never the username, an error or the URL.
                      503 while there is no roster, while refreshes are
                      stopped, and while the roster is stale: its last good
                      refresh older than three --refresh and 6 hours
  /TOKEN/healthz      the same in full, with the last error
The feeds have ETag and Last-Modified, and headers X-Roster-Fetched (the
last good refresh), X-Roster-Age (seconds since) and X-Roster-Stale (true
when the last refresh failed). Before any roster exists they answer 503.

One line per refresh goes to standard error. Once RosterOn rejects the
password, or its login page answers with any other message (an account
locked, say), or 3 logins in a row reach no home page without an outage,
no more logins are made, lest the account be locked: not after a restart
either, until the password changes or --retry-login is given (the count
is kept as login-guard.json in the --state folder's store, keyed to a
slow hash of the password, never the password). When every shift from
today on vanishes at once, the roster served is kept and read again 5
minutes later: only if that read agrees is the empty roster served.
SIGINT or SIGTERM stops the server after the requests under way, stops
Chrome and exits 0.
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
	retryLogin   bool
	maxConns     int
	remind       remindFlags // --remind, --remind-leave
	smtp         smtpFlags   // --smtp…, for mailto: alerts
	target       targetFlags // the calendar to sync into, if any
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
	fs.BoolVar(&f.retryLogin, "retry-login", false, "")
	fs.IntVar(&f.maxConns, "max-connections", defaultMaxConns, "")
	f.remind.register(fs)
	f.smtp.register(fs)
	f.target.register(fs)
	f.session.registerBrowser(fs)
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
	retryLogin   bool
	maxConns     int
	// remind and remindLeave are the feed's reminders (--remind,
	// --remind-leave).
	remind      []time.Duration
	remindLeave bool
	// mailer sends the mailto: targets' alerts; nil without one.
	mailer *feed.Mailer
	// sync is the calendar that each roster is written into; nil for
	// none.
	sync *serveSync

	// idleTimeout and headerTimeout are the server's, 0 for
	// serveIdleTimeout and serveHeaderTimeout; tests shorten them.
	idleTimeout, headerTimeout time.Duration
}

// serveIdleTimeout is how long serve keeps an idle connection open, and
// serveHeaderTimeout how long it waits for a request's headers: short,
// so that idle connections cannot fill --max-connections. Calendar apps
// ask minutes apart, so keeping connections open buys them nothing.
const (
	serveIdleTimeout   = 15 * time.Second
	serveHeaderTimeout = 5 * time.Second
)

// defaultMaxConns is --max-connections': far more than a few calendar
// apps and phones need, few enough that a flood of connections cannot
// take all of the machine's file descriptors.
const defaultMaxConns = 256

func (c *cli) serve(ctx context.Context, args []string) error {
	if accountsMode(args) {
		return c.serveAccounts(ctx, args)
	}
	cfg, err := c.checkServe(ctx, args)
	if err != nil {
		return err
	}
	if c.getenv(envDatabase) != "" {
		// Set for a fleet's serve --accounts, perhaps in a shared
		// environment: this serve's state stays in its folder.
		c.errorf("warning: $%s is for 'serve --accounts' and 'rosteron accounts': the single-account serve "+
			"keeps its state in --state, not in that database", envDatabase)
	}
	srv, err := c.buildServe(ctx, cfg)
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
	cfg := &serveConfig{flow: flow{flags: &f.session}, addr: f.addr, refresh: f.refresh, tz: f.tz, calendarName: f.calendarName,
		retryLogin: f.retryLogin}
	fl := &cfg.flow
	if fl.url, fl.username, err = c.account(cmd, f.url, f.username); err != nil {
		return nil, err
	}
	if err := f.session.checkRosterURL(c, cmd, fl.url); err != nil {
		return nil, err
	}
	if f.refresh <= 0 {
		return nil, usagef(cmd, "invalid --refresh %v: want a positive duration, such as 30m", f.refresh)
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return nil, usagef(cmd, "invalid --addr %q: want HOST:PORT, such as 127.0.0.1:8765 or :0", f.addr)
	}
	if cfg.maxConns = f.maxConns; f.maxConns <= 0 {
		return nil, usagef(cmd, "invalid --max-connections %d: want a positive number, such as %d", f.maxConns, defaultMaxConns)
	}
	if cfg.loc, err = loadZone(cmd, f.tz, c.getenv); err != nil {
		return nil, err
	}
	if cfg.remind, cfg.remindLeave, err = f.remind.parse(cmd); err != nil {
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
	if cfg.targets, err = c.notifyTargets(cmd, f.notify, f.notifyFile); err != nil {
		return nil, err
	}
	if cfg.mailer, err = c.mailer(ctx, cmd, f.smtp, cfg.targets); err != nil {
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
	if cfg.sync, err = c.checkServeSync(ctx, cmd, &f, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// server is what serve's feed is run from, ready to run.
type server struct {
	cfg     *serveConfig
	log     *scrubWriter
	token   string
	created bool // the token was made at this start
	normURL string
	// store is the state folder's stateStoreFile, opened without a key,
	// and account the one account in it, the flags'.
	store   *store.SQLite
	account *store.Account
	// unlock lets go of the state folder's lock, held while serve runs.
	unlock func()
}

// close closes the store, once everything that writes to it stopped.
func (sv *server) close() {
	if sv.store != nil {
		_ = sv.store.Close()
	}
	if sv.unlock != nil {
		sv.unlock()
	}
}

// buildServe readies what the feed of cfg is run from: the log that keeps
// secrets out, the state folder, the token, and the store with the
// flags' account in it, an earlier rosteron's files moved in (see
// openStateStore). From here on several goroutines write to stderr, one
// line at a time, and never the token or the password, should anything
// quote them.
func (c *cli) buildServe(ctx context.Context, cfg *serveConfig) (sv *server, err error) {
	fl := &cfg.flow
	sv = &server{cfg: cfg, token: cfg.token}
	sv.log = &scrubWriter{w: c.stderr, secrets: []string{cfg.token, fl.password}}
	for _, t := range cfg.targets {
		for _, s := range t.Secrets() {
			sv.log.add(s)
		}
	}
	if cfg.mailer != nil {
		for _, s := range cfg.mailer.Secrets() {
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
	if was, err := secureStateDir(cfg.stateDir); err != nil {
		return nil, err
	} else if was != 0 {
		fmt.Fprintf(c.stderr, "rosteron serve: the state folder %s was mode %04o, open to other users: made it 0700\n",
			cfg.stateDir, was)
	}
	if sv.token == "" {
		var err error
		notice := feed.TokenNotices(func(msg string) { fmt.Fprintf(c.stderr, "rosteron serve: %s\n", msg) })
		if sv.token, sv.created, err = feed.LoadOrCreateToken(cfg.stateDir, notice); err != nil {
			return nil, err
		}
		sv.log.add(sv.token)
	}
	sv.normURL, _ = session.NormalizeURL(fl.url)
	if err := c.openStateStore(ctx, sv); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			sv.close()
		}
	}()
	return sv, nil
}

// runServe serves the feed, and refreshes it and sends its alerts in the
// background, until ctx ends or the server fails; then it stops all three,
// closes the store and returns.
//
// The feed is the service's (package service), with the one account of
// the flags, as serve --accounts runs many: the service builds its feed
// from the store, refreshes it and sends its alerts; its /healthz is the
// account's.
func (c *cli) runServe(ctx context.Context, sv *server) error {
	// Closed last, once nothing writes to it.
	defer sv.close()
	cfg := sv.cfg
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	accepted, runSync := c.serveSyncer(sv)
	svc, err := service.New(service.Config{
		Store: sv.store,
		// Each refresh is the roster command's flow: a Chrome of its
		// own, started and stopped with it (see docs/serve.md). One
		// account needs no limiter: it has one session at a time.
		Fetch: func(ctx context.Context, _ *store.Account, _ string, _ *session.Limiter) (*snapshot.Snapshot, error) {
			return c.refresh(ctx, cfg.flow)
		},
		Options: func(context.Context, *store.Account) (*service.Options, error) {
			return &service.Options{
				Password: cfg.flow.password, Token: sv.token, Location: cfg.loc,
				CalendarName: cfg.calendarName, Remind: cfg.remind, RemindLeave: cfg.remindLeave,
				Targets: cfg.targets, Mailer: cfg.mailer,
				Accepted: accepted, Run: runSync,
				RetryLogin: cfg.retryLogin,
			}, nil
		},
		Interval:   cfg.refresh,
		JobTimeout: max(service.DefaultJobTimeout, 2*cfg.flow.flags.timeout),
		Single:     true,
		// The state folder's lock is held: a refresh left running is a
		// killed serve's, and runs again at once.
		Exclusive: true,
		PublicURL: cfg.public,
		Log:       sv.log,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	// Whether a roster was saved, for the line that says it is served.
	_, err = sv.store.LoadBlob(ctx, sv.account.ID, feed.StateFile)
	saved := err == nil
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(runCtx) }()
	if err := c.awaitAccount(ctx, sv, svc, ran, saved); err != nil {
		_ = ln.Close()
		stop()
		<-ran
		return err
	}
	if err := c.announce(sv, baseURL(cfg.addr, ln.Addr(), "")); err != nil {
		_ = ln.Close()
		stop()
		<-ran
		return err
	}
	// Connections past the cap wait in the kernel's queue until one ends.
	ln = netutil.LimitListener(ln, cfg.maxConns)

	srv := &http.Server{
		Handler:           svc.Handler(),
		ReadHeaderTimeout: cmp.Or(cfg.headerTimeout, serveHeaderTimeout),
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       cmp.Or(cfg.idleTimeout, serveIdleTimeout),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(sv.log, "rosteron serve: http: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var serveErr, runErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	case runErr = <-ran:
		ran <- runErr
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	stop()
	runErr = <-ran
	if serveErr == nil {
		serveErr = <-served
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if runErr != nil {
		return runErr
	}
	fmt.Fprintln(c.stderr, "rosteron serve: stopped")
	return nil
}

// awaitAccount waits until the service runs the account, which it builds
// at its start (the lock-out guard's hash of the password takes a tenth
// of a second), so that the feed is served from the first request; then
// it says which saved roster it serves, if any: saved is whether the
// store held one.
func (c *cli) awaitAccount(ctx context.Context, sv *server, svc *service.Service, ran chan error, saved bool) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if st, ok := svc.Status(sv.account.ID); ok {
			// Loaded, unless the feed refused it (another's): then it has
			// no roster, since no refresh is over yet.
			if saved && st.LastSuccess != nil {
				fmt.Fprintf(c.stderr, "rosteron serve: serving the roster saved in %s (%d shifts, fetched %s) until a refresh succeeds\n",
					filepath.Join(sv.cfg.stateDir, stateStoreFile), st.Shifts, st.LastSuccess.Format(time.RFC3339))
			}
			return nil
		}
		select {
		case err := <-ran:
			ran <- err
			if err == nil {
				err = ctx.Err()
			}
			return err
		case <-tick.C:
		}
	}
}

// announce keeps the feeds' addresses, which hold the token, in the
// state folder's addressesFile, and prints them on stdout (its first
// lines) only when stdout is a terminal: otherwise stdout is a log, such
// as the journal or docker logs, read by more people than the 0600 file,
// and a line on stderr says where they are. What is served goes to
// stderr. base is where the server listens.
func (c *cli) announce(sv *server, base string) error {
	cfg := sv.cfg
	shown := base
	if cfg.public != nil {
		shown = cfg.public.String()
	}
	lines := []string{
		fmt.Sprintf("rosteron serve: iCalendar feed %s/%s/%s", shown, sv.token, feed.ICSName),
		fmt.Sprintf("rosteron serve: JSON feed %s/%s/%s", shown, sv.token, feed.JSONName),
		fmt.Sprintf("rosteron serve: page %s/%s/", shown, sv.token),
	}
	if err := writeAddresses(cfg.stateDir, lines); err != nil {
		return err
	}
	if c.stdoutIsTerminal() {
		for _, l := range lines {
			fmt.Fprintln(c.stdout, l)
		}
	} else {
		fmt.Fprintf(c.stderr, "rosteron serve: the feeds' addresses, which hold the token, are in %s: '%s' prints them\n",
			filepath.Join(cfg.stateDir, addressesFile), addressCommand(cfg.stateDir))
	}
	fmt.Fprintf(c.stderr, "rosteron serve: health at %s/healthz; the roster of %s at %s every %v; state in %s\n",
		base, cfg.flow.username, sv.normURL, cfg.refresh, cfg.stateDir)
	fmt.Fprintf(c.stderr, "rosteron serve: %s\n", zoneLine(cfg.loc, cfg.tz))
	if sv.created {
		fmt.Fprintf(c.stderr, "rosteron serve: made a new feed token, kept in %s: the feeds' addresses hold it\n",
			filepath.Join(cfg.stateDir, feed.TokenFile))
	}
	return nil
}

// refresh is one of serve's refreshes: the roster command's flow, its
// error classified for the lock-out guard (service.Classify: a rejected
// password or a refusal stops the refreshes, refused logins count, a
// step after the login resets the count, an outage does neither).
func (c *cli) refresh(ctx context.Context, fl flow) (*snapshot.Snapshot, error) {
	snap, err := c.getRoster(ctx, fl)
	return snap, service.Classify(err)
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
func (c *cli) notifyTargets(cmd string, specs []string, file string) ([]*feed.Target, error) {
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
		warnPlainNotify(c, s.where, s.url)
		targets = append(targets, t)
	}
	return targets, nil
}
