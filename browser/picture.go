package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Picture returns a PNG of doc, a document Fetch got, as a program that
// read its bytes without running them saw it: the tab renders doc from
// memory, as Render does, but with the page's scripts off, so the
// picture is of exactly the bytes that were read, and every other
// request of the page (a frame, an object, a style sheet, a prefetch, a
// refresh) is failed before it leaves the tab: the server sees nothing
// of a picture. The tab is left with scripts on again, showing doc.
//
// Picture changes what the tab shows, and so what a later Fetch's
// requests say of their referrer: give it a tab of its own, with the
// same options as the tab that fetched doc.
func (t *Tab) Picture(ctx context.Context, doc *Document) ([]byte, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	t.offline.Store(true)
	defer t.offline.Store(false)
	if _, err := chromedp.Call(c, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		return nil, t.opErr(ctx, c, err)
	}
	err := t.Render(ctx, doc)
	var png []byte
	if err == nil {
		png, err = t.Screenshot(ctx)
	}
	if _, rerr := chromedp.Call(c, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err == nil && rerr != nil {
		err = t.opErr(ctx, c, rerr)
	}
	return png, err
}
