package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// calendarEvent is an event of a served calendar as both readers read it.
type calendarEvent struct {
	uid      string
	sequence int
	start    time.Time
}

func readCalendar(t *testing.T, body string) map[string]calendarEvent {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	require.NoError(t, err)
	require.Len(t, other.Events(), len(cal.Events()))
	byUID := map[string]calendarEvent{}
	for i, ev := range cal.Events() {
		seq, err := strconv.Atoi(ev.GetProperty(ics.ComponentPropertySequence).Value)
		require.NoError(t, err)
		start, err := other.Events()[i].DateTimeStart(nil)
		require.NoError(t, err)
		uid, err := other.Events()[i].Props.Text(ical.PropUID)
		require.NoError(t, err)
		require.Equal(t, ev.Id(), uid)
		byUID[uid] = calendarEvent{uid: uid, sequence: seq, start: start}
	}
	return byUID
}

// A roster that changes while serve runs: the moved shift keeps its event
// in the feed, one SEQUENCE on, across a restart too. The RosterOn behind
// the feed is swapped between two mocks, the second with one shift later.
func TestServeEventsUpdateInPlace(t *testing.T) {
	needChrome(t)
	today := time.Now()
	before := mockserver.DemoUser(today)
	after := before
	after.Roster = append([]snapshot.Item(nil), before.Roster...)
	moved := 4 // a night shift, alone on its date
	after.Roster[moved].Detail = append([]snapshot.Field(nil), after.Roster[moved].Detail...)
	after.Roster[moved].Detail[0] = snapshot.Text("22:30 - 08:30")

	var current atomic.Pointer[mockserver.Server]
	first, second := mockserver.New(mockserver.WithUsers(before)), mockserver.New(mockserver.WithUsers(after))
	current.Store(first)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().ServeHTTP(w, r) }))
	defer ts.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + first.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword, "ROSTERON_FEED_TOKEN": goodToken,
	})
	state := t.TempDir()
	args := []string{"--state", state, "--tz", "Australia/Melbourne", "--timeout", "30s", "--refresh", "1s"}

	s := startServe(t, env, args...)
	require.Eventually(t, func() bool { return health(t, s).OK }, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	_, body := httpGet(t, s.ics)
	assert.Contains(t, body, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1S\r\nX-PUBLISHED-TTL:PT1S\r\n")
	v1 := readCalendar(t, body)
	require.Len(t, v1, len(before.Roster))
	for _, ev := range v1 {
		assert.Zero(t, ev.sequence)
	}

	current.Store(second)
	var v2 map[string]calendarEvent
	require.Eventually(t, func() bool {
		_, body = httpGet(t, s.ics)
		v2 = readCalendar(t, body)
		return strings.Contains(body, "22:30–08:30")
	}, 60*time.Second, 50*time.Millisecond, s.stderr.String())
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))

	// Every event is still there under its UID; the moved one starts an
	// hour later and is one revision on; the rest are as they were.
	require.Len(t, v2, len(v1))
	changed := 0
	for uid, old := range v1 {
		now, ok := v2[uid]
		require.True(t, ok, "event %s kept", uid)
		if now.start.Equal(old.start) {
			assert.Equal(t, old, now)
			continue
		}
		changed++
		assert.Equal(t, time.Hour, now.start.Sub(old.start))
		assert.Equal(t, 1, now.sequence)
	}
	assert.Equal(t, 1, changed)

	// Restarted with RosterOn unreachable, it serves the same calendar.
	s = startServe(t, env, "--state", state, "--tz", "Australia/Melbourne", "--browser", "ws://127.0.0.1:1", "--refresh", "1s")
	_, again := httpGet(t, s.ics)
	assert.Equal(t, body, again)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), "event history was set aside")
}

// A calendar history that cannot be used is set aside with a warning; the
// saved roster is served all the same. No Chrome is needed.
func TestServeSetsAsideABadHistory(t *testing.T) {
	state := t.TempDir()
	items := mockserver.DemoRoster(time.Now())
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: items})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(state, feed.CalendarFile), []byte("{not json"), 0o600))

	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	s := startServe(t, env, "--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	resp, body := httpGet(t, s.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, len(items), strings.Count(body, "BEGIN:VEVENT"))
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Regexp(t, `(?m)^rosteron: warning: the calendar's event history was set aside: reading \S+calendar\.json: `, s.stderr.String())
	assert.Contains(t, s.stderr.String(), "serving the roster saved in")
}
