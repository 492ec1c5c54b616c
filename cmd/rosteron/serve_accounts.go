package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/internal/safedial"
	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

const serveAccountsUsage = `Usage: rosteron serve --accounts --state DIR [--key-file PATH] [flags]

Serves every account of the store in --state (see 'rosteron accounts'):
each behind its own token, with its own page, roster.ics and roster.json,
alerts, zone and calendar sync, refreshed in the background through one
shared headless Chrome. Without --accounts, serve is the single-account
serve of --url and --username, and without either it is a usage error: a
missing username never starts an empty server. --url, --username and the
password flags do not go with --accounts.

While it runs it holds the lock ` + lockName + ` in --state: a second serve
--accounts on the same store, and 'rosteron accounts rotate-key', are
refused until it stops. It reads the accounts again every 10 seconds, so
that one added, paused, resumed or removed with 'rosteron accounts' is
served, stopped or dropped within that time, with no restart.

With --database the store, the rosters, the join page's rate limits and
the refresh jobs are in PostgreSQL, and any number of serve replicas may
run on it behind one load balancer: each serves every account, and the
refreshes are shared out among them. Give every replica the same flags
(the same key, --refresh, --per-host, --login-gap, --job-timeout,
--allow-instance, --join and --public-url). No replica holds ` + lockName + `;
each holds a shared lock in the database instead, for as long as it runs,
which 'rosteron accounts rotate-key' needs free.

` + keySources + `
Flags:
  --accounts          serve the accounts of the store in --state
  --state DIR         the folder of the store (default $XDG_STATE_HOME/rosteron,
                      else ~/.local/state/rosteron)
` + keyUsage + `` + databaseUsage + `  --addr HOST:PORT    the address to serve on (default 127.0.0.1:8765)
  --public-url URL    the address people reach this server at; required
                      with --join, and https unless it is loopback
  --refresh DURATION  time between an account's refreshes (default 30m),
                      spread evenly over it
  --allow-instance URL
                      a RosterOn instance allowed (repeatable). With it,
                      accounts of other instances are not refreshed (said
                      once in the log); required with --join, where they
                      are the instances offered
  --join              serve /join, where colleagues add themselves with
                      their username and password (checked with one
                      login), and /manage/, where they manage their own
                      account with the manage code shown at join
  --join-code-file FILE
                      the invite code the join form asks for, from the
                      first line of FILE
  --join-code CODE    the same, given on the command line (seen in the
                      process list: prefer --join-code-file)
  --trusted-proxy CIDR
                      a reverse proxy's address (repeatable), whose
                      X-Forwarded-For is believed for the join form's
                      rate limits
  --per-host K        the most sessions open at once on one RosterOn
                      host (default 2)
  --login-gap DURATION
                      the least time between two logins to one RosterOn
                      host (default 2s): one host takes at most one login
                      per gap, however many accounts it has. With
                      --database, both hold for all replicas together
  --job-timeout DURATION
                      the longest one refresh may take (default 3m). A
                      refresh left running by a replica that died is run
                      again by another once --job-timeout + 2m have
                      passed (River's rescue); without --database, at the
                      next start
  --allow-private-targets
                      let accounts' alert and CalDAV addresses be on this
                      machine or a private network. Without it they must be
                      public internet addresses, since anyone who joins can
                      set them: the server would otherwise fetch, for a
                      stranger, addresses only it can reach
  --max-sessions N    the most sessions open at once in the shared
                      Chrome (default 4)
  --max-connections N the most connections served at once (default 256)
` + renderUsage + `  --browser WS_URL, --browser-token-file, --chrome PATH, --timeout,
  --insecure, --allow-http, --no-sandbox
                      as for 'rosteron serve'
` + smtpUsage + `  -h, --help          print this help

Endpoints: /TOKEN/, /TOKEN/roster.ics, /TOKEN/roster.json and
/TOKEN/healthz for each account, as the single-account serve's;
/healthz is the service's (the store and the scheduler), never one
account's, so that one expired password never marks the whole service
unhealthy; with --join, /join and /manage/.

Exit status: 0 after SIGINT or SIGTERM, 1 error, 2 usage error (no key,
a key inside --state, --accounts with --url, a --database URL with a
password in it), 1 when another serve holds the lock (or, on a database,
while rotate-key runs).
`

