package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// SetScripts turns the running of pages' own scripts in the tab on or
// off (Emulation.setScriptExecutionDisabled). Off, a document the tab
// loads from then on is parsed and laid out as sent: none of its scripts,
// inline or linked, is compiled or run. What the tab itself runs in the
// page over DevTools still runs: Eval, HTML, WaitFor, Fill, Fetch and
// Submit's and Click's finding of the element to click, and a click
// still submits a form as Chrome's own code does. The setting lasts until
// it is changed; a new tab runs scripts.
func (t *Tab) SetScripts(ctx context.Context, on bool) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	_, err := chromedp.Call(c, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
	return t.opErr(ctx, c, err)
}
