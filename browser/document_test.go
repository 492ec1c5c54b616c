package browser_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// summary is what the saved logs keep of an exchange, less its time.
func summary(xs []browser.Exchange) []string {
	var out []string
	for _, x := range xs {
		var names []string
		for _, h := range x.Header {
			if h.Name != "Date" {
				names = append(names, h.Name+": "+h.Value)
			}
		}
		out = append(out, fmt.Sprintf("%s %s %d %s %q %q %s", x.Method, x.URL, x.Status, x.StatusText, names, x.Body, x.Error))
	}
	return out
}

func TestFetchIsRecordedAsANavigationIsAndRendersNothing(t *testing.T) {
	ts := site(t)
	ctx := ctxT(t)

	// What a navigation records, in a tab of its own.
	nav := newTab(t)
	_, err := nav.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	_, err = nav.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)

	tab := newTab(t)
	_, err = tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	doc, err := tab.Fetch(ctx, ts.URL+"/start")
	require.NoError(t, err)
	assert.False(t, doc.Rendered)
	assert.Equal(t, 200, doc.Status)
	assert.Equal(t, "OK", doc.StatusText)
	assert.Equal(t, ts.URL+"/page", doc.URL)
	assert.Empty(t, doc.Location)
	assert.Contains(t, string(doc.Body), `<p id="c">s3cret</p>`, "the cookie the redirect set went with the next request")

	assert.Equal(t, summary(nav.Exchanges()), summary(tab.Exchanges()), "the same exchanges, redirect and headers and bodies, as the navigation")

	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="c">none</p>`, "the tab still shows the page it showed")
	cookies, err := tab.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Len(t, cookies, 2, "the cookies the responses set are set")
}

func TestFetchDecodesTheCharsetTheResponseNames(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latin1" {
			w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
			w.Write([]byte("<p>Zo\xeb</p>"))
			return
		}
		io.WriteString(w, "<p>start</p>")
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	doc, err := tab.Fetch(ctx, ts.URL+"/latin1")
	require.NoError(t, err)
	assert.Equal(t, "<p>Zoë</p>", string(doc.Body))
	xs := tab.Exchanges()
	assert.Equal(t, "<p>Zoë</p>", string(xs[len(xs)-1].Body))
}

func TestFetchFailuresAreNetworkErrorsAndRecorded(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/truncated":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<p>half")
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			io.WriteString(w, "<p>start</p>")
		}
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)

	_, err = tab.Fetch(ctx, ts.URL+"/truncated")
	require.ErrorIs(t, err, browser.ErrPageLoad)
	assert.Contains(t, err.Error(), "ERR_CONTENT_LENGTH_MISMATCH", "a body cut short is never taken for a whole one")
	xs := tab.Exchanges()
	assert.Equal(t, ts.URL+"/truncated", xs[len(xs)-1].URL)

	before := len(tab.Exchanges())
	_, err = tab.Fetch(ctx, ts.URL+"/loop")
	require.ErrorIs(t, err, browser.ErrPageLoad)
	assert.Contains(t, err.Error(), "ERR_TOO_MANY_REDIRECTS")
	loops := tab.Exchanges()[before:]
	assert.Len(t, loops, 21, "every redirect that was made is recorded, as a navigation records them")
	for _, x := range loops {
		assert.Equal(t, 302, x.Status)
	}
}

func TestFetchGoesToAnotherSiteByNavigating(t *testing.T) {
	ts := site(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ts.URL+"/page", http.StatusFound)
	}))
	t.Cleanup(other.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)

	// other's site is another origin (another port): no fetch goes there.
	doc, err := tab.Fetch(ctx, other.URL+"/")
	require.NoError(t, err)
	assert.True(t, doc.Rendered)
	assert.Equal(t, ts.URL+"/page", doc.URL)
	xs := tab.Exchanges()
	require.Len(t, xs, 3)
	assert.Equal(t, other.URL+"/", xs[1].URL)
	assert.Equal(t, 302, xs[1].Status)
}

func TestSubmitStopsAtTheRedirectAndFetchFollowsIt(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)
	require.NoError(t, tab.Fill(ctx, browser.Field{Selector: "#u", Value: "zoë"}, browser.Field{Selector: "#p", Value: "hunter2"}))
	doc, err := tab.Submit(ctx, "#go")
	require.NoError(t, err)
	assert.Equal(t, 302, doc.Status)
	assert.Equal(t, ts.URL+"/post", doc.URL)
	loc, err := url.Parse(doc.Location)
	require.NoError(t, err)
	assert.Equal(t, ts.URL+"/done", loc.Scheme+"://"+loc.Host+loc.Path)
	assert.Equal(t, url.Values{"u": {"zoë"}, "plen": {"7"}}, loc.Query())
	assert.False(t, doc.Rendered)
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="c">s3cret</p>`, "the tab still shows the form's page")

	xs := tab.Exchanges()
	require.Len(t, xs, 3)
	assert.Equal(t, "POST", xs[2].Method)
	assert.Equal(t, 302, xs[2].Status)
	assert.Equal(t, "Found", xs[2].StatusText)
	assert.Empty(t, xs[2].Error)
	assert.Empty(t, xs[2].Body, "no body for a redirect, as Chrome keeps none")

	done, err := tab.Fetch(ctx, doc.Location)
	require.NoError(t, err)
	assert.Contains(t, string(done.Body), `<p id="r">zoë 7</p>`)
	assert.Len(t, tab.Exchanges(), 4)
}

