package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// lockName is the lock, in the --state folder, that serve --accounts holds
// while it runs and rotate-key takes; rotateLockName the one rotate-key
// holds exclusively while it re-seals, and add shared while it runs, so
// that no account is sealed with a key being replaced.
const (
	lockName       = "serve.lock"
	rotateLockName = "rotate.lock"
)

const accountsUsage = `Usage: rosteron accounts SUBCOMMAND --state DIR [--key-file PATH] [flags]

Manages the accounts that 'rosteron serve --accounts --state DIR' serves:
many people's rosters in one server, each behind its own page and feeds.
The store is ` + storeFile + ` in the --state folder (made 0700), or with
--database a PostgreSQL database that many serve replicas share. Each
account's RosterOn password, its feed token, its alerts' addresses and
other credentials are sealed in it with a key that is never in the store;
its tokens are kept as hashes besides.

` + keySources + `
Subcommands:
  add --url URL --username USER [flags]
        check the password with one login to RosterOn, then add the
        account and print, this once, its page's address and its manage
        code: pass them on to its owner. Nothing is saved when the login
        fails; the exit status is then 'rosteron roster''s (3 for a
        password refused). The password is read from --password-file
        FILE, from standard input with --password-stdin, or typed at a
        prompt; never from the command line.
          --tz ZONE             the roster's IANA time zone, such as
                                Australia/Melbourne (default: floating
                                times, as the roster shows them)
          --calendar-name NAME  the calendar's name in the feed
          --remind DURATION, --remind-leave
                                reminders, as for serve
          --notify URL, --notify-file PATH
                                the account's own alerts, as for serve
                                (mailto: ones need serve's --smtp)
          --public-url URL      the address serve is reached at, so that
                                the page's address is printed whole
          --allow-instance URL  the RosterOn instances allowed
                                (repeatable): the URL must be one
          --caldav URL, --caldav-username USER,
          --caldav-password-file FILE, --caldav-calendar NAME
                                write each roster read into this CalDAV
                                calendar too, as serve does; it is opened
                                (made when missing) before the login, so
                                a refused calendar password (exit 7)
                                costs no login and saves nothing
          and the browser flags of 'rosteron roster' (--browser,
          --chrome, --timeout, --render, --allow-http, …) for the login
  import --url URL [--no-check] [--addresses-out FILE] FILE|-
        add many accounts at once, for a fleet: FILE (or standard
        input, with -) holds one 'username,password' line each (CSV: a
        password holding a comma or a double quote is written in double
        quotes, its double quotes doubled; a first line
        'username,password', blank lines and lines starting with # are
        skipped), as 'rosteron mock --users-out' writes them. The file
        is a secret: never give passwords on the command line. A faulty
        line imports nothing, and names its line, never its password.
        Each account's password is checked with one login, 2 s apart,
        unless --no-check (then serve's first refresh checks it); one
        that fails is not added and is named, the others are. An
        account there already is kept as it is. Prints a CSV line
        'username,page,manage_code' for each, as it is added (the
        manage code only for the new ones), or writes them to
        --addresses-out FILE (made 0600; it must not exist). Takes
        --tz, --public-url, --allow-instance and the browser flags as
        add does
  list [--addresses] [--json]
        a table of the accounts: ID, username, instance, last good
        refresh, state (ok, stale, stopped or paused, and why) and next
        refresh. Never a password. --addresses adds each page's address
        (it needs the key; whole with --public-url, else its path);
        --json prints a JSON array instead
  remove id:ID|USERNAME[@HOST]
        erase the account: its sealed password, its roster and its state
        are gone from the store at once
  pause id:ID|USERNAME[@HOST], resume id:ID|USERNAME[@HOST]
        stop refreshing the account, or start again. A username held on
        two instances needs @HOST or the ID. An ID is written id:12 (or
        '#12', quoted for the shell): a bare number is a username, as
        employee numbers are
  rotate-key --new-key-file PATH
        seal everything again under a new key, written to PATH (which
        must not exist, nor be inside --state); then give serve
        --key-file PATH and destroy the old key. It needs serve stopped:
        serve --accounts holds the lock ` + lockName + ` in --state while it
        runs, and rotate-key refuses while it is held (and while an add
        runs). With --database every replica holds a shared lock in the
        database instead: stop them all first

Flags of every subcommand:
  --state DIR         the folder of the store (default $XDG_STATE_HOME/rosteron,
                      else ~/.local/state/rosteron)
` + keyUsage + databaseUsage + `  -h, --help          print this help

Only add, import, rotate-key and list --addresses need the key; the
others work without one (with --key-file, the key is read, never made,
by them). A running serve --accounts reads the accounts again every 10
seconds: an account added, paused, resumed or removed here is served,
stopped or dropped within that time.

Exit status: 0 success, 1 error, 2 usage error (an unknown account
included), 3 to 6 as 'rosteron roster' for add's login (3: the password
was refused, and nothing saved), 7 and 8 for add's calendar, as 'rosteron
sync'. 'rosteron serve --accounts --help' tells of the server.
`

