package browser

import (
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
