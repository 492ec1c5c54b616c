package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// maxImportFile bounds the accounts file import reads: about a hundred
// thousand lines.
const maxImportFile = 16 << 20

// maxImportErrors is how many of a file's faulty lines are named.
const maxImportErrors = 20

// importLine is one account of the file import reads.
type importLine struct {
	line               int
	username, password string
}

// readImportFile reads the accounts of an import: CSV records of
// 'username,password', one a line, a first line 'username,password' (a
// header) skipped, as are blank lines and those starting with #. A
// password holding a comma, a double quote or a leading space is written
// in double quotes, CSV's way. Any faulty line fails the whole file, each
// named by its number, never by what it holds.
func readImportFile(ctx context.Context, cmd string, r io.Reader, name string) ([]importLine, error) {
	data, err := readAll(ctx, r, maxImportFile, false)
	if errors.Is(err, errTooLong) {
		return nil, usagef(cmd, "the accounts file %s is larger than %d MiB: import it in parts", name, maxImportFile>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the accounts file %s: %w", name, err)
	}
	cr := csv.NewReader(strings.NewReader(string(data)))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	var (
		out   []importLine
		bad   []string
		seen  = map[string]int{}
		first = true
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// What follows a broken quote cannot be read reliably: stop.
			bad = append(bad, fmt.Sprintf("line %d: %v (a password holding a comma or a double quote is written "+
				`in double quotes, with each of its double quotes doubled: "pa,ss""word")`, pe.Line, pe.Err))
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the accounts file %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) == 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "username") &&
				strings.EqualFold(strings.TrimSpace(rec[1]), "password") {
				continue
			}
		}
		if len(rec) != 2 {
			bad = append(bad, fmt.Sprintf("line %d: %d fields, want 2: username,password (a password holding a comma "+
				"is written in double quotes)", line, len(rec)))
			continue
		}
		u, pw := strings.TrimSpace(rec[0]), rec[1]
		switch {
		case u == "":
			bad = append(bad, fmt.Sprintf("line %d: no username", line))
		case len(u) > 256 || strings.ContainsAny(u, "\r\n\x00"):
			bad = append(bad, fmt.Sprintf("line %d: not a username", line))
		case pw == "":
			bad = append(bad, fmt.Sprintf("line %d: no password for %s", line, u))
		case strings.ContainsAny(pw, "\r\n\x00") || len(pw) > 1024:
			bad = append(bad, fmt.Sprintf("line %d: the password of %s is not one line", line, u))
		default:
			key := strings.ToLower(u)
			if was, dup := seen[key]; dup {
				bad = append(bad, fmt.Sprintf("line %d: %s again (line %d has it)", line, u, was))
				continue
			}
			seen[key] = line
			out = append(out, importLine{line: line, username: u, password: pw})
		}
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > maxImportErrors {
			more = fmt.Sprintf("; and %d more", len(bad)-maxImportErrors)
			bad = bad[:maxImportErrors]
		}
		return nil, usagef(cmd, "nothing imported: the accounts file %s has faulty lines: %s%s", name, strings.Join(bad, "; "), more)
	}
	if len(out) == 0 {
		return nil, usagef(cmd, "nothing to import: the accounts file %s has no 'username,password' line", name)
	}
	return out, nil
}

// importHost is the host name of an instance's address, as the service
// names its places and turns: without a port.
func importHost(instance string) string {
	u, err := url.Parse(instance)
	if err != nil || u.Hostname() == "" {
		return instance
	}
	return u.Hostname()
}