// accountsFlags are the flags of the accounts subcommands.
type accountsFlags struct {
	key keyFlags
	db  dbFlags

	// add
	url, username string
	password      passwordFlags
	tz            string
	calendarName  string
	remind        remindFlags
	notify        stringList
	notifyFile    string
	publicURL     string
	allow         stringList
	session       sessionFlags
	caldav        caldavFlags

	// list
	addresses, json bool

	// rotate-key
	newKeyFile string

	// import
	noCheck      bool
	addressesOut string
}

func (c *cli) accounts(ctx context.Context, args []string) error {
	const cmd = "accounts"
	if len(args) == 0 {
		return usagef(cmd, "missing subcommand: add, import, list, remove, pause, resume or rotate-key")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		return errHelp
	}
	fs := newFlagSet(cmd)
	var f accountsFlags
	f.key.register(fs)
	f.db.register(fs)
	switch sub {
	case "add":
		fs.StringVar(&f.url, "url", "", "")
		fs.StringVar(&f.username, "username", "", "")
		f.password.register(fs)
		fs.StringVar(&f.tz, "tz", "", "")
		fs.StringVar(&f.calendarName, "calendar-name", "", "")
		f.remind.register(fs)
		fs.Var(&f.notify, "notify", "")
		fs.StringVar(&f.notifyFile, "notify-file", "", "")
		fs.StringVar(&f.publicURL, "public-url", "", "")
		fs.Var(&f.allow, "allow-instance", "")
		f.session.registerBrowser(fs)
		f.caldav.register(fs)
	case "list":
		fs.BoolVar(&f.addresses, "addresses", false, "")
		fs.BoolVar(&f.json, "json", false, "")
		fs.StringVar(&f.publicURL, "public-url", "", "")
	case "import":
		fs.StringVar(&f.url, "url", "", "")
		fs.StringVar(&f.tz, "tz", "", "")
		fs.StringVar(&f.publicURL, "public-url", "", "")
		fs.Var(&f.allow, "allow-instance", "")
		fs.BoolVar(&f.noCheck, "no-check", false, "")
		fs.StringVar(&f.addressesOut, "addresses-out", "", "")
		f.session.registerBrowser(fs)
	case "remove", "pause", "resume":
	case "rotate-key":
		fs.StringVar(&f.newKeyFile, "new-key-file", "", "")
	default:
		if strings.HasPrefix(sub, "-") {
			return usagef(cmd, "the subcommand comes first: rosteron accounts add|import|list|remove|pause|resume|rotate-key [flags]")
		}
		return usagef(cmd, "unknown subcommand %q: want add, import, list, remove, pause, resume or rotate-key", sub)
	}
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	dir, err := c.stateDirFor(cmd, f.key, f.db)
	if err != nil {
		return err
	}
	loc, err := c.storeLocation(ctx, cmd, dir, f.db)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		if len(pos) > 0 {
			// Not quoted: it may be a password typed in the wrong place.
			return usagef(cmd, "accounts add takes no arguments, only flags (got %d)", len(pos))
		}
		return c.accountsAdd(ctx, loc, &f)
	case "import":
		if len(pos) != 1 {
			// Not quoted: it may be a password typed in the wrong place.
			return usagef(cmd, "accounts import takes one argument, the accounts file (or - for standard input), "+
				"never a password (got %d arguments)", len(pos))
		}
		return c.accountsImport(ctx, loc, &f, pos[0])
	case "list":
		if len(pos) > 0 {
			return usagef(cmd, "accounts list takes no arguments, only flags (got %d)", len(pos))
		}
		return c.accountsList(ctx, loc, &f)
	case "rotate-key":
		if len(pos) > 0 {
			return usagef(cmd, "accounts rotate-key takes no arguments, only flags (got %d)", len(pos))
		}
		return c.accountsRotateKey(ctx, loc, &f)
	}
	if len(pos) != 1 {
		return usagef(cmd, "accounts %s takes one account: id:ID, or USERNAME[@HOST] (got %d arguments)", sub, len(pos))
	}
	return c.accountsChange(ctx, loc, &f, sub, pos[0])
}

