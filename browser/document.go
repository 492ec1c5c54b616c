package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Document is a response to a request of the tab's: its URL after any
// redirects it followed, its status and its body.
type Document struct {
	Response
	// Location is where a redirect that was not followed points, made
	// absolute; "" for any other response.
	Location string
	// Header is the response's header lines, as Exchange has them; Fetch
	// sets it.
	Header []HeaderField
	// Body is the body as received, decoded to UTF-8 from the charset its
	// Content-Type names. Submit leaves it empty for a rendered page:
	// read what the tab shows with HTML.
	Body []byte
	// Rendered reports whether the tab shows the document. One that was
	// not rendered never reached the page: the tab still shows what it
	// showed before, and no script of the document ran.
	Rendered bool
}

// maxRedirects is how many redirects Fetch follows, as Chrome's own limit.
const maxRedirects = 20

// Fetch gets url through the tab's own network stack, as a script of the
// page it shows would with fetch(): with the tab's cookies, setting those
// the responses set, following redirects on the page's own site. Nothing
// is rendered, and every request, redirect and response is recorded in
// Exchanges as a navigation's would be. A redirect to another site is
// navigated to and rendered, as only a navigation may go there; so is url
// itself when the tab shows no page of url's site. An HTTP error status is
// a Document; a network failure is an error wrapping ErrPageLoad.
func (t *Tab) Fetch(ctx context.Context, rawURL string) (*Document, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	for range maxRedirects + 1 {
		if !t.showsSiteOf(rawURL) {
			resp, err := t.Navigate(ctx, rawURL)
			if err != nil {
				return nil, err
			}
			return &Document{Response: *resp, Rendered: true}, nil
		}
		doc, err := t.fetchOnce(ctx, c, rawURL)
		if err != nil || doc.Location == "" {
			return doc, err
		}
		rawURL = doc.Location
	}
	return nil, &chromedp.LoadError{ErrorText: "net::ERR_TOO_MANY_REDIRECTS"}
}

// fetchFunction is what Fetch runs in the page for each request. Its name
// marks the requests it makes, for the recorder; redirects come back to Go
// (redirect: 'manual'), which follows them or not.
const fetchFunction = `async function ` + fetchMarker + `(url) {
	const pending = window[Symbol.for('` + fetchMarker + `')] ||= new Set();
	const ctl = new AbortController();
	pending.add(ctl);
	let r, buf;
	try {
		r = await fetch(url, {redirect: 'manual', credentials: 'same-origin', signal: ctl.signal});
		if (r.type === 'opaqueredirect') return {redirect: true};
		buf = await r.arrayBuffer();
	} catch (e) {
		return {error: String(e)};
	} finally {
		pending.delete(ctl);
	}
	const m = /charset\s*=\s*"?([^;"\s]+)/i.exec(r.headers.get('content-type') || '');
	let text;
	try {
		text = new TextDecoder(m ? m[1] : 'utf-8').decode(buf);
	} catch (e) {
		text = new TextDecoder().decode(buf);
	}
	return {url: r.url, status: r.status, statusText: r.statusText, body: text};
}`

// abortFetches ends the requests of Fetch's function still under way, as a
// navigation ends the one it replaces: Chrome records them as aborted.
const abortFetches = `(window[Symbol.for('` + fetchMarker + `')] || []).forEach(c => c.abort())`

const fetchMarker = "rosteronFetch"

type fetchResult struct {
	Redirect   bool   `json:"redirect"`
	Error      string `json:"error"`
	URL        string `json:"url"`
	Status     int    `json:"status"`
	StatusText string `json:"statusText"`
	Body       string `json:"body"`
}

func (t *Tab) fetchOnce(ctx, c context.Context, rawURL string) (*Document, error) {
	from := t.rec.count()
	arg, err := json.Marshal(rawURL)
	if err != nil {
		return nil, err
	}
	res, err := t.callFunction(c, fetchFunction, true, arg)
	if err != nil {
		if ctx.Err() != nil && t.Alive() {
			// Out of time: the request must not hang on in the page.
			actx, cancel := context.WithTimeout(t.ctx, time.Second)
			_, _ = chromedp.Run(actx, chromedp.Evaluate[any](abortFetches))
			cancel()
		}
		return nil, t.opErr(ctx, err)
	}
	var r fetchResult
	if res.Result == nil || json.Unmarshal(res.Result.Value, &r) != nil {
		return nil, errors.New("fetching in the page gave no result")
	}
	x, ok := t.rec.fetched(from)
	switch {
	case r.Error != "" && ok && x.failure != "":
		return nil, &chromedp.LoadError{ErrorText: x.failure}
	case r.Error != "":
		return nil, fmt.Errorf("%w: %s fetching %s", ErrPageLoad, r.Error, rawURL)
	case !ok:
		return nil, fmt.Errorf("fetching %s: no request was seen", rawURL)
	case r.Redirect:
		loc := headerValue(x.Header, "Location")
		next, err := resolve(x.URL, loc)
		if err != nil {
			return nil, fmt.Errorf("%w: a redirect from %s to %q: %v", ErrPageLoad, x.URL, loc, err)
		}
		return &Document{Response: Response{URL: x.URL, Status: x.Status, StatusText: x.StatusText}, Location: next}, nil
	}
	t.rec.keepBody(x.id, []byte(r.Body))
	text := r.StatusText
	if text == "" {
		text = x.StatusText
	}
	return &Document{Response: Response{URL: r.URL, Status: r.Status, StatusText: text}, Header: x.Header, Body: []byte(r.Body)}, nil
}

