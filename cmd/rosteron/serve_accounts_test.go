package main

import (
	"context"
	"encoding/json"
	"flag"
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
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/internal/radicaletest"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

func TestAccountsMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{cmd("--accounts"), true},
		{cmd("--state", "d", "-accounts", "--key-file", "k"), true},
		{cmd("--accounts=true", "--help"), true},
		{cmd("--accounts=false"), false},
		{cmd(), false},
		{cmd("--url", goodURL, "--username", "joe"), false},
		// A value that reads --accounts is the value of its flag.
		{cmd("--username", "--accounts"), false},
		{cmd("--", "--accounts"), false},
		// Args that do not parse are the single-account serve's to report.
		{cmd("--accounts", "--bogus"), false},
	} {
		assert.Equal(t, tc.want, accountsMode(tc.args), "%q", tc.args)
	}
}

func TestServeAccountsUsageErrors(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	base := []string{"serve", "--accounts", "--state", state, "--browser", "ws://127.0.0.1:1"}
	with := func(args ...string) []string { return append(append([]string(nil), base...), args...) }
	keyed := func(args ...string) []string { return with(append([]string{"--key-file", key}, args...)...) }
	codeFile := notifyFile(t, "invite-C0DE\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no key", with(), "no key for the store: give --key-file PATH (made when it does not exist), the systemd credential rosteron-key"},
		{"key inside the state", with("--key-file", filepath.Join(state, "key")), "is inside the state folder"},
		{"url", keyed("--url", goodURL), "--url is the single-account serve's, and --accounts serves the accounts of the store: one mode or the other"},
		{"username", keyed("--username", "joe"), "--username is the single-account serve's"},
		{"password file", keyed("--password-file", "/nonexistent/s3cret-Pa55"), "--password-file is the single-account serve's"},
		{"notify", keyed("--notify", "https://ntfy.sh/s3cret-Pa55"), "--notify is the single-account serve's"},
		{"argument", keyed("s3cret-Pa55"), "serve takes no arguments, only flags (got 1)"},
		{"zero refresh", keyed("--refresh", "0s"), "invalid --refresh 0s"},
		{"bad addr", keyed("--addr", "8765"), `invalid --addr "8765"`},
		{"per host", keyed("--per-host", "0"), "invalid --per-host 0"},
		{"max sessions", keyed("--max-sessions", "-1"), "invalid --max-sessions -1"},
		{"bad allowed instance", keyed("--allow-instance", "example.org"), `invalid --allow-instance "example.org"`},
		{"join without instances", keyed("--join", "--public-url", "https://rota.example.org"), "--join needs --allow-instance URL"},
		{"join without public url", keyed("--join", "--allow-instance", instA), "--join needs --public-url"},
		{"join over http", keyed("--join", "--allow-instance", instA, "--public-url", "http://rota.example.org"),
			"--join needs an https --public-url (or a loopback one, for a test)"},
		{"join code without join", keyed("--join-code-file", codeFile), "--join-code and --join-code-file go with --join"},
		{"two join codes", keyed("--join", "--join-code", "x", "--join-code-file", codeFile), "two sources of the invite code"},
		{"bad proxy", keyed("--join", "--allow-instance", instA, "--public-url", "https://r.example.org", "--trusted-proxy", "proxy"),
			`invalid --trusted-proxy "proxy"`},
		{"proxy without join", keyed("--trusted-proxy", "10.0.0.0/8"), "--trusted-proxy goes with --join"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, nil, "", tc.args...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "s3cret-Pa55")
			assert.NotContains(t, r.stderr, "invite-C0DE")
		})
	}
	assert.NoFileExists(t, key, "no key made for a command line that is wrong")
	assert.NoDirExists(t, state, "no state folder made for a command line that is wrong")

	// Without --accounts and without a username, serve is the usage error
	// it always was.
	r := runWith(t, withPassword, "", "serve", "--url", goodURL, "--state", state)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "missing --username (or ROSTERON_USERNAME)")
	r = runWith(t, withPassword, "", "serve", "--username", "--accounts", "--state", state)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "missing --url", "--accounts as --username's value is no --accounts")

	r = runWith(t, nil, "", "serve", "--accounts", "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Usage: rosteron serve --accounts --state DIR")
}