// openStoreOptionalKey opens the store for the subcommands that need no
// key: with the key of --key-file when one is given (read, never made),
// else with none.
func (c *cli) openStoreOptionalKey(ctx context.Context, cmd string, loc *storeLoc, f *accountsFlags) (store.Store, error) {
	var key *store.Key
	if f.key.keyFile != "" {
		var err error
		if key, err = c.loadKey(cmd, f.key.keyFile, loc, false); err != nil {
			return nil, err
		}
	}
	if err := noStore(cmd, loc); err != nil {
		return nil, err
	}
	return c.openStoreAt(ctx, loc, key)
}

// noStore is the usage error of a SQLite store that is not there yet.
// A database is always there: its schema is made when it is opened.
func noStore(cmd string, loc *storeLoc) error {
	if loc.postgres() || exists(loc.sqliteFile()) {
		return nil
	}
	return usagef(cmd, "no store in %s: add an account first with 'rosteron accounts add --state %s'", loc.dir, loc.dir)
}

func (c *cli) accountsAdd(ctx context.Context, loc *storeLoc, f *accountsFlags) error {
	const cmd = "accounts"
	if f.url == "" {
		return usagef(cmd, "accounts add needs --url, the RosterOn Mobile address, such as https://rosteron.example.com/RosterOnProd/Mobile")
	}
	if f.username = strings.TrimSpace(f.username); f.username == "" {
		return usagef(cmd, "accounts add needs --username, the RosterOn username")
	}
	instance, err := c.accountInstance(cmd, f)
	if err != nil {
		return err
	}
	if f.tz != "" {
		if _, err := time.LoadLocation(f.tz); err != nil {
			return usagef(cmd, "invalid --tz %q: want an IANA time zone name such as Australia/Melbourne or UTC", f.tz)
		}
	}
	public, err := parsePublicURL(cmd, f.publicURL)
	if err != nil {
		return err
	}
	remind, remindLeave, err := f.remind.parse(cmd)
	if err != nil {
		return err
	}
	notify, err := c.notifySpecs(cmd, f.notify, f.notifyFile)
	if err != nil {
		return err
	}
	if f.caldav.given() && f.caldav.passwordFile == "" {
		return usagef(cmd, "--caldav needs --caldav-password-file FILE, the CalDAV password's first line")
	}
	password, prompt, err := c.addPasswordSource(ctx, cmd, f.password)
	if err != nil {
		return err
	}
	bopts, err := f.session.checkBrowser(c, cmd)
	if err != nil {
		return err
	}
	// Made last, once every flag is known good.
	key, err := c.loadKey(cmd, f.key.keyFile, loc, true)
	if err != nil {
		return err
	}
	if prompt {
		if password, err = c.askPassword(ctx, cmd, f.username, f.url); err != nil {
			return err
		}
	}

	st, unlock, err := c.openForAdd(ctx, loc, key)
	if err != nil {
		return err
	}
	defer st.Close()
	defer unlock()
	if a, err := st.Find(ctx, instance, f.username); err == nil {
		return fmt.Errorf("there is an account of %s at %s already (ID %d): 'rosteron accounts remove id:%d' first, to add it again",
			a.Username, a.Instance, a.ID, a.ID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}

	// The calendar first, as sync does: its refusal costs no login.
	var cd *store.CalDAV
	if f.caldav.given() {
		if cd, err = c.addCalDAV(ctx, cmd, f); err != nil {
			return fmt.Errorf("nothing saved: %w", err)
		}
	}

	// One real login, as 'rosteron roster' makes: a password RosterOn
	// refuses is never saved.
	fmt.Fprintf(c.stderr, "rosteron accounts: checking the password of %s at %s with one login…\n", f.username, instance)
	snap, err := c.getRoster(ctx, flow{url: f.url, username: f.username, password: password, flags: &f.session, browser: bopts})
	if err != nil {
		return fmt.Errorf("nothing saved: %w", err)
	}

	a, secrets, err := st.Create(ctx, store.NewAccount{
		Username: f.username,
		Instance: instance,
		Password: password,
		Zone:     f.tz,
		Settings: store.Settings{Notify: notify, CalendarName: f.calendarName, Remind: remind, RemindLeave: remindLeave, CalDAV: cd},
	})
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("there is an account of %s at %s already: 'rosteron accounts list' shows it", f.username, instance)
	}
	if err != nil {
		return err
	}
	c.addSecrets("", secrets.Token, secrets.Manage)
	// The roster that login read is the account's first: its page has
	// it to show before serve's first refresh.
	var zone *time.Location
	if f.tz != "" {
		zone, _ = time.LoadLocation(f.tz) // checked above
	}
	fd := feed.New(feed.WithState(store.State{Store: st, ID: a.ID}), feed.WithSource(a.Instance, a.Username),
		feed.WithLocation(zone), feed.WithCalendarName(f.calendarName), feed.WithReminders(remind, remindLeave),
		feed.WithSecrets(password, secrets.Token))
	if _, err := fd.Update(snap); err != nil {
		c.errorf("warning: the roster read is not kept, so the page waits for serve's first refresh: %v", err)
	}
	fmt.Fprintf(c.stdout, "account %d: %s at %s\n", a.ID, a.Username, a.Instance)
	fmt.Fprintf(c.stdout, "page: %s\n", pageAddress(public, secrets.Token))
	fmt.Fprintf(c.stdout, "manage code: %s\n", secrets.Manage)
	if public == nil {
		fmt.Fprintf(c.stderr, "rosteron accounts: the page's path is under the address serve is reached at; "+
			"give --public-url to print it whole\n")
	}
	fmt.Fprintf(c.stderr, "rosteron accounts: the page's address and the manage code are shown this once: "+
		"pass them on to the account's owner ('rosteron accounts list --addresses' shows the page's again; "+
		"the manage code is kept only as a hash)\n")
	return nil
}