// Render shows doc, a document Fetch got, in the tab as a navigation to
// its URL would, scripts and all, without asking the server for it again:
// the tab's request is answered from doc (less its Set-Cookie headers, as
// its cookies are set already), and is not recorded, as it never reaches
// the network. The page's own requests, for scripts say, do. Use it for a
// page that a script must finish before it can be read.
func (t *Tab) Render(ctx context.Context, doc *Document) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	t.navMu.Lock()
	t.replay = doc
	t.navMu.Unlock()
	defer func() {
		t.navMu.Lock()
		t.replay = nil
		t.navMu.Unlock()
	}()
	t.rec.ignoreNext(doc.URL)
	defer t.rec.ignoreNext("")
	if _, err := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: t.patterns(true)}); err != nil {
		return t.opErr(ctx, err)
	}
	_, err := chromedp.Run(c, chromedp.NavigateResponse(doc.URL))
	if _, rerr := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: t.patterns(false)}); err == nil {
		err = rerr
	}
	return t.opErr(ctx, err)
}

// showsSiteOf reports whether the tab shows a page whose origin is that of
// rawURL, so that a fetch from it goes to its own site.
func (t *Tab) showsSiteOf(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	_, origin := t.rec.page()
	return origin != "" && origin == u.Scheme+"://"+u.Host
}

func resolve(base, ref string) (string, error) {
	if ref == "" {
		return "", errors.New("no Location")
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// callFunction calls a function declared in JavaScript in the page's main
// JavaScript context, with arguments that are JSON values: values travel
// as arguments, never inside script source. The context is known from its
// events, which saves asking for the document first; a context that went
// away in the meantime costs that question after all.
func (t *Tab) callFunction(c context.Context, decl string, await bool, args ...[]byte) (runtime.CallFunctionOnResult, error) {
	params := runtime.CallFunctionOnParams{
		FunctionDeclaration: decl,
		ReturnByValue:       new(true),
		Silent:              new(true),
	}
	if await {
		params.AwaitPromise = new(true)
	}
	for _, a := range args {
		params.Arguments = append(params.Arguments, &runtime.CallArgument{Value: jsonv2.Value(a)})
	}
	var res runtime.CallFunctionOnResult
	var err error
	if params.UniqueContextID, _ = t.rec.page(); params.UniqueContextID != "" {
		res, err = chromedp.Call(c, runtime.CallFunctionOn, params)
		if err == nil || c.Err() != nil {
			return res, err
		}
	}
	doc, err := chromedp.Call(c, runtime.Evaluate, runtime.EvaluateParams{Expression: "document"})
	if err != nil {
		return res, err
	}
	if doc.Result == nil || doc.Result.ObjectID == "" {
		return res, errors.New("the page has no document")
	}
	params.UniqueContextID, params.ObjectID = "", doc.Result.ObjectID
	return chromedp.Call(c, runtime.CallFunctionOn, params)
}

// Submit clicks the element matching selector as Click does and returns
// the first response of the navigation that causes. A redirect is not
// followed: the navigation stops there, with the redirect's cookies set,
// and Location says where it points (Fetch goes there without rendering).
// Any other response is rendered as Click renders it.
func (t *Tab) Submit(ctx context.Context, selector string) (*Document, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	nav := t.arm()
	defer t.disarm(nav)

	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := t.click(c, selector)
		done <- result{resp, err}
	}()
	var r result
	select {
	case <-nav.stopped:
		// Stopped by us: the click's wait ends with net::ERR_ABORTED,
		// which is no failure here.
		cancel()
		<-done
	case r = <-done:
	}
	if doc := nav.document(); doc != nil {
		return doc, nil
	}
	resp, err := t.finish(ctx, c, r.resp, r.err)
	if err != nil {
		return nil, err
	}
	return &Document{Response: *resp, Rendered: true}, nil
}

// navigation is a navigation Submit waits for: the interceptor stops it
// at the first main-frame redirect it sees after from, the number of
// exchanges recorded when it began.
type navigation struct {
	from int

	mu      sync.Mutex
	doc     *Document     // the redirect it was stopped at
	stopped chan struct{} // closed once the stop has been asked for
}

func (t *Tab) arm() *navigation {
	nav := &navigation{from: t.rec.count(), stopped: make(chan struct{})}
	t.navMu.Lock()
	t.nav = nav
	t.navMu.Unlock()
	return nav
}

func (t *Tab) disarm(nav *navigation) {
	t.navMu.Lock()
	if t.nav == nav {
		t.nav = nil
	}
	t.navMu.Unlock()
}

// claim returns the armed navigation if the exchange at pos belongs to it
// and it has not been stopped yet.
func (t *Tab) claim(pos int) *navigation {
	t.navMu.Lock()
	defer t.navMu.Unlock()
	nav := t.nav
	if nav == nil || pos < nav.from {
		return nil
	}
	nav.mu.Lock()
	defer nav.mu.Unlock()
	if nav.doc != nil {
		return nil
	}
	return nav
}

func (nav *navigation) setDoc(doc *Document) {
	nav.mu.Lock()
	nav.doc = doc
	nav.mu.Unlock()
}

func (nav *navigation) document() *Document {
	nav.mu.Lock()
	defer nav.mu.Unlock()
	return nav.doc
}

func headerValue(h []HeaderField, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}
