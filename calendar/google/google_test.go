package google_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/google"
	"github.com/rosteron/rosteron/calendar/google/googletest"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

const account = "joe.bloggs@rosteron.example.com.au/rosteronprod/mobile"

var mel = mustZone("Australia/Melbourne")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func item(d int, title string, detail ...string) snapshot.Item {
	it := snapshot.Item{Date: snapshot.Date{Year: 2026, Month: 12, Day: d}, Title: title, Detail: make([]snapshot.Field, len(detail))}
	for i, s := range detail {
		if s != "" {
			it.Detail[i] = snapshot.Text(s)
		}
	}
	return it
}

// events makes rosteron's events of items, as a sync would, read in loc.
func events(t *testing.T, loc *time.Location, acct string, items ...snapshot.Item) []calendar.Event {
	t.Helper()
	exs := export.Events(&snapshot.Snapshot{Time: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Items: items}, loc)
	require.Len(t, exs, len(items))
	out := make([]calendar.Event, len(exs))
	for i, ex := range exs {
		out[i] = calendar.Event{
			Event:    ex,
			UID:      fmt.Sprintf("%s-%d%s", ex.Date, i, calendar.UIDDomain),
			Account:  acct,
			Modified: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
			Digest:   ex.Digest(),
			Item:     items[i],
		}
	}
	return out
}

func open(t *testing.T, fake *googletest.Server, name string) *google.Calendar {
	t.Helper()
	c, err := google.Open(context.Background(), google.Config{Client: fake.Client(), Endpoint: fake.Endpoint(), Calendar: name, Location: mel})
	require.NoError(t, err)
	return c
}

// sameEvent checks that got says and marks what want does, times
// compared as instants.
func sameEvent(t *testing.T, want, got calendar.Event) {
	t.Helper()
	assert.True(t, want.Start.Equal(got.Start), "start %v, want %v", got.Start, want.Start)
	assert.True(t, want.End.Equal(got.End), "end %v, want %v", got.End, want.End)
	assert.True(t, want.Modified.Equal(got.Modified), "modified %v, want %v", got.Modified, want.Modified)
	if !got.Start.IsZero() {
		assert.Equal(t, mel, got.Start.Location())
	}
	assert.Equal(t, want.Digest, got.Event.Digest(), "the content read back has the digest written")
	// export.Event has a field of its own that only export sets.
	strip := func(e calendar.Event) calendar.Event {
		e.Event = export.Event{Date: e.Date, Summary: e.Summary, Location: e.Location,
			Description: e.Description, Transparent: e.Transparent, Kind: e.Kind}
		e.Modified = time.Time{}
		return e
	}
	assert.Equal(t, strip(want), strip(got))
}

func TestOpenFindsOrCreatesTheCalendar(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	for i := range 5 {
		fake.AddCalendar(fmt.Sprintf("Personal %d", i), "UTC")
	}
	fake.SetPageSize(2) // the calendar list comes in pages

	c := open(t, fake, "Roster")
	assert.Equal(t, "Google Calendar: Roster", c.String())
	id := fake.CalendarID("Roster")
	require.NotEmpty(t, id)
	assert.Equal(t, id, c.ID())
	assert.Equal(t, "Australia/Melbourne", fake.CalendarZone(id), "created in the roster's zone")

	again := open(t, fake, "Roster")
	assert.Equal(t, id, again.ID(), "found, not created twice")
	assert.Len(t, fake.Calendars(), 6)

	other := open(t, fake, "Personal 4")
	assert.Equal(t, fake.CalendarID("Personal 4"), other.ID(), "found on the last page")
}

