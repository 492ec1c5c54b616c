package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A screenshot that cannot be saved fails nothing, but is shown, even
// with --quiet: a warning line for each step.
func TestScreenshotThatCannotBeSavedWarns(t *testing.T) {
	needChrome(t)
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	r := runWith(t, chromeEnv(nil), "", "demo", "--format", "json", "--quiet", "--screenshots", filepath.Join(file, "shots"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"items"`)
	for _, step := range []string{"login", "home", "roster", "logout"} {
		assert.Contains(t, r.stderr, "rosteron: warning: saving the "+step+" step's screenshot: ", r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		assert.True(t, strings.HasPrefix(line, "rosteron: warning: "), "only warnings with --quiet: %q", line)
	}
}
