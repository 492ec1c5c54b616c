package session

import (
	"net/url"
	"strings"

	"github.com/rosteron/rosteron/browser"
)

// allowedOrigins are the origins the session's tab may send a form to:
// the configured URL's, and for a plain http:// URL on its default port,
// the same host over https on its default port, as servers upgrade.
func allowedOrigins(base string) []string {
	u, err := url.Parse(base)
	if err != nil {
		return []string{base}
	}
	origins := []string{browser.Origin(u)}
	if up, ok := upgraded(u); ok {
		origins = append(origins, browser.Origin(up))
	}
	return origins
}

// upgraded returns u over https, when u is a plain http:// URL on the
// default port: the one change of origin a login page may make.
func upgraded(u *url.URL) (*url.URL, bool) {
	if u.Scheme != "http" || u.Port() != "" && u.Port() != "80" {
		return nil, false
	}
	up := *u
	up.Scheme, up.Host = "https", u.Hostname()
	if strings.Contains(up.Host, ":") {
		up.Host = "[" + up.Host + "]" // an IPv6 literal
	}
	return &up, true
}

// originAllowed reports whether found, a page's URL, has the origin of
// configured, the session's base URL (scheme, host and port), or is the
// same host upgraded from http to https, default port to default port.
func originAllowed(configured, found string) bool {
	c, err := url.Parse(configured)
	if err != nil {
		return false
	}
	f, err := url.Parse(found)
	if err != nil || f.Host == "" {
		return false
	}
	fo := browser.Origin(f)
	if fo == browser.Origin(c) {
		return true
	}
	up, ok := upgraded(c)
	return ok && fo == browser.Origin(up)
}

// siteOf returns base as a page found at found addresses it: base
// itself, or, when found is base's host upgraded from http to https
// (see upgraded), base over https, so that the steps after the login
// page stay on https and read its cookies, which may be Secure.
func siteOf(base, found string) string {
	b, err := url.Parse(base)
	if err != nil {
		return base
	}
	f, err := url.Parse(found)
	if err != nil {
		return base
	}
	up, ok := upgraded(b)
	if !ok || browser.Origin(f) != browser.Origin(up) || browser.Origin(f) == browser.Origin(b) {
		return base
	}
	return up.String()
}

// hostOf returns rawURL's host (and port, when it has one).
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return rawURL
	}
	return u.Host
}

// otherOrigin is a step's error when its tab refused a request to
// another origin.
func (s *Session) otherOrigin(purpose string, oe *browser.OriginError) error {
	reason := "a request was going to " + hostOf(oe.URL) + " instead of " + hostOf(s.base) + " as configured, and was stopped before it left the browser"
	if purpose == PurposeHome {
		reason = "a request of the login, which could have carried the login form, was going to " + hostOf(oe.URL) +
			" instead of " + hostOf(s.base) + " as configured, and was stopped before it left the browser"
	}
	return &BadResponseError{Purpose: purpose, Reason: reason, Err: oe}
}
