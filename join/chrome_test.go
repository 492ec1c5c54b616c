package join_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/join"
)

// TestJoinInChrome joins and manages an account in a real Chrome at a
// phone's width: the browser's own Origin and Sec-Fetch-Site headers, its
// cookie rules (SameSite, path) and its Content-Security-Policy are what
// the pages must work with, and no test client can stand in for them.
func TestJoinInChrome(t *testing.T) {
	chrometest.Need(t)
	e := newEnv(t)
	e.secret(goodPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chrometest.Options(), browser.WithFlag("window-size", "390,844"))
	b, err := browser.Open(ctx, opts...)
	require.NoError(t, err)
	defer b.Close()
	tab, err := b.NewTab(ctx)
	require.NoError(t, err)
	defer tab.Close()

	res, err := tab.Navigate(ctx, e.public+"/join")
	require.NoError(t, err)
	require.Equal(t, 200, res.Status)
	// The inline style applied (the policy allows it by its hash): the
	// body's margin is the style's 0, not the browser's 8px.
	margin, err := browser.Eval[string](ctx, tab, `getComputedStyle(document.body).marginTop`)
	require.NoError(t, err)
	assert.Equal(t, "0px", margin, "the page's style was blocked")
	if chrometest.Remote() == "" {
		width, err := browser.Eval[int](ctx, tab, `window.innerWidth`)
		require.NoError(t, err)
		assert.LessOrEqual(t, width, 400, "not at a phone's width")
	}
	assertNoOverflow(ctx, t, tab)

	require.NoError(t, tab.Fill(ctx,
		browser.Field{Selector: "#instance", Value: instanceB},
		browser.Field{Selector: "#username", Value: "carol"},
		browser.Field{Selector: "#password", Value: goodPassword},
		browser.Field{Selector: "#zone", Value: "Pacific/Auckland"},
	))
	res, err = tab.Click(ctx, "button[type=submit]")
	require.NoError(t, err)
	require.Equal(t, 200, res.Status, "the join was refused")
	assertNoOverflow(ctx, t, tab)
	page, err := browser.Eval[string](ctx, tab, `document.querySelector('#page').value`)
	require.NoError(t, err)
	code, err := browser.Eval[string](ctx, tab, `document.querySelector('#manage').value`)
	require.NoError(t, err)
	e.secret(code)
	a, err := e.store.Find(ctx, instanceB, "carol")
	require.NoError(t, err)
	assert.Equal(t, "Pacific/Auckland", a.Zone)
	tok, err := e.store.Token(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, e.public+"/"+tok+"/", page)
	// The QR code's data: image loaded (img-src data: allows it).
	qrWidth, err := browser.Eval[int](ctx, tab, `document.querySelector('img.qr').naturalWidth`)
	require.NoError(t, err)
	assert.Positive(t, qrWidth, "the QR code was blocked")

	// Manage: log in with the code, then pause.
	_, err = tab.Navigate(ctx, e.public+"/manage/")
	require.NoError(t, err)
	require.NoError(t, tab.Fill(ctx, browser.Field{Selector: "#code", Value: code}))
	res, err = tab.Click(ctx, "button[type=submit]")
	require.NoError(t, err)
	require.Equal(t, 200, res.Status)
	assert.Equal(t, e.public+"/manage/", res.URL)
	assertNoOverflow(ctx, t, tab)
	res, err = tab.Click(ctx, `form[action="/manage/pause"] button`)
	require.NoError(t, err)
	require.Equal(t, 200, res.Status)
	assert.Equal(t, e.public+"/manage/?done=paused", res.URL)
	got, err := e.store.Get(ctx, a.ID)
	require.NoError(t, err)
	assert.True(t, got.Paused)
	assert.Equal(t, join.PausedByOwner, got.PauseReason)
}

// assertNoOverflow checks that the page fits the window's width: nothing
// to scroll sideways on a phone.
func assertNoOverflow(ctx context.Context, t *testing.T, tab *browser.Tab) {
	t.Helper()
	over, err := browser.Eval[bool](ctx, tab, `document.documentElement.scrollWidth > window.innerWidth`)
	require.NoError(t, err)
	assert.False(t, over, "the page is wider than the window")
}