// serveAccountsFlags are serve --accounts' flags.
type serveAccountsFlags struct {
	accounts     bool
	key          keyFlags
	db           dbFlags
	jobTimeout   time.Duration
	addr         string
	publicURL    string
	refresh      time.Duration
	allow        stringList
	join         bool
	joinCode     string
	joinCodeFile string
	trusted      stringList
	perHost      int
	loginGap     time.Duration
	private      bool
	maxSessions  int
	maxConns     int
	session      sessionFlags
	smtp         smtpFlags

	// single are the single-account serve's own flags given, which do
	// not go with --accounts.
	single []string
}

func (f *serveAccountsFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.accounts, "accounts", false, "")
	f.key.register(fs)
	f.db.register(fs)
	fs.DurationVar(&f.jobTimeout, "job-timeout", service.DefaultJobTimeout, "")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8765", "")
	fs.StringVar(&f.publicURL, "public-url", "", "")
	fs.DurationVar(&f.refresh, "refresh", service.DefaultInterval, "")
	fs.Var(&f.allow, "allow-instance", "")
	fs.BoolVar(&f.join, "join", false, "")
	fs.StringVar(&f.joinCode, "join-code", "", "")
	fs.StringVar(&f.joinCodeFile, "join-code-file", "", "")
	fs.Var(&f.trusted, "trusted-proxy", "")
	fs.IntVar(&f.perHost, "per-host", service.DefaultPerHost, "")
	fs.DurationVar(&f.loginGap, "login-gap", service.DefaultLoginGap, "")
	fs.BoolVar(&f.private, "allow-private-targets", false, "")
	fs.IntVar(&f.maxSessions, "max-sessions", service.DefaultMaxSessions, "")
	fs.IntVar(&f.maxConns, "max-connections", defaultMaxConns, "")
	f.session.registerBrowser(fs)
	f.smtp.register(fs)

	// The single-account serve's other flags are known, so that they
	// are refused by name, and so that the two modes parse alike.
	var single serveFlags
	sfs := newFlagSet("serve")
	single.register(sfs)
	sfs.VisitAll(func(fl *flag.Flag) {
		if fs.Lookup(fl.Name) == nil {
			fs.Var(&refusedFlag{name: fl.Name, bool: isBool(fl), seen: &f.single}, fl.Name, "")
		}
	})
}

// refusedFlag is a flag of the other mode: it records its name when
// given, and never its value, which may be a secret.
type refusedFlag struct {
	name string
	bool bool
	seen *[]string
}

func (r *refusedFlag) String() string { return "" }
func (r *refusedFlag) Set(string) error {
	if !slices.Contains(*r.seen, r.name) {
		*r.seen = append(*r.seen, r.name)
	}
	return nil
}
func (r *refusedFlag) IsBoolFlag() bool { return r.bool }

// accountsMode reports whether serve's args ask for --accounts. They are
// parsed as serve --accounts parses them, which knows every flag of both
// modes, so that a value that reads "--accounts" is not taken for the
// flag; args it cannot parse are the single-account serve's to report.
func accountsMode(args []string) bool {
	fs := newFlagSet("serve")
	var f serveAccountsFlags
	f.register(fs)
	var rest []string
	for i, a := range args {
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			continue
		}
		rest = append(rest, a)
	}
	_, err := parseArgs("serve", fs, rest)
	return err == nil && f.accounts
}

