// Package safedial connects only to public internet addresses, for the
// requests a server makes to URLs that strangers chose: the alert targets
// and CalDAV calendars that colleagues set for themselves through /join.
// Without it, such a URL could point the server at itself (127.0.0.1), at
// the cloud's metadata service (169.254.169.254), at the private network
// it runs in (a Compose neighbour, a database), or at a name that resolves
// there, and have it send requests on the stranger's behalf.
//
// The check runs in the dialer's Control function, which sees the address
// a connection is about to be made to, after the name was resolved: a name
// that resolves to a public address when it is checked and to a private
// one when it is used (DNS rebinding) is caught all the same, and so is
// every redirect, each hop being a connection of its own. No proxy is used,
// since a proxy would connect on rosteron's behalf, unchecked.
package safedial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is matched by every *ForbiddenAddressError.
var ErrForbiddenAddress = errors.New("connection to a non-public address refused")

// ForbiddenAddressError is a connection refused because its address is not
// a public internet address. Its message names the host as dialled and the
// kind of address, never a URL (which may hold credentials) nor the
// address a name resolved to (which would tell a stranger about the
// server's network); Addr holds that address for the operator.
type ForbiddenAddressError struct {
	// Host is the host as dialled, a name or an address; "" when unknown.
	Host string
	// Addr is the address refused.
	Addr netip.Addr
	// Class says what kind of address it is: "loopback (this machine)",
	// "private network (RFC 1918)"…
	Class string
}

func (e *ForbiddenAddressError) Error() string {
	what := "the address"
	if e.Host != "" {
		what = e.Host
		if a, err := netip.ParseAddr(e.Host); err != nil || a != e.Addr {
			what += " resolves to"
		} else {
			what += " is"
		}
	} else {
		what += " is"
	}
	return fmt.Sprintf("refused to connect: %s a %s address; "+
		"alert and calendar servers must be on the public internet", what, e.Class)
}

// Is makes every *ForbiddenAddressError match ErrForbiddenAddress.
// Permanent reports that trying the address again cannot succeed: a
// sender such as feed.Notifier then gives up at once rather than
// retrying for a day.
func (e *ForbiddenAddressError) Permanent() bool { return true }

func (e *ForbiddenAddressError) Is(target error) bool { return target == ErrForbiddenAddress }

// An Option changes what a guarded dialer lets through.
type Option func(*config)

type config struct {
	allow []netip.Prefix
}

