package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/snapshot"
)

// AuthCookie is the cookie whose presence means a RosterOn login.
const AuthCookie = ".ASPXAUTH"

// DefaultMaxPageSize caps the size of each page a session reads when no
// WithMaxPageSize is given: 16 MiB, hundreds of times a real roster
// page. A 40 MB page took 0.9 GB across Chrome's processes.
const DefaultMaxPageSize = 16 << 20

// DefaultTimeout bounds each step when no WithTimeout is given.
const DefaultTimeout = 60 * time.Second

// badCredentialsMessage is the validation message that means the
// username or password is wrong; any other is a refusal too (an account
// locked, say: LoginRefusedError), never to be retried blindly.
const badCredentialsMessage = "Logon failure: unknown user name or bad password."

// Session is one person's visit to a RosterOn instance, in its own browser
// context. Its methods are safe to call from several goroutines, but they
// run one at a time.
type Session struct {
	base string // without a trailing slash
	// site is base as the login page came from: base, or base upgraded
	// from http to https on the same host (see upgraded). The steps
	// after the login page, and the cookie check, use it.
	site string

	timeout        time.Duration
	maxPageSize    int64
	formWait       time.Duration
	screenshotsDir string
	render         Render
	loadAll        bool
	allowHTTP      bool
	limiter        *Limiter
	holdsSlot      bool
	browserOpts    []browser.Option
	observer       func(Event) // see observe.go
	warnings       func(error) // see warn.go
	tabOpts        []browser.TabOption

	mu       sync.Mutex
	browser  *browser.Browser
	owned    bool // the session launched browser and closes it
	tab      *browser.Tab
	username string
	// secret is the password LogIn was given, kept to scrub it from
	// what the session records (scrubSecret): a page's script may have
	// put it in a request of its own to the site.
	secret   string
	loggedIn bool // a login succeeded and no logout has happened since
	ops      []operation
	closed   bool
	closeErr error
	// unshown is the page the current step loaded without rendering
	// it, which a screenshot renders from memory; nil when the tab
	// shows the step's page.
	unshown *browser.Document
}

// operation is one step's recorded exchanges.
type operation struct {
	purpose   string
	start     time.Time
	exchanges []browser.Exchange
}

// Option configures a Session.
type Option func(*Session)

// WithBrowser makes the session open its tab in b, which the caller owns
// and closes: a browser of this package's own (browser.Open, Launch,
// Connect) or a chromedp one (browser.Adopt). Without it the session opens
// its own browser on first use, as WithBrowserOptions say, and closes it in
// Close.
func WithBrowser(b *browser.Browser) Option { return func(s *Session) { s.browser = b } }

// WithBrowserOptions passes options to the browser the session opens for
// itself (browser.Open's: WithRemote for a running Chrome, WithExecPath for
// the binary to launch); they are ignored with WithBrowser. Without them it
// launches the Chrome browser.FindChrome finds.
func WithBrowserOptions(opts ...browser.Option) Option {
	return func(s *Session) { s.browserOpts = append(s.browserOpts, opts...) }
}

// WithTimeout bounds each step (log in, roster, log out); the caller's
// context can bound it further. Zero means DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(s *Session) { s.timeout = d } }

// WithMaxPageSize caps the size of each page the session reads (the
// login page, the home page, the roster, the logout page) at n bytes; a
// larger one is stopped as soon as that is known, and its step fails with
// a *BadResponseError matching browser.ErrPageTooLarge. Zero or less
// means DefaultMaxPageSize.
func WithMaxPageSize(n int64) Option { return func(s *Session) { s.maxPageSize = n } }

// withFormWait bounds how long LogIn waits for a login form that a script
// builds after the page loads. Zero means 10 seconds. Tests shorten it.
func withFormWait(d time.Duration) Option { return func(s *Session) { s.formWait = d } }

// WithScreenshots makes the session save a PNG of the page after each step
// and after any failure, in dir (created 0700), named like the log files.
// The picture is of the page the step read, as it read it: a page the tab
// rendered as the tab shows it, and a page fetched and read as sent (see
// RenderAuto) rendered from the very bytes read, in a tab of its own,
// with its scripts off and the same resources blocked. Screenshots change
// neither the path a session takes nor the requests it makes.
func WithScreenshots(dir string) Option { return func(s *Session) { s.screenshotsDir = dir } }

// withAllResources makes the session's tab load images, fonts, styles and
// media, which it otherwise blocks, in every render mode and with or
// without screenshots. Tests use it to see the blocking at work.
func withAllResources() Option { return func(s *Session) { s.loadAll = true } }

// WithAllowHTTP lets New accept a plain http:// URL to a host that is not
// this machine's loopback. The password then crosses the network in
// clear, readable by anyone on the way: it is for test instances on a
// private network, never for a real one.
func WithAllowHTTP() Option { return func(s *Session) { s.allowHTTP = true } }

