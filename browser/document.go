package browser

import (
	"context"
	"strings"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// Document is a response to a request of the tab's: its URL after any
// redirects it followed, its status and its body.
type Document struct {
	Response
	// Location is where a redirect that was not followed points, made
	// absolute; "" for any other response.
	Location string
	// Header is the response's header lines, as Exchange has them. Only
	// Fetch sets it, for a document it did not render.
	Header []HeaderField
	// Body is the body as received, decoded to UTF-8 from the charset its
	// Content-Type names. A redirect that was not followed has none.
	Body []byte
	// Rendered reports whether the tab shows the document. One that was
	// not rendered never reached the page: the tab still shows what it
	// showed before, and no script of the document ran. A rendered
	// document, whether Submit or Fetch got it, has no Body or Header:
	// read what the tab shows with HTML, and the headers in Exchanges.
	Rendered bool
}

// Render shows doc, a document Fetch got, in the tab as a navigation to
// its URL would, scripts and all, without asking the server for it again:
// the tab's request is answered from doc (less its Set-Cookie headers, as
// its cookies are set already, and with a Content-Type that names UTF-8,
// which Fetch decoded Body to), and is not recorded, as it never reaches
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
		return t.opErr(ctx, c, err)
	}
	_, err := chromedp.Run(c, chromedp.NavigateResponse(doc.URL))
	if _, rerr := chromedp.Call(c, fetch.Enable, fetch.EnableParams{Patterns: t.patterns(false)}); err == nil {
		err = rerr
	}
	return t.opErr(ctx, c, err)
}

func headerValue(h []HeaderField, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}
