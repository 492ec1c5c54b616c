package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrOtherOrigin is matched by *OriginError: the tab refused a request to
// an origin AllowOrigins did not list.
var ErrOtherOrigin = errors.New("a request to another origin was refused")

// OriginError is a request to an origin AllowOrigins did not list, which
// the tab refused: it never left Chrome. Refused lists them all; the
// fatal ones (see Fatal) are also the error of the operation under way.
type OriginError struct {
	// URL is where the refused request was going: its origin only, with
	// "/…" for any path, as its path, query and fragment may hold what
	// was typed into the page (a script that sends the password
	// elsewhere may put it anywhere in the URL).
	URL string
	// Method is the refused request's method, such as POST; empty for
	// a new window, which has none yet.
	Method string
	// Type is Chrome's resource type of the request, such as Document,
	// Image, Script, XHR or Ping; "Window" for a new window.
	Type string
	// Fatal is set when the refusal ended the operation under way: a
	// main-frame document (a navigation or a redirect), or a document
	// or post carrying the secret of GuardSecret, or a new window while
	// it guards one. Other refusals are silent, only recorded.
	Fatal bool
	// Allowed is the origins the tab may send requests to.
	Allowed []string
}

func (e *OriginError) Error() string {
	what := "a " + e.Method + " request"
	if e.Type == windowType {
		what = "a new window"
	}
	return fmt.Sprintf("refused %s to %s (host %s), which is not the configured origin %s",
		what, e.URL, hostOf(e.URL), strings.Join(e.Allowed, " or "))
}

// Is makes the error match ErrOtherOrigin.
func (e *OriginError) Is(target error) bool { return target == ErrOtherOrigin }

// windowType is OriginError.Type for a new window.
const windowType = "Window"

// AllowOrigins makes the tab fail, before it leaves Chrome, every request
// the Fetch domain of DevTools sees going to an origin (scheme, host and
// port) not among origins: documents (navigations, redirects, forms,
// frames), scripts' requests (fetch, XHR, beacons, event sources), and
// scripts, styles, images, fonts and media too, whatever the method.
// Origins are written as URLs, such as https://rosteron.example.com; a
// path is ignored.
//
// Fetch does not see WebSocket handshakes, and nothing here stops a
// script on an allowed page from opening one elsewhere: a policy that
// would (a Content-Security-Policy) is enforced only on a document the
// tab hands back itself with Fetch.fulfillRequest, and Chrome treats such
// a document as coming from no address, so the local and private
// network checks then refuse its requests to RosterOn on a private
// network. WebSockets are therefore not contained, and neither are
// WebRTC and DNS lookups. Nor does the tab see new
// windows, which are targets of their own: a Chrome started by Launch
// refuses them all (--block-new-web-contents), and the tab records one
// that a page tried to open to another origin as refused; a remote or
// adopted Chrome started without that switch opens them.
//
// Every refusal is recorded in Refused. Only a main-frame document (a
// navigation or a redirect elsewhere), and what GuardSecret adds, ends
// the operation under way, which fails with the *OriginError; the rest
// are refused silently, so that a page's analytics beacon or an image
// from a CDN fails nothing.
func AllowOrigins(origins ...string) TabOption {
	return func(c *tabConfig) {
		if c.allow == nil {
			c.allow = map[string]bool{}
		}
		for _, o := range origins {
			if u, err := url.Parse(o); err == nil {
				c.allow[Origin(u)] = true
				c.allowList = append(c.allowList, Origin(u))
			}
		}
	}
}

