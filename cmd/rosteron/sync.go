package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

const syncUsage = `Usage: rosteron sync --url URL --username USER (--caldav … | --google-…) [flags]

Logs in to RosterOn in headless Chrome, reads the roster, logs out, and
brings one calendar up to date with it: a CalDAV calendar (iCloud,
Fastmail, Nextcloud, Radicale, Baïkal, mailbox.org…) or a Google
Calendar. Run it from cron, a systemd timer or a CI schedule; 'rosteron
serve' given the same calendar flags does the same after each refresh.

It keeps no state: which events are rosteron's, and their revisions, it
reads from the calendar. A new shift gets an event; a changed or moved
one has its event updated in place (same UID, SEQUENCE up); a shift gone
has its event deleted. Only rosteron's own events of this account are
touched, never the person's own or another account's. Every shift the
roster lists is written when it changes; before today, in the roster's
zone, no event is deleted and no edit made in the calendar undone. An
event edited in the calendar is put back as the roster has it. A roster
with no shift from today on, where the calendar has upcoming events, is
read a second time, and the events deleted only if that read agrees (or
with --allow-empty).

The calendar is opened first, so that a wrong calendar password fails
before RosterOn is logged in to.

` + passwordSources + `
Flags:
  --url URL           the instance's address, everything before
                      /Account/Login (default $ROSTERON_URL)
  --username USER     the RosterOn username (default $ROSTERON_USERNAME)
` + passwordUsage + `
The calendar, one of:
` + caldavUsage + googleUsage + `
  --calendar-name NAME
                      the calendar's name when --caldav-calendar or
                      --google-calendar is not given (default "` + syncCalendarName + `")
  --tz ZONE           the roster's time zone, an IANA name such as
                      Australia/Melbourne (default $TZ; with neither, times
                      are written as the roster shows them, floating;
                      Google needs one)
` + remindUsage + `  --dry-run           print what would be created, updated and deleted, and
                      write nothing, not even a calendar that is missing
  --allow-empty       delete every upcoming event when the roster has no
                      shift from today on, without reading it again
  --save-logs DIR     save every request and response to RosterOn in DIR,
                      with cookies and tokens redacted
  --screenshots DIR   save a screenshot of the page after each step in DIR
` + renderUsage + `  --browser WS_URL    use the Chrome already running at this DevTools
                      address (default $ROSTERON_BROWSER)
` + browserTokenUsage + `  --chrome PATH       the Chrome to start, unless --browser is given
                      (default $ROSTERON_CHROME)
  --timeout DURATION  time limit on each read of the roster (default 60s);
                      the calendar's requests have ` + syncCalendarTimeoutText + ` more in all
  --insecure          do not check RosterOn's TLS certificate (for test
                      servers only; warns)
` + allowHTTPUsage + noSandboxUsage + progressFlagsUsage + `  -h, --help          print this help

Each change goes to standard output, one line each, such as
  create 2026-12-07 Mon 07:00–15:30 Early: new shift
and a summary to standard error.

Exit status: 0 success (nothing to change included), 1 error, 2 usage
error, 3 RosterOn refused the login, 4 unexpected response from RosterOn,
5 not logged in, 6 the browser failed, 7 the calendar refused its
credentials (a CalDAV password, a Google token), 8 the calendar failed
otherwise (unreachable, an error answered, writes refused), 130 or 143
when interrupted.
`

// syncCalendarName is the calendar's name when none is given: the one a
// calendar app shows beside the person's own.
const syncCalendarName = "Roster"

// syncCalendarTimeout bounds the calendar's part of a sync: opening it,
// listing its events and writing them, however many.
const (
	syncCalendarTimeout     = 5 * time.Minute
	syncCalendarTimeoutText = "5 minutes"
)

// targetFlags are the flags that name the calendar that sync and serve
// write into: a CalDAV one or a Google one.
type targetFlags struct {
	caldav caldavFlags
	google googleFlags
	// noCreate is set by a dry run: a missing calendar is not made.
	noCreate bool
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	t.caldav.register(fs)
	t.google.register(fs)
}

// given reports whether a calendar was named.
func (t *targetFlags) given() bool { return t.caldav.given() || t.google.given() }

// check refuses flags of both kinds: one calendar at a time.
func (t *targetFlags) check(cmd string) error {
	if t.caldav.given() && t.google.given() {
		return usagef(cmd, "--caldav… and --google-… name two calendars: give the flags of one")
	}
	return nil
}

