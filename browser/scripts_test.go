package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// With scripts off, a page is shown as sent: its scripts, linked or
// inline, are neither fetched nor run, while the tab's own work in it
// (Eval, Fill, Submit, Fetch) goes on, and its form posts. Turned back
// on, the next page the tab renders runs its scripts.
func TestScriptsOffShowsThePageAsSent(t *testing.T) {
	var scripts, posts atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/s.js", func(w http.ResponseWriter, r *http.Request) {
		scripts.Add(1)
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, `document.documentElement.className += ' linked';`)
	})
	page := `<!DOCTYPE html><html><head><script src="/s.js"></script></head><body>
<script>document.documentElement.className += ' inline';</script>
<form method="post" action="/post" onsubmit="document.title = 'handled'"><input name="u"><input name="p" type="password"><input id="go" type="submit" value="Go"></form>
</body></html>`
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		require.NoError(t, r.ParseForm())
		http.Redirect(w, r, "/done?u="+r.PostForm.Get("u"), http.StatusFound)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<p>done `+r.URL.Query().Get("u")+`</p>`)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx := ctxT(t)
	tab := newTab(t)

	require.NoError(t, tab.SetScripts(ctx, false))
	_, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	class, err := browser.Eval[string](ctx, tab, `document.documentElement.className`)
	require.NoError(t, err)
	assert.Empty(t, class, "no script ran")
	assert.Zero(t, scripts.Load(), "no script was fetched")

	require.NoError(t, tab.Fill(ctx, browser.Field{Selector: `input[name="u"]`, Value: "bob"}, browser.Field{Selector: `input[name="p"]`, Value: "pw"}))
	doc, err := tab.Submit(ctx, "#go")
	require.NoError(t, err)
	assert.Equal(t, 302, doc.Status)
	assert.Equal(t, int32(1), posts.Load())
	title, err := browser.Eval[string](ctx, tab, `document.title`)
	require.NoError(t, err)
	assert.Empty(t, title, "the form's inline handler did not run")
	done, err := tab.Fetch(ctx, doc.Location)
	require.NoError(t, err)
	assert.Equal(t, "<p>done bob</p>", string(done.Body))

	require.NoError(t, tab.SetScripts(ctx, true))
	require.NoError(t, tab.Render(ctx, &browser.Document{Response: browser.Response{URL: ts.URL + "/page", Status: 200}, Body: []byte(page)}))
	class, err = browser.Eval[string](ctx, tab, `document.documentElement.className`)
	require.NoError(t, err)
	assert.Equal(t, " linked inline", class, "scripts on again: the page's scripts ran")
	assert.Equal(t, int32(1), scripts.Load())
}
