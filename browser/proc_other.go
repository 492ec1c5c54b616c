//go:build !linux

package browser

import "github.com/chromedp/chromedp"

// processOptions keeps chromedp's defaults where process groups and
// Pdeathsig work differently.
func processOptions() []chromedp.ExecAllocatorOption { return nil }

// killGroup leaves stopping Chrome to chromedp where process groups differ.
func killGroup(pid int) {}
