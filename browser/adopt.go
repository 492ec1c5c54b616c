package browser

import (
	"context"
	"errors"
	"fmt"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// Adopt makes a Browser of the browser that a chromedp context carries, for
// a program that already drives Chrome with chromedp. ctx comes from
// chromedp.NewContext over any allocator: chromedp.NewExecAllocator with
// the program's own options, or remote.NewAllocator from chromedp/remote. A context
// whose browser has not started yet starts it now, its life bound to ctx
// as chromedp.Run binds it.
//
// Tabs open in new browser contexts of that browser, so they share no
// cookies with the program's own tabs, nor with each other; FirstTab never
// takes the program's tab. The browser stays the program's: Close closes
// this Browser's tabs only, and cancelling ctx ends them and the browser.
func Adopt(ctx context.Context) (*Browser, error) {
	if chromedp.FromContext(ctx) == nil {
		return nil, fmt.Errorf("adopting a browser: %w: want one made by chromedp.NewContext", chromedp.ErrInvalidContext)
	}
	// The first run of a new context allocates its browser and attaches
	// to a tab; on a context that has run before it does nothing.
	if err := chromedp.Do(ctx); err != nil {
		return nil, fmt.Errorf("adopting a browser: %w", err)
	}
	if c := chromedp.FromContext(ctx); c.Browser == nil {
		return nil, errors.New("adopting a browser: the chromedp context has no browser")
	}
	b := &Browser{adopted: true}
	// A context of our own under the caller's: cancelling it closes the
	// tabs opened here, and leaves the caller's browser alone.
	b.ctx, b.cancel = context.WithCancel(ctx)
	if v, err := chromedp.CallBrowser(b.ctx, cdpbrowser.GetVersion, cdp.Empty{}); err == nil {
		b.version = v.Product
	}
	return b, nil
}
