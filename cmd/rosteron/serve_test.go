package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

const goodToken = "0123456789abcdef0123456789abcdef"

func TestServeUsageErrors(t *testing.T) {
	base := []string{"serve", "--url", goodURL, "--username", "joe", "--state", t.TempDir()}
	with := func(args ...string) []string { return append(append([]string(nil), base...), args...) }
	tokenEnv := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": "short-token"}
	tests := []struct {
		name string
		env  map[string]string
		in   string
		args []string
		want string
	}{
		{"missing url", withPassword, "", cmd("serve", "--username", "joe"), "missing --url (or ROSTERON_URL)"},
		{"bad url", withPassword, "", cmd("serve", "--url", "rosteron.example.com", "--username", "joe"), "invalid RosterOn URL"},
		{"missing username", withPassword, "", cmd("serve", "--url", goodURL), "missing --username (or ROSTERON_USERNAME)"},
		{"argument", withPassword, "", with("s3cret-Pa55"), "serve takes no arguments, only flags (got 1) (see 'rosteron serve --help')"},
		{"zero refresh", withPassword, "", with("--refresh", "0s"), "invalid --refresh 0s: want a positive duration"},
		{"negative refresh", withPassword, "", with("--refresh=-5m"), "invalid --refresh -5m0s"},
		{"bad refresh", withPassword, "", with("--refresh", "hourly"), `invalid value "hourly" for flag --refresh`},
		{"bad addr", withPassword, "", with("--addr", "8765"), `invalid --addr "8765"`},
		{"bad zone", withPassword, "", with("--tz", "Mars/Olympus_Mons"), `invalid --tz "Mars/Olympus_Mons"`},
		{"bad timeout", withPassword, "", with("--timeout", "0s"), "invalid --timeout 0s"},
		{"bad browser", withPassword, "", with("--browser", "chrome:9222"), `invalid --browser "chrome:9222"`},
		{"bad chrome", withPassword, "", with("--chrome", "/nonexistent/chrome"), `invalid --chrome "/nonexistent/chrome"`},
		{"format is not serve's", withPassword, "", with("--format", "ics"), "unknown flag --format (see 'rosteron serve --help')"},
		{"no password", nil, "", with(), "no password: give a file with --password-file"},
		{"empty password on stdin", nil, "\n", with("--password-stdin"), "--password-stdin: no password on the first line of standard input (see 'rosteron serve --help')"},
		{"short token", tokenEnv, "", with(), "invalid ROSTERON_FEED_TOKEN: invalid feed token: 11 characters, want at least 22"},
		{"token with a slash", map[string]string{"ROSTERON_PASSWORD": "x", "ROSTERON_FEED_TOKEN": goodToken + "/x"}, "", with(), "invalid ROSTERON_FEED_TOKEN"},
		{"no home for the state", withPassword, "", cmd("serve", "--url", goodURL, "--username", "joe"), "no --state and no $HOME"},
		{"relative public url", withPassword, "", with("--public-url", "example.org/rota"), `invalid --public-url "example.org/rota"`},
		{"public url with a query", withPassword, "", with("--public-url", "https://example.org/?a=1"), "invalid --public-url"},
		{"notify not http", withPassword, "", with("--notify", "https://ntfy.sh/t", "--notify", "ftp://u:s3cret-Pa55@x/"),
			"--notify #2: invalid notify URL: want http:// or https://"},
		{"notify without a host", withPassword, "", with("--notify", "json+https:///s3cret-Pa55"), "--notify #1: invalid notify URL: no host"},
		{"notify file missing", withPassword, "", with("--notify-file", "/nonexistent/notify"), "--notify-file: open /nonexistent/notify"},
		{"notify file line", withPassword, "", with("--notify-file", notifyFile(t, "# alerts\n\nhttps://ntfy.sh/t\nmailto:s3cret-Pa55\n")),
			"--notify-file line 4: invalid notify URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, tc.env, tc.in, tc.args...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "s3cret-Pa55")
			assert.NotContains(t, r.stderr, "short-token")
		})
	}
}

func notifyFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestDefaultStateDir(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		env  func(string) string
		want string
	}{
		{env("XDG_STATE_HOME", "/var/state", "HOME", "/home/joe"), "/var/state/rosteron"},
		{env("HOME", "/home/joe"), "/home/joe/.local/state/rosteron"},
		{env("XDG_STATE_HOME", "relative", "HOME", "/home/joe"), "/home/joe/.local/state/rosteron"},
	} {
		got, err := defaultStateDir(tc.env)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	_, err := defaultStateDir(env())
	var usage *usageError
	assert.ErrorAs(t, err, &usage)
}

// The help names every file of the state folder that docs/serve.md
// names, so that no one deletes one not knowing what it holds.
func TestServeHelpNamesTheAlertsState(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "", "serve", "--help")
	assert.Contains(t, r.stdout, "alerts' state ("+feed.NotifyFile+")")
	assert.Contains(t, r.stdout, "count ("+feed.GuardFile+")")
	assert.Contains(t, r.stdout, "--retry-login")
}

func TestScrubWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &scrubWriter{w: &buf, secrets: []string{"", "hunter2"}}
	w.add("tok-secret")
	n, err := w.Write([]byte("GET /tok-secret/roster.ics with hunter2\n"))
	require.NoError(t, err)
	assert.Equal(t, len("GET /tok-secret/roster.ics with hunter2\n"), n)
	assert.Equal(t, "GET /[REDACTED]/roster.ics with [REDACTED]\n", buf.String())

	// A notify token that holds the password, added after it, goes whole.
	buf.Reset()
	w.add("ntfy-hunter2-topic")
	_, err = w.Write([]byte("alert to https://ntfy.example/ntfy-hunter2-topic failed\n"))
	require.NoError(t, err)
	assert.Equal(t, "alert to https://ntfy.example/[REDACTED] failed\n", buf.String())
}

// served is a serve command running in this process.
type served struct {
	ics, json, health string
	status            string // /TOKEN/healthz
	addresses         string // the state folder's addresses file, as serve wrote it
	stdout, stderr    *syncbuf.Buffer
	stop              func(sig os.Signal) int
}

var (
	feedLine   = regexp.MustCompile(`(?m)^rosteron serve: (iCalendar|JSON) feed (https?://\S+)$`)
	healthLine = regexp.MustCompile(`(?m)^rosteron serve: health at (http://\S+/healthz);`)
)

// stateArg is the folder args give serve's --state.
func stateArg(t *testing.T, args []string) string {
	t.Helper()
	for i, a := range args {
		if (a == "--state" || a == "-state") && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--state="); ok {
			return v
		}
	}
	t.Fatal("startServe needs --state, where the addresses are read from")
	return ""
}

// startServe runs serve in this process and reads the feeds' addresses
// from its state folder once it has said where they are: its stdout is
// no terminal, so they are not printed.
func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	state := stateArg(t, args)
	// An addresses file left by an earlier run is not this one's.
	if err := os.Remove(filepath.Join(state, addressesFile)); !errors.Is(err, fs.ErrNotExist) {
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &served{stdout: new(syncbuf.Buffer), stderr: new(syncbuf.Buffer)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""),
			s.stdout, s.stderr, func(k string) string { return env[k] })
	}()
	s.stop = func(sig os.Signal) int {
		cancel(&signalError{sig})
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			stacks := make([]byte, 1<<20)
			t.Fatalf("serve did not stop; stderr:\n%s\ngoroutines:\n%s", s.stderr.String(), stacks[:runtime.Stack(stacks, true)])
			return -1
		}
	}
	out := awaitOutput(t, s.stderr, done, 20*time.Second, "the health line", healthLine.MatchString)
	h := healthLine.FindStringSubmatch(out)
	data, err := os.ReadFile(filepath.Join(state, addressesFile))
	require.NoError(t, err)
	s.addresses = string(data)
	m := feedLine.FindAllStringSubmatch(s.addresses, -1)
	require.Len(t, m, 2, s.addresses)
	s.ics, s.json = m[0][2], m[1][2]
	s.status = strings.TrimSuffix(s.ics, feed.ICSName) + feed.HealthName
	s.health = h[1]
	return s
}

