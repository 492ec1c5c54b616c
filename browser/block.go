package browser

import (
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
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
	block     []ResourceType
	allow     map[string]bool // see AllowOrigins; nil allows all
	allowList []string
	maxPage   int64 // see MaxPageSize; 0 for no cap

	// viewport is Viewport's size; nil keeps Chrome's own.
	viewport *emulation.SetDeviceMetricsOverrideParams
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
