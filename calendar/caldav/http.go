package caldav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/oneline"
)

// Bounds on what is read of an answer, so that a broken or hostile server
// cannot fill the memory.
const (
	maxListing   = 16 << 20 // a calendar-query of every event
	maxDiscovery = 4 << 20  // a PROPFIND of a home's calendars
	maxObject    = 1 << 20  // one event
	maxErrorBody = 4 << 10  // the text of an error answer, for its message
	maxRedirects = 5
)

// Error is a CalDAV request that failed for a reason other than the
// credentials (*calendar.AuthError) or a changed event
// (calendar.ErrConflict). It matches calendar.ErrCalendar.
type Error struct {
	// Step is what rosteron was doing: "discovery", "list", "create"…
	Step string
	// URL is the address asked, without credentials.
	URL string
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Detail is what the server said, cleaned to one short line.
	Detail string
	// Err is the cause, if any: a network error, a malformed answer.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("CalDAV " + e.Step)
	if e.URL != "" {
		b.WriteString(" (" + e.URL + ")")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match calendar.ErrCalendar.
func (e *Error) Is(target error) bool { return target == calendar.ErrCalendar }

// client sends CalDAV requests with the credentials, only to the origins
// it trusts: the one configured and, over https, other hosts of the same
// site (iCloud's home is on another host than caldav.icloud.com).
type client struct {
	hc        *http.Client
	username  string
	password  string
	allowHTTP bool
	origin    *url.URL // the configured address's scheme and host

	mu      sync.Mutex
	trusted map[string]bool // "scheme://host:port", during discovery
	// scope is the calendar, once discovery found it: from then on every
	// request goes to it or inside it, and only there.
	scope *url.URL
}

// found ends discovery: requests go only to cal, the calendar's
// collection, or inside it.
func (c *client) found(cal *url.URL) {
	c.mu.Lock()
	c.scope = cal
	c.mu.Unlock()
}

// discovering reports whether the calendar is still to be found.
func (c *client) discovering() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scope == nil
}

// inside reports whether u is the collection scope or a resource in it:
// its origin, and a path under its path with no dot segments.
func inside(u, scope *url.URL) bool {
	if originOf(u) != originOf(scope) || !strings.HasPrefix(u.Path, scope.Path) {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func originOf(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

// checkPlain refuses http:// to another machine, which would send the
// password in clear.
func checkPlain(u *url.URL, allowHTTP bool) error {
	if u.Scheme == "http" && !allowHTTP && !netguard.IsLoopback(u.Hostname()) {
		return fmt.Errorf("http://%s is not encrypted and would send the CalDAV password in clear: "+
			"use https://, or say --allow-http for a server on a private network", u.Host)
	}
	return nil
}

// checkTarget says whether the credentials may be sent to u.
func (c *client) checkTarget(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("the server pointed to %q, which is not an http or https address", u.Redacted())
	}
	if u.User != nil {
		return errors.New("the server pointed to an address with credentials in it")
	}
	o := originOf(u)
	c.mu.Lock()
	ok, scope := c.trusted[o], c.scope
	c.mu.Unlock()
	if scope != nil {
		if inside(u, scope) {
			return nil
		}
		return fmt.Errorf("%s is not in the calendar %s: rosteron sends nothing there", u.Redacted(), scope.Redacted())
	}
	if ok {
		return nil
	}
	if c.origin.Scheme == "https" && u.Scheme != "https" {
		return fmt.Errorf("the server pointed from https to %s: the password is not sent over plain http", o)
	}
	if err := checkPlain(u, c.allowHTTP); err != nil {
		return err
	}
	if u.Scheme == "https" && sameSite(u.Hostname(), c.origin.Hostname()) && samePort(u, c.origin) {
		c.mu.Lock()
		c.trusted[o] = true
		c.mu.Unlock()
		return nil
	}
	return fmt.Errorf("the server pointed to %s, another site than %s: the password is sent only to %s",
		o, originOf(c.origin), originOf(c.origin))
}

// samePort reports whether u is at the port of origin, or at https's own.
func samePort(u, origin *url.URL) bool {
	port := func(v *url.URL) string {
		if p := v.Port(); p != "" {
			return p
		}
		return "443"
	}
	return port(u) == port(origin) || port(u) == "443"
}

// sameSite reports whether a and b are hosts of one registered domain,
// such as p42-caldav.icloud.com and caldav.icloud.com.
func sameSite(a, b string) bool {
	if net.ParseIP(a) != nil || net.ParseIP(b) != nil {
		return false
	}
	sa, err1 := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(a))
	sb, err2 := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(b))
	return err1 == nil && err2 == nil && sa == sb
}

type request struct {
	step   string
	method string
	url    *url.URL
	header http.Header
	body   []byte
	limit  int64
}

type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // where the answer came from, after redirects
}

