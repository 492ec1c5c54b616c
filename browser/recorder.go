package browser

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// Exchange is one main-frame document request, one request of Fetch's,
// or one XHR or fetch() request the page's own scripts made, and its
// response. A redirect is an exchange of its own: the request that got
// the 3xx, with that response's status and headers. The page's static
// resources (scripts, styles, images, fonts) are not exchanges.
type Exchange struct {
	// Start is the wall-clock time Chrome began the request.
	Start  time.Time
	Method string
	URL    string
	// Status is 0 when no response arrived; Error then says why.
	Status     int
	StatusText string
	// Header is the response's header lines in the order the server sent
	// them when Chrome saw the raw header text (HTTP/1.x), else sorted by
	// name. A header sent several times gives several lines.
	Header []HeaderField
	// Body is the response body as received, when Chrome kept one (it
	// keeps none for redirects). With MaxPageSize, the page's own XHR
	// and fetch() requests keep theirs only while, all together, they
	// stay within that size: a page's script cannot fill the record.
	Body []byte
	// Error is the browser's error text for a request that failed, such
	// as "net::ERR_CONNECTION_REFUSED".
	Error string
	// Duration is how long the exchange took by Chrome's clock: from the
	// request to the end of the response (to the redirect, for one), or
	// to the failure. It is 0 while the exchange is under way.
	Duration time.Duration
}

// HeaderField is one response header line.
type HeaderField struct {
	Name  string
	Value string
}

// exchange is an Exchange under construction.
type exchange struct {
	Exchange
	id        network.RequestID
	began     cdp.MonotonicTime
	responded bool // a response (final or redirect) arrived
	redirect  bool
	finished  bool // loading finished: the body can be fetched
	// complete is set once the exchange has ended: its loading finished
	// or failed, or it was redirected.
	complete bool
	bodyRead bool
	// text is the body as Fetch's function read it, kept as the string
	// it came as (Body is then empty): it cannot change, so the record
	// and the Document Fetch returns need no copy each.
	text string
	// fromMain holds the headers of the main response event, used when
	// no raw headers arrive.
	fromMain network.Headers
	// fetched marks a request of Tab.Fetch's, a fetch() in the page.
	fetched bool
	// document marks a main-frame document request, whose bytes count
	// against the size cap.
	document bool
	// failure is Chrome's error text when loading failed, with or
	// without a response (Error has it only without).
	failure string
	// received counts a document's bytes as they arrive, for the
	// size cap; tooLarge is set once they exceed it.
	received int64
	tooLarge bool
	// unkept is set on a page's own request whose body grew past the
	// size cap: the page may use it, but the record keeps no body.
	unkept bool
}

// rawResponse is one Network.responseReceivedExtraInfo: the headers as they
// came over the wire.
type rawResponse struct {
	status  int
	headers network.Headers
	text    string
}

// recorder turns a tab's network events into exchanges. Its handle method
// runs in the tab's event loop, in the order Chrome sent the events, so it
// only records; commands (such as reading bodies) run elsewhere.
type recorder struct {
	mu    sync.Mutex
	frame cdp.FrameID
	list  []*exchange
	byID  map[network.RequestID][]*exchange
	raw   map[network.RequestID][]rawResponse
	// context is the unique id of the main frame's default JavaScript
	// context and origin its page's origin, "" when there is none
	// (between documents).
	context, origin string
	// ignore is the URL of a main-frame document request not to record:
	// a document replayed from memory, which never reaches the network.
	ignore string
	// maxPage caps a document's bytes (see MaxPageSize), 0 for none;
	// oversize is called, in a goroutine of its own, for one that
	// exceeds it.
	maxPage int64
	// scriptKept is the bytes of the bodies kept of the page's own
	// requests, which together may not pass maxPage.
	scriptKept int64
	oversize   func(url string, received int64)
	// refused is the requests refused for their origin: their URLs are
	// recorded without query or fragment, which may hold what was
	// typed into the page (a form sent with GET).
	refused map[network.RequestID]bool
	// inflight is the main frame's requests of any kind under way, and
	// lastNet when one last began or ended, for Settle.
	inflight map[network.RequestID]bool
	lastNet  time.Time
	// wake is closed, and replaced, whenever an exchange completes;
	// waiters counts those waiting on it (tests watch it).
	wake    chan struct{}
	waiters int
}

