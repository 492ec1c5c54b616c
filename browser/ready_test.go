package browser_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// launch starts a browser of the test's own, with options the shared one
// does not have.
func launch(t *testing.T, opts ...browser.Option) *browser.Browser {
	t.Helper()
	b, err := browser.Launch(ctxT(t), opts...)
	if errors.Is(err, browser.ErrNoChrome) {
		chrome.Get(t) // skips, or fails in CI
	}
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestReadyTabsAreFreshAndIsolated(t *testing.T) {
	ts := site(t)
	b := launch(t, browser.WithReadyTabs(2))
	ctx := ctxT(t)
	var tabs []*browser.Tab
	for i := range 4 {
		tab, err := b.NewTab(ctx)
		require.NoError(t, err)
		tabs = append(tabs, tab)
		cookies, err := tab.Cookies(ctx, ts.URL)
		require.NoError(t, err)
		assert.Empty(t, cookies, "tab %d starts with no cookies", i)
		assert.Empty(t, tab.Exchanges(), "tab %d has recorded nothing", i)
		_, err = tab.Navigate(ctx, ts.URL+"/start")
		require.NoError(t, err)
	}
	for _, tab := range tabs {
		require.NoError(t, tab.Close())
	}
	tab, err := b.NewTab(ctx)
	require.NoError(t, err)
	cookies, err := tab.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Empty(t, cookies, "no tab is used twice")

	require.NoError(t, b.Close())
	assert.False(t, b.Alive())
	_, err = b.NewTab(context.Background())
	assert.Error(t, err, "a closed browser hands out no tab")
}
