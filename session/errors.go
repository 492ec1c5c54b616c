package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/pyrepr"
)

// ErrRosterOn is matched, through errors.Is, by every error that means
// RosterOn itself did not do what was asked: *BadCredentialsError,
// *LoginRefusedError, *BadResponseError and *NotLoggedInError. The
// browser's failures and the session's own are ErrBrowser instead.
var ErrRosterOn = errors.New("RosterOn error")

// ErrCredentials is matched, through errors.Is, by every error that
// means RosterOn refused the login itself: *BadCredentialsError (its
// known "bad password" message) and *LoginRefusedError (any other
// message on the login page after a submit, such as a locked account).
// Trying again with the same password can only make things worse: a
// locked account gets locked harder. Both also match ErrRosterOn.
var ErrCredentials = errors.New("RosterOn refused the login")

// ErrNotLoggedIn is matched by *NotLoggedInError.
var ErrNotLoggedIn = errors.New(notLoggedInMessage)

// ErrInvalidURL is matched by the error New returns for a base URL that is
// not an absolute http or https URL.
var ErrInvalidURL = errors.New("invalid RosterOn URL")

// ErrPlaintext is matched, with ErrInvalidURL, by the error New returns
// for a plain http:// URL to a host that is not loopback (see
// WithAllowHTTP).
var ErrPlaintext = netguard.ErrPlaintext

// ErrOtherOrigin is matched by the *BadResponseError of a step whose
// page was at, or sent a request to, an origin (scheme, host and port)
// other than the configured URL's: a redirect elsewhere, or a login form
// posting elsewhere. The request was stopped before it left the browser,
// and nothing was typed into a page of another origin.
var ErrOtherOrigin = browser.ErrOtherOrigin

// ErrBrowser is matched, through errors.Is, by every error that means
// the browser or the session itself failed, not RosterOn: *BrowserError
// (no Chrome, a Chrome that could not start or crashed, a tab that went
// away, a DevTools endpoint that refused the connection or dropped it)
// and ErrClosed. None of them matches ErrRosterOn.
var ErrBrowser = errors.New("the browser failed")

// ErrClosed is matched by the *BrowserError of a step asked of a session
// after Close. It matches ErrBrowser too: it is the program's mistake,
// not RosterOn's.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string        { return "the session is closed" }
func (closedError) Is(target error) bool { return target == ErrBrowser }

// The purposes of the steps of a session, as they appear in errors, saved
// log names and screenshots.
const (
	PurposeLogin  = "login"
	PurposeHome   = "home"
	PurposeRoster = "roster"
	PurposeLogout = "logout"
)

// StepClose is the Purpose of a *BrowserError of Close: closing the
// session's tab or the browser it started failed.
const StepClose = "close"

// BadCredentialsError means RosterOn refused the username and password.
type BadCredentialsError struct {
	Username string
}

func (e *BadCredentialsError) Error() string {
	return "RosterOn rejected the login credentials for username " + pyQuote(e.Username)
}

// Is makes the error match ErrRosterOn and ErrCredentials.
func (e *BadCredentialsError) Is(target error) bool {
	return target == ErrRosterOn || target == ErrCredentials
}

// LoginRefusedError means RosterOn answered a submitted login with its
// login page again, showing a validation message other than the known
// "bad password" one: an account locked or disabled, a password expired,
// the same refusal reworded or in another language. It is a refusal all
// the same: do not retry with the same password.
type LoginRefusedError struct {
	Username string
	// Message is the login page's validation message, its lines joined
	// by spaces.
	Message string
}

func (e *LoginRefusedError) Error() string {
	return "RosterOn refused the login for username " + pyQuote(e.Username) + ": the login page says " + pyQuote(e.Message)
}

// Is makes the error match ErrRosterOn and ErrCredentials.
func (e *LoginRefusedError) Is(target error) bool {
	return target == ErrRosterOn || target == ErrCredentials
}

// BadResponseError means a step got something other than the page it
// expects: an HTTP error, a network failure, a page that is not RosterOn's,
// a page of another origin (ErrOtherOrigin), a page over the size cap
// (browser.ErrPageTooLarge), an unreadable roster, or no answer in time.
// Purpose names the step: login, home, roster or logout. Outage tells
// failures of the network or the server from pages that are not what was
// expected. When the browser failed under a step (Chrome crashed, its tab
// went away) the error is a *BrowserError instead.
type BadResponseError struct {
	Purpose string
	// Status is the HTTP status of the answer, when the step failed
	// because it was an HTTP error; 0 otherwise.
	Status int
	// Reason says what was found instead, for people; it never holds a
	// password or a cookie.
	Reason string
	// Err is the underlying cause, when there is one.
	Err error

	// submitted is set on the home step's error once RosterOn answered
	// the login form's post (see Submitted).
	submitted bool
}

func (e *BadResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "RosterOn returned an unexpected response for an operation expecting %s", pyQuote(e.Purpose))
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		fmt.Fprintf(&b, ": timed out waiting for %s", pyQuote(e.Purpose))
	case e.Reason != "" && e.Err != nil:
		fmt.Fprintf(&b, ": %s: %v", e.Reason, e.Err)
	case e.Reason != "":
		fmt.Fprintf(&b, ": %s", e.Reason)
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *BadResponseError) Unwrap() error { return e.Err }

// Is makes the error match ErrRosterOn.
func (e *BadResponseError) Is(target error) bool { return target == ErrRosterOn }

// Timeout reports whether the step ran out of time.
func (e *BadResponseError) Timeout() bool { return errors.Is(e.Err, context.DeadlineExceeded) }