// GuardSecret, on a tab with AllowOrigins, makes more refusals end the
// operation under way: a document (in any frame) or a request whose
// method is not GET or HEAD, to an origin not allowed, that carries
// secret in its URL or body (as typed, or URL- or form-encoded), and any
// new window to such an origin. Other requests carrying it, such as an
// image's GET, are refused silently like any other. It is for the time
// between typing a secret, such as a password, into a page and that
// page's form being sent. What a request carries, rather than when it was made, decides:
// a beacon a page sent as it loaded, which Chrome may report only after
// the secret was typed, must not fail the login. A request that carries
// the secret some other way (encrypted, say) is still refused, silently.
// An empty secret turns it off, and so does the main frame committing
// another document, whose own scripts did not see what was typed.
func (t *Tab) GuardSecret(secret string) {
	if t.guard == nil {
		return
	}
	t.guard.mu.Lock()
	t.guard.secret = secret
	t.guard.mu.Unlock()
}

// Origin returns u's origin as a browser compares it: the scheme and host
// in lower case, and the port unless it is the scheme's default, such as
// https://rosteron.example.com or http://127.0.0.1:8080.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == defaultPort(scheme) {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

// hostOf returns rawURL's host and port, as people read them.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Host
}

// guard is a tab's record of the requests it refused: to an origin not
// allowed (*OriginError), or for a page larger than its cap
// (*PageSizeError).
type guard struct {
	allow   map[string]bool // nil allows every origin
	list    []string
	maxPage int64 // 0 for no cap

	mu      sync.Mutex
	secret  string // see GuardSecret
	refused []refusal
	signal  chan struct{} // closed at the next refusal that wakes
}

// refusal is one refused request; fatal ones are the error of the
// operation under way.
type refusal struct {
	err   error
	fatal bool
}

func newGuard(cfg tabConfig) *guard {
	return &guard{allow: cfg.allow, list: cfg.allowList, maxPage: cfg.maxPage, signal: make(chan struct{})}
}

// foreign reports whether a request to rawURL must be refused: a
// network URL whose origin is not allowed. URLs that never reach the
// network (data:, blob:, about:) are not.
func (g *guard) foreign(rawURL string) bool {
	if g.allow == nil {
		return false
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return true
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
		return !g.allow[Origin(u)]
	}
	return false
}

// refuse records a refused request. A fatal one is the error of the
// operation under way; wake ends that at once (not needed for the main
// frame's own document, whose navigation is aborted by the refusal and
// ends by itself).
func (g *guard) refuse(method, typ, rawURL string, fatal, wake bool) {
	g.record(&OriginError{URL: redactedURL(rawURL), Method: method, Type: typ, Fatal: fatal, Allowed: g.list}, fatal, wake)
}

// add records a refusal that is the error of the operation under way;
// wake ends that at once.
func (g *guard) add(err error, wake bool) { g.record(err, true, wake) }

func (g *guard) record(err error, fatal, wake bool) {
	g.mu.Lock()
	g.refused = append(g.refused, refusal{err, fatal})
	if wake {
		close(g.signal)
		g.signal = make(chan struct{})
	}
	g.mu.Unlock()
}

// mark returns how many refusals there have been and the channel closed
// at the next that wakes.
func (g *guard) mark() (int, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.refused), g.signal
}

// since returns the first fatal refusal after the first n, nil when
// there is none.
func (g *guard) since(n int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.refused[min(n, len(g.refused)):] {
		if r.fatal {
			return r.err
		}
	}
	return nil
}

// checkRequest refuses a paused request at the request stage if it may
// not go where it is going, and reports whether it did.
func (t *Tab) checkRequest(ev *fetch.EventRequestPaused) bool {
	if t.guard == nil || t.guard.allow == nil || ev.Request == nil || !t.guard.foreign(ev.Request.URL) {
		return false
	}
	t.rec.redact(ev.NetworkID)
	document := ev.ResourceType == network.ResourceTypeDocument
	mainDocument := document && ev.FrameID == t.rec.mainFrame()
	method := ev.Request.Method
	form := document || method != "GET" && method != "HEAD" // what a form or a script's post is
	fatal := mainDocument || form && carries(ev.Request, t.guard.guarded())
	t.guard.refuse(ev.Request.Method, string(ev.ResourceType), ev.Request.URL, fatal, fatal && !mainDocument)
	reason := network.ErrorReasonBlockedByClient
	if mainDocument {
		// Aborted, as a navigation replaced by another is: the tab stays
		// on the page it showed, and loads no error page that could
		// still be loading when the next navigation starts.
		reason = network.ErrorReasonAborted
	}
	t.fail(ev, reason)
	return true
}