func httpGet(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// health is the feed's status in full, as /TOKEN/healthz gives it.
func health(t *testing.T, s *served) feed.Status {
	t.Helper()
	_, body := httpGet(t, s.status)
	var st feed.Status
	require.NoError(t, json.Unmarshal([]byte(body), &st), body)
	return st
}

// Without a browser to reach, every refresh fails: before any roster the
// feed answers 503; with one saved in the state folder it serves that,
// marked stale. No Chrome is needed.
func TestServeWithoutRosterOn(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	args := []string{"--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h"}

	s := startServe(t, env, args...)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/`+goodToken+`/roster\.ics$`, s.ics)
	require.Eventually(t, func() bool { return health(t, s).LastError != "" }, 20*time.Second, 20*time.Millisecond)
	resp, body := httpGet(t, s.ics)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.NotContains(t, body, "VCALENDAR")
	resp, body = httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotContains(t, body, "ws://127.0.0.1:1", "no error text without the token")
	assert.NotContains(t, body, "joe")
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM), "SIGTERM is a normal stop")
	out := s.stderr.String()
	assert.NotContains(t, out, "warning: --refresh", "no politeness warning for 1h")
	assert.Regexp(t, `(?m)^rosteron serve: \S+ refresh failed after \d`, out)
	assert.Contains(t, out, "nothing to serve yet")
	assert.Contains(t, out, "rosteron serve: stopped")
	assert.NotContains(t, out, goodToken)
	assert.NotContains(t, out, "s3cret-Pa55")

	// A roster saved by an earlier run is served at once, stale.
	items := mockserver.DemoRoster(time.Now())
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "JOE"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: items})
	require.NoError(t, err)
	s = startServe(t, env, append(args, "--refresh", "2s")...)
	resp, body = httpGet(t, s.json)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "true", resp.Header.Get(feed.HeaderStale))
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Equal(t, items, snap.Items)
	require.Eventually(t, func() bool { return health(t, s).Failures >= 2 }, 20*time.Second, 20*time.Millisecond)
	st := health(t, s)
	assert.True(t, st.Stale)
	assert.Equal(t, len(items), st.Shifts)
	assert.Contains(t, st.LastError, "ws://127.0.0.1:1")
	assert.Equal(t, exitOK, s.stop(syscall.SIGINT))
	assert.Contains(t, s.stderr.String(), "rosteron: warning: --refresh 2s is less than 5m: logging in to RosterOn that often is impolite")
	assert.Contains(t, s.stderr.String(), "serving the roster saved in "+filepath.Join(state, stateStoreFile))
	assert.Contains(t, s.stderr.String(), "rosteron serve: moved "+feed.StateFile)
	assert.NoFileExists(t, filepath.Join(state, feed.StateFile), "moved into the store")

	// A roster saved for another user is not served: the state folder
	// of joe's account is refused to ann, and joe's roster kept.
	r := runWith(t, env, "", "serve", "--url", goodURL, "--username", "ann", "--state", state, "--browser", "ws://127.0.0.1:1", "--addr", "127.0.0.1:0")
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, filepath.Join(state, stateStoreFile)+" holds the state of joe at ")
	assert.NotContains(t, r.stderr, "serving the roster saved")
	_, ok := storedBlob(t, state, feed.StateFile)
	assert.True(t, ok, "joe's roster kept")
}

// storedAccounts are the accounts in the state folder's store.
func storedAccounts(t *testing.T, state string) []*store.Account {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(state, stateStoreFile), nil)
	require.NoError(t, err)
	defer st.Close()
	all, err := st.List(context.Background())
	require.NoError(t, err)
	return all
}

// storedBlob is what the state folder's store holds under name for its
// one account, as serve keeps it; false when it holds nothing.
func storedBlob(t *testing.T, state, name string) ([]byte, bool) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(state, stateStoreFile), nil)
	require.NoError(t, err)
	defer st.Close()
	all, err := st.List(context.Background())
	require.NoError(t, err)
	require.Len(t, all, 1, "the single serve's store holds one account")
	data, err := st.LoadBlob(context.Background(), all[0].ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false
	}
	require.NoError(t, err)
	return data, true
}

// Without ROSTERON_FEED_TOKEN a token is made, kept and used again.
func TestServeMakesAndKeepsToken(t *testing.T) {
	state := filepath.Join(t.TempDir(), "new", "state")
	args := []string{"--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1"}
	s := startServe(t, withPassword, args...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	tok, err := os.ReadFile(filepath.Join(state, feed.TokenFile))
	require.NoError(t, err)
	token := strings.TrimSpace(string(tok))
	assert.Regexp(t, `^[A-Za-z0-9_-]{32}$`, token)
	assert.Contains(t, s.ics, "/"+token+"/roster.ics")
	assert.Contains(t, s.stderr.String(), "made a new feed token")
	assert.NotContains(t, s.stderr.String(), token)
	for _, p := range []string{state, filepath.Join(state, feed.TokenFile)} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		assert.Equal(t, want, fi.Mode().Perm(), p)
	}

	s = startServe(t, withPassword, args...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Contains(t, s.ics, "/"+token+"/roster.ics", "the same token after a restart")
	assert.NotContains(t, s.stderr.String(), "made a new feed token")
}

// With Chrome, against the mock: the feed serves the roster and a request
// never logs in.
func TestServeWithChrome(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword,
	})
	s := startServe(t, env, "--state", t.TempDir(), "--tz", "Australia/Melbourne", "--timeout", "30s")
	require.Eventually(t, func() bool { return health(t, s).OK }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	resp, body := httpGet(t, s.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/calendar; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, len(mockserver.DemoRoster(time.Now())), strings.Count(body, "BEGIN:VEVENT"))
	for range 20 {
		resp, _ := httpGet(t, s.json, "If-None-Match", resp.Header.Get("ETag"))
		assert.Equal(t, http.StatusOK, resp.StatusCode, "another body, another ETag")
	}
	assert.Equal(t, 1, mock.Logins())
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Zero(t, mock.Sessions(), "logged out")
	assert.NotContains(t, s.stderr.String(), mockserver.DemoPassword)
	assert.Regexp(t, `(?m)^rosteron serve: \S+ refresh ok in \S+: \d+ shifts, changed; next in `, s.stderr.String())
}

// serve says at start which zone the feeds read shifts in, and with none
// given never takes the machine's: the feeds carry the roster's clock
// times, floating.
func TestServeZone(t *testing.T) {
	state := t.TempDir()
	items := []snapshot.Item{{Date: snapshot.Date{Year: 2026, Month: 4, Day: 4}, Title: "Ward 4B",
		Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text("RN")}}}
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: items})
	require.NoError(t, err)
	args := []string{"--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h"}

	for _, tc := range []struct {
		name      string
		env       map[string]string
		args      []string
		line      string
		start, ev string
	}{
		{"none", nil, nil, "rosteron serve: shift times as the roster shows them, in no time zone (floating): give --tz ZONE",
			`"start": "2026-04-04T07:00:00",`, "DTSTART:20260404T070000\r\n"},
		{"TZ", map[string]string{"TZ": "Australia/Melbourne"}, nil, "rosteron serve: shift times in Australia/Melbourne (from $TZ)",
			`"start": "2026-04-04T07:00:00+11:00",`, "DTSTART:20260403T200000Z\r\n"},
		{"--tz", map[string]string{"TZ": "UTC"}, []string{"--tz", "Australia/Perth"}, "rosteron serve: shift times in Australia/Perth (--tz)",
			`"start": "2026-04-04T07:00:00+08:00",`, "DTSTART:20260403T230000Z\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
			for k, v := range tc.env {
				env[k] = v
			}
			s := startServe(t, env, append(args, tc.args...)...)
			_, body := httpGet(t, s.json)
			assert.Contains(t, body, tc.start)
			_, body = httpGet(t, s.ics)
			assert.Contains(t, body, tc.ev)
			require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
			assert.Contains(t, s.stderr.String(), tc.line)
		})
	}
}