// open opens the calendar the flags name, defaultName the calendar's name
// when the flags give none. loc is the roster's zone; allowHTTP is
// --allow-http, resolved.
func (c *cli) openTarget(ctx context.Context, cmd string, t *targetFlags, defaultName string, loc *time.Location, allowHTTP bool) (calendar.Calendar, error) {
	if c.openCalendar != nil {
		return c.openCalendar(ctx)
	}
	if t.google.given() {
		g := t.google
		g.noCreate = t.noCreate
		return c.openGoogle(ctx, cmd, g, defaultName, loc)
	}
	d := t.caldav
	d.noCreate = t.noCreate
	return c.openCalDAV(ctx, cmd, d, defaultName, allowHTTP)
}

// syncFlags are sync's flags.
type syncFlags struct {
	session    sessionFlags // --tz, --calendar-name, --remind, the browser's
	url        string
	username   string
	password   passwordFlags
	target     targetFlags
	dryRun     bool
	allowEmpty bool
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	// The roster command's, but --format and --output: sync writes no
	// file.
	s := &f.session
	s.progress.register(fs)
	fs.StringVar(&s.tz, "tz", "", "")
	fs.StringVar(&s.calendarName, "calendar-name", "", "")
	s.remind.register(fs)
	fs.StringVar(&s.saveLogs, "save-logs", "", "")
	fs.StringVar(&s.screenshots, "screenshots", "", "")
	s.registerBrowser(fs)
	fs.StringVar(&f.url, "url", "", "")
	fs.StringVar(&f.username, "username", "", "")
	f.password.register(fs)
	f.target.register(fs)
	fs.BoolVar(&f.dryRun, "dry-run", false, "")
	fs.BoolVar(&f.allowEmpty, "allow-empty", false, "")
}

func (c *cli) sync(ctx context.Context, args []string) error {
	const cmd = "sync"
	fs := newFlagSet(cmd)
	var f syncFlags
	f.register(fs)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		// Not quoted: it may well be a password typed where it should not be.
		return usagef(cmd, "sync takes no arguments, only flags (got %d)", len(pos))
	}
	if !f.target.given() {
		return usagef(cmd, "no calendar to write into: give --caldav URL (with --caldav-username and a password file) "+
			"or --google-client FILE and --google-token FILE")
	}
	if err := f.target.check(cmd); err != nil {
		return err
	}
	o := &f.session.outputFlags
	if o.loc, err = loadZone(cmd, o.tz, c.getenv); err != nil {
		return err
	}
	opts := calendar.Options{Location: o.loc, DryRun: f.dryRun, AllowEmpty: f.allowEmpty}
	if opts.Alarms, opts.AlarmLeave, err = o.remind.parse(cmd); err != nil {
		return err
	}
	if err := f.session.progress.check(cmd); err != nil {
		return err
	}
	fl := flow{flags: &f.session}
	if fl.url, fl.username, err = c.account(cmd, f.url, f.username); err != nil {
		return err
	}
	if err := f.session.checkRosterURL(c, cmd, fl.url); err != nil {
		return err
	}
	if opts.Account, err = syncAccount(fl.url, fl.username); err != nil {
		return usagef(cmd, "%v", err)
	}
	var prompt bool
	if fl.password, prompt, err = c.passwordSource(ctx, cmd, f.password); err != nil {
		return err
	}
	if fl.browser, err = f.session.checkBrowser(c, cmd); err != nil {
		return err
	}
	if prompt {
		if fl.password, err = c.askPassword(ctx, cmd, fl.username, fl.url); err != nil {
			return err
		}
	}
	fl.progress = c.newProgress(f.session.progress)

	// The calendar first: its settings and password are checked with a
	// request or two, before a login to RosterOn that a wrong one would
	// have wasted.
	calCtx, cancel := context.WithTimeout(ctx, syncCalendarTimeout+2*f.session.timeout)
	defer cancel()
	name := or(o.calendarName, syncCalendarName)
	f.target.noCreate = f.dryRun // a dry run writes nothing, a new calendar included
	cal, err := c.openTarget(calCtx, cmd, &f.target, name, o.loc, f.session.allowHTTP)
	if f.dryRun && errors.Is(err, calendar.ErrNoCalendar) {
		return c.dryRunNew(ctx, fl, name, opts)
	}
	if err != nil {
		return calendarErr(ctx, "the calendar", err)
	}
	c.notef(f.session.progress, "writing into %s", cal)

	snap, err := c.getRoster(ctx, fl)
	if err != nil {
		return err
	}
	res, err := calendar.Sync(calCtx, cal, snap, opts)
	if errors.Is(err, calendar.ErrEmptyRoster) {
		c.notef(f.session.progress, "the roster read has no shift from today on, but %s has upcoming events: "+
			"reading the roster again before deleting them", cal)
		if snap, err = c.getRoster(ctx, fl); err != nil {
			return err
		}
		opts.AllowEmpty = true // this read decides: empty, or not after all
		res, err = calendar.Sync(calCtx, cal, snap, opts)
	}
	for _, l := range res.Lines {
		fmt.Fprintln(c.stdout, c.oneLine(l))
	}
	if err != nil {
		return calendarErr(ctx, cal.String(), err)
	}
	c.notef(f.session.progress, "%s: %s", cal, res)
	return nil
}

