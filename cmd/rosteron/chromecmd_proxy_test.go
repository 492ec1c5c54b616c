package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const proxyToken = "Yq3v0c9dTzHk5mJx2Lw8Rb7NfA1sE4gU6pQhKiOo_Z-"

// fakeDevTools stands for Chrome's DevTools behind the proxy: it answers
// /json/version and /json/list naming its own address, as Chrome does,
// echoes a websocket's bytes back, and records every request.
type fakeDevTools struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (f *fakeDevTools) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, r.Clone(r.Context()))
	f.mu.Unlock()
	switch r.URL.Path {
	case "/json/version":
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = io.WriteString(w, `{"Browser": "HeadlessChrome/1.0", "webSocketDebuggerUrl": "ws://`+r.Host+`/devtools/browser/b1"}`)
	case "/json/list":
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = io.WriteString(w, `[{"id": "p1", "devtoolsFrontendUrl": "/devtools/inspector.html?ws=`+r.Host+
			`/devtools/page/p1", "webSocketDebuggerUrl": "ws://`+r.Host+`/devtools/page/p1"}]`)
	case "/devtools/browser/b1":
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_, _ = io.Copy(conn, rw) // echo
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeDevTools) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.seen...)
}

func newProxyPair(t *testing.T) (*fakeDevTools, *httptest.Server, *url.URL) {
	t.Helper()
	fake := &fakeDevTools{}
	chrome := httptest.NewServer(fake)
	t.Cleanup(chrome.Close)
	target, err := url.Parse(chrome.URL)
	require.NoError(t, err)
	proxy := httptest.NewServer(devToolsProxy(target, proxyToken, t.Logf))
	t.Cleanup(proxy.Close)
	return fake, proxy, target
}

// upgrade asks addr for a websocket upgrade of path with the given
// Authorization header ("" for none) and returns the status line, and the
// connection when it switched.
func upgrade(t *testing.T, addr, path, auth string) (string, net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		assert.NotContains(t, string(body), "Chrome/", "a refused client learns nothing of Chrome")
		return resp.Status, nil, nil
	}
	return resp.Status, conn, br
}

// A client without the token, or with another one, gets 401 and nothing
// from Chrome, which never hears of it.
func TestDevToolsProxyRefuses(t *testing.T) {
	t.Parallel()
	fake, proxy, _ := newProxyPair(t)
	addr := strings.TrimPrefix(proxy.URL, "http://")
	wrong := map[string]string{
		"none":               "",
		"same length":        "Bearer " + strings.Repeat("x", len(proxyToken)),
		"one character off":  "Bearer " + proxyToken[:len(proxyToken)-1] + "A",
		"shorter":            "Bearer " + proxyToken[:10],
		"longer":             "Bearer " + proxyToken + "x",
		"empty bearer":       "Bearer ",
		"basic scheme":       "Basic " + proxyToken,
		"token without type": proxyToken,
	}
	for name, auth := range wrong {
		for _, path := range []string{"/json/version", "/json/list", "/json", "/json/new?about:blank", "/"} {
			req, err := http.NewRequest(http.MethodGet, proxy.URL+path, nil)
			require.NoError(t, err)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", name, path)
			assert.Equal(t, `Bearer realm="rosteron chrome"`, resp.Header.Get("WWW-Authenticate"))
			assert.NotContains(t, string(body), "Chrome/", "%s: %s", name, path)
			assert.NotContains(t, string(body), "webSocket", "%s: %s", name, path)
		}
		status, conn, _ := upgrade(t, addr, "/devtools/browser/b1", auth)
		assert.Equal(t, "401 Unauthorized", status, "%s: websocket", name)
		assert.Nil(t, conn)
	}
	// Two Authorization headers, the right one among them.
	req, err := http.NewRequest(http.MethodGet, proxy.URL+"/json/version", nil)
	require.NoError(t, err)
	req.Header.Add("Authorization", "Bearer "+proxyToken)
	req.Header.Add("Authorization", "Bearer other")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "two Authorization headers")

	assert.Empty(t, fake.requests(), "Chrome saw a request from a client without the token")
}

// With the token, requests reach Chrome without it and with a Host Chrome
// accepts, the /json answers name the proxy's address, and a websocket
// works both ways.
func TestDevToolsProxyForwards(t *testing.T) {
	t.Parallel()
	fake, proxy, target := newProxyPair(t)
	addr := strings.TrimPrefix(proxy.URL, "http://")
	// The address a client reaches the proxy by, as in Compose.
	const byName = "chrome.internal:9222"

	get := func(path string) string {
		req, err := http.NewRequest(http.MethodGet, proxy.URL+path, nil)
		require.NoError(t, err)
		req.Host = byName
		req.Header.Set("Authorization", "bearer "+proxyToken) // the scheme in any case
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body)
	}
	var version map[string]string
	require.NoError(t, json.Unmarshal([]byte(get("/json/version")), &version))
	assert.Equal(t, "ws://"+byName+"/devtools/browser/b1", version["webSocketDebuggerUrl"])
	assert.Equal(t, "HeadlessChrome/1.0", version["Browser"])
	var list []map[string]string
	require.NoError(t, json.Unmarshal([]byte(get("/json/list")), &list))
	require.Len(t, list, 1)
	assert.Equal(t, "ws://"+byName+"/devtools/page/p1", list[0]["webSocketDebuggerUrl"])
	assert.Equal(t, "/devtools/inspector.html?ws="+byName+"/devtools/page/p1", list[0]["devtoolsFrontendUrl"])

	status, conn, br := upgrade(t, addr, "/devtools/browser/b1", "Bearer "+proxyToken)
	require.Equal(t, "101 Switching Protocols", status)
	_, err := io.WriteString(conn, "hello chrome\n")
	require.NoError(t, err)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "hello chrome\n", line)

	seen := fake.requests()
	require.Len(t, seen, 3)
	for _, r := range seen {
		assert.Equal(t, target.Host, r.Host, "Chrome gets a Host it accepts")
		assert.Empty(t, r.Header.Values("Authorization"), "the token stays with the proxy")
	}
}