// accountsServer is serve --accounts, checked and ready to run.
type accountsServer struct {
	dir         string
	loc         *storeLoc
	jobTimeout  time.Duration
	addr        string
	public      *url.URL
	refresh     time.Duration
	allowed     []string
	joinCode    string
	trusted     []netip.Prefix
	perHost     int
	loginGap    time.Duration
	maxSessions int
	maxConns    int
	mailer      *feed.Mailer
	// notifyClient and caldavClient are every account's: they refuse
	// private addresses unless --allow-private-targets; nil then.
	notifyClient, caldavClient *http.Client
	session                    *sessionFlags
	browser                    []browser.Option
	key                        *store.Key
	joinOn                     bool
	// secrets are each account's secrets (store.ID → []string), as its
	// Options last had them, for the lines written about it outside
	// its service log: replaced at each read, never piled up in the
	// process's list, which every log line is scrubbed against.
	secrets sync.Map
}

// accountSecrets are an account's secrets, for scrubbing a line about it.
func (as *accountsServer) accountSecrets(id store.ID) []string {
	if v, ok := as.secrets.Load(id); ok {
		return v.([]string)
	}
	return nil
}

// secretForms are a secret as a log might show it: as it is, in base64,
// and in base64 with the user before it (HTTP basic authentication).
func secretForms(user, secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))}
	if user != "" {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+secret)))
	}
	return forms
}

func (c *cli) serveAccounts(ctx context.Context, args []string) error {
	as, err := c.checkServeAccounts(ctx, args)
	if err != nil || as == nil {
		return err
	}
	return c.runServeAccounts(ctx, as)
}

// checkServeAccounts parses and checks serve --accounts' flags, and reads
// the key, before anything runs: every mistake is a usage error. It
// returns nil, nil after printing the help.
func (c *cli) checkServeAccounts(ctx context.Context, args []string) (*accountsServer, error) {
	const cmd = "serve"
	fs := newFlagSet(cmd)
	var f serveAccountsFlags
	f.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(c.stdout, serveAccountsUsage)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef(cmd, "serve takes no arguments, only flags (got %d)", len(pos))
	}
	if len(f.single) > 0 {
		return nil, usagef(cmd, "--%s is the single-account serve's, and --accounts serves the accounts of the store: "+
			"one mode or the other (add accounts with 'rosteron accounts add')", f.single[0])
	}
	as := &accountsServer{addr: f.addr, refresh: f.refresh, perHost: f.perHost, loginGap: f.loginGap,
		maxSessions: f.maxSessions, maxConns: f.maxConns, session: &f.session, jobTimeout: f.jobTimeout}
	if f.jobTimeout <= 0 {
		return nil, usagef(cmd, "invalid --job-timeout %v: want a positive duration, such as 3m", f.jobTimeout)
	}
	if f.loginGap <= 0 {
		return nil, usagef(cmd, "invalid --login-gap %v: want a positive duration, such as 2s", f.loginGap)
	}
	if !f.private {
		as.notifyClient = safedial.Client(feed.DefaultNotifyTimeout)
		// The Notifier's own rule: a POST redirected is given up, not
		// turned into a GET.
		as.notifyClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		as.caldavClient = safedial.Client(2 * time.Minute)
	}
	if as.dir, err = c.stateDirFor(cmd, f.key, f.db); err != nil {
		return nil, err
	}
	if f.refresh <= 0 {
		return nil, usagef(cmd, "invalid --refresh %v: want a positive duration, such as 30m", f.refresh)
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return nil, usagef(cmd, "invalid --addr %q: want HOST:PORT, such as 127.0.0.1:8765 or :0", f.addr)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"per-host", f.perHost}, {"max-sessions", f.maxSessions}, {"max-connections", f.maxConns}} {
		if n.v <= 0 {
			return nil, usagef(cmd, "invalid --%s %d: want a positive number", n.name, n.v)
		}
	}
	if as.public, err = parsePublicURL(cmd, f.publicURL); err != nil {
		return nil, err
	}
	if as.allowed, err = allowedInstances(cmd, f.allow); err != nil {
		return nil, err
	}
	for _, p := range f.trusted {
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, usagef(cmd, "invalid --trusted-proxy %q: want an address or a CIDR range, such as 10.0.0.0/8", p)
			}
			pre = netip.PrefixFrom(addr, addr.BitLen())
		}
		as.trusted = append(as.trusted, pre.Masked())
	}
	if f.joinCode != "" && f.joinCodeFile != "" {
		return nil, usagef(cmd, "--join-code and --join-code-file are two sources of the invite code: give one")
	}
	if as.joinCode = f.joinCode; f.joinCodeFile != "" {
		if as.joinCode, err = readPasswordFile(ctx, cmd, f.joinCodeFile); err != nil {
			return nil, err
		}
	}
	if as.joinCode != "" && !f.join {
		return nil, usagef(cmd, "--join-code and --join-code-file go with --join")
	}
	if len(f.trusted) > 0 && !f.join {
		return nil, usagef(cmd, "--trusted-proxy goes with --join, whose rate limits it is for")
	}
	if f.join {
		if len(as.allowed) == 0 {
			return nil, usagef(cmd, "--join needs --allow-instance URL: the RosterOn instances people may join with")
		}
		if as.public == nil {
			return nil, usagef(cmd, "--join needs --public-url, the https:// address people reach this server at")
		}
		if as.public.Scheme != "https" && !netguard.IsLoopback(as.public.Hostname()) {
			return nil, usagef(cmd, "--join needs an https --public-url (or a loopback one, for a test): "+
				"the join form takes passwords, which must not cross the network in clear")
		}
	}
	as.joinOn = f.join
	if as.browser, err = f.session.checkBrowser(c, cmd); err != nil {
		return nil, err
	}
	if err := f.session.resolveAllowHTTP(c, cmd); err != nil {
		return nil, err
	}
	if f.smtp.given() {
		// Any account's mailto: alerts go through it: checked as serve
		// checks it for one.
		probe, err := feed.ParseTarget("mailto:postmaster@example.org")
		if err != nil {
			return nil, err
		}
		if as.mailer, err = c.mailer(ctx, cmd, f.smtp, []*feed.Target{probe}); err != nil {
			return nil, err
		}
	}
	if as.loc, err = c.storeLocation(ctx, cmd, as.dir, f.db); err != nil {
		return nil, err
	}
	if as.key, err = c.loadKey(cmd, f.key.keyFile, as.loc, true); err != nil {
		return nil, err
	}
	return as, nil
}

