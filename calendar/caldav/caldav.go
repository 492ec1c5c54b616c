// Package caldav writes rosteron's events into a calendar on a CalDAV
// server (RFC 4791): iCloud, Fastmail, Nextcloud, Radicale, Baïkal,
// mailbox.org. Open finds the calendar by the standard route
// (/.well-known/caldav, the principal, the calendar home) and by its name,
// or makes it; the *Calendar it returns is a calendar.Calendar.
//
// Discovery uses github.com/emersion/go-webdav to list a home's calendars.
// What that library lacks (MKCALENDAR, conditional writes, a listing that
// survives one unreadable event, redirects that stay PROPFINDs, bounded
// answers) is done here with plain requests, and the events are read and
// written with github.com/emersion/go-ical.
//
// The password goes only to the configured server, as HTTP Basic
// authentication, and to other https hosts of the same site that server
// points to (iCloud keeps a person's calendars on a host of its own); never
// over plain http to another machine unless AllowHTTP says so, and never
// from https to http. It appears in no error and no String.
package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-webdav"
	wcaldav "github.com/emersion/go-webdav/caldav"

	"github.com/rosteron/rosteron/calendar"
)

// Config says which calendar to open and how.
type Config struct {
	// URL is the server (https://caldav.icloud.com), a calendar home, or
	// the calendar itself.
	URL string
	// Username and Password are the account's, sent as HTTP Basic
	// authentication. For iCloud, an app-specific password.
	Username, Password string
	// Calendar is the display name of the calendar to use, made when
	// missing. It may be empty when URL is the calendar itself.
	Calendar string
	// AllowHTTP lets plain http:// to a host other than loopback through,
	// for a server on a private network such as a Compose network. The
	// password then crosses it in clear.
	AllowHTTP bool
	// Client sends the requests; http.DefaultClient's settings when nil.
	// Its CheckRedirect is not used: redirects are followed here, so that
	// the password never follows one to another site.
	Client *http.Client
	// NoCreate makes Open fail, with an error matching
	// calendar.ErrNoCalendar, where it would make the calendar: for a
	// dry run, which writes nothing.
	NoCreate bool
}

// Calendar is one calendar on a CalDAV server. Its methods are safe for
// concurrent use.
type Calendar struct {
	c    *client
	url  *url.URL // the collection, its path ending in "/"
	name string   // its display name

	mu sync.Mutex
	// stored is the last object read or written at each of rosteron's
	// hrefs, with its ETag, so that Update keeps what the person added
	// without reading the event again.
	stored map[string]storedObject

	now func() time.Time
}

type storedObject struct {
	etag string
	data []byte
}

var _ calendar.Calendar = (*Calendar)(nil)

// defaultTimeout bounds each request when Config.Client is nil.
const defaultTimeout = 2 * time.Minute

// Open finds cfg's calendar, or makes it, and returns it. Its errors match
// calendar.ErrCalendar; credentials the server refuses are a
// *calendar.AuthError.
func Open(ctx context.Context, cfg Config) (*Calendar, error) {
	u, err := parseServerURL(cfg.URL, cfg.AllowHTTP)
	if err != nil {
		return nil, err
	}
	if cfg.Username == "" {
		return nil, &Error{Step: "discovery", URL: u.Redacted(), Err: errors.New("no username")}
	}
	if cfg.Password == "" {
		return nil, &Error{Step: "discovery", URL: u.Redacted(), Err: errors.New("no password")}
	}
	// A bound for a server that stops answering midway, should the
	// caller's context have none.
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.Client != nil {
		*hc = *cfg.Client
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &client{
		hc:        hc,
		username:  cfg.Username,
		password:  cfg.Password,
		allowHTTP: cfg.AllowHTTP,
		origin:    &url.URL{Scheme: u.Scheme, Host: u.Host},
		trusted:   map[string]bool{originOf(u): true},
	}
	cal := &Calendar{c: c, stored: map[string]storedObject{}, now: time.Now}
	if err := cal.discover(ctx, u, strings.TrimSpace(cfg.Calendar), cfg.NoCreate); err != nil {
		return nil, err
	}
	c.found(cal.url)
	return cal, nil
}

// parseServerURL checks the configured address.
func parseServerURL(raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Step: "discovery", Err: errors.New("the CalDAV address is not an http or https URL, such as https://caldav.example.org/")}
	}
	if u.User != nil {
		return nil, &Error{Step: "discovery", URL: u.Redacted(),
			Err: errors.New("the CalDAV address holds credentials: give the username and the password file apart")}
	}
	u.RawQuery, u.Fragment = "", ""
	if err := checkPlain(u, allowHTTP); err != nil {
		return nil, &Error{Step: "discovery", URL: u.Redacted(), Err: err}
	}
	return u, nil
}