// A dry run opens with NoCreate: a missing calendar is reported, not
// made; one that exists is found as ever.
func TestOpenNoCreate(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	cfg := google.Config{Client: fake.Client(), Endpoint: fake.Endpoint(), Calendar: "Roster", Location: mel, NoCreate: true}
	_, err := google.Open(context.Background(), cfg)
	require.ErrorIs(t, err, calendar.ErrNoCalendar)
	assert.Empty(t, fake.Calendars(), "nothing made")
	assert.Zero(t, fake.Writes())

	made := open(t, fake, "Roster")
	found, err := google.Open(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, made.ID(), found.ID())
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	long := item(4, "Ward 4B - Royal Melbourne", "07:00 - 15:30", "", "Day Shift", "Registered Nurse Div 1")
	for i := range 30 {
		long.Warnings = append(long.Warnings, fmt.Sprintf("BLOGGS, JOE: Minimum 10 hours between Allocations — notice %d «ünïcödé»", i))
	}
	evs := events(t, mel, account,
		item(2, "Ward 4B - Royal Melbourne", "07:00 - 15:30", "", "Day Shift", "Registered Nurse Div 1"),
		item(3, "Annual Leave", "", "", "Annual Leave", ""),
		item(5, "Ward 4B", "22:00 - 07:00", "", "Night Shift", "RN"),
		long,
		item(6, "Ward 4B", "TBA", "", "Day Shift", "RN"),
	)
	evs[0].Alarms = []time.Duration{15 * time.Minute, time.Hour}
	evs[2].Sequence = 3
	evs[2].Alarms = []time.Duration{0}
	itemJSON, err := json.Marshal(long)
	require.NoError(t, err)
	require.Greater(t, len(itemJSON), google.MaxPropertyValue, "the long item needs splitting")

	var created []calendar.Stored
	for _, ev := range evs {
		s, err := c.Create(ctx, ev)
		require.NoError(t, err, ev.UID)
		sameEvent(t, ev, s.Event)
		assert.NotEmpty(t, s.Ref)
		assert.NotEmpty(t, s.ETag)
		assert.False(t, s.Cancelled)
		created = append(created, s)
	}

	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, len(evs))
	for i, s := range list {
		sameEvent(t, evs[i], s.Event)
		assert.Equal(t, created[i].Ref, s.Ref)
		assert.Equal(t, created[i].ETag, s.ETag)
		got, found, err := c.Get(ctx, s)
		require.NoError(t, err)
		require.True(t, found)
		sameEvent(t, evs[i], got.Event)
	}

	// As Google holds them.
	raw := fake.Events(c.ID())
	require.Len(t, raw, len(evs))
	work := raw[0]
	assert.Equal(t, evs[0].UID, work["iCalUID"])
	assert.Equal(t, map[string]any{"dateTime": "2026-12-02T07:00:00+11:00", "timeZone": "Australia/Melbourne"}, work["start"])
	assert.Equal(t, map[string]any{"dateTime": "2026-12-02T15:30:00+11:00", "timeZone": "Australia/Melbourne"}, work["end"])
	assert.Equal(t, "opaque", work["transparency"])
	assert.Equal(t, map[string]any{"useDefault": false, "overrides": []any{
		map[string]any{"method": "popup", "minutes": float64(15)},
		map[string]any{"method": "popup", "minutes": float64(60)},
	}}, work["reminders"])
	priv := work["extendedProperties"].(map[string]any)["private"].(map[string]any)
	assert.Equal(t, account, priv["account"])
	assert.Equal(t, evs[0].Digest, priv["digest"])
	assert.Equal(t, "0", priv["sequence"])
	assert.Equal(t, "15,60", priv["alarms"])
	leave := raw[1]
	assert.Equal(t, map[string]any{"date": "2026-12-03"}, leave["start"])
	assert.Equal(t, map[string]any{"date": "2026-12-04"}, leave["end"], "all-day ends the next day, exclusive")
	assert.Equal(t, "transparent", leave["transparency"])
	assert.Equal(t, float64(3), raw[2]["sequence"])
	longPriv := raw[3]["extendedProperties"].(map[string]any)["private"].(map[string]any)
	assert.NotContains(t, longPriv, "item")
	var joined strings.Builder
	for i := 1; ; i++ {
		v, ok := longPriv[fmt.Sprintf("item%d", i)].(string)
		if !ok {
			break
		}
		assert.LessOrEqual(t, len(v), google.MaxPropertyValue)
		joined.WriteString(v)
	}
	assert.JSONEq(t, string(itemJSON), joined.String())
}

