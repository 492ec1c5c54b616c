package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Chrome that dies as it starts is the browser's failure, not
// RosterOn's: exit 6, and a message that sends nobody to RosterOn.
func TestChromeThatCannotStartExit6(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /bin/sh for a stand-in Chrome")
	}
	fake := filepath.Join(t.TempDir(), "fake-chrome")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'the reason Chrome died' >&2\nexit 3\n"), 0o755))
	r := runWith(t, withPassword, "", "roster", "--url", goodURL, "--username", "joe", "--chrome", fake, "--no-sandbox", "--timeout", "20s")
	assert.Equal(t, exitBrowser, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rosteron: the browser could not start: ")
	assert.NotContains(t, r.stderr, "RosterOn returned")
	assert.NotContains(t, r.stderr, "s3cret-Pa55")
}

// A remote Chrome that cannot be reached is the browser's failure too.
func TestUnreachableRemoteChromeExit6(t *testing.T) {
	r := runWith(t, withPassword, "", "roster", "--url", goodURL, "--username", "joe", "--browser", "ws://127.0.0.1:1", "--timeout", "10s")
	assert.Equal(t, exitBrowser, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rosteron: the browser could not start: ")
	assert.Contains(t, r.stderr, "127.0.0.1:1")
	assert.NotContains(t, r.stderr, "RosterOn returned")
}

func TestRenderFlagRefusesUnknownModes(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--render", "sometimes"},
		{"roster", "--url", "https://rosteron.example.com/RosterOnProd/Mobile", "--username", "joe", "--render", "never"},
	} {
		r := runWith(t, map[string]string{"ROSTERON_PASSWORD": "x"}, "", args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "want auto or always")
	}
	r := runWith(t, map[string]string{"ROSTERON_RENDER": "seldom"}, "", "demo")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, `invalid --render "seldom"`)
}
