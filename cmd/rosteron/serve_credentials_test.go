package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
)

// alerts is a notify receiver that records the titles it gets.
type alerts struct {
	*httptest.Server
	mu     sync.Mutex
	titles []string
	bodies []string
}

func newAlerts(t *testing.T) *alerts {
	t.Helper()
	a := &alerts{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.titles = append(a.titles, r.Header.Get("Title"))
		a.bodies = append(a.bodies, string(b))
		a.mu.Unlock()
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *alerts) got() ([]string, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.titles...), append([]string(nil), a.bodies...)
}

// A password RosterOn rejects stops the refreshes: each try would count
// towards locking the account. The feed itself goes on answering, but
// /healthz says 503, without a word of the error, and one alert says what
// to do. A restart with the same password logs in no more and alerts no
// more; --retry-login tries once more, and its refusal is a new stop, with
// its own alert; a new password that works mends it, and one more alert
// says so.
func TestServeStopsRefreshingOnRejectedPassword(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	rcv := newAlerts(t)
	env := func(password string) map[string]string {
		return chromeEnv(map[string]string{
			"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
			"ROSTERON_PASSWORD": password, "ROSTERON_FEED_TOKEN": goodToken,
		})
	}
	posts := func() int {
		n := 0
		for _, q := range mock.Requests() {
			if q.Method == "POST" && strings.HasSuffix(q.Path, "/Account/Login") {
				n++
			}
		}
		return n
	}
	state := t.TempDir()
	wrong := "not-" + mockserver.DemoPassword
	// A refresh interval shorter than the test: without the stop there
	// would be a second login.
	args := []string{"--state", state, "--refresh", "1s", "--timeout", "30s", "--notify", rcv.URL + "/topic"}

	s := startServe(t, env(wrong), args...)
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	st := health(t, s)
	assert.Nil(t, st.NextRefresh)
	assert.Equal(t, feed.StopRejected, st.Stopped)
	assert.Contains(t, st.LastError, "rejected the login credentials", "the detail, with the token")
	resp, body := httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, `"state": "stopped"`)
	for _, secret := range []string{mockserver.DemoUsername, strings.TrimPrefix(ts.URL, "http://"), "rejected", wrong} {
		assert.NotContains(t, body, secret, "/healthz without the token")
	}
	rcv.waitFor(t, 1)
	waitOutboxEmpty(t, state)
	// While serve runs, the store's write-ahead log is beside it: it
	// holds the latest writes, the guard's stop among them.
	assertNoPasswordInState(t, state, true, wrong)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	titles, bodies := rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: password rejected"}, titles)
	assert.Contains(t, bodies[0], "RosterOn rejected the password: update it and restart")
	assert.Contains(t, bodies[0], "--retry-login")
	assert.Equal(t, 2, posts(), "the password was tried once: posted as sent, then once more with the login page's scripts (--render auto)")
	out := s.stderr.String()
	assert.Contains(t, out, "no more refreshes until restarted")
	assert.NotContains(t, out, mockserver.DemoPassword)
	guard, ok := storedBlob(t, state, feed.GuardFile)
	require.True(t, ok, "the guard's stop is kept in the store")
	var gs struct{ Stopped bool }
	require.NoError(t, json.Unmarshal(guard, &gs))
	assert.True(t, gs.Stopped)
	assertNoPasswordInState(t, state, false, wrong)

	// The same password after a restart: no login, no second alert. The
	// feed told the notifier its state before it logged "not logging
	// in": an alert would now be queued (the outbox) or delivered (the
	// receiver).
	s = startServe(t, env(wrong), args...)
	require.Eventually(t, func() bool { return strings.Contains(s.stderr.String(), "not logging in") }, 60*time.Second, 10*time.Millisecond)
	resp, _ = httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 2, posts(), "no login with a password already rejected")
	assert.Contains(t, s.stderr.String(), "restart with a new password, or with --retry-login")
	titles, _ = rcv.got()
	assert.Len(t, titles, 1, "no second alert delivered")
	assert.Empty(t, outbox(t, state), "no second alert queued")

	// --retry-login tries it once more: refused again, a new stop, which
	// alerts once.
	s = startServe(t, env(wrong), append(args, "--retry-login")...)
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	rcv.waitFor(t, 2)
	waitOutboxEmpty(t, state)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 4, posts(), "one more try, of two posts")
	titles, _ = rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed stopped: password rejected"}, titles)

	// The right password: the roster, 200, and one alert that it works.
	s = startServe(t, env(mockserver.DemoPassword), args...)
	require.Eventually(t, func() bool { resp, _ := httpGet(t, s.health); return resp.StatusCode == http.StatusOK },
		60*time.Second, 50*time.Millisecond, s.stderr.String())
	rcv.waitFor(t, 3)
	waitOutboxEmpty(t, state)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	titles, _ = rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed stopped: password rejected",
		"Roster feed working again"}, titles)
	assert.Empty(t, outbox(t, state))
	assert.NotContains(t, s.stderr.String(), mockserver.DemoPassword)
}

