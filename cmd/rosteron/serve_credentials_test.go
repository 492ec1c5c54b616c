package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
// more; --retry-login tries once more; a new password that works mends
// it, and one more alert says so.
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
	require.Eventually(t, func() bool { titles, _ := rcv.got(); return len(titles) == 1 }, 20*time.Second, 10*time.Millisecond)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	titles, bodies := rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: password rejected"}, titles)
	assert.Contains(t, bodies[0], "RosterOn rejected the password: update it and restart")
	assert.Equal(t, 1, posts(), "the password was tried once")
	out := s.stderr.String()
	assert.Contains(t, out, "no more refreshes until restarted")
	assert.NotContains(t, out, mockserver.DemoPassword)
	guard, err := os.ReadFile(filepath.Join(state, feed.GuardFile))
	require.NoError(t, err)
	assert.NotContains(t, string(guard), mockserver.DemoPassword)

	// The same password after a restart: no login, no second alert.
	s = startServe(t, env(wrong), args...)
	require.Eventually(t, func() bool { return strings.Contains(s.stderr.String(), "not logging in") }, 20*time.Second, 10*time.Millisecond)
	resp, _ = httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 1, posts(), "no login with a password already rejected")
	assert.Contains(t, s.stderr.String(), "restart with a new password, or with --retry-login")
	assert.Empty(t, outbox(t, state), "no second alert queued")

	// --retry-login tries it once more, and stops again.
	s = startServe(t, env(wrong), append(args, "--retry-login")...)
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 2, posts(), "one more try")
	assert.Empty(t, outbox(t, state), "still no second alert")

	// The right password: the roster, 200, and one alert that it works.
	s = startServe(t, env(mockserver.DemoPassword), args...)
	require.Eventually(t, func() bool { resp, _ := httpGet(t, s.health); return resp.StatusCode == http.StatusOK },
		60*time.Second, 50*time.Millisecond, s.stderr.String())
	require.Eventually(t, func() bool { titles, _ := rcv.got(); return len(titles) == 2 }, 20*time.Second, 10*time.Millisecond)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	titles, _ = rcv.got()
	assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed working again"}, titles)
	assert.NotContains(t, s.stderr.String(), mockserver.DemoPassword)
}

// outbox is the alerts queued and not yet delivered in the state folder.
func outbox(t *testing.T, state string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(state, feed.NotifyFile))
	require.NoError(t, err)
	var st struct {
		Outbox []json.RawMessage `json:"outbox"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	return st.Outbox
}

// A login page that answers the password with any other message, here a
// lock-out, stops the refreshes at once, as a rejected password does: a
// locked account must not be locked harder.
func TestServeStopsOnAnyRefusal(t *testing.T) {
	needChrome(t)
	mock := mockserver.New(mockserver.WithFault(mockserver.FaultAccountLocked))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword, "ROSTERON_FEED_TOKEN": goodToken,
	})
	s := startServe(t, env, "--state", t.TempDir(), "--refresh", "1s", "--timeout", "30s")
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	st := health(t, s)
	assert.Equal(t, feed.StopRejected, st.Stopped)
	assert.Contains(t, st.LastError, "locked")
	resp, _ := httpGet(t, s.health)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Equal(t, 1, loginPosts(mock), "one login, then no more")
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
