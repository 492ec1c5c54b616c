package caldav_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/radicaletest"
	"github.com/rosteron/rosteron/snapshot"
)

const (
	alice    = "alice"
	password = "Tr0ub4dor&3-süß" // never to be seen in an error
	account  = "joe.bloggs@rosteron.example.com.au/rosteronprod/mobile"
	other    = "jane.doe@rosteron.example.com.au/rosteronprod/mobile"
)

func startRadicale(t *testing.T) *radicaletest.Server {
	t.Helper()
	return radicaletest.Start(t, map[string]string{alice: password, "bob": "bobs-password"})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func open(t *testing.T, srv *radicaletest.Server, name string) *caldav.Calendar {
	t.Helper()
	cal, err := caldav.Open(ctx(t), caldav.Config{URL: srv.URL, Username: alice, Password: password, Calendar: name})
	require.NoError(t, err)
	return cal
}

// calendarPath is the calendar's collection path on the server.
func calendarPath(t *testing.T, srv *radicaletest.Server, cal *caldav.Calendar) string {
	t.Helper()
	p, ok := strings.CutPrefix(cal.URL(), srv.URL)
	require.True(t, ok, "the calendar %s is on the server %s", cal.URL(), srv.URL)
	return p
}

func fields(vals ...any) []snapshot.Field {
	out := make([]snapshot.Field, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = snapshot.Text(s)
		}
	}
	return out
}

// roster is a roster whose texts hold what iCalendar must escape: commas,
// semicolons, backslashes, and letters beyond ASCII.
func roster() *snapshot.Snapshot {
	d := func(day int) snapshot.Date { return snapshot.Date{Year: 2026, Month: time.December, Day: day} }
	return &snapshot.Snapshot{Time: time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), Items: []snapshot.Item{
		{Date: d(7), Title: "ABCDE - Melbourne Office, Level 2; Zoë's \\ ward", Detail: fields("07:00 - 15:30", nil, "Day; early", "Nurse, RN")},
		{Date: d(8), Title: "FGHIJ - Geelong", Detail: fields("Oncall (20:30 - 08:30)", "Cover", "On Call", "Supervisor"),
			Warnings: []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}},
		{Date: d(10), Title: "ABCDE - Melbourne Office", Detail: fields("09:00 - 16:36", nil, "Annual Leave", "Assistant")},
	}}
}

// events are rosteron's events for the roster read in loc.
func events(t *testing.T, loc *time.Location) []calendar.Event {
	t.Helper()
	s := roster()
	exp := export.Events(s, loc)
	require.Len(t, exp, len(s.Items))
	out := make([]calendar.Event, len(exp))
	for i, e := range exp {
		out[i] = calendar.Event{
			Event:    e,
			UID:      fmt.Sprintf("shift%d-%s@rosteron", i, strings.ToLower(loc.String())),
			Account:  account,
			Modified: time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC),
			Digest:   e.Digest(),
			Item:     s.Items[i],
		}
		if e.Kind == snapshot.KindWork || e.Kind == snapshot.KindOnCall {
			out[i].Alarms = []time.Duration{15 * time.Minute, time.Hour}
		}
	}
	out[0].Description += "\nSecond line; with, punctuation \\ and \"quotes\"\n\nafter a blank line"
	out[0].Digest = out[0].Event.Digest()
	return out
}

func melbourne(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	return loc
}

// sameEvent checks that got says everything want says.
func sameEvent(t *testing.T, want, got calendar.Event) {
	t.Helper()
	assert.Equal(t, want.UID, got.UID)
	assert.Equal(t, want.Account, got.Account)
	assert.Equal(t, want.Date, got.Date, "Date")
	assert.True(t, want.Start.Equal(got.Start), "Start: want %v, got %v", want.Start, got.Start)
	assert.True(t, want.End.Equal(got.End), "End: want %v, got %v", want.End, got.End)
	assert.Equal(t, snapshot.IsFloating(want.Start), snapshot.IsFloating(got.Start), "floating start")
	assert.Equal(t, snapshot.IsFloating(want.End), snapshot.IsFloating(got.End), "floating end")
	assert.Equal(t, want.Summary, got.Summary)
	assert.Equal(t, want.Location, got.Location)
	assert.Equal(t, want.Description, got.Description)
	assert.Equal(t, want.Transparent, got.Transparent)
	assert.Equal(t, want.Kind, got.Kind)
	assert.Equal(t, want.Sequence, got.Sequence)
	assert.True(t, want.Modified.Equal(got.Modified), "Modified: want %v, got %v", want.Modified, got.Modified)
	assert.Equal(t, want.Digest, got.Digest)
	assert.Equal(t, want.Item, got.Item)
	assert.Equal(t, want.Alarms, got.Alarms)
	// The content read back hashes to the digest written: an untouched
	// event does not look edited.
	assert.Equal(t, got.Digest, got.Event.Digest(), "digest of the content read back")
}

