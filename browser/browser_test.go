package browser_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
)

var chrome chrometest.Shared

func TestMain(m *testing.M) {
	flag.Parse()
	// The examples launch a Chrome of their own and, unlike tests, cannot
	// skip themselves: without one (outside CI) they are skipped here.
	if _, err := chrometest.Local(); err != nil && !chrometest.InCI() {
		if skip := flag.Lookup("test.skip"); skip != nil && skip.Value.String() == "" {
			fmt.Fprintf(os.Stderr, "skipping the examples: %v\n", err)
			_ = skip.Value.Set("^Example")
		}
	}
	code := m.Run()
	chrome.Close()
	os.Exit(code)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTab(t *testing.T) *browser.Tab {
	b := chrome.Get(t)
	tab, err := b.NewTab(ctxT(t))
	require.NoError(t, err)
	t.Cleanup(func() { tab.Close() })
	return tab
}

// site is a small server with a redirect, a cookie, a form and a page that
// builds its content by script.
func site(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-First", "1")
		http.SetCookie(w, &http.Cookie{Name: "sess", Value: "s3cret", Path: "/"})
		w.Header().Add("Set-Cookie", "other=two; Path=/")
		http.Redirect(w, r, "/page", http.StatusFound)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("sess")
		v := "none"
		if c != nil {
			v = c.Value
		}
		fmt.Fprintf(w, `<html><body><p id="c">%s</p>
<form method="post" action="/post"><input id="u" name="u"><input id="p" name="p" type="password"><input id="go" type="submit" value="Go"></form>
</body></html>`, v)
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "want POST", http.StatusMethodNotAllowed)
			return
		}
		require.NoError(t, r.ParseForm())
		http.Redirect(w, r, "/done?u="+r.PostForm.Get("u")+"&plen="+fmt.Sprint(len(r.PostForm.Get("p"))), http.StatusFound)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><body><p id="r">%s %s</p></body></html>`, r.URL.Query().Get("u"), r.URL.Query().Get("plen"))
	})
	mux.HandleFunc("/script", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<html><body><script>setTimeout(function(){var d=document.createElement('div');d.id='late';d.textContent='here';document.body.appendChild(d)},80)</script></body></html>`)
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no entry", http.StatusForbidden)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestNavigateRecordsRedirectsInOrder(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)

	resp, err := tab.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, ts.URL+"/page", resp.URL)

	xs := tab.Exchanges()
	require.Len(t, xs, 2)
	assert.Equal(t, "GET", xs[0].Method)
	assert.Equal(t, ts.URL+"/start", xs[0].URL)
	assert.Equal(t, 302, xs[0].Status)
	assert.Equal(t, "Found", xs[0].StatusText)
	assert.Empty(t, xs[0].Body, "Chrome keeps no body for a redirect")
	var cookies []string
	var names []string
	for _, h := range xs[0].Header {
		names = append(names, h.Name)
		if h.Name == "Set-Cookie" {
			cookies = append(cookies, h.Value)
		}
	}
	assert.Equal(t, []string{"sess=s3cret; Path=/", "other=two; Path=/"}, cookies, "repeated headers stay separate lines")
	assert.Contains(t, names, "Location")
	assert.Contains(t, names, "X-First")

	assert.Equal(t, ts.URL+"/page", xs[1].URL)
	assert.Equal(t, 200, xs[1].Status)
	assert.Equal(t, "OK", xs[1].StatusText)
	assert.Contains(t, string(xs[1].Body), `<p id="c">s3cret</p>`)
	assert.False(t, xs[0].Start.IsZero())
	assert.False(t, xs[1].Start.Before(xs[0].Start))
	assert.Positive(t, xs[0].Duration, "to the redirect")
	assert.Positive(t, xs[1].Duration, "to the end of the page")
}

// An exchange's duration covers the server's time: a page that takes
// 50 ms to answer cannot take less.
func TestExchangeDuration(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, "<html><body>late</body></html>")
	}))
	t.Cleanup(ts.Close)
	tab := newTab(t)
	_, err := tab.Navigate(ctxT(t), ts.URL+"/")
	require.NoError(t, err)
	xs := tab.Exchanges()
	require.Len(t, xs, 1)
	assert.GreaterOrEqual(t, xs[0].Duration, 50*time.Millisecond)
}

func TestFillAndClickSubmitsTheForm(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	require.NoError(t, tab.Fill(ctx, browser.Field{Selector: "#u", Value: "zoë"}, browser.Field{Selector: "#p", Value: `p"a'ss\word`}))
	resp, err := tab.Click(ctx, "#go")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="r">zoë 11</p>`)

	xs := tab.Exchanges()
	require.Len(t, xs, 3)
	assert.Equal(t, "POST", xs[1].Method)
	assert.Equal(t, 302, xs[1].Status)
	assert.Equal(t, "GET", xs[2].Method)
}

func TestFillNamesAMissingField(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	err = tab.Fill(ctx, browser.Field{Selector: "#nope", Value: "hunter2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "#nope")
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestTabsDoNotShareCookies(t *testing.T) {
	ts := site(t)
	a, b := newTab(t), newTab(t)
	ctx := ctxT(t)
	_, err := a.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)
	ca, err := a.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Len(t, ca, 2)

	_, err = b.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	html, err := b.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="c">none</p>`)
	cb, err := b.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Empty(t, cb)
}

