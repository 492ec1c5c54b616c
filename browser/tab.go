package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Tab is one page in its own browser context: cookies, cache and storage are
// its own, so tabs of one Browser never see each other's sessions. A Tab is
// not safe for concurrent use; open one per goroutine.
type Tab struct {
	b      *Browser
	ctx    context.Context
	cancel context.CancelFunc
	rec    *recorder
	// first is the launched browser's own initial tab (see FirstTab):
	// closing it must not end the browser's root context.
	first bool

	// block is the resource types the tab fails before they leave
	// Chrome; set before interception starts, read-only afterwards.
	block map[network.ResourceType]bool

	// guard refuses requests to origins not allowed (AllowOrigins);
	// nil when all are.
	guard *guard

	fetches atomic.Uint64 // Fetch's requests so far, to tell them apart in the page

	navMu  sync.Mutex
	nav    *navigation // the navigation Submit waits for
	replay *Document   // the document Render answers from memory

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
	// offline is set while Picture runs: nothing but the document it
	// renders from memory may load.
	offline atomic.Bool
}

// Response is what a navigation ended on: the main document's final URL and
// HTTP status, after any redirects.
type Response struct {
	URL        string
	Status     int
	StatusText string
}

// NewTab opens a blank tab in a new browser context. ctx bounds the opening
// only; the tab lives until Close (or until the browser closes).
func (b *Browser) NewTab(ctx context.Context, opts ...TabOption) (*Tab, error) {
	var cfg tabConfig
	for _, o := range opts {
		o(&cfg)
	}
	t, err := b.readyTab(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	c, cancel := t.bind(ctx)
	defer cancel()
	if err := t.intercept(c, cfg); err != nil {
		t.cancel()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	return t, nil
}

// openTab creates a blank tab in a new browser context, with its recorder
// listening from its first event and the DOM and CSS agents off, but no
// interception yet: that depends on the options it is opened with.
func (b *Browser) openTab(ctx context.Context) (*Tab, error) {
	t := &Tab{b: b, rec: newRecorder()}
	t.ctx, t.cancel = chromedp.NewContext(b.ctx,
		chromedp.WithNewBrowserContext(),
		// The listener sees every event from the tab's first command on,
		// so no exchange of the first navigation is missed.
		chromedp.WithListener(t.rec.handle),
	)
	errc := make(chan error, 1)
	go func() {
		// The first run creates the target and binds it to t.ctx.
		if err := chromedp.Do(t.ctx); err != nil {
			errc <- err
			return
		}
		c := chromedp.FromContext(t.ctx)
		t.rec.setMainFrame(cdp.FrameID(c.Target.TargetID))
		errc <- quieten(t.ctx)
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.cancel()
			return nil, err
		}
	case <-ctx.Done():
		t.cancel()
		return nil, ctx.Err()
	}
	return t, nil
}

// FirstTab returns the blank tab a launched Chrome opens at start, which
// is already attached, for a caller that has the browser to itself: using
// it saves creating a browser context, a target and a renderer. Its cookies
// live in the browser's default context, so use it only when no other
// session shares the browser; later calls, and remote or adopted browsers,
// get a new isolated tab from NewTab.
func (b *Browser) FirstTab(ctx context.Context, opts ...TabOption) (*Tab, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("opening a tab: the browser is closed: %w", ErrTabGone)
	}
	b.mu.Lock()
	reuse := b.remote == "" && !b.adopted && !b.firstUsed
	b.firstUsed = true
	b.mu.Unlock()
	if !reuse {
		return b.NewTab(ctx, opts...)
	}
	var cfg tabConfig
	for _, o := range opts {
		o(&cfg)
	}
	t := &Tab{b: b, rec: newRecorder(), ctx: b.ctx, cancel: func() {}, first: true}
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Target == nil {
		// Not attached to a page (never seen with chromedp's exec
		// allocator, which attaches to the first blank page).
		return b.NewTab(ctx, opts...)
	}
	t.rec.setMainFrame(cdp.FrameID(c.Target.TargetID))
	if err := chromedp.Listen(b.ctx, t.rec.handle); err != nil {
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	c2, cancel := t.bind(ctx)
	defer cancel()
	if err := quieten(c2); err != nil {
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	if err := t.intercept(c2, cfg); err != nil {
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	return t, nil
}

// bind returns a context for one operation on the tab: it carries the tab's
// chromedp state and ends when either the tab or ctx ends, with ctx's
// deadline.
//
// With AllowOrigins, it also ends at the tab's next refusal of a request
// by a script or a frame, with the *OriginError as its cause: an
// operation that waits for a navigation the page's script replaced by
// the refused request must not wait for its deadline.
func (t *Tab) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	base, cancelDeadline := t.ctx, context.CancelFunc(func() {})
	if d, ok := ctx.Deadline(); ok {
		base, cancelDeadline = context.WithDeadline(t.ctx, d)
	}
	c, cancelCause := context.WithCancelCause(base)
	cancel := func() { cancelCause(context.Canceled); cancelDeadline() }
	stop := context.AfterFunc(ctx, cancel)
	c = t.watchRefusals(c, cancelCause)
	return c, func() { stop(); cancel() }
}

// opErr prefers the caller's context error, so a deadline reads as
// context.DeadlineExceeded rather than as the browser's view of it.
//
// A request the tab refused during the operation (see AllowOrigins) is
// the reason before any other: the operation failed, or was ended,
// because of it. c is the operation's context from bind.
func (t *Tab) opErr(ctx, c context.Context, err error) error {
	if err == nil {
		return nil
	}
	if oe := t.refusedIn(c); oe != nil {
		return oe
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	// The caller's context is alive, so a cancellation can only be the
	// tab's or the browser's: chromedp cancels them when Chrome goes
	// away, and may report that before the tab's context shows it.
	if t.ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w (did Chrome exit?): %w", ErrTabGone, err)
	}
	return err
}

// Navigate loads url, renders it and waits for the page's load event. It
// returns the final response of the main document after redirects; an
// HTTP error status is a Response, not an error, while a network failure
// is an error wrapping chromedp.ErrPageLoad.
func (t *Tab) Navigate(ctx context.Context, url string) (*Response, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	resp, err := chromedp.Run(c, chromedp.NavigateResponse(url))
	return t.finish(ctx, c, toResponse(resp), err)
}

// Click clicks the element matching the CSS selector with the mouse, as a
// person would, and waits for the navigation it causes to load.
func (t *Tab) Click(ctx context.Context, selector string) (*Response, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	resp, err := t.click(c, selector)
	return t.finish(ctx, c, resp, err)
}

func (t *Tab) finish(ctx, c context.Context, resp *Response, err error) (*Response, error) {
	// Bodies are fetched even after a failure: they are what a person
	// debugging the failure needs to see.
	t.getBodies(c)
	if oe := t.refusedIn(c); oe != nil {
		return nil, oe
	}
	if err != nil {
		return nil, t.opErr(ctx, c, err)
	}
	if resp == nil {
		return nil, errors.New("the navigation gave no response")
	}
	return resp, nil
}

// click finds where to click in the page with one evaluation and clicks
// there with real mouse input at the element's centre, as a person would,
// then waits for the navigation that causes. (chromedp.Click finds the
// element through the DOM agent, which costs round trips and keeps DOM
// tracking on in every tab.)
func (t *Tab) click(c context.Context, selector string) (*Response, error) {
	pt, err := chromedp.Run(c, chromedp.Evaluate[[]float64](`(() => {
		const el = document.querySelector(`+jsString(selector)+`);
		if (!el) return [];
		el.scrollIntoView({block: 'center', inline: 'center'});
		const r = el.getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil {
		return nil, err
	}
	if len(pt) != 2 {
		return nil, fmt.Errorf("clicking: no element matches %q", selector)
	}
	resp, err := chromedp.RunResponse(c, chromedp.MouseClickXY(pt[0], pt[1]))
	return toResponse(resp), err
}

func toResponse(resp *network.Response) *Response {
	if resp == nil {
		return nil
	}
	return &Response{URL: resp.URL, Status: int(resp.Status), StatusText: resp.StatusText}
}

// getBodies asks Chrome for the body of every recorded exchange whose
// loading finished and whose body has not been read yet. Chrome keeps a
// document's body only while the page is current, so this runs after every
// navigation.
func (t *Tab) getBodies(ctx context.Context) {
	for _, id := range t.rec.pendingBodies() {
		res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err != nil {
			t.rec.setBody(id, nil, err)
			continue
		}
		t.rec.setBody(id, res.Body, nil)
	}
}

// Field is a form field to fill: a CSS selector and its value.
type Field struct {
	Selector string
	Value    string
}

// Fill sets the value of each field and fires the input and change events a
// person's typing would. Values travel as call arguments, never inside
// script source, so they cannot surface in an exception's text; the error
// names only selectors.
func (t *Tab) Fill(ctx context.Context, fields ...Field) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	pairs := make([][2]string, len(fields))
	for i, f := range fields {
		pairs[i] = [2]string{f.Selector, f.Value}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return err
	}
	res, err := t.callFunction(c, fillFunction, false, arg)
	if err != nil {
		return t.opErr(ctx, c, err)
	}
	if res.ExceptionDetails != nil {
		return errors.New("filling the form failed in the page")
	}
	var missing string
	if res.Result != nil && len(res.Result.Value) > 0 {
		_ = json.Unmarshal(res.Result.Value, &missing)
	}
	if missing != "" {
		return fmt.Errorf("filling the form: no element matches %q", missing)
	}
	return nil
}

const fillFunction = `function(fields) {
	for (const [sel, val] of fields) {
		const el = document.querySelector(sel);
		if (!el) return sel;
		el.focus();
		el.value = val;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
	}
	return '';
}`

// WaitFor evaluates the JavaScript expression every interval until it is
// true, ctx ends or the tab goes away. An exception counts as false: the
// page may still be building what the expression looks for.
func (t *Tab) WaitFor(ctx context.Context, expr string, interval time.Duration) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	for {
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		if c.Err() != nil {
			return t.opErr(ctx, c, c.Err())
		}
		select {
		case <-c.Done():
			return t.opErr(ctx, c, c.Err())
		case <-time.After(interval):
		}
	}
}

// Eval evaluates a JavaScript expression and decodes its result into T.
func Eval[T any](ctx context.Context, t *Tab, expr string) (T, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	return v, t.opErr(ctx, c, err)
}

// HTML returns the current DOM serialized, doctype and all: the page as
// scripts have left it, in one DevTools round trip.
func (t *Tab) HTML(ctx context.Context) (string, error) {
	return Eval[string](ctx, t, documentHTML)
}

// documentHTML is a JavaScript expression whose value is the current DOM
// serialized, doctype and all.
const documentHTML = `(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + "\n" : "") + document.documentElement.outerHTML`

// Screenshot returns a PNG of the whole page.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	return png, t.opErr(ctx, c, err)
}

// Cookies returns the cookies the tab's browser context would send to the
// given URLs.
func (t *Tab) Cookies(ctx context.Context, urls ...string) ([]*network.Cookie, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	res, err := chromedp.Call(c, network.GetCookies, network.GetCookiesParams{URLs: urls})
	if err != nil {
		return nil, t.opErr(ctx, c, err)
	}
	return res.Cookies, nil
}

// Exchanges returns the main-frame document exchanges, those of Fetch
// and the page's own XHR and fetch() requests, recorded so far, in the
// order their requests started, redirects included.
func (t *Tab) Exchanges() []Exchange { return t.rec.exchanges() }

// ExchangeCount is how many exchanges Exchanges would return now,
// counted without copying any.
func (t *Tab) ExchangeCount() int { return t.rec.count() }

// exchangeWait bounds how long ExchangesSince waits for exchanges under
// way to complete.
const exchangeWait = time.Second

// ExchangesSince returns the exchanges from index i on, those Exchanges
// would return after the first i, without copying the others. It
// returns them complete: it waits, for about a second at most, until
// each has finished or failed (Chrome may tell of that a moment after the
// page has its answer). One still under way then, or when the tab goes
// away, is returned as it is, with Duration 0.
func (t *Tab) ExchangesSince(i int) []Exchange {
	return t.rec.since(i, exchangeWait, t.ctx.Done())
}

// Alive reports whether the tab and its browser are still there.
func (t *Tab) Alive() bool { return t.ctx.Err() == nil && !t.closed.Load() && !t.b.closed.Load() }

// Close closes the tab and disposes of its browser context and cookies.
// Safe to call more than once.
func (t *Tab) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		if t.first {
			// The browser's own tab ends with the browser, which its
			// owner closes next; cancelling its context would do that
			// now.
			return
		}
		t.cancel()
		if err := context.Cause(t.ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.closeErr = err
		}
	})
	return t.closeErr
}

// ErrTabGone is matched by the error of an operation on a tab that went
// away under it: Chrome exited or crashed, or the connection to it broke.
var ErrTabGone = errors.New("the browser tab is gone")

// ErrPageLoad is matched by the error of a navigation that failed on the
// network (refused, reset, too many redirects, a response cut short…);
// the error's text carries Chrome's reason, such as
// net::ERR_CONNECTION_REFUSED.
var ErrPageLoad = chromedp.ErrPageLoad

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// quieten turns off the DOM and CSS agents chromedp enables in every tab:
// the tab is read through Runtime.evaluate, and with them on Chrome
// reports every DOM and stylesheet change of every page over DevTools.
func quieten(ctx context.Context) error {
	if _, err := chromedp.Call(ctx, css.Disable, cdp.Empty{}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, dom.Disable, cdp.Empty{})
	return err
}
