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
// *BadResponseError and *NotLoggedInError.
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

// ErrClosed is matched by the error of a step asked of a session after
// Close.
var ErrClosed = errors.New("the session is closed")

// The purposes of the steps of a session, as they appear in errors, saved
// log names and screenshots.
const (
	PurposeLogin  = "login"
	PurposeHome   = "home"
	PurposeRoster = "roster"
	PurposeLogout = "logout"
)

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
// a page of another origin (ErrOtherOrigin), an unreadable roster, or no
// answer in time. Purpose names the step: login, home, roster or logout.
// Outage tells failures of the network, the server or Chrome from pages
// that are not what was expected.
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

// Submitted reports whether err, an error of LogIn, came after RosterOn
// had received the login form: the configured site answered the form's
// post, so the failure may say something about the password. It is
// true for ErrCredentials errors, and for a *BadResponseError of the
// home step once the post was answered (an unexpected page after the
// login, a redirect elsewhere after it). It is false for failures before
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
	return errors.As(err, &bad) && bad.submitted
}

// markSubmitted marks err, the home step's error, as Submitted when one
// of the step's exchanges, xs, was answered.
func markSubmitted(err error, xs []browser.Exchange) {
	var bad *BadResponseError
	if !errors.As(err, &bad) {
		return
	}
	for _, x := range xs {
		if x.Status != 0 {
			bad.submitted = true
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

// errBrowser is matched by a browserFailure, for Outage.
var errBrowser = errors.New("the browser failed")

// browserFailure marks a failure to start Chrome or to open the
// session's tab, which reads as the failure itself.
type browserFailure struct{ err error }

func (e browserFailure) Error() string        { return e.err.Error() }
func (e browserFailure) Unwrap() error        { return e.err }
func (e browserFailure) Is(target error) bool { return target == errBrowser }

// Outage reports whether err, an error of a Session's step, is an
// outage rather than an answer: the network failed (refused, reset, cut
// short, too many redirects), the step ran out of time or was
// cancelled, the server answered with an HTTP 5xx status, or Chrome
// failed (it could not start, crashed, or its tab went away). It is
// false for refusals (ErrCredentials), for pages RosterOn answered with
// that are not what was expected (its login page again, a 403, a page of
// another origin), and for nil. A login that failed with an outage says
// nothing about the password.
func Outage(err error) bool {
	if err == nil || errors.Is(err, ErrCredentials) || errors.Is(err, ErrOtherOrigin) {
		return false
	}
	var bad *BadResponseError
	if errors.As(err, &bad) && bad.Status >= 500 {
		return true
	}
	var netErr net.Error
	return errors.Is(err, browser.ErrPageLoad) ||
		errors.Is(err, browser.ErrTabGone) ||
		errors.Is(err, browser.ErrNoChrome) ||
		errors.Is(err, errBrowser) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.As(err, &netErr)
}
