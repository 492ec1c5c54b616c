package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

func TestNoRosterYetIs503(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	for _, name := range []string{ICSName, JSONName} {
		rec := get(h, "GET", "/"+testToken+"/"+name)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, name)
		assert.Equal(t, strconv.Itoa(retryAfterDefault), rec.Header().Get("Retry-After"))
		assert.Empty(t, rec.Header().Get("ETag"))
		assert.NotContains(t, rec.Body.String(), "BEGIN:VCALENDAR", "never an empty calendar")
	}
	// Once a refresh is scheduled, Retry-After says when.
	f.Fail(errors.New("connection refused"))
	f.setNext(c.Now().Add(90 * time.Second))
	rec := get(h, "GET", "/"+testToken+"/"+ICSName)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "90", rec.Header().Get("Retry-After"))

	rec = get(h, "GET", "/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var hl Health
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &hl))
	assert.False(t, hl.OK)
	assert.Equal(t, StateStarting, hl.State)
	assert.Nil(t, hl.LastSuccess)
	assert.NotContains(t, rec.Body.String(), "connection refused", "no error text without the token")

	// With the token, the detail.
	rec = get(h, "GET", "/"+testToken+"/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var st Status
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	assert.Equal(t, "connection refused", st.LastError)
	assert.Equal(t, http.StatusNotFound, get(h, "GET", "/not-the-token-0123456789/healthz").Code)
}

func TestServesBothFeeds(t *testing.T) {
	t.Parallel()
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	f, c := newTestFeed(t, WithLocation(mel), WithCalendarName("Joe's shifts"), WithRefreshInterval(time.Hour))
	s := snap(c.Now(), "Ward 4B", "Ward 5")
	_, err = f.Update(s)
	require.NoError(t, err)
	c.Add(42 * time.Second)
	h := Handler(f, testToken)

	var ics, js bytes.Buffer
	// The first calendar, without history: WriteICS's UIDs.
	_, err = export.WriteICSFeed(&ics, s, mel, nil, s.Time, export.WithCalendarName("Joe's shifts"), export.WithRefreshInterval(time.Hour))
	require.NoError(t, err)
	require.NoError(t, export.WriteShiftsJSON(&js, s, mel))

	rec := get(h, "GET", "/"+testToken+"/roster.ics")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/calendar; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, ics.String(), rec.Body.String())
	assert.Contains(t, rec.Body.String(), "X-WR-CALNAME:Joe's shifts")
	assert.Contains(t, rec.Body.String(), "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n")
	assert.Equal(t, "2026-04-01T08:03:12Z", rec.Header().Get(HeaderFetched))
	assert.Equal(t, "42", rec.Header().Get(HeaderAge))
	assert.Equal(t, "false", rec.Header().Get(HeaderStale))
	assert.Equal(t, "Wed, 01 Apr 2026 08:03:12 GMT", rec.Header().Get("Last-Modified"))
	assert.Regexp(t, `^"[A-Za-z0-9_-]{24}"$`, rec.Header().Get("ETag"), "a strong ETag")
	assert.Contains(t, rec.Header().Get("Cache-Control"), "private")

	rec = get(h, "GET", "/"+testToken+"/roster.json")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, js.String(), rec.Body.String())
	var back snapshot.Snapshot
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &back))
	assert.Equal(t, s.Items, back.Items)
	assert.Contains(t, rec.Body.String(), `"start": "2026-04-04T07:00:00+11:00"`, "read in --tz")
	assert.NotEqual(t, rec.Header().Get("ETag"), get(h, "GET", "/"+testToken+"/roster.ics").Header().Get("ETag"))
}

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	h := Handler(f, testToken)
	path := "/" + testToken + "/" + ICSName
	first := get(h, "GET", path)
	tag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	require.NotEmpty(t, tag)
	require.NotEmpty(t, lastMod)

	for _, tc := range []struct {
		name   string
		header []string
		want   int
	}{
		{"If-None-Match", []string{"If-None-Match", tag}, http.StatusNotModified},
		{"If-None-Match list", []string{"If-None-Match", `"other", ` + tag}, http.StatusNotModified},
		{"If-None-Match weak", []string{"If-None-Match", "W/" + tag}, http.StatusNotModified},
		{"If-None-Match star", []string{"If-None-Match", "*"}, http.StatusNotModified},
		{"If-None-Match other", []string{"If-None-Match", `"other"`}, http.StatusOK},
		{"If-Modified-Since same", []string{"If-Modified-Since", lastMod}, http.StatusNotModified},
		{"If-Modified-Since later", []string{"If-Modified-Since", c.Now().Add(time.Hour).Format(http.TimeFormat)}, http.StatusNotModified},
		{"If-Modified-Since earlier", []string{"If-Modified-Since", c.Now().Add(-time.Second).Format(http.TimeFormat)}, http.StatusOK},
		// If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
		{"ETag wins", []string{"If-None-Match", `"other"`, "If-Modified-Since", lastMod}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				rec := get(h, method, path, tc.header...)
				assert.Equal(t, tc.want, rec.Code, method)
				assert.Equal(t, tag, rec.Header().Get("ETag"))
				assert.NotEmpty(t, rec.Header().Get(HeaderFetched), "a 304 says how old the roster is too")
				if tc.want == http.StatusNotModified || method == "HEAD" {
					assert.Empty(t, rec.Body.String())
				} else {
					assert.Equal(t, first.Body.String(), rec.Body.String())
				}
			}
		})
	}

	// A changed roster has a new ETag and a later Last-Modified, so the
	// old validators no longer match.
	c.Add(time.Minute)
	changed, err := f.Update(snap(c.Now(), "Ward 5"))
	require.NoError(t, err)
	assert.True(t, changed)
	rec := get(h, "GET", path, "If-None-Match", tag)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NotEqual(t, tag, rec.Header().Get("ETag"))
	rec = get(h, "GET", path, "If-Modified-Since", lastMod)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestHead(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	h := Handler(f, testToken)
	for _, name := range []string{ICSName, JSONName} {
		g := get(h, "GET", "/"+testToken+"/"+name)
		hd := get(h, "HEAD", "/"+testToken+"/"+name)
		assert.Equal(t, http.StatusOK, hd.Code)
		assert.Empty(t, hd.Body.String())
		for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Last-Modified", HeaderFetched, HeaderStale} {
			assert.Equal(t, g.Header().Get(k), hd.Header().Get(k), "%s %s", name, k)
		}
		assert.Equal(t, strconv.Itoa(g.Body.Len()), hd.Header().Get("Content-Length"))
	}
}

