package browser

import (
	"context"
	"mime"
	"strings"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The tab's requests pass through the DevTools Fetch domain, which pauses
// them at the stages the patterns below name, so that the tab can:
//
//   - fail requests for blocked resource types before they leave Chrome;
//   - fail every request to an origin not allowed (see AllowOrigins);
//   - fail a document whose declared size is over the tab's cap;
//   - stop the navigation Submit waits for at its redirect;
//   - answer a document Render replays from memory.
//
// Each paused request is handled in a goroutine of its own, so that a
// response whose body is slow to arrive holds up nothing else.

// intercept subscribes to paused requests, then turns interception on.
func (t *Tab) intercept(ctx context.Context, cfg tabConfig) error {
	if err := cfg.setViewport(ctx); err != nil {
		return err
	}
	t.block = map[network.ResourceType]bool{}
	for _, typ := range cfg.block {
		t.block[typ] = true
	}
	t.guard = newGuard(cfg)
	if cfg.maxPage > 0 {
		t.rec.setLimit(cfg.maxPage, t.tooLarge)
	}
	patterns := t.patterns(false)
	if t.guard.allow != nil {
		// New windows are targets of their own, never paused here:
		// Page.windowOpen tells of them, even when Chrome refuses them.
		if err := chromedp.Listen(t.ctx, func(ev any) {
			switch ev := ev.(type) {
			case *page.EventWindowOpen:
				t.windowOpened(ev)
			case *page.EventFrameNavigated:
				t.committed(ev)
			}
		}); err != nil {
			return err
		}
	}
	// Subscribe before enabling, so no paused request is missed; an
	// unanswered one would stall its page.
	paused := chromedp.Events(t.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		return err
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			go t.paused(&ev)
		}
	}()
	return nil
}

// patterns are the requests the tab pauses; replay adds main-frame
// documents at the request stage, for Render.
func (t *Tab) patterns(replay bool) []*fetch.RequestPattern {
	patterns := []*fetch.RequestPattern{
		{URLPattern: "*", ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageResponse},
	}
	if t.guard != nil && t.guard.allow != nil || t.offline.Load() {
		// Every request, of every type, is checked for its origin.
		return append(patterns, &fetch.RequestPattern{URLPattern: "*", RequestStage: fetch.RequestStageRequest})
	}
	if replay {
		patterns = append(patterns, &fetch.RequestPattern{URLPattern: "*", ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageRequest})
	}
	for typ := range t.block {
		patterns = append(patterns, &fetch.RequestPattern{URLPattern: "*", ResourceType: typ, RequestStage: fetch.RequestStageRequest})
	}
	return patterns
}

func (t *Tab) paused(ev *fetch.EventRequestPaused) {
	atResponse := ev.ResponseStatusCode != 0 || ev.ResponseErrorReason != ""
	switch {
	case !atResponse && t.offline.Load():
		// Picture: the document comes from memory, and nothing else
		// leaves the tab (a frame, an object, a prefetch, a refresh).
		switch {
		case t.replayDocument(ev):
		case ev.ResourceType == network.ResourceTypeDocument && ev.FrameID == t.rec.mainFrame():
			// Aborted, as a navigation that ends in a download or
			// a 204 is: the page stays, with no error page over it.
			t.fail(ev, network.ErrorReasonAborted)
		default:
			t.fail(ev, network.ErrorReasonBlockedByClient)
		}
	case !atResponse && t.checkRequest(ev):
		// Refused: it may not go where it was going.
	case !atResponse && t.block[ev.ResourceType]:
		t.fail(ev, network.ErrorReasonBlockedByClient)
	case !atResponse && ev.ResourceType == network.ResourceTypeDocument:
		if !t.replayDocument(ev) {
			t.resume(ev)
		}
	case atResponse && ev.ResourceType == network.ResourceTypeDocument:
		if !t.declaredTooLarge(ev) {
			t.document(ev)
		}
	default:
		t.resume(ev)
	}
}

func (t *Tab) resume(ev *fetch.EventRequestPaused) {
	_, _ = chromedp.Call(t.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
}

func (t *Tab) fail(ev *fetch.EventRequestPaused, reason network.ErrorReason) {
	_, _ = chromedp.Call(t.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: reason})
}