func byUID(list []calendar.Stored) map[string]calendar.Stored {
	out := map[string]calendar.Stored{}
	for _, s := range list {
		out[s.UID] = s
	}
	return out
}

func TestOpenFindsByWellKnownAndMakesTheCalendarOnce(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	assert.Equal(t, "Roster", cal.Name())
	assert.Equal(t, map[string]string{calendarPath(t, srv, cal): "Roster"}, srv.Collections(alice))
	assert.Equal(t, 1, srv.Count("MKCALENDAR"))

	// The route: /.well-known/caldav, redirected, asked again where it
	// points as a PROPFIND (not turned into a GET).
	var wellKnown, root bool
	for _, r := range srv.Requests() {
		if r.Method == "PROPFIND" && r.Path == "/.well-known/caldav" && r.Status/100 == 3 {
			wellKnown = true
		}
		if wellKnown && r.Method == "PROPFIND" && r.Path == "/" && r.Status == http.StatusMultiStatus {
			root = true
		}
	}
	assert.True(t, wellKnown && root, "the well-known address and its redirect were followed: %v", srv.Requests())
	assert.Zero(t, srv.Count("GET"), "a redirected PROPFIND became a GET")

	again := open(t, srv, "Roster")
	assert.Equal(t, cal.URL(), again.URL())
	assert.Equal(t, 1, srv.Count("MKCALENDAR"), "the calendar was made again")
	assert.Len(t, srv.Collections(alice), 1)

	assert.Contains(t, cal.String(), "CalDAV")
	assert.Contains(t, cal.String(), "Roster")
	assert.NotContains(t, cal.String(), password)
}

func TestOpenAcceptsTheCalendarOrTheHome(t *testing.T) {
	srv := startRadicale(t)
	srv.MkCalendar(alice, "/alice/work/", "Work shifts")
	srv.MkCalendar(alice, "/alice/home/", "Home")
	made := srv.Count("MKCALENDAR")

	cal, err := caldav.Open(ctx(t), caldav.Config{URL: srv.URL + "/alice/work/", Username: alice, Password: password})
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/alice/work/", cal.URL())
	assert.Equal(t, "Work shifts", cal.Name())

	cal, err = caldav.Open(ctx(t), caldav.Config{URL: srv.URL + "/alice", Username: alice, Password: password, Calendar: "Work shifts"})
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/alice/work/", cal.URL())
	assert.Equal(t, made, srv.Count("MKCALENDAR"), "a calendar was made though the named one is there")
}