// addCalDAV checks the account's CalDAV calendar as sync does, by opening
// it (made when missing), and returns it to be kept sealed in the
// account's settings. Its password comes from --caldav-password-file
// only: the credential and the Docker secret are the single-account
// serve's.
func (c *cli) addCalDAV(ctx context.Context, cmd string, f *accountsFlags) (*store.CalDAV, error) {
	if f.caldav.passwordFile == "" {
		return nil, usagef(cmd, "--caldav needs --caldav-password-file FILE, the CalDAV password's first line")
	}
	name := or(f.caldav.calendar, or(f.calendarName, syncCalendarName))
	cctx, cancel := context.WithTimeout(ctx, serveOpenTimeout)
	defer cancel()
	cal, err := c.openCalDAV(cctx, cmd, f.caldav, name, f.session.allowHTTP)
	if err != nil {
		return nil, calendarErr(ctx, "the calendar", err)
	}
	fmt.Fprintf(c.stderr, "rosteron accounts: each roster read will go into %s\n", cal)
	password, err := readPasswordFile(ctx, cmd, f.caldav.passwordFile)
	if err != nil {
		return nil, caldavNote(err)
	}
	return &store.CalDAV{URL: strings.TrimSpace(f.caldav.url), Username: strings.TrimSpace(f.caldav.username),
		Password: password, Calendar: name}, nil
}

// pageAddress is an account's page: under public, else its path alone.
func pageAddress(public *url.URL, token string) string {
	if public == nil {
		return "/" + token + "/"
	}
	return public.String() + "/" + token + "/"
}

