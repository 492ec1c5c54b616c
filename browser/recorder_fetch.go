package browser

import (
	"github.com/chromedp/cdproto/network"
)

// The recorder's side of Fetch, Submit and Render: finding Fetch's own
// requests, forgetting the redirect hops a manual fetch never makes, and
// recording a navigation stopped at its redirect.

// drop forgets x, the latest exchange of its request.
func (r *recorder) drop(x *exchange) {
	xs := r.byID[x.id]
	r.byID[x.id] = xs[:len(xs)-1]
	for i := len(r.list) - 1; i >= 0; i-- {
		if r.list[i] == x {
			r.list = append(r.list[:i], r.list[i+1:]...)
			break
		}
	}
}

// isFetchMarked reports whether Tab.Fetch's function started the request.
func isFetchMarked(in *network.Initiator) bool {
	if in == nil || in.Stack == nil {
		return false
	}
	for st := in.Stack; st != nil; st = st.Parent {
		for _, f := range st.CallFrames {
			if f.FunctionName == fetchMarker {
				return true
			}
		}
	}
	return false
}

// fetched returns the first exchange of Tab.Fetch's recorded at or after
// index from, with its headers resolved. The exchanges before it are only
// counted (which raw response belongs to which needs that), not copied.
func (r *recorder) fetched(from int) (exchangeRef, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	used := map[network.RequestID]int{}
	for i, x := range r.list {
		raw := r.rawFor(x, used)
		if i >= from && x.fetched {
			return exchangeRef{Exchange: x.resolved(raw), id: x.id, failure: x.failure}, true
		}
	}
	return exchangeRef{}, false
}

// exchangeRef is an exchange, its request's id and how its loading failed.
type exchangeRef struct {
	Exchange
	id      network.RequestID
	failure string
}

// ignoreNext makes the recorder skip the next main-frame document request
// for rawURL.
func (r *recorder) ignoreNext(rawURL string) {
	r.mu.Lock()
	r.ignore = rawURL
	r.mu.Unlock()
}

// count is the number of exchanges recorded so far.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.list)
}

// position is the index of the latest exchange of request id, -1 when
// there is none.
func (r *recorder) position(id network.RequestID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.last(id)
	if x == nil {
		return -1
	}
	for i := len(r.list) - 1; i >= 0; i-- {
		if r.list[i] == x {
			return i
		}
	}
	return -1
}

// keepBody records the body of request id's latest exchange, taken as it
// arrived, so that no round trip is spent reading it back later.
func (r *recorder) keepBody(id network.RequestID, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if x := r.last(id); x != nil && !x.bodyRead {
		x.bodyRead = true
		x.text = body
	}
}

// capture records the response of request id's latest exchange for a
// navigation stopped once its body had arrived, which Chrome reports as
// aborted and without a response event: the status comes from the paused
// request, the header lines from the raw response as for any exchange
// (header is their fallback), the body from keepBody.
func (r *recorder) capture(id network.RequestID, status int, statusText string, header network.Headers) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.last(id)
	if x == nil || x.responded {
		return
	}
	x.responded = true
	x.Status = status
	x.StatusText = statusText
	x.fromMain = header
}