// lateService is the service as the join pages see it: made before the
// service, which is given the pages' handler, and pointed at it once it
// is made.
type lateService struct {
	mu  sync.Mutex
	svc *service.Service
}

func (l *lateService) set(s *service.Service) {
	l.mu.Lock()
	l.svc = s
	l.mu.Unlock()
}

func (l *lateService) get() *service.Service {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.svc
}

func (l *lateService) Reload(ctx context.Context, id store.ID) error {
	if s := l.get(); s != nil {
		return s.Reload(ctx, id)
	}
	return errors.New("the service is not started yet")
}

func (l *lateService) Verified(ctx context.Context, id store.ID) error {
	if s := l.get(); s != nil {
		return s.Verified(ctx, id)
	}
	return errors.New("the service is not started yet")
}

// check is the join pages' CheckFunc: one login through the service,
// whose ErrBusy is join.ErrBusy.
func (l *lateService) check(ctx context.Context, instance, username, password string) error {
	s := l.get()
	if s == nil {
		return fmt.Errorf("%w: the service is not started yet", join.ErrBusy)
	}
	err := s.Check(ctx, &store.Account{Instance: instance, Username: username}, password)
	if errors.Is(err, service.ErrBusy) {
		return fmt.Errorf("%w: %w", join.ErrBusy, err)
	}
	return err
}

func (l *lateService) Remove(id store.ID) {
	if s := l.get(); s != nil {
		s.Remove(id)
	}
}