// addPasswordSource reads an account's password for accounts add: from
// --password-file, from standard input with --password-stdin, else at a
// prompt on a terminal. Not from the environment, the systemd credential
// or the Docker secret, which are the single-account serve's own.
func (c *cli) addPasswordSource(ctx context.Context, cmd string, pf passwordFlags) (password string, prompt bool, err error) {
	switch {
	case pf.stdin && pf.file != "":
		return "", false, usagef(cmd, "--password-stdin and --password-file are two sources of the password: give one")
	case pf.file != "":
		if password, err = readPasswordFile(ctx, cmd, pf.file); err != nil {
			return "", false, err
		}
		c.warnOpenPasswordFile(pf.file)
	case pf.stdin && !c.stdinIsTerminal():
		if password, err = readPasswordLine(ctx, c.stdin); err != nil {
			var usage *usageError
			if errors.As(err, &usage) {
				usage.cmd = cmd
			}
			return "", false, err
		}
	case c.stdinIsTerminal():
		return "", true, nil
	default:
		return "", false, usagef(cmd, "no password: give a file with --password-file, or pipe it in with --password-stdin")
	}
	c.password = password
	return password, false, nil
}

// notifySpecs checks --notify and --notify-file as serve does, and
// returns them as given, to be kept sealed in the account's settings.
func (c *cli) notifySpecs(cmd string, specs []string, file string) ([]string, error) {
	if _, err := c.notifyTargets(cmd, specs, file); err != nil {
		return nil, err
	}
	all := slices.Clone(specs)
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef(cmd, "--notify-file: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				all = append(all, line)
			}
		}
	}
	for _, s := range all {
		t, _ := feed.ParseTarget(s)
		if t != nil {
			c.addSecrets("", t.Secrets()...)
		}
	}
	return all, nil
}

