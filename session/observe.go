package session

import (
	"net/url"
	"strings"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/oneline"
)

// A session tells an observer what it is doing, as it does it, so that a
// program can show progress: a run against a real instance takes seconds.
// What an observer is told holds no secret: no password, no cookie, no
// header or body, and no query value that could carry a token.

// StepBrowser is the step, before the first request, that starts the
// browser a session launches for itself. The other steps are named by the
// Purpose constants: PurposeLogin opens the login page, PurposeHome logs
// in, PurposeRoster reads the roster, PurposeLogout logs out.
const StepBrowser = "browser"

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event, in the order a step reports them.
const (
	// StepStarted: the step began.
	StepStarted EventKind = iota + 1
	// RequestDone: the step made a request and it ended, with a response
	// or without.
	RequestDone
	// StepFinished: the step ended, Err saying whether it failed.
	StepFinished
	// PageRendered: a roster page was rendered, or looked at again,
	// so that its scripts could build or fill it, and its scripts were
	// given time to settle: in RenderAuto a roster page without shifts,
	// in RenderAlways every roster page. It comes before the step's
	// RequestDone events. Took is the wait for them, Settled whether
	// they settled within its bound.
	PageRendered
)

// Event is one thing a session tells its observer.
type Event struct {
	Kind EventKind
	// Step is StepBrowser or a Purpose constant.
	Step string
	// Took is, for StepFinished, how long the step took.
	Took time.Duration
	// Err is, for StepFinished, the step's error; nil when it succeeded.
	Err error
	// Request is, for RequestDone, the request.
	Request Request
	// Settled is, for PageRendered, whether the page's scripts settled
	// (no request under way, no change to the page for a moment) before
	// the wait's bound of about two seconds.
	Settled bool
}

// Request is a request a step made, as an observer sees it.
type Request struct {
	Method string
	// URL is the request's address without user information or
	// fragment, and with every query value [REDACTED] except those of
	// RosterOn's paging (pageNo, row) and ReturnUrl: a page this session
	// is redirected to may carry a token in its query.
	URL string
	// Status is 0 when no response arrived; Error then says why, such as
	// "net::ERR_CONNECTION_REFUSED".
	Status     int
	StatusText string
	Error      string
	// Took is how long the request took by the browser's clock; 0 when
	// unknown.
	Took time.Duration
}

// WithObserver makes the session call fn as each step starts and ends,
// and for each request a step made, once the request ended. fn is called
// on the goroutine running the step, one call at a time, before the step
// returns: it should be quick, such as writing a line to a terminal.
func WithObserver(fn func(Event)) Option { return func(s *Session) { s.observer = fn } }

func (s *Session) observe(ev Event) {
	if s.observer != nil {
		s.observer(ev)
	}
}

// observeStep tells the observer that step started, and returns what to
// call with its error when it has ended.
func (s *Session) observeStep(step string) func(error) {
	if s.observer == nil {
		return func(error) {}
	}
	started := time.Now()
	s.observe(Event{Kind: StepStarted, Step: step})
	return func(err error) {
		s.observe(Event{Kind: StepFinished, Step: step, Took: time.Since(started), Err: err})
	}
}

func (s *Session) observeRequests(step string, xs []browser.Exchange) {
	if s.observer == nil {
		return
	}
	for _, x := range xs {
		s.observe(Event{Kind: RequestDone, Step: step, Request: Request{
			Method: x.Method, URL: observedURL(x.URL), Status: x.Status, StatusText: x.StatusText,
			Error: x.Error, Took: x.Duration,
		}})
	}
}

// openQuery are the query parameters whose values an observer may see:
// RosterOn's own, which hold no secret.
var openQuery = map[string]bool{"pageno": true, "row": true, "returnurl": true}

// observedURL is raw as Request.URL documents it; a URL that cannot be
// parsed, which Chrome never reports, is not shown at all.
func observedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return oneline.Redacted
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			key, err := url.QueryUnescape(name)
			if hasValue && (err != nil || !openQuery[strings.ToLower(key)]) {
				parts[i] = name + "=" + oneline.Redacted
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}
