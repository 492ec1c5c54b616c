package browser

import (
	"context"
	"fmt"
	"strconv"

	"errors"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrPageTooLarge is matched by *PageSizeError.
var ErrPageTooLarge = errors.New("the page is larger than the size cap")

// PageSizeError is the error of a tab operation whose document, or
// fetched body, is larger than the tab's MaxPageSize: its loading was
// stopped, at its headers when they declared the size, else once that
// many bytes had arrived.
type PageSizeError struct {
	URL string
	// Limit is the cap, in bytes.
	Limit int64
	// Size is the size the headers declared, or the bytes that had
	// arrived when loading stopped.
	Size int64
}

func (e *PageSizeError) Error() string {
	return fmt.Sprintf("the page at %s is larger than the %s cap on pages read (%s or more)", e.URL, sizeText(e.Limit), sizeText(e.Size))
}

// Is makes the error match ErrPageTooLarge.
func (e *PageSizeError) Is(target error) bool { return target == ErrPageTooLarge }

// sizeText writes n bytes for people: in MiB when it is a whole number
// of them, else in bytes.
func sizeText(n int64) string {
	const mib = 1 << 20
	if n >= mib && n%mib == 0 {
		return strconv.FormatInt(n/mib, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// MaxPageSize caps the size of the documents the tab loads (those it
// navigates to, in any frame) and of the bodies Fetch reads, at n bytes;
// 0, the default, sets no cap. A larger one is stopped, before it reaches
// the page when its Content-Length says so, else as soon as more than n
// bytes have arrived, and the operation fails with a *PageSizeError. A
// huge page costs Chrome's processes many times its size in memory.
func MaxPageSize(n int64) TabOption {
	return func(c *tabConfig) { c.maxPage = max(n, 0) }
}

// declaredTooLarge refuses a document paused at its response whose
// Content-Length exceeds the tab's cap, and reports whether it did.
func (t *Tab) declaredTooLarge(ev *fetch.EventRequestPaused) bool {
	if t.guard == nil || t.guard.maxPage == 0 || ev.ResponseErrorReason != "" {
		return false
	}
	n, err := strconv.ParseInt(fetchHeader(ev.ResponseHeaders, "Content-Length"), 10, 64)
	if err != nil || n <= t.guard.maxPage {
		return false
	}
	u := ev.Request.URL
	t.guard.add(&PageSizeError{URL: u, Limit: t.guard.maxPage, Size: n}, ev.FrameID != t.rec.mainFrame())
	t.fail(ev, network.ErrorReasonAborted)
	return true
}

// tooLarge is called, in a goroutine of its own, when more than the
// cap's bytes of a main-frame document have arrived: it records the
// refusal and stops the page loading.
func (t *Tab) tooLarge(url string, received int64) {
	t.guard.add(&PageSizeError{URL: url, Limit: t.guard.maxPage, Size: received}, false)
	ctx, cancel := context.WithTimeout(t.ctx, abortTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.StopLoading, cdp.Empty{}); err != nil {
		// The operation would wait on for a page that never ends.
		t.guard.add(&PageSizeError{URL: url, Limit: t.guard.maxPage, Size: received}, true)
	}
}
