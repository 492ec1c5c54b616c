package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

func TestTLSCertificatesAreVerified(t *testing.T) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	ts := httptest.NewTLSServer(m)
	t.Cleanup(ts.Close)
	url := ts.URL + m.BasePath()

	s := newSession(t, url)
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeLogin, bad.Purpose)
	assert.Contains(t, err.Error(), "ERR_CERT")
	for _, r := range m.Requests() {
		assert.NotEqual(t, "POST", r.Method, "no password goes to a server nobody verified")
	}

	// A Chrome told to skip verification (the CLI's --insecure) gets in.
	path := chrometest.NeedLocal(t)
	insecure, err := session.New(url, session.WithBrowserOptions(browser.WithExecPath(path), browser.WithInsecureTLS()))
	require.NoError(t, err)
	defer insecure.Close()
	ctx := ctxT(t)
	require.NoError(t, insecure.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))
	_, err = insecure.GetRoster(ctx)
	require.NoError(t, err)
}

func TestCloseContextBoundsTheLogout(t *testing.T) {
	f := newMock(t)
	s := newSession(t, f.url)
	ctx := ctxT(t)
	require.NoError(t, s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword))

	done, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	require.NoError(t, s.CloseContext(done))
	// A hang guard, not a speed check: a logout that waited would take a
	// step's limit, a minute.
	assert.Less(t, time.Since(start), 20*time.Second)
	for _, r := range f.mock.Requests() {
		assert.False(t, strings.HasSuffix(r.Path, "/Account/LogOff"), "an ended context allows no logout")
	}
}

func TestGetIsRetriedOnceAfterAGatewayError(t *testing.T) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	var mu sync.Mutex
	posts, failures := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.Method == http.MethodPost {
			posts++
		}
		fail := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Account/Login") && failures == 0
		if fail {
			failures++
		}
		mu.Unlock()
		if fail {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	s := newSession(t, ts.URL+m.BasePath())
	require.NoError(t, s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword))
	assert.Equal(t, 1, failures)
	assert.Equal(t, 1, posts, "the login POST is never repeated")
	var login []string
	for _, n := range s.LogNames() {
		if strings.Contains(n, "Z-login-") {
			login = append(login, n[strings.Index(n, "Z-")+2:])
		}
	}
	assert.Equal(t, []string{"login-0.txt", "login-1.txt"}, login, "both attempts are in the log")
}

func TestLoginPostIsNotRetried(t *testing.T) {
	m := mockserver.New(mockserver.WithClock(func() time.Time { return fixedNow }))
	var mu sync.Mutex
	posts := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			posts++
			mu.Unlock()
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	s := newSession(t, ts.URL+m.BasePath())
	err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
	var bad *session.BadResponseError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, session.PurposeHome, bad.Purpose)
	assert.Contains(t, err.Error(), "503")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, posts)
}
