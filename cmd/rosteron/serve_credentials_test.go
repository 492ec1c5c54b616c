package main

import (
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// A password RosterOn rejects stops the refreshes: each try would count
// towards locking the account. The feed itself goes on answering.
func TestServeStopsRefreshingOnRejectedPassword(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": "not-" + mockserver.DemoPassword,
	})
	// A refresh interval shorter than the test: without the stop there
	// would be a second login.
	s := startServe(t, env, "--state", t.TempDir(), "--refresh", "1s", "--timeout", "30s")
	require.Eventually(t, func() bool { return !health(t, s).Refreshing }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	st := health(t, s)
	assert.Nil(t, st.NextRefresh)
	assert.Contains(t, st.LastError, "rejected the login credentials")
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))

	var posts int
	for _, q := range mock.Requests() {
		if q.Method == "POST" && strings.HasSuffix(q.Path, "/Account/Login") {
			posts++
		}
	}
	assert.Equal(t, 1, posts, "the password was tried once")
	assert.Contains(t, s.stderr.String(), "no more refreshes until restarted")
	assert.NotContains(t, s.stderr.String(), mockserver.DemoPassword)
}
