package feed

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/atomicfile"
	"github.com/rosteron/rosteron/snapshot"
)

func stateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state", "rosteron")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	return dir
}

func TestStateSavedAndLoaded(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	url, user := "https://rosteron.example.com/RosterOnProd/Mobile", "joe.bloggs"
	f, c := newTestFeed(t, WithStateDir(dir), WithSource(url, user))
	s := snap(c.Now(), "Ward 4B", "Ward 5")
	_, err = f.Update(s)
	require.NoError(t, err)
	c.Add(time.Minute)
	_, err = f.Update(snap(c.Now(), "Ward 4B", "Ward 5")) // unchanged: only the fetch time moves
	require.NoError(t, err)
	served := get(Handler(f, testToken), "GET", "/"+testToken+"/"+ICSName)

	path := filepath.Join(dir, StateFile)
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the roster and the calendar's history, no temporary file left behind")
	fi, err = os.Stat(filepath.Join(dir, CalendarFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The file is a roster's JSON that `rosteron parse` and `diff` read.
	back, err := snapshot.Load(path)
	require.NoError(t, err)
	assert.Equal(t, s.Items, back.Items)
	assert.True(t, s.Time.Equal(back.Time))

	// A new feed, as after a restart while RosterOn is down, serves it at
	// once, byte for byte, marked stale until a refresh succeeds.
	g, c2 := newTestFeed(t, WithStateDir(dir), WithSource(url, "JOE.BLOGGS"))
	c2.Add(time.Hour)
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded)
	rec := get(Handler(g, testToken), "GET", "/"+testToken+"/"+ICSName)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, served.Body.String(), rec.Body.String())
	assert.Equal(t, served.Header().Get("ETag"), rec.Header().Get("ETag"))
	assert.Equal(t, served.Header().Get("Last-Modified"), rec.Header().Get("Last-Modified"))
	assert.Equal(t, "2026-04-01T08:04:12Z", rec.Header().Get(HeaderFetched))
	assert.Equal(t, "true", rec.Header().Get(HeaderStale))
	st := g.Status()
	assert.True(t, st.Stale)
	assert.Equal(t, 2, st.Shifts)

	// Once the feed has a roster of its own, Load does not replace it.
	h, c3 := newTestFeed(t, WithStateDir(dir))
	_, err = h.Update(snap(c3.Now(), "Ward 9"))
	require.NoError(t, err)
	// (that Update saved Ward 9 over the file)
	loaded, err = h.Load()
	require.NoError(t, err)
	assert.False(t, loaded)
}

func TestLoadNothingOrBad(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	f, _ := newTestFeed(t, WithStateDir(dir))
	loaded, err := f.Load()
	require.NoError(t, err, "no saved roster is no error")
	assert.False(t, loaded)

	loaded, err = New().Load()
	require.NoError(t, err, "no state folder")
	assert.False(t, loaded)

	for _, content := range []string{"", "{", `{"time":"2026-04-01T00:00:00Z"}`, "<html>"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, StateFile), []byte(content), 0o600))
		loaded, err := f.Load()
		assert.Error(t, err, "%q", content)
		assert.False(t, loaded)
	}

	// Another user's roster is not served.
	g, c := newTestFeed(t, WithStateDir(dir), WithSource("https://a.example/Mobile", "ann.nurse"))
	_, err = g.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	for _, src := range []Option{
		WithSource("https://a.example/Mobile", "joe.bloggs"),
		WithSource("https://b.example/Mobile", "ann.nurse"),
	} {
		h, _ := newTestFeed(t, WithStateDir(dir), src)
		loaded, err := h.Load()
		assert.ErrorIs(t, err, ErrOtherSource)
		assert.False(t, loaded)
	}
}

func TestWriteFileAtomicFailureKeepsOldFile(t *testing.T) {
	dir := stateDir(t)
	path := filepath.Join(dir, StateFile)
	require.NoError(t, writeFileAtomic(path, []byte("old\n")))

	for _, seam := range []string{"sync", "rename"} {
		t.Run(seam, func(t *testing.T) {
			boom := errors.New("disk on fire")
			switch seam {
			case "sync":
				old := atomicfile.Sync
				atomicfile.Sync = func(*os.File) error { return boom }
				defer func() { atomicfile.Sync = old }()
			case "rename":
				old := atomicfile.Rename
				atomicfile.Rename = func(string, string) error { return boom }
				defer func() { atomicfile.Rename = old }()
			}
			err := writeFileAtomic(path, []byte("new\n"))
			assert.ErrorIs(t, err, boom)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "old\n", string(b))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "the temporary file is removed")
		})
	}

	// A feed whose save fails still serves the new roster, and says so.
	f, c := newTestFeed(t, WithStateDir(dir))
	old := atomicfile.Rename
	atomicfile.Rename = func(string, string) error { return errors.New("read-only file system") }
	defer func() { atomicfile.Rename = old }()
	changed, err := f.Update(snap(c.Now(), "Ward 4B"))
	assert.True(t, changed)
	assert.ErrorContains(t, err, "saving the roster: read-only file system")
	var saveErr *SaveError
	assert.ErrorAs(t, err, &saveErr)
	assert.Equal(t, http.StatusOK, get(Handler(f, testToken), "GET", "/"+testToken+"/"+ICSName).Code)
}

func TestToken(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	tok, created, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Regexp(t, `^[A-Za-z0-9_-]{32}$`, tok, "192 random bits, URL-safe")
	require.NoError(t, CheckToken(tok))
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	again, created, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, tok, again, "kept across restarts")

	assert.NotEqual(t, newToken(), newToken())

	for _, bad := range []string{"", "short", strings.Repeat("a", 21), strings.Repeat("a", 21) + "/", strings.Repeat("a", 30) + " ", strings.Repeat("ä", 15)} {
		err := CheckToken(bad)
		assert.ErrorIs(t, err, ErrBadToken, "%q", bad)
		if bad != "" {
			assert.NotContains(t, err.Error(), bad)
		}
	}
	for _, good := range []string{"0123456789abcdef0123456789abcdef", "6f1c2e0a-3b7d-4f7e-9b0a-2f4d5c6e7f80", strings.Repeat("A", 22)} {
		assert.NoError(t, CheckToken(good), good)
	}

	require.NoError(t, os.WriteFile(filepath.Join(dir, TokenFile), []byte("short\n"), 0o600))
	_, _, err = LoadOrCreateToken(dir)
	assert.ErrorIs(t, err, ErrBadToken)
}
