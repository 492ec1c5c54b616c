package browser

import (
	"context"
	"strings"

	"github.com/chromedp/cdproto/fetch"
	cdpio "github.com/chromedp/cdproto/io"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// contentPolicy is the Content-Security-Policy a tab with AllowOrigins
// adds to every document it loads, in every frame: the page's scripts
// may open no WebSocket (which the Fetch domain does not see), to any
// origin; RosterOn uses none. fetch, XHR, beacons and event sources stay
// allowed by the policy (http:, https:, blob:, data:) so that they reach
// the tab's interception, which refuses those going elsewhere and
// records them. A policy the server sent still applies too: each can
// only narrow what the others allow. Frames of no URL of their own
// (about:blank, srcdoc) inherit it.
//
// Chrome enforces a policy only from headers that come with a body given
// to Fetch.fulfillRequest: one added by Fetch.continueResponse, or by a
// fulfilment that keeps the original body, is ignored. So the document's
// body is read here, up to the tab's page size cap, and handed back.
const contentPolicy = "connect-src http: https: blob: data:"

// fulfillWithPolicy answers a document paused at its response with its
// own status, headers and body, plus contentPolicy. A body larger than
// the tab's cap is refused as a page too large; one that cannot be read
// fails the request, rather than go without the policy.
func (t *Tab) fulfillWithPolicy(ev *fetch.EventRequestPaused) {
	stream, err := chromedp.Call(t.ctx, fetch.TakeResponseBodyAsStream, fetch.TakeResponseBodyAsStreamParams{RequestID: ev.RequestID})
	if err != nil {
		t.fail(ev, network.ErrorReasonFailed)
		return
	}
	body, tooBig, err := t.readStream(t.ctx, stream.Stream)
	if tooBig {
		t.guard.add(&PageSizeError{URL: ev.Request.URL, Limit: t.guard.maxPage, Size: int64(len(body))}, ev.FrameID != t.rec.mainFrame())
		t.fail(ev, network.ErrorReasonAborted)
		return
	}
	if err != nil {
		t.fail(ev, network.ErrorReasonFailed)
		return
	}
	var headers []*fetch.HeaderEntry
	for _, h := range ev.ResponseHeaders {
		switch strings.ToLower(h.Name) {
		case "content-length", "content-encoding", "transfer-encoding":
			// The body handed back is whole and decoded.
			continue
		}
		headers = append(headers, h)
	}
	headers = append(headers, &fetch.HeaderEntry{Name: "Content-Security-Policy", Value: contentPolicy})
	_, err = chromedp.Call(t.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID:       ev.RequestID,
		ResponseCode:    ev.ResponseStatusCode,
		ResponsePhrase:  ev.ResponseStatusText,
		ResponseHeaders: headers,
		Body:            body,
	})
	if err != nil {
		t.fail(ev, network.ErrorReasonFailed)
	}
}

// readStream reads a DevTools stream whole, or until it holds more than
// the tab's page size cap (tooBig), and closes it.
func (t *Tab) readStream(ctx context.Context, h cdpio.StreamHandle) (body []byte, tooBig bool, err error) {
	defer func() { _, _ = chromedp.Call(ctx, cdpio.Close, cdpio.CloseParams{Handle: h}) }()
	for {
		res, err := chromedp.Call(ctx, cdpio.Read, cdpio.ReadParams{Handle: h, Size: 1 << 20})
		if err != nil {
			return body, false, err
		}
		body = append(body, res.Data...)
		if t.guard.maxPage > 0 && int64(len(body)) > t.guard.maxPage {
			return body, true, nil
		}
		if res.EOF {
			return body, false, nil
		}
	}
}