// Stop stops the page loading, as a browser's stop button does: a
// navigation the page started, and that a refused request did not end,
// goes no further, so that the next operation does not race it.
func (t *Tab) Stop(ctx context.Context) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	_, err := chromedp.Call(c, page.StopLoading, cdp.Empty{})
	return t.opErr(ctx, c, err)
}

// windowOpened records a new window a page of the tab opened, or tried
// to, to an origin not allowed. A Chrome started by Launch refuses every
// new window (--block-new-web-contents); one that was not keeps it open,
// and the record is all there is.
func (t *Tab) windowOpened(ev *page.EventWindowOpen) {
	if t.guard == nil || t.guard.allow == nil || !t.guard.foreign(ev.URL) {
		return
	}
	guarding := t.guard.guarded() != ""
	t.guard.refuse("", windowType, ev.URL, guarding, guarding)
}

func (g *guard) guarded() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.secret
}

// carries reports whether req holds secret in its URL or body, as typed
// or as a form or a URL would encode it. A body too long for DevTools to
// show counts as holding it.
func carries(req *network.Request, secret string) bool {
	if secret == "" {
		return false
	}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	has := func(s string) bool {
		for _, f := range forms {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	if has(req.URL) || has(req.URLFragment) {
		return true
	}
	if u, err := url.QueryUnescape(req.URL); err == nil && has(u) {
		return true
	}
	if req.HasPostData && len(req.PostDataEntries) == 0 {
		return true
	}
	for _, e := range req.PostDataEntries {
		if has(string(e.Bytes)) {
			return true
		}
	}
	return false
}

// committed notes a document the main frame committed: the page that
// GuardSecret was for is gone.
func (t *Tab) committed(ev *page.EventFrameNavigated) {
	if ev.Frame != nil && ev.Frame.ParentID == "" {
		t.GuardSecret("")
	}
}

// Refused returns the requests the tab has refused so far (see
// AllowOrigins), oldest first.
func (t *Tab) Refused() []*OriginError {
	if t.guard == nil {
		return nil
	}
	t.guard.mu.Lock()
	defer t.guard.mu.Unlock()
	var out []*OriginError
	for _, r := range t.guard.refused {
		if oe, ok := r.err.(*OriginError); ok {
			out = append(out, oe)
		}
	}
	return out
}

type refusalMark struct{}

// watchRefusals makes c, an operation's context, end at the tab's next
// fatal refusal of a request other than the main frame's document (which
// fails its navigation by itself), and notes in it how many there were
// before, for refusedIn.
func (t *Tab) watchRefusals(c context.Context, cancel context.CancelCauseFunc) context.Context {
	if t.guard == nil {
		return c
	}
	n, sig := t.guard.mark()
	go func() {
		select {
		case <-sig:
			cancel(t.guard.since(n))
		case <-c.Done():
		}
	}()
	return context.WithValue(c, refusalMark{}, n)
}

// refusedIn returns the first fatal refusal since the operation of c
// began, nil when there was none.
func (t *Tab) refusedIn(c context.Context) error {
	if t.guard == nil {
		return nil
	}
	n, ok := c.Value(refusalMark{}).(int)
	if !ok {
		return nil
	}
	return t.guard.since(n)
}

// redactedURL is rawURL's origin, with "/…" for a path: its path,
// query, fragment and credentials may hold what was typed into a page.
func redactedURL(rawURL string) string {
	p, err := url.Parse(rawURL)
	if err != nil || p.Host == "" {
		return "(an unreadable URL)"
	}
	out := p.Scheme + "://" + p.Host
	if (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.ForceQuery || p.Fragment != "" {
		out += "/…"
	}
	return out
}
