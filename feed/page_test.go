package feed

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/rosteron/rosteron/internal/qrtest"
	"github.com/rosteron/rosteron/snapshot"
)

func item(d snapshot.Date, title, times, name string, warnings ...string) snapshot.Item {
	return snapshot.Item{Date: d, Title: title, Warnings: warnings,
		Detail: []snapshot.Field{snapshot.Text(times), snapshot.Empty, snapshot.Text(name), snapshot.Text("RN")}}
}

// pageRoster has every kind of row around the test clock's today,
// Wednesday 1 April 2026 (08:03 UTC).
func pageRoster() []snapshot.Item {
	wed := snapshot.Date{Year: 2026, Month: time.April, Day: 1}
	return []snapshot.Item{
		item(wed.AddDays(-2), "Ward 4B", "07:00 - 15:30", "Day Shift"),   // Monday: past
		item(wed.AddDays(-1), "Ward 4B", "21:30 - 09:30", "Night Shift"), // still under way at 08:03
		item(wed, "Ward 4B", "13:00 - 21:30", "Late Shift", "BLOGGS, JOE: Minimum 10 hours between Allocations"),
		item(wed.AddDays(1), "Ward 4B", "21:30 - 07:30", "Night Shift"),
		item(wed.AddDays(2), "Ward 4B", "Oncall (20:30 - 08:30)", "On Call"),
		item(wed.AddDays(6), "Ward 4B", "09:00 - 16:36", "Annual Leave"),     // next Tuesday
		item(wed.AddDays(11), "Ward 4B", "15:30 - 00:00", "Late Shift"),      // next Sunday
		item(wed.AddDays(12), "Ward 4B", "07:00 - 15:30", "Beyond the page"), // the Monday after
	}
}

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	return doc
}

// all returns the elements for which match holds, in document order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if n.Type == html.ElementNode && match(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, all(c, match)...)
	}
	return out
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		for _, a := range n.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
				return true
			}
		}
		return false
	}
}

func tag(name string) func(*html.Node) bool { return func(n *html.Node) bool { return n.Data == name } }

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func TestPageShowsTheNextTwoWeeks(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t, WithCalendarName("Joe's shifts"))
	_, err := f.Update(&snapshot.Snapshot{Time: c.Now(), Items: pageRoster()})
	require.NoError(t, err)
	c.Add(5 * time.Minute)
	h := Handler(f, testToken)

	rec := get(h, "GET", "/"+testToken+"/")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	doc := parseHTML(t, rec.Body.String())
	assert.Equal(t, "Joe's shifts", textOf(all(doc, tag("h1"))[0]))
	assert.Equal(t, "Roster read today at 08:03 (5 minutes ago).", textOf(all(doc, hasClass("fetched"))[0]))
	assert.Empty(t, all(doc, hasClass("problem")), "nothing wrong")

	days := all(doc, hasClass("day"))
	var labels []string
	for _, d := range days {
		labels = append(labels, textOf(all(d, hasClass("date"))[0]))
	}
	assert.Equal(t, []string{
		"Tue 31 Mar On now", // the night still under way
		"Wed 1 Apr Today", "Thu 2 Apr", "Fri 3 Apr", "Sat 4 Apr", "Sun 5 Apr",
		"Mon 6 Apr", "Tue 7 Apr", "Wed 8 Apr", "Thu 9 Apr", "Fri 10 Apr", "Sat 11 Apr", "Sun 12 Apr",
	}, labels)
	today := all(doc, func(n *html.Node) bool { return attrOf(n, "aria-current") == "date" })
	require.Len(t, today, 1, "today is marked once")
	assert.Contains(t, textOf(today[0]), "Wed 1 Apr")

	shift := func(i int) string { return textOf(all(days[i], hasClass("shift"))[0]) }
	assert.Equal(t, "21:30–09:30 (+1) Night Shift Ward 4B · RN", shift(0))
	assert.Equal(t, "13:00–21:30 Late Shift Ward 4B · RN Warning: BLOGGS, JOE: Minimum 10 hours between Allocations", shift(1))
	assert.Equal(t, "21:30–07:30 (+1) Night Shift Ward 4B · RN", shift(2))
	assert.Equal(t, "20:30–08:30 (+1) on call Ward 4B · RN", shift(3), "on call said once")
	assert.Equal(t, "No shift", textOf(all(days[4], hasClass("off"))[0]))
	assert.Equal(t, "Annual Leave all day Ward 4B · RN", shift(7))
	assert.Equal(t, "15:30–00:00 Late Shift Ward 4B · RN", shift(12), "a shift ending at midnight")
	assert.NotContains(t, rec.Body.String(), "Beyond the page")
	assert.NotContains(t, rec.Body.String(), "Mon 30 Mar", "past days are left out")
	assert.Len(t, all(doc, hasClass("warning")), 1)

	weeks := all(doc, tag("h2"))
	assert.Equal(t, "This week", textOf(weeks[0]))
	assert.Equal(t, "Next week", textOf(weeks[1]))
}

