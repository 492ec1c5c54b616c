package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
)

// ErrOtherOrigin is matched by *OriginError: the tab refused a request to
// an origin AllowOrigins did not list.
var ErrOtherOrigin = errors.New("a request to another origin was refused")

// OriginError is the error of a tab operation during which the tab
// refused a request to an origin AllowOrigins did not list: the request
// never left Chrome.
type OriginError struct {
	// URL is where the refused request was going, less its query and
	// fragment, which may hold what was typed into the page.
	URL string
	// Method is the refused request's method, such as POST.
	Method string
	// Allowed is the origins the tab may send such requests to.
	Allowed []string
}

func (e *OriginError) Error() string {
	return fmt.Sprintf("refused a %s request to %s (host %s), which is not the configured origin %s",
		e.Method, e.URL, hostOf(e.URL), strings.Join(e.Allowed, " or "))
}

// Is makes the error match ErrOtherOrigin.
func (e *OriginError) Is(target error) bool { return target == ErrOtherOrigin }

// AllowOrigins makes the tab fail, before it leaves Chrome, every request
// that could carry what was typed into its page to an origin (scheme,
// host and port) not among origins: any document request, whether a
// navigation, a redirect, a form's post or a frame's, any request a
// script makes (fetch, XHR, a beacon, an event source), and any request
// whose method is not GET or HEAD. Static subresources (scripts, styles,
// images, fonts) still load from anywhere. The operation under way when
// a request is refused ends at once with an *OriginError, and Refused
// lists every refusal. Origins are written as URLs, such as
// https://rosteron.example.com; a path is ignored.
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

// guardedTypes are the resource types a tab with AllowOrigins pauses at
// the request stage: those that can carry a form's values.
var guardedTypes = []network.ResourceType{
	network.ResourceTypeDocument,
	network.ResourceTypeXHR,
	network.ResourceTypeFetch,
	network.ResourceTypePing,
	network.ResourceTypeEventSource,
	network.ResourceTypeOther,
}

// guard is a tab's record of the requests it refused: to an origin not
// allowed (*OriginError), or for a page larger than its cap
// (*PageSizeError).
type guard struct {
	allow   map[string]bool // nil allows every origin
	list    []string
	maxPage int64 // 0 for no cap

	mu      sync.Mutex
	refused []error
	signal  chan struct{} // closed at the next refusal
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

// refuse records a refused request. wake ends the operations under way:
// not needed for the main frame's own document, whose navigation is
// aborted by the refusal and ends by itself.
func (g *guard) refuse(method, rawURL string, wake bool) {
	g.add(&OriginError{URL: withoutQuery(rawURL), Method: method, Allowed: g.list}, wake)
}

// add records a refusal; wake ends the operations under way.
func (g *guard) add(err error, wake bool) {
	g.mu.Lock()
	g.refused = append(g.refused, err)
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

func (g *guard) since(n int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n < len(g.refused) {
		return g.refused[n]
	}
	return nil
}

// checkRequest refuses a paused request at the request stage if it may
// not go where it is going, and reports whether it did.
func (t *Tab) checkRequest(ev *fetch.EventRequestPaused) bool {
	if t.guard == nil || t.guard.allow == nil || ev.Request == nil {
		return false
	}
	guarded := ev.Request.Method != "GET" && ev.Request.Method != "HEAD"
	for _, typ := range guardedTypes {
		guarded = guarded || ev.ResourceType == typ
	}
	if !guarded || !t.guard.foreign(ev.Request.URL) {
		return false
	}
	t.rec.redact(ev.NetworkID)
	mainDocument := ev.ResourceType == network.ResourceTypeDocument && ev.FrameID == t.rec.mainFrame()
	t.guard.refuse(ev.Request.Method, ev.Request.URL, !mainDocument)
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

// Refused returns the requests the tab has refused so far (see
// AllowOrigins), oldest first.
func (t *Tab) Refused() []*OriginError {
	if t.guard == nil {
		return nil
	}
	t.guard.mu.Lock()
	defer t.guard.mu.Unlock()
	var out []*OriginError
	for _, err := range t.guard.refused {
		if oe, ok := err.(*OriginError); ok {
			out = append(out, oe)
		}
	}
	return out
}

type refusalMark struct{}

// watchRefusals makes c, an operation's context, end at the tab's next
// refusal of a request other than the main frame's document (which fails
// its navigation by itself), and notes in it how many there were before, for refusedIn.
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

// refusedIn returns the first request refused since the operation of c
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

// withoutQuery is rawURL without its query, fragment and credentials,
// which may hold what was typed into a page.
func withoutQuery(rawURL string) string {
	p, err := url.Parse(rawURL)
	if err != nil {
		return "(an unreadable URL)"
	}
	p.RawQuery, p.ForceQuery, p.Fragment, p.RawFragment, p.User = "", false, "", "", nil
	return p.String()
}