// do sends r and reads its answer, up to r.limit bytes. A PROPFIND,
// REPORT or GET that is redirected is sent again, as it was, to the new
// address, if the credentials may go there: Go's client would turn it
// into a GET. A 401, or a 403 during discovery, is a *calendar.AuthError;
// other statuses, a 403 refusing one event among them, are the caller's
// to judge.
func (c *client) do(ctx context.Context, r request) (*response, error) {
	u := r.url
	for hop := 0; ; hop++ {
		if err := c.checkTarget(u); err != nil {
			return nil, &Error{Step: r.step, URL: u.Redacted(), Err: err}
		}
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
		if err != nil {
			return nil, &Error{Step: r.step, URL: u.Redacted(), Err: err}
		}
		for k, v := range r.header {
			req.Header[k] = v
		}
		req.SetBasicAuth(c.username, c.password)
		resp, err := c.hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, &Error{Step: r.step, URL: u.Redacted(), Err: err}
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc := resp.Header.Get("Location")
			drain(resp)
			follow := r.method == "PROPFIND" || r.method == "REPORT" || r.method == http.MethodGet
			if !follow || loc == "" || hop >= maxRedirects {
				return nil, &Error{Step: r.step, URL: u.Redacted(), Status: resp.StatusCode,
					Detail: "redirected, which rosteron does not follow for this request"}
			}
			next, err := u.Parse(loc)
			if err != nil {
				return nil, &Error{Step: r.step, URL: u.Redacted(), Status: resp.StatusCode,
					Err: fmt.Errorf("a redirect to an unreadable address: %w", err)}
			}
			u = next
			continue
		case http.StatusUnauthorized:
			drain(resp)
			return nil, c.authError(resp.StatusCode, u)
		case http.StatusForbidden:
			if c.discovering() {
				drain(resp)
				return nil, c.authError(resp.StatusCode, u)
			}
		}
		limit := r.limit
		if resp.StatusCode/100 != 2 {
			limit = maxErrorBody
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			return nil, &Error{Step: r.step, URL: u.Redacted(), Status: resp.StatusCode, Err: err}
		}
		if int64(len(data)) > limit {
			if resp.StatusCode/100 == 2 {
				return nil, &Error{Step: r.step, URL: u.Redacted(), Status: resp.StatusCode,
					Err: fmt.Errorf("the answer is larger than the %d KiB rosteron reads", r.limit>>10)}
			}
			data = data[:limit]
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: data, url: u}, nil
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

func (c *client) authError(status int, u *url.URL) error {
	reason := fmt.Sprintf("the CalDAV server %s refused the user %q", u.Host, c.username)
	if status == http.StatusForbidden {
		reason = fmt.Sprintf("the CalDAV server %s does not let the user %q at %s", u.Host, c.username, u.Path)
	}
	reason += ": check the CalDAV username and password (for iCloud, an app-specific password)"
	return &calendar.AuthError{Service: "CalDAV", Status: status, Reason: reason}
}

// statusError is the *Error for an answer the caller did not expect.
func (c *client) statusError(step string, resp *response) error {
	return &Error{Step: step, URL: resp.url.Redacted(), Status: resp.status, Detail: c.detail(resp)}
}

// detail is what an error answer says, if it is text: one short line,
// without the password, should a server ever echo it.
func (c *client) detail(resp *response) string {
	ct := strings.ToLower(resp.header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "xml") {
		return ""
	}
	s := oneline.Clean(string(resp.body), c.password)
	return oneline.Truncate(s, 200)
}
