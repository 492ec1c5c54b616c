package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The section goes at the end of a file without one, and in place of the
// one written before otherwise, leaving the rest as it was.
func TestWriteSection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	section := func(body string) string { return sectionStart + "\n" + body + "\n" + sectionEnd + "\n" }

	require.NoError(t, writeSection(path, section("first")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, section("first"), string(got), "a new file holds the section alone")

	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\nfigures\n"), 0o644))
	require.NoError(t, writeSection(path, section("first")))
	require.NoError(t, os.WriteFile(path, append(mustRead(t, path), "after\n"...), 0o644))
	require.NoError(t, writeSection(path, section("second")))
	assert.Equal(t, "# Benchmarks\n\nfigures\n\n"+section("second")+"after\n", string(mustRead(t, path)))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestCheckRefusesBadFlags(t *testing.T) {
	t.Parallel()
	good := config{accounts: 10, hosts: 2, perHost: 2, maxSessions: 4, interval: 1, duration: 10, warmup: 2}
	assert.NoError(t, good.check())
	for _, bad := range []func(c *config){
		func(c *config) { c.accounts = 0 },
		func(c *config) { c.hosts = 251 },
		func(c *config) { c.warmup = c.duration },
		func(c *config) { c.interval = 0 },
	} {
		c := good
		bad(&c)
		assert.Error(t, c.check())
	}
}