// dryRunNew is a dry run into a calendar that does not exist yet: the
// plan is the one for an empty calendar, which is what a real run makes
// first, and nothing is written.
func (c *cli) dryRunNew(ctx context.Context, fl flow, name string, opts calendar.Options) error {
	c.notef(fl.flags.progress, "there is no calendar named %q yet: a run that is not a dry run makes it, then writes into it", name)
	snap, err := c.getRoster(ctx, fl)
	if err != nil {
		return err
	}
	p, err := calendar.MakePlan(snap, nil, opts)
	if err != nil {
		return err
	}
	res, err := calendar.Apply(ctx, nil, p) // a dry run's plan writes nothing
	if err != nil {
		return err
	}
	for _, l := range res.Lines {
		fmt.Fprintln(c.stdout, c.oneLine(l))
	}
	c.notef(fl.flags.progress, "a new calendar %q: %s", name, res)
	return nil
}

// calendarErr marks a calendar step's timeout as the calendar's failure:
// the session's timeouts are RosterOn's (exit status 4), the calendar's
// are not. An interruption (ctx's end) stays as it is.
func calendarErr(ctx context.Context, what string, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, calendar.ErrCalendar) {
		return fmt.Errorf("%w: %s did not answer within %s: %w", calendar.ErrCalendar, what, syncCalendarTimeoutText, err)
	}
	return err
}

// syncAccount is the account's name in the calendar (calendar.AccountID),
// from the RosterOn address as given, normalised as serve normalises it,
// so that sync and serve name one account alike.
func syncAccount(url, username string) (string, error) {
	norm, err := session.NormalizeURL(url)
	if err != nil {
		return "", err
	}
	return calendar.AccountID(norm, username)
}

// notef writes one line of sync's news on stderr, unless --quiet.
func (c *cli) notef(p progressFlags, format string, args ...any) {
	if p.quiet {
		return
	}
	fmt.Fprintf(c.stderr, "rosteron sync: %s\n", c.oneLine(fmt.Sprintf(format, args...)))
}

// lazyCalendar is a calendar that serve opens at its first use, and
// again after a failure to open: a calendar server that is down when
// serve starts delays the sync, not the feed.
type lazyCalendar struct {
	name string // for messages until it is open
	open func(ctx context.Context) (calendar.Calendar, error)

	mu  sync.Mutex
	cal calendar.Calendar
}

func (l *lazyCalendar) get(ctx context.Context) (calendar.Calendar, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cal != nil {
		return l.cal, nil
	}
	cal, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	l.cal = cal
	return cal, nil
}

func (l *lazyCalendar) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cal != nil {
		return l.cal.String()
	}
	return l.name
}

func (l *lazyCalendar) Tag(ctx context.Context) (string, error) {
	cal, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return cal.Tag(ctx)
}

func (l *lazyCalendar) List(ctx context.Context, account string) ([]calendar.Stored, error) {
	cal, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return cal.List(ctx, account)
}

func (l *lazyCalendar) Get(ctx context.Context, s calendar.Stored) (calendar.Stored, bool, error) {
	cal, err := l.get(ctx)
	if err != nil {
		return calendar.Stored{}, false, err
	}
	return cal.Get(ctx, s)
}

func (l *lazyCalendar) Create(ctx context.Context, ev calendar.Event) (calendar.Stored, error) {
	cal, err := l.get(ctx)
	if err != nil {
		return calendar.Stored{}, err
	}
	return cal.Create(ctx, ev)
}

