//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

// rosteron chrome never passes on Chrome's "DevTools listening" line,
// whose address takes no token, and warns, once, when it runs outside a
// container, where every user of the machine shares Chrome's loopback, and
// when it runs as root, which turns Chrome's sandbox off.
//
// Not parallel: it changes containerMarkers.
func TestChromeCommandWarnings(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh for a stand-in Chrome")
	}
	dir := t.TempDir()
	// A stand-in that logs, says where its DevTools listen, and waits to
	// be stopped.
	fake := filepath.Join(dir, "fake-chrome")
	const browserID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	script := "#!/bin/sh\n" +
		"echo '[fake] started' >&2\n" +
		"echo 'DevTools listening on ws://127.0.0.1:9/devtools/browser/" + browserID + "' >&2\n" +
		"exec sleep 120\n"
	require.NoError(t, os.WriteFile(fake, []byte(script), 0o755))
	marker := filepath.Join(dir, "dockerenv")
	require.NoError(t, os.WriteFile(marker, nil, 0o600))
	orig := containerMarkers
	t.Cleanup(func() { containerMarkers = orig })

	const outside = "warning: not in a container"
	const root = "warning: running as root"
	for _, tc := range []struct {
		name      string
		markers   []string
		env       map[string]string
		uid       int
		noSandbox bool
		want      []string
		wantNot   []string
	}{
		{name: "outside a container", markers: []string{filepath.Join(dir, "none")}, uid: 1000,
			want: []string{outside}, wantNot: []string{root}},
		{name: "$container", markers: []string{filepath.Join(dir, "none")}, env: map[string]string{"container": "podman"}, uid: 1000,
			wantNot: []string{outside, root}},
		{name: "a marker file, as root", markers: []string{filepath.Join(dir, "none"), marker}, uid: 0,
			want: []string{root}, wantNot: []string{outside}},
		{name: "as root with --no-sandbox", markers: []string{marker}, uid: 0, noSandbox: true,
			wantNot: []string{outside, root}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			containerMarkers = tc.markers
			stdout, stderr := new(syncbuf.Buffer), new(syncbuf.Buffer)
			c := &cli{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
				getenv: func(k string) string { return tc.env[k] }, euid: func() int { return tc.uid }}
			args := []string{"--chrome", fake, "--addr", "127.0.0.1:0", "--token-file", filepath.Join(t.TempDir(), "token")}
			if tc.noSandbox {
				args = append(args, "--no-sandbox")
			}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			done := make(chan error, 1)
			go func() { done <- c.chrome(ctx, args) }()

			// Served once the first line is out; Chrome's log is copied
			// before then.
			awaitOutput(t, stdout, done, 30*time.Second, "rosteron chrome's DevTools line", func(s string) bool {
				return strings.Contains(s, "rosteron chrome: DevTools at ws://")
			})
			stop()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Fatal("rosteron chrome did not stop")
			}

			log := stderr.String()
			assert.Contains(t, log, "[fake] started\n", "Chrome's other lines go on")
			assert.NotContains(t, log, "DevTools listening")
			assert.NotContains(t, log+stdout.String(), browserID, "Chrome's own DevTools address")
			assert.NotContains(t, log+stdout.String(), "127.0.0.1:9/")
			for _, w := range tc.want {
				assert.Equal(t, 1, strings.Count(log, "rosteron: "+w), "%q once in: %s", w, log)
			}
			for _, w := range tc.wantNot {
				assert.NotContains(t, log, w)
			}
		})
	}
}

func TestRunsInContainer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, ".dockerenv")
	require.NoError(t, os.WriteFile(marker, nil, 0o600))
	none := func(string) string { return "" }
	assert.False(t, runsInContainer(none, []string{filepath.Join(dir, "none")}))
	assert.False(t, runsInContainer(none, nil))
	assert.True(t, runsInContainer(none, []string{filepath.Join(dir, "none"), marker}))
	assert.True(t, runsInContainer(func(k string) string {
		if k == "container" {
			return "lxc"
		}
		return ""
	}, nil))
}
