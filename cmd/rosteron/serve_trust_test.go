//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/syncbuf"
)

// serveArgs are the flags of a serve that needs no Chrome: its refreshes
// fail at once, at a browser address that refuses connections.
func serveArgs(state string, more ...string) []string {
	return append([]string{"--addr", "127.0.0.1:0", "--url", goodURL, "--username", "joe", "--state", state,
		"--browser", "ws://127.0.0.1:1", "--refresh", "1h"}, more...)
}

var tokenEnv = map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}

// Not on a terminal, serve prints no address: they go to the state
// folder's addresses file, 0600, which 'rosteron address' prints, and
// stderr says so without the token.
func TestServeAddressesFile(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "rosteron")
	s := startServe(t, tokenEnv, serveArgs(state)...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Empty(t, s.stdout.String(), "no address on a stdout that is no terminal")
	path := filepath.Join(state, addressesFile)
	assert.Contains(t, s.stderr.String(), "rosteron serve: the feeds' addresses, which hold the token, are in "+path+
		": 'rosteron address --state "+state+"' prints them\n")
	assert.NotContains(t, s.stderr.String(), goodToken)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	lines := strings.Split(strings.TrimSuffix(s.addresses, "\n"), "\n")
	require.Len(t, lines, 3)
	base := strings.TrimSuffix(s.ics, "/"+goodToken+"/roster.ics")
	assert.Equal(t, []string{
		"rosteron serve: iCalendar feed " + base + "/" + goodToken + "/roster.ics",
		"rosteron serve: JSON feed " + base + "/" + goodToken + "/roster.json",
		"rosteron serve: page " + base + "/" + goodToken + "/",
	}, lines)

	r := runWith(t, nil, "", "address", "--state", state)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, s.addresses, r.stdout)
	assert.Empty(t, r.stderr)

	// The default state folder is serve's.
	xdg := filepath.Dir(state)
	r = runWith(t, map[string]string{"XDG_STATE_HOME": xdg}, "", "address")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, s.addresses, r.stdout)

	// --public-url is what is kept.
	s = startServe(t, tokenEnv, serveArgs(state, "--public-url", "https://example.org/rota/")...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Contains(t, s.addresses, "rosteron serve: page https://example.org/rota/"+goodToken+"/\n")

	empty := t.TempDir()
	r = runWith(t, nil, "", "address", "--state", empty)
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "no feed addresses in "+empty+": 'rosteron serve' writes them there as it starts")
	r = runWith(t, nil, "", "address", "extra")
	assert.Equal(t, exitUsage, r.code)
	r = runWith(t, nil, "", "address")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "(see 'rosteron address --help')")
}

// On a terminal, the addresses are serve's first lines on stdout, and the
// file has them too.
func TestServeAddressesOnATerminal(t *testing.T) {
	t.Parallel()
	ptm, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptm.Close()
	defer tty.Close()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(ptm)
		for sc.Scan() {
			lines <- strings.TrimSuffix(sc.Text(), "\r")
		}
		close(lines)
	}()
	state := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, serveArgs(state)...), strings.NewReader(""),
			tty, new(syncbuf.Buffer), func(k string) string { return tokenEnv[k] })
	}()
	var shown []string
	for len(shown) < 3 {
		select {
		case l := <-lines:
			shown = append(shown, l)
		case code := <-done:
			t.Fatalf("serve exited with %d", code)
		case <-time.After(20 * time.Second):
			t.Fatalf("no addresses on the terminal; got %q", shown)
		}
	}
	cancel(&signalError{syscall.SIGTERM})
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Regexp(t, `^rosteron serve: iCalendar feed http://127\.0\.0\.1:\d+/`+goodToken+`/roster\.ics$`, shown[0])
	assert.Regexp(t, `^rosteron serve: JSON feed http://127\.0\.0\.1:\d+/`+goodToken+`/roster\.json$`, shown[1])
	assert.Regexp(t, `^rosteron serve: page http://127\.0\.0\.1:\d+/`+goodToken+`/$`, shown[2])
	data, err := os.ReadFile(filepath.Join(state, addressesFile))
	require.NoError(t, err)
	assert.Equal(t, strings.Join(shown, "\n")+"\n", string(data))
}

