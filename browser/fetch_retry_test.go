package browser_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// A fetch whose page goes away while its request is under way is not
// sent again: the request had left, and a second one could do twice
// what the first did.
func TestFetchIsNotSentTwiceWhenThePageGoesAway(t *testing.T) {
	var hits atomic.Int32
	arrived := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><p>page</p>`))
	}
	mux.HandleFunc("/start", page)
	mux.HandleFunc("/other", page)
	mux.HandleFunc("/action", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			once.Do(func() { close(arrived) })
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		page(w, r)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	ctx := ctxT(t)
	tab := newTab(t)
	_, err := tab.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		_, err := tab.Fetch(ctx, ts.URL+"/action")
		done <- err
	}()
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("the fetch never arrived")
	}
	// The page navigates away while the fetch waits for its answer.
	_, err = browser.Eval[bool](ctx, tab, `(location.href = '/other', true)`)
	require.NoError(t, err)
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch did not return")
	}
	assert.Error(t, err, "the fetch did not complete")
	assert.Equal(t, int32(1), hits.Load(), "the request was sent once")
}

// A fetch whose page's JavaScript context had gone before the call began
// is made in the page's current context, once.
func TestFetchAfterAStaleContextIsMadeOnce(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/action" {
			hits.Add(1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><p>page</p>`))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx := ctxT(t)
	tab := newTab(t)
	_, err := tab.Navigate(ctx, ts.URL+"/start")
	require.NoError(t, err)
	browser.StaleContext(tab)
	doc, err := tab.Fetch(ctx, ts.URL+"/action")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, doc.Status)
	assert.Equal(t, int32(1), hits.Load())
}
