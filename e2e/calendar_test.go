package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// calEvent is what a calendar app keeps of an event between refreshes.
type calEvent struct {
	start        time.Time
	sequence     int
	lastModified string
	description  string
}

// feedEvents fetches the iCalendar feed and reads its events by UID, and
// the calendar's own properties by name, and returns the feed as served.
// Two iCalendar libraries read it, and must agree on each event's UID
// and start.
func feedEvents(t *testing.T, p *feedProc) (map[string]calEvent, map[string]string, string) {
	t.Helper()
	resp, body := fetch(t, http.MethodGet, p.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	require.NoError(t, err)
	require.Len(t, other.Events(), len(cal.Events()))
	props := map[string]string{}
	for _, prop := range cal.CalendarProperties {
		props[prop.IANAToken] = prop.Value
	}
	events := map[string]calEvent{}
	for i, ev := range cal.Events() {
		var e calEvent
		if start, err := ev.GetStartAt(); err == nil {
			e.start = start
		}
		uid, err := other.Events()[i].Props.Text(ical.PropUID)
		require.NoError(t, err)
		require.Equal(t, ev.Id(), uid)
		if start, err := other.Events()[i].DateTimeStart(nil); err == nil {
			require.True(t, start.Equal(e.start), "event %s starts %v or %v", uid, start, e.start)
		}
		if prop := ev.GetProperty(ics.ComponentPropertySequence); prop != nil {
			e.sequence, err = strconv.Atoi(prop.Value)
			require.NoError(t, err)
		}
		if prop := ev.GetProperty(ics.ComponentPropertyLastModified); prop != nil {
			e.lastModified = prop.Value
		}
		if prop := ev.GetProperty(ics.ComponentPropertyDescription); prop != nil {
			e.description = prop.Value
		}
		_, dup := events[ev.Id()]
		require.False(t, dup, "UID %s twice", ev.Id())
		events[ev.Id()] = e
	}
	return events, props, body
}

// A shift moved while serve runs keeps its event: the same UID, its
// SEQUENCE one higher and LAST-MODIFIED set, across a restart too, so a
// calendar app updates the event, alarms and notes included, instead of
// replacing it. The other events stay as they were. A restart while
// RosterOn is down serves the same calendar, byte for byte. RosterOn is
// the shared mock, changed through its control endpoint, behind a proxy
// that can be stopped.
func TestServeEventsUpdateInPlace(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	user := "calendar.e2e." + hex.EncodeToString(rnd[:])
	today := time.Now()
	roster := mockserver.DemoRoster(today)
	mockControl(t, "PUT", "users/"+user, map[string]any{"password": feedPassword, "name": "NURSE, NINA", "roster": roster})
	rosterOn, url := newProxyHost(t, mockURL)
	env := []string{"ROSTERON_URL=" + url, "ROSTERON_USERNAME=" + user, "ROSTERON_PASSWORD=" + feedPassword}
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	args := []string{"--refresh", "2s", "--state", t.TempDir(), "--tz", "Australia/Melbourne"}

	p := startFeed(t, env, args...)
	p.waitRefreshes(t, 1)
	before, props, _ := feedEvents(t, p)
	require.NotEmpty(t, before)
	assert.Equal(t, "PT2S", props["REFRESH-INTERVAL"], "apps are told how often to refresh")
	assert.Equal(t, "PT2S", props["X-PUBLISHED-TTL"])
	for uid, e := range before {
		assert.Zero(t, e.sequence, uid)
		assert.NotContains(t, e.description, "(empty)", uid)
	}

	// A date a few days on with one day shift, and its event.
	perDay := map[snapshot.Date]int{}
	for _, it := range roster {
		perDay[it.Date]++
	}
	var day snapshot.Date
	for _, it := range roster {
		if it.Date.After(snapshot.DateOf(today).AddDays(3)) && perDay[it.Date] == 1 && it.Detail[0].Value == "07:00 - 15:30" {
			day = it.Date
			break
		}
	}
	require.False(t, day.IsZero(), "a later day shift in the demo roster")
	at := func(clock string) time.Time {
		c, err := time.Parse("15:04", clock)
		require.NoError(t, err)
		return time.Date(day.Year, day.Month, day.Day, c.Hour(), c.Minute(), 0, 0, mel)
	}
	var uid string
	for id, e := range before {
		if e.start.Equal(at("07:00")) {
			uid = id
		}
	}
	require.NotEmpty(t, uid, "the event of %s", day)

	move := func(times string) {
		t.Helper()
		mockControl(t, "POST", "users/"+user+"/changes", mockserver.RosterChange{Op: mockserver.OpMove, Date: day, Times: times})
		p.waitRefreshes(t, 2) // one may have begun before the change
	}
	move("10:00 - 18:30")
	after, _, served := feedEvents(t, p)
	require.Contains(t, after, uid, "the moved shift keeps its event")
	moved := after[uid]
	assert.True(t, moved.start.Equal(at("10:00")), "starts %v", moved.start)
	assert.Equal(t, 1, moved.sequence)
	assert.NotEmpty(t, moved.lastModified)
	assert.Len(t, after, len(before))
	for id, e := range before {
		if id != uid {
			assert.Equal(t, e, after[id], "event %s is untouched", id)
		}
	}

	// Restarted while RosterOn is down, it serves the same calendar from
	// its state folder, its history used, not set aside.
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	rosterOn.stop()
	p = startFeed(t, env, args...)
	p.waitFor(t, "a refresh that fails", 90*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), "refresh failed")
	})
	_, _, down := feedEvents(t, p)
	assert.Equal(t, served, down)
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	assert.NotContains(t, p.stderr.String(), "event history was set aside")

	// Restarted with RosterOn back, the feed remembers: the same event,
	// the same sequence; moved back, the sequence rises again.
	rosterOn.start()
	p = startFeed(t, env, args...)
	p.waitRefreshes(t, 1)
	again, _, _ := feedEvents(t, p)
	assert.Equal(t, moved, again[uid])
	move("07:00 - 15:30")
	back, _, _ := feedEvents(t, p)
	require.Contains(t, back, uid)
	assert.True(t, back[uid].start.Equal(at("07:00")))
	assert.Equal(t, 2, back[uid].sequence)
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
}