// activity returns how many of the main frame's requests are under way
// and when one last began or ended.
func (r *recorder) activity() (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.inflight), r.lastNet
}

// track keeps count of the main frame's requests under way.
func (r *recorder) track(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if r.frame != "" && ev.FrameID == r.frame {
			if ev.Type == network.ResourceTypeDocument && ev.RedirectResponse == nil {
				// A new page: what the old one had under way is
				// no longer its business.
				clear(r.inflight)
			}
			r.inflight[ev.RequestID] = true
			r.lastNet = time.Now()
		}
	case *network.EventLoadingFinished:
		if r.inflight[ev.RequestID] {
			delete(r.inflight, ev.RequestID)
			r.lastNet = time.Now()
		}
	case *network.EventLoadingFailed:
		if r.inflight[ev.RequestID] {
			delete(r.inflight, ev.RequestID)
			r.lastNet = time.Now()
		}
	}
}

// redact marks a request refused for its origin (see refused) and
// strips the URL of its exchange recorded last, in case its event came
// first.
func (r *recorder) redact(id network.RequestID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused == nil {
		r.refused = map[network.RequestID]bool{}
	}
	r.refused[id] = true
	if x := r.last(id); x != nil {
		x.URL = redactedURL(x.URL)
	}
}

func (r *recorder) setLimit(n int64, oversize func(string, int64)) {
	r.mu.Lock()
	r.maxPage, r.oversize = n, oversize
	r.mu.Unlock()
}

func newRecorder() *recorder {
	return &recorder{
		byID:     map[network.RequestID][]*exchange{},
		raw:      map[network.RequestID][]rawResponse{},
		inflight: map[network.RequestID]bool{},
		wake:     make(chan struct{}),
	}
}

func (r *recorder) setMainFrame(id cdp.FrameID) {
	r.mu.Lock()
	r.frame = id
	r.mu.Unlock()
}

func (r *recorder) mainFrame() cdp.FrameID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frame
}

func (r *recorder) handle(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.track(ev)
	switch ev.(type) {
	case *network.EventRequestWillBeSent, *network.EventLoadingFinished, *network.EventLoadingFailed:
		// These are the events that end an exchange.
		defer r.notify()
	}
	switch ev := ev.(type) {
	case *runtime.EventExecutionContextCreated:
		if ev.Context != nil && isDefaultContextOf(ev.Context, r.frame) {
			r.context, r.origin = ev.Context.UniqueID, ev.Context.Origin
		}
	case *runtime.EventExecutionContextDestroyed:
		if ev.ExecutionContextUniqueID == r.context {
			r.context, r.origin = "", ""
		}
	case *runtime.EventExecutionContextsCleared:
		r.context, r.origin = "", ""
	case *network.EventRequestWillBeSent:
		if r.frame == "" || ev.FrameID != r.frame {
			return
		}
		prev := r.last(ev.RequestID)
		// A page may have replaced fetch() by one of its own, which may
		// use XMLHttpRequest.
		byScript := ev.Type == network.ResourceTypeFetch || ev.Type == network.ResourceTypeXHR
		fetched := byScript && (prev != nil && prev.fetched || isFetchMarked(ev.Initiator))
		if ev.Type != network.ResourceTypeDocument && !byScript {
			// A static resource of the page: a script, a style, an
			// image. The page's own XHR and fetch() requests are
			// recorded, as they may carry what the page shows.
			return
		}
		if ev.Type == network.ResourceTypeDocument && ev.RedirectResponse == nil && r.ignore != "" && ev.Request != nil && ev.Request.URL == r.ignore {
			r.ignore = ""
			return
		}
		if ev.RedirectResponse != nil {
			if prev != nil && !prev.responded {
				prev.setResponse(ev.RedirectResponse)
				prev.redirect = true
				prev.ended(ev.Timestamp)
			}
		}
		x := &exchange{id: ev.RequestID, began: ev.Timestamp, fetched: fetched, document: ev.Type == network.ResourceTypeDocument}
		x.Start = wallTime(ev.WallTime)
		if ev.Request != nil {
			x.Method = ev.Request.Method
			x.URL = ev.Request.URL + ev.Request.URLFragment
			if r.refused[ev.RequestID] {
				x.URL = redactedURL(x.URL)
			}
		}
		r.list = append(r.list, x)
		r.byID[ev.RequestID] = append(r.byID[ev.RequestID], x)
	case *network.EventResponseReceived:
		if x := r.last(ev.RequestID); x != nil && !x.responded && ev.Response != nil {
			x.setResponse(ev.Response)
		}
	case *network.EventResponseReceivedExtraInfo:
		// Extra info can arrive before the request is known to be a
		// main-frame document, so keep it for every request until
		// exchanges() pairs it.
		r.raw[ev.RequestID] = append(r.raw[ev.RequestID], rawResponse{
			status: int(ev.StatusCode), headers: ev.Headers, text: ev.HeadersText,
		})
	case *network.EventDataReceived:
		// Fetch's requests count their own bytes, in the page; the
		// page's own XHRs are not pages.
		x := r.last(ev.RequestID)
		if x == nil || x.fetched || r.maxPage <= 0 || x.tooLarge || x.unkept {
			return
		}
		x.received += ev.DataLength
		if x.received <= r.maxPage {
			return
		}
		if x.document {
			x.tooLarge = true
			go r.oversize(x.URL, x.received)
		} else {
			// Not a page, so nothing to stop: only not kept, so that
			// a page's script cannot fill the record, and the logs,
			// with a body of any size.
			x.unkept = true
		}
	case *network.EventLoadingFinished:
		if x := r.last(ev.RequestID); x != nil {
			x.finished = true
			x.ended(ev.Timestamp)
		}
	case *network.EventLoadingFailed:
		x := r.last(ev.RequestID)
		if x == nil {
			return
		}
		if x.fetched && !x.responded && ev.ErrorText == "net::ERR_ABORTED" && len(r.byID[ev.RequestID]) > 1 {
			// A fetch with redirect: 'manual' is told of the redirect
			// and stops there; Chrome reports the hop it did not make
			// as a request aborted before it left.
			r.drop(x)
			return
		}
		x.ended(ev.Timestamp)
		x.failure = ev.ErrorText
		if !x.responded {
			x.Error = ev.ErrorText
			if ev.BlockedReason != "" {
				x.Error += " (" + string(ev.BlockedReason) + ")"
			}
		}
	}
}