// accountsServed is a serve --accounts running in this process.
type accountsServed struct {
	base   string // http://127.0.0.1:PORT
	stderr *syncbuf.Buffer
	stop   func() int
}

func startAccounts(t *testing.T, env map[string]string, args ...string) *accountsServed {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &accountsServed{stderr: new(syncbuf.Buffer)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--accounts", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""),
			new(syncbuf.Buffer), s.stderr, func(k string) string { return env[k] })
	}()
	s.stop = func() int {
		cancel(&signalError{syscall.SIGTERM})
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			stacks := make([]byte, 1<<20)
			t.Fatalf("serve did not stop; stderr:\n%s\ngoroutines:\n%s", s.stderr.String(), stacks[:runtime.Stack(stacks, true)])
			return -1
		}
	}
	out := awaitOutput(t, s.stderr, done, 30*time.Second, "the health line", healthLine.MatchString)
	s.base = strings.TrimSuffix(healthLine.FindStringSubmatch(out)[1], "/healthz")
	return s
}

// Two accounts in one serve, against the mock in Chrome: each token sees
// its own roster only, a wrong token nothing, and a second serve on the
// same store is refused while the first holds its lock.
func TestServeAccountsWithChrome(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	instance, err := session.NormalizeURL(ts.URL + mock.BasePath())
	require.NoError(t, err)
	const annUser, annPassword = "ann.nurse", "ann-demo-password"
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	secrets := storeWith(t, state, key,
		[3]string{mockserver.DemoUsername, instance, mockserver.DemoPassword}, [3]string{annUser, instance, annPassword})
	env := chromeEnv(nil)
	// Ann's roster goes into her CalDAV calendar too.
	dav := radicaletest.Start(t, map[string]string{"ann": "dav-Pa55-word"})
	st, err := storeOpen(t, state, key)
	require.NoError(t, err)
	annAccount, err := st.Find(context.Background(), instance, annUser)
	require.NoError(t, err)
	require.NoError(t, st.SetSettings(context.Background(), annAccount.ID, &store.Settings{
		CalDAV: &store.CalDAV{URL: dav.URL, Username: "ann", Password: "dav-Pa55-word", Calendar: "Ward"}}))
	require.NoError(t, st.Close())

	// Radicale is on loopback: allowed as a target only by the flag.
	s := startAccounts(t, env, "--state", state, "--key-file", key, "--timeout", "30s", "--allow-instance", instance,
		"--allow-private-targets")
	for _, user := range []string{mockserver.DemoUsername, annUser} {
		page := s.base + "/" + secrets[user+"@"+instance].Token + "/"
		require.Eventually(t, func() bool {
			resp, _ := httpGet(t, page+"roster.json")
			return resp.StatusCode == http.StatusOK
		}, 90*time.Second, 100*time.Millisecond, s.stderr.String())
		_, body := httpGet(t, page+"roster.json")
		var snap snapshot.Snapshot
		require.NoError(t, json.Unmarshal([]byte(body), &snap), body)
		want, err := mock.Roster(user)
		require.NoError(t, err)
		assert.Equal(t, want, snap.Items, "%s sees their own roster", user)
		resp, _ := httpGet(t, page)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	annRoster, err := mock.Roster(annUser)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cals := dav.Collections("ann")
		return len(cals) == 1 && len(dav.Objects(firstKey(cals))) == len(annRoster)
	}, 60*time.Second, 100*time.Millisecond, "ann's shifts in her calendar; %s", s.stderr.String())
	assert.Equal(t, []string{"Ward"}, sortedValues(dav.Collections("ann")))

	resp, body := httpGet(t, s.base+"/"+strings.Repeat("x", 32)+"/roster.json")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, body, "BEGIN:VEVENT")
	assert.NotContains(t, body, "shifts")

	r := runWith(t, env, "", "serve", "--accounts", "--state", state, "--key-file", key, "--addr", "127.0.0.1:0")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "another 'rosteron serve --accounts' is running on "+state)

	r = runWith(t, nil, "", "accounts", "rotate-key", "--state", state, "--key-file", key, "--new-key-file", key+".new")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "stop it first")

	// The one shared Chrome, when it is this process's child, goes with
	// the serve.
	var chromes []int
	if env[chrometest.EnvBrowser] == "" {
		for _, pid := range chrometest.Tree(os.Getpid())[1:] {
			args := chrometest.Args(pid)
			if len(args) == 0 {
				continue
			}
			if name := strings.ToLower(filepath.Base(args[0])); strings.Contains(name, "chrom") || strings.Contains(name, "headless") {
				chromes = append(chromes, pid)
			}
		}
		assert.NotEmpty(t, chromes, "a Chrome started for the refreshes")
	}
	assert.Equal(t, exitOK, s.stop())
	assert.Eventually(t, func() bool { return len(chrometest.Alive(chromes)) == 0 }, 20*time.Second, 20*time.Millisecond,
		"Chrome stopped with serve")
	out := s.stderr.String()
	assert.Contains(t, out, "rosteron serve: stopped")
	for _, secret := range []string{mockserver.DemoPassword, annPassword, "dav-Pa55-word"} {
		assert.NotContains(t, out, secret)
	}
	for _, sec := range secrets {
		assert.NotContains(t, out, sec.Token)
	}
	assert.Zero(t, mock.Sessions(), "logged out")

	// The lock goes with the serve.
	unlock, err := lockFile(filepath.Join(state, lockName))
	require.NoError(t, err)
	unlock()
	_, err = os.Stat(filepath.Join(state, lockName))
	assert.NoError(t, err)
}