// allowedInstances normalizes --allow-instance.
func allowedInstances(cmd string, specs []string) ([]string, error) {
	var out []string
	for _, s := range specs {
		n, err := session.NormalizeURL(s)
		if err != nil {
			return nil, usagef(cmd, "invalid --allow-instance %q: want a RosterOn Mobile address, everything before /Account/Login", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// accountJSON is an account as list --json prints it.
type accountJSON struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	Instance    string     `json:"instance"`
	Zone        string     `json:"zone,omitempty"`
	Created     time.Time  `json:"created"`
	State       string     `json:"state"`
	Why         string     `json:"why,omitempty"`
	Paused      bool       `json:"paused"`
	LastGood    *time.Time `json:"last_good,omitempty"`
	NextRefresh *time.Time `json:"next_refresh,omitempty"`
	Page        string     `json:"page,omitempty"`
}

// accountState is an account's state word and why, for list.
func accountState(a *store.Account) (state, why string) {
	if a.Paused {
		return "paused", a.PauseReason
	}
	state = a.Health.State
	if state == "" {
		state = feed.StateStarting
	}
	return state, a.Health.Why
}

func (c *cli) accountsList(ctx context.Context, loc *storeLoc, f *accountsFlags) error {
	const cmd = "accounts"
	public, err := parsePublicURL(cmd, f.publicURL)
	if err != nil {
		return err
	}
	if f.publicURL != "" && !f.addresses {
		return usagef(cmd, "--public-url goes with --addresses")
	}
	var st store.Store
	if f.addresses {
		if err := noStore(cmd, loc); err != nil {
			return err
		}
		key, err := c.loadKey(cmd, f.key.keyFile, loc, false)
		if err != nil {
			return err
		}
		if st, err = c.openStoreAt(ctx, loc, key); err != nil {
			return err
		}
	} else if st, err = c.openStoreOptionalKey(ctx, cmd, loc, f); err != nil {
		return err
	}
	defer st.Close()
	list, err := st.List(ctx)
	if err != nil {
		return err
	}
	out := make([]accountJSON, 0, len(list))
	for _, a := range list {
		state, why := accountState(a)
		j := accountJSON{ID: int64(a.ID), Username: a.Username, Instance: a.Instance, Zone: a.Zone, Created: a.Created,
			State: state, Why: why, Paused: a.Paused}
		if !a.Health.LastGood.IsZero() {
			t := a.Health.LastGood
			j.LastGood = &t
		}
		if !a.Health.NextRefresh.IsZero() && !a.Paused && state != feed.StateStopped {
			t := a.Health.NextRefresh
			j.NextRefresh = &t
		}
		if f.addresses {
			token, err := st.Token(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("opening the token of account %d: %w", a.ID, err)
			}
			c.addSecrets("", token)
			j.Page = pageAddress(public, token)
		}
		out = append(out, j)
	}
	if f.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintf(c.stderr, "rosteron accounts: no accounts in %s\n", loc.where)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	head := "ID\tUSERNAME\tINSTANCE\tLAST GOOD\tSTATE\tNEXT REFRESH"
	if f.addresses {
		head += "\tPAGE"
	}
	fmt.Fprintln(tw, head)
	for _, j := range out {
		state := j.State
		if j.Why != "" {
			state += ": " + j.Why
		}
		row := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", j.ID, c.oneLine(j.Username), j.Instance, listTime(j.LastGood, "never"),
			c.oneLine(state), listTime(j.NextRefresh, "-"))
		if f.addresses {
			row += "\t" + j.Page
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

func listTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Local().Format("2006-01-02 15:04")
}

// findAccount finds the account of sel: #ID or id:ID by its ID, else
// USERNAME or USERNAME@HOST. A bare number is a username (RosterOn
// usernames are often employee numbers): one that matches no username
// but is an ID is refused, pointing to #ID, lest a mistyped number erase
// another person's account. An unknown or ambiguous one is a usage error.
func findAccount(ctx context.Context, st store.Store, sel string) (*store.Account, error) {
	const cmd = "accounts"
	if rest, ok := cutIDPrefix(sel); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef(cmd, "%q is not an account ID: id:ID or #ID takes the number 'rosteron accounts list' shows", sel)
		}
		a, err := st.Get(ctx, store.ID(id))
		if errors.Is(err, store.ErrNotFound) {
			return nil, usagef(cmd, "no account of ID %d: 'rosteron accounts list' shows them", id)
		}
		return a, err
	}
	// A username may hold an @ itself: the host is after the last one.
	var user, host string
	i := strings.LastIndex(sel, "@")
	hasHost := i >= 0
	if hasHost {
		user, host = sel[:i], sel[i+1:]
	}
	list, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	var found []*store.Account
	for _, a := range list {
		switch {
		case strings.EqualFold(a.Username, sel):
			found = append(found, a)
		case hasHost && strings.EqualFold(a.Username, user) && strings.EqualFold(instanceHost(a.Instance), host):
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		if id, err := strconv.ParseInt(sel, 10, 64); err == nil && id > 0 {
			if _, err := st.Get(ctx, store.ID(id)); err == nil {
				return nil, usagef(cmd, "no account of username %q; to name the account of ID %d, write id:%d (or '#%d', quoted for the shell)", sel, id, id, id)
			}
		}
		return nil, usagef(cmd, "no account %q: 'rosteron accounts list' shows them", sel)
	case 1:
		return found[0], nil
	}
	var ids []string
	for _, a := range found {
		ids = append(ids, fmt.Sprintf("%d (%s)", a.ID, a.Instance))
	}
	return nil, usagef(cmd, "%q is more than one account: %s; name one by id:ID or USERNAME@HOST", sel, strings.Join(ids, ", "))
}

// cutIDPrefix is sel without its "#" or "id:" (any case), and whether it
// had one.
func cutIDPrefix(sel string) (string, bool) {
	if rest, ok := strings.CutPrefix(sel, "#"); ok {
		return rest, true
	}
	if len(sel) >= 3 && strings.EqualFold(sel[:3], "id:") {
		return sel[3:], true
	}
	return sel, false
}

func instanceHost(instance string) string {
	u, err := url.Parse(instance)
	if err != nil {
		return ""
	}
	return u.Host
}

// accountsChange is remove, pause and resume.
func (c *cli) accountsChange(ctx context.Context, loc *storeLoc, f *accountsFlags, sub, sel string) error {
	const cmd = "accounts"
	st, err := c.openStoreOptionalKey(ctx, cmd, loc, f)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := findAccount(ctx, st, sel)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("account %d (%s at %s)", a.ID, a.Username, a.Instance)
	switch sub {
	case "remove":
		var notErased *store.NotErasedError
		if err := st.Delete(ctx, a.ID); errors.As(err, &notErased) {
			// Deleted all the same: only the write-ahead log's copy
			// waits for the next checkpoint.
			fmt.Fprintf(c.stderr, "rosteron accounts: removed %s; warning: %s\n", name, c.oneLine(notErased.Error()))
			return nil
		} else if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "rosteron accounts: erased %s: its password, roster and state are gone from the store\n", name)
	case "pause":
		if err := st.SetPaused(ctx, a.ID, true, "paused by the operator"); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "rosteron accounts: paused %s: no more refreshes until 'rosteron accounts resume id:%d'\n", name, a.ID)
	case "resume":
		if !a.Paused {
			fmt.Fprintf(c.stderr, "rosteron accounts: %s was not paused\n", name)
			return nil
		}
		if err := st.SetPaused(ctx, a.ID, false, ""); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "rosteron accounts: resumed %s (it was %s)\n", name, or(a.PauseReason, "paused"))
	}
	return nil
}

