package browser_test

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
)

// ownChromedp is a program's own chromedp context over its own allocator:
// the tests' remote Chrome when there is one, else a launched one.
func ownChromedp(t *testing.T) context.Context {
	t.Helper()
	chrometest.Need(t)
	var allocCtx context.Context
	var cancel context.CancelFunc
	if r := chrometest.Remote(); r != "" {
		allocCtx, cancel = remote.NewAllocator(context.Background(), r)
	} else {
		path, err := chrometest.Local()
		require.NoError(t, err)
		allocCtx, cancel = chromedp.NewExecAllocator(context.Background(),
			append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
				chromedp.NoInheritEnv, chromedp.Env(browser.ChromeEnv(os.Environ())...))...)
	}
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	return ctx
}

func TestAdoptUsesTheCallersBrowserAndLeavesItRunning(t *testing.T) {
	ts := site(t)
	own := ownChromedp(t)
	ctx := ctxT(t)

	b, err := browser.Adopt(own)
	require.NoError(t, err)
	assert.True(t, b.Alive())
	assert.Contains(t, b.Version(), "Chrome")
	assert.Empty(t, browser.ProfileOf(b), "nothing of the caller's to remove")

	// The program's own tab gets a cookie; the adopted browser's tabs,
	// FirstTab's included, are isolated from it.
	require.NoError(t, chromedp.Do(own, chromedp.Navigate(ts.URL+"/start")))
	tab, err := b.FirstTab(ctx)
	require.NoError(t, err)
	resp, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="c">none</p>`, "no cookie of the program's tab")
	url, err := chromedp.Run(own, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, ts.URL+"/page", url, "the program's tab was not taken")

	// Close ends this Browser's tabs only.
	require.NoError(t, b.Close())
	assert.False(t, tab.Alive())
	_, err = tab.Navigate(ctx, ts.URL+"/page")
	assert.ErrorIs(t, err, browser.ErrTabGone)
	require.NoError(t, chromedp.Do(own, chromedp.Navigate(ts.URL+"/page")), "the program's browser still runs")
}

func TestAdoptNeedsAChromedpContext(t *testing.T) {
	t.Parallel()
	_, err := browser.Adopt(context.Background())
	assert.ErrorIs(t, err, chromedp.ErrInvalidContext)
}

// A tab whose browser went away says so, matchably.
func TestTabOfAClosedBrowserIsGone(t *testing.T) {
	chrometest.Need(t)
	ctx := ctxT(t)
	b, err := browser.Open(ctx, chrometest.Options()...)
	require.NoError(t, err)
	tab, err := b.NewTab(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Close())
	_, err = tab.Navigate(ctx, site(t).URL+"/page")
	assert.ErrorIs(t, err, browser.ErrTabGone)
	assert.Contains(t, err.Error(), "the browser tab is gone (did Chrome exit?)")
}