// Accounts added, paused and removed by 'rosteron accounts' while serve
// runs are taken up by it: a removed account's page stops at once it is
// seen, with no restart. No Chrome: the refreshes all fail.
func TestServeAccountsSeesStoreChanges(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	secrets := storeWith(t, state, key, [3]string{"joe", instA, "joe-Pa55-word"})
	joe := secrets["joe@"+instA].Token

	s := startAccounts(t, nil, "--state", state, "--key-file", key, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	status := func(token string) int {
		resp, _ := httpGet(t, s.base+"/"+token+"/roster.json")
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return status(joe) != http.StatusNotFound }, 20*time.Second, 20*time.Millisecond)
	// Once started, the service is healthy although joe's refreshes all
	// fail: /healthz is the service's, not joe's. (While it starts it
	// answers 503.)
	require.Eventually(t, func() bool {
		resp, _ := httpGet(t, s.base+"/healthz")
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "the service's health, not joe's; %s", s.stderr.String())

	// Added from another process.
	st, err := storeOpen(t, state, key)
	require.NoError(t, err)
	_, ann, err := st.Create(context.Background(), store.NewAccount{Username: "ann", Instance: instA, Password: "ann-Pa55-word"})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Eventually(t, func() bool { return status(ann.Token) != http.StatusNotFound }, 20*time.Second, 20*time.Millisecond)

	r := runWith(t, nil, "", "accounts", "remove", "--state", state, "joe")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Eventually(t, func() bool { return status(joe) == http.StatusNotFound }, 20*time.Second, 20*time.Millisecond)
	assert.NotEqual(t, http.StatusNotFound, status(ann.Token), "ann is still served")

	assert.Equal(t, exitOK, s.stop())
	out := s.stderr.String()
	assert.Contains(t, out, "account 2 (#2 ann@a.example.org) added")
	assert.Contains(t, out, "account 1 removed: no longer served")
	for _, secret := range []string{"joe-Pa55-word", "ann-Pa55-word", joe, ann.Token, ann.Manage} {
		assert.NotContains(t, out, secret)
	}
}

func storeOpen(t *testing.T, dir, keyPath string) (*store.SQLite, error) {
	t.Helper()
	k, err := store.LoadKey(keyPath)
	require.NoError(t, err)
	return store.Open(context.Background(), filepath.Join(dir, storeFile), k)
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// With --join, /join is served beside the pages; without it, it is not.
func TestServeAccountsJoinPage(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	storeWith(t, state, key)
	args := []string{"--state", state, "--key-file", key, "--browser", "ws://127.0.0.1:1", "--refresh", "1h"}

	s := startAccounts(t, nil, append(args, "--join", "--allow-instance", instA, "--public-url", "http://127.0.0.1:8765/ward")...)
	resp, body := httpGet(t, s.base+"/join")
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "<form")
	assert.Equal(t, exitOK, s.stop())
	assert.Contains(t, s.stderr.String(), "join page at http://127.0.0.1:8765/ward/join")

	s = startAccounts(t, nil, args...)
	resp, _ = httpGet(t, s.base+"/join")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, exitOK, s.stop())
}

