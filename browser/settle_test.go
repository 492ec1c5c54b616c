package browser_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Settle waits for a page's scripts: it says the page settled once no
// request of it is under way and its DOM stopped changing, and it gives
// up at its bound, without an error, on a page that never stops.
func TestSettle(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/quiet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><p>still</p>`))
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><p id="n">0</p><script>setInterval(() => { const p = document.getElementById('n'); p.textContent = String(Number(p.textContent) + 1); }, 20);</script>`))
	})
	mux.HandleFunc("/waiting", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><p id="d"></p><script>fetch('/data').then(r => r.text()).then(t => { document.getElementById('d').textContent = t; });</script>`))
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.Write([]byte("filled"))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx := ctxT(t)
	const quiet, bound = 150 * time.Millisecond, 500 * time.Millisecond

	tab := newTab(t)
	_, err := tab.Navigate(ctx, ts.URL+"/quiet")
	require.NoError(t, err)
	settled, err := tab.Settle(ctx, quiet, bound)
	require.NoError(t, err)
	assert.True(t, settled, "a still page settles")

	// The page changes every 20 ms; on a loaded machine its renderer
	// was once held up for longer than 150 ms, which Settle rightly took
	// for a quiet page: here quiet is a whole second.
	_, err = tab.Navigate(ctx, ts.URL+"/busy")
	require.NoError(t, err)
	settled, err = tab.Settle(ctx, time.Second, 3*time.Second)
	require.NoError(t, err)
	assert.False(t, settled, "a page that keeps changing is given up at the bound")

	_, err = tab.Navigate(ctx, ts.URL+"/waiting")
	require.NoError(t, err)
	settled, err = tab.Settle(ctx, quiet, bound)
	require.NoError(t, err)
	assert.False(t, settled, "a page whose request is under way has not settled")
	close(release)
	settled, err = tab.Settle(ctx, quiet, 30*time.Second)
	require.NoError(t, err)
	assert.True(t, settled, "once its request ended and the page took it in, it settles")
	html, err := tab.HTML(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, "filled")
}