func TestWrongTokenIs404(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	h := Handler(f, testToken)
	for _, path := range []string{
		"/",
		"/roster.ics",
		"//roster.ics",
		"/" + testToken[:len(testToken)-1] + "/roster.ics",
		"/" + testToken + "x/roster.ics",
		"/" + strings.ToUpper(testToken) + "/roster.ics",
		"/wrong-token-wrong-token-wrong/roster.json",
		"/" + testToken + "/roster.csv",
		"/" + testToken + "/roster.ics/",
		"/" + testToken + "/x/roster.ics",
		"/x/" + testToken + "/roster.ics",
		"/healthz/",
	} {
		for _, method := range []string{"GET", "HEAD", "POST"} {
			rec := get(h, method, path)
			assert.Equal(t, http.StatusNotFound, rec.Code, "%s %s", method, path)
			assert.NotContains(t, rec.Body.String(), "Ward")
			assert.Empty(t, rec.Header().Get("ETag"))
			assert.Empty(t, rec.Header().Get(HeaderFetched))
		}
	}
	// The right token without a name is the page (see page_test.go).
	// The right token with a method other than GET or HEAD.
	rec := get(h, "POST", "/"+testToken+"/roster.ics")
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	_, err := f.Update(snap(c.Now(), "Ward 4B", "Ward 5", "Ward 6"))
	require.NoError(t, err)
	f.setNext(c.Now().Add(30 * time.Minute))
	c.Add(5 * time.Second)

	rec := get(h, "GET", "/healthz")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var st map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	assert.Equal(t, true, st["ok"])
	assert.Equal(t, false, st["stale"])
	assert.Equal(t, true, st["refreshing"])
	assert.Equal(t, "ok", st["state"])
	assert.Equal(t, "2026-04-01T08:03:12Z", st["last_success"])
	assert.Equal(t, 5.0, st["age_seconds"])
	assert.Equal(t, "2026-04-01T08:33:12Z", st["next_refresh"])
	assert.Equal(t, 6*3600.0, st["stale_after_seconds"], "at least six hours")
	assert.NotContains(t, st, "shifts", "coarse fields only")
	assert.NotContains(t, st, "last_error")

	assert.Empty(t, get(h, "HEAD", "/healthz").Body.String())
	assert.Equal(t, http.StatusMethodNotAllowed, get(h, "POST", "/healthz").Code)
}

