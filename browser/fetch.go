package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// maxRedirects is how many redirects Fetch follows, as Chrome's own limit.
const maxRedirects = 20

// Fetch gets url through the tab's own network stack, as a script of the
// page it shows would with fetch(): with the tab's cookies, setting those
// the responses set, following redirects on the page's own site. Nothing
// is rendered, and every request, redirect and response is recorded in
// Exchanges as a navigation's would be. A redirect to another site is
// navigated to and rendered, as only a navigation may go there (unless
// AllowOrigins refuses it: an *OriginError); so is url itself when the
// tab shows no page of url's site. An HTTP error status is
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
		if oe := t.refusedIn(c); oe != nil {
			return nil, oe
		}
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
//
// A body larger than max bytes (0 for no cap) is not read whole: the
// request is aborted at its declared Content-Length, else once more than
// max bytes have arrived, and tooBig says how many.
const fetchFunction = `async function ` + fetchMarker + `(url, id, max) {
	const pending = window[Symbol.for('` + fetchMarker + `')] ||= new Map();
	const ctl = new AbortController();
	pending.set(id, ctl);
	let r, buf;
	try {
		r = await fetch(url, {redirect: 'manual', credentials: 'same-origin', signal: ctl.signal});
		if (r.type === 'opaqueredirect') return {redirect: true};
		if (max > 0) {
			const declared = Number(r.headers.get('content-length'));
			if (declared > max) {
				ctl.abort();
				return {tooBig: declared};
			}
			const reader = r.body.getReader();
			const chunks = [];
			let n = 0;
			for (;;) {
				const {done, value} = await reader.read();
				if (done) break;
				n += value.length;
				if (n > max) {
					ctl.abort();
					return {tooBig: n};
				}
				chunks.push(value);
			}
			buf = new Uint8Array(n);
			let at = 0;
			for (const c of chunks) {
				buf.set(c, at);
				at += c.length;
			}
		} else {
			buf = await r.arrayBuffer();
		}
	} catch (e) {
		return {error: String(e)};
	} finally {
		pending.delete(id);
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

// abortFetch ends the request of Fetch's function with the given id if it
// is still under way, as a navigation ends the one it replaces: Chrome
// records it as aborted.
const abortFetch = `function(id) {
	const ctl = (window[Symbol.for('` + fetchMarker + `')] || new Map()).get(id);
	if (ctl) ctl.abort();
}`

// abortTimeout bounds ending a fetch given up, which goes on after Fetch
// has returned.
const abortTimeout = 10 * time.Second

const fetchMarker = "rosteronFetch"

type fetchResult struct {
	Redirect   bool   `json:"redirect"`
	Error      string `json:"error"`
	URL        string `json:"url"`
	Status     int    `json:"status"`
	StatusText string `json:"statusText"`
	Body       string `json:"body"`
	TooBig     int64  `json:"tooBig"`
}

func (t *Tab) fetchOnce(ctx, c context.Context, rawURL string) (*Document, error) {
	from := t.rec.count()
	arg, err := json.Marshal(rawURL)
	if err != nil {
		return nil, err
	}
	id, err := json.Marshal(strconv.FormatUint(t.fetches.Add(1), 10))
	if err != nil {
		return nil, err
	}
	var limit int64
	if t.guard != nil {
		limit = t.guard.maxPage
	}
	res, err := t.callFunction(c, fetchFunction, true, arg, id, []byte(strconv.FormatInt(limit, 10)))
	if err != nil {
		if ctx.Err() != nil && t.Alive() {
			// Given up: the request must not hang on in the page. The
			// caller, out of time, does not wait for that.
			go func() {
				actx, cancel := context.WithTimeout(t.ctx, abortTimeout)
				defer cancel()
				_, _ = t.callFunction(actx, abortFetch, false, id)
			}()
		}
		return nil, t.opErr(ctx, c, err)
	}
	var r fetchResult
	if res.Result == nil || json.Unmarshal(res.Result.Value, &r) != nil {
		return nil, errors.New("fetching in the page gave no result")
	}
	if r.TooBig > 0 {
		return nil, &PageSizeError{URL: rawURL, Limit: limit, Size: r.TooBig}
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
	t.rec.keepBody(x.id, r.Body)
	text := r.StatusText
	if text == "" {
		text = x.StatusText
	}
	return &Document{Response: Response{URL: r.URL, Status: r.Status, StatusText: text}, Header: x.Header, Body: []byte(r.Body)}, nil
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
		if err == nil || c.Err() != nil || !contextNotFound(err) {
			// Any other failure may come after the function began: its
			// request may have left, and must not be sent twice.
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

// contextNotFound reports whether a call failed because the JavaScript
// context it named was gone before it began (the page had changed since
// the context was known): the function never ran, so calling it again in
// the page's current context sends nothing twice. A context destroyed
// while the function ran (a page that went away while its fetch waited
// for an answer) is not that.
func contextNotFound(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") ||
		strings.Contains(msg, "uniqueContextId not found")
}
