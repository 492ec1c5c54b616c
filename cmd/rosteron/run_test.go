package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

// result is what one run of the command printed and returned.
type result struct {
	code   int
	stdout string
	stderr string
}

// runWith runs the command line with env as the whole environment and
// stdin as standard input.
func runWith(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runCtx(ctx, env, strings.NewReader(stdin), args...)
}

func runCtx(ctx context.Context, env map[string]string, stdin io.Reader, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, stdin, &stdout, &stderr, func(k string) string { return env[k] })
	return result{code, stdout.String(), stderr.String()}
}

func cmd(args ...string) []string { return args }

// assertOneErrorLine checks the error convention: stderr is exactly one
// "rosteron: " line, and nothing went to stdout.
func assertOneErrorLine(t *testing.T, r result) {
	t.Helper()
	assert.Empty(t, r.stdout, "stdout")
	assert.Regexp(t, `^rosteron: [^\n]+\n$`, r.stderr)
}

const goodURL = "https://rosteron.example.com/RosterOnProd/Mobile"

var withPassword = map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55"}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		in   string
		args []string
		want string // in the error line
	}{
		{"unknown command", nil, "", cmd("rooster"), `unknown command "rooster" (see 'rosteron help')`},
		{"unknown top-level flag", nil, "", cmd("--verbose"), "unknown flag --verbose"},
		{"top-level password flag", nil, "", cmd("--password=hunter2", "roster"), "there is no --password flag"},
		{"help for unknown command", nil, "", cmd("help", "rooster"), `unknown command "rooster"`},
		{"version with arguments", nil, "", cmd("version", "now"), "version takes no arguments"},

		{"roster missing url", nil, "", cmd("roster", "--username", "joe"), "missing --url (or ROSTERON_URL)"},
		{"roster relative url", nil, "", cmd("roster", "--url", "rosteron.example.com", "--username", "joe"), "invalid RosterOn URL"},
		{"roster ftp url", nil, "", cmd("roster", "--url", "ftp://rosteron.example.com/", "--username", "joe"), "invalid RosterOn URL"},
		{"roster bad url from env", map[string]string{"ROSTERON_URL": "/RosterOnProd/Mobile"}, "", cmd("roster", "--username", "joe"), "invalid RosterOn URL"},
		{"roster missing username", nil, "", cmd("roster", "--url", goodURL), "missing --username (or ROSTERON_USERNAME)"},
		{"roster bad format", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--format", "xml"), `invalid --format "xml": want table, json, ics or csv`},
		{"roster bad zone", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--tz", "Australia/Melborne"), `invalid --tz "Australia/Melborne": want an IANA time zone name`},
		{"roster output in no directory", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--output", "/nonexistent/roster.ics"), "invalid --output /nonexistent/roster.ics: there is no directory /nonexistent"},
		{"roster unknown flag", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--colour"), "unknown flag --colour (see 'rosteron roster --help')"},
		{"roster flag without value", withPassword, "", cmd("roster", "--url", goodURL, "--username"), "flag --username needs a value"},
		{"roster bad timeout", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--timeout", "soon"), `invalid value "soon" for flag --timeout`},
		{"roster zero timeout", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--timeout", "0s"), "invalid --timeout 0s"},
		{"roster no password", nil, "", cmd("roster", "--url", goodURL, "--username", "joe"), "no password: give a file with --password-file, pipe it in with --password-stdin, set ROSTERON_PASSWORD, or run in a terminal to be asked for it"},
		{"roster empty password on stdin", nil, "\n", cmd("roster", "--url", goodURL, "--username", "joe", "--password-stdin"), "--password-stdin: no password"},
		{"roster no stdin", nil, "", cmd("roster", "--url", goodURL, "--username", "joe", "--password-stdin"), "--password-stdin: no password"},
		{"roster bad browser", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--browser", "chrome:9222"), `invalid --browser "chrome:9222"`},
		{"roster bad browser from env", map[string]string{"ROSTERON_PASSWORD": "x", "ROSTERON_BROWSER": "localhost:9222"}, "", cmd("roster", "--url", goodURL, "--username", "joe"), `invalid --browser "localhost:9222"`},
		{"roster no sandbox for a remote browser", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--browser", "ws://127.0.0.1:9222", "--no-sandbox"), "--no-sandbox is for a Chrome that rosteron starts"},
		{"roster bad ROSTERON_NO_SANDBOX", map[string]string{"ROSTERON_PASSWORD": "x", "ROSTERON_NO_SANDBOX": "sometimes"}, "", cmd("roster", "--url", goodURL, "--username", "joe"), `invalid ROSTERON_NO_SANDBOX "sometimes": want 1 or 0`},
		{"roster bad chrome", withPassword, "", cmd("roster", "--url", goodURL, "--username", "joe", "--chrome", "/nonexistent/chrome"), `invalid --chrome "/nonexistent/chrome"`},

		{"demo argument", nil, "", cmd("demo", "now"), `demo takes no arguments, only flags (got "now")`},
		{"demo bad format", nil, "", cmd("demo", "--format=yaml"), `invalid --format "yaml"`},
		{"demo bad timeout", nil, "", cmd("demo", "--timeout=-1s"), "invalid --timeout -1s"},

		{"parse no file", nil, "", cmd("parse"), "parse takes one FILE, or - for standard input (got 0 arguments)"},
		{"parse two files", nil, "", cmd("parse", "a.html", "b.html"), "(got 2 arguments)"},
		{"parse bad format", nil, "", cmd("parse", "-", "--format", "yaml"), `invalid --format "yaml": want table, json, ics or csv`},
		{"parse bad zone", nil, "", cmd("parse", "-", "--tz", "Mars/Olympus_Mons"), `invalid --tz "Mars/Olympus_Mons"`},
		{"parse empty zone value", nil, "", cmd("parse", "-", "--tz"), "flag --tz needs a value"},
		{"parse calendar name without ics", nil, "", cmd("parse", "-", "--format", "csv", "--calendar-name", "Shifts"), "--calendar-name goes with --format ics only"},
		{"parse output is a directory", nil, "", cmd("parse", "-", "--output", os.TempDir()), "it is a directory"},
		{"parse format without value", nil, "", cmd("parse", "-", "--format"), "flag --format needs a value"},
		{"parse roster flag", nil, "", cmd("parse", "-", "--url", goodURL), "unknown flag --url (see 'rosteron parse --help')"},

		{"diff no files", nil, "", cmd("diff"), "diff takes two files, OLD and NEW (got 0 arguments)"},
		{"diff one file", nil, "", cmd("diff", "old.json"), "(got 1 arguments)"},
		{"diff three files", nil, "", cmd("diff", "a", "b", "c"), "(got 3 arguments)"},
		{"diff stdin twice", nil, "", cmd("diff", "-", "-"), "only one of OLD and NEW can be -"},
		{"diff bad format", nil, "", cmd("diff", "a", "b", "--format", "csv"), `invalid --format "csv": want text or json (see 'rosteron diff --help')`},
		{"diff bad zone", nil, "", cmd("diff", "a", "b", "--tz", "Nowhere"), `invalid --tz "Nowhere"`},
		{"diff unknown flag", nil, "", cmd("diff", "a", "b", "--output", "x"), "unknown flag --output"},

		{"mock argument", nil, "", cmd("mock", "now"), "mock takes no arguments"},
		{"mock bad fault", nil, "", cmd("mock", "--fault", "proxy403,gremlins"), `invalid --fault "proxy403,gremlins": want some of Proxy403, OtherValidation`},
		{"mock negative latency", nil, "", cmd("mock", "--latency", "-1s"), "invalid --latency -1s"},
		{"mock bad addr", nil, "", cmd("mock", "--addr", "8080"), `invalid --addr "8080"`},
		{"mock negative shifts", nil, "", cmd("mock", "--shifts", "-1"), "invalid --shifts -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, tc.env, tc.in, tc.args...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "s3cret-Pa55")
		})
	}
}

// A password typed as a flag is refused, and never repeated back.
func TestPasswordFlagRejectedWithoutEcho(t *testing.T) {
	for _, args := range [][]string{
		cmd("roster", "--url", goodURL, "--username", "joe", "--password=hunter2"),
		cmd("roster", "--url", goodURL, "--username", "joe", "--password", "hunter2"),
		cmd("roster", "-password=hunter2", "--url", goodURL),
		cmd("roster", "--password", "hunter2", "--username", "joe"),
		cmd("--password=hunter2"),
		cmd("roster", "--url", goodURL, "--username", "joe", "hunter2"),
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runWith(t, nil, "", args...)
			assert.Equal(t, exitUsage, r.code)
			assertOneErrorLine(t, r)
			assert.NotContains(t, r.stderr, "hunter2")
		})
	}
	r := runWith(t, nil, "", "roster", "--password=hunter2")
	assert.Contains(t, r.stderr, "ROSTERON_PASSWORD")
	assert.Contains(t, r.stderr, "--password-stdin")
	assert.Contains(t, r.stderr, "prompt")
}

func TestNoCommand(t *testing.T) {
	r := runWith(t, nil, "")
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Commands:")
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{cmd("help"), mainUsage},
		{cmd("--help"), mainUsage},
		{cmd("help", "--help"), mainUsage},
		{cmd("-h"), mainUsage},
		{cmd("-help"), mainUsage},
		{cmd("help", "roster"), rosterUsage},
		{cmd("roster", "--help"), rosterUsage},
		{cmd("roster", "-h"), rosterUsage},
		// Help wins over everything else on the line, even missing or bad flags.
		{cmd("roster", "--url", "ftp://x", "--help"), rosterUsage},
		{cmd("help", "demo"), demoUsage},
		{cmd("demo", "--help"), demoUsage},
		{cmd("help", "parse"), parseUsage},
		{cmd("parse", "--help"), parseUsage},
		{cmd("parse", "page.html", "-h"), parseUsage},
		{cmd("help", "diff"), diffUsage},
		{cmd("diff", "--help"), diffUsage},
		{cmd("diff", "a.json", "b.json", "--tz", "Nowhere", "-h"), diffUsage},
		{cmd("help", "serve"), serveUsage},
		{cmd("serve", "--help"), serveUsage},
		{cmd("serve", "--refresh", "soon", "-h"), serveUsage},
		{cmd("help", "mock"), mockUsage()},
		{cmd("mock", "--help"), mockUsage()},
		{cmd("mock", "-help=true"), mockUsage()},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runWith(t, nil, "", tc.args...)
			assert.Equal(t, exitOK, r.code)
			assert.Equal(t, tc.want, r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

// The help texts fit 80 columns, and each documents exactly the flags its
// command has.
func TestHelpTexts(t *testing.T) {
	flagsOf := map[string]func() *flag.FlagSet{
		"roster": func() *flag.FlagSet {
			fs := newFlagSet("roster")
			new(sessionFlags).register(fs)
			fs.String("url", "", "")
			fs.String("username", "", "")
			new(passwordFlags).register(fs)
			return fs
		},
		"sync": func() *flag.FlagSet {
			fs := newFlagSet("sync")
			new(syncFlags).register(fs)
			return fs
		},
		"demo": func() *flag.FlagSet {
			fs := newFlagSet("demo")
			new(sessionFlags).register(fs)
			return fs
		},
		"parse": func() *flag.FlagSet {
			fs := newFlagSet("parse")
			new(outputFlags).register(fs)
			return fs
		},
		"diff": func() *flag.FlagSet {
			fs := newFlagSet("diff")
			fs.String("format", "", "")
			fs.String("tz", "", "")
			return fs
		},
		"serve": func() *flag.FlagSet {
			fs := newFlagSet("serve")
			new(serveFlags).register(fs)
			return fs
		},
		"accounts": func() *flag.FlagSet {
			fs := newFlagSet("accounts")
			new(keyFlags).register(fs)
			new(dbFlags).register(fs)
			return fs
		},
		"address": func() *flag.FlagSet {
			fs := newFlagSet("address")
			fs.String("state", "", "")
			return fs
		},
		"chrome": func() *flag.FlagSet {
			fs := newFlagSet("chrome")
			fs.String("addr", "", "")
			fs.String("token-file", "", "")
			fs.String("chrome", "", "")
			fs.Bool("no-sandbox", false, "")
			return fs
		},
		"google-auth": func() *flag.FlagSet { fs := newFlagSet("google-auth"); googleAuthFlags(fs); return fs },
		"healthcheck": func() *flag.FlagSet {
			fs := newFlagSet("healthcheck")
			fs.Duration("timeout", 0, "")
			fs.String("token-file", "", "")
			return fs
		},
		"mock": func() *flag.FlagSet {
			fs := newFlagSet("mock")
			for _, n := range []string{"addr", "base-path", "fault", "latency", "realistic", "scripts", "shifts",
				"users", "users-seed", "users-out"} {
				fs.String(n, "", "")
			}
			return fs
		},
	}
	documented := regexp.MustCompile(`(?m)^  (?:-h, )?--([a-z-]+)`)
	for _, c := range append([]*command{{name: "", usage: mainUsage}}, commands...) {
		for i, line := range strings.Split(c.usage, "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, "%s help line %d: %q", c.name, i+1, line)
		}
		if c.name == "" {
			continue
		}
		var want []string
		flagsOf[c.name]().VisitAll(func(f *flag.Flag) { want = append(want, f.Name) })
		want = append(want, "help")
		var got []string
		for _, m := range documented.FindAllStringSubmatch(c.usage, -1) {
			got = append(got, m[1])
		}
		assert.ElementsMatch(t, want, got, "flags documented in %s's help", c.name)
		assert.True(t, strings.HasPrefix(c.usage, "Usage: rosteron "+c.name), c.name)
		assert.Contains(t, mainUsage, "\n  "+c.name+" ", "main usage lists %s", c.name)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		r := runWith(t, nil, "", arg)
		assert.Equal(t, exitOK, r.code)
		assert.Regexp(t, `^rosteron \S+\n$`, r.stdout)
		assert.Empty(t, r.stderr)
	}
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	assert.Equal(t, "rosteron v1.2.3\n", runWith(t, nil, "", "--version").stdout)
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		format  string
		stdin   bool
		timeout time.Duration
	}{
		{cmd(), nil, "table", false, time.Minute},
		{cmd("page.html"), cmd("page.html"), "table", false, time.Minute},
		{cmd("page.html", "--format", "json"), cmd("page.html"), "json", false, time.Minute},
		{cmd("--format", "json", "page.html"), cmd("page.html"), "json", false, time.Minute},
		{cmd("-format=json", "page.html"), cmd("page.html"), "json", false, time.Minute},
		{cmd("a", "--format=json", "b", "-timeout", "2s", "c"), cmd("a", "b", "c"), "json", false, 2 * time.Second},
		{cmd("--stdin", "a"), cmd("a"), "table", true, time.Minute},
		{cmd("a", "--stdin=false"), cmd("a"), "table", false, time.Minute},
		{cmd("-", "--format", "json"), cmd("-"), "json", false, time.Minute},
		{cmd("--format", "json", "--", "--stdin", "-x"), cmd("--stdin", "-x"), "json", false, time.Minute},
		// A value that looks like a flag is still the value.
		{cmd("--format", "--", "a"), cmd("a"), "--", false, time.Minute},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := newFlagSet("test")
			format := fs.String("format", "table", "")
			stdin := fs.Bool("stdin", false, "")
			timeout := fs.Duration("timeout", time.Minute, "")
			pos, err := parseArgs("test", fs, tc.args)
			require.NoError(t, err)
			assert.Equal(t, tc.pos, pos)
			assert.Equal(t, tc.format, *format)
			assert.Equal(t, tc.stdin, *stdin)
			assert.Equal(t, tc.timeout, *timeout)
		})
	}
	fs := newFlagSet("test")
	fs.Bool("stdin", false, "")
	_, err := parseArgs("test", fs, cmd("a", "--help", "--nope"))
	assert.ErrorIs(t, err, errHelp)
	_, err = parseArgs("test", fs, cmd("a", "--nope=secret"))
	assert.EqualError(t, err, "unknown flag --nope (see 'rosteron test --help')")
	_, err = parseArgs("test", fs, cmd("--stdin=maybe"))
	assert.ErrorContains(t, err, `invalid boolean value "maybe" for --stdin`)
}

// writePage saves a rendered roster page with a known modification time.
func writePage(t *testing.T, items []snapshot.Item, mtime time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&buf, items))
	path := filepath.Join(t.TempDir(), "roster.html")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	return path
}

var (
	melbourne = time.FixedZone("AEST", 10*3600)
	mtime     = time.Date(2019, time.June, 10, 18, 3, 12, 0, melbourne)
	demoItems = mockserver.DemoRoster(mtime)
)

func TestParseJSON(t *testing.T) {
	path := writePage(t, demoItems, mtime)
	for _, args := range [][]string{
		cmd("parse", path, "--format", "json"),
		cmd("parse", "--format=json", path),
		cmd("parse", "-format", "json", "--", path),
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			r := runWith(t, nil, "", args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			var snap snapshot.Snapshot
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
			assert.Equal(t, demoItems, snap.Items)
			assert.Equal(t, mtime.UTC(), snap.Time)
			assert.True(t, strings.HasPrefix(r.stdout, "{\n  \"time\": \"2019-06-10T08:03:12Z\",\n"), r.stdout[:40])
		})
	}
}

