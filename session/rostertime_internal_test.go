package session

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rosteron/rosteron/browser"
)

// A snapshot's time is the roster page's own Date, not that of a request
// its scripts made after it (in RenderAlways, a page's XHR is among the
// step's exchanges), nor of a request that got no answer.
func TestRosterTimeIsThePagesDate(t *testing.T) {
	const page = "https://rosteron.example.com/RosterOnProd/Mobile/Roster/List?pageNo=1&row=1"
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	began := start.Add(50 * time.Millisecond)
	xs := []browser.Exchange{
		{URL: page, Status: 200, Start: began, Header: []browser.HeaderField{{Name: "Date", Value: "Fri, 04 Dec 2026 09:00:01 GMT"}}},
		{URL: page + "&part=list", Status: 200, Start: began.Add(time.Second), Header: []browser.HeaderField{{Name: "Date", Value: "Fri, 04 Dec 2026 09:00:09 GMT"}}},
		{URL: page, Status: 0, Start: began.Add(2 * time.Second), Error: "net::ERR_ABORTED"},
	}
	assert.Equal(t, time.Date(2026, 12, 4, 9, 0, 1, 0, time.UTC), rosterTime(xs, page, start))

	// Without a Date header, when the page's request began; without
	// the page's exchange, the step's start.
	xs[0].Header = nil
	assert.Equal(t, began, rosterTime(xs, page, start))
	assert.Equal(t, start, rosterTime(xs[1:], page, start))
	assert.Equal(t, start, rosterTime(nil, page, start))
}

// Work in the browser alone that fails is the browser's failure; running
// out of time stays the step's, and typed errors keep their type.
func TestBrowserFault(t *testing.T) {
	var be *BrowserError
	assert.ErrorAs(t, browserFault(PurposeRoster, errors.New("Runtime.evaluate: target closed")), &be)
	assert.ErrorIs(t, browserFault(PurposeRoster, errors.New("x")), ErrBrowser)

	var bad *BadResponseError
	err := browserFault(PurposeRoster, fmt.Errorf("settling: %w", context.DeadlineExceeded))
	assert.ErrorAs(t, err, &bad)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrBrowser)

	given := &BadResponseError{Purpose: PurposeRoster, Reason: "got a page"}
	assert.Same(t, given, browserFault(PurposeRoster, given))
}

// The password is scrubbed from what the record holds, as typed and as a
// URL carries it, and nothing else is touched.
func TestScrubSecret(t *testing.T) {
	const pw = "p@ss w/rd&1"
	header := []browser.HeaderField{{Name: "Location", Value: "/x?p=p%40ss+w%2Frd%261"}, {Name: "Server", Value: "Kestrel"}}
	xs := []browser.Exchange{{
		URL:    "https://rosteron.example.com/echo/p@ss%20w%2Frd&1?p=p%40ss+w%2Frd%261",
		Header: header,
		Body:   []byte("you sent p@ss w/rd&1"),
	}, {URL: "https://rosteron.example.com/Roster/List", Body: []byte("<ul></ul>")}}
	got := scrubSecret(xs, pw)
	assert.Equal(t, "https://rosteron.example.com/echo/[PASSWORD]?p=[PASSWORD]", got[0].URL)
	assert.Equal(t, "/x?p=[PASSWORD]", got[0].Header[0].Value)
	assert.Equal(t, "Kestrel", got[0].Header[1].Value)
	assert.Equal(t, "you sent [PASSWORD]", string(got[0].Body))
	assert.Equal(t, "/x?p=p%40ss+w%2Frd%261", header[0].Value, "the recorder's own header slice is not written to")
	assert.Equal(t, "<ul></ul>", string(got[1].Body))
	assert.Equal(t, xs, scrubSecret(xs, ""), "no password, nothing to scrub")
}