func (c *cli) accountsRotateKey(ctx context.Context, loc *storeLoc, f *accountsFlags) error {
	const cmd = "accounts"
	dir := loc.dir
	if f.newKeyFile == "" {
		return usagef(cmd, "accounts rotate-key needs --new-key-file PATH, where the new key is written (it must not exist)")
	}
	if _, err := os.Lstat(f.newKeyFile); err == nil {
		return usagef(cmd, "the new key file %s exists already: name a file that does not, so that no key is overwritten", f.newKeyFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking the new key file: %w", err)
	}
	if dir != "" {
		if err := keyOutsideState(cmd, f.newKeyFile, dir); err != nil {
			return err
		}
	}
	if !loc.postgres() && !exists(loc.sqliteFile()) {
		return usagef(cmd, "no store in %s: there is nothing to rotate", dir)
	}
	key, err := c.loadKey(cmd, f.key.keyFile, loc, false)
	if err != nil {
		return err
	}
	st, unlock, err := c.lockForRotate(ctx, loc, key, f.newKeyFile)
	if err != nil {
		return err
	}
	defer st.Close()
	defer unlock()
	next, err := store.NewKey()
	if err != nil {
		return err
	}
	if err := store.WriteKeyFile(f.newKeyFile, next); err != nil {
		return fmt.Errorf("writing the new key: %w; nothing changed", err)
	}
	if err := st.RotateKey(ctx, next); err != nil {
		// The store is as it was, under the old key: the new one opens
		// nothing, and would only mislead.
		_ = os.Remove(f.newKeyFile)
		return fmt.Errorf("re-sealing under the new key failed, so the store is still sealed with the old one: %w", err)
	}
	fmt.Fprintf(c.stderr, "rosteron accounts: every secret in the store is sealed with the new key in %s now: "+
		"give serve --key-file %s (or make it the credential rosteron-key), then destroy the old key; "+
		"the old one opens nothing in the store any more\n", f.newKeyFile, f.newKeyFile)
	return nil
}

// accountInstance is --url as the store keeps instances, once it passed
// the checks every RosterOn address gets (https, or --allow-http) and
// --allow-instance's list, when one is given.
func (c *cli) accountInstance(cmd string, f *accountsFlags) (string, error) {
	instance, err := session.NormalizeURL(f.url)
	if err != nil {
		return "", err
	}
	if err := f.session.checkRosterURL(c, cmd, f.url); err != nil {
		return "", err
	}
	if len(f.allow) > 0 {
		allowed, err := allowedInstances(cmd, f.allow)
		if err != nil {
			return "", err
		}
		if !slices.Contains(allowed, instance) {
			return "", usagef(cmd, "the instance %s is not one of --allow-instance's", instance)
		}
	}
	return instance, nil
}