// New returns a session for the RosterOn Mobile instance at baseURL:
// everything before /Account/Login, such as
// https://rosteron.example.com.au/RosterOnProd/Mobile. It makes no request.
// A plain http:// URL is refused, with an error matching ErrInvalidURL
// and ErrPlaintext, unless its host is loopback written as such
// (localhost, 127.0.0.0/8, [::1]) or WithAllowHTTP is given.
func New(baseURL string, opts ...Option) (*Session, error) {
	base, err := NormalizeURL(baseURL)
	if err != nil {
		return nil, err
	}
	s := &Session{base: base, site: base, timeout: DefaultTimeout, formWait: 10 * time.Second}
	for _, o := range opts {
		o(s)
	}
	if !s.allowHTTP {
		u, _ := url.Parse(base)
		if err := netguard.CheckURL(u, "the RosterOn URL"); err != nil {
			return nil, fmt.Errorf("%w: %w; use its https:// address (or, for a test instance, WithAllowHTTP)", ErrInvalidURL, err)
		}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxPageSize <= 0 {
		s.maxPageSize = DefaultMaxPageSize
	}
	if s.formWait <= 0 {
		s.formWait = 10 * time.Second
	}
	if s.browser == nil {
		s.owned = true
	}
	return s, nil
}

// NormalizeURL checks that raw is an absolute http or https URL and returns
// it without a trailing slash or a trailing /Account/Login, which people
// often paste.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidURL, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w %q: want an absolute http:// or https:// URL, such as https://rosteron.example.com/RosterOnProd/Mobile", ErrInvalidURL, raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w %q: credentials do not belong in the URL", ErrInvalidURL, u.Redacted())
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(strings.ToLower(p), "/account/login") {
		p = p[:len(p)-len("/account/login")]
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}

// BaseURL is the instance's base URL as the session uses it.
func (s *Session) BaseURL() string { return s.base }

func (s *Session) url(path string) string { return s.site + path }

// stepContext bounds one step by the session's timeout.
func (s *Session) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// openBrowser is browser.Open; a test makes it fail as no Chrome would.
var openBrowser = browser.Open

// ensureTab starts the browser (unless one was given) and opens the
// session's tab. Its failures are the browser's, or the session's
// (ErrClosed): *BrowserError.
func (s *Session) ensureTab(ctx context.Context, purpose string) error {
	if s.closed {
		return &BrowserError{Purpose: purpose, Err: ErrClosed}
	}
	if s.tab != nil {
		if !s.tab.Alive() {
			return &BrowserError{Purpose: purpose, Err: fmt.Errorf("%w (did Chrome exit?)", browser.ErrTabGone)}
		}
		return nil
	}
	if !s.holdsSlot {
		if err := s.limiter.acquire(ctx); err != nil {
			return err
		}
		s.holdsSlot = true
	}
	if s.browser == nil {
		done := s.observeStep(StepBrowser)
		b, err := openBrowser(ctx, s.browserOpts...)
		if err != nil {
			err = &BrowserError{Purpose: StepBrowser, Err: err}
		}
		done(err)
		if err != nil {
			return err
		}
		s.browser = b
	}
	var tabOpts []browser.TabOption
	if !s.loadAll {
		// A roster needs the DOM and the scripts that build it, never
		// images, fonts or styles; not loading them saves time and
		// memory. This holds in every render mode (a stylesheet
		// builds no list) and with screenshots too: a picture shows
		// the page the session read, not a fuller one.
		tabOpts = append(tabOpts, browser.Block(browser.Stylesheet, browser.Image, browser.Font, browser.Media))
	}
	// The password goes only where it was given for: the tab refuses
	// any request that could carry the form to another origin.
	tabOpts = append(tabOpts, browser.AllowOrigins(allowedOrigins(s.base)...), browser.MaxPageSize(s.maxPageSize))
	s.tabOpts = tabOpts
	newTab := s.browser.NewTab
	if s.owned {
		// Nobody else uses this browser: its own first tab saves
		// creating a browser context and a renderer.
		newTab = s.browser.FirstTab
	}
	tab, err := newTab(ctx, tabOpts...)
	if err != nil {
		return &BrowserError{Purpose: purpose, Err: fmt.Errorf("opening a tab: %w", err)}
	}
	s.tab = tab
	return nil
}

// record runs one step's navigation work, files the exchanges it made
// under purpose, and takes the step's screenshot, stamped with the same
// time as the step's log files.
func (s *Session) record(purpose string, fn func() error) error {
	done := s.observeStep(purpose)
	s.unshown = nil
	before := s.tab.ExchangeCount()
	refusedBefore := len(s.tab.Refused())
	started := time.Now()
	err := s.blame(purpose, fn())
	for _, oe := range s.tab.Refused()[refusedBefore:] {
		if oe.Fatal {
			// Whatever else went wrong, it went wrong because a
			// request was on its way to another site. Other refusals
			// (an image or a beacon elsewhere) fail nothing.
			err = s.otherOrigin(purpose, oe)
			// A navigation the page started alongside (its form's own
			// post, say) must not race the next step, the logout.
			_ = s.stopPage()
			break
		}
	}
	xs := scrubSecret(s.tab.ExchangesSince(before), s.secret)
	if purpose == PurposeHome {
		markSubmitted(err, xs)
	}
	if len(xs) > 0 {
		started = xs[0].Start
	}
	s.ops = append(s.ops, operation{purpose: purpose, start: started, exchanges: xs})
	s.observeRequests(purpose, xs)
	s.screenshot(purpose, started, err)
	done(err)
	return err
}

// blame gives a step's error to the browser when the browser failed under
// the step: an operation that found the tab gone (Chrome exited or
// crashed, or the connection to it broke) failed because of Chrome,
// whatever the step was reading, and so did an operation that failed once
// the tab was no longer alive. Other errors are returned as they are.
func (s *Session) blame(purpose string, err error) error {
	var bad *BadResponseError
	if !errors.As(err, &bad) || bad.Err == nil {
		return err
	}
	cause := bad.Err
	switch {
	case errors.Is(cause, browser.ErrTabGone):
	case !s.tab.Alive():
		cause = fmt.Errorf("%w (did Chrome exit?): %w", browser.ErrTabGone, cause)
	default:
		return err
	}
	if bad.Reason != "" {
		cause = fmt.Errorf("%s: %w", bad.Reason, cause)
	}
	return &BrowserError{Purpose: purpose, Err: cause}
}

// stopPage stops the tab's page loading, within a short bound.
func (s *Session) stopPage() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.tab.Stop(ctx)
}

