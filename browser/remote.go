package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/netguard"
)

// ErrPlaintext is matched by Connect's error for a plain ws:// or http://
// DevTools address to a host that is not this machine's loopback, given
// without WithAllowPlaintext.
var ErrPlaintext = netguard.ErrPlaintext

// ErrUnauthorized is matched by Connect's error when the DevTools endpoint
// answers 401 or 403: it wants a token (WithRemoteToken), or another one.
var ErrUnauthorized = errors.New("the DevTools endpoint refused this client: it wants a token (such as rosteron chrome's), or another one")

// ErrBadToken is Connect's error for a WithRemoteToken token that cannot
// go in an HTTP header: empty after trimming, or holding spaces or
// control characters.
var ErrBadToken = errors.New("invalid DevTools token: want printable characters without spaces")

// checkRemote parses a DevTools address and refuses one that would carry
// the session in clear to another machine.
func checkRemote(wsURL string, allowPlaintext bool) (*url.URL, error) {
	u, err := url.Parse(wsURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("remote browser %q: want a ws:// or http:// DevTools address", wsURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "wss", "http", "https":
	default:
		return nil, fmt.Errorf("remote browser %q: want a ws:// or http:// DevTools address", wsURL)
	}
	if !allowPlaintext {
		if err := netguard.CheckURL(u, "the DevTools address"); err != nil {
			return nil, fmt.Errorf("%w; use a wss:// address (or, on a private network, WithAllowPlaintext)", err)
		}
	}
	return u, nil
}

// validToken reports whether token can go in an Authorization header as
// it is: visible ASCII, no spaces.
func validToken(token string) bool {
	if token == "" {
		return false
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] >= 0x7f {
			return false
		}
	}
	return true
}

// redactURL is u without user info, query or fragment, which may hold a
// credential, for messages.
func redactURL(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.Fragment, r.RawFragment, r.ForceQuery = nil, "", "", "", false
	return r.String()
}

// lookupDebuggerURL returns the browser's websocket address behind the
// DevTools endpoint u, asking its /json/version (with the bearer token,
// if any) unless u names it already. The answer's path goes on u's own
// scheme and host: an endpoint behind a proxy knows only its own address,
// and a token is for u's host alone. Without a token, a plain-text
// endpoint named by a host name is asked by its IP address, as chromedp
// does: Chrome answers only requests whose Host is an IP address or
// localhost.
func lookupDebuggerURL(ctx context.Context, u *url.URL, token string) (string, error) {
	ws := *u
	ws.User, ws.Fragment, ws.RawFragment = nil, "", ""
	secure := strings.EqualFold(u.Scheme, "wss") || strings.EqualFold(u.Scheme, "https")
	ws.Scheme = "ws"
	if secure {
		ws.Scheme = "wss"
	}
	if token == "" && !secure {
		host, err := hostIP(ctx, u.Hostname())
		if err != nil {
			return "", err
		}
		switch port := u.Port(); {
		case port != "":
			ws.Host = net.JoinHostPort(host, port)
		case strings.Contains(host, ":"):
			ws.Host = "[" + host + "]"
		default:
			ws.Host = host
		}
	}
	if strings.Contains(u.Path, "/devtools/browser/") {
		return ws.String(), nil
	}

	lookup := url.URL{Scheme: "http", Host: ws.Host, Path: "/json/version"}
	if secure {
		lookup.Scheme = "https"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lookup.String(), nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// No redirect: the token is for this host only.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking %s: %w", lookup.String(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", lookup.String(), err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("%w (%s answered %s)", ErrUnauthorized, lookup.String(), resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%s answered %s, not the browser's version", lookup.String(), resp.Status)
	}
	var v struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("%s answered no DevTools version: %w", lookup.String(), err)
	}
	d, err := url.Parse(v.WebSocketDebuggerURL)
	if err != nil || !strings.HasPrefix(d.Path, "/devtools/browser/") {
		return "", fmt.Errorf("%s named no browser websocket (webSocketDebuggerUrl %q)", lookup.String(), v.WebSocketDebuggerURL)
	}
	ws.Path, ws.RawPath, ws.RawQuery = d.Path, d.RawPath, u.RawQuery
	return ws.String(), nil
}

// hostIP is host itself when it is an IP address or localhost, and else
// its first address.
func hostIP(ctx context.Context, host string) (string, error) {
	if strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil {
		return host, nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return "", fmt.Errorf("looking up the browser's host: %w", err)
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("looking up the browser's host %s: no address", host)
	}
	return addrs[0].IP.String(), nil
}
