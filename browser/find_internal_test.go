package browser

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBinary writes an executable that is no script (so it is used as it
// is) and that leaves a mark if anything ever runs it.
func fakeBinary(t *testing.T, dir, name string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("\x7fELF not really"), 0o755))
	return p
}

// lookIn looks commands up in dir only.
func lookIn(dir string) func(string) (string, error) {
	return func(name string) (string, error) {
		p := filepath.Join(dir, name)
		if isExecutable(p) {
			return p, nil
		}
		return "", errors.New("not found")
	}
}

// The search order, without the machine's own Chrome: the headless shell
// first, on PATH then in Debian's folder; then chromedp's choice; then
// Debian's full Chromium.
func TestFinderOrder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path, lib := filepath.Join(root, "bin"), filepath.Join(root, "lib")
	chromedpSays := func(p string) func() (string, bool) {
		return func() (string, bool) { return p, p != "" }
	}
	f := finder{lookPath: lookIn(path), chromedp: chromedpSays(""), debianLib: lib}

	_, err := f.find()
	assert.ErrorIs(t, err, ErrNoChrome, "nothing anywhere")

	full := fakeBinary(t, lib, "chromium")
	got, err := f.find()
	require.NoError(t, err)
	assert.Equal(t, full, got, "Debian's Chromium, for a PATH without /usr/bin")

	chrome := fakeBinary(t, root, "Google Chrome")
	f.chromedp = chromedpSays(chrome)
	got, err = f.find()
	require.NoError(t, err)
	assert.Equal(t, chrome, got, "chromedp's choice before Debian's folder")

	libShell := fakeBinary(t, lib, headlessShell)
	got, err = f.find()
	require.NoError(t, err)
	assert.Equal(t, libShell, got, "the headless shell before chromedp's choice")

	shell := fakeBinary(t, path, headlessShell)
	got, err = f.find()
	require.NoError(t, err)
	assert.Equal(t, shell, got, "the headless shell on PATH first of all")
}

// chromedp's own search, as its allocator would run it, seen without
// starting anything: its order (headless-shell before chromium before
// google-chrome) is its own, and nothing it finds is run.
func TestChromedpChoiceStartsNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	// A real script, so that starting it would leave a mark.
	mark := filepath.Join(t.TempDir(), "ran")
	script := filepath.Join(dir, "google-chrome")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ntouch "+mark+"\n"), 0o755))
	got, ok := chromedpChoice()
	require.True(t, ok)
	assert.Equal(t, script, got)
	_, err := os.Stat(mark)
	assert.ErrorIs(t, err, os.ErrNotExist, "the browser was not started")

	chromium := fakeBinary(t, dir, "chromium")
	got, ok = chromedpChoice()
	require.True(t, ok)
	assert.Equal(t, chromium, got, "chromium before google-chrome")

	shell := fakeBinary(t, dir, "headless-shell")
	got, ok = chromedpChoice()
	require.True(t, ok)
	assert.Equal(t, shell, got, "headless-shell before chromium")
}

// With nothing on PATH chromedp falls back to a name it cannot find; that
// is no Chrome. (chromedp also tries a few absolute paths, such as
// /usr/bin/google-chrome: this machine must have none of them.)
func TestChromedpChoiceNothingFound(t *testing.T) {
	for _, p := range []string{"/usr/bin/google-chrome", "/usr/local/bin/chrome", "/snap/bin/chromium"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s exists, and chromedp would find it", p)
		}
	}
	t.Setenv("PATH", t.TempDir())
	got, ok := chromedpChoice()
	assert.False(t, ok, "found %q", got)
}
