package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
)

// Classify tells the feed's lock-out guard what an error means: the known
// sentence is a rejected password, any other login-page message a refusal
// with that message, a step after the home page a login that was
// accepted.
func TestClassifyMarks(t *testing.T) {
	t.Parallel()
	bad := fmt.Errorf("logging in: %w", &session.BadCredentialsError{Username: "joe"})
	assert.ErrorIs(t, service.Classify(bad), feed.ErrPermanent)
	assert.NotErrorIs(t, service.Classify(bad), feed.ErrLoginMessage)
	var be *session.BadCredentialsError
	assert.ErrorAs(t, service.Classify(bad), &be)

	locked := fmt.Errorf("logging in: %w", &session.LoginRefusedError{Username: "joe", Message: "Your account has been locked."})
	assert.ErrorIs(t, service.Classify(locked), feed.ErrLoginMessage)
	assert.ErrorIs(t, service.Classify(locked), feed.ErrPermanent, "it stops at once")
	assert.Equal(t, locked.Error(), service.Classify(locked).Error())

	for _, err := range []error{
		&session.BadResponseError{Purpose: session.PurposeRoster, Reason: "got a page that is not RosterOn's"},
		&session.BadResponseError{Purpose: session.PurposeRoster, Status: 503, Reason: "HTTP 503"},
		&session.BadResponseError{Purpose: session.PurposeLogout, Err: context.DeadlineExceeded},
		fmt.Errorf("reading the roster: %w", &session.NotLoggedInError{Detail: "RosterOn ended the session"}),
		// Chrome crashed once the login was accepted.
		&session.BrowserError{Purpose: session.PurposeRoster, Err: browser.ErrTabGone},
		&session.BrowserError{Purpose: session.PurposeLogout, Err: browser.ErrTabGone},
	} {
		got := service.Classify(err)
		assert.ErrorIs(t, got, feed.ErrLoggedIn, "%v", err)
		assert.NotErrorIs(t, got, feed.ErrRefused, "%v", err)
		assert.NotErrorIs(t, got, feed.ErrPermanent, "%v", err)
		assert.ErrorIs(t, got, err)
	}
	for _, err := range []error{
		&session.BadResponseError{Purpose: session.PurposeHome, Reason: "got a page that is not RosterOn's"},
		&session.BadResponseError{Purpose: session.PurposeLogin, Reason: "got a page that is not RosterOn's"},
		errors.New("net::ERR_CONNECTION_REFUSED"),
		// The browser failed before the home page: an outage, which
		// neither counts nor resets the count.
		&session.BrowserError{Purpose: session.StepBrowser, Err: browser.ErrNoChrome},
		&session.BrowserError{Purpose: session.PurposeHome, Err: browser.ErrTabGone},
	} {
		assert.NotErrorIs(t, service.Classify(err), feed.ErrLoggedIn, "%v", err)
		assert.NotErrorIs(t, service.Classify(err), feed.ErrRefused, "%v", err)
	}
}

// Classify marks rejected credentials permanent, and leaves outages as
// they are: they neither count towards the lock-out guard nor reset it.
func TestClassifyLeavesOutages(t *testing.T) {
	t.Parallel()
	// A home step's failure counts only once the form was answered, which
	// only a real login tells (TestServeStopsAfterThreeRefusedLogins in
	// cmd/rosteron); one made here was never submitted: filling in the
	// form failed, say.
	for _, err := range []error{
		&session.BadResponseError{Purpose: session.PurposeHome, Reason: "could not fill in the login form"},
		&session.BadResponseError{Purpose: session.PurposeHome, Status: 503, Reason: "HTTP 503"},
		&session.BadResponseError{Purpose: session.PurposeHome, Err: context.DeadlineExceeded},
		// Not submitted: the login page itself was wrong.
		&session.BadResponseError{Purpose: session.PurposeLogin, Reason: "got a page that is not RosterOn's"},
	} {
		assert.Same(t, err, service.Classify(err), "%v", err)
	}
	outage := errors.New("net::ERR_CONNECTION_REFUSED")
	assert.Same(t, outage, service.Classify(outage))
	assert.NotErrorIs(t, service.Classify(outage), feed.ErrRefused)
	assert.NoError(t, service.Classify(nil))
}