// Allow lets connections to prefixes through even though they are not
// public: for tests, whose servers are all on loopback, or for an operator
// who trusts one server of their own network. An IPv4 address is matched
// in its plain form, whether it was dialled as such or IPv4-mapped.
func Allow(prefixes ...netip.Prefix) Option {
	return func(c *config) {
		for _, p := range prefixes {
			if p.IsValid() {
				c.allow = append(c.allow, p.Masked())
			}
		}
	}
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

func (c *config) allowed(ip netip.Addr) bool {
	for _, p := range c.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// classes are the addresses refused, each with what it is. The first
// prefix that holds an address names it.
var classes = []struct {
	prefix netip.Prefix
	class  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private network (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (this machine)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (169.254.0.0/16, cloud metadata among others)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private network (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast (192.88.99.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private network (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4, broadcast among them)"},

	{netip.MustParsePrefix("::/128"), "unspecified (::)"},
	{netip.MustParsePrefix("::1/128"), "loopback (this machine)"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6 (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (100::/64)"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignment (2001::/23, Teredo among them)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (2001:db8::/32)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation (3fff::/20)"},
	{netip.MustParsePrefix("fc00::/7"), "private network (unique local, fc00::/7)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (fe80::/10)"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (fec0::/10, deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Prefixes of IPv6 that carry an IPv4 address, which is checked in turn.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the address in the last 32 bits
	sixTo4 = netip.MustParsePrefix("2002::/16")    // RFC 3056: the address in bits 16 to 48
)

// Classify says whether ip is refused and, if so, what kind of address it
// is. An IPv4-mapped address (::ffff:a.b.c.d) is judged as the IPv4
// address it maps, and so are the IPv4 addresses inside NAT64 (64:ff9b::/96)
// and 6to4 (2002::/16) addresses; an address with a zone as without.
func Classify(ip netip.Addr) (class string, forbidden bool) {
	if !ip.IsValid() {
		return "invalid", true
	}
	ip = ip.WithZone("").Unmap()
	for _, c := range classes {
		if c.prefix.Contains(ip) {
			return c.class, true
		}
	}
	if ip.Is6() {
		b := ip.As16()
		var inner netip.Addr
		switch {
		case nat64.Contains(ip):
			inner = netip.AddrFrom4([4]byte(b[12:16]))
		case sixTo4.Contains(ip):
			inner = netip.AddrFrom4([4]byte(b[2:6]))
		}
		if inner.IsValid() {
			if class, bad := Classify(inner); bad {
				return class + ", inside an IPv6 address", true
			}
		}
	}
	return "", false
}

// Check returns a *ForbiddenAddressError when ip is refused, nil
// otherwise.
func Check(ip netip.Addr, opts ...Option) error {
	return newConfig(opts).check(ip)
}

func (c *config) check(ip netip.Addr) error {
	plain := ip.WithZone("").Unmap()
	if plain.IsValid() && c.allowed(plain) {
		return nil
	}
	if class, bad := Classify(ip); bad {
		return &ForbiddenAddressError{Addr: plain, Class: class}
	}
	return nil
}

// Control returns a net.Dialer Control function that refuses a connection
// to any address Classify forbids, unless Allow lets it through. An
// address it cannot read is refused too.
func Control(opts ...Option) func(network, address string, raw syscall.RawConn) error {
	return newConfig(opts).control
}

func (c *config) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &ForbiddenAddressError{Class: "unreadable (" + network + ")"}
	}
	return c.check(ap.Addr())
}

// DialContext returns a guarded dial function for an http.Transport. Its
// refusals are the *ForbiddenAddressError itself, with the host as
// dialled, rather than a *net.OpError, whose message would quote the
// address a name resolved to.
func DialContext(opts ...Option) func(ctx context.Context, network, addr string) (net.Conn, error) {
	c := newConfig(opts)
	d := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   c.control,
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		var fe *ForbiddenAddressError
		if err != nil && errors.As(err, &fe) {
			out := *fe
			if host, _, splitErr := net.SplitHostPort(addr); splitErr == nil {
				out.Host = host
			}
			return nil, &out
		}
		return conn, err
	}
}

// Transport returns a clone of base (http.DefaultTransport's settings when
// nil) that dials only addresses the guard lets through. Its TLS settings
// are kept; its proxy, and any dial function of its own, are dropped.
func Transport(base *http.Transport, opts ...Option) *http.Transport {
	var t *http.Transport
	if base != nil {
		t = base.Clone()
	} else if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second}
	}
	t.Proxy = nil
	t.OnProxyConnectResponse = nil
	// The deprecated dialers are cleared, lest a base that set them dial
	// around the guard: DialContext is the one left.
	//lint:ignore SA1019 cleared, never used
	t.Dial = nil
	//lint:ignore SA1019 cleared, never used
	t.DialTLS = nil
	t.DialTLSContext = nil // TLS goes over DialContext's connection, so it is guarded too
	t.DialContext = DialContext(opts...)
	return t
}

// MaxRedirects is how many redirects a Client follows.
const MaxRedirects = 3

// ErrTooManyRedirects is matched by a Client's error when a request is
// redirected more than MaxRedirects times.
var ErrTooManyRedirects = fmt.Errorf("redirected more than %d times", MaxRedirects)

// Client returns an HTTP client that connects only where the guard lets
// it, follows at most MaxRedirects redirects (each of them guarded, being
// a connection like any other), and gives up on a request after timeout
// (none when timeout is 0).
func Client(timeout time.Duration, opts ...Option) *http.Client {
	return &http.Client{
		Transport: Transport(nil, opts...),
		Timeout:   timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return ErrTooManyRedirects
			}
			return nil
		},
	}
}
