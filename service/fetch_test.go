package service_test

import (
	"context"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// fetchMock is a mock RosterOn on loopback with generated users.
func fetchMock(t *testing.T, users []mockserver.User) (*mockserver.Server, string) {
	t.Helper()
	m := mockserver.New(mockserver.WithUsers(users...))
	ts := httptest.NewServer(m)
	t.Cleanup(ts.Close)
	t.Cleanup(m.Close)
	return m, ts.URL + m.BasePath()
}

// One shared Chrome reads each account's own roster, tells a wrong
// password apart as permanent, and, killed between two fetches, is
// started again for the next one, leaving no process of the dead one.
func TestBrowserFetch(t *testing.T) {
	path := chrometest.NeedLocal(t)
	users := mockserver.GenerateUsers("nurse", 2, 1, time.Now())
	m, url := fetchMock(t, users)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	b := service.NewBrowser(browser.WithExecPath(path), browser.WithReadyTabs(1))
	defer func() { assert.NoError(t, b.Close()) }()
	limiter := session.NewLimiter(2, 0)
	fetch := b.Fetch(session.WithTimeout(30 * time.Second))
	account := func(u mockserver.User) *store.Account {
		return &store.Account{ID: 1, Username: u.Username, Instance: url}
	}
	assert.Zero(t, b.Launches(), "nothing starts before the first fetch")

	for _, u := range users {
		snap, err := fetch(ctx, account(u), u.Password, limiter)
		require.NoError(t, err)
		assert.Equal(t, u.Roster, snap.Items, "%s's own roster", u.Username)
	}
	_, err := fetch(ctx, account(users[0]), users[1].Password, limiter)
	require.Error(t, err)
	assert.ErrorIs(t, err, feed.ErrPermanent)
	assert.NotContains(t, err.Error(), users[1].Password)
	assert.Equal(t, 1, b.Launches())
	assert.Zero(t, m.Sessions(), "every session logged out")

	pid := b.PID()
	require.NotZero(t, pid)
	tree := chrometest.Tree(pid)
	require.NoError(t, syscall.Kill(-pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return b.PID() == 0 }, time.Minute, 10*time.Millisecond, "the dead Chrome is noticed")

	snap, err := fetch(ctx, account(users[1]), users[1].Password, limiter)
	require.NoError(t, err)
	assert.Equal(t, users[1].Roster, snap.Items)
	assert.Equal(t, 2, b.Launches())
	assert.NotEqual(t, pid, b.PID())
	assert.Empty(t, chrometest.Alive(tree), "no process of the killed Chrome is left")

	// Killed just before a fetch, before its loss is noticed: the
	// session, which fails before the login page, runs again in a new
	// Chrome.
	pid = b.PID()
	require.NotZero(t, pid)
	require.NoError(t, syscall.Kill(-pid, syscall.SIGKILL))
	snap, err = fetch(ctx, account(users[0]), users[0].Password, limiter)
	require.NoError(t, err)
	assert.Equal(t, users[0].Roster, snap.Items)
	assert.Equal(t, 3, b.Launches())
	assert.Zero(t, m.Sessions(), "every session logged out")

	require.NoError(t, b.Close())
	_, err = fetch(ctx, account(users[0]), users[0].Password, limiter)
	assert.ErrorIs(t, err, service.ErrBrowserClosed)
	assert.Equal(t, 3, b.Launches(), "a closed browser starts no other")
}

// A fetch without a password stops the account, sending nothing.
func TestBrowserFetchNoPassword(t *testing.T) {
	t.Parallel()
	b := service.NewBrowser(browser.WithExecPath("/nonexistent/chrome"))
	defer b.Close()
	_, err := b.Fetch()(context.Background(), &store.Account{Username: "ann", Instance: "http://127.0.0.1:1/Mobile"}, "", nil)
	assert.ErrorIs(t, err, feed.ErrPermanent)
	assert.Zero(t, b.Launches())
}