// An existing state folder open to others is made 0700, and serve says
// so; one of another user's, or a shared one such as /tmp, is refused.
func TestServeStateFolderSecured(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.Mkdir(state, 0o700))
	require.NoError(t, os.Chmod(state, 0o775))
	tokenFile := filepath.Join(state, feed.TokenFile)
	require.NoError(t, os.WriteFile(tokenFile, []byte(goodToken+"\n"), 0o600))
	require.NoError(t, os.Chmod(tokenFile, 0o644))
	s := startServe(t, withPassword, serveArgs(state)...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Contains(t, s.ics, "/"+goodToken+"/", "the token kept")
	for path, want := range map[string]os.FileMode{state: 0o700, tokenFile: 0o600} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, want, fi.Mode().Perm(), path)
	}
	out := s.stderr.String()
	assert.Contains(t, out, "rosteron serve: the state folder "+state+" was mode 0775, open to other users: made it 0700\n")
	assert.Contains(t, out, "rosteron serve: the feed token file "+tokenFile+" was mode 0644: made it 0600, readable by this user only\n")
	assert.NotContains(t, out, goodToken)

	// Private already: nothing said.
	s = startServe(t, withPassword, serveArgs(state)...)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), "made it")

	sticky := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(sticky, 0o700))
	require.NoError(t, os.Chmod(sticky, os.ModeSticky|0o777))
	r := runWith(t, withPassword, "", append([]string{"serve"}, serveArgs(sticky)...)...)
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "is a shared folder (sticky, like /tmp)")
	fi, err := os.Stat(sticky)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o777), fi.Mode().Perm(), "left as it was")

	if os.Geteuid() != 0 {
		t.Skip("giving a folder to another user needs root")
	}
	theirs := filepath.Join(t.TempDir(), "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o755))
	require.NoError(t, os.Chown(theirs, 12345, 12345))
	r = runWith(t, withPassword, "", append([]string{"serve"}, serveArgs(theirs)...)...)
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "the state folder "+theirs+" belongs to uid 12345, not to uid 0 that rosteron runs as")
	entries, err := os.ReadDir(theirs)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written there")
	fi, err = os.Stat(theirs)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), "left as it was")

	// A token file of another user's, in a folder of ours, is refused too.
	require.NoError(t, os.Chown(tokenFile, 12345, 12345))
	r = runWith(t, withPassword, "", append([]string{"serve"}, serveArgs(state)...)...)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "belongs to another user (uid 12345)")
}

// With --max-connections N, connection N+1 waits, unanswered, while N are
// open, and is served once one closes.
func TestServeConnectionCap(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	s := startServe(t, tokenEnv, serveArgs(state, "--max-connections", "2")...)
	defer s.stop(syscall.SIGTERM)
	host := strings.TrimSuffix(strings.TrimPrefix(s.health, "http://"), "/healthz")
	request := "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n"

	// Two connections, each answered once and kept open (keep-alive).
	var open []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", host)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, request)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		open = append(open, c)
	}

	third, err := net.Dial("tcp", host)
	require.NoError(t, err, "the kernel queues it")
	defer third.Close()
	_, err = io.WriteString(third, request)
	require.NoError(t, err)
	r := bufio.NewReader(third)
	require.NoError(t, third.SetReadDeadline(time.Now().Add(time.Second)))
	_, err = r.ReadByte()
	var ne net.Error
	require.ErrorAs(t, err, &ne, "no answer while two are open: %v", err)
	assert.True(t, ne.Timeout())

	require.NoError(t, open[0].Close())
	require.NoError(t, third.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err, "served once one closed")
	resp.Body.Close()
	assert.NotZero(t, resp.StatusCode)

	rr := runWith(t, withPassword, "", append([]string{"serve"}, serveArgs(t.TempDir(), "--max-connections", "0")...)...)
	assert.Equal(t, exitUsage, rr.code)
	assert.Contains(t, rr.stderr, "invalid --max-connections 0: want a positive number")
}

// RLIMIT_CORE is 0, soft and hard, once disableCoreDumps has run; a child
// process (Chrome) inherits that. The e2e suite checks the binary's.
func TestDisableCoreDumps(t *testing.T) {
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_CORE, &lim))
	if lim.Max == 0 {
		t.Skip("core dumps are off already, so the test would prove nothing")
	}
	orig := lim
	// This test process's own limit, put back where the kernel allows.
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_CORE, &orig) })
	require.NoError(t, disableCoreDumps())
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_CORE, &lim))
	assert.Zero(t, lim.Cur)
	assert.Zero(t, lim.Max)
}