// String names the calendar, without credentials.
func (cal *Calendar) String() string {
	return "CalDAV " + cal.url.Redacted() + ": " + cal.name
}

// URL returns the calendar collection's address.
func (cal *Calendar) URL() string { return cal.url.String() }

// Name returns the calendar's display name.
func (cal *Calendar) Name() string { return cal.name }

// propfind sends a PROPFIND and reads its multistatus.
func (cal *Calendar) propfind(ctx context.Context, step string, u *url.URL, depth string, limit int64, props ...[2]string) (*multistatus, *url.URL, error) {
	resp, err := cal.c.do(ctx, request{
		step: step, method: "PROPFIND", url: u, limit: limit, body: propfindBody(props...),
		header: http.Header{"Depth": {depth}, "Content-Type": {`application/xml; charset="utf-8"`}},
	})
	if err != nil {
		return nil, nil, err
	}
	if resp.status != http.StatusMultiStatus {
		return nil, resp.url, cal.c.statusError(step, resp)
	}
	ms, err := parseMultistatus(resp.body)
	if err != nil {
		return nil, resp.url, &Error{Step: step, URL: resp.url.Redacted(), Status: resp.status, Err: err}
	}
	return ms, resp.url, nil
}

// self returns the response of ms about u itself (a Depth 0 answer has
// only that one; some servers name it differently, so the first will do).
func self(ms *multistatus, u *url.URL) *msResponse {
	for i := range ms.Responses {
		for _, h := range ms.Responses[i].Hrefs {
			if v, err := resolve(u, h); err == nil && sameResource(v, u) {
				return &ms.Responses[i]
			}
		}
	}
	if len(ms.Responses) > 0 {
		return &ms.Responses[0]
	}
	return nil
}

// discover finds the calendar from u: RFC 6764's well-known address when
// u is a server's root, then the principal, the calendar home and the
// calendar named name in it, made when missing. An address that already
// is a calendar is used as it is, whatever its name; one that is a home
// is searched.
func (cal *Calendar) discover(ctx context.Context, u *url.URL, name string, noCreate bool) error {
	const step = "discovery"
	start := u
	if u.Path == "" || u.Path == "/" {
		wk := u.ResolveReference(&url.URL{Path: "/.well-known/caldav"})
		ms, final, err := cal.propfind(ctx, step, wk, "0", maxDiscovery, propResourceType, propPrincipal)
		var auth *calendar.AuthError
		switch {
		case errors.As(err, &auth) && auth.Status == http.StatusUnauthorized:
			return err
		case err == nil && len(ms.Responses) > 0:
			start = final
		default:
			// No well-known address (a 404, a 403 from a web server
			// that keeps PROPFIND out of /.well-known, or no
			// multistatus): the server's root is asked itself. No
			// answer at all, or a redirect the password may not
			// follow, is the end of it.
			var de *Error
			if errors.As(err, &de) && de.Status == 0 {
				return err
			}
		}
	}
	ms, final, err := cal.propfind(ctx, step, start, "0", maxDiscovery,
		propResourceType, propDisplayName, propPrincipal, propHomeSet, propComponents)
	var de *Error
	if errors.As(err, &de) && (de.Status == http.StatusNotFound || de.Status == http.StatusMethodNotAllowed ||
		de.Status == http.StatusNotImplemented || de.Status == http.StatusBadRequest) {
		de.Detail = "no CalDAV here: give the CalDAV address your service documents (such as https://cloud.example.org/remote.php/dav)"
	}
	if err != nil {
		return err
	}
	r := self(ms, final)
	if r == nil {
		return &Error{Step: step, URL: final.Redacted(), Err: errors.New("the server said nothing about the address")}
	}
	p := r.props()
	if p.ResourceType.is(nsCalDAV, "calendar") {
		cal.url = withSlash(final)
		cal.name = str(p.DisplayName)
		if cal.name == "" {
			cal.name = path.Base(strings.TrimSuffix(cal.url.Path, "/"))
		}
		return nil
	}
	if name == "" {
		return &Error{Step: step, URL: final.Redacted(), Err: errors.New("no calendar name, and the address is not a calendar")}
	}
	var homes []*url.URL
	switch {
	case p.HomeSet != nil && len(p.HomeSet.Hrefs) > 0:
		homes, err = hrefs(final, p.HomeSet.Hrefs)
	case p.Principal != nil && len(p.Principal.Hrefs) > 0:
		var principal *url.URL
		if principal, err = resolve(final, p.Principal.Hrefs[0]); err == nil {
			homes, err = cal.homeSet(ctx, principal)
		}
	case p.ResourceType.is(nsDAV, "collection"):
		homes = []*url.URL{final} // the address is the home
	default:
		err = errors.New("the address is neither a calendar, a calendar home nor a CalDAV server's")
	}
	if err != nil {
		var auth *calendar.AuthError
		var de *Error
		if errors.As(err, &auth) || errors.As(err, &de) {
			return err
		}
		return &Error{Step: step, URL: final.Redacted(), Err: err}
	}
	for _, home := range homes {
		found, err := cal.findByName(ctx, home, name)
		if err != nil {
			return err
		}
		if found != nil {
			cal.url, cal.name = found, name
			return nil
		}
	}
	if noCreate {
		return &Error{Step: "discovery", URL: homes[0].Redacted(),
			Err: fmt.Errorf("%w: no calendar named %q, and this run makes none", calendar.ErrNoCalendar, name)}
	}
	return cal.make(ctx, homes[0], name)
}