func TestParseTable(t *testing.T) {
	path := writePage(t, demoItems, mtime)
	r := runWith(t, nil, "", "parse", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	// The heading is in local time, which the test does not control.
	assert.Regexp(t, `^Roster as of \w{3} \d\d \w{3} 2019 \d\d:\d\d \S+: 32 shifts$`, lines[0])
	// At 80 columns the demo roster's titles and roles are headings.
	assert.Equal(t, "Ward 4B - Royal Melbourne · Registered Nurse Div 1", lines[2])
	assert.Regexp(t, `^  \w{3} \d\d \w{3}  07:00–15:30 +Day Shift$`, lines[3])
	assert.Contains(t, r.stdout, "! BLOGGS, JOE: Minimum 10 hours between Allocations")
	assert.NotContains(t, r.stdout, "…", "nothing cut short")
	for i, line := range lines {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, "line %d", i+1)
	}
}

func TestParseEmptyRoster(t *testing.T) {
	path := writePage(t, nil, mtime)
	r := runWith(t, nil, "", "parse", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^Roster as of .*: no shifts\n$`, r.stdout)

	r = runWith(t, nil, "", "parse", path, "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "{\n  \"time\": \"2019-06-10T08:03:12Z\",\n  \"items\": []\n}\n", r.stdout)
}

func TestParseStdin(t *testing.T) {
	var page bytes.Buffer
	require.NoError(t, mockserver.RenderRoster(&page, demoItems))
	before := time.Now().UTC().Add(-time.Second)
	r := runWith(t, nil, page.String(), "parse", "-", "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
	assert.Equal(t, demoItems, snap.Items)
	assert.WithinRange(t, snap.Time, before, time.Now().Add(time.Second))
	assert.Equal(t, time.UTC, snap.Time.Location())
}

func TestParseNotARoster(t *testing.T) {
	dir := t.TempDir()
	login := filepath.Join(dir, "login.html")
	require.NoError(t, os.WriteFile(login, []byte(`<!DOCTYPE html><html><body><div data-role="page" id="account-login"><div data-role="content"><form></form></div></div></body></html>`), 0o600))
	proxy := filepath.Join(dir, "proxy.html")
	require.NoError(t, os.WriteFile(proxy, []byte("<html><body><h1>403 Forbidden</h1></body></html>"), 0o600))
	malformed := filepath.Join(dir, "malformed.html")
	require.NoError(t, os.WriteFile(malformed, []byte(`<div data-role="page" id="roster-list"><div data-role="content"><ul data-role="listview"><li data-role="list-divider">Tue 32/06/2019 - X</li></ul></div></div>`), 0o600))

	for _, path := range []string{login, proxy, malformed} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r := runWith(t, nil, "", "parse", path)
			assert.Equal(t, exitBadResponse, r.code)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, "rosteron: "+path+": snapshot: ")
		})
	}
	r := runWith(t, nil, "<p>hello</p>", "parse", "-")
	assert.Equal(t, exitBadResponse, r.code)
	assert.Contains(t, r.stderr, "rosteron: standard input: snapshot: not a roster page")
}

func TestParseUnreadable(t *testing.T) {
	r := runWith(t, nil, "", "parse", filepath.Join(t.TempDir(), "missing.html"))
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "no such file or directory")

	r = runWith(t, nil, "", "parse", t.TempDir())
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "is a directory")
}

// A signal while parse waits on a standard input that never ends stops it,
// with the shell's exit status for the signal.
func TestParseInterrupted(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(50*time.Millisecond, func() { cancel(&signalError{syscall.SIGTERM}) })
	r := runCtx(ctx, nil, pr, "parse", "-")
	assert.Equal(t, 143, r.code)
	assert.Equal(t, "rosteron: terminated\n", r.stderr)
	assert.Empty(t, r.stdout)
}

func TestReadPasswordLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"s3cret\n", "s3cret"},
		{"s3cret\r\n", "s3cret"},
		{"s3cret", "s3cret"},
		{"  spaced out  \nsecond line\n", "  spaced out  "},
		{"p\u00e4ss\r\n", "p\u00e4ss"},
	}
	for _, tc := range tests {
		got, err := readPasswordLine(context.Background(), strings.NewReader(tc.in))
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	// Only the first line is read: the rest stays for whoever reads next.
	in := strings.NewReader("s3cret\nrest")
	_, err := readPasswordLine(context.Background(), in)
	require.NoError(t, err)
	rest, _ := io.ReadAll(in)
	assert.Equal(t, "rest", string(rest))

	for _, in := range []string{"", "\n", "\r\n"} {
		_, err := readPasswordLine(context.Background(), strings.NewReader(in))
		var usage *usageError
		assert.ErrorAs(t, err, &usage, "%q", in)
	}
	_, err = readPasswordLine(context.Background(), strings.NewReader(strings.Repeat("x", maxPasswordLine+1)))
	assert.ErrorIs(t, err, errTooLong)
}

func TestExitCodes(t *testing.T) {
	background := context.Background()
	interrupted, cancel := context.WithCancelCause(background)
	cancel(&signalError{os.Interrupt})
	terminated, cancel := context.WithCancelCause(background)
	cancel(&signalError{syscall.SIGTERM})
	_, urlErr := session.New("ftp://example.com")
	_, parseErr := snapshot.Parse(strings.NewReader("<p>not a roster</p>"))

	tests := []struct {
		name string
		ctx  context.Context
		err  error
		code int
	}{
		{"nil", background, nil, 0},
		{"other", background, errors.New("disk full"), 1},
		{"usage", background, usagef("roster", "missing --url"), 2},
		{"invalid url", background, urlErr, 2},
		{"no chrome", background, browser.ErrNoChrome, 1},
		{"no chrome for the session", background, &session.BrowserError{Purpose: session.StepBrowser, Err: browser.ErrNoChrome}, 1},
		{"devtools token refused", background, &session.BrowserError{Purpose: session.StepBrowser, Err: fmt.Errorf("%w (401)", browser.ErrUnauthorized)}, 2},
		{"chrome could not start", background, &session.BrowserError{Purpose: session.StepBrowser, Err: errors.New("starting Chrome /usr/bin/chromium: exit status 1")}, 6},
		{"chrome slow to start", background, &session.BrowserError{Purpose: session.StepBrowser, Err: context.DeadlineExceeded}, 6},
		{"chrome crashed", background, &session.BrowserError{Purpose: session.PurposeRoster, Err: fmt.Errorf("%w (did Chrome exit?)", browser.ErrTabGone)}, 6},
		{"session closed", background, &session.BrowserError{Purpose: session.PurposeRoster, Err: session.ErrClosed}, 6},
		{"page too large is RosterOn's", background, &session.BadResponseError{Purpose: session.PurposeRoster, Err: &browser.PageSizeError{URL: "https://x/", Limit: 1 << 20, Size: 2 << 20}}, 4},
		{"bad credentials", background, &session.BadCredentialsError{Username: "joe"}, 3},
		{"login refused", background, &session.LoginRefusedError{Username: "joe", Message: "The account is locked out."}, 3},
		{"login refused, wrapped", background, fmt.Errorf("logging in: %w", &session.LoginRefusedError{Username: "joe", Message: "x"}), 3},
		{"another origin", background, &session.BadResponseError{Purpose: session.PurposeHome, Err: &browser.OriginError{URL: "http://b.example/", Method: "POST"}}, 4},
		{"bad response", background, &session.BadResponseError{Purpose: session.PurposeLogin, Reason: "HTTP 404"}, 4},
		{"timeout", background, &session.BadResponseError{Purpose: session.PurposeRoster, Err: context.DeadlineExceeded}, 4},
		{"bare deadline", background, fmt.Errorf("x: %w", context.DeadlineExceeded), 4},
		{"not a roster page", background, &pageError{"x.html", parseErr}, 4},
		{"not logged in", background, &session.NotLoggedInError{Detail: "RosterOn ended the session"}, 5},
		{"noted keeps its code", background, &notedError{&session.BadCredentialsError{Username: "joe"}, "logs saved"}, 3},
		{"interrupted", interrupted, &session.BadResponseError{Purpose: session.PurposeLogin, Err: context.Canceled}, 130},
		{"terminated", terminated, &session.BadCredentialsError{Username: "joe"}, 143},
		{"interrupted but done", interrupted, nil, 0},
		{"rosters differ", background, errDiffer, 1},
		{"diff trouble", background, &statusError{&pageError{"x.html", parseErr}, diffTrouble}, 2},
		{"diff trouble, unreadable", background, &statusError{os.ErrNotExist, diffTrouble}, 2},
		{"diff interrupted", terminated, &statusError{context.Canceled, diffTrouble}, 143},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, exitCode(tc.ctx, tc.err))
		})
	}
}

func TestErrorLine(t *testing.T) {
	var stderr bytes.Buffer
	debian := func() system { return system{goos: "linux", ids: []string{"debian"}} }
	c := &cli{stderr: &stderr, password: "s3cret-Pa55", sys: debian}
	code := c.fail(context.Background(), errors.New("page said\n\"s3cret-Pa55\"\tand \x1b[31mred"))
	assert.Equal(t, exitError, code)
	assert.Equal(t, "rosteron: page said \"[REDACTED]\" and \ufffd[31mred\n", stderr.String())

	stderr.Reset()
	code = c.fail(context.Background(), &session.BrowserError{Purpose: session.StepBrowser, Err: browser.ErrNoChrome})
	assert.Equal(t, exitError, code)
	assert.Regexp(t, `^rosteron: no Chrome found: install chromium-headless-shell .*--chrome PATH.*--browser ws://HOST:9222\n$`, stderr.String())

	stderr.Reset()
	code = c.fail(context.Background(), &session.BrowserError{Purpose: session.PurposeRoster, Err: fmt.Errorf("%w (did Chrome exit?)", browser.ErrTabGone)})
	assert.Equal(t, exitBrowser, code)
	assert.Equal(t, "rosteron: the browser failed while reading the roster: the browser tab is gone (did Chrome exit?)\n", stderr.String())

	stderr.Reset()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&signalError{os.Interrupt})
	code = c.fail(ctx, &session.BadResponseError{Purpose: "login", Err: context.Canceled})
	assert.Equal(t, 130, code)
	assert.Equal(t, "rosteron: interrupted\n", stderr.String())

	stderr.Reset()
	code = c.fail(ctx, &notedError{&session.BadResponseError{Purpose: "login", Err: context.Canceled}, "2 log files saved in logs"})
	assert.Equal(t, 130, code)
	assert.Equal(t, "rosteron: interrupted (2 log files saved in logs)\n", stderr.String())
}