func TestPageSubscribeLinksAndQRCode(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		opts   []HandlerOption
		host   string
		header []string
		ics    string
	}{
		{"the request's host", nil, "192.168.1.20:8765", nil, "http://192.168.1.20:8765/" + testToken + "/roster.ics"},
		{"a public URL with a path", []HandlerOption{WithPublicURL(mustURL(t, "https://example.org/rota/"))}, "127.0.0.1:8765", nil,
			"https://example.org/rota/" + testToken + "/roster.ics"},
		{"forwarded headers are not trusted", nil, "127.0.0.1:8765", []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"},
			"http://127.0.0.1:8765/" + testToken + "/roster.ics"},
	} {
		req, err := http.NewRequest("GET", "/"+testToken+"/", nil)
		require.NoError(t, err)
		req.Host = tc.host
		for i := 0; i+1 < len(tc.header); i += 2 {
			req.Header.Set(tc.header[i], tc.header[i+1])
		}
		rec := serve(Handler(f, testToken, tc.opts...), req)
		require.Equal(t, http.StatusOK, rec.Code, tc.name)
		doc := parseHTML(t, rec.Body.String())
		links := map[string]string{}
		for _, a := range all(doc, tag("a")) {
			links[textOf(a)] = attrOf(a, "href")
		}
		webcal := "webcal://" + strings.SplitN(tc.ics, "://", 2)[1]
		assert.Equal(t, webcal, links["Subscribe in your calendar app"], tc.name)
		assert.Equal(t, "https://calendar.google.com/calendar/r?cid="+url.QueryEscape(webcal), links["Add to Google Calendar"], tc.name)
		assert.Equal(t, "roster.json", links["JSON"], tc.name)
		assert.Equal(t, tc.ics, attrOf(all(doc, func(n *html.Node) bool { return attrOf(n, "id") == "ics" })[0], "value"), tc.name)

		imgs := all(doc, tag("img"))
		require.Len(t, imgs, 1)
		src := attrOf(imgs[0], "src")
		require.True(t, strings.HasPrefix(src, "data:image/png;base64,"), src)
		text, err := qrtest.DecodeDataURI(src)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.ics, text, "the QR code reads as the feed's address: %s", tc.name)
	}
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// The page holds no script, loads nothing from anywhere, and its policy
// says so to the browser; only the right token gets it.
func TestPageIsSelfContainedAndPrivate(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	_, err := f.Update(&snapshot.Snapshot{Time: c.Now(), Items: pageRoster()})
	require.NoError(t, err)
	h := Handler(f, testToken)

	rec := get(h, "GET", "/"+testToken+"/")
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	doc := parseHTML(t, body)
	assert.Empty(t, all(doc, tag("script")))
	assert.Empty(t, all(doc, tag("link")))
	assert.Empty(t, all(doc, func(n *html.Node) bool {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				return true
			}
		}
		return false
	}), "no event handlers")
	for _, n := range all(doc, func(n *html.Node) bool { return attrOf(n, "src") != "" }) {
		assert.True(t, strings.HasPrefix(attrOf(n, "src"), "data:"), "only data: sources: %s", n.Data)
	}
	hd := rec.Header()
	csp := hd.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "img-src data:")
	assert.NotContains(t, csp, "script-src")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "no-referrer", hd.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", hd.Get("Cache-Control"))
	assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"))
	assert.NotContains(t, body, testPassword)
	assert.Equal(t, 1, strings.Count(body, "<style>"), "one style block, the one the policy's hash allows")

	head := get(h, "HEAD", "/"+testToken+"/")
	assert.Equal(t, http.StatusOK, head.Code)
	assert.Empty(t, head.Body.String())
	assert.Equal(t, hd.Get("Content-Length"), head.Header().Get("Content-Length"))

	for _, path := range []string{"/wrong-token-0123456789abcdef/", "/" + testToken[:len(testToken)-1] + "/", "//", "/", "/wrong"} {
		rec := get(h, "GET", path)
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
		assert.NotContains(t, rec.Body.String(), "<html", path)
	}
	redirect := get(h, "GET", "/"+testToken)
	assert.Equal(t, http.StatusMovedPermanently, redirect.Code)
	assert.Equal(t, testToken+"/", redirect.Header().Get("Location"), "relative, for a proxy's prefix")
	post := get(h, "POST", "/"+testToken+"/")
	assert.Equal(t, http.StatusMethodNotAllowed, post.Code)
}

