//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

// startServeWith runs serve with its checked config changed by edit, and
// returns its host:port and a function that stops it.
func startServeWith(t *testing.T, env map[string]string, args []string, edit func(*serveConfig)) (string, func()) {
	t.Helper()
	stderr := new(syncbuf.Buffer)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	cfg, err := c.checkServe(ctx, args)
	require.NoError(t, err)
	edit(cfg)
	sv, err := c.buildServe(ctx, cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- c.runServe(ctx, sv) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	out := awaitOutput(t, stderr, done, 20*time.Second, "the health line", healthLine.MatchString)
	h := healthLine.FindStringSubmatch(out)
	return strings.TrimSuffix(strings.TrimPrefix(h[1], "http://"), "/healthz"), stop
}

// The server closes a keep-alive connection left idle, and one that sends
// no request, after its time limits: neither can hold one of
// --max-connections for long. With a cap of one, a second client waits
// only until the server has closed the first's idle connection.
func TestServeConnClosesIdleConnections(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 15*time.Second, serveIdleTimeout, "docs/serve.md says so")
	assert.Equal(t, 5*time.Second, serveHeaderTimeout, "docs/serve.md says so")

	host, stop := startServeWith(t, tokenEnv, serveArgs(t.TempDir(), "--max-connections", "1"), func(cfg *serveConfig) {
		cfg.idleTimeout = 300 * time.Millisecond
		cfg.headerTimeout = 300 * time.Millisecond
	})
	defer stop()
	request := "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n"

	// One answered request, then the connection is left open and idle.
	idle, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer idle.Close()
	_, err = io.WriteString(idle, request)
	require.NoError(t, err)
	require.NoError(t, idle.SetReadDeadline(time.Now().Add(20*time.Second)))
	idleR := bufio.NewReader(idle)
	resp, err := http.ReadResponse(idleR, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.False(t, resp.Close, "a keep-alive connection")

	// A second client, past the cap, is answered once the server has
	// closed the idle one: well within the bound, which is far below
	// the two minutes an idle connection used to be kept.
	second, err := net.Dial("tcp", host)
	require.NoError(t, err, "the kernel queues it")
	defer second.Close()
	_, err = io.WriteString(second, request)
	require.NoError(t, err)
	require.NoError(t, second.SetReadDeadline(time.Now().Add(20*time.Second)))
	resp, err = http.ReadResponse(bufio.NewReader(second), nil)
	require.NoError(t, err, "answered once the idle connection was closed")
	resp.Body.Close()
	assert.NotZero(t, resp.StatusCode)

	_, err = idleR.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closed the idle connection (rather than the read timing out)")

	// A connection that sends nothing at all is closed too. The second
	// client leaves, so that it is served.
	require.NoError(t, second.Close())
	silent, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer silent.Close()
	require.NoError(t, silent.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = silent.Read(make([]byte, 1))
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "closed by the server, not timed out here: %v", err)
	assert.ErrorIs(t, err, io.EOF)
}
