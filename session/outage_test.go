package session_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// Outage tells a failure of the network, the server or Chrome from an
// answer: serve counts logins that were answered but did not reach the
// home page, and an outage must never count.
func TestOutageOnRealFailures(t *testing.T) {
	closed := httptest.NewServer(nil)
	closed.Close()
	tests := []struct {
		name    string
		url     func(t *testing.T) string
		purpose string
		status  int
		outage  bool
	}{
		{"server gone", func(t *testing.T) string { return closed.URL + "/Mobile" }, session.PurposeLogin, 0, true},
		{"503 for the login page", func(t *testing.T) string {
			return newMock(t, mockserver.WithFault(mockserver.FaultUnavailable)).url
		}, session.PurposeLogin, 503, true},
		{"500 for the login post", func(t *testing.T) string {
			return newMock(t, mockserver.WithStepFault(mockserver.StepHome, mockserver.FaultServerError)).url
		}, session.PurposeHome, 500, true},
		{"connection reset at the login post", func(t *testing.T) string {
			return newMock(t, mockserver.WithStepFault(mockserver.StepHome, mockserver.FaultReset)).url
		}, session.PurposeHome, 0, true},
		{"a proxy's 403 page for the login post", func(t *testing.T) string {
			return newMock(t, mockserver.WithStepFault(mockserver.StepHome, mockserver.FaultProxy403)).url
		}, session.PurposeHome, 403, false},
		{"a proxy's 403 page for the login page", func(t *testing.T) string {
			return newMock(t, mockserver.WithFault(mockserver.FaultProxy403)).url
		}, session.PurposeLogin, 403, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, tt.url(t))
			err := s.LogIn(ctxT(t), mockserver.DemoUsername, mockserver.DemoPassword)
			var bad *session.BadResponseError
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, tt.purpose, bad.Purpose)
			assert.Equal(t, tt.status, bad.Status)
			assert.Equal(t, tt.outage, session.Outage(err), "%v", err)
		})
	}
}

func TestOutageOfErrorsAsBuilt(t *testing.T) {
	assert.False(t, session.Outage(nil))
	assert.False(t, session.Outage(&session.BadCredentialsError{Username: "joe"}))
	assert.False(t, session.Outage(&session.LoginRefusedError{Username: "joe", Message: "locked"}))
	assert.False(t, session.Outage(&session.NotLoggedInError{}))
	assert.False(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeHome, Reason: "got a page with id 'x'"}))
	assert.False(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeHome, Status: 404}))
	assert.False(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeHome, Err: &browser.OriginError{URL: "http://b/", Method: "POST"}}))
	assert.True(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeHome, Status: 502}))
	assert.True(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeHome, Err: context.DeadlineExceeded}))
	assert.True(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeLogin, Err: browser.ErrNoChrome}))
	assert.True(t, session.Outage(&session.BadResponseError{Purpose: session.PurposeRoster, Err: browser.ErrTabGone}))
	assert.True(t, session.Outage(errors.Join(errors.New("x"), browser.ErrPageLoad)))
}

// The browser's failures are outages; a closed session is not.
func TestOutageOfBrowserErrors(t *testing.T) {
	assert.True(t, session.Outage(&session.BrowserError{Purpose: session.StepBrowser, Err: browser.ErrNoChrome}))
	assert.True(t, session.Outage(&session.BrowserError{Purpose: session.StepBrowser, Err: errors.New("starting Chrome: exit status 1")}),
		"a Chrome that could not start, whatever it said")
	assert.True(t, session.Outage(&session.BrowserError{Purpose: session.PurposeHome, Err: browser.ErrTabGone}))
	assert.False(t, session.Outage(&session.BrowserError{Purpose: session.PurposeRoster, Err: session.ErrClosed}))
	assert.False(t, session.Outage(session.ErrClosed))
	assert.False(t, session.Submitted(&session.BrowserError{Purpose: session.PurposeHome, Err: browser.ErrTabGone}),
		"built by hand, nothing was answered")
}