func TestCreateListRoundTrip(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	var want []calendar.Event
	want = append(want, events(t, melbourne(t))...)
	want = append(want, events(t, snapshot.Floating)...)
	created := map[string]calendar.Stored{}
	for _, ev := range want {
		s, err := cal.Create(c, ev)
		require.NoError(t, err)
		assert.NotEmpty(t, s.ETag)
		assert.NotEmpty(t, s.Ref)
		created[ev.UID] = s
	}
	assert.Equal(t, len(want), srv.Writes()-1, "one PUT per event, after the MKCALENDAR")

	list, err := cal.List(c, account)
	require.NoError(t, err)
	require.Len(t, list, len(want))
	got := byUID(list)
	for _, ev := range want {
		s, ok := got[ev.UID]
		require.True(t, ok, "%s is not listed", ev.UID)
		sameEvent(t, ev, s.Event)
		assert.Equal(t, created[ev.UID].ETag, s.ETag, "the ETag of %s", ev.UID)
		assert.Equal(t, created[ev.UID].Ref, s.Ref)
		assert.False(t, s.Cancelled)

		again, found, err := cal.Get(c, s)
		require.NoError(t, err)
		require.True(t, found)
		sameEvent(t, ev, again.Event)
		assert.Equal(t, s.ETag, again.ETag)
	}

	// What the server keeps is plain iCalendar a calendar app reads.
	objects := srv.Objects(calendarPath(t, srv, cal))
	require.Len(t, objects, len(want))
	work := objects["shift0-australia/melbourne.ics"]
	if work == "" {
		for name, o := range objects {
			if strings.Contains(unfold(o), "UID:shift0-australia/melbourne@rosteron") {
				work = o
				t.Logf("the event is stored as %s", name)
			}
		}
	}
	work = unfold(work)
	for _, line := range []string{
		"PRODID:-//rosteron//", "VERSION:2.0", "SEQUENCE:0", "LAST-MODIFIED:20261205T010203Z",
		"DTSTART:20261206T200000Z", "DTEND:20261207T043000Z", // 07:00–15:30 in Melbourne, summer time
		"X-ROSTERON-ACCOUNT:" + account, "TRANSP:OPAQUE",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT1H", "TRIGGER:-PT15M", "X-ROSTERON-ALARM:1",
	} {
		assert.Contains(t, work, line)
	}
	var floating, leave string
	for _, o := range objects {
		o = unfold(o)
		switch {
		case strings.Contains(o, "UID:shift0-floating@rosteron"):
			floating = o
		case strings.Contains(o, "UID:shift2-floating@rosteron"):
			leave = o
		}
	}
	assert.Contains(t, floating, "DTSTART:20261207T070000\r\n", "a floating time, without Z")
	assert.Contains(t, leave, "DTSTART;VALUE=DATE:20261210")
	assert.Contains(t, leave, "DTEND;VALUE=DATE:20261211")
	assert.Contains(t, leave, "TRANSP:TRANSPARENT")
	assert.NotContains(t, leave, "BEGIN:VALARM", "leave has no reminder unless asked")
}

var folding = regexp.MustCompile(`\r?\n[ \t]`)

func unfold(s string) string { return folding.ReplaceAllString(s, "") }

func TestConditionalWrites(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	ev := events(t, melbourne(t))[0]
	s, err := cal.Create(c, ev)
	require.NoError(t, err)
	writes := srv.Writes()

	_, err = cal.Create(c, ev)
	assert.ErrorIs(t, err, calendar.ErrConflict, "a second event with the same UID")
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	// The refused Create is settled by reading the event by its UID.
	there, found, err := cal.Get(c, calendar.Stored{Event: ev})
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, s.Ref, there.Ref)
	assert.Equal(t, s.ETag, there.ETag)

	// Someone edits the event in their calendar app.
	path := s.Ref
	body, etag := srv.Get(alice, path)
	require.Equal(t, s.ETag, etag)
	edited := strings.Replace(body, "SUMMARY:", "SUMMARY:Swapped! ", 1)
	newTag := srv.Put(alice, path, edited)
	require.NotEqual(t, s.ETag, newTag)
	writes++

	moved := ev
	moved.Start = moved.Start.Add(time.Hour)
	moved.Sequence = 1
	_, err = cal.Update(c, s, moved)
	assert.ErrorIs(t, err, calendar.ErrConflict, "an update at a stale ETag")
	assert.ErrorIs(t, cal.Delete(c, s), calendar.ErrConflict, "a delete at a stale ETag")
	assert.Equal(t, writes, srv.Writes(), "a refused write wrote nothing")
	after, _ := srv.Get(alice, path)
	assert.Contains(t, after, "Swapped!", "the person's edit is still there")

	// Read again, the event can be settled.
	fresh, found, err := cal.Get(c, s)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, newTag, fresh.ETag)
	assert.NotEqual(t, fresh.Digest, fresh.Event.Event.Digest(), "the edit shows as content that no longer has its digest")
	updated, err := cal.Update(c, fresh, moved)
	require.NoError(t, err)
	require.NoError(t, cal.Delete(c, updated))
	_, found, err = cal.Get(c, updated)
	require.NoError(t, err)
	assert.False(t, found)
	assert.NoError(t, cal.Delete(c, updated), "deleting what is gone")
	assert.Equal(t, writes+2, srv.Writes())
}