// BrowserError means the browser, or the session itself, failed: not
// RosterOn. Chrome could not be found (browser.ErrNoChrome) or could not
// start, it crashed or its tab went away (browser.ErrTabGone), a remote
// Chrome's DevTools endpoint refused the connection (browser.ErrUnauthorized,
// a network error) or dropped it, or the session was closed (ErrClosed).
// It matches ErrBrowser, never ErrRosterOn, and wraps the cause, so
// errors.Is and errors.As reach browser's errors through it.
type BrowserError struct {
	// Purpose says what the session was doing: StepBrowser while
	// starting (or connecting to) the browser, a Purpose constant
	// (login, home, roster, logout) during a step, StepClose in Close.
	Purpose string
	// Err is the cause.
	Err error

	// submitted is set on the home step's error once RosterOn answered
	// the login form's post (see Submitted).
	submitted bool
}

// browserDoing says, for people, what the session was doing in each step.
var browserDoing = map[string]string{
	StepBrowser:   "starting",
	PurposeLogin:  "opening the login page",
	PurposeHome:   "logging in",
	PurposeRoster: "reading the roster",
	PurposeLogout: "logging out",
	StepClose:     "closing",
}

func (e *BrowserError) Error() string {
	doing, ok := browserDoing[e.Purpose]
	if !ok {
		doing = pyQuote(e.Purpose)
	}
	var cause string
	switch {
	case e.Err == nil:
	case errors.Is(e.Err, ErrClosed):
		return doing + ": " + e.Err.Error()
	case errors.Is(e.Err, context.DeadlineExceeded):
		cause = ": timed out"
	default:
		cause = ": " + e.Err.Error()
	}
	if e.Purpose == StepBrowser {
		return "the browser could not start" + cause
	}
	return "the browser failed while " + doing + cause
}

// Unwrap returns the cause.
func (e *BrowserError) Unwrap() error { return e.Err }

// Is makes the error match ErrBrowser.
func (e *BrowserError) Is(target error) bool { return target == ErrBrowser }

// Timeout reports whether the browser ran out of time, such as a Chrome
// that did not start within the step's time.
func (e *BrowserError) Timeout() bool { return errors.Is(e.Err, context.DeadlineExceeded) }

// Submitted reports whether err, an error of LogIn, came after RosterOn
// had received the login form: the configured site answered the form's
// post, so the failure may say something about the password. It is
// true for ErrCredentials errors, and for a *BadResponseError of the
// home step once the post was answered (an unexpected page after the
// login, a redirect elsewhere after it), and for a *BrowserError of the
// home step after that answer (Chrome crashed once the post was
// answered; Outage is true for it). It is false for failures before
// the form was sent or while it was on its way: the login page's own
// (PurposeLogin), filling in or preparing the form, a form that a script
// tried to send elsewhere (refused before it left), a post that got no
// answer (an outage), and nil.
func Submitted(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrCredentials) {
		return true
	}
	var bad *BadResponseError
	if errors.As(err, &bad) {
		return bad.submitted
	}
	var be *BrowserError
	return errors.As(err, &be) && be.submitted
}

// markSubmitted marks err, the home step's error, as Submitted when one
// of the step's exchanges, xs, was answered.
func markSubmitted(err error, xs []browser.Exchange) {
	var flag *bool
	var bad *BadResponseError
	var be *BrowserError
	switch {
	case errors.As(err, &bad):
		flag = &bad.submitted
	case errors.As(err, &be):
		flag = &be.submitted
	default:
		return
	}
	for _, x := range xs {
		if x.Status != 0 {
			*flag = true
			return
		}
	}
}

const notLoggedInMessage = "a RosterOn user must successfully log in before a roster can be retrieved"

// NotLoggedInError means the roster was asked for without a RosterOn login:
// the session never logged in, logged out, or RosterOn ended it.
type NotLoggedInError struct {
	// Detail, when set, says why, such as that RosterOn ended a session
	// that had logged in.
	Detail string
}

func (e *NotLoggedInError) Error() string {
	if e.Detail != "" {
		return notLoggedInMessage + " (" + e.Detail + ")"
	}
	return notLoggedInMessage
}

// Is makes the error match ErrRosterOn and ErrNotLoggedIn.
func (e *NotLoggedInError) Is(target error) bool {
	return target == ErrRosterOn || target == ErrNotLoggedIn
}

// pyQuote quotes s as Python's repr quotes a str, so messages read as the
// original library's do.
func pyQuote(s string) string { return pyrepr.Quote(s) }

// Outage reports whether err, an error of a Session's step, is an
// outage rather than an answer: the network failed (refused, reset, cut
// short, too many redirects), the step ran out of time or was
// cancelled, the server answered with an HTTP 5xx status, or the browser
// failed (ErrBrowser: Chrome could not be found or start, crashed, its
// tab went away, its DevTools endpoint refused or dropped the
// connection). It is false for refusals (ErrCredentials), for pages
// RosterOn answered with that are not what was expected (its login page
// again, a 403, a page of another origin, a page over the size cap), for
// a step asked of a closed session (ErrClosed: the program's mistake), and
// for nil. A login that failed with an outage says nothing about the
// password.
func Outage(err error) bool {
	if err == nil || errors.Is(err, ErrCredentials) || errors.Is(err, ErrOtherOrigin) || errors.Is(err, ErrClosed) {
		return false
	}
	var bad *BadResponseError
	if errors.As(err, &bad) && bad.Status >= 500 {
		return true
	}
	var netErr net.Error
	return errors.Is(err, ErrBrowser) ||
		errors.Is(err, browser.ErrPageLoad) ||
		errors.Is(err, browser.ErrTabGone) ||
		errors.Is(err, browser.ErrNoChrome) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.As(err, &netErr)
}
