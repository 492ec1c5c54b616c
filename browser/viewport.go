package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// SetViewport makes the tab's window width by height CSS pixels, each
// scale device pixels across, laid out as a phone's when mobile: what a
// test of a page at phone width needs. It lasts until the tab closes.
func (t *Tab) SetViewport(ctx context.Context, width, height int64, scale float64, mobile bool) error {
	c, cancel := t.bind(ctx)
	defer cancel()
	_, err := chromedp.Call(c, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: scale, Mobile: mobile,
		ScreenWidth: width, ScreenHeight: height,
	})
	return t.opErr(ctx, c, err)
}
