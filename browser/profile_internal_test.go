package browser

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A launched Chrome keeps cookies, cache and storage in memory: a
// session's cookie never reaches the disk, and Close removes an empty
// folder.
func TestLaunchedChromeWritesNothingToItsProfile(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=s3cret; Path=/; HttpOnly")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<p>cookie</p><script>localStorage.setItem('k', 'v')</script>`))
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Launch(ctx)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); errors.Is(err, ErrNoChrome) && !ci {
		t.Skipf("no Chrome on this machine (set CI=true to make this a failure): %v", err)
	}
	require.NoError(t, err)
	defer b.Close()
	tab, err := b.FirstTab(ctx)
	require.NoError(t, err)
	_, err = tab.Navigate(ctx, ts.URL+"/")
	require.NoError(t, err)
	cookies, err := tab.Cookies(ctx, ts.URL)
	require.NoError(t, err)
	require.Len(t, cookies, 1, "the cookie was set")

	var files []string
	require.NoError(t, filepath.WalkDir(b.profile, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	assert.Empty(t, files)

	require.NoError(t, b.Close())
	_, err = os.Stat(b.profile)
	assert.ErrorIs(t, err, fs.ErrNotExist, "Close removed the profile folder")
}