func (r *recorder) last(id network.RequestID) *exchange {
	xs := r.byID[id]
	if len(xs) == 0 {
		return nil
	}
	return xs[len(xs)-1]
}

// ended records when the exchange ended, on the clock of its start.
func (x *exchange) ended(at cdp.MonotonicTime) {
	x.complete = true
	if x.Duration == 0 && at > x.began && x.began > 0 {
		x.Duration = time.Duration((float64(at) - float64(x.began)) * float64(time.Second)).Round(time.Microsecond)
	}
}

func (x *exchange) setResponse(resp *network.Response) {
	x.responded = true
	x.Status = int(resp.Status)
	x.StatusText = resp.StatusText
	x.fromMain = resp.Headers
	if resp.URL != "" && x.URL == "" {
		x.URL = resp.URL
	}
}

// page returns the unique id of the main frame's JavaScript context and
// the origin of its page, "" for both when there is none.
func (r *recorder) page() (context, origin string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.context, r.origin
}

func isDefaultContextOf(c *runtime.ExecutionContextDescription, frame cdp.FrameID) bool {
	var aux struct {
		IsDefault bool        `json:"isDefault"`
		FrameID   cdp.FrameID `json:"frameId"`
	}
	if len(c.AuxData) == 0 || json.Unmarshal(c.AuxData, &aux) != nil {
		return false
	}
	return aux.IsDefault && frame != "" && aux.FrameID == frame
}

func (r *recorder) pendingBodies() []network.RequestID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []network.RequestID
	for _, x := range r.list {
		if x.finished && !x.redirect && x.responded && !x.bodyRead {
			if !x.document && !x.fetched && r.maxPage > 0 && !x.unkept {
				// The page's own requests share one budget, the
				// size of a page, so that many of them cannot fill
				// the record either.
				if r.scriptKept+x.received > r.maxPage {
					x.unkept = true
				} else {
					r.scriptKept += x.received
				}
			}
			if x.unkept {
				x.bodyRead = true
				continue
			}
			ids = append(ids, x.id)
		}
	}
	return ids
}

func (r *recorder) setBody(id network.RequestID, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.byID[id] {
		if x.finished && !x.redirect && !x.bodyRead {
			x.bodyRead = true
			if err == nil {
				x.Body = body
			}
		}
	}
}