// startMock runs "rosteron mock" and returns its base URL, its output so
// far, and a function that stops it and returns its exit status.
func startMock(t *testing.T, args ...string) (string, *bufio.Reader, func(cause error) (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	pr, pw := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"mock"}, args...), strings.NewReader(""), pw, &stderr, func(string) string { return "" })
		pw.Close()
		done <- code
	}()
	out := bufio.NewReader(pr)
	first, err := out.ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	m := regexp.MustCompile(`^rosteron mock serving (http://\S+)\n$`).FindStringSubmatch(first)
	require.NotNil(t, m, "first line %q", first)
	stop := func(cause error) (int, string) {
		cancel(cause)
		go func() { _, _ = io.Copy(io.Discard, out) }()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatal("mock did not stop")
			return -1, ""
		}
	}
	t.Cleanup(func() { cancel(nil) })
	return m[1], out, stop
}

func TestMock(t *testing.T) {
	base, out, stop := startMock(t, "--addr", "127.0.0.1:0", "--base-path", "/Test/Mobile/", "--latency", "1ms")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/Test/Mobile$`, base)
	second, err := out.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "demo login: username joe.bloggs password demo-only-password\n", second)

	resp, err := http.Get(base + "/Account/Login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// SIGINT is how a person stops the mock: a clean exit.
	code, stderr := stop(&signalError{os.Interrupt})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "rosteron mock: stopped")
}

func TestMockAllInterfacesAndFaults(t *testing.T) {
	base, _, stop := startMock(t, "--addr=:0", "--fault", "proxy403")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/RosterOnProd/Mobile$`, base)
	resp, err := http.Get(base + "/Account/Login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	code, stderr := stop(&signalError{syscall.SIGTERM})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "faults Proxy403")
}

