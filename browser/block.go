package browser

import (
	"context"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ResourceType is a kind of subresource a tab may refuse to load.
type ResourceType = network.ResourceType

// Resource types worth blocking when only the DOM and scripts matter.
const (
	Stylesheet = network.ResourceTypeStylesheet
	Image      = network.ResourceTypeImage
	Font       = network.ResourceTypeFont
	Media      = network.ResourceTypeMedia
)

// TabOption configures a tab opened by NewTab.
type TabOption func(*tabConfig)

type tabConfig struct {
	block []ResourceType
}

// Block makes the tab fail every request for the given resource types
// before it leaves the browser. Documents, scripts and XHR are never
// blocked, so pages that build themselves by script still work.
func Block(types ...ResourceType) TabOption {
	return func(c *tabConfig) {
		for _, t := range types {
			switch t {
			case network.ResourceTypeDocument, network.ResourceTypeScript, network.ResourceTypeXHR, network.ResourceTypeFetch:
				continue
			}
			c.block = append(c.block, t)
		}
	}
}

// startBlocking turns on request interception for the blocked types and
// answers each paused request with a failure, in a goroutine that ends with
// the tab.
func (t *Tab) startBlocking(ctx context.Context, types []ResourceType) error {
	if len(types) == 0 {
		return nil
	}
	// Subscribe before enabling, so no paused request is missed; an
	// unanswered one would stall its page.
	paused := chromedp.Events(t.ctx, fetch.RequestPaused)
	patterns := make([]*fetch.RequestPattern, len(types))
	for i, typ := range types {
		patterns[i] = &fetch.RequestPattern{URLPattern: "*", ResourceType: typ}
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		return err
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(t.ctx, fetch.FailRequest, fetch.FailRequestParams{
				RequestID:   ev.RequestID,
				ErrorReason: network.ErrorReasonBlockedByClient,
			})
		}
	}()
	return nil
}
