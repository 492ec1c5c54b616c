//go:build !linux

package browser

import "github.com/chromedp/chromedp"

// processOptions keeps chromedp's defaults where process groups and
// Pdeathsig work differently.
func processOptions() []chromedp.ExecAllocatorOption { return nil }
