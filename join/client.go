package join

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address a request came from: its peer's, unless
// the peer is a trusted proxy, then the right-most X-Forwarded-For
// address that is not one (each proxy appends the address it was reached
// from, so everything left of the first untrusted hop could be forged by
// the client). An address that does not parse ends the walk at the last
// trusted hop. The zero Addr when the peer's address does not parse.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ip := parseHop(r.RemoteAddr)
	if !ip.IsValid() || !isTrusted(ip, trusted) {
		return ip
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHop(hops[i])
		if !a.IsValid() {
			return ip
		}
		if !isTrusted(a, trusted) {
			return a
		}
		ip = a
	}
	return ip
}

// parseHop reads an address as RemoteAddr or X-Forwarded-For write it:
// with or without a port, an IPv6 one with or without brackets.
func parseHop(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addrKey is the rate limits' key of an address: an IPv6 address by its
// /64, since one machine commonly has a whole one.
func addrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "addr:unknown"
	}
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return "addr:" + p.String()
		}
	}
	return "addr:" + a.String()
}
