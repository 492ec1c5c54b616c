package caldav_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/internal/radicaletest"
	"github.com/rosteron/rosteron/snapshot"
)

// seen is one request a proxy passed on, or answered itself.
type seen struct {
	method, path string
	header       http.Header
	body         string
	status       int
}

// proxy stands between rosteron and Radicale, as a server's front end
// would: intercept may answer a request itself, rewrite may change what
// Radicale answered. It records every request.
type proxy struct {
	*httptest.Server
	intercept func(r *http.Request, body string) (status int, answer string, ok bool)
	rewrite   func(r *http.Request, answer []byte) []byte

	mu   sync.Mutex
	reqs []seen
}

func startProxy(t *testing.T, srv *radicaletest.Server) *proxy {
	p := &proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := seen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)}
		rec.header.Del("Authorization") // never in a test's output
		defer func() {
			p.mu.Lock()
			p.reqs = append(p.reqs, rec)
			p.mu.Unlock()
		}()
		if p.intercept != nil {
			if status, answer, ok := p.intercept(r, string(body)); ok {
				rec.status = status
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				w.WriteHeader(status)
				_, _ = io.WriteString(w, answer)
				return
			}
		}
		out, err := http.NewRequest(r.Method, srv.URL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		out.Header.Del("Accept-Encoding")
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if p.rewrite != nil {
			answer = p.rewrite(r, answer)
		}
		for k, v := range resp.Header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		rec.status = resp.StatusCode
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) requests(method string) []seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []seen
	for _, r := range p.reqs {
		if r.method == method {
			out = append(out, r)
		}
	}
	return out
}

func openAt(t *testing.T, url, name string, hc *http.Client) *caldav.Calendar {
	t.Helper()
	cal, err := caldav.Open(ctx(t), caldav.Config{URL: url, Username: alice, Password: password, Calendar: name, Client: hc})
	require.NoError(t, err)
	return cal
}

// oneShift is a roster of one shift on Tuesday 8 December 2026, read in
// Melbourne on the Monday, where it is 07:00–15:30 at UTC+11.
func oneShift(t *testing.T) (*snapshot.Snapshot, calendar.Options) {
	mel := melbourne(t)
	d := snapshot.Date{Year: 2026, Month: time.December, Day: 8}
	snap := &snapshot.Snapshot{Items: []snapshot.Item{{Date: d, Title: "W", Detail: fields("07:00 - 15:30", nil, "Early", "RN")}}}
	return snap, calendar.Options{Account: account, Location: mel, Now: time.Date(2026, 12, 7, 9, 0, 0, 0, mel)}
}

// An event another app saved again with a TZID Go does not know is still
// rosteron's: read in the zone the app means, it is unchanged; in a zone
// nothing reads, it is rewritten once as edited in the calendar. Either
// way the sync does not try to create it again (which the server refuses,
// for the same resource) on every run.
func TestSyncReadsEventsSavedAgainInZonesGoDoesNotKnow(t *testing.T) {
	srv := startRadicale(t)
	for i, tc := range []struct {
		tzid    string
		updated int
	}{
		{"AUS Eastern Standard Time", 0},
		{"/freeassociation.sourceforge.net/Australia/Melbourne", 0},
		{"/mozilla.org/20050126_1/Australia/Melbourne", 0},
		{"Mars/Olympus_Mons", 1},
	} {
		t.Run(tc.tzid, func(t *testing.T) {
			cal := open(t, srv, fmt.Sprintf("Roster %d", i))
			snap, opts := oneShift(t)
			_, err := calendar.Sync(ctx(t), cal, snap, opts)
			require.NoError(t, err)
			path := calendarPath(t, srv, cal)
			objects := srv.Objects(path)
			require.Len(t, objects, 1)
			for name, ics := range objects {
				ics = unfold(ics)
				ics = strings.Replace(ics, "DTSTART:20261207T200000Z", "DTSTART;TZID="+tc.tzid+":20261208T070000", 1)
				ics = strings.Replace(ics, "DTEND:20261208T043000Z", "DTEND;TZID="+tc.tzid+":20261208T153000", 1)
				require.Contains(t, ics, "TZID="+tc.tzid)
				srv.Put(alice, path+name, ics)
			}

			res, err := calendar.Sync(ctx(t), cal, snap, opts)
			require.NoError(t, err)
			assert.Equal(t, 0, res.Created, "%v", res)
			assert.Equal(t, tc.updated, res.Updated, "%v", res)
			res, err = calendar.Sync(ctx(t), cal, snap, opts)
			require.NoError(t, err)
			assert.Equal(t, 0, res.Writes(), "settled: %v", res)
			assert.Equal(t, 1, res.Unchanged)
			assert.Len(t, srv.Objects(path), 1)
		})
	}
}