func TestMockBaseURL(t *testing.T) {
	tcp := &net.TCPAddr{IP: net.IPv6unspecified, Port: 43210}
	for addr, want := range map[string]string{
		":0":             "http://127.0.0.1:43210/RosterOnProd/Mobile",
		"0.0.0.0:0":      "http://0.0.0.0:43210/RosterOnProd/Mobile",
		"127.0.0.1:8080": "http://127.0.0.1:43210/RosterOnProd/Mobile",
		"localhost:0":    "http://localhost:43210/RosterOnProd/Mobile",
		"[::1]:0":        "http://[::1]:43210/RosterOnProd/Mobile",
	} {
		assert.Equal(t, want, baseURL(addr, tcp, "/RosterOnProd/Mobile"), addr)
	}
	assert.Equal(t, "http://127.0.0.1:43210", baseURL(":0", tcp, ""))
}

func TestMockAddressInUse(t *testing.T) {
	base, _, stop := startMock(t, "--addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(strings.TrimSuffix(base, mockserver.DefaultBasePath), "http://")
	r := runWith(t, nil, "", "mock", "--addr", addr)
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "address already in use")
	code, _ := stop(&signalError{os.Interrupt})
	assert.Equal(t, exitOK, code)
}

func TestMockRealisticWithoutItsPackagesSaysWhatToInstall(t *testing.T) {
	r := runWith(t, nil, "", "mock", "--addr", "127.0.0.1:0", "--realistic", "--scripts", t.TempDir())
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "apt-get install libjs-jquery libjs-jquery-migrate-1 libjs-jquery-mobile")
}