func TestUpdateKeepsWhatThePersonAdded(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	ev := events(t, melbourne(t))[0]
	s, err := cal.Create(c, ev)
	require.NoError(t, err)

	// The person adds a category, a colour and a reminder of their own.
	body, _ := srv.Get(alice, s.Ref)
	body = strings.Replace(body, "END:VEVENT", "CATEGORIES:Work,Hospital\r\nCOLOR:teal\r\n"+
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nDESCRIPTION:Pack lunch\r\nEND:VALARM\r\nEND:VEVENT", 1)
	srv.Put(alice, s.Ref, body)

	list, err := cal.List(c, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, []time.Duration{15 * time.Minute, time.Hour}, list[0].Alarms, "the person's alarm is not rosteron's")

	moved := ev
	moved.Start = ev.Start.Add(2 * time.Hour)
	moved.End = ev.End.Add(2 * time.Hour)
	moved.Sequence = 1
	moved.Modified = ev.Modified.Add(24 * time.Hour)
	moved.Alarms = []time.Duration{2 * time.Hour}
	moved.Digest = moved.Event.Digest()
	updated, err := cal.Update(c, list[0], moved)
	require.NoError(t, err)
	assert.Equal(t, list[0].Ref, updated.Ref)
	assert.NotEqual(t, list[0].ETag, updated.ETag)

	stored, _ := srv.Get(alice, s.Ref)
	stored = unfold(stored)
	assert.Contains(t, stored, "CATEGORIES:Work,Hospital")
	assert.Contains(t, stored, "COLOR:teal")
	assert.Contains(t, stored, "TRIGGER:-PT30M")
	assert.Contains(t, stored, "DESCRIPTION:Pack lunch")
	assert.Contains(t, stored, "TRIGGER:-PT2H")
	assert.NotContains(t, stored, "TRIGGER:-PT1H", "rosteron's old reminder stays")
	assert.Contains(t, stored, "SEQUENCE:1")
	assert.Equal(t, 1, strings.Count(stored, "BEGIN:VEVENT"))
	assert.Equal(t, 1, strings.Count(stored, "DTSTART"))

	list, err = cal.List(c, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	sameEvent(t, moved, list[0].Event)
}

// personal is an event a person made in their calendar app.
const personal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:5A1C0E2B-dentist@example.com\r\nDTSTAMP:20261201T000000Z\r\n" +
	"DTSTART;VALUE=DATE:20261207\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestListKeepsToTheAccountsOwnEvents(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	dir := calendarPath(t, srv, cal)
	srv.Put(alice, dir+"dentist.ics", personal)

	evs := events(t, melbourne(t))
	mine, err := cal.Create(c, evs[0])
	require.NoError(t, err)
	theirs := evs[1]
	theirs.UID = "theirs@rosteron"
	theirs.Account = other
	_, err = cal.Create(c, theirs)
	require.NoError(t, err)
	// rosteron's UID and account, but no roster item to pair it with.
	broken := strings.Replace(personal, "UID:5A1C0E2B-dentist@example.com", "UID:broken@rosteron\r\nX-ROSTERON-ACCOUNT:"+account, 1)
	srv.Put(alice, dir+"broken.ics", broken)
	// A person's own event with rosteron's account property but another UID.
	lookalike := strings.Replace(personal, "SUMMARY:Dentist", "SUMMARY:Copy\r\nX-ROSTERON-ACCOUNT:"+account, 1)
	lookalike = strings.Replace(lookalike, "dentist@example.com", "copy@example.com", 1)
	srv.Put(alice, dir+"copy.ics", lookalike)
	dentistTag := srv.Put(alice, dir+"dentist.ics", personal)

	list, err := cal.List(c, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, mine.UID, list[0].UID)

	list, err = cal.List(c, other)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "theirs@rosteron", list[0].UID)

	_, etag := srv.Get(alice, dir+"dentist.ics")
	assert.Equal(t, dentistTag, etag, "the person's event is untouched")
}

func TestTagChangesOnlyWithTheCalendar(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	tag, err := cal.Tag(c)
	require.NoError(t, err)
	require.NotEmpty(t, tag, "Radicale keeps a ctag and a sync-token")
	writes := srv.Writes()

	again, err := cal.Tag(c)
	require.NoError(t, err)
	assert.Equal(t, tag, again)
	_, err = cal.List(c, account)
	require.NoError(t, err)
	again, err = cal.Tag(c)
	require.NoError(t, err)
	assert.Equal(t, tag, again, "a read changed the tag")
	assert.Equal(t, writes, srv.Writes(), "reading wrote something")

	_, err = cal.Create(c, events(t, melbourne(t))[0])
	require.NoError(t, err)
	changed, err := cal.Tag(c)
	require.NoError(t, err)
	assert.NotEqual(t, tag, changed)

	// An edit made elsewhere changes it too.
	srv.Put(alice, calendarPath(t, srv, cal)+"dentist.ics", personal)
	before := len(srv.Requests())
	edited, err := cal.Tag(c)
	require.NoError(t, err)
	assert.NotEqual(t, changed, edited)
	assert.Len(t, srv.Requests(), before+1, "Tag is one request")
}