// The token file: made 0600 in a folder made 0700, with a URL-safe token
// of 32 random bytes, the same one read on the next start; refused when
// others may read or write it, or when it holds no usable token.
func TestChromeToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "chrome-token")
	token, made, err := chromeToken(path)
	require.NoError(t, err)
	assert.True(t, made)
	assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, token)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	again, made, err := chromeToken(path)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, token, again)
	other, _, err := chromeToken(filepath.Join(dir, "other"))
	require.NoError(t, err)
	assert.NotEqual(t, token, other, "each token is new")

	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o602} {
		require.NoError(t, os.Chmod(path, mode))
		_, _, err := chromeToken(path)
		require.Error(t, err, "mode %04o", mode)
		assert.Contains(t, err.Error(), "chmod 600")
		assert.NotContains(t, err.Error(), token)
	}
	require.NoError(t, os.Chmod(path, 0o600))
	for content, want := range map[string]string{
		"":                                    "is empty",
		"\n":                                  "is empty",
		"short-token\n":                       "at least 16",
		"two words of a token that is long\n": "spaces",
		"a-token-with-\x1b[31m-an-escape-in-it\n": "control",
	} {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, _, err := chromeToken(path)
		require.Error(t, err, "%q", content)
		assert.Contains(t, err.Error(), want, "%q", content)
	}
	require.NoError(t, os.WriteFile(path, []byte(proxyToken+"\n"), 0o600))
	got, made, err := chromeToken(path)
	require.NoError(t, err)
	assert.False(t, made)
	assert.Equal(t, proxyToken, got, "a token of the user's own")
}

func TestChromeTokenPath(t *testing.T) {
	t.Parallel()
	env := map[string]string{"XDG_STATE_HOME": "/st", "HOME": "/home/ann"}
	p, err := chromeTokenPath(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "/st/rosteron/chrome-token", p)
	delete(env, "XDG_STATE_HOME")
	p, err = chromeTokenPath(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "/home/ann/.local/state/rosteron/chrome-token", p)
}

// healthcheck --token-file sends the bearer token, as compose's chrome
// health check does; without it DevTools answers 401, which is unhealthy.
func TestHealthcheckToken(t *testing.T) {
	t.Parallel()
	_, proxy, _ := newProxyPair(t)
	r := runWith(t, nil, "", "healthcheck", proxy.URL+"/json/version")
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "401 Unauthorized")

	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(proxyToken+"\n"), 0o600))
	r = runWith(t, nil, "", "healthcheck", "--token-file", file, proxy.URL+"/json/version")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "answered 200 OK")
	assert.NotContains(t, r.stdout+r.stderr, proxyToken)

	r = runWith(t, nil, "", "healthcheck", "--token-file", filepath.Join(t.TempDir(), "missing"), proxy.URL+"/json/version")
	assert.Equal(t, exitUsage, r.code)
	assertOneErrorLine(t, r)
}

// --browser-token-file and its variables: for a Chrome at --browser only,
// and a file that gives no token is a usage error that quotes no token.
func TestBrowserTokenFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("two words\n"), 0o600))
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{withPassword, []string{"--browser-token-file", bad}, "--browser-token-file is for a Chrome at --browser"},
		{withPassword, []string{"--browser", "ws://127.0.0.1:9", "--browser-token-file", filepath.Join(dir, "missing")}, "invalid --browser-token-file"},
		{withPassword, []string{"--browser", "ws://127.0.0.1:9", "--browser-token-file", bad}, "spaces"},
		{map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_BROWSER_TOKEN_FILE": filepath.Join(dir, "missing")},
			[]string{"--browser", "ws://127.0.0.1:9"}, "invalid ROSTERON_BROWSER_TOKEN_FILE"},
		{map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_BROWSER_TOKEN": "two\x07bells"},
			[]string{"--browser", "ws://127.0.0.1:9"}, "invalid ROSTERON_BROWSER_TOKEN"},
	} {
		args := append([]string{"roster", "--url", goodURL, "--username", "joe"}, tc.args...)
		r := runWith(t, tc.env, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.NotContains(t, r.stderr, "two words")
		assert.NotContains(t, r.stderr, "bells")
	}
}
