package browser_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// nonLoopback is an address of this machine's that is not loopback, or ""
// when it has none.
func nonLoopback(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// A plain ws:// or http:// DevTools address to a host that is not
// loopback is refused before any connection, unless WithAllowPlaintext;
// wss:// and loopback are not refused.
func TestConnectRefusesPlaintext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, addr := range []string{"ws://chrome:9222", "http://devtools.example:9222", "WS://10.1.2.3:9222/devtools/browser/x"} {
		_, err := browser.Connect(ctx, addr, browser.WithRemoteToken("a-token-of-sorts"))
		require.Error(t, err, addr)
		assert.True(t, errors.Is(err, browser.ErrPlaintext), "%s: %v", addr, err)
		assert.Contains(t, err.Error(), "WithAllowPlaintext")
	}
	for _, addr := range []string{"wss://devtools.invalid:9222", "ws://localhost.invalid:9222"} {
		_, err := browser.Connect(ctx, addr, browser.WithAllowPlaintext())
		require.Error(t, err, "no such host")
		assert.False(t, errors.Is(err, browser.ErrPlaintext), "%s: %v", addr, err)
	}
	_, err := browser.Connect(ctx, "wss://devtools.invalid:9222")
	require.Error(t, err)
	assert.False(t, errors.Is(err, browser.ErrPlaintext), "wss:// is not plain text: %v", err)

	// On a real address of this machine's that is not loopback: nothing
	// connects without WithAllowPlaintext, and something does with it.
	ip := nonLoopback(t)
	if ip == "" {
		t.Log("this machine has no address but loopback: the no-connection check is left out")
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	require.NoError(t, err)
	defer ln.Close()
	tcp := ln.(*net.TCPListener)
	_, err = browser.Connect(ctx, "ws://"+ln.Addr().String())
	require.ErrorIs(t, err, browser.ErrPlaintext)
	// Connect has returned: a connection it made would be queued by now.
	require.NoError(t, tcp.SetDeadline(time.Now()))
	if c, err := tcp.Accept(); err == nil {
		c.Close()
		t.Fatal("Connect reached the address it refused")
	}
	require.NoError(t, tcp.SetDeadline(time.Time{}))
	accepted := make(chan struct{})
	go func() {
		if c, err := tcp.Accept(); err == nil {
			close(accepted)
			c.Close()
		}
	}()
	_, err = browser.Connect(ctx, "ws://"+ln.Addr().String(), browser.WithAllowPlaintext())
	require.Error(t, err, "not DevTools")
	assert.False(t, errors.Is(err, browser.ErrPlaintext))
	select {
	case <-accepted:
	case <-ctx.Done():
		t.Fatal("Connect did not reach the address with WithAllowPlaintext")
	}
}

// WithRemoteToken sends the bearer token on the /json/version lookup and
// on the websocket handshake, both to the host given to Connect (not to
// the one the answer names), and a 401 is ErrUnauthorized.
func TestConnectRemoteToken(t *testing.T) {
	t.Parallel()
	const token = "tok-3Fh8Qm2Zr7Lx0VbN5sKp"
	var mu sync.Mutex
	seen := map[string]string{} // path: Authorization
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/json/version":
			// An address no client can reach, as Chrome behind a proxy
			// names: only its path is to be used.
			_, _ = w.Write([]byte(`{"webSocketDebuggerUrl": "ws://127.0.0.1:1/devtools/browser/abc"}`))
		default:
			w.WriteHeader(http.StatusForbidden) // not a websocket: Connect fails
		}
	}))
	defer srv.Close()
	ws := "ws://" + strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := browser.Connect(ctx, ws, browser.WithRemoteToken(token))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	mu.Lock()
	assert.Equal(t, map[string]string{
		"/json/version":         "Bearer " + token,
		"/devtools/browser/abc": "Bearer " + token,
	}, seen)
	clear(seen)
	mu.Unlock()

	for _, opts := range [][]browser.Option{{browser.WithRemoteToken("another-token-altogether")}, nil} {
		_, err = browser.Connect(ctx, ws, opts...)
		require.Error(t, err)
		assert.ErrorIs(t, err, browser.ErrUnauthorized)
	}
	mu.Lock()
	assert.NotContains(t, seen, "/devtools/browser/abc", "no websocket after a 401")
	mu.Unlock()

	_, err = browser.Connect(ctx, ws, browser.WithRemoteToken("two words"))
	assert.ErrorIs(t, err, browser.ErrBadToken)
}
