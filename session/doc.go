// Package session logs in to a RosterOn Mobile instance in headless Chrome,
// reads the roster as a snapshot, logs out, and keeps a record of every
// request and response for the saved logs.
//
// A Session is the Go form of python-rosteron's Session: New, then LogIn,
// GetRoster, LogOut, and Close, which logs out and frees the browser whatever
// happened before, so
//
//	s, err := session.New(url)
//	if err != nil { … }
//	defer s.Close()
//
// plays the part of Python's with block. Return errors from the function
// holding that defer rather than calling log.Fatal or os.Exit after it:
// those end the program without running Close, and so without logging
// out. The package knows RosterOn's pages; the browser package knows
// Chrome.
//
// # Render modes
//
// WithRender chooses which pages Chrome renders. RenderAuto, the default,
// renders the login page and fetches the home page, the roster and the
// logoff with fetch() in the tab, reading them as sent: Chrome's own
// speed. A roster page with no shifts (no list, or an empty one, which a
// script may yet build or fill) is then rendered from the bytes already
// fetched and read once its scripts have settled (no request under way,
// no DOM change for 150 ms, 2 s at most). A page without RosterOn's page
// element (as when a script builds that too) is not rendered: the step
// fails with a *BadResponseError whose Reason suggests RenderAlways. RenderAlways navigates to every page as a
// person's browser does (document requests and their headers, every
// script run) and reads the roster once its scripts have settled; it
// costs a few hundred milliseconds a session (see docs/speed.md). Both
// modes block the same resources (styles, images, fonts, media), which
// build no DOM.
//
// The page's own XHR and fetch() requests, on any page the tab renders,
// are recorded with the documents and saved with them (SaveLogs); its
// static scripts, styles and images are not. Screenshots (WithScreenshots)
// follow the path that ran, and change neither it nor its requests: a
// page the tab rendered is photographed as it shows it, a page read as
// sent is rendered from the very bytes read, from memory, with its
// scripts off, in a tab of its own.
//
// # The login page's scripts
//
// With RenderAuto (the default, see WithRender) LogIn loads a login page
// that holds its form as it was sent with the page's scripts off, as
// python-rosteron posts it: none of them is fetched, compiled or run,
// which takes about 40% off the processor time of a session on pages
// that load jQuery Mobile (docs/speed.md). A login page whose
// form a script builds is rendered with its scripts. As a script could
// set a field that RosterOn wants, a login refused with RosterOn's bad
// password message after a page loaded without scripts is tried once
// more with them before LogIn returns the refusal: a wrong password
// costs RosterOn two login attempts, not one, and LogIn still returns
// one error, Submitted like any refusal. Any other message (an account
// locked, say) is RosterOn's last word and never posted again. When the
// second attempt gets no answer on the credentials (an outage, say), the
// first refusal stands and the second attempt's failure is a warning
// (WithWarnings); when it logs in, a warning says the instance needs
// RenderAlways. Both attempts are in the logs, with the password
// scrubbed from every recorded URL, header and body.
// RenderAlways runs the login page's scripts and posts once.
//
// # Errors
//
// Every error is matched with errors.Is or errors.As, never by its text,
// and none holds a password or a cookie. An error names its culprit:
// RosterOn (ErrRosterOn), or the browser and the session itself
// (ErrBrowser); no error matches both. The rosteron command's exit status
// for each is in the last column.
//
//	error                   sentinel        means                                        exit
//	*BadCredentialsError    ErrCredentials  RosterOn refused the username and password      3
//	                        ErrRosterOn     with its known message
//	*LoginRefusedError      ErrCredentials  RosterOn's login page came back after the       3
//	                        ErrRosterOn     submit with any other message (an account
//	                                        locked, say): do not retry the password
//	*BadResponseError       ErrRosterOn     a step got something other than the page it     4
//	                                        expects: an HTTP or network error, no answer
//	                                        in time (Timeout), a page that is not
//	                                        RosterOn's or cannot be read, a page over the
//	                                        size cap (browser.ErrPageTooLarge), a page or
//	                                        request of another origin (ErrOtherOrigin)
//	*NotLoggedInError       ErrNotLoggedIn  the roster was asked for without a login, or    5
//	                        ErrRosterOn     RosterOn ended the session
//	*BrowserError           ErrBrowser      the browser failed: Chrome could not start      6
//	                                        or crashed, its tab went away
//	                                        (browser.ErrTabGone), a remote Chrome's
//	                                        DevTools refused or dropped the connection
//	  … wrapping            ErrBrowser      no Chrome, Chromium or Edge found               1
//	    browser.ErrNoChrome
//	  … wrapping            ErrBrowser      the remote Chrome wants another token, or its   2
//	    browser.ErrUnauthorized,            ws:// address crosses the network in clear
//	    browser.ErrPlaintext
//	  … wrapping ErrClosed  ErrBrowser      a step was asked of a session after Close       6
//	(New's error)           ErrInvalidURL   the URL is not absolute http or https, or       2
//	                        ErrPlaintext    plain http:// to another machine
//
// A page over the size cap is RosterOn's: the browser did as it was told
// and stopped reading, and what has to change is the page RosterOn sends
// (or the cap, WithMaxPageSize). A timeout is the step's, and RosterOn's,
// unless the browser was what the step waited for (a Chrome slow to
// start: a *BrowserError whose Timeout is true).
//
// Outage tells an outage (the network, a timeout, a 5xx, the browser)
// from an answer; Submitted tells whether a failed LogIn came after
// RosterOn answered the login form. Warnings, which fail nothing (a
// screenshot that could not be saved), go to WithWarnings.
package session