// LogIn opens the login page, waits for its form (which a script may build
// after load), fills in the username and password, submits the form with a
// click and decides from the page it lands on. It returns
// *BadCredentialsError when RosterOn refuses the credentials with its
// known message, *LoginRefusedError when its login page comes back with
// any other message (both match ErrCredentials), and *BadResponseError
// for anything else unexpected. A login page at another origin than the
// configured one (scheme, host and port; http upgraded to https on the
// same host excepted) is never typed into, and a form that would be sent
// to another origin is stopped before it leaves: both are
// *BadResponseError matching ErrOtherOrigin.
//
// With RenderAuto (the default), a login page that holds its form as
// sent is loaded with scripts off, as python-rosteron posts it: none of
// its scripts is fetched, compiled or run, and the form is posted as
// Chrome posts a form. Only a page whose form a script builds is loaded
// with its scripts. As a page's scripts may set a field the login needs,
// without which RosterOn says the password is wrong, a login refused
// with that message (*BadCredentialsError) after a page loaded without
// them is tried once more, with them, before it counts as refused: a
// wrong password costs RosterOn two login attempts, not one. Any other
// refusal is never posted again. A second attempt that logs in is a
// warning (WithWarnings) that the instance needs RenderAlways. Both
// attempts are in the logs. With RenderAlways, the login page always
// runs its scripts and a refusal is never retried.
func (s *Session) LogIn(ctx context.Context, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := s.stepContext(ctx)
	defer cancel()
	if err := s.ensureTab(ctx, PurposeLogin); err != nil {
		return s.stepError(PurposeLogin, err)
	}
	s.username = username
	s.secret = password

	scripts := s.render == RenderAlways
	ran, err := s.logIn(ctx, username, password, scripts)
	retried := false
	var wrong *BadCredentialsError
	if !ran && errors.As(err, &wrong) && ctx.Err() == nil {
		// The page's scripts did not run: one may set a field that
		// RosterOn wants, and without it RosterOn says the password is
		// wrong. Once more with them, then the refusal counts. Any
		// other refusal (an account locked, a password expired) is
		// RosterOn's last word: posting again could only make it worse.
		refused := err
		retried = true
		if err = s.scriptsOn(ctx); err == nil {
			_, err = s.logIn(ctx, username, password, true)
		}
		switch {
		case err == nil:
			s.warn(errors.New("RosterOn refused the login posted without the login page's scripts and accepted it with them: this instance needs them, and every login costs it a refused attempt first; render with scripts from the start with --render always (session.WithRender(session.RenderAlways))"))
		case errors.Is(err, ErrCredentials), errors.Is(err, ErrOtherOrigin):
			// RosterOn's answer to the second post, or a request that
			// would have carried the password elsewhere: either is
			// the login's outcome.
		default:
			// The retry got no answer on the credentials (an outage,
			// say): RosterOn's refusal of the first post stands, so
			// that nobody tries the password again as if nothing had
			// been said about it.
			s.warn(fmt.Errorf("RosterOn refused the login posted without the login page's scripts, and trying it once more with them failed, so the refusal stands: %w", err))
			err = refused
		}
	}
	if !scripts && !retried {
		// The later pages a session renders (a roster its scripts
		// fill, RenderAlways's) need their scripts.
		if serr := s.scriptsOn(ctx); serr != nil && err == nil {
			err = serr
		}
	}
	if err == nil {
		s.loggedIn = true
	}
	return err
}

// logIn is one attempt at logging in: the login page and its form's
// post, each a step of its own in the logs. With scripts false, the login
// page is loaded with scripts off, and ran reports whether they were
// turned on after all, for a form a script builds.
func (s *Session) logIn(ctx context.Context, username, password string, scripts bool) (ran bool, err error) {
	ran = scripts
	err = s.record(PurposeLogin, func() error {
		var err error
		ran, err = s.openLoginForm(ctx, scripts)
		return err
	})
	if err != nil {
		return ran, err
	}
	return ran, s.record(PurposeHome, func() error { return s.submitLogin(ctx, username, password) })
}