func withSlash(u *url.URL) *url.URL {
	v := *u
	if !strings.HasSuffix(v.Path, "/") {
		v.Path += "/"
		v.RawPath = ""
	}
	return &v
}

func hrefs(base *url.URL, list []string) ([]*url.URL, error) {
	var out []*url.URL
	for _, h := range list {
		u, err := resolve(base, h)
		if err != nil {
			return nil, err
		}
		out = append(out, withSlash(u))
	}
	if len(out) == 0 {
		return nil, errors.New("no calendar home")
	}
	return out, nil
}

// homeSet reads the principal's calendar homes.
func (cal *Calendar) homeSet(ctx context.Context, principal *url.URL) ([]*url.URL, error) {
	ms, final, err := cal.propfind(ctx, "discovery", principal, "0", maxDiscovery, propHomeSet)
	if err != nil {
		return nil, err
	}
	r := self(ms, final)
	if r == nil {
		return nil, errors.New("the principal has no calendar home")
	}
	p := r.props()
	if p.HomeSet == nil {
		return nil, fmt.Errorf("the principal %s has no calendar home", final.Redacted())
	}
	return hrefs(final, p.HomeSet.Hrefs)
}

// findByName returns the calendar of events in home whose display name is
// name (else, one whose name differs only in case), the first by address
// if there are several; nil when there is none.
func (cal *Calendar) findByName(ctx context.Context, home *url.URL, name string) (*url.URL, error) {
	if err := cal.c.checkTarget(home); err != nil {
		return nil, &Error{Step: "discovery", URL: home.Redacted(), Err: err}
	}
	cals, err := cal.calendars(ctx, home)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cals, func(a, b wcaldav.Calendar) int { return strings.Compare(a.Path, b.Path) })
	for _, exact := range []bool{true, false} {
		for _, c := range cals {
			if !slices.ContainsFunc(c.SupportedComponentSet, func(s string) bool { return strings.EqualFold(s, "VEVENT") }) &&
				len(c.SupportedComponentSet) > 0 {
				continue
			}
			n := strings.TrimSpace(c.Name)
			if (exact && n == name) || (!exact && strings.EqualFold(n, name)) {
				u := *home
				u.Path, u.RawPath = c.Path, ""
				return withSlash(&u), nil
			}
		}
	}
	return nil, nil
}

