package browser_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
)

// open starts a browser of the test's own, with options the shared one
// does not have.
func open(t *testing.T, opts ...browser.Option) *browser.Browser {
	t.Helper()
	chrometest.Need(t)
	b, err := browser.Open(ctxT(t), append(chrometest.Options(), opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestReadyTabsAreFreshAndIsolated(t *testing.T) {
	ts := site(t)
	b := open(t, browser.WithReadyTabs(2))
	ctx := ctxT(t)

	assert.Empty(t, browser.ReadyTabsOf(b), "nothing is made before the first tab is asked for")
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
	require.Eventually(t, func() bool { return len(browser.ReadyTabsOf(b)) == 2 }, 30*time.Second, 10*time.Millisecond, "two tabs made ahead")
	made := map[*browser.Tab]bool{}
	for _, tab := range browser.ReadyTabsOf(b) {
		made[tab] = true
	}
	tab, err := b.NewTab(ctx)
	require.NoError(t, err)
	assert.True(t, made[tab], "the tab handed out is one made ahead")
	for _, old := range tabs {
		assert.NotSame(t, old, tab, "no tab is handed out twice")
		require.NoError(t, old.Close())
	}
	cookies, err := tab.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Empty(t, cookies, "a tab made ahead shares nothing with those used before")

	require.Eventually(t, func() bool { return len(browser.ReadyTabsOf(b)) == 2 }, 30*time.Second, 10*time.Millisecond, "two tabs made ahead again")
	ready := browser.ReadyTabsOf(b)
	require.NoError(t, b.Close())
	assert.False(t, b.Alive())
	assert.Empty(t, browser.ReadyTabsOf(b), "closing the browser closes the tabs made ahead")
	for _, r := range ready {
		assert.False(t, r.Alive(), "a tab made ahead ends with the browser")
		if chrometest.Remote() == "" {
			assert.False(t, browser.ClosedByCaller(r), "a launched Chrome's tabs made ahead are not closed one by one before it is killed")
		}
	}
	assert.False(t, tab.Alive(), "nor are its tabs")
	_, err = b.NewTab(context.Background())
	assert.ErrorIs(t, err, browser.ErrTabGone, "a closed browser hands out no tab")
	_, err = b.FirstTab(context.Background())
	assert.ErrorIs(t, err, browser.ErrTabGone)
}

// A launched Chrome keeps cookies, cache and storage in memory: a
// session's cookie never reaches the disk, and Close removes an empty
// folder.
func TestLaunchedChromeWritesNothingToItsProfile(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=s3cret; Path=/; HttpOnly")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<p>cookie</p><script>localStorage.setItem('k', 'v')</script>`))
	}))
	defer ts.Close()
	path := chrometest.NeedLocal(t)
	ctx := ctxT(t)
	b, err := browser.Launch(ctx, browser.WithExecPath(path))
	require.NoError(t, err)
	defer b.Close()
	tab, err := b.FirstTab(ctx)
	require.NoError(t, err)
	_, err = tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	cookies, err := tab.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	require.Len(t, cookies, 1, "the cookie was set")

	profile := browser.ProfileOf(b)
	var files []string
	require.NoError(t, filepath.WalkDir(profile, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	assert.Empty(t, files)

	require.NoError(t, b.Close())
	_, err = os.Stat(profile)
	assert.ErrorIs(t, err, fs.ErrNotExist, "Close removed the profile folder")
}