// scriptsOn turns the tab's scripts back on after a login that may have
// turned them off, within a short bound of its own: a LogIn that ran out
// of time must not leave a tab whose later renders run no script.
func (s *Session) scriptsOn(ctx context.Context) error {
	if s.tab == nil || !s.tab.Alive() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.tab.SetScripts(ctx, true); err != nil {
		return &BrowserError{Purpose: PurposeHome, Err: fmt.Errorf("turning the page's scripts back on: %w", err)}
	}
	return nil
}

// stepError turns a failure to reach the point of making a request into
// the step's error, keeping context deadlines recognisable. The
// browser's failures (ErrBrowser) stay the browser's.
func (s *Session) stepError(purpose string, err error) error {
	if errors.Is(err, ErrRosterOn) || errors.Is(err, ErrBrowser) {
		return err
	}
	return &BadResponseError{Purpose: purpose, Err: err}
}

// openLoginForm loads the login page and leaves it ready to be filled
// in. With scripts false it loads it with the tab's scripts off and, when
// the page as sent holds a form that posts without them (see
// loginFormSendable), leaves it so: ran is false. Otherwise the page is
// loaded again with its scripts (see renderWithScripts), and its form
// waited for, as with scripts true: ran is true.
func (s *Session) openLoginForm(ctx context.Context, scripts bool) (ran bool, err error) {
	if !scripts {
		if err := s.tab.SetScripts(ctx, false); err != nil {
			return false, browserFault(PurposeLogin, err)
		}
	}
	doc, err := s.get(ctx, s.url("/Account/Login"), s.navigate)
	if err != nil {
		return scripts, &BadResponseError{Purpose: PurposeLogin, Err: err}
	}
	if !originAllowed(s.base, doc.URL) {
		return scripts, &BadResponseError{Purpose: PurposeLogin, Err: fmt.Errorf("%w: the login page came from %s, not from %s as configured; nothing was typed into it",
			ErrOtherOrigin, hostOf(doc.URL), hostOf(s.base))}
	}
	// The later steps go where the login page came from, which may be
	// the configured host upgraded to https: its cookies may be Secure.
	s.site = siteOf(s.base, doc.URL)
	if doc.Status != http.StatusOK {
		return scripts, statusError(PurposeLogin, doc)
	}
	// Decide at once when the page is plainly something else; otherwise
	// give a script time to build the form.
	state, err := browser.Eval[loginState](ctx, s.tab, loginStateScript)
	if err != nil {
		return scripts, &BadResponseError{Purpose: PurposeLogin, Err: err}
	}
	info := inspect(state.HTML)
	if info.ID != "" && info.ID != "account-login" {
		return scripts, &BadResponseError{Purpose: PurposeLogin, Reason: "got " + info.describe()}
	}
	if !scripts {
		if state.Sendable {
			return false, nil
		}
		// The form is not in the page as sent: its scripts build it.
		if err := s.renderWithScripts(ctx, doc); err != nil {
			return true, browserFault(PurposeLogin, err)
		}
		if state, err = browser.Eval[loginState](ctx, s.tab, loginStateScript); err != nil {
			return true, &BadResponseError{Purpose: PurposeLogin, Err: err}
		}
		info = inspect(state.HTML)
	}
	if state.Ready {
		return true, nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.formWait)
	defer cancel()
	err = s.tab.WaitFor(wctx, loginFormReady, 20*time.Millisecond)
	if err != nil {
		if ctx.Err() != nil {
			return true, &BadResponseError{Purpose: PurposeLogin, Err: ctx.Err()}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return true, &BadResponseError{Purpose: PurposeLogin, Reason: fmt.Sprintf("no login form appeared within %v on %s", s.formWait, info.describe())}
		}
		return true, &BadResponseError{Purpose: PurposeLogin, Err: err}
	}
	return true, nil
}

// renderWithScripts turns the tab's scripts on and loads the login page
// doc again, with them. It is loaded again, not rendered from the body
// already received: a document answered from memory has no address on
// the network to Chrome, which then refuses its form's post to a host
// on a private network (as Chrome's checks on local network access
// refuse a public page's), and a RosterOn inside a hospital's network is
// just such a host. So a login form that a script builds costs one more
// GET of the login page.
func (s *Session) renderWithScripts(ctx context.Context, doc *browser.Document) error {
	if err := s.tab.SetScripts(ctx, true); err != nil {
		return &BrowserError{Purpose: PurposeLogin, Err: fmt.Errorf("turning the page's scripts on: %w", err)}
	}
	again, err := s.get(ctx, doc.URL, s.navigate)
	if err != nil {
		return &BadResponseError{Purpose: PurposeLogin, Err: err}
	}
	if again.URL != doc.URL || again.Status != doc.Status {
		return &BadResponseError{Purpose: PurposeLogin, Reason: fmt.Sprintf("loading the login page again with its scripts gave HTTP %d from %s", again.Status, again.URL)}
	}
	return nil
}

// keepFormInTab makes the login form post in the tab, where the tab's
// interception sees it: a form, button or base element's target could
// send it from a new window (a popup is a target of its own, which the
// tab does not intercept), and so could window.open.
const keepFormInTab = `(() => {
	for (const el of document.querySelectorAll('form[target], base[target], [formtarget]')) {
		el.removeAttribute('target');
		el.removeAttribute('formtarget');
	}
	window.open = () => null;
	return true;
})()`

// loginFormReady is true once the page has the login form's fields.
const loginFormReady = `!!(document.querySelector('input[name="UserName"]') && document.querySelector('input[name="Password"]'))`

// loginButton is the login form's submit button, which submitLogin
// clicks.
const loginButton = `#loginButton, form input[type="submit"], form button[type="submit"]`

// loginFormSendable is true when the page holds a login form that Chrome
// posts by itself, scripts or none: the UserName and Password fields in
// one form, and the button submitLogin clicks a submit button of that
// form.
const loginFormSendable = `(() => {
	const u = document.querySelector('input[name="UserName"]'), p = document.querySelector('input[name="Password"]');
	const b = document.querySelector(` + "'" + loginButton + "'" + `);
	return !!(u && p && u.form && u.form === p.form && b && b.form === u.form && b.type === 'submit');
})()`

// loginState is the login page as its scripts have left it (or as it
// was sent, with scripts off), whether its form is there yet, and whether
// it posts without scripts, read in one round trip. The HTML is only
// inspected, which needs no doctype.
type loginState struct {
	HTML     string `json:"html"`
	Ready    bool   `json:"ready"`
	Sendable bool   `json:"sendable"`
}

const loginStateScript = `({html: document.documentElement.outerHTML, ready: ` + loginFormReady + `, sendable: ` + loginFormSendable + `})`

// navigate loads a page as a person's browser does, rendering it.
func (s *Session) navigate(ctx context.Context, url string) (*browser.Document, error) {
	resp, err := s.tab.Navigate(ctx, url)
	if err != nil {
		return nil, err
	}
	return &browser.Document{Response: *resp, Rendered: true}, nil
}

// load gets one of the pages after the login page (home, roster,
// logout) as the render mode says. RenderAlways navigates to it (see
// navigate). RenderAuto gets it through the tab's own network stack and
// cookies with Tab.Fetch, recorded exactly as a navigation is, but not
// rendered, so that no script of it runs and nothing is laid out; the
// step's screenshot, if any, renders it from memory (see unshown).
func (s *Session) load(ctx context.Context, url string) (*browser.Document, error) {
	if s.render == RenderAlways {
		return s.navigate(ctx, url)
	}
	doc, err := s.tab.Fetch(ctx, url)
	s.loaded(doc)
	return doc, err
}

// loaded notes whether the tab shows doc, the step's latest page.
func (s *Session) loaded(doc *browser.Document) {
	s.unshown = nil
	if doc != nil && !doc.Rendered {
		s.unshown = doc
	}
}

// page returns what the session reads of a document: the page as scripts
// left it when the tab rendered it, and else the body as sent. In
// RenderAlways, a rendered page without a page element (see inspect) may
// be one that its scripts are still building: it is read again once they
// have settled (see settle).
func (s *Session) page(ctx context.Context, doc *browser.Document) (string, error) {
	if !doc.Rendered {
		return string(doc.Body), nil
	}
	page, err := s.tab.HTML(ctx)
	if err != nil || s.render != RenderAlways || inspect(page).ID != "" {
		return page, err
	}
	if err := s.settle(ctx, ""); err != nil {
		return "", err
	}
	return s.tab.HTML(ctx)
}

// submit clicks the login form's button. The form posts as a person's
// browser posts it. In RenderAlways the click's navigation follows the
// redirect to the home page, rendering it; in RenderAuto the navigation
// stops at the redirect and the home page is loaded without rendering
// (see load).
func (s *Session) submit(ctx context.Context, selector string) (*browser.Document, error) {
	if s.render == RenderAlways {
		resp, err := s.tab.Click(ctx, selector)
		if err != nil {
			return nil, err
		}
		return &browser.Document{Response: *resp, Rendered: true}, nil
	}
	doc, err := s.tab.Submit(ctx, selector)
	if err != nil || doc.Location == "" {
		s.loaded(doc)
		return doc, err
	}
	return s.load(ctx, doc.Location)
}

func (s *Session) submitLogin(ctx context.Context, username, password string) error {
	// From the first keystroke, a request elsewhere that carries the
	// password (or a new window elsewhere) fails the step, not only a
	// navigation; it is refused either way.
	s.tab.GuardSecret(password)
	defer s.tab.GuardSecret("")
	err := s.tab.Fill(ctx,
		browser.Field{Selector: `input[name="UserName"]`, Value: username},
		browser.Field{Selector: `input[name="Password"]`, Value: password},
	)
	if err != nil {
		return &BadResponseError{Purpose: PurposeHome, Reason: "could not fill in the login form", Err: err}
	}
	// The tab refuses a form sent to another origin (AllowOrigins), but
	// another window is no longer the tab: the form is sent in the tab.
	if _, err := browser.Eval[bool](ctx, s.tab, keepFormInTab); err != nil {
		return &BadResponseError{Purpose: PurposeHome, Reason: "could not prepare the login form", Err: err}
	}
	if err := s.limiter.pace(ctx); err != nil {
		return &BadResponseError{Purpose: PurposeHome, Err: err}
	}
	doc, err := s.submit(ctx, loginButton)
	if err != nil {
		return &BadResponseError{Purpose: PurposeHome, Err: err}
	}
	page, err := s.page(ctx, doc)
	if err != nil {
		return &BadResponseError{Purpose: PurposeHome, Err: err}
	}
	info := inspect(page)
	switch {
	case doc.Status == http.StatusOK && info.ID == "home-index":
		return nil
	case info.ID == "account-login" && len(info.Validation) > 0:
		for _, msg := range info.Validation {
			if msg == badCredentialsMessage {
				return &BadCredentialsError{Username: username}
			}
		}
		return &LoginRefusedError{Username: username, Message: strings.Join(info.Validation, " ")}
	case doc.Status != http.StatusOK:
		return statusError(PurposeHome, doc)
	default:
		return &BadResponseError{Purpose: PurposeHome, Reason: "got " + info.describe()}
	}
}

// GetRoster loads the roster page, as the render mode says (see Render),
// and returns it as a snapshot whose time is the Date header of the
// response that carried it (the client's clock when there is none). It
// returns *NotLoggedInError when RosterOn answers with its login page. A
// session that never opened its browser answers that without a request.
func (s *Session) GetRoster(ctx context.Context) (*snapshot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tab == nil && !s.closed {
		return nil, &NotLoggedInError{}
	}
	ctx, cancel := s.stepContext(ctx)
	defer cancel()
	if err := s.ensureTab(ctx, PurposeRoster); err != nil {
		return nil, s.stepError(PurposeRoster, err)
	}
	var snap *snapshot.Snapshot
	err := s.record(PurposeRoster, func() error {
		var err error
		snap, err = s.readRoster(ctx)
		return err
	})
	return snap, err
}

// readRoster loads the roster page (see load and rosterPage) and reads it.
func (s *Session) readRoster(ctx context.Context) (*snapshot.Snapshot, error) {
	start := time.Now()
	before := s.tab.ExchangeCount()
	doc, err := s.get(ctx, s.url("/Roster/List?pageNo=1&row=1"), s.load)
	if err != nil {
		return nil, &BadResponseError{Purpose: PurposeRoster, Err: err}
	}
	_, info, err := s.rosterPage(ctx, doc)
	if err != nil {
		return nil, browserFault(PurposeRoster, err)
	}
	switch {
	case info.ID == "account-login":
		if s.loggedIn {
			s.loggedIn = false
			return nil, &NotLoggedInError{Detail: "RosterOn ended the session that had logged in; log in again"}
		}
		return nil, &NotLoggedInError{}
	case doc.Status != http.StatusOK:
		return nil, statusError(PurposeRoster, doc)
	case info.ID != "roster-list":
		return nil, &BadResponseError{Purpose: PurposeRoster, Reason: "got " + info.describe() + s.renderHint(info)}
	}
	// inspect read the roster with the page: it is not read twice.
	items, err := info.Items, info.Err
	if err != nil {
		return nil, &BadResponseError{Purpose: PurposeRoster, Reason: "the roster page could not be read", Err: err}
	}
	return &snapshot.Snapshot{Time: rosterTime(s.tab.ExchangesSince(before), doc.URL, start), Items: items}, nil
}

// rosterTime is a snapshot's time: the Date header of the roster page's
// answer, the last exchange for its URL (the page itself, not a request
// of its scripts, which may be anything), else when that exchange began,
// else the client's clock at the start of the step.
func rosterTime(xs []browser.Exchange, pageURL string, start time.Time) time.Time {
	when := start.UTC()
	for i := len(xs) - 1; i >= 0; i-- {
		x := xs[i]
		if x.URL != pageURL || x.Status == 0 {
			continue
		}
		if !x.Start.IsZero() {
			when = x.Start.UTC()
		}
		if d := header(x.Header, "Date"); d != "" {
			if t, err := http.ParseTime(d); err == nil {
				when = t.UTC()
			}
		}
		break
	}
	return when
}

// browserFault is the error of a step whose work in the browser alone
// (rendering a page from memory, waiting for its scripts, reading its
// DOM, turning its scripts on or off) failed: the browser's
// (*BrowserError), as RosterOn had no part in it, unless the step ran
// out of time or was cancelled, which stays the step's
// (*BadResponseError), as for every other step, and errors already
// typed, which stay as they are.
func browserFault(purpose string, err error) error {
	var be *BrowserError
	var bad *BadResponseError
	switch {
	case errors.As(err, &be), errors.As(err, &bad):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &BadResponseError{Purpose: purpose, Err: err}
	}
	return &BrowserError{Purpose: purpose, Err: err}
}

// settleQuiet is how long a rendered page must be quiet (no request
// under way, no change to its DOM) to count as settled, and settleBound
// bounds the whole wait.
const (
	settleQuiet = 150 * time.Millisecond
	settleBound = 2 * time.Second
)

