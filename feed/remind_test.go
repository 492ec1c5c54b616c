package feed

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servedEvent is what the iCalendar feed says of one event.
type servedEvent struct {
	uid      string
	sequence int
	triggers []string
}

func servedEvents(t *testing.T, f *Feed) []servedEvent {
	t.Helper()
	rec := get(Handler(f, testToken), "GET", "/"+testToken+"/"+ICSName)
	require.Equal(t, http.StatusOK, rec.Code)
	cal, err := ical.NewDecoder(strings.NewReader(rec.Body.String())).Decode()
	require.NoError(t, err)
	var out []servedEvent
	for _, ev := range cal.Events() {
		uid, err := ev.Props.Text(ical.PropUID)
		require.NoError(t, err)
		seq, err := ev.Props.Get(ical.PropSequence).Int()
		require.NoError(t, err)
		se := servedEvent{uid: uid, sequence: seq}
		for _, a := range ev.Children {
			require.Equal(t, ical.CompAlarm, a.Name)
			assert.Equal(t, "1", a.Props.Get("X-ROSTERON-ALARM").Value)
			se.triggers = append(se.triggers, a.Props.Get(ical.PropTrigger).Value)
		}
		out = append(out, se)
	}
	return out
}

// A feed with reminders serves them; a restart that turns them on revises
// every event; a shift that changes keeps its reminder.
func TestFeedReminders(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	f, c := newTestFeed(t, WithStateDir(dir))
	_, err := f.Update(snap(c.Now(), "Ward 4B", "Ward 5"))
	require.NoError(t, err)
	before := servedEvents(t, f)
	require.Len(t, before, 2)
	for _, ev := range before {
		assert.Zero(t, ev.sequence)
		assert.Empty(t, ev.triggers)
	}

	// Restarted with --remind 1h,15m: the saved roster is served with
	// them, each event one revision on.
	g, c2 := newTestFeed(t, WithStateDir(dir), WithReminders([]time.Duration{time.Hour, 15 * time.Minute}, false))
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded)
	after := servedEvents(t, g)
	require.Len(t, after, 2)
	for i, ev := range after {
		assert.Equal(t, before[i].uid, ev.uid)
		assert.Equal(t, 1, ev.sequence)
		assert.Equal(t, []string{"-PT15M", "-PT1H"}, ev.triggers)
	}

	// The first shift moves to another ward: its event is revised and
	// keeps its reminders; the other is as it was.
	c2.Add(time.Hour)
	changed, err := g.Update(snap(c2.Now(), "Ward 6", "Ward 5"))
	require.NoError(t, err)
	require.True(t, changed)
	moved := servedEvents(t, g)
	require.Len(t, moved, 2)
	assert.Equal(t, servedEvent{after[0].uid, 2, []string{"-PT15M", "-PT1H"}}, moved[0])
	assert.Equal(t, after[1], moved[1])
}
