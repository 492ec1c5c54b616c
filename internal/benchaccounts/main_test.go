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
	good := config{accounts: 10, hosts: 2, perHost: 2, maxSessions: 4, interval: 1, duration: 10, warmup: 2, workers: 1}
	assert.NoError(t, good.check())
	for _, bad := range []func(c *config){
		func(c *config) { c.accounts = 0 },
		func(c *config) { c.hosts = 251 },
		func(c *config) { c.warmup = c.duration },
		func(c *config) { c.interval = 0 },
		func(c *config) { c.workers = 0 },
		func(c *config) { c.workers = 2 }, // SQLite: one process
	} {
		c := good
		bad(&c)
		assert.Error(t, c.check())
	}
	pg := good
	pg.postgres, pg.workers = true, 2
	assert.NoError(t, pg.check(), "two workers on Postgres")
}

// Each Postgres worker count has a section of its own, beside SQLite's.
func TestMarkersApart(t *testing.T) {
	t.Parallel()
	s1, _ := markers(config{})
	p1, _ := markers(config{postgres: true, workers: 1})
	p2, e2 := markers(config{postgres: true, workers: 2})
	assert.NotEqual(t, s1, p1)
	assert.NotEqual(t, p1, p2)
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, writeSection(path, s1+"\nsqlite\n"+sectionEnd+"\n"))
	require.NoError(t, writeSection(path, p2+"\ntwo\n"+e2+"\n"))
	require.NoError(t, writeSection(path, p2+"\ntwo again\n"+e2+"\n"))
	got := string(mustRead(t, path))
	assert.Contains(t, got, "sqlite")
	assert.Contains(t, got, "two again")
	assert.NotContains(t, got, "two\n")
}
