package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
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
// --browser and the token, whole flow included, refuses any client
// without the token, and stops Chrome, leaving no process.
func TestChromeCommand(t *testing.T) {
	needChrome(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)                          // Chrome's profile goes here: its processes name it
	t.Setenv("ROSTERON_PASSWORD", "chrome-cmd-Pa55") // never Chrome's
	tokenFile := filepath.Join(tmp, "state", "chrome-token")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out, w := io.Pipe()
	errb := new(syncbuf.Buffer)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"chrome", "--addr", "127.0.0.1:0", "--token-file", tokenFile}, nil, w, errb, os.Getenv)
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

	// The token: made, 0600, named on standard error, never printed.
	b, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	token := strings.TrimSpace(string(b))
	require.Len(t, token, 43)
	fi, err := os.Stat(tokenFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Contains(t, errb.String(), "made a new DevTools token in "+tokenFile)
	assert.NotContains(t, errb.String()+line, token)

	// Chrome's DevTools refuses a client without the token, or with
	// another, and tells it nothing: not its version, not its tabs, no
	// websocket.
	httpBase := "http://" + strings.TrimPrefix(ws, "ws://")
	ask := func(path, auth string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, httpBase+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := ask("/json/version", "Bearer "+token)
	require.Equal(t, http.StatusOK, code, body)
	var version struct{ Browser, WebSocketDebuggerURL string }
	require.NoError(t, json.Unmarshal([]byte(body), &version))
	assert.True(t, strings.HasPrefix(version.WebSocketDebuggerURL, ws+"/devtools/browser/"),
		"the browser's websocket is named at the proxy's address: %s", version.WebSocketDebuggerURL)
	browserPath := strings.TrimPrefix(version.WebSocketDebuggerURL, ws)
	for _, auth := range []string{"", "Bearer " + strings.Repeat("A", len(token)), "Bearer " + token[:20], "Bearer " + token + "A"} {
		for _, path := range []string{"/json/version", "/json/list"} {
			code, body := ask(path, auth)
			assert.Equal(t, http.StatusUnauthorized, code, "%s without the token", path)
			assert.NotContains(t, body, version.Browser)
			assert.NotContains(t, body, "devtools")
		}
		status, conn, _ := upgrade(t, strings.TrimPrefix(ws, "ws://"), browserPath, auth)
		assert.Equal(t, "401 Unauthorized", status, "the websocket without the token")
		assert.Nil(t, conn)
	}

	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword,
	}
	// Without the token, the roster run fails before logging in.
	r := runWith(t, env, "", "roster", "--browser", ws, "--format", "json", "--timeout", "60s")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "refused this client")
	assert.Equal(t, 0, mock.Logins())

	// With it, from the file or from the variable, the run reads the
	// roster; the token is in no process's command line meanwhile.
	var argv []int
	r = runWith(t, env, "", "roster", "--browser", ws, "--browser-token-file", tokenFile, "--format", "json", "--timeout", "60s")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"items": [`)
	assert.Equal(t, 1, mock.Logins())
	argv = append(argv, chrometest.Mentioning(token)...)
	env["ROSTERON_BROWSER_TOKEN"] = token
	r = runWith(t, env, "", "roster", "--browser", ws, "--format", "json", "--timeout", "60s")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, mock.Logins())
	argv = append(argv, chrometest.Mentioning(token)...)
	assert.Empty(t, argv, "processes with the token in their command line")
	assert.NotEmpty(t, chrometest.Mentioning(filepath.Join(tmp, "rosteron-chrome-")), "the command lines were read")

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