func (l *lazyCalendar) Update(ctx context.Context, old calendar.Stored, ev calendar.Event) (calendar.Stored, error) {
	cal, err := l.get(ctx)
	if err != nil {
		return calendar.Stored{}, err
	}
	return cal.Update(ctx, old, ev)
}

func (l *lazyCalendar) Delete(ctx context.Context, old calendar.Stored) error {
	cal, err := l.get(ctx)
	if err != nil {
		return err
	}
	return cal.Delete(ctx, old)
}

// serveSyncUsage documents serve's calendar flags.
const serveSyncUsage = `
Each roster read is written into a calendar too, as 'rosteron sync' does,
when one of these is given. The calendar's tag is checked at each refresh,
so that one edited or emptied there is put right. A failed sync is tried
again, sooner then later; a calendar that refuses its credentials stops
the syncs until a restart. The feed goes on either way. The calendar's
name is --calendar-name's unless given, else "` + syncCalendarName + `":
` + caldavUsage + googleUsage + `
`

// serveSync is the calendar serve writes each roster into.
type serveSync struct {
	opts calendar.Options
	// cal is the calendar, opened at the start or, if it could not be
	// then, at the first sync (lazyCalendar).
	cal calendar.Calendar
	// stopped is the calendar's refusal of the credentials at the
	// start: no sync is tried.
	stopped error
}

// serveOpenTimeout bounds serve's first try to open the calendar, at
// the start, before the feed serves.
const serveOpenTimeout = time.Minute

// checkServeSync reads serve's calendar flags and opens the calendar,
// when one is named. Mistakes in the flags are usage errors, which stop
// serve from starting; a calendar that cannot be reached now is opened
// at the first sync, and one that refuses the credentials is not synced,
// since the feed goes on whatever the calendar does.
func (c *cli) checkServeSync(ctx context.Context, cmd string, f *serveFlags, cfg *serveConfig) (*serveSync, error) {
	if !f.target.given() {
		return nil, nil
	}
	if err := f.target.check(cmd); err != nil {
		return nil, err
	}
	account, err := syncAccount(cfg.flow.url, cfg.flow.username)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	ss := &serveSync{opts: calendar.Options{Account: account, Location: cfg.loc, Alarms: cfg.remind, AlarmLeave: cfg.remindLeave}}
	target, name, allowHTTP := f.target, or(cfg.calendarName, syncCalendarName), f.session.allowHTTP
	open := func(ctx context.Context) (calendar.Calendar, error) {
		return c.openTarget(ctx, cmd, &target, name, cfg.loc, allowHTTP)
	}
	octx, cancel := context.WithTimeout(ctx, serveOpenTimeout)
	defer cancel()
	cal, err := open(octx)
	var usage *usageError
	switch {
	case err == nil:
		ss.cal = cal
	case errors.As(err, &usage), ctx.Err() != nil:
		return nil, err
	case errors.Is(err, calendar.ErrAuth):
		ss.stopped = err
	default:
		c.errorf("warning: the calendar could not be opened: %v; trying again at the first sync (the feed goes on)", err)
		ss.cal = &lazyCalendar{name: "the calendar " + name, open: open}
	}
	return ss, nil
}

// serveSyncer is serve's calendar sync, if it has one: accepted is
// given each roster the refreshes took, and run runs the sync until its
// ctx ends (service.Options' Accepted and Run); both nil without one.
func (c *cli) serveSyncer(sv *server) (accepted func(*snapshot.Snapshot, bool), run func(context.Context)) {
	ss := sv.cfg.sync
	if ss == nil {
		return nil, nil
	}
	logf := func(line string) {
		fmt.Fprintf(sv.log, "rosteron serve: %s %s\n", time.Now().Format(time.RFC3339), line)
	}
	if ss.stopped != nil {
		logf(fmt.Sprintf("calendar sync stopped: %v. No syncs until restarted, since trying the same credentials again "+
			"could lock them out; put them right and restart (the feed goes on)", ss.stopped))
		return nil, nil
	}
	// The CalDAV password, which the log's writer was not given, and
	// one read again when a later sync opens the calendar.
	c.onSecret(sv.log.add)
	s := calendar.NewSyncer(ss.cal, ss.opts)
	s.Log = logf
	logf(fmt.Sprintf("calendar sync: each roster read goes into %s", ss.cal))
	return s.Observe, s.Run
}