func TestOthersEventsUntouched(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	// The person's own event, and one that looks like rosteron's but
	// has no properties.
	own, err := fake.Put(c.ID(), map[string]any{"summary": "Dentist",
		"start": map[string]any{"dateTime": "2026-12-02T09:00:00+11:00"}, "end": map[string]any{"dateTime": "2026-12-02T10:00:00+11:00"}})
	require.NoError(t, err)
	_, err = fake.Put(c.ID(), map[string]any{"summary": "Imported", "iCalUID": "x@rosteron",
		"start": map[string]any{"date": "2026-12-03"}, "end": map[string]any{"date": "2026-12-04"}})
	require.NoError(t, err)
	// Another account's.
	other := events(t, mel, "jane@rosteron.example.com.au/rosteronprod/mobile", item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))[0]
	other.UID = "jane-" + other.UID
	theirs, err := c.Create(ctx, other)
	require.NoError(t, err)

	mine := events(t, mel, account, item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))[0]
	s, err := c.Create(ctx, mine)
	require.NoError(t, err)
	before := fake.Events(c.ID())

	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, s.Ref, list[0].Ref)

	moved := events(t, mel, account, item(2, "Ward 4B", "08:00 - 16:30", "", "Day Shift", "RN"))[0]
	moved.UID = mine.UID
	moved.Sequence = 1
	s, err = c.Update(ctx, list[0], moved)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, s))

	after := fake.Events(c.ID())
	for i, ev := range before {
		if ev["id"] == s.Ref {
			continue
		}
		assert.Equal(t, ev, after[i], "event %v untouched", ev["summary"])
	}
	assert.Equal(t, own, after[0]["id"])
	theirList, err := c.List(ctx, other.Account)
	require.NoError(t, err)
	require.Len(t, theirList, 1)
	assert.Equal(t, theirs.ETag, theirList[0].ETag)
}

func TestUpdateKeepsWhatThePersonAdded(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	ev := events(t, mel, account, item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))[0]
	ev.Alarms = []time.Duration{time.Hour}
	s, err := c.Create(ctx, ev)
	require.NoError(t, err)

	// The person colours it, invites someone, adds a reminder of their
	// own and edits the title; Google raises the sequence.
	require.NoError(t, fake.Edit(c.ID(), s.Ref, func(g map[string]any) {
		g["colorId"] = "5"
		g["attendees"] = []any{map[string]any{"email": "partner@example.com"}}
		g["reminders"] = map[string]any{"useDefault": false, "overrides": []any{
			map[string]any{"method": "popup", "minutes": 60},
			map[string]any{"method": "email", "minutes": 1440},
		}}
		g["summary"] = "Day Shift (swap?)"
		g["sequence"] = 4
		g["extendedProperties"].(map[string]any)["private"].(map[string]any)["note"] = "theirs"
	}))

	// A stale read is refused with a conflict, by Google's 412.
	_, err = c.Update(ctx, s, ev)
	require.ErrorIs(t, err, calendar.ErrConflict)
	require.ErrorIs(t, err, calendar.ErrCalendar)
	require.ErrorIs(t, c.Delete(ctx, s), calendar.ErrConflict)

	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	read := list[0]
	assert.Equal(t, "Day Shift (swap?)", read.Summary, "the edit is read back")
	assert.NotEqual(t, read.Digest, read.Event.Event.Digest(), "and seen as an edit")
	assert.Equal(t, []time.Duration{time.Hour}, read.Alarms, "rosteron's reminder")
	assert.Equal(t, 4, read.Sequence, "Google's sequence, raised by the edit, above rosteron's")

	moved := events(t, mel, account, item(2, "Ward 4B", "09:00 - 17:30", "", "Day Shift", "RN"))[0]
	moved.UID = ev.UID
	moved.Sequence = 1
	moved.Modified = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	moved.Alarms = []time.Duration{15 * time.Minute}
	up, err := c.Update(ctx, read, moved)
	require.NoError(t, err)
	assert.Equal(t, 5, up.Sequence, "above Google's, though the caller asked for less")
	moved.Sequence = 5
	sameEvent(t, moved, up.Event)
	assert.Equal(t, read.Ref, up.Ref)

	g := fake.Events(c.ID())[0]
	assert.Equal(t, "5", g["colorId"])
	assert.Equal(t, []any{map[string]any{"email": "partner@example.com"}}, g["attendees"])
	assert.Equal(t, map[string]any{"useDefault": false, "overrides": []any{
		map[string]any{"method": "popup", "minutes": float64(15)},
		map[string]any{"method": "email", "minutes": float64(1440)},
	}}, g["reminders"], "rosteron's reminder replaced, the person's kept")
	assert.Equal(t, float64(5), g["sequence"], "the update raises Google's sequence")
	priv := g["extendedProperties"].(map[string]any)["private"].(map[string]any)
	assert.Equal(t, "theirs", priv["note"])
	assert.Equal(t, "5", priv["sequence"], "the sequence sent")
	assert.Equal(t, "Day Shift", g["summary"])
}

