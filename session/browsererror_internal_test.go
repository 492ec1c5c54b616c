package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
)

// A machine without Chrome: LogIn fails at once with the browser's error,
// which the command line turns into advice on installing one. Chrome's
// absence cannot be staged on a machine that has it (FindChrome also
// looks in fixed places), so browser.Open is made to answer as it does
// there; FindChrome's own ErrNoChrome is tested in the browser package.
func TestNoChromeIsTheBrowsersError(t *testing.T) {
	opened := 0
	openBrowser = func(context.Context, ...browser.Option) (*browser.Browser, error) {
		opened++
		return nil, browser.ErrNoChrome
	}
	t.Cleanup(func() { openBrowser = browser.Open })

	var events []Event
	s, err := New("https://rosteron.example.com/RosterOnProd/Mobile", WithObserver(func(ev Event) { events = append(events, ev) }))
	require.NoError(t, err)
	err = s.LogIn(context.Background(), "joe", "s3cret-Pa55")
	var failed *BrowserError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, StepBrowser, failed.Purpose)
	assert.ErrorIs(t, err, browser.ErrNoChrome)
	assert.ErrorIs(t, err, ErrBrowser)
	assert.NotErrorIs(t, err, ErrRosterOn)
	assert.Equal(t, "the browser could not start: no Chrome, Chromium or Edge found", err.Error())
	assert.True(t, Outage(err))
	assert.False(t, Submitted(err))
	assert.Equal(t, 1, opened)
	// The observer hears the same error for the browser step.
	require.Len(t, events, 2)
	assert.Equal(t, StepFinished, events[1].Kind)
	assert.Equal(t, err, events[1].Err)
	require.NoError(t, s.Close())
}

// A Chrome that could not start, for real: a program that exits at once.
func TestChromeThatCannotStartIsTheBrowsersError(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /bin/sh for a stand-in Chrome")
	}
	fake := filepath.Join(t.TempDir(), "fake-chrome")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'the reason Chrome died' >&2\nexit 3\n"), 0o755))
	s, err := New("https://rosteron.example.com/RosterOnProd/Mobile", WithTimeout(20*time.Second),
		WithBrowserOptions(browser.WithExecPath(fake)))
	require.NoError(t, err)
	err = s.LogIn(context.Background(), "joe", "s3cret-Pa55")
	var failed *BrowserError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, StepBrowser, failed.Purpose)
	assert.ErrorIs(t, err, ErrBrowser)
	assert.NotErrorIs(t, err, ErrRosterOn)
	assert.True(t, strings.HasPrefix(err.Error(), "the browser could not start: starting Chrome "), err.Error())
	assert.Contains(t, err.Error(), "the reason Chrome died")
	assert.NotContains(t, err.Error(), "s3cret-Pa55")
	assert.True(t, Outage(err))
	require.NoError(t, s.Close())
	// Asked again, it says the session is closed.
	err = s.LogIn(context.Background(), "joe", "s3cret-Pa55")
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, err, ErrBrowser)
	assert.True(t, errors.As(err, &failed))
	assert.Equal(t, PurposeLogin, failed.Purpose)
}

// Chrome failing once the login post was answered: Submitted says so, and
// Outage keeps serve from counting it as a refusal.
func TestBrowserErrorAfterTheAnsweredPostIsSubmitted(t *testing.T) {
	err := error(&BrowserError{Purpose: PurposeHome, Err: browser.ErrTabGone})
	markSubmitted(err, []browser.Exchange{{Method: "POST", Status: 0}})
	assert.False(t, Submitted(err), "a post with no answer")
	markSubmitted(err, []browser.Exchange{{Method: "POST", Status: 302}})
	assert.True(t, Submitted(fmt.Errorf("logging in: %w", err)))
	assert.True(t, Outage(err))
}