// importTurn takes, for one check's login, one of host's places (the
// service's "sessions HOST", service.DefaultPerHost of them, leased for
// lease), waiting importGap between tries while the host is full, then
// its next login turn (the service's "logins HOST", importGap apart),
// waiting for it. release frees the place.
func importTurn(ctx context.Context, st store.Store, host string, lease time.Duration) (release func(), err error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	name, holder := "sessions "+host, "import "+hex.EncodeToString(b)
	var slot int
	for {
		var ok bool
		slot, ok, err = st.TakeSlot(ctx, name, service.DefaultPerHost, holder, lease)
		if err != nil {
			return nil, fmt.Errorf("asking the store for a place on %s: %w", host, err)
		}
		if ok {
			break
		}
		if err := waitFor(ctx, importGap); err != nil {
			return nil, err
		}
	}
	release = func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = st.ReleaseSlot(ctx, name, slot, holder) // else free once its lease ends
	}
	at, err := st.NextTurn(ctx, "logins "+host, importGap)
	if err == nil {
		err = waitFor(ctx, time.Until(at))
	}
	if err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// waitFor waits d, or until ctx ends (its error).
func waitFor(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// importGap is the least time between two checks' logins of an import,
// as serve's --login-gap spaces its logins to one host.
var importGap = service.DefaultLoginGap

func (c *cli) accountsImport(ctx context.Context, loc *storeLoc, f *accountsFlags, file string) error {
	const cmd = "accounts"
	if f.url == "" {
		return usagef(cmd, "accounts import needs --url, the RosterOn Mobile address of the accounts in the file")
	}
	instance, err := c.accountInstance(cmd, f)
	if err != nil {
		return err
	}
	var zone *time.Location
	if f.tz != "" {
		if zone, err = time.LoadLocation(f.tz); err != nil {
			return usagef(cmd, "invalid --tz %q: want an IANA time zone name such as Australia/Melbourne or UTC", f.tz)
		}
	}
	public, err := parsePublicURL(cmd, f.publicURL)
	if err != nil {
		return err
	}
	if f.addressesOut != "" {
		if _, err := os.Lstat(f.addressesOut); err == nil {
			return usagef(cmd, "--addresses-out %s exists already: name a new file, so that no manage code "+
				"written before is lost", f.addressesOut)
		}
	}
	var in io.Reader
	name := file
	if file == "-" {
		if c.stdinIsTerminal() {
			return usagef(cmd, "accounts import - reads the accounts from standard input: pipe the file in")
		}
		in, name = c.stdin, "on standard input"
	} else {
		fh, err := os.Open(file)
		if errors.Is(err, os.ErrNotExist) {
			return usagef(cmd, "no accounts file %s", file)
		}
		if err != nil {
			return fmt.Errorf("opening the accounts file: %w", err)
		}
		defer fh.Close()
		if fi, err := fh.Stat(); err == nil && fi.IsDir() {
			return usagef(cmd, "the accounts file %s is a directory", file)
		}
		c.warnOpenFile("accounts file", file)
		in = fh
	}
	lines, err := readImportFile(ctx, cmd, in, name)
	if err != nil {
		return err
	}
	for _, l := range lines {
		c.addSecrets(l.username, l.password)
	}
	var bopts []browser.Option
	if !f.noCheck {
		if bopts, err = f.session.checkBrowser(c, cmd); err != nil {
			return err
		}
	}
	key, err := c.loadKey(cmd, f.key.keyFile, loc, true)
	if err != nil {
		return err
	}
	st, unlock, err := c.openForAdd(ctx, loc, key)
	if err != nil {
		return err
	}
	defer st.Close()
	defer unlock()

	// The addresses go out as each account is made, so that a crash
	// half-way loses no manage code of an account saved.
	out := c.stdout
	var outFile *os.File
	if f.addressesOut != "" {
		if outFile, err = os.OpenFile(f.addressesOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return fmt.Errorf("--addresses-out: %w", err)
		}
		defer outFile.Close()
		out = outFile
	}
	w := csv.NewWriter(out)
	row := func(fields ...string) error {
		if err := w.Write(fields); err != nil {
			return err
		}
		w.Flush()
		return w.Error()
	}
	if err := row("username", "page", "manage_code"); err != nil {
		return fmt.Errorf("writing the addresses: %w", err)
	}

	var added, kept int
	var failed []string
	// Checks take the place and login turn of their host that serve's
	// refreshes take, in the store (shared by every replica on a
	// database), so that an import respects the fleet's limits.
	host := importHost(instance)
	lease := cmp.Or(f.session.timeout, session.DefaultTimeout) + time.Minute
	for i, l := range lines {
		if ctx.Err() != nil {
			failed = append(failed, fmt.Sprintf("%d not tried (stopped)", len(lines)-i))
			break
		}
		if a, err := st.Find(ctx, instance, l.username); err == nil {
			token, err := st.Token(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("opening the token of account %d: %w", a.ID, err)
			}
			c.addSecrets("", token)
			fmt.Fprintf(c.stderr, "rosteron accounts: line %d: %s has an account already (ID %d): kept as it is\n",
				l.line, c.oneLine(a.Username), a.ID)
			if err := row(a.Username, pageAddress(public, token), ""); err != nil {
				return fmt.Errorf("writing the addresses: %w", err)
			}
			kept++
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var first *snapshot.Snapshot
		if !f.noCheck {
			release, err := importTurn(ctx, st, host, lease)
			if err != nil {
				if ctx.Err() != nil {
					failed = append(failed, fmt.Sprintf("%d not tried (stopped)", len(lines)-i))
					break
				}
				return err
			}
			snap, err := c.getRoster(ctx, flow{url: f.url, username: l.username, password: l.password, flags: &f.session, browser: bopts})
			release()
			if err != nil {
				msg := fmt.Sprintf("line %d: %s not added: %s", l.line, l.username, c.oneLine(err.Error()))
				fmt.Fprintf(c.stderr, "rosteron accounts: %s\n", msg)
				failed = append(failed, fmt.Sprintf("line %d", l.line))
				continue
			}
			first = snap
		}
		a, secrets, err := st.Create(ctx, store.NewAccount{Username: l.username, Instance: instance, Password: l.password, Zone: f.tz})
		if err != nil {
			fmt.Fprintf(c.stderr, "rosteron accounts: line %d: %s not added: %s\n", l.line, c.oneLine(l.username), c.oneLine(err.Error()))
			failed = append(failed, fmt.Sprintf("line %d", l.line))
			continue
		}
		c.addSecrets("", secrets.Token, secrets.Manage)
		if err := row(a.Username, pageAddress(public, secrets.Token), secrets.Manage); err != nil {
			return fmt.Errorf("writing the addresses, after adding account %d (%s): %w", a.ID, a.Username, err)
		}
		added++
		if first != nil {
			fd := feed.New(feed.WithState(store.State{Store: st, ID: a.ID}), feed.WithSource(a.Instance, a.Username),
				feed.WithLocation(zone), feed.WithSecrets(l.password, secrets.Token))
			if _, err := fd.Update(first); err != nil {
				c.errorf("warning: account %d: the roster read is not kept, so its page waits for serve's first refresh: %v", a.ID, err)
			}
		}
	}
	if outFile != nil {
		if err := outFile.Sync(); err != nil {
			return fmt.Errorf("--addresses-out: %w", err)
		}
	}
	where := "above"
	if f.addressesOut != "" {
		where = "in " + f.addressesOut
	}
	fmt.Fprintf(c.stderr, "rosteron accounts: %d added, %d there already, %d not added, to %s; their pages' addresses and "+
		"the new ones' manage codes are %s (the manage codes are shown this once)\n", added, kept, len(lines)-added-kept, instance, where)
	if f.noCheck && added > 0 {
		fmt.Fprintf(c.stderr, "rosteron accounts: --no-check: the passwords were not tried; serve's first refresh of each "+
			"tries it, and pauses an account whose password RosterOn refuses\n")
	}
	if public == nil && added+kept > 0 {
		fmt.Fprintf(c.stderr, "rosteron accounts: the pages' paths are under the address serve is reached at; "+
			"give --public-url to write them whole\n")
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d accounts not added (%s): the others are saved; fix those lines and import the file again "+
			"(the accounts added are kept as they are)", len(lines)-added-kept, len(lines), strings.Join(failed, ", "))
	}
	return nil
}