func TestDeleteAndRestore(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	ev := events(t, mel, account, item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))[0]
	s, err := c.Create(ctx, ev)
	require.NoError(t, err)
	tag, err := c.Tag(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, s))
	tag2, err := c.Tag(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, tag, tag2)

	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	gone := list[0]
	assert.True(t, gone.Cancelled, "Google keeps it, cancelled")
	assert.Equal(t, s.Ref, gone.Ref)
	require.NoError(t, c.Delete(ctx, gone), "deleting a deleted event is done")

	_, err = c.Create(ctx, ev)
	assert.NoError(t, err, "a cancelled event with the UID is restored, not refused")
	list, err = c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.False(t, list[0].Cancelled)
	require.NoError(t, c.Delete(ctx, list[0]))

	list, err = c.List(ctx, account)
	require.NoError(t, err)
	ev.Sequence = 1
	back, err := c.Update(ctx, list[0], ev)
	require.NoError(t, err)
	assert.False(t, back.Cancelled)
	assert.Equal(t, s.Ref, back.Ref, "the same event, restored")
	assert.Equal(t, "confirmed", fake.Events(c.ID())[0]["status"])

	_, err = c.Create(ctx, ev)
	assert.ErrorIs(t, err, calendar.ErrConflict, "a live event with the UID")
}

// Google documents only the id of a deleted event as sure to be listed:
// one that List cannot read is found again by its UID when the shift
// comes back.
func TestCreateRestoresACancelledEventListedBare(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()
	ev := events(t, mel, account, item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))[0]
	s, err := c.Create(ctx, ev)
	require.NoError(t, err)
	require.NoError(t, fake.Edit(c.ID(), s.Ref, func(g map[string]any) { g["colorId"] = "7" }))
	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NoError(t, c.Delete(ctx, list[0]))

	fake.SetMinimalCancelled(true)
	list, err = c.List(ctx, account)
	require.NoError(t, err)
	assert.Empty(t, list, "a bare cancelled event is not guessed at")

	ev.Sequence = 1
	back, err := c.Create(ctx, ev)
	require.NoError(t, err)
	assert.Equal(t, s.Ref, back.Ref)
	assert.False(t, back.Cancelled)
	assert.Equal(t, 1, back.Sequence)
	require.Len(t, fake.Events(c.ID()), 1)
	assert.Equal(t, "7", fake.Events(c.ID())[0]["colorId"], "what the person added is kept")

	// Another account's cancelled event under the UID is not taken.
	other := ev
	other.Account = "jane@x/y"
	list, err = c.List(ctx, account)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, list[0]))
	_, err = c.Create(ctx, other)
	assert.ErrorIs(t, err, calendar.ErrConflict)
}