var spaces = regexp.MustCompile(`\s+`)

func problemText(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := get(h, "GET", "/"+testToken+"/")
	require.Equal(t, http.StatusOK, rec.Code)
	p := all(parseHTML(t, rec.Body.String()), hasClass("problem"))
	if len(p) == 0 {
		return ""
	}
	return spaces.ReplaceAllString(textOf(p[0]), " ")
}

// Whatever is wrong is said in plain words, never with a secret.
func TestPageSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	h := Handler(f, testToken)
	assert.Equal(t, "The roster has not been read yet: the first try is under way. "+
		"The calendar address below works already and fills in once it has.", problemText(t, h))

	f.Fail(errors.New("net::ERR_CONNECTION_REFUSED logging in with " + testPassword))
	f.setNext(c.Now().Add(30 * time.Second))
	got := problemText(t, h)
	assert.Equal(t, "The roster could not be read yet: 1 try failed, the last at 08:03. The next try is at 08:03. "+
		"What went wrong: net::ERR_CONNECTION_REFUSED logging in with [REDACTED]", got)

	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)
	assert.Empty(t, problemText(t, h))
	c.Add(2 * time.Hour)
	f.Fail(errors.New("unexpected response: 403"))
	f.Fail(errors.New("unexpected response: 403"))
	f.setNext(c.Now().Add(time.Minute))
	assert.Equal(t, "RosterOn could not be read lately: 2 tries in a row failed, the last at 10:03. "+
		"The roster below is the last one read and may be out of date. The next try is at 10:04. "+
		"What went wrong: unexpected response: 403", problemText(t, h))

	f.stop(StopRejected, "rejected", "", c.Now())
	assert.Contains(t, problemText(t, h), "RosterOn turned down the password, so no more tries will be made until rosteron is restarted")
}

// A roster read in no zone shows its clock times as written, and today is
// the machine's.
func TestPageFloating(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t, WithLocation(snapshot.Floating))
	_, err := f.Update(&snapshot.Snapshot{Time: c.Now(), Items: pageRoster()})
	require.NoError(t, err)
	rec := get(Handler(f, testToken), "GET", "/"+testToken+"/")
	require.Equal(t, http.StatusOK, rec.Code)
	doc := parseHTML(t, rec.Body.String())
	today := all(doc, func(n *html.Node) bool { return attrOf(n, "aria-current") == "date" })
	require.Len(t, today, 1)
	assert.Contains(t, textOf(today[0]), dayText(snapshot.DateOf(c.Now().In(time.Local)), 2026))
	text := textOf(doc)
	assert.Contains(t, text, "21:30–07:30 (+1) Night Shift", "the clock times as written")
	assert.Contains(t, text, "Roster read today at "+c.Now().In(time.Local).Format("15:04"))
}
