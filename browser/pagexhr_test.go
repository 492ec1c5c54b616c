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
	// What loads without any script: a frame, an object, a prefetch, a
	// refresh. None of it may leave the tab.
	doc.Body = bytes.Replace(doc.Body, []byte("</body>"), []byte(`<iframe src="/frame"></iframe><object data="/obj"></object>`+
		`<link rel="prefetch" href="/prefetch"><meta http-equiv="refresh" content="0;url=/refresh"></body>`), 1)
	require.Contains(t, string(doc.Body), `src="/frame"`)
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
	for _, x := range other.Exchanges() {
		// The refresh's navigation, failed before it left.
		assert.NotEqual(t, site.URL+"/page", x.URL, "the render from memory is no exchange")
		assert.Zero(t, x.Status, "%s got an answer", x.URL)
	}
	assert.Empty(t, site.requests()[len(before):], "the server saw nothing of the picture")
	// Scripts are on again for what the tab does next.
	on, err := browser.Eval[bool](ctx, other, `(() => { const s = document.createElement('script'); s.textContent = 'window.later = true'; document.body.appendChild(s); return !!window.later; })()`)
	require.NoError(t, err)
	assert.True(t, on)
}

// The bodies the page's own requests keep in the record stay, all
// together, within MaxPageSize: three XHRs of 6 KiB under a cap of
// 16 KiB keep two bodies, and the page itself still gets all three.
func TestPageRequestBodiesShareThePageSizeCap(t *testing.T) {
	const n = 6 << 10
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><body><p id="a">sent</p><script>
window.addEventListener('load', async function () {
  let got = 0;
  for (const i of [1, 2, 3]) got += (await (await fetch('/big?' + i)).text()).length;
  document.getElementById('a').textContent = String(got);
});
</script></body></html>`)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	b := chrome.Get(t)
	ctx := ctxT(t)
	tab, err := b.NewTab(ctx, browser.MaxPageSize(16<<10))
	require.NoError(t, err)
	t.Cleanup(func() { tab.Close() })
	_, err = tab.Navigate(ctx, site.URL+"/page")
	require.NoError(t, err)
	require.NoError(t, tab.WaitFor(ctx, `document.getElementById('a').textContent === '`+fmt.Sprint(3*n)+`'`, 20*time.Millisecond))
	_, err = tab.Settle(ctx, 150*time.Millisecond, 10*time.Second)
	require.NoError(t, err)
	kept, bigs := 0, 0
	for _, x := range tab.Exchanges() {
		if x.URL == site.URL+"/page" {
			continue
		}
		bigs++
		assert.Equal(t, 200, x.Status)
		if len(x.Body) > 0 {
			assert.Len(t, x.Body, n)
			kept++
		}
	}
	assert.Equal(t, 3, bigs, "every request is recorded")
	assert.Equal(t, 2, kept, "the bodies kept stay within the cap")
}