func TestListPages(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()
	var items []snapshot.Item
	for d := 1; d <= 7; d++ {
		items = append(items, item(d, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"))
	}
	for _, ev := range events(t, mel, account, items...) {
		_, err := c.Create(ctx, ev)
		require.NoError(t, err)
	}
	fake.SetPageSize(2)
	list, err := c.List(ctx, account)
	require.NoError(t, err)
	assert.Len(t, list, 7)
	n := 0
	for _, r := range fake.Requests() {
		if r == "GET /calendar/v3/calendars/"+c.ID()+"/events" {
			n++
		}
	}
	assert.Equal(t, 4, n, "four pages of two")
}

func TestTag(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()
	t0, err := c.Tag(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, t0)
	same, err := c.Tag(ctx)
	require.NoError(t, err)
	assert.Equal(t, t0, same)

	s, err := c.Create(ctx, events(t, mel, account, item(2, "W", "07:00 - 15:30", "", "Day", "RN"))[0])
	require.NoError(t, err)
	t1, err := c.Tag(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, t0, t1)

	require.NoError(t, fake.Edit(c.ID(), s.Ref, func(ev map[string]any) { ev["summary"] = "edited" }))
	t2, err := c.Tag(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, t1, t2, "an edit in Google changes the tag")
}

func TestFloatingTimesRefused(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	_, err := google.Open(context.Background(), google.Config{Client: fake.Client(), Endpoint: fake.Endpoint(), Calendar: "Roster", Location: snapshot.Floating})
	require.ErrorIs(t, err, google.ErrFloating)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.Contains(t, err.Error(), "--tz")
	assert.Empty(t, fake.Requests())

	c := open(t, fake, "Roster")
	ev := events(t, snapshot.Floating, account, item(2, "W", "07:00 - 15:30", "", "Day", "RN"))[0]
	_, err = c.Create(context.Background(), ev)
	require.ErrorIs(t, err, google.ErrFloating)
	assert.Empty(t, fake.Events(c.ID()))
}

func TestBadEventsRefused(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()
	base := events(t, mel, account, item(2, "W", "07:00 - 15:30", "", "Day", "RN"))[0]
	for name, mod := range map[string]func(*calendar.Event){
		"foreign UID":       func(e *calendar.Event) { e.UID = "x@example.com" },
		"no account":        func(e *calendar.Event) { e.Account = "" },
		"alarm after start": func(e *calendar.Event) { e.Alarms = []time.Duration{-time.Minute} },
		"alarm in seconds":  func(e *calendar.Event) { e.Alarms = []time.Duration{90 * time.Second} },
		"six alarms": func(e *calendar.Event) {
			e.Alarms = []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute, 6 * time.Minute}
		},
	} {
		ev := base
		mod(&ev)
		_, err := c.Create(ctx, ev)
		assert.ErrorIs(t, err, calendar.ErrCalendar, name)
	}
	assert.Empty(t, fake.Events(c.ID()))
}

func TestErrors(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	for _, tc := range []struct {
		status    int
		reason    string
		temporary bool
	}{
		{http.StatusServiceUnavailable, "backendError", true},
		{http.StatusInternalServerError, "backendError", true},
		{http.StatusTooManyRequests, "rateLimitExceeded", true},
		{http.StatusForbidden, "rateLimitExceeded", true},
		{http.StatusForbidden, "userRateLimitExceeded", true},
		{http.StatusForbidden, "forbidden", false},
		{http.StatusBadRequest, "invalid", false},
	} {
		fake.FailNext(1, tc.status, tc.reason)
		_, err := c.List(ctx, account)
		require.Error(t, err)
		assert.ErrorIs(t, err, calendar.ErrCalendar)
		var e *google.Error
		require.ErrorAs(t, err, &e, "%d %s", tc.status, tc.reason)
		assert.Equal(t, tc.temporary, e.Temporary(), "%d %s", tc.status, tc.reason)
		assert.Equal(t, tc.status, e.Status)
		assert.Contains(t, err.Error(), "Google Calendar: listing the events: HTTP "+fmt.Sprint(tc.status))
	}
	_, err := c.List(ctx, account)
	assert.NoError(t, err, "the failures are over")

	// No answer at all is temporary too.
	dead := googletest.New(t)
	endpoint := dead.Endpoint()
	client := dead.Client()
	_, err = google.Open(ctx, google.Config{Client: client, Endpoint: strings.Replace(endpoint, dead.URL(), "http://127.0.0.1:1", 1), Calendar: "R", Location: mel})
	var e *google.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Temporary())
	assert.Contains(t, err.Error(), "finding the calendar")
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	ctx := context.Background()

	// An access token Google does not know.
	bad := &http.Client{Transport: &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.not-valid"})}}
	_, err := google.Open(ctx, google.Config{Client: bad, Endpoint: fake.Endpoint(), Calendar: "Roster", Location: mel})
	var ae *calendar.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, google.Service, ae.Service)
	assert.Equal(t, http.StatusUnauthorized, ae.Status)
	assert.ErrorIs(t, err, calendar.ErrAuth)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotContains(t, err.Error(), "ya29")

	// A refresh token revoked, or a Testing app's week over.
	cfg, err := google.ParseClient(fake.ClientFile())
	require.NoError(t, err)
	refresh := fake.RefreshToken()
	var saved []*oauth2.Token
	client, err := google.Client(ctx, cfg, &oauth2.Token{RefreshToken: refresh}, fake.Endpoint(), nil, func(t *oauth2.Token) { saved = append(saved, t) })
	require.NoError(t, err)
	c, err := google.Open(ctx, google.Config{Client: client, Endpoint: fake.Endpoint(), Calendar: "Roster", Location: mel})
	require.NoError(t, err, "the access token is refreshed")
	require.Len(t, saved, 1, "and handed back to be saved")
	assert.Equal(t, refresh, saved[0].RefreshToken)
	assert.NotEmpty(t, saved[0].AccessToken)

	// An access token refused before its time is refreshed, once, and
	// the request sent again.
	fake.ExpireAccessTokens()
	refreshes := fake.TokenRequests()
	s, err := c.Create(ctx, events(t, mel, account, item(2, "W", "07:00 - 15:30", "", "Day", "RN"))[0])
	require.NoError(t, err)
	assert.Equal(t, refreshes+1, fake.TokenRequests())
	require.Len(t, saved, 2)
	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1, "the event was written once")
	assert.Equal(t, s.Ref, list[0].Ref)

	// Revoked: the access token and the refresh token with it.
	fake.Revoke()
	_, err = c.List(ctx, account)
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Reason, "revoked or has expired")

	c2, err := google.Client(ctx, cfg, &oauth2.Token{RefreshToken: refresh}, fake.Endpoint(), nil, nil)
	require.NoError(t, err)
	_, err = google.Open(ctx, google.Config{Client: c2, Endpoint: fake.Endpoint(), Calendar: "Roster", Location: mel})
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Reason, "revoked or has expired")
	assert.Contains(t, ae.Reason, "7 days")
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotContains(t, err.Error(), refresh)
	assert.NotContains(t, err.Error(), googletest.ClientSecret)
}