func TestSubmitRendersAnAnswerThatIsNoRedirect(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodPost {
			io.WriteString(w, `<p id="answer">posted</p>`)
			return
		}
		io.WriteString(w, `<form method="post" action="/"><input id="go" type="submit" value="Go"></form>`)
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	doc, err := tab.Submit(ctx, "#go")
	require.NoError(t, err)
	assert.True(t, doc.Rendered)
	assert.Equal(t, 200, doc.Status)
	assert.Empty(t, doc.Location)
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="answer">posted</p>`)
}

func TestRenderShowsAFetchedPageWithoutAskingAgain(t *testing.T) {
	var asked atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/built" {
			asked.Add(1)
			w.Header().Set("Set-Cookie", "seen=1; Path=/")
			io.WriteString(w, `<html><body><script>setTimeout(function(){var d=document.createElement('div');d.id='late';d.textContent=location.pathname;document.body.appendChild(d)},30)</script></body></html>`)
			return
		}
		if r.URL.Path == "/latin1" {
			// Fetch hands the body over in UTF-8, longer than the
			// Content-Length sent.
			w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
			w.Header().Set("Content-Length", strconv.Itoa(len(latin1Page)))
			io.WriteString(w, latin1Page)
			return
		}
		io.WriteString(w, "<p>start</p>")
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	doc, err := tab.Fetch(ctx, ts.URL+"/built")
	require.NoError(t, err)
	n := len(tab.Exchanges())

	require.NoError(t, tab.Render(ctx, doc))
	require.NoError(t, tab.WaitFor(ctx, `!!document.getElementById('late')`, 10*time.Millisecond))
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<div id="late">/built</div>`, "the page runs at its own URL")
	assert.Equal(t, int32(1), asked.Load(), "the server was asked once")
	assert.Len(t, tab.Exchanges(), n, "the replay is not an exchange with the server")

	// The tab goes on as usual afterwards.
	doc, err = tab.Fetch(ctx, ts.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, "<p>start</p>", string(doc.Body))

	// A page in another charset shows its text as the server meant it.
	doc, err = tab.Fetch(ctx, ts.URL+"/latin1")
	require.NoError(t, err)
	require.NoError(t, tab.Render(ctx, doc))
	html, err = tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="name">Zoë Brontë Noël</p><p id="end">the end</p>`)
}

// latin1Page is a page in ISO-8859-1: Zoë Brontë Noël.
const latin1Page = "<html><body><p id=\"name\">Zo\xeb Bront\xeb No\xebl</p><p id=\"end\">the end</p></body></html>"

func TestFetchFromABlankTabNavigates(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	doc, err := tab.Fetch(ctx, ts.URL+"/page")
	require.NoError(t, err)
	assert.True(t, doc.Rendered, "a blank tab shows no page of the site to fetch from")
	assert.Empty(t, doc.Body, "a rendered document is read with HTML")
	assert.Empty(t, doc.Header, "a rendered document's headers are in Exchanges")
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="c">none</p>`)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String() + "/"
	require.NoError(t, l.Close())
	_, err = newTab(t).Fetch(ctx, closed)
	assert.ErrorIs(t, err, browser.ErrPageLoad)
	assert.ErrorContains(t, err, "ERR_CONNECTION_REFUSED")
}

// A fetch given up (out of time, or cancelled) is ended, as a navigation
// ends the one it replaces, and recorded as aborted; the tab goes on.
func TestFetchGivenUpIsAbortedAndRecorded(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			close(arrived)
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>start</p>")
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)

	// Give up once the server holds the request.
	giveUp, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	_, err = tab.Fetch(giveUp, ts.URL+"/hang")
	require.ErrorIs(t, err, context.Canceled)
	require.Eventually(t, func() bool {
		xs := tab.Exchanges()
		return xs[len(xs)-1].Error == "net::ERR_ABORTED"
	}, 10*time.Second, 10*time.Millisecond, "the request was ended and recorded as aborted")

	doc, err := tab.Fetch(ctx, ts.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, "<p>start</p>", string(doc.Body))
}

// A page whose own fetch() is built on XMLHttpRequest, as old polyfills
// are, still has Fetch's requests recorded.
func TestFetchThroughAPagesOwnFetchIsRecorded(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/page" {
			io.WriteString(w, "<p>page</p>")
			return
		}
		io.WriteString(w, `<script>
window.fetch = function (url, opts) {
  return new Promise(function (resolve, reject) {
    var x = new XMLHttpRequest();
    x.open('GET', url);
    x.responseType = 'arraybuffer';
    x.onload = function () {
      resolve({type: 'basic', url: x.responseURL, status: x.status, statusText: x.statusText,
        headers: {get: function (n) { return x.getResponseHeader(n); }},
        arrayBuffer: function () { return Promise.resolve(x.response); }});
    };
    x.onerror = function () { reject(new TypeError('Failed to fetch')); };
    x.send();
  });
};
</script>`)
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	doc, err := tab.Fetch(ctx, ts.URL+"/page")
	require.NoError(t, err)
	assert.Equal(t, "<p>page</p>", string(doc.Body))
	xs := tab.Exchanges()
	require.Len(t, xs, 2)
	assert.Equal(t, ts.URL+"/page", xs[1].URL)
	assert.Equal(t, 200, xs[1].Status)
	assert.Equal(t, "<p>page</p>", string(xs[1].Body))
}