// An event at the name of a shift's UID that cannot be read as the
// account's at all (another app dropped rosteron's record of the shift)
// makes the create fail with a message that says so, not as an edit made
// "meanwhile".
func TestSyncNamesAnEventItCannotReadUnderItsUID(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	snap, opts := oneShift(t)
	_, err := calendar.Sync(ctx(t), cal, snap, opts)
	require.NoError(t, err)
	path := calendarPath(t, srv, cal)
	for name, ics := range srv.Objects(path) {
		ics = regexp.MustCompile(`(?m)^X-ROSTERON-ITEM:.*\r\n`).ReplaceAllString(unfold(ics), "")
		srv.Put(alice, path+name, ics)
	}
	_, err = calendar.Sync(ctx(t), cal, snap, opts)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be read back as the account's")
	assert.NotContains(t, err.Error(), "after 3 tries")
	assert.False(t, errors.Is(err, calendar.ErrAuth))
}

// A 403 on one event's write is that write's failure, with what the
// server said: not refused credentials, so the other events are written.
func TestForbiddenWriteIsNotRefusedCredentials(t *testing.T) {
	srv := startRadicale(t)
	p := startProxy(t, srv)
	var refused atomic.Int32
	p.intercept = func(r *http.Request, body string) (int, string, bool) {
		if r.Method == http.MethodPut && strings.Contains(body, "Late") {
			refused.Add(1)
			return http.StatusForbidden, "<error>the event is locked by policy</error>", true
		}
		return 0, "", false
	}
	cal := openAt(t, p.URL, "Roster", nil)
	d := func(day int) snapshot.Date { return snapshot.Date{Year: 2026, Month: time.December, Day: day} }
	snap := &snapshot.Snapshot{Items: []snapshot.Item{
		{Date: d(8), Title: "W", Detail: fields("07:00 - 15:30", nil, "Early", "RN")},
		{Date: d(9), Title: "W", Detail: fields("13:00 - 21:30", nil, "Late", "RN")},
		{Date: d(10), Title: "W", Detail: fields("07:00 - 15:30", nil, "Early", "RN")},
	}}
	_, opts := oneShift(t)
	res, err := calendar.Sync(ctx(t), cal, snap, opts)
	require.Error(t, err)
	assert.False(t, errors.Is(err, calendar.ErrAuth), "%v", err)
	var auth *calendar.AuthError
	assert.False(t, errors.As(err, &auth))
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "HTTP 403")
	assert.Contains(t, err.Error(), "locked by policy")
	assert.NotContains(t, err.Error(), password)
	assert.Equal(t, 2, res.Created, "the other events are written: %v", res)
	assert.Equal(t, 1, res.Failed)
	assert.EqualValues(t, 1, refused.Load())

	// A 403 while finding the calendar is still refused credentials.
	p.intercept = func(r *http.Request, body string) (int, string, bool) {
		return http.StatusForbidden, "no", r.Method == "PROPFIND"
	}
	_, err = caldav.Open(ctx(t), caldav.Config{URL: p.URL, Username: alice, Password: password, Calendar: "Roster"})
	assert.ErrorAs(t, err, &auth)
}

// Hrefs a listing gives outside the calendar, on another origin or path,
// are not taken for its events, and nothing is written there.
func TestListKeepsToTheCalendarsOwnHrefs(t *testing.T) {
	srv := startRadicale(t)
	p := startProxy(t, srv)
	cal := openAt(t, p.URL, "Roster", nil)
	path := calendarPath(t, &radicaletest.Server{URL: p.URL}, cal)
	evs := events(t, melbourne(t))
	for _, ev := range evs {
		_, err := cal.Create(ctx(t), ev)
		require.NoError(t, err)
	}
	names := make([]string, 0, len(evs))
	for name := range srv.Objects(path) {
		names = append(names, name)
	}
	require.Len(t, names, 3)
	p.rewrite = func(r *http.Request, answer []byte) []byte {
		if r.Method != "REPORT" {
			return answer
		}
		s := string(answer)
		s = strings.Replace(s, ">"+path+names[0]+"<", ">https://evil.example.net"+path+names[0]+"<", 1)
		s = strings.Replace(s, ">"+path+names[1]+"<", ">"+path+"../bob/"+names[1]+"<", 1)
		return []byte(s)
	}
	listed, err := cal.List(ctx(t), account)
	require.NoError(t, err)
	require.Len(t, listed, 1, "only the event inside the calendar")
	assert.Equal(t, path+names[2], listed[0].Ref)

	before := len(p.requests(http.MethodDelete))
	for _, ref := range []string{"https://evil.example.net" + path + names[0], "/alice/elsewhere/x.ics", path + "../bob/" + names[1]} {
		s := listed[0]
		s.Ref = ref
		err := cal.Delete(ctx(t), s)
		assert.ErrorIs(t, err, calendar.ErrCalendar, ref)
		_, err = cal.Update(ctx(t), s, s.Event)
		assert.ErrorIs(t, err, calendar.ErrCalendar, ref)
	}
	assert.Len(t, p.requests(http.MethodDelete), before, "nothing sent outside the calendar")
}