func TestParseClient(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	cfg, err := google.ParseClient(fake.ClientFile())
	require.NoError(t, err)
	assert.Equal(t, googletest.ClientID, cfg.ClientID)
	assert.Equal(t, fake.TokenURL(), cfg.Endpoint.TokenURL)
	assert.Equal(t, []string{google.Scope}, cfg.Scopes)

	cfg, err = google.ParseClient([]byte(`{"installed":{"client_id":"x","client_secret":"y"}}`))
	require.NoError(t, err)
	assert.Equal(t, google.DefaultTokenURL, cfg.Endpoint.TokenURL, "Google's when the file names none")

	for _, bad := range []string{`nope`, `{}`, `{"installed":{}}`, `{"installed":{"client_id":"x","token_uri":"http://evil.example/token"}}`} {
		_, err := google.ParseClient([]byte(bad))
		assert.Error(t, err, bad)
	}
	_, err = google.ParseClient([]byte(`{"installed":{"client_id":"x","token_uri":"https://u:hunter2@oauth2.example/token"}}`))
	require.ErrorContains(t, err, "user name or password")
	assert.NotContains(t, err.Error(), "hunter2")
	_, err = google.ParseToken([]byte(`{"access_token":"a"}`))
	assert.ErrorContains(t, err, "no refresh token")
}

func TestSplitItemCutsBetweenCharacters(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	it := item(2, strings.Repeat("é", 1500), "07:00 - 15:30", "", "Day", "RN")
	ev := events(t, mel, account, it)[0]
	s, err := c.Create(context.Background(), ev)
	require.NoError(t, err)
	sameEvent(t, ev, s.Event)
	errs := 0
	priv := fake.Events(c.ID())[0]["extendedProperties"].(map[string]any)["private"].(map[string]any)
	for k, v := range priv {
		if strings.HasPrefix(k, "item") && !utf8.ValidString(v.(string)) {
			errs++
		}
	}
	assert.Zero(t, errs)
}

// An update may change an event's shape: timed to all-day and back, an
// item split across properties to one that fits in one.
func TestUpdateChangesShape(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()

	long := item(2, strings.Repeat("Ward 4B ", 200), "07:00 - 15:30", "", "Day Shift", "RN")
	first := events(t, mel, account, long)[0]
	s, err := c.Create(ctx, first)
	require.NoError(t, err)
	priv := fake.Events(c.ID())[0]["extendedProperties"].(map[string]any)["private"].(map[string]any)
	require.Contains(t, priv, "item2")

	leave := events(t, mel, account, item(2, "Annual Leave", "", "", "Annual Leave", ""))[0]
	leave.UID, leave.Sequence = first.UID, 1
	s, err = c.Update(ctx, s, leave)
	require.NoError(t, err)
	sameEvent(t, leave, s.Event)
	g := fake.Events(c.ID())[0]
	assert.Equal(t, map[string]any{"date": "2026-12-02"}, g["start"], "the dateTime is gone")
	assert.Equal(t, map[string]any{"date": "2026-12-03"}, g["end"])
	priv = g["extendedProperties"].(map[string]any)["private"].(map[string]any)
	assert.Contains(t, priv, "item")
	assert.NotContains(t, priv, "item1", "the parts of the longer item are gone")
	assert.NotContains(t, priv, "item2")

	first.Sequence = 2
	s, err = c.Update(ctx, s, first)
	require.NoError(t, err)
	sameEvent(t, first, s.Event)
	g = fake.Events(c.ID())[0]
	assert.Equal(t, map[string]any{"dateTime": "2026-12-02T07:00:00+11:00", "timeZone": "Australia/Melbourne"}, g["start"])
}