// calendars lists the calendars in home with go-webdav. An answer the
// library cannot read (it wants every property of every collection just
// so) is read here instead, with the few properties rosteron needs.
func (cal *Calendar) calendars(ctx context.Context, home *url.URL) ([]wcaldav.Calendar, error) {
	dav, err := wcaldav.NewClient(&libraryClient{c: cal.c}, (&url.URL{Scheme: home.Scheme, Host: home.Host}).String())
	if err != nil {
		return nil, &Error{Step: "discovery", URL: home.Redacted(), Err: err}
	}
	cals, err := dav.FindCalendars(ctx, home.EscapedPath())
	var auth *calendar.AuthError
	var de *Error
	if err == nil || errors.As(err, &auth) || errors.As(err, &de) {
		return cals, err
	}
	ms, final, err := cal.propfind(ctx, "discovery", home, "1", maxDiscovery, propResourceType, propDisplayName, propComponents)
	if err != nil {
		return nil, err
	}
	cals = nil
	for i := range ms.Responses {
		r := &ms.Responses[i]
		p := r.props()
		if !p.ResourceType.is(nsCalDAV, "calendar") || len(r.Hrefs) == 0 {
			continue
		}
		u, err := resolve(final, r.Hrefs[0])
		if err != nil {
			continue
		}
		c := wcaldav.Calendar{Path: u.Path, Name: str(p.DisplayName)}
		if p.Components != nil {
			for _, comp := range p.Components.Comps {
				c.SupportedComponentSet = append(c.SupportedComponentSet, comp.Name)
			}
		}
		cals = append(cals, c)
	}
	return cals, nil
}

var unsafeSlug = regexp.MustCompile(`[^a-z0-9]+`)

// make makes the calendar name in home with MKCALENDAR, in a collection
// named after it.
func (cal *Calendar) make(ctx context.Context, home *url.URL, name string) error {
	const step = "creating the calendar"
	slug := strings.Trim(unsafeSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if slug == "" || len(slug) > 40 {
		slug = "rosteron"
	}
	for i := 1; i <= 5; i++ {
		seg := slug
		if i > 1 {
			seg = fmt.Sprintf("%s-%d", slug, i)
		}
		target := home.ResolveReference(&url.URL{Path: seg + "/"})
		resp, err := cal.c.do(ctx, request{
			step: step, method: "MKCALENDAR", url: target, limit: maxErrorBody, body: mkcalendarBody(name),
			header: http.Header{"Content-Type": {`application/xml; charset="utf-8"`}},
		})
		if err != nil {
			var auth *calendar.AuthError
			if errors.As(err, &auth) && auth.Status == http.StatusForbidden {
				return &Error{Step: step, URL: target.Redacted(), Status: auth.Status,
					Detail: fmt.Sprintf("the server lets no calendar be made here: make one named %q in its app, or give its address", name)}
			}
			return err
		}
		switch resp.status {
		case http.StatusCreated, http.StatusOK, http.StatusNoContent:
			cal.url, cal.name = target, name
			return nil
		case http.StatusMethodNotAllowed, http.StatusConflict, http.StatusPreconditionFailed:
			continue // the name is taken (by something that is not this calendar)
		case http.StatusNotImplemented:
			return &Error{Step: step, URL: target.Redacted(), Status: resp.status,
				Detail: fmt.Sprintf("the server cannot make calendars: make one named %q in its app, or give its address", name)}
		default:
			return cal.c.statusError(step, resp)
		}
	}
	return &Error{Step: step, URL: home.Redacted(), Detail: fmt.Sprintf("no free name for a calendar %q", name)}
}

// libraryClient is go-webdav's HTTP client: each request goes only where
// the credentials may go, with them, and its answer is bounded.
type libraryClient struct{ c *client }

var _ webdav.HTTPClient = (*libraryClient)(nil)

func (l *libraryClient) Do(req *http.Request) (*http.Response, error) {
	if err := l.c.checkTarget(req.URL); err != nil {
		return nil, &Error{Step: "discovery", URL: req.URL.Redacted(), Err: err}
	}
	req.SetBasicAuth(l.c.username, l.c.password)
	resp, err := l.c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &Error{Step: "discovery", URL: req.URL.Redacted(), Err: err}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		drain(resp)
		return nil, l.c.authError(resp.StatusCode, req.URL)
	}
	if resp.StatusCode/100 == 3 {
		drain(resp)
		return nil, &Error{Step: "discovery", URL: req.URL.Redacted(), Status: resp.StatusCode,
			Detail: "the calendar home redirects: give the calendar's own address"}
	}
	resp.Body = &limitedBody{r: resp.Body, n: maxDiscovery}
	return resp, nil
}

// limitedBody fails a read past n bytes, rather than cutting the answer
// short silently.
type limitedBody struct {
	r interface {
		Read([]byte) (int, error)
		Close() error
	}
	n int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		var one [1]byte
		if k, err := b.r.Read(one[:]); k == 0 && err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("the answer is larger than the %d KiB rosteron reads", maxDiscovery>>10)
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }
