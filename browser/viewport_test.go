package browser_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// Viewport sizes the tab from its opening on, for every page it shows; a
// tab opened without it keeps Chrome's own size.
func TestViewportSizesTheTab(t *testing.T) {
	b := chrome.Get(t)
	ctx := ctxT(t)
	// A page laid out at the device's width, as a phone's page is.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><p>phone</p></body></html>`)
	}))
	t.Cleanup(ts.Close)
	url := ts.URL
	size := func(tab *browser.Tab) []any {
		t.Helper()
		_, err := tab.Navigate(ctx, url)
		require.NoError(t, err)
		v, err := browser.Eval[[]any](ctx, tab, `[window.innerWidth, window.innerHeight, window.devicePixelRatio]`)
		require.NoError(t, err)
		return v
	}

	phone, err := b.NewTab(ctx, browser.Viewport(390, 844, 2, true))
	require.NoError(t, err)
	defer phone.Close()
	assert.Equal(t, []any{390.0, 844.0, 2.0}, size(phone))
	assert.Equal(t, []any{390.0, 844.0, 2.0}, size(phone), "on the next page too")

	plain, err := b.NewTab(ctx)
	require.NoError(t, err)
	defer plain.Close()
	assert.NotEqual(t, []any{390.0, 844.0, 2.0}, size(plain))
}
