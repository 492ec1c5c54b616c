// Package browser drives headless Chrome through chromedp: it launches a
// local Chrome or connects to a remote DevTools endpoint, opens isolated tabs
// (one browser context each, so tabs share no cookies, made ahead with
// WithReadyTabs), navigates, submits forms, fetches pages through a tab's
// own network stack without rendering them (Fetch), reads the final DOM,
// takes screenshots and records every main-frame document request and
// response the tab makes, every request of Fetch's, and the XHR and
// fetch() requests of the page's own scripts (not its static scripts,
// styles or images). A program that
// already drives Chrome with chromedp gives this package its own browser
// with Adopt.
//
// The package reads no configuration from the environment: the program
// using it says which Chrome to use. A Chrome it launches gets only the
// variables Chrome needs (see ChromeEnv), never the program's secrets.
//
// The package moves bytes; it knows nothing of RosterOn.
//
// # Errors
//
// Match them with errors.Is and errors.As. The session package wraps them
// in its own errors, which keep them reachable: those in the first group
// in a *session.BrowserError (session.ErrBrowser: the browser failed),
// those in the second in a *session.BadResponseError (session.ErrRosterOn:
// it is the page, or the server, that was wrong).
//
//	ErrNoChrome       FindChrome, Launch: no Chrome, Chromium or Edge found
//	ErrUnauthorized   Connect: the DevTools endpoint answered 401 or 403; it
//	                  wants a token (WithRemoteToken), or another one
//	ErrPlaintext      Connect: plain ws:// or http:// to a host that is not
//	                  loopback, without WithAllowPlaintext
//	ErrBadToken       Connect: a token that cannot go in an HTTP header
//	ErrTabGone        any tab operation: the tab went away under it, because
//	                  Chrome exited or crashed, the connection to it broke,
//	                  or the tab or browser was closed
//
//	ErrPageLoad       Navigate, Fetch: the request failed on the network; the
//	                  text carries Chrome's reason (net::ERR_CONNECTION_REFUSED)
//	ErrPageTooLarge   a document or fetched body over MaxPageSize
//	(*PageSizeError)  (its loading was stopped)
//	ErrOtherOrigin    a request to an origin AllowOrigins did not list, refused
//	(*OriginError)    before it left Chrome
//
// An error of a Chrome that could not start (Launch: "starting Chrome
// PATH: …") or of a DevTools endpoint that could not be reached (Connect:
// a net.Error) matches no sentinel of its own; session makes it a
// *session.BrowserError all the same. A cancelled or expired context comes
// back as context.Canceled or context.DeadlineExceeded.
package browser
