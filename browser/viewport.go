package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Viewport makes the tab's window width by height CSS pixels, each scale
// device pixels across, laid out as a phone's when mobile: a page seen at
// phone width, as a test or a screenshot for the docs needs it. It is set
// when the tab opens and lasts until the tab closes.
func Viewport(width, height int64, scale float64, mobile bool) TabOption {
	return func(c *tabConfig) {
		c.viewport = &emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: height, DeviceScaleFactor: scale, Mobile: mobile,
			ScreenWidth: width, ScreenHeight: height,
		}
	}
}

// setViewport applies Viewport's size, if one was given, to the tab of
// ctx.
func (cfg tabConfig) setViewport(ctx context.Context) error {
	if cfg.viewport == nil {
		return nil
	}
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, *cfg.viewport)
	return err
}