// serve --accounts' help names each of its flags, in lines of 80
// characters at most, and none of the single-account serve's own.
func TestServeAccountsHelp(t *testing.T) {
	fs := newFlagSet("serve")
	var f serveAccountsFlags
	f.register(fs)
	for i, line := range strings.Split(serveAccountsUsage, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, "line %d: %q", i+1, line)
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if _, refused := fl.Value.(*refusedFlag); refused {
			assert.NotRegexp(t, `(?m)^  --`+regexp.QuoteMeta(fl.Name)+`\b`, serveAccountsUsage)
			return
		}
		assert.Regexp(t, `--`+regexp.QuoteMeta(fl.Name)+`\b`, serveAccountsUsage)
	})
}

// An account of an instance not allowed is not refreshed, and the log
// says why, once.
func TestServeAccountsInstanceNotAllowed(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	storeWith(t, state, key, [3]string{"joe", instA, "joe-Pa55-word"}, [3]string{"ann", instB, "ann-Pa55-word"})
	s := startAccounts(t, nil, "--state", state, "--key-file", key, "--browser", "ws://127.0.0.1:1", "--refresh", "1h",
		"--allow-instance", instA)
	const why = "its instance " + instB + " is not one of --allow-instance's"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Joe's refresh (which fails: no browser) shows he was started.
	_, err := s.stderr.Wait(ctx, func(out string) bool {
		return strings.Contains(out, why) && strings.Contains(out, "[#1 joe@a.example.org] ")
	})
	require.NoError(t, err, s.stderr.String())
	assert.Equal(t, exitOK, s.stop())
	out := s.stderr.String()
	assert.Equal(t, 1, strings.Count(out, why), out)
	assert.Regexp(t, `\[#2 ann@b\.example\.org\] [^\n]*not refreshed`, out)
	assert.NotContains(t, out, "[#1 joe@a.example.org] not refreshed")
}

// Without --allow-private-targets, an account's CalDAV calendar on this
// machine is never reached: anyone who joins can set one, and the server
// must not fetch, for a stranger, addresses only it can reach. The feed
// goes on.
func TestServeAccountsRefusesPrivateTargets(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	instance, err := session.NormalizeURL(ts.URL + mock.BasePath())
	require.NoError(t, err)
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	secrets := storeWith(t, state, key, [3]string{mockserver.DemoUsername, instance, mockserver.DemoPassword})
	dav := radicaletest.Start(t, map[string]string{"demo": "dav-Pa55-word"})
	st, err := storeOpen(t, state, key)
	require.NoError(t, err)
	a, err := st.Find(context.Background(), instance, mockserver.DemoUsername)
	require.NoError(t, err)
	require.NoError(t, st.SetSettings(context.Background(), a.ID, &store.Settings{
		CalDAV: &store.CalDAV{URL: dav.URL, Username: "demo", Password: "dav-Pa55-word", Calendar: "Ward"}}))
	require.NoError(t, st.Close())

	s := startAccounts(t, chromeEnv(nil), "--state", state, "--key-file", key, "--timeout", "30s", "--allow-instance", instance)
	page := s.base + "/" + secrets[mockserver.DemoUsername+"@"+instance].Token + "/"
	require.Eventually(t, func() bool {
		resp, _ := httpGet(t, page+"roster.json")
		return resp.StatusCode == http.StatusOK
	}, 90*time.Second, 100*time.Millisecond, s.stderr.String())
	require.Eventually(t, func() bool {
		return strings.Contains(s.stderr.String(), "is a loopback (this machine) address")
	}, 60*time.Second, 50*time.Millisecond, "the sync is refused; %s", s.stderr.String())
	assert.Empty(t, dav.Collections("demo"), "nothing reached the calendar on loopback")
	assert.Equal(t, exitOK, s.stop())
	out := s.stderr.String()
	assert.NotContains(t, out, "dav-Pa55-word")
}
