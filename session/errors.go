package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/pyrepr"
)

// ErrRosterOn is matched, through errors.Is, by every error that means
// RosterOn itself did not do what was asked: *BadCredentialsError,
// *BadResponseError and *NotLoggedInError.
var ErrRosterOn = errors.New("RosterOn error")

// ErrNotLoggedIn is matched by *NotLoggedInError.
var ErrNotLoggedIn = errors.New(notLoggedInMessage)

// ErrInvalidURL is matched by the error New returns for a base URL that is
// not an absolute http or https URL.
var ErrInvalidURL = errors.New("invalid RosterOn URL")

// ErrPlaintext is matched, with ErrInvalidURL, by the error New returns
// for a plain http:// URL to a host that is not loopback (see
// WithAllowHTTP).
var ErrPlaintext = netguard.ErrPlaintext

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

// Is makes the error match ErrRosterOn.
func (e *BadCredentialsError) Is(target error) bool { return target == ErrRosterOn }

// BadResponseError means a step got something other than the page it
// expects: an HTTP error, a network failure, a page that is not RosterOn's,
// a validation message other than bad credentials, an unreadable roster, or
// no answer in time. Purpose names the step: login, home, roster or logout.
type BadResponseError struct {
	Purpose string
	// Reason says what was found instead, for people; it never holds a
	// password or a cookie.
	Reason string
	// Err is the underlying cause, when there is one.
	Err error
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
