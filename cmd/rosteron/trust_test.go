package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingListener is a loopback port that counts the connections made to
// it: a browser address that must never be reached.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// A plain http:// RosterOn URL to a host that is not this machine is a
// usage error that names --allow-http, found before the password is
// looked for and before any connection: the browser at --browser is never
// reached.
func TestPlainHTTPRefused(t *testing.T) {
	t.Parallel()
	addr, accepted := countingListener(t)
	const plain = "http://rosteron.example.org/RosterOnProd/Mobile"
	for _, command := range []string{"roster", "serve"} {
		for _, env := range []map[string]string{
			nil, // no password at all: that error would come later
			{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_ALLOW_HTTP": "0"},
			{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_ALLOW_HTTP": "no"},
		} {
			args := []string{command, "--url", plain, "--username", "joe", "--browser", "ws://" + addr}
			if command == "serve" {
				args = append(args, "--state", t.TempDir())
			}
			r := runWith(t, env, "", args...)
			assert.Equal(t, exitUsage, r.code, "%s: %s", command, r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, "http://rosteron.example.org")
			assert.Contains(t, r.stderr, "--allow-http")
			assert.Contains(t, r.stderr, "ROSTERON_ALLOW_HTTP=1")
			assert.NotContains(t, r.stderr, "s3cret-Pa55")
		}
	}
	// Loopback written as such is this machine: no refusal there (the
	// run fails later, at the browser, which refuses the connection).
	r := runWith(t, withPassword, "", "roster", "--url", "http://127.0.0.1:1/Mobile", "--username", "joe",
		"--browser", "ws://127.0.0.1:1", "--timeout", "10s")
	assert.NotEqual(t, exitUsage, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "--allow-http")
	assert.Zero(t, accepted.Load(), "no connection to the browser")

	r = runWith(t, map[string]string{"ROSTERON_PASSWORD": "x", "ROSTERON_ALLOW_HTTP": "maybe"}, "",
		"roster", "--url", plain, "--username", "joe")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `invalid ROSTERON_ALLOW_HTTP "maybe": want 1 or 0`)
}

// --allow-http, or ROSTERON_ALLOW_HTTP, lets a plain URL through with a
// warning, and the session is told so: the run gets as far as the browser.
func TestAllowHTTP(t *testing.T) {
	t.Parallel()
	const plain = "http://rosteron.example.org/RosterOnProd/Mobile"
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{withPassword, []string{"--allow-http"}},
		{map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_ALLOW_HTTP": "1"}, nil},
		{map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_ALLOW_HTTP": "true"}, nil},
		{map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_ALLOW_HTTP": "YES"}, nil},
	} {
		args := append([]string{"roster", "--url", plain, "--username", "joe", "--browser", "ws://127.0.0.1:1", "--timeout", "10s"}, tc.args...)
		r := runWith(t, tc.env, "", args...)
		assert.Equal(t, exitBrowser, r.code, "the browser's refusal, not the URL's: %s", r.stderr)
		assert.Contains(t, r.stderr, "rosteron: warning: --allow-http: unencrypted connection to a host that is not this machine: "+
			"the RosterOn URL is http://rosteron.example.org")
		assert.Contains(t, r.stderr, "127.0.0.1:1")
		assert.NotContains(t, r.stderr, "s3cret-Pa55")
	}
}

// A ws:// or http:// --browser on another machine is refused the same
// way, naming wss:// and --allow-http; with --allow-http it warns.
func TestPlainBrowserRefused(t *testing.T) {
	t.Parallel()
	for _, browserURL := range []string{"ws://chrome.invalid:9222", "http://10.1.2.3:9222"} {
		for _, command := range []string{"roster", "demo"} {
			args := []string{command, "--browser", browserURL}
			if command == "roster" {
				args = append(args, "--url", goodURL, "--username", "joe")
			}
			r := runWith(t, withPassword, "", args...)
			assert.Equal(t, exitUsage, r.code, "%s %s: %s", command, browserURL, r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, "--browser (or ROSTERON_BROWSER) is "+browserURL[:strings.LastIndex(browserURL, ":")])
			assert.Contains(t, r.stderr, "wss://")
			assert.Contains(t, r.stderr, "--allow-http")
		}
		r := runWith(t, map[string]string{"ROSTERON_PASSWORD": "x", "ROSTERON_BROWSER": browserURL}, "",
			"roster", "--url", goodURL, "--username", "joe")
		assert.Equal(t, exitUsage, r.code, r.stderr)
		assert.Contains(t, r.stderr, "wss://")
	}
	// wss:// and loopback pass the check (the run then fails to connect).
	for _, ok := range []string{"wss://chrome.invalid:9222", "ws://127.0.0.1:1", "ws://[::1]:1"} {
		r := runWith(t, withPassword, "", "roster", "--url", goodURL, "--username", "joe", "--browser", ok, "--timeout", "10s")
		assert.NotEqual(t, exitUsage, r.code, "%s: %s", ok, r.stderr)
		assert.NotContains(t, r.stderr, "--allow-http", ok)
	}
	r := runWith(t, withPassword, "", "roster", "--url", goodURL, "--username", "joe",
		"--browser", "ws://chrome.invalid:9222", "--allow-http", "--timeout", "10s")
	assert.NotEqual(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rosteron: warning: --allow-http: unencrypted connection to a host that is not this machine: "+
		"--browser (or ROSTERON_BROWSER) is ws://chrome.invalid:9222")
}

// A plain http:// notify URL that carries credentials to another machine
// warns, naming the host and never the credentials; one without, one on
// loopback and https:// ones do not.
func TestPlainNotifyWarns(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, getenv: func(string) string { return "" }}
	file := notifyFile(t, "http://ntfy.example.org/file-topic-s3cret\n")
	targets, err := c.notifyTargets("serve", []string{
		"http://user:pa55-s3cret@hooks.example.org/",
		"json+http://hooks.example.org/hook?key=query-s3cret",
		"http://hooks.example.org/",
		"https://ntfy.sh/https-topic-s3cret",
		"http://127.0.0.1:8080/loopback-topic",
		"http://[::1]/loopback-topic",
	}, file)
	require.NoError(t, err)
	assert.Len(t, targets, 7)
	out := stderr.String()
	assert.Equal(t, 3, strings.Count(out, "\n"), out)
	assert.Contains(t, out, "rosteron: warning: --notify #1 is http://hooks.example.org: its credentials (user, query or topic) cross the network in clear")
	assert.Contains(t, out, "rosteron: warning: --notify #2 is http://hooks.example.org:")
	assert.Contains(t, out, "rosteron: warning: --notify-file line 1 is http://ntfy.example.org:")
	assert.NotContains(t, out, "s3cret")
}

// As root, starting Chrome with its sandbox gets a warning that it will
// have none; as another user, or with --no-sandbox asked for, no warning.
// The tests' processes run as a user who is not root (TestMain), so this
// one sets the uid, and it checks the real one too, since as root this
// machine's runs would say so.
func TestRootSandboxWarning(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	require.NoError(t, err)
	for _, tc := range []struct {
		uid       int
		noSandbox bool
		warns     bool
	}{
		{0, false, true},
		{0, true, false},
		{1000, false, false},
	} {
		var stderr bytes.Buffer
		c := &cli{stderr: &stderr, getenv: func(string) string { return "" }, euid: func() int { return tc.uid }}
		f := &sessionFlags{timeout: time.Minute, chrome: self, noSandbox: tc.noSandbox}
		_, err := f.checkBrowser(c, "roster")
		require.NoError(t, err)
		if !tc.warns {
			assert.Empty(t, stderr.String(), "uid %d, --no-sandbox %v", tc.uid, tc.noSandbox)
			continue
		}
		assert.Equal(t, "rosteron: warning: running as root, so Chrome starts without its sandbox (Chrome refuses one to root): "+
			"a web page that broke into Chrome would have the whole machine; run rosteron as another user\n", stderr.String())
	}
	// A remote Chrome is its owner's business.
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, getenv: func(string) string { return "" }, euid: func() int { return 0 }}
	f := &sessionFlags{timeout: time.Minute, browser: "ws://127.0.0.1:9222"}
	_, err = f.checkBrowser(c, "roster")
	require.NoError(t, err)
	assert.Empty(t, stderr.String())
}

// A password file others can read warns, naming the file and who, unless
// its folder keeps them out, or it is a Docker secret.
func TestOpenPasswordFileWarns(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-open-secret"
	mk := func(dirMode, fileMode os.FileMode) string {
		dir := filepath.Join(t.TempDir(), "d")
		require.NoError(t, os.Mkdir(dir, 0o700))
		p := filepath.Join(dir, "password")
		require.NoError(t, os.WriteFile(p, []byte(secret+"\n"), 0o600))
		require.NoError(t, os.Chmod(p, fileMode))
		require.NoError(t, os.Chmod(dir, dirMode))
		return p
	}
	for _, tc := range []struct {
		dirMode, fileMode os.FileMode
		who               string // "" for no warning
	}{
		{0o755, 0o644, "can be read by its group and every user of this machine"},
		{0o755, 0o604, "can be read by every user of this machine"},
		{0o750, 0o640, "can be read by its group of this machine"},
		{0o750, 0o644, "can be read by its group of this machine"},
		{0o755, 0o600, ""},
		{0o700, 0o644, ""}, // systemd's credentials, a private host folder
		{0o500, 0o444, ""},
		{0o701, 0o640, ""}, // the group cannot search the folder
	} {
		path := mk(tc.dirMode, tc.fileMode)
		var stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stderr: &stderr, getenv: func(string) string { return "" }, secretsDir: t.TempDir()}
		got, _, err := c.passwordSource(context.Background(), "roster", passwordFlags{file: path})
		require.NoError(t, err)
		assert.Equal(t, secret, got)
		out := stderr.String()
		assert.NotContains(t, out, secret)
		if tc.who == "" {
			assert.Empty(t, out, "folder %04o, file %04o", tc.dirMode, tc.fileMode)
			continue
		}
		assert.Contains(t, out, "rosteron: warning: the password file "+path, "folder %04o, file %04o", tc.dirMode, tc.fileMode)
		assert.Contains(t, out, tc.who)
		assert.Contains(t, out, "chmod 600 "+path)
	}

	// Docker and Compose mount a secret 0444 in /run/secrets, a folder
	// 0755 that only the container sees (checked with docker run -v
	// FILE:/run/secrets/NAME:ro): no warning there.
	secrets := t.TempDir()
	require.NoError(t, os.Chmod(secrets, 0o755))
	p := filepath.Join(secrets, dockerSecretName)
	require.NoError(t, os.WriteFile(p, []byte(secret+"\n"), 0o444))
	require.NoError(t, os.Chmod(p, 0o444))
	var stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stderr: &stderr, getenv: func(string) string { return "" }, secretsDir: secrets}
	got, _, err := c.passwordSource(context.Background(), "roster", passwordFlags{})
	require.NoError(t, err)
	assert.Equal(t, secret, got)
	assert.Empty(t, stderr.String())
}