// exchanges returns copies of the exchanges with their headers resolved:
// the k-th raw response of a request belongs to its k-th exchange that got
// a response, when the status codes agree.
func (r *recorder) exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exchangesLocked()
}

// notify wakes those waiting for exchanges to complete. Call it with mu
// held.
func (r *recorder) notify() {
	close(r.wake)
	r.wake = make(chan struct{})
}

// since returns copies of the exchanges recorded from index from on, as
// exchanges() would, once each of them has completed, or once wait has
// passed or gone is closed, whichever comes first: those still under way
// then are returned as they are.
func (r *recorder) since(from int, wait time.Duration, gone <-chan struct{}) []Exchange {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		pending := false
		for _, x := range r.list[min(from, len(r.list)):] {
			if !x.complete {
				pending = true
				break
			}
		}
		if !pending {
			defer r.mu.Unlock()
			return r.sinceLocked(from)
		}
		wake := r.wake
		r.waiters++
		r.mu.Unlock()
		woken := false
		select {
		case <-wake:
			woken = true
		case <-timer.C:
		case <-gone:
		}
		r.mu.Lock()
		r.waiters--
		if woken {
			r.mu.Unlock()
			continue
		}
		defer r.mu.Unlock()
		return r.sinceLocked(from)
	}
}

// sinceLocked copies the exchanges from index from on; the ones before
// are only counted, for pairing raw responses.
func (r *recorder) sinceLocked(from int) []Exchange {
	out := make([]Exchange, 0, max(len(r.list)-from, 0))
	used := map[network.RequestID]int{}
	for i, x := range r.list {
		raw := r.rawFor(x, used)
		if i >= from {
			out = append(out, x.resolved(raw))
		}
	}
	return out
}

func (r *recorder) exchangesLocked() []Exchange {
	out := make([]Exchange, 0, len(r.list))
	used := map[network.RequestID]int{}
	for _, x := range r.list {
		out = append(out, x.resolved(r.rawFor(x, used)))
	}
	return out
}

// rawFor returns the raw response that belongs to x, nil when none does,
// and counts it as taken: used counts those each request's earlier
// exchanges took. Call it for every exchange in order.
func (r *recorder) rawFor(x *exchange, used map[network.RequestID]int) *rawResponse {
	if !x.responded {
		return nil
	}
	raws := r.raw[x.id]
	k := used[x.id]
	if k < len(raws) && raws[k].status == x.Status {
		used[x.id] = k + 1
		return &raws[k]
	}
	return nil
}

// resolved returns a copy of x with its headers resolved from raw, the
// raw response that belongs to it, else from the response event.
func (x *exchange) resolved(raw *rawResponse) Exchange {
	e := x.Exchange
	e.Body = slices.Clone(x.Body)
	if x.text != "" {
		e.Body = []byte(x.text)
	}
	if !x.responded {
		return e
	}
	var hdr []HeaderField
	if raw != nil {
		var reason string
		hdr, reason = parseHeadersText(raw.text)
		if hdr == nil {
			hdr = sortedHeaders(raw.headers)
		}
		if e.StatusText == "" {
			e.StatusText = reason
		}
	}
	if hdr == nil {
		hdr = sortedHeaders(x.fromMain)
	}
	e.Header = hdr
	return e
}

// parseHeadersText reads raw HTTP/1.x response header text ("HTTP/1.1 200
// OK\r\nName: value\r\n…"), keeping order and repeated names.
func parseHeadersText(text string) ([]HeaderField, string) {
	if text == "" {
		return nil, ""
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var reason string
	if parts := strings.SplitN(lines[0], " ", 3); len(parts) == 3 && strings.HasPrefix(parts[0], "HTTP/") {
		reason = parts[2]
	}
	hdr := []HeaderField{}
	for _, line := range lines[1:] {
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		hdr = append(hdr, HeaderField{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return hdr, reason
}

// sortedHeaders turns DevTools' header map (repeated headers joined by
// newlines) into lines sorted by name, since the map lost the order.
func sortedHeaders(h network.Headers) []HeaderField {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	hdr := []HeaderField{}
	for _, name := range names {
		var s string
		switch v := h[name].(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			continue
		}
		for _, line := range strings.Split(s, "\n") {
			hdr = append(hdr, HeaderField{Name: name, Value: line})
		}
	}
	return hdr
}

func wallTime(t cdp.TimeSinceEpoch) time.Time {
	f := float64(t)
	if f <= 0 {
		return time.Now()
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}
