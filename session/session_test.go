package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
)

var chrome chrometest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	chrome.Close()
	os.Exit(code)
}

// fixedNow is the mock's clock in the tests: the server's Date header.
var fixedNow = time.Date(2019, 6, 10, 8, 3, 12, 0, time.UTC)

type fixture struct {
	mock *mockserver.Server
	ts   *httptest.Server
	url  string
}

func newMock(t *testing.T, opts ...mockserver.Option) fixture {
	t.Helper()
	m := mockserver.New(append([]mockserver.Option{mockserver.WithClock(func() time.Time { return fixedNow })}, opts...)...)
	ts := httptest.NewServer(m)
	t.Cleanup(ts.Close)
	// Cleanups run last first: release hung requests before the server
	// waits for them.
	t.Cleanup(m.Close)
	return fixture{mock: m, ts: ts, url: ts.URL + m.BasePath()}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newSession opens a session on the shared browser.
func newSession(t *testing.T, url string, opts ...session.Option) *session.Session {
	t.Helper()
	b := chrome.Get(t)
	s, err := session.New(url, append([]session.Option{session.WithBrowser(b), session.WithTimeout(20 * time.Second)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func demoRoster() []snapshot.Item { return mockserver.DemoUser(fixedNow).Roster }

func TestTypicalFlowAndItsSixLogFiles(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)

	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	in, err := s.IsLoggedIn(ctx)
	require.NoError(t, err)
	assert.True(t, in)

	snap, err := s.GetRoster(ctx)
	require.NoError(t, err)
	assert.Equal(t, fixedNow, snap.Time, "the snapshot time is the server's Date header")
	assert.Equal(t, demoRoster(), snap.Items)

	require.NoError(t, s.LogOut(ctx))
	in, err = s.IsLoggedIn(ctx)
	require.NoError(t, err)
	assert.False(t, in)

	dir := filepath.Join(t.TempDir(), "logs")
	require.NoError(t, s.SaveLogs(dir))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	re := regexp.MustCompile(`^\d{8}T\d{6}\.\d{6}Z-(login|home|roster|logout)-\d\.txt$`)
	var kinds []string
	for _, n := range names {
		require.Regexp(t, re, n)
		kinds = append(kinds, n[strings.Index(n, "Z-")+2:len(n)-4])
	}
	assert.ElementsMatch(t, []string{"login-0", "home-0", "home-1", "roster-0", "logout-0", "logout-1"}, kinds)
	assert.Equal(t, s.LogNames(), sortedByTime(s.LogNames()), "LogNames lists the files in time order")

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	files := map[string]string{}
	for _, n := range names {
		path := filepath.Join(dir, n)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), n)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		files[n[strings.Index(n, "Z-")+2:len(n)-4]] = string(b)
		assert.NotContains(t, string(b), mockserver.DemoPassword, "no password in %s", n)
	}

	// The POST and its redirect.
	home0 := files["home-0"]
	lines := strings.Split(home0, "\n")
	require.GreaterOrEqual(t, len(lines), 5)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$`, lines[0])
	assert.Equal(t, "POST "+f.url+"/Account/Login", lines[1])
	assert.Equal(t, "302 Found", lines[2])
	assert.Equal(t, "", lines[3])
	assert.Regexp(t, `(?m)^Set-Cookie: \.ASPXAUTH=\[REDACTED\]`, home0)
	assert.Regexp(t, `(?m)^Location: `, home0)
	assert.NotRegexp(t, `ASPXAUTH=[0-9a-fA-F]{16,}`, home0)

	login0 := files["login-0"]
	assert.Contains(t, login0, "GET "+f.url+"/Account/Login\n200 OK\n\n")
	assert.Regexp(t, `(?m)^Set-Cookie: __RequestVerificationToken=\[REDACTED\]`, login0)
	assert.Regexp(t, `name="__RequestVerificationToken"[^>]*value="\[REDACTED\]"|value="\[REDACTED\]"[^>]*name="__RequestVerificationToken"`, login0)
	assert.Contains(t, login0, `id="account-login"`)
	// Headers, a blank line, then the body.
	_, body, ok := strings.Cut(login0, "\n\n")
	require.True(t, ok)
	_, body, ok = strings.Cut(body, "\n\n")
	require.True(t, ok)
	assert.True(t, strings.HasPrefix(strings.TrimSpace(body), "<!DOCTYPE html>") || strings.HasPrefix(strings.TrimSpace(body), "<!doctype html>"), body[:min(len(body), 60)])

	assert.Contains(t, files["home-1"], "GET "+f.url+"/\n200 OK\n")
	assert.Contains(t, files["home-1"], `id="home-index"`)
	assert.Contains(t, files["roster-0"], "GET "+f.url+"/Roster/List?pageNo=1&row=1\n200 OK\n")
	assert.Contains(t, files["roster-0"], "Date: Mon, 10 Jun 2019 08:03:12 GMT")
	assert.Contains(t, files["logout-0"], "GET "+f.url+"/Account/LogOff\n302 Found\n")
	assert.Contains(t, files["logout-1"], `id="account-login"`)
}

func sortedByTime(names []string) []string {
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool { return out[i][:22] < out[j][:22] })
	return out
}

func TestBadCredentials(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	err := s.LogIn(ctxT(t), "joe.bloggs", "wrong-password")
	var bad *session.BadCredentialsError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "joe.bloggs", bad.Username)
	assert.Equal(t, "RosterOn rejected the login credentials for username 'joe.bloggs'", err.Error())
	assert.ErrorIs(t, err, session.ErrRosterOn)
	assert.ErrorIs(t, err, session.ErrCredentials)
	assert.False(t, session.Outage(err))
	assert.True(t, session.Submitted(err))
	assert.NotContains(t, err.Error(), "wrong-password")
	in, err := s.IsLoggedIn(ctxT(t))
	require.NoError(t, err)
	assert.False(t, in)
}

// Any validation message other than the known one is a refused login
// too: a lock-out, a reworded or a localised message must not be
// retried as if it were an outage.
func TestOtherValidationMessagesAreRefusedLogins(t *testing.T) {
	for _, tt := range []struct {
		fault mockserver.Fault
		msg   string
	}{
		{mockserver.FaultOtherValidation, "The authentication mechanism is unknown."},
		{mockserver.FaultAccountLocked, "locked out"},
		{mockserver.FaultFrenchValidation, "Échec de l'ouverture de session"},
	} {
		t.Run(tt.fault.String(), func(t *testing.T) {
			f := newMock(t, mockserver.WithFault(tt.fault))
			s := newSession(t, f.url)
			err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
			var refused *session.LoginRefusedError
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, mockserver.DemoUsername, refused.Username)
			assert.Contains(t, refused.Message, tt.msg)
			assert.ErrorIs(t, err, session.ErrCredentials)
			assert.ErrorIs(t, err, session.ErrRosterOn)
			assert.False(t, session.Outage(err))
			assert.True(t, strings.HasPrefix(err.Error(), "RosterOn refused the login for username '"+mockserver.DemoUsername+"': the login page says "), err.Error())
			assert.Contains(t, err.Error(), tt.msg)
			assert.NotContains(t, err.Error(), mockserver.DemoPassword)
			_, posts := loginRequests(f.mock)
			assert.Equal(t, 1, posts, "a refusal other than a wrong password is RosterOn's last word: not posted again with the page's scripts")
		})
	}
}

func TestProxyPageAtLogin(t *testing.T) {
	f := newMock(t, mockserver.WithFault(mockserver.FaultProxy403))
	s := newSession(t, f.url)
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeLogin, bad.Purpose)
	assert.Contains(t, err.Error(), "403")
	for _, r := range f.mock.Requests() {
		assert.NotEqual(t, "POST", r.Method, "no credentials go to a page that is not RosterOn's")
	}
}

func TestServerErrorAtLogin(t *testing.T) {
	f := newMock(t, mockserver.WithFault(mockserver.FaultLoginError500))
	s := newSession(t, f.url)
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeLogin, bad.Purpose)
	assert.Contains(t, err.Error(), "500")
}

func TestScriptBuiltLoginForm(t *testing.T) {
	f := newMock(t, mockserver.WithFault(mockserver.FaultScriptLoginForm))
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	snap, err := s.GetRoster(ctx)
	require.NoError(t, err)
	assert.Equal(t, demoRoster(), snap.Items)
}

func TestRosterBeforeLogin(t *testing.T) {
	f := newMock(t)
	s, err := session.New(f.url)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetRoster(ctxT(t))
	assert.ErrorIs(t, err, session.ErrNotLoggedIn)
	assert.ErrorIs(t, err, session.ErrRosterOn)
	assert.Equal(t, "a RosterOn user must successfully log in before a roster can be retrieved", err.Error())
	assert.Empty(t, f.mock.Requests(), "a session that never logged in asks nothing")
}

func TestRosterAfterLogoutIsNotLoggedIn(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	require.NoError(t, s.LogOut(ctx))
	n := len(f.mock.Requests())
	_, err := s.GetRoster(ctx)
	assert.ErrorIs(t, err, session.ErrNotLoggedIn)
	assert.Greater(t, len(f.mock.Requests()), n, "the server, not a flag, says the session is not logged in")
}

func TestLogoutWhenLoggedOutMakesNoRequest(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogOut(ctx))
	assert.Empty(t, f.mock.Requests())

	err := s.LogIn(ctx, mockserver.DemoUsername, "bad")
	require.Error(t, err)
	n := len(f.mock.Requests())
	require.NoError(t, s.LogOut(ctx))
	require.NoError(t, s.Close())
	assert.Len(t, f.mock.Requests(), n, "neither LogOut nor Close asks anything when not logged in")
}

func TestCloseLogsOut(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	require.Equal(t, 1, f.mock.Sessions())
	require.NoError(t, s.Close())
	assert.Equal(t, 0, f.mock.Sessions(), "Close logged out on the server")
	require.NoError(t, s.Close(), "a second Close is harmless")
	var paths []string
	for _, r := range f.mock.Requests() {
		paths = append(paths, r.Path)
	}
	assert.Contains(t, paths, f.mock.BasePath()+"/Account/LogOff")
}

// A closed session says so, matchably, and asks nothing.
func TestStepAfterCloseIsErrClosed(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	require.NoError(t, s.Close())
	n := len(f.mock.Requests())
	_, err := s.GetRoster(ctx)
	assert.ErrorIs(t, err, session.ErrClosed)
	assertClosed(t, session.PurposeRoster, err)
	assert.Equal(t, "reading the roster: the session is closed", err.Error())
	err = s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword)
	assert.ErrorIs(t, err, session.ErrClosed)
	assertClosed(t, session.PurposeLogin, err)
	assert.Contains(t, err.Error(), "the session is closed")
	assert.Len(t, f.mock.Requests(), n)

	// One that never opened its browser says the same.
	never := newSession(t, f.url)
	require.NoError(t, never.Close())
	_, err = never.GetRoster(ctx)
	assertClosed(t, session.PurposeRoster, err)
	assert.NoError(t, never.LogOut(ctx), "nothing to log out of")
}

// assertClosed checks that err is a closed session's error: the
// session's own, not RosterOn's, and no outage.
func assertClosed(t *testing.T, purpose string, err error) {
	t.Helper()
	var failed *session.BrowserError
	if assert.ErrorAs(t, err, &failed) {
		assert.Equal(t, purpose, failed.Purpose)
	}
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, err, session.ErrBrowser)
	assert.NotErrorIs(t, err, session.ErrRosterOn)
	assert.NotContains(t, err.Error(), "RosterOn")
	assert.False(t, session.Outage(err), "a closed session is the program's mistake, not an outage")
}

func TestCloseAfterFailureFreesChrome(t *testing.T) {
	path := chrometest.NeedLocal(t)
	f := newMock(t, mockserver.WithFault(mockserver.FaultProxy403))
	s, err := session.New(f.url, session.WithTimeout(20*time.Second), session.WithBrowserOptions(browser.WithExecPath(path)))
	require.NoError(t, err)
	err = s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	require.Error(t, err)
	b := session.BrowserOf(s)
	require.NotNil(t, b)
	pid := b.PID()
	require.NotZero(t, pid)
	tree := chrometest.Tree(pid)
	require.NotEmpty(t, chrometest.Alive(tree))

	require.NoError(t, s.Close())
	assert.Eventually(t, func() bool { return len(chrometest.Alive(tree)) == 0 }, 5*time.Second, 20*time.Millisecond,
		"Chrome processes left after Close: %v", chrometest.Alive(tree))
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	s := newSession(t, "http://"+addr+"/RosterOnProd/Mobile")
	err = s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeLogin, bad.Purpose)
	assert.ErrorIs(t, err, chromedp.ErrPageLoad)
	assert.Contains(t, err.Error(), "ERR_CONNECTION_REFUSED")
}

func TestTimeoutNamesTheStep(t *testing.T) {
	// The server is far slower than the step's limit, so giving up at the
	// limit and waiting for the server are told apart even on a busy
	// machine. The limit itself is long enough for Chrome to open the
	// step's tab on one: a tab that takes longer than the limit to open
	// is the browser's failure, not the step's (a limit of 500 ms once
	// ran out, under load, while the tab was still opening).
	f := newMock(t, mockserver.WithLatency(60*time.Second))
	s := newSession(t, f.url, session.WithTimeout(5*time.Second))
	start := time.Now()
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.True(t, bad.Timeout())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "timed out waiting for 'login'")
	assert.Less(t, time.Since(start), 30*time.Second, "the step gave up at its deadline, not the server's pace")
}

func TestSessionsOnOneBrowserShareNoCookies(t *testing.T) {
	f := newMock(t)
	a := newSession(t, f.url)
	b := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, a.LogIn(ctx, "ann.nurse", "ann-demo-password"))
	require.NoError(t, b.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	sa, err := a.GetRoster(ctx)
	require.NoError(t, err)
	sb, err := b.GetRoster(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, sa.Items, sb.Items)
	assert.Equal(t, demoRoster(), sb.Items)

	require.NoError(t, a.LogOut(ctx))
	in, err := b.IsLoggedIn(ctx)
	require.NoError(t, err)
	assert.True(t, in, "one session's logout leaves the other logged in")
}

func TestScreenshots(t *testing.T) {
	f := newMock(t)
	dir := filepath.Join(t.TempDir(), "shots")
	s := newSession(t, f.url, session.WithScreenshots(dir))
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err := s.GetRoster(ctx)
	require.NoError(t, err)
	require.NoError(t, s.LogOut(ctx))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var kinds []string
	for _, e := range entries {
		require.Regexp(t, `^\d{8}T\d{6}\.\d{6}Z-[a-z]+\.png$`, e.Name())
		kinds = append(kinds, e.Name()[strings.Index(e.Name(), "Z-")+2:len(e.Name())-4])
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), "\x89PNG"), e.Name())
		fi, _ := e.Info()
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	assert.ElementsMatch(t, []string{"login", "home", "roster", "logout"}, kinds)
	// Each screenshot carries its step's log stamp.
	for _, e := range entries {
		stamp, purpose, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".png"), "Z-")
		assert.Contains(t, s.LogNames(), stamp+"Z-"+purpose+"-0.txt", e.Name())
	}

	// A failure is photographed too, marked as such: both attempts of a
	// refused login, without the login page's scripts and with them.
	bad := newSession(t, f.url, session.WithScreenshots(dir))
	require.Error(t, bad.LogIn(ctx, mockserver.DemoUsername, "not-it"))
	matches, _ := filepath.Glob(filepath.Join(dir, "*-home-error.png"))
	assert.Len(t, matches, 2)
	for _, m := range matches {
		assert.NotContains(t, m, "not-it")
	}
}

func TestNewValidatesTheURL(t *testing.T) {
	for _, raw := range []string{"", "rosteron.example.com", "/RosterOnProd/Mobile", "ftp://x/y", "http://", "https://user:pw@x.example/"} {
		_, err := session.New(raw)
		assert.ErrorIs(t, err, session.ErrInvalidURL, raw)
		assert.NotContains(t, errString(err), "pw@", "no credentials echoed")
	}
	for raw, want := range map[string]string{
		"https://r.example/RosterOnProd/Mobile":               "https://r.example/RosterOnProd/Mobile",
		"https://r.example/RosterOnProd/Mobile/":              "https://r.example/RosterOnProd/Mobile",
		"https://r.example/RosterOnProd/Mobile/Account/Login": "https://r.example/RosterOnProd/Mobile",
		"http://127.0.0.1:8080/RosterOnProd/Mobile?x=1":       "http://127.0.0.1:8080/RosterOnProd/Mobile",
		" https://r.example/Mobile/account/login/ ":           "https://r.example/Mobile",
		"https://r.example":                                   "https://r.example",
	} {
		s, err := session.New(raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, s.BaseURL(), raw)
		require.NoError(t, s.Close())
	}
}

// A plain http:// URL to a host that is not loopback is refused, naming
// the host and the way to allow it; loopback written as such, https, and
// WithAllowHTTP are accepted.
func TestNewRefusesPlainHTTPOffLoopback(t *testing.T) {
	for _, raw := range []string{
		"http://rosteron.example.org/RosterOnProd/Mobile",
		"http://10.20.30.40:8080/Mobile",
		// A name that resolves to loopback is still a name.
		"http://localtest.me:8080/Mobile",
	} {
		_, err := session.New(raw)
		require.Error(t, err, raw)
		assert.ErrorIs(t, err, session.ErrInvalidURL, raw)
		assert.ErrorIs(t, err, session.ErrPlaintext, raw)
		assert.Contains(t, err.Error(), "WithAllowHTTP", raw)
		s, err := session.New(raw, session.WithAllowHTTP())
		require.NoError(t, err, raw)
		require.NoError(t, s.Close())
	}
	for _, raw := range []string{"http://localhost:9/Mobile", "http://127.0.0.2/Mobile", "http://[::1]:9/Mobile", "https://rosteron.example.org/Mobile"} {
		s, err := session.New(raw)
		require.NoError(t, err, raw)
		require.NoError(t, s.Close())
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestErrorsFormOneFamily(t *testing.T) {
	errs := []error{
		&session.BadCredentialsError{Username: "joe.bloggs"},
		&session.BadResponseError{Purpose: "login"},
		&session.NotLoggedInError{},
	}
	for _, err := range errs {
		assert.ErrorIs(t, err, session.ErrRosterOn, "%T", err)
	}
	assert.Equal(t, "RosterOn returned an unexpected response for an operation expecting 'login'", errs[1].Error())
	cause := errors.New("boom")
	wrapped := &session.BadResponseError{Purpose: "roster", Err: cause}
	assert.ErrorIs(t, wrapped, cause)
	assert.Equal(t, "RosterOn returned an unexpected response for an operation expecting 'roster': boom", wrapped.Error())
	assert.Equal(t, `RosterOn rejected the login credentials for username "o'neil"`, (&session.BadCredentialsError{Username: "o'neil"}).Error())
	assert.NotErrorIs(t, errs[0], session.ErrNotLoggedIn)
	assert.ErrorIs(t, errs[2], session.ErrNotLoggedIn)
	for _, err := range errs {
		assert.NotErrorIs(t, err, session.ErrBrowser, "%T", err)
	}
}

// The browser's failures and the session's own are a family apart from
// RosterOn's: their messages name the browser, never RosterOn.
func TestBrowserErrorsFormAnotherFamily(t *testing.T) {
	tests := []struct {
		err  *session.BrowserError
		want string
	}{
		{&session.BrowserError{Purpose: session.StepBrowser, Err: browser.ErrNoChrome},
			"the browser could not start: no Chrome, Chromium or Edge found"},
		{&session.BrowserError{Purpose: session.StepBrowser, Err: fmt.Errorf("connecting: %w", context.DeadlineExceeded)},
			"the browser could not start: timed out"},
		{&session.BrowserError{Purpose: session.PurposeLogin, Err: fmt.Errorf("opening a tab: %w", browser.ErrTabGone)},
			"the browser failed while opening the login page: opening a tab: the browser tab is gone"},
		{&session.BrowserError{Purpose: session.PurposeHome, Err: browser.ErrTabGone},
			"the browser failed while logging in: the browser tab is gone"},
		{&session.BrowserError{Purpose: session.PurposeRoster, Err: browser.ErrTabGone},
			"the browser failed while reading the roster: the browser tab is gone"},
		{&session.BrowserError{Purpose: session.PurposeLogout, Err: browser.ErrTabGone},
			"the browser failed while logging out: the browser tab is gone"},
		{&session.BrowserError{Purpose: session.StepClose, Err: errors.New("boom")},
			"the browser failed while closing: boom"},
		{&session.BrowserError{Purpose: session.PurposeRoster, Err: session.ErrClosed},
			"reading the roster: the session is closed"},
	}
	for _, tc := range tests {
		err := fmt.Errorf("wrapped: %w", tc.err)
		assert.Equal(t, tc.want, tc.err.Error())
		assert.ErrorIs(t, err, session.ErrBrowser)
		assert.ErrorIs(t, err, tc.err.Err, "the cause is reachable")
		assert.NotErrorIs(t, err, session.ErrRosterOn, tc.want)
		assert.NotErrorIs(t, err, session.ErrCredentials, tc.want)
		var bad *session.BadResponseError
		assert.False(t, errors.As(err, &bad), tc.want)
	}
	assert.True(t, (&session.BrowserError{Purpose: session.StepBrowser, Err: context.DeadlineExceeded}).Timeout())
	assert.False(t, (&session.BrowserError{Purpose: session.PurposeRoster, Err: browser.ErrTabGone}).Timeout())
	assert.ErrorIs(t, session.ErrClosed, session.ErrBrowser, "ErrClosed is of the family")
	assert.NotErrorIs(t, session.ErrClosed, session.ErrRosterOn)
}