// document handles a main-frame document's response. A redirect to a GET
// in the navigation Submit waits for stops the navigation: the redirect is
// recorded, its cookies are set (Chrome handled its headers when they
// arrived), and the tab stays on the page it showed. Anything else goes
// on at once.
func (t *Tab) document(ev *fetch.EventRequestPaused) {
	if ev.ResponseErrorReason != "" || ev.FrameID != t.rec.mainFrame() || !redirectsToGET(ev) {
		t.resume(ev)
		return
	}
	u := ev.Request.URL + ev.Request.URLFragment
	loc, err := resolve(u, fetchHeader(ev.ResponseHeaders, "Location"))
	if err != nil {
		// Followed, so a later redirect of the navigation can stop it.
		t.resume(ev)
		return
	}
	nav := t.claim(t.rec.position(ev.NetworkID))
	if nav == nil {
		t.resume(ev)
		return
	}
	t.rec.capture(ev.NetworkID, int(ev.ResponseStatusCode), ev.ResponseStatusText, headerMap(ev.ResponseHeaders))
	nav.setDoc(&Document{Response: Response{URL: u, Status: int(ev.ResponseStatusCode), StatusText: ev.ResponseStatusText}, Location: loc})
	t.fail(ev, network.ErrorReasonAborted)
	close(nav.stopped)
}

// replayDocument answers a main-frame document request that Render armed
// from memory; any other goes on.
func (t *Tab) replayDocument(ev *fetch.EventRequestPaused) bool {
	t.navMu.Lock()
	doc := t.replay
	if doc == nil || ev.FrameID != t.rec.mainFrame() || ev.Request == nil || ev.Request.URL != doc.URL {
		t.navMu.Unlock()
		return false
	}
	t.replay = nil
	t.navMu.Unlock()
	_, err := chromedp.Call(t.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID:       ev.RequestID,
		ResponseCode:    int64(doc.Status),
		ResponsePhrase:  doc.StatusText,
		ResponseHeaders: replayHeaders(doc.Header),
		Body:            doc.Body,
	})
	if err != nil {
		t.resume(ev)
	}
	return true
}

// replayHeaders are the header lines a replayed document is answered
// with. Its body is the one Fetch decoded to UTF-8, no longer the bytes
// the server sent: the lines that described those go, and Content-Type
// keeps its media type but names UTF-8, or Chrome would decode the body
// a second time from the server's charset. Set-Cookie goes too, as its
// cookies are set already.
func replayHeaders(header []HeaderField) []*fetch.HeaderEntry {
	mediaType := "text/html"
	var headers []*fetch.HeaderEntry
	for _, h := range header {
		switch strings.ToLower(h.Name) {
		case "set-cookie", "content-length", "content-encoding":
			continue
		case "content-type":
			if mt, _, err := mime.ParseMediaType(h.Value); err == nil {
				mediaType = mt
			}
			continue
		}
		headers = append(headers, &fetch.HeaderEntry{Name: h.Name, Value: h.Value})
	}
	return append(headers, &fetch.HeaderEntry{Name: "Content-Type", Value: mediaType + "; charset=utf-8"})
}

func fetchHeader(headers []*fetch.HeaderEntry, name string) string {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// redirectsToGET reports whether the response is a redirect that a
// browser follows with a GET: any for a GET, and 301, 302 and 303 for
// other methods. A 307 or 308 repeats a POST, body and all, which only the
// navigation itself can do.
func redirectsToGET(ev *fetch.EventRequestPaused) bool {
	code := ev.ResponseStatusCode
	if code < 300 || code > 399 || fetchHeader(ev.ResponseHeaders, "Location") == "" {
		return false
	}
	return ev.Request != nil && ev.Request.Method == "GET" || code == 301 || code == 302 || code == 303
}

func headerMap(headers []*fetch.HeaderEntry) network.Headers {
	h := network.Headers{}
	for _, e := range headers {
		if prev, ok := h[e.Name].(string); ok {
			h[e.Name] = prev + "\n" + e.Value
			continue
		}
		h[e.Name] = e.Value
	}
	return h
}