// A failed refresh after a success keeps serving the roster, marked stale,
// and the error says what happened without the password.
func TestStaleAfterFailure(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	before := get(h, "GET", "/"+testToken+"/"+ICSName)

	c.Add(10 * time.Minute)
	f.Fail(errors.New("RosterOn returned an unexpected response for an operation expecting 'login': a proxy said 403 Forbidden\nfor " + testPassword))
	after := get(h, "GET", "/"+testToken+"/"+ICSName)
	require.Equal(t, http.StatusOK, after.Code)
	assert.Equal(t, before.Body.String(), after.Body.String(), "the last good roster, never an empty one")
	assert.Equal(t, before.Header().Get("ETag"), after.Header().Get("ETag"))
	assert.Equal(t, "true", after.Header().Get(HeaderStale))
	assert.Equal(t, "600", after.Header().Get(HeaderAge))

	st := f.Status()
	assert.True(t, st.Stale)
	assert.False(t, st.OK)
	assert.Equal(t, 1, st.Failures)
	assert.Contains(t, st.LastError, "403 Forbidden for [REDACTED]")
	assert.NotContains(t, st.LastError, testPassword)
	assert.NotContains(t, st.LastError, "\n")
	rec := get(h, "GET", "/healthz")
	assert.Equal(t, http.StatusOK, rec.Code, "there is a roster to serve")
	assert.NotContains(t, rec.Body.String(), testPassword)
	assert.Contains(t, rec.Body.String(), `"stale": true`)

	// The next success clears the mark, and keeps the error for reference.
	c.Add(time.Minute)
	_, err = f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	assert.Equal(t, "false", get(h, "GET", "/"+testToken+"/"+ICSName).Header().Get(HeaderStale))
	st = f.Status()
	assert.True(t, st.OK)
	assert.Zero(t, st.Failures)
	assert.NotEmpty(t, st.LastError)
}

// The same shifts fetched again keep the body, ETag and Last-Modified, so
// calendar apps get 304s; only the fetch time moves.
func TestUnchangedRosterKeepsValidators(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	changed, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	assert.True(t, changed)
	first := get(h, "GET", "/"+testToken+"/"+ICSName)

	c.Add(30 * time.Minute)
	changed, err = f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	assert.False(t, changed)
	again := get(h, "GET", "/"+testToken+"/"+ICSName, "If-None-Match", first.Header().Get("ETag"))
	assert.Equal(t, http.StatusNotModified, again.Code)
	assert.Equal(t, "2026-04-01T08:33:12Z", again.Header().Get(HeaderFetched))
	assert.Equal(t, "0", again.Header().Get(HeaderAge))
	full := get(h, "GET", "/"+testToken+"/"+ICSName)
	assert.Equal(t, first.Body.String(), full.Body.String())
	assert.Equal(t, first.Header().Get("Last-Modified"), full.Header().Get("Last-Modified"))
}

// A new roster fetched within the same second as the old one, or by a
// clock that stepped back, still gets a later Last-Modified.
func TestLastModifiedMovesForward(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	first := get(h, "GET", "/"+testToken+"/"+ICSName).Header().Get("Last-Modified")
	c.Add(-time.Hour)
	_, err = f.Update(snap(c.Now(), "Ward 5"))
	require.NoError(t, err)
	rec := get(h, "GET", "/"+testToken+"/"+ICSName, "If-Modified-Since", first)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "Wed, 01 Apr 2026 08:03:13 GMT", rec.Header().Get("Last-Modified"))
}

// Requests race with updates and failures; run with -race.
func TestConcurrentRequestsAndUpdates(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	_, err := f.Update(snap(c.Now(), "Ward 0"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%3 == 0 {
				f.Fail(errors.New("down"))
			} else {
				_, _ = f.Update(snap(c.Now(), fmt.Sprintf("Ward %d", i)))
			}
		}
	}()
	var reqs sync.WaitGroup
	for range 8 {
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			for range 50 {
				rec := get(h, "GET", "/"+testToken+"/"+JSONName)
				if !assert.Equal(t, http.StatusOK, rec.Code) {
					return
				}
				var s snapshot.Snapshot
				assert.NoError(t, json.Unmarshal(rec.Body.Bytes(), &s))
				get(h, "GET", "/healthz")
			}
		}()
	}
	reqs.Wait()
	close(stop)
	wg.Wait()
}