func TestWaitForScriptBuiltContent(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/script")
	require.NoError(t, err)
	require.NoError(t, tab.WaitFor(ctx, `!!document.getElementById('late')`, 10*time.Millisecond))
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<div id="late">here</div>`)

	short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	err = tab.WaitFor(short, `!!document.getElementById('never')`, 10*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHTTPErrorIsAResponse(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	resp, err := tab.Navigate(ctxT(t), ts.URL+"/forbidden")
	require.NoError(t, err)
	assert.Equal(t, 403, resp.Status)
	xs := tab.Exchanges()
	require.Len(t, xs, 1)
	assert.Contains(t, string(xs[0].Body), "no entry")
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	tab := newTab(t)
	_, err = tab.Navigate(ctxT(t), "http://"+addr+"/")
	require.Error(t, err)
	assert.ErrorIs(t, err, chromedp.ErrPageLoad)
	assert.Contains(t, err.Error(), "ERR_CONNECTION_REFUSED")
	xs := tab.Exchanges()
	require.Len(t, xs, 1)
	assert.Equal(t, 0, xs[0].Status)
	assert.Equal(t, "net::ERR_CONNECTION_REFUSED", xs[0].Error)
}

func TestScreenshotIsPNG(t *testing.T) {
	ts := site(t)
	tab := newTab(t)
	ctx := ctxT(t)
	_, err := tab.Navigate(ctx, ts.URL+"/page")
	require.NoError(t, err)
	png, err := tab.Screenshot(ctx)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n"))
}

func TestCloseIsIdempotent(t *testing.T) {
	tab := newTab(t)
	require.NoError(t, tab.Close())
	require.NoError(t, tab.Close())
	assert.False(t, tab.Alive())
}

func TestFindChromeUnwrapsDebianScripts(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "lib", "chromium", "mychrome")
	require.NoError(t, os.MkdirAll(filepath.Dir(real), 0o755))
	require.NoError(t, os.WriteFile(real, []byte("\x7fELF fake"), 0o755))
	wrapper := filepath.Join(dir, "mychrome")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh -e\n\n"+real+" \"$@\"\n"), 0o755))

	got, err := browser.FindChrome(wrapper)
	require.NoError(t, err)
	assert.Equal(t, real, got)

	// A binary that is no script is used as it is.
	got, err = browser.FindChrome(real)
	require.NoError(t, err)
	assert.Equal(t, real, got)

	_, err = browser.FindChrome(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

// The library leaves naming a Chrome to its caller: ROSTERON_CHROME means
// nothing to it (the command line reads it).
func TestFindChromeReadsNoEnvironment(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "chrome-bin")
	require.NoError(t, os.WriteFile(bin, []byte("\x7fELF"), 0o755))
	t.Setenv("ROSTERON_CHROME", bin)
	got, err := browser.FindChrome("")
	if err == nil {
		assert.NotEqual(t, bin, got)
	} else {
		assert.ErrorIs(t, err, browser.ErrNoChrome)
	}
	got, err = browser.FindChrome(bin)
	require.NoError(t, err)
	assert.Equal(t, bin, got, "named by the caller")
}

func TestBlockKeepsDocumentsAndScripts(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = true
		mu.Unlock()
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `<html><head><link rel="stylesheet" href="/s.css"><script src="/a.js"></script></head>
<body><img src="/i.png"><p id="p">page</p></body></html>`)
		case "/a.js":
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, `document.addEventListener('DOMContentLoaded', function(){document.getElementById('p').textContent='scripted'})`)
		default:
			w.Write([]byte("x"))
		}
	}))
	t.Cleanup(ts.Close)

	b := chrome.Get(t)
	ctx := ctxT(t)
	tab, err := b.NewTab(ctx, browser.Block(browser.Stylesheet, browser.Image, browser.Font, browser.Media))
	require.NoError(t, err)
	t.Cleanup(func() { tab.Close() })
	_, err = tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `<p id="p">scripted</p>`)
	mu.Lock()
	defer mu.Unlock()
	assert.True(t, seen["/a.js"], "scripts load")
	assert.False(t, seen["/s.css"], "stylesheets are blocked")
	assert.False(t, seen["/i.png"], "images are blocked")
}

func TestFirstTabIsReusedOnceThenIsolated(t *testing.T) {
	ts := site(t)
	path := chrometest.NeedLocal(t)
	ctx := ctxT(t)
	b, err := browser.Launch(ctx, browser.WithExecPath(path))
	require.NoError(t, err)
	defer b.Close()

	first, err := b.FirstTab(ctx, browser.Block(browser.Image))
	require.NoError(t, err)
	_, err = first.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)
	xs := first.Exchanges()
	require.Len(t, xs, 2, "the recorder sees the first tab's exchanges")
	assert.Equal(t, 302, xs[0].Status)

	second, err := b.FirstTab(ctx)
	require.NoError(t, err)
	defer second.Close()
	cs, err := second.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	assert.Empty(t, cs, "a second FirstTab is a new isolated tab")

	require.NoError(t, first.Close())
	assert.False(t, first.Alive())
	assert.True(t, b.Alive(), "closing the first tab leaves the browser running")
	assert.True(t, second.Alive())
}
