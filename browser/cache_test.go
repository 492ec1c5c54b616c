package browser_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
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

func TestStaticCacheServesVersionedScriptsToEveryTab(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.RequestURI()]++
		mu.Unlock()
		js := func(v string) {
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, "window.ran = (window.ran || []).concat(['"+v+"']);")
		}
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<html><head>
<script src="/bundle.js?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1"></script>
<script src="/day.js"></script>
<script src="/static.js"></script>
<script src="/private.js?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1"></script>
</head><body></body></html>`)
		case "/bundle.js":
			w.Header().Set("Cache-Control", "public")
			js("bundle")
		case "/day.js":
			w.Header().Set("Cache-Control", "public, max-age=86400")
			js("day")
		case "/static.js":
			w.Header().Set("ETag", `"1"`)
			js("static")
		case "/private.js":
			w.Header().Set("Cache-Control", "private")
			js("private")
		}
	}))
	t.Cleanup(ts.Close)

	b := launch(t, browser.WithStaticCache(1<<20))
	ctx := ctxT(t)
	for range 3 {
		tab, err := b.NewTab(ctx)
		require.NoError(t, err)
		_, err = tab.Navigate(ctx, ts.URL+"/")
		require.NoError(t, err)
		ran, err := browser.Eval[[]string](ctx, tab, `window.ran`)
		require.NoError(t, err)
		assert.Equal(t, []string{"bundle", "day", "static", "private"}, ran, "every script runs, in order, from the cache or not")
		require.NoError(t, tab.Close())
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, asked["/bundle.js?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1"], "a versioned bundle is fetched once")
	assert.Equal(t, 1, asked["/day.js"], "a day's max-age is fetched once")
	assert.Equal(t, 3, asked["/static.js"], "a file that may change is fetched by every tab")
	assert.Equal(t, 3, asked["/private.js?v=GfvPWbexY0Hcv3tbnmYG9di9DwVO52xMdM27J6KvvjQ1"], "a private answer is no one else's")
	hits, _ := b.CacheStats()
	assert.Equal(t, 4, hits)
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
