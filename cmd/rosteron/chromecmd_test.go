package main

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
)

// rosteron chrome serves a Chrome that another rosteron uses with
// --browser, whole flow included, and stops it, leaving no process.
func TestChromeCommand(t *testing.T) {
	needChrome(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)                          // Chrome's profile goes here: its processes name it
	t.Setenv("ROSTERON_PASSWORD", "chrome-cmd-Pa55") // never Chrome's

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out, w := io.Pipe()
	errb := new(syncbuf.Buffer)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"chrome", "--addr", "127.0.0.1:0"}, nil, w, errb, os.Getenv)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, errb.String())
	go func() { _, _ = io.Copy(io.Discard, out) }()
	require.True(t, strings.HasPrefix(line, "rosteron chrome: DevTools at ws://127.0.0.1:"), line)
	ws := strings.TrimSpace(strings.TrimPrefix(line, "rosteron chrome: DevTools at "))

	chromes := chrometest.Mentioning(filepath.Join(tmp, "rosteron-chrome-"))
	require.NotEmpty(t, chromes, "Chrome runs with its profile in TMPDIR")
	var main bool
	for _, pid := range chromes {
		env := chrometest.Environ(t, pid) // fails the test when it cannot be read
		assert.NotContains(t, env, "chrome-cmd-Pa55", "Chrome %d's environment", pid)
		// Chrome's helpers write their titles over their environment;
		// the main process's reads as one, with the TMPDIR it was given.
		main = main || strings.Contains(env, "TMPDIR="+tmp+"\x00")
	}
	assert.True(t, main, "the environment of Chrome's main process was read")

	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword,
	}
	r := runWith(t, env, "", "roster", "--browser", ws, "--format", "json", "--timeout", "60s")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"items": [`)
	assert.Equal(t, 1, mock.Logins())

	stop()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("rosteron chrome did not stop")
	}
	assert.Empty(t, chrometest.Mentioning(filepath.Join(tmp, "rosteron-chrome-")), "Chrome left running")
	left, _ := filepath.Glob(filepath.Join(tmp, "rosteron-chrome-*"))
	assert.Empty(t, left, "Chrome's profile left behind")
}