// runServeAccounts opens the store, holds its lock, and serves and
// refreshes every account until ctx ends; then it stops the refreshes
// and the shared Chrome.
func (c *cli) runServeAccounts(ctx context.Context, as *accountsServer) error {
	// From here on several goroutines log to stderr, one line at a time,
	// through one writer that keeps every secret read out.
	lg := &scrubWriter{w: c.stderr}
	c.stderr = lg
	c.onSecret(lg.add)
	if as.mailer != nil {
		c.addSecrets("", as.mailer.Secrets()...)
	}
	c.addSecrets("", as.joinCode)
	if as.refresh < politeRefresh {
		c.errorf("warning: --refresh %v is less than 5m: logging in to RosterOn that often is impolite to its server", as.refresh)
	}

	st, unlock, lockLost, err := c.openForServe(ctx, as, lg)
	if err != nil {
		return err
	}
	defer st.Close()
	defer unlock()

	fetch, closeBrowser := c.accountsFetcher(as, lg)
	defer closeBrowser()

	// The lock-out guard keys its count to each password by a MAC with
	// this secret, sealed in the store (and so kept across a new key),
	// rather than by argon2id: thousands of accounts then start in
	// moments, and the guard's state still yields nothing to guess a
	// password from without the key.
	guardKey, err := st.Secret(ctx, "login-guard", func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return fmt.Errorf("the lock-out guard's key: %w", err)
	}

	late := &lateService{}
	var joinHandler http.Handler
	if as.joinOn {
		joinHandler, err = join.New(join.Config{
			Store:   st,
			Service: late,
			// One real login through the shared Chrome, before an account
			// is saved or its password replaced, within the refreshes'
			// limits (the host's sessions and login gap, the browser's).
			Check:          late.check,
			Instances:      as.allowed,
			Code:           as.joinCode,
			PublicURL:      as.public,
			TrustedProxies: as.trusted,
			Log:            lg,
			// Replicas on one database count the attempts together.
			SharedLimits: as.loc.postgres(),
		})
		if err != nil {
			return fmt.Errorf("--join: %w", err)
		}
	}
	svc, err := service.New(service.Config{
		Store:       st,
		Fetch:       fetch,
		Options:     c.accountOptions(st, as, lg, guardKey),
		Interval:    as.refresh,
		PerHost:     as.perHost,
		LoginGap:    as.loginGap,
		MaxSessions: as.maxSessions,
		PublicURL:   as.public,
		Join:        joinHandler,
		Log:         lg,
		JobTimeout:  as.jobTimeout,
		// serve.lock is held: a refresh left running is a killed serve's,
		// and runs again at once. Not on a database, which replicas
		// share: there River rescues a dead replica's refresh once its
		// rescue time (--job-timeout + 2m) has passed.
		Exclusive: !as.loc.postgres(),
	})
	if err != nil {
		return err
	}
	late.set(svc)

	ln, err := net.Listen("tcp", as.addr)
	if err != nil {
		return err
	}
	base := baseURL(as.addr, ln.Addr(), "")
	list, err := st.List(ctx)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if as.public != nil {
		fmt.Fprintf(lg, "rosteron serve: pages at %s/TOKEN/, each account's own ('rosteron accounts list --addresses' prints them)\n", as.public)
	}
	if as.joinOn {
		fmt.Fprintf(lg, "rosteron serve: join page at %s/join, for %s\n", as.public, strings.Join(as.allowed, ", "))
	}
	where := filepath.Join(as.dir, storeFile)
	if as.loc.postgres() {
		where = as.loc.where
	}
	fmt.Fprintf(lg, "rosteron serve: health at %s/healthz; %d accounts in %s, each refreshed every %v\n",
		base, len(list), where, as.refresh)
	ln = netutil.LimitListener(ln, as.maxConns)
	srv := &http.Server{
		Handler:           svc.Handler(),
		ReadHeaderTimeout: serveHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		// A join's answer waits for its check, one whole login.
		WriteTimeout:   max(time.Minute, cmp.Or(as.session.timeout, session.DefaultTimeout)+30*time.Second),
		IdleTimeout:    serveIdleTimeout,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       log.New(lg, "rosteron serve: http: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(runCtx) }()

	var runErr, serveErr, lostErr error
	ranDone := false
	select {
	case serveErr = <-served:
	case runErr = <-ran:
		ranDone = true
	case lostErr = <-lockLost:
	case <-ctx.Done():
	}
	stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if !ranDone {
		runErr = <-ran
	}
	if serveErr == nil {
		serveErr = <-served
	}
	if lostErr != nil {
		// Fail closed: the database's lock is what keeps rotate-key
		// from re-sealing under this serve.
		return lostErr
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if runErr != nil && ctx.Err() == nil {
		return fmt.Errorf("the service stopped: %w", runErr)
	}
	if runErr != nil {
		fmt.Fprintf(lg, "rosteron serve: warning: stopping: %s\n", c.oneLine(runErr.Error()))
	}
	fmt.Fprintln(lg, "rosteron serve: stopped")
	return nil
}

// accountOptions reads an account's options from the store: its
// password, its token and its settings, opened with the key.
func (c *cli) accountOptions(st store.Store, as *accountsServer, lg *scrubWriter, guardKey []byte) service.OptionsFunc {
	hasher := feed.KeyedLoginHasher(guardKey)
	var once sync.Map // what has been said once: "ID/what"
	sayOnce := func(id store.ID, what, format string, args ...any) {
		if _, said := once.LoadOrStore(fmt.Sprintf("%d/%s", id, what), true); !said {
			fmt.Fprintf(lg, "rosteron serve: account %d: %s\n", id, c.oneLine(fmt.Sprintf(format, args...)))
		}
	}
	return func(ctx context.Context, a *store.Account) (*service.Options, error) {
		if len(as.allowed) > 0 && !slices.Contains(as.allowed, a.Instance) {
			// The service stops it, and says so once.
			return nil, &service.NotRefreshed{Why: fmt.Sprintf("its instance %s is not one of --allow-instance's: not refreshed", a.Instance)}
		}
		password, err := st.Password(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("opening the password: %w", err)
		}
		token, err := st.Token(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("opening the token: %w", err)
		}
		settings, err := st.Settings(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("opening the settings: %w", err)
		}
		if settings == nil {
			settings = &store.Settings{}
		}
		o := &service.Options{
			Password:     password,
			Token:        token,
			CalendarName: settings.CalendarName,
			Remind:       settings.Remind,
			RemindLeave:  settings.RemindLeave,
			Mailer:       as.mailer,
			NotifyClient: as.notifyClient,
			LoginHasher:  hasher,
			// The account's secrets are scrubbed from its own log lines
			// (the service's per-account log) and pages, not added to
			// the process's list, which would grow at each new password.
			Secrets: append(secretForms(a.Username, password), secretForms("", token)...),
		}
		if a.Zone != "" {
			loc, err := time.LoadLocation(a.Zone)
			if err != nil {
				sayOnce(a.ID, "zone", "its zone %q is unknown here: times are floating", a.Zone)
			} else {
				o.Location = loc
			}
		}
		for i, spec := range settings.Notify {
			t, err := feed.ParseTarget(spec)
			if err != nil {
				sayOnce(a.ID, fmt.Sprintf("notify%d", i), "alert target #%d skipped: %v", i+1, err)
				continue
			}
			if t.IsMail() && as.mailer == nil {
				sayOnce(a.ID, fmt.Sprintf("notify%d", i), "alert target #%d (%s) skipped: email alerts need serve's --smtp and --smtp-from", i+1, t)
				continue
			}
			for _, sec := range t.Secrets() {
				o.Secrets = append(o.Secrets, secretForms("", sec)...)
			}
			o.Targets = append(o.Targets, t)
		}
		if settings.CalDAV != nil {
			c.accountSync(a, settings.CalDAV, o, lg, as.session.allowHTTP, as.caldavClient)
		}
		as.secrets.Store(a.ID, slices.Clone(o.Secrets))
		return o, nil
	}
}

// accountSync makes o write each roster accepted into the account's CalDAV
// calendar, as the single-account serve's sync does: the calendar is
// opened at the first sync.
func (c *cli) accountSync(a *store.Account, cd *store.CalDAV, o *service.Options, lg *scrubWriter, allowHTTP bool, client *http.Client) {
	o.Secrets = append(o.Secrets, secretForms(cd.Username, cd.Password)...)
	secrets := slices.Clone(o.Secrets)
	logf := func(line string) {
		fmt.Fprintf(lg, "rosteron serve: %s account %d: %s\n", time.Now().Format(time.RFC3339), a.ID,
			c.oneLine(oneline.Redact(line, secrets...)))
	}
	account, err := calendar.AccountID(a.Instance, a.Username)
	if err != nil {
		logf(fmt.Sprintf("no calendar sync: %v", err))
		return
	}
	name := or(cd.Calendar, or(o.CalendarName, syncCalendarName))
	cal := &lazyCalendar{name: "the calendar " + name, open: func(ctx context.Context) (calendar.Calendar, error) {
		cal, err := caldav.Open(ctx, caldav.Config{URL: cd.URL, Username: cd.Username, Password: cd.Password,
			Calendar: name, AllowHTTP: allowHTTP, Client: client})
		if err != nil {
			return nil, err // not a nil *caldav.Calendar in a non-nil interface
		}
		return cal, nil
	}}
	loc := o.Location
	if loc == nil {
		loc = snapshot.Floating
	}
	s := calendar.NewSyncer(cal, calendar.Options{Account: account, Location: loc, Alarms: o.Remind, AlarmLeave: o.RemindLeave})
	s.Log = logf
	o.Accepted = s.Observe
	o.Run = s.Run
	o.Sync = syncOnce(cal, calendar.Options{Account: account, Location: loc, Alarms: o.Remind, AlarmLeave: o.RemindLeave}, logf)
}

// accountsFetcher returns the fetch every account's refresh and every
// join's check goes through, in one shared Chrome (service.Browser), each
// session within --timeout; and what stops that Chrome.
func (c *cli) accountsFetcher(as *accountsServer, lg *scrubWriter) (service.FetchFunc, func()) {
	timeout := cmp.Or(as.session.timeout, session.DefaultTimeout)
	opts := []session.Option{session.WithTimeout(timeout)}
	if as.session.allowHTTP {
		// checkRosterURL's rule: plain http to a host that is not this
		// machine only with --allow-http.
		opts = append(opts, session.WithAllowHTTP())
	}
	if mode, err := session.ParseRender(as.session.render); err == nil {
		opts = append(opts, session.WithRender(mode))
	}
	b := service.NewBrowser(as.browser...)
	b.OnWarning(func(a *store.Account, err error) {
		fmt.Fprintf(lg, "rosteron serve: account %d: warning: %s\n", a.ID,
			c.oneLine(oneline.Redact(err.Error(), as.accountSecrets(a.ID)...)))
	})
	fetch := b.Fetch(opts...)
	// A check (a join's, a new password's) runs the login page's scripts
	// from the start, so that a refusal is never posted a second time as
	// RenderAuto posts it: a wrong password typed at /join costs RosterOn
	// one attempt.
	check := b.Fetch(append(slices.Clone(opts), session.WithRender(session.RenderAlways))...)
	return func(ctx context.Context, a *store.Account, password string, limiter *session.Limiter) (*snapshot.Snapshot, error) {
		// Every login goes through here: a refresh, a join's check, a
		// new password's. None goes to an instance --allow-instance does
		// not name, whatever the store says, so that someone who can
		// write the store cannot send a member's password elsewhere.
		if len(as.allowed) > 0 && !slices.Contains(as.allowed, a.Instance) {
			return nil, feed.Permanent(fmt.Errorf("the instance %s is not one of --allow-instance's: not logging in there", a.Instance))
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if service.IsCheck(ctx) {
			return check(ctx, a, password, limiter)
		}
		return fetch(ctx, a, password, limiter)
	}, func() { _ = b.Close() }
}
