package session

import "github.com/rosteron/rosteron/browser"

// BrowserOf exposes the session's browser to the tests that check Close
// frees it.
func BrowserOf(s *Session) *browser.Browser { return s.browser }

// ObservedURL exposes what an observer is shown of a URL.
var ObservedURL = observedURL

// Options only tests use.
var (
	WithFormWait     = withFormWait
	WithAllResources = withAllResources
)

// TabOf exposes the session's tab to the tests that check what it shows.
func TabOf(s *Session) *browser.Tab { return s.tab }