func TestWrongPasswordIsAnAuthErrorNamingCalDAV(t *testing.T) {
	srv := startRadicale(t)
	const wrong = "not-the-Password-123"
	_, err := caldav.Open(ctx(t), caldav.Config{URL: srv.URL, Username: alice, Password: wrong, Calendar: "Roster"})
	require.Error(t, err)
	var auth *calendar.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, "CalDAV", auth.Service)
	assert.Equal(t, http.StatusUnauthorized, auth.Status)
	assert.ErrorIs(t, err, calendar.ErrAuth)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "CalDAV")
	assert.Contains(t, err.Error(), alice)
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, err.Error(), password)
	assert.Zero(t, srv.Count("MKCALENDAR"))
}

func TestServerDownIsACalendarErrorNotAuth(t *testing.T) {
	srv := startRadicale(t)
	cal := open(t, srv, "Roster")
	c := ctx(t)
	srv.Stop()

	_, err := cal.List(c, account)
	require.Error(t, err)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotErrorIs(t, err, calendar.ErrAuth)
	assert.NotErrorIs(t, err, calendar.ErrConflict)
	assert.Contains(t, err.Error(), "CalDAV list")
	assert.NotContains(t, err.Error(), password)

	_, err = caldav.Open(c, caldav.Config{URL: srv.URL, Username: alice, Password: password, Calendar: "Roster"})
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotErrorIs(t, err, calendar.ErrAuth)
	assert.Contains(t, err.Error(), "CalDAV discovery")

	_, err = cal.Create(c, events(t, melbourne(t))[0])
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "CalDAV create")

	srv.Restart()
	_, err = cal.List(c, account)
	assert.NoError(t, err, "back up, the calendar answers again")
}

func TestPlainHTTPToAnotherHostNeedsAllowHTTP(t *testing.T) {
	srv := startRadicale(t)
	// Every connection goes to the loopback Radicale, whatever the
	// address says, so that nothing leaves this machine.
	var dialed atomic.Int32
	addr := strings.TrimPrefix(srv.URL, "http://")
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			dialed.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	cfg := caldav.Config{URL: "http://dav.example.org/", Username: alice, Password: password, Calendar: "Roster", Client: client}

	_, err := caldav.Open(ctx(t), cfg)
	require.Error(t, err)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "--allow-http")
	assert.Zero(t, dialed.Load(), "a connection was made for a refused address")

	cfg.AllowHTTP = true
	cal, err := caldav.Open(ctx(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, "Roster", cal.Name())
	assert.NotZero(t, dialed.Load())

	for _, u := range []string{"ftp://dav.example.org/", "dav.example.org", "https://alice:pw@dav.example.org/"} {
		_, err := caldav.Open(ctx(t), caldav.Config{URL: u, Username: alice, Password: password, Calendar: "Roster", Client: client})
		assert.ErrorIs(t, err, calendar.ErrCalendar, u)
		assert.NotContains(t, fmt.Sprint(err), "pw@", u)
	}
}

// TestRedirectsNeverCarryThePasswordAway: a server whose well-known
// address points to another site, or from https to http, is not followed
// with the credentials.
func TestRedirectsNeverCarryThePasswordAway(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.WriteHeader(http.StatusMultiStatus)
	}))
	t.Cleanup(elsewhere.Close)
	redirector := func(to string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, http.StatusMovedPermanently)
		})
	}

	plain := httptest.NewServer(redirector(elsewhere.URL + "/dav/"))
	t.Cleanup(plain.Close)
	_, err := caldav.Open(ctx(t), caldav.Config{URL: plain.URL, Username: alice, Password: password, Calendar: "Roster"})
	require.Error(t, err)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "another site")

	secure := httptest.NewTLSServer(redirector(elsewhere.URL + "/dav/"))
	t.Cleanup(secure.Close)
	_, err = caldav.Open(ctx(t), caldav.Config{URL: secure.URL, Username: alice, Password: password, Calendar: "Roster", Client: secure.Client()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "from https")
	assert.Zero(t, leaked.Load(), "the password was sent to another origin")
}
