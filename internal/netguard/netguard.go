// Package netguard decides whether an address may carry a secret in clear:
// only to this machine's loopback, written as such. A password typed into a
// RosterOn page over plain http://, or into a remote Chrome's page over an
// unencrypted DevTools ws://, crosses the network readable by anyone on the
// path, so every such address that is not loopback is refused unless the
// person running rosteron says otherwise.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ErrPlaintext is matched by the errors of CheckURL: a plain-text scheme
// to a host that is not loopback.
var ErrPlaintext = errors.New("unencrypted connection to a host that is not this machine")

// IsLoopback reports whether host, as written in a URL (a name, an IPv4
// address or an IPv6 address with or without brackets, with no port), is
// this machine's loopback: "localhost", 127.0.0.0/8 or ::1. A name that
// merely resolves to loopback is not: what it resolves to can change, and
// checking needs a lookup before any connection.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	// A zone ("::1%lo") names an interface; loopback has no need of one.
	if strings.Contains(host, "%") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// Plaintext reports whether scheme carries its traffic unencrypted.
func Plaintext(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return true
	}
	return false
}

// CheckURL returns an error matching ErrPlaintext when u is plain http or
// ws to a host that is not loopback, and nil otherwise. what names the
// address for the message ("the RosterOn URL", "--browser"); the message
// quotes only u's scheme and host, never a path, query or user info that
// may hold a token.
func CheckURL(u *url.URL, what string) error {
	if !Plaintext(u.Scheme) {
		return nil
	}
	host := u.Hostname()
	if IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("%w: %s is %s://%s, so anything sent there, the password included, "+
		"could be read on the way", ErrPlaintext, what, strings.ToLower(u.Scheme), hostPort(u))
}

func hostPort(u *url.URL) string {
	if u.Port() == "" {
		return u.Hostname()
	}
	return net.JoinHostPort(u.Hostname(), u.Port())
}
