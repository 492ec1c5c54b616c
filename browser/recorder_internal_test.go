package browser

import (
	"time"

	"github.com/chromedp/cdproto/cdp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Finding Fetch's exchange costs the same however many exchanges, and
// bodies, came before it: none of those is copied.
// (Not parallel: testing.AllocsPerRun counts every goroutine's.)
func TestFetchedCopiesNoOtherExchange(t *testing.T) {
	r := newRecorder()
	body := []byte(strings.Repeat("x", 1<<10))
	add := func(id network.RequestID, fetched bool) {
		x := &exchange{id: id, responded: true, fetched: fetched, finished: true, bodyRead: true}
		x.URL, x.Status, x.Body = "http://site/"+string(id), 200, body
		r.list = append(r.list, x)
		r.byID[id] = append(r.byID[id], x)
		r.raw[id] = append(r.raw[id], rawResponse{status: 200, text: "HTTP/1.1 200 OK\r\nX-Id: " + string(id) + "\r\n"})
	}
	for i := range 100 {
		add(network.RequestID(strings.Repeat("p", i+1)), false)
	}
	add("f", true)

	x, ok := r.fetched(50)
	require.True(t, ok)
	assert.Equal(t, "http://site/f", x.URL)
	assert.Equal(t, []HeaderField{{"X-Id", "f"}}, x.Header)
	assert.Equal(t, "OK", x.StatusText)
	allocs := testing.AllocsPerRun(100, func() { r.fetched(50) })
	assert.Less(t, allocs, 50.0, "allocations to find one exchange among 101")
}

// documentRequest feeds r the events of a main-frame document request
// that got its response, whose loading has not finished.
func documentRequest(r *recorder, id network.RequestID) {
	r.handle(&network.EventRequestWillBeSent{RequestID: id, FrameID: "F", Type: network.ResourceTypeDocument,
		Request: &network.Request{Method: "GET", URL: "http://site/" + string(id)}, Timestamp: cdp.MonotonicTime(10)})
	r.handle(&network.EventResponseReceived{RequestID: id, Response: &network.Response{Status: 200, StatusText: "OK"}})
}

// An exchange is handed out once its loading has finished, not frozen
// while Chrome has yet to tell of that.
func TestSinceWaitsForTheExchangeToComplete(t *testing.T) {
	r := newRecorder()
	r.setMainFrame("F")
	documentRequest(r, "a")
	got := make(chan []Exchange, 1)
	go func() { got <- r.since(0, time.Minute, nil) }()
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.waiters == 1
	}, 30*time.Second, time.Millisecond, "since waits")
	r.handle(&network.EventLoadingFinished{RequestID: "a", Timestamp: cdp.MonotonicTime(10.5)})
	xs := <-got
	require.Len(t, xs, 1)
	assert.Equal(t, 500*time.Millisecond, xs[0].Duration)
	assert.Equal(t, 200, xs[0].Status)
}

// The wait is bounded: by its time, and by the tab going away.
func TestSinceWaitIsBounded(t *testing.T) {
	r := newRecorder()
	r.setMainFrame("F")
	documentRequest(r, "a")
	xs := r.since(0, time.Millisecond, nil)
	require.Len(t, xs, 1)
	assert.Zero(t, xs[0].Duration, "still under way")
	gone := make(chan struct{})
	close(gone)
	xs = r.since(0, time.Hour, gone)
	require.Len(t, xs, 1)
	assert.Zero(t, xs[0].Duration)
}

// Counting exchanges copies none, and taking the latest copies none of
// those before them.
// (Not parallel: testing.AllocsPerRun counts every goroutine's.)
func TestCountingAndTakingTheLatestCopyNothingElse(t *testing.T) {
	r := newRecorder()
	body := []byte(strings.Repeat("x", 1<<10))
	for i := range 100 {
		id := network.RequestID(strings.Repeat("p", i+1))
		x := &exchange{id: id, responded: true, finished: true, complete: true, bodyRead: true}
		x.URL, x.Status, x.Body = "http://site/"+string(id), 200, body
		r.list = append(r.list, x)
		r.byID[id] = append(r.byID[id], x)
	}
	tab := &Tab{rec: r}
	assert.Equal(t, 100, tab.ExchangeCount())
	assert.Zero(t, testing.AllocsPerRun(100, func() { tab.ExchangeCount() }))
	require.Len(t, r.since(99, time.Second, nil), 1)
	allocs := testing.AllocsPerRun(100, func() { r.since(99, time.Second, nil) })
	assert.Less(t, allocs, 20.0, "allocations to take one exchange of 100")
}