// With no ETag in the listing, Update and Delete write only over the
// version they read (If-Match), not blindly.
func TestWritesWithoutListedETagsAreConditional(t *testing.T) {
	srv := startRadicale(t)
	p := startProxy(t, srv)
	etags := regexp.MustCompile(`<[A-Za-z]*:?getetag>[^<]*</[A-Za-z]*:?getetag>`)
	p.rewrite = func(r *http.Request, answer []byte) []byte {
		if r.Method == "REPORT" {
			return etags.ReplaceAll(answer, nil)
		}
		return answer
	}
	cal := openAt(t, p.URL, "Roster", nil)
	snap, opts := oneShift(t)
	_, err := calendar.Sync(ctx(t), cal, snap, opts)
	require.NoError(t, err)
	listed, err := cal.List(ctx(t), account)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Empty(t, listed[0].ETag, "the proxy hides the ETags")

	snap.Items[0].Detail = fields("08:00 - 16:30", nil, "Early", "RN")
	res, err := calendar.Sync(ctx(t), cal, snap, opts)
	require.NoError(t, err)
	require.Equal(t, 1, res.Updated)
	puts := p.requests(http.MethodPut)
	assert.NotEmpty(t, puts[len(puts)-1].header.Get("If-Match"), "the update is conditional")

	snap.Items = nil
	opts.AllowEmpty = true
	res, err = calendar.Sync(ctx(t), cal, snap, opts)
	require.NoError(t, err)
	require.Equal(t, 1, res.Deleted)
	dels := p.requests(http.MethodDelete)
	require.Len(t, dels, 1)
	assert.NotEmpty(t, dels[0].header.Get("If-Match"), "the delete is conditional")
}

// countingTransport counts the bytes of the answers to REPORTs.
type countingTransport struct{ bytes atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != "REPORT" {
		return resp, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.bytes.Add(int64(len(data)))
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, err
}

// A calendar full of the person's own events lists only rosteron's: the
// server filters by account, so the answer stays small. A server that
// refuses the filter is asked for every event, once.
func TestListAsksOnlyForTheAccountsEvents(t *testing.T) {
	srv := startRadicale(t)
	counter := &countingTransport{}
	cal := openAt(t, srv.URL, "Roster", &http.Client{Transport: counter})
	path := calendarPath(t, srv, cal)
	evs := events(t, melbourne(t))
	for _, ev := range evs {
		_, err := cal.Create(ctx(t), ev)
		require.NoError(t, err)
	}
	mine := evs[0]
	mine.UID = "other-account@rosteron"
	mine.Account = other
	_, err := cal.Create(ctx(t), mine)
	require.NoError(t, err)
	const personal = 60
	filler := strings.Repeat("A personal note. ", 60)
	for i := range personal {
		srv.Put(alice, fmt.Sprintf("%spersonal-%d.ics", path, i), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"+
			fmt.Sprintf("BEGIN:VEVENT\r\nUID:personal-%d@example.org\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261209T%02d0000Z\r\n", i, i%24)+
			"SUMMARY:Dentist\r\nDESCRIPTION:"+filler+"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	counter.bytes.Store(0)
	listed, err := cal.List(ctx(t), account)
	require.NoError(t, err)
	assert.Len(t, listed, len(evs))
	assert.Less(t, counter.bytes.Load(), int64(personal*len(filler)/4), "the personal events are not sent")

	// Behind a front end that refuses the filter.
	p := startProxy(t, srv)
	p.intercept = func(r *http.Request, body string) (int, string, bool) {
		return http.StatusBadRequest, "<error>unsupported filter</error>", r.Method == "REPORT" && strings.Contains(body, "prop-filter")
	}
	viaProxy := openAt(t, p.URL, "Roster", nil)
	listed, err = viaProxy.List(ctx(t), account)
	require.NoError(t, err)
	assert.Len(t, listed, len(evs))
	assert.Equal(t, 2, len(p.requests("REPORT")), "filtered, refused, then unfiltered")
}