// waitFor waits until the receiver has n alerts; it fails the test at
// once should it get more.
func (a *alerts) waitFor(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { titles, _ := a.got(); return len(titles) >= n }, 60*time.Second, 10*time.Millisecond)
	titles, _ := a.got()
	require.Len(t, titles, n, "no more alerts than %d", n)
}

// waitOutboxEmpty waits until the notifier has saved the state folder's
// outbox without the alerts delivered: a run stopped before that would
// send them again at the next start.
func waitOutboxEmpty(t *testing.T, state string) {
	t.Helper()
	require.Eventually(t, func() bool { return len(outbox(t, state)) == 0 }, 60*time.Second, 10*time.Millisecond)
}

// outbox is the alerts queued and not yet delivered in the state folder.
func outbox(t *testing.T, state string) []json.RawMessage {
	t.Helper()
	data, ok := storedBlob(t, state, feed.NotifyFile)
	require.True(t, ok, "the alerts' state is kept in the store")
	var st struct {
		Outbox []json.RawMessage `json:"outbox"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	return st.Outbox
}

// A login page that answers the password with any other message, here a
// lock-out, stops the refreshes at once, as a rejected password does: a
// locked account must not be locked harder. Its advice differs, since the
// password is usually still right: the page quotes RosterOn's message,
// and the alert, which holds no error text, says to read it there and to
// restart with --retry-login once it is sorted out.
func TestServeStopsOnAnyRefusal(t *testing.T) {
	needChrome(t)
	mock := mockserver.New(mockserver.WithFault(mockserver.FaultAccountLocked))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	rcv := newAlerts(t)
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword, "ROSTERON_FEED_TOKEN": goodToken,
	})
	state := t.TempDir()
	s := startServe(t, env, "--state", state, "--refresh", "1s", "--timeout", "30s", "--notify", rcv.URL+"/topic")
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	st := health(t, s)
	assert.Equal(t, feed.StopLoginMessage, st.Stopped)
	assert.Contains(t, st.LastError, "locked")
	assert.Equal(t, "The referenced account is currently locked out and may not be logged on to.", st.LoginMessage)
	resp, _ := httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, page := httpGet(t, strings.TrimSuffix(s.ics, feed.ICSName))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "The referenced account is currently locked out", "the page quotes RosterOn's message")
	assert.Contains(t, page, "--retry-login")
	rcv.waitFor(t, 1)
	waitOutboxEmpty(t, state)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 1, loginPosts(mock), "one login, posted once: a refusal other than a wrong password is not tried again with the login page's scripts, then no more")
	titles, bodies := rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: login refused by RosterOn"}, titles)
	assert.Contains(t, bodies[0], "read it on the feed's page")
	assert.Contains(t, bodies[0], "--retry-login")
	for _, secret := range []string{"locked out", mockserver.DemoUsername, mockserver.DemoPassword, strings.TrimPrefix(ts.URL, "http://")} {
		assert.NotContains(t, bodies[0], secret, "the alert holds no error text")
	}
	assert.Contains(t, s.stderr.String(), "restart with --retry-login")
}

// Logins that are submitted and land on something other than the home
// page, without any outage (here a proxy's 403 page after each submit),
// stop the refreshes after three in a row.
func TestServeStopsAfterThreeRefusedLogins(t *testing.T) {
	needChrome(t)
	mock := mockserver.New(mockserver.WithStepFault(mockserver.StepHome, mockserver.FaultProxy403))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword, "ROSTERON_FEED_TOKEN": goodToken,
	})
	s := startServe(t, env, "--state", t.TempDir(), "--refresh", "1s", "--timeout", "30s")
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 90*time.Second, 50*time.Millisecond, s.stderr.String())
	assert.Equal(t, feed.StopRefused, health(t, s).Stopped)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, feed.MaxRefusals, loginPosts(mock), "three logins, then no more")
}

// loginPosts counts the login forms the mock was sent.
func loginPosts(mock *mockserver.Server) int {
	n := 0
	for _, q := range mock.Requests() {
		if q.Method == "POST" && strings.HasSuffix(q.Path, "/Account/Login") {
			n++
		}
	}
	return n
}