func TestMockRealisticAndShifts(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"jquery/jquery.min.js", "jquery-migrate-1.min.js", "jquery-mobile/jquery.mobile.min.js", "jquery-mobile/jquery.mobile.min.css"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("/* "+name+" */"), 0o644))
	}
	base, _, stop := startMock(t, "--addr", "127.0.0.1:0", "--realistic", "--scripts", dir, "--shifts", "124")
	resp, err := http.Get(base + "/Account/Login")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(page), "/bundles/jquerymobile?v=")
	code, stderr := stop(&signalError{os.Interrupt})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "realistic pages")
}

// A login page that comes back with any validation message, reworded or
// localised, is a refused login: exit 3, the message quoted, as for a
// bad password, so that nobody retries into a lock-out.
func TestRefusedLoginExitsThree(t *testing.T) {
	needChrome(t)
	for _, tt := range []struct {
		fault mockserver.Fault
		msg   string
	}{
		{mockserver.FaultAccountLocked, "locked out"},
		{mockserver.FaultFrenchValidation, "Échec de l'ouverture de session"},
	} {
		t.Run(tt.fault.String(), func(t *testing.T) {
			mock := mockserver.New(mockserver.WithFault(tt.fault))
			ts := httptest.NewServer(mock)
			defer ts.Close()
			env := chromeEnv(map[string]string{
				"ROSTERON_URL":      ts.URL + mock.BasePath(),
				"ROSTERON_USERNAME": mockserver.DemoUsername,
				"ROSTERON_PASSWORD": mockserver.DemoPassword,
			})
			r := runWith(t, env, "", "roster", "--format", "json", "--timeout", "30s")
			assert.Equal(t, exitBadCredentials, r.code, r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, "RosterOn refused the login for username 'joe.bloggs'")
			assert.Contains(t, r.stderr, tt.msg)
			assert.NotContains(t, r.stderr, mockserver.DemoPassword)
		})
	}
}