// rosterPage returns the roster page as the session reads it.
//
// In RenderAlways the tab rendered it, and it is read once its scripts
// have settled, or the bounded wait for that ended (the parser then
// says what is missing).
//
// In RenderAuto it was fetched and is read as sent. A roster page
// without shifts (no list, or an empty one) may be a site whose script
// builds or fills the list: it is then rendered (from the body already
// fetched, without asking again), and read again once its scripts have
// settled. A roster that is really empty thus costs one bounded render;
// one with shifts costs nothing more. A page that is not a roster page
// at all is not rendered: readRoster's error suggests RenderAlways.
func (s *Session) rosterPage(ctx context.Context, doc *browser.Document) (string, pageInfo, error) {
	if doc.Rendered && s.render == RenderAlways {
		return s.renderedPage(ctx)
	}
	page := string(doc.Body)
	if doc.Rendered {
		var err error
		if page, err = s.tab.HTML(ctx); err != nil {
			return "", pageInfo{}, err
		}
	}
	if info := inspect(page); info.ID != "roster-list" || info.Shifts {
		return page, info, nil
	}
	if !doc.Rendered {
		if err := s.tab.Render(ctx, doc); err != nil {
			return "", pageInfo{}, err
		}
		// The tab shows the page as it is read.
		s.unshown = nil
	}
	return s.renderedPage(ctx)
}

// renderedPage reads the roster page the tab shows once its scripts
// have settled.
func (s *Session) renderedPage(ctx context.Context) (string, pageInfo, error) {
	if err := s.settle(ctx, PurposeRoster); err != nil {
		return "", pageInfo{}, err
	}
	page, err := s.tab.HTML(ctx)
	if err != nil {
		return "", pageInfo{}, err
	}
	return page, inspect(page), nil
}

// settle waits, within settleBound, for the scripts of the page the tab
// shows to settle, and tells the observer how long that took when step
// is not "".
func (s *Session) settle(ctx context.Context, step string) error {
	started := time.Now()
	settled, err := s.tab.Settle(ctx, settleQuiet, settleBound)
	if err != nil {
		return err
	}
	if step != "" {
		s.observe(Event{Kind: PageRendered, Step: step, Took: time.Since(started), Settled: settled})
	}
	return nil
}

// renderHint is what an error about a page that is not the one expected
// adds in RenderAuto, which reads pages as sent, when the page has no
// page element: a page that its scripts build reads right only when
// rendered. A page of RosterOn's with another id is no such page.
func (s *Session) renderHint(info pageInfo) string {
	if s.render != RenderAuto || info.ID != "" {
		return ""
	}
	return "; if this RosterOn builds its pages by script, render every page: --render always (session.WithRender(session.RenderAlways))"
}

// LogOut logs out when the session's browser context holds RosterOn's login
// cookie, and makes no request when it does not.
func (s *Session) LogOut(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := s.stepContext(ctx)
	defer cancel()
	return s.logOut(ctx)
}

func (s *Session) logOut(ctx context.Context) error {
	in, err := s.isLoggedIn(ctx)
	if err != nil {
		// The cookies are the browser's to give: RosterOn is not asked.
		return &BrowserError{Purpose: PurposeLogout, Err: fmt.Errorf("reading the session's cookies: %w", err)}
	}
	if !in {
		s.loggedIn = false
		return nil
	}
	err = s.record(PurposeLogout, func() error {
		doc, err := s.get(ctx, s.url("/Account/LogOff"), s.load)
		if err != nil {
			return &BadResponseError{Purpose: PurposeLogout, Err: err}
		}
		page, err := s.page(ctx, doc)
		if err != nil {
			return &BadResponseError{Purpose: PurposeLogout, Err: err}
		}
		if info := inspect(page); doc.Status != http.StatusOK || info.ID != "account-login" {
			if doc.Status != http.StatusOK {
				return statusError(PurposeLogout, doc)
			}
			return &BadResponseError{Purpose: PurposeLogout, Reason: "got " + info.describe()}
		}
		return nil
	})
	if err == nil {
		s.loggedIn = false
	}
	return err
}

// IsLoggedIn reports whether the session's browser context holds RosterOn's
// login cookie, .ASPXAUTH. It asks the browser, and makes no request.
func (s *Session) IsLoggedIn(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isLoggedIn(ctx)
}

func (s *Session) isLoggedIn(ctx context.Context) (bool, error) {
	if s.tab == nil || !s.tab.Alive() {
		return false, nil
	}
	cookies, err := s.tab.Cookies(ctx, s.site+"/")
	if err != nil {
		return false, err
	}
	for _, c := range cookies {
		if c.Name == AuthCookie && c.Value != "" {
			return true, nil
		}
	}
	return false, nil
}

// closeLogoutTimeout bounds the logout Close attempts, so a dead server
// cannot hold up freeing the browser.
const closeLogoutTimeout = 10 * time.Second

// Close logs out if the session is logged in, then closes its tab and, if
// the session started it, its browser, whatever happened before. The logout
// gets at most 10 seconds (or the session's timeout, if shorter). It is safe
// to call more than once; later calls return the first call's result.
func (s *Session) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), min(s.timeout, closeLogoutTimeout))
	defer cancel()
	return s.CloseContext(ctx)
}

