package browser_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// pageSite serves /page, whose script loads a static script and sends an
// XHR and a fetch() after load, and counts the requests it gets.
type pageSite struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newPageSite(t *testing.T) *pageSite {
	s := &pageSite{}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><body><p id="a">sent</p><img src="/img.png">
<script src="/static.js"></script>
<script>
window.addEventListener('load', function () {
  var x = new XMLHttpRequest();
  x.open('GET', '/data.xhr');
  x.onload = function () {
    document.getElementById('a').textContent = x.responseText;
    fetch('/data.fetch').then(function (r) { return r.text(); }).then(function (t) {
      document.getElementById('a').textContent += ' ' + t;
    });
  };
  x.send();
});
</script></body></html>`)
	})
	mux.HandleFunc("/static.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, `window.staticRan = true;`)
	})
	mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/data.xhr", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "from-xhr") })
	mux.HandleFunc("/data.fetch", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "from-fetch") })
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pageSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// A rendered page's own XHR and fetch() requests are exchanges, bodies
// and all once Settle returns; its static script and image are not.
func TestPageRequestsOfScriptsAreRecorded(t *testing.T) {
	site := newPageSite(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, site.URL+"/page")
	require.NoError(t, err)
	settled, err := tab.Settle(ctx, 150*time.Millisecond, 10*time.Second)
	require.NoError(t, err)
	require.True(t, settled)
	text, err := browser.Eval[string](ctx, tab, `document.getElementById('a').textContent`)
	require.NoError(t, err)
	require.Equal(t, "from-xhr from-fetch", text)

	var got []string
	bodies := map[string]string{}
	for _, x := range tab.Exchanges() {
		got = append(got, x.Method+" "+x.URL)
		bodies[x.URL] = string(x.Body)
	}
	assert.Equal(t, []string{"GET " + site.URL + "/page", "GET " + site.URL + "/data.xhr", "GET " + site.URL + "/data.fetch"}, got)
	assert.Equal(t, "from-xhr", bodies[site.URL+"/data.xhr"])
	assert.Equal(t, "from-fetch", bodies[site.URL+"/data.fetch"])
	assert.Contains(t, site.requests(), "GET /static.js", "the static script was loaded, not recorded")
}

// Picture renders a fetched page from memory with its scripts off: no
// request for the page, none of its scripts' requests, and a PNG of the
// page as sent.
func TestPictureRendersTheBytesReadWithScriptsOff(t *testing.T) {
	site := newPageSite(t)
	b := chrome.Get(t)
	ctx := ctxT(t)
	tab := newTab(t)
	_, err := tab.Navigate(ctx, site.URL+"/data.xhr")
	require.NoError(t, err)
	doc, err := tab.Fetch(ctx, site.URL+"/page")
	require.NoError(t, err)
	require.False(t, doc.Rendered)
	before := site.requests()

	other, err := b.NewTab(ctx, browser.Block(browser.Image))
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	shot, err := other.Picture(ctx, doc)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Positive(t, img.Bounds().Dx())
	text, err := browser.Eval[string](ctx, other, `document.getElementById('a').textContent + ' ' + !!window.staticRan`)
	require.NoError(t, err)
	assert.Equal(t, "sent false", text, "the page as sent, no script of it run")
	assert.Empty(t, other.Exchanges(), "the render from memory is no exchange")
	for _, r := range site.requests()[len(before):] {
		assert.NotContains(t, []string{"GET /page", "GET /data.xhr", "GET /data.fetch", "GET /img.png"}, r)
	}
	// Scripts are on again for what the tab does next.
	on, err := browser.Eval[bool](ctx, other, `(() => { const s = document.createElement('script'); s.textContent = 'window.later = true'; document.body.appendChild(s); return !!window.later; })()`)
	require.NoError(t, err)
	assert.True(t, on)
}