// CloseContext is Close with the logout bounded by ctx: a program that was
// interrupted or ran out of time gives it a second or two, and the tab and
// browser are freed when ctx ends whether or not the logout finished.
func (s *Session) CloseContext(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var errs []error
	if s.tab != nil && s.tab.Alive() && ctx.Err() == nil {
		if err := s.logOut(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.tab != nil {
		if err := s.tab.Close(); err != nil {
			errs = append(errs, &BrowserError{Purpose: StepClose, Err: fmt.Errorf("closing the tab: %w", err)})
		}
	}
	if s.owned && s.browser != nil {
		if err := s.browser.Close(); err != nil {
			errs = append(errs, &BrowserError{Purpose: StepClose, Err: err})
		}
	}
	if s.holdsSlot {
		s.limiter.release()
		s.holdsSlot = false
	}
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}

// retryPause is how long a failed GET waits before its one retry.
const retryPause = 300 * time.Millisecond

// get loads url for a step with load (navigate, or the mode's load). A GET is
// idempotent, so one that fails on the network or gets a gateway error
// (502, 503, 504) is tried once more after a short pause; both attempts
// stay in the step's log. The login POST never goes through here.
func (s *Session) get(ctx context.Context, url string, load func(context.Context, string) (*browser.Document, error)) (*browser.Document, error) {
	if err := s.limiter.pace(ctx); err != nil {
		return nil, err
	}
	doc, err := load(ctx, url)
	if !retryable(ctx, doc, err) {
		return doc, err
	}
	select {
	case <-ctx.Done():
		return doc, err
	case <-time.After(retryPause):
	}
	if err := s.limiter.pace(ctx); err != nil {
		return doc, err
	}
	return load(ctx, url)
}

func retryable(ctx context.Context, doc *browser.Document, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		return errors.Is(err, browser.ErrPageLoad)
	}
	switch doc.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// statusError is a step's error for an answer with an HTTP error status.
func statusError(purpose string, doc *browser.Document) *BadResponseError {
	return &BadResponseError{Purpose: purpose, Status: doc.Status, Reason: httpStatus(doc)}
}

func httpStatus(r *browser.Document) string {
	if r.StatusText != "" {
		return fmt.Sprintf("HTTP %d %s from %s", r.Status, r.StatusText, r.URL)
	}
	return fmt.Sprintf("HTTP %d from %s", r.Status, r.URL)
}

func header(h []browser.HeaderField, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// picture is a PNG of the page the step read, as it read it: the tab
// when it shows that page; else (the step read a page it fetched without
// rendering) a render of exactly the bytes read, from memory, with its
// scripts off (they did not run for the reading either), in a tab of its
// own with the session tab's options. The session's tab is not touched,
// so what it shows, and what its later requests send, is what it would
// be without screenshots; the other tab sends no request for the page,
// and with its scripts off none of the page's own.
func (s *Session) picture(ctx context.Context) ([]byte, error) {
	if s.unshown == nil {
		return s.tab.Screenshot(ctx)
	}
	tab, err := s.browser.NewTab(ctx, s.tabOpts...)
	if err != nil {
		return nil, err
	}
	defer tab.Close()
	return tab.Picture(ctx, s.unshown)
}

// screenshot saves a PNG of the page after a step when a folder was given.
// A screenshot is a debugging aid: failing to take or save one never turns
// a step's success into a failure, nor hides the step's own error, but it
// is a warning (see WithWarnings). A tab that is gone has nothing to show:
// the step's error says so.
func (s *Session) screenshot(purpose string, start time.Time, stepErr error) {
	if s.screenshotsDir == "" || s.tab == nil || !s.tab.Alive() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	png, err := s.picture(ctx)
	if err != nil {
		s.warn(fmt.Errorf("taking the %s step's screenshot: %w", purpose, err))
		return
	}
	name := stamp(start) + "Z-" + purpose
	if stepErr != nil {
		name += "-error"
	}
	if err := os.MkdirAll(s.screenshotsDir, 0o700); err != nil {
		s.warn(fmt.Errorf("saving the %s step's screenshot: %w", purpose, err))
		return
	}
	if err := writePrivate(s.screenshotsDir, name+".png", png); err != nil {
		s.warn(fmt.Errorf("saving the %s step's screenshot: %w", purpose, err))
	}
}

// secretMark replaces the password wherever the record held it.
const secretMark = "[PASSWORD]"

// scrubSecret replaces secret, as typed and as a URL's query or path
// would carry it, in the exchanges' URLs, header values and bodies. The
// form's post is never recorded with its body, but a script of the page
// may send what was typed in a request of its own to the site (which is
// allowed to have it), and the logs must not keep it.
func scrubSecret(xs []browser.Exchange, secret string) []browser.Exchange {
	if secret == "" {
		return xs
	}
	forms := []string{secret}
	for _, f := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		if f != secret {
			forms = append(forms, f)
		}
	}
	scrub := func(v string) string {
		for _, f := range forms {
			v = strings.ReplaceAll(v, f, secretMark)
		}
		return v
	}
	for i := range xs {
		x := &xs[i]
		x.URL = scrub(x.URL)
		x.Error = scrub(x.Error)
		var header []browser.HeaderField
		for j, h := range x.Header {
			if v := scrub(h.Value); v != h.Value {
				if header == nil {
					header = append([]browser.HeaderField(nil), x.Header...)
				}
				header[j].Value = v
			}
		}
		if header != nil {
			x.Header = header
		}
		for _, f := range forms {
			if bytes.Contains(x.Body, []byte(f)) {
				x.Body = bytes.ReplaceAll(x.Body, []byte(f), []byte(secretMark))
			}
		}
	}
	return xs
}
