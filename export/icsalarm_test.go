package export

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

// alarm is what both readers agree a VALARM says.
type alarm struct {
	Action, Description, Trigger, Mark string
}

// alarmsOf reads every event's VALARMs with both readers, which must
// agree.
func alarmsOf(t *testing.T, out string) [][]alarm {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	require.NoError(t, err)
	require.Len(t, other.Events(), len(cal.Events()))
	var all [][]alarm
	for i, ev := range cal.Events() {
		var got []alarm
		for _, a := range ev.Alarms() {
			prop := func(name string) string {
				if p := a.GetProperty(ics.ComponentProperty(name)); p != nil {
					return p.Value
				}
				return ""
			}
			got = append(got, alarm{prop("ACTION"), prop("DESCRIPTION"), prop("TRIGGER"), prop(alarmProp)})
		}
		var theirs []alarm
		for _, c := range other.Events()[i].Children {
			require.Equal(t, ical.CompAlarm, c.Name)
			desc, err := c.Props.Text(ical.PropDescription)
			require.NoError(t, err)
			value := func(name string) string {
				if p := c.Props.Get(name); p != nil {
					return p.Value
				}
				return ""
			}
			theirs = append(theirs, alarm{value(ical.PropAction), desc, value(ical.PropTrigger), value(alarmProp)})
		}
		require.Equal(t, got, theirs, "event %d", i)
		all = append(all, got)
	}
	return all
}

// Reminders are VALARMs on every work, on-call and unknown shift, all-day
// ones included, and on leave only when asked for.
func TestWriteICSReminders(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	snap := shiftsRoster()
	shifts := snap.Shifts(mel)
	for _, leave := range []bool{false, true} {
		// Unsorted, repeated and a zero: written in order, each once.
		out := writeICS(t, snap, mel, WithReminders([]time.Duration{time.Hour, 15 * time.Minute, 0, 60 * time.Minute, 26*time.Hour + 30*time.Minute}, leave))
		events := alarmsOf(t, out)
		require.Len(t, events, len(shifts))
		for i, sh := range shifts {
			summary := Events(snap, mel)[i].Summary
			if sh.Kind == snapshot.KindLeave && !leave {
				assert.Empty(t, events[i], "leave has no reminder unless asked for")
				continue
			}
			assert.Equal(t, []alarm{
				{"DISPLAY", summary, "-PT15M", "1"},
				{"DISPLAY", summary, "-PT1H", "1"},
				{"DISPLAY", summary, "-P1DT2H30M", "1"},
			}, events[i], "event %d (%s)", i, sh.Kind)
		}
		assert.Contains(t, out, "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Night Shift\r\nTRIGGER:-PT15M\r\nX-ROSTERON-ALARM:1\r\nEND:VALARM\r\n")
	}
}

// Without reminders, or with none that count, the calendar is as it was,
// byte for byte (and TestWriteICSGolden holds it to its file).
func TestWriteICSNoReminders(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	plain := writeICS(t, shiftsRoster(), mel)
	assert.NotContains(t, plain, "VALARM")
	assert.Equal(t, plain, writeICS(t, shiftsRoster(), mel, WithReminders(nil, true)))
	assert.Equal(t, plain, writeICS(t, shiftsRoster(), mel, WithReminders([]time.Duration{0, -time.Hour}, false)))
	_, _, h := writeFeed(t, shiftsRoster(), nil, feedT1)
	_, _, hNone := writeFeed(t, shiftsRoster(), nil, feedT1, WithReminders(nil, false))
	assert.Equal(t, h, hNone)
	for i, ev := range Events(shiftsRoster(), mel) {
		assert.Equal(t, ev.Digest(), h.Events[i].Digest, "a feed without reminders keeps Event.Digest")
	}
}

func TestReminders(t *testing.T) {
	t.Parallel()
	before := []time.Duration{time.Hour, 15 * time.Minute, time.Hour, -time.Minute, 1500 * time.Millisecond}
	want := []time.Duration{2 * time.Second, 15 * time.Minute, time.Hour}
	assert.Equal(t, want, Reminders(Event{Kind: snapshot.KindWork}, before, false))
	assert.Equal(t, want, Reminders(Event{Kind: snapshot.KindOnCall}, before, false))
	assert.Equal(t, want, Reminders(Event{Kind: snapshot.KindUnknown}, before, false))
	assert.Nil(t, Reminders(Event{Kind: snapshot.KindLeave}, before, false))
	assert.Equal(t, want, Reminders(Event{Kind: snapshot.KindLeave}, before, true))
	assert.Nil(t, Reminders(Event{Kind: snapshot.KindWork}, nil, true))
	assert.Equal(t, time.Hour, before[0], "the caller's slice is left alone")
}

// In a feed, reminders are part of what an event says: turning them on or
// changing them is a new revision, and a reminder survives an update of
// its event.
func TestWriteICSFeedReminders(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	day := func(d int, times, name string) snapshot.Item {
		return shiftItem(2026, 4, d, ward4B, times, "", name, rn)
	}
	v1 := &snapshot.Snapshot{Time: feedT1, Items: []snapshot.Item{
		day(6, "07:00 - 15:30", "Day Shift"),
		day(7, "09:00 - 16:36", "Annual Leave"),
		day(8, "13:00 - 21:30", "Late Shift"),
	}}
	hour := []time.Duration{time.Hour}
	_, e1, h1 := writeFeed(t, v1, nil, feedT1)

	// Reminders turned on: the shifts' events are revised, leave's not.
	out2, e2, h2 := writeFeed(t, v1, h1, feedT2, WithReminders(hour, false))
	assert.Equal(t, uidsOf(e1), uidsOf(e2))
	assert.Equal(t, []int{1, 0, 1}, []int{e2[0].Sequence, e2[1].Sequence, e2[2].Sequence})
	assert.True(t, feedT2.Equal(e2[0].Modified))
	assert.Equal(t, e1[1], e2[1])
	assert.Equal(t, []int{1, 0, 1}, alarmCounts(t, out2))

	// The same again: nothing moves.
	out3, _, h3 := writeFeed(t, v1, h2, feedT3, WithReminders(hour, false))
	assert.Equal(t, out2, out3)
	assert.Equal(t, h2, h3)

	// Monday's shift moves to 09:00: one revision, its reminder kept and
	// the others as they were.
	v4 := &snapshot.Snapshot{Time: feedT3, Items: []snapshot.Item{day(6, "09:00 - 17:30", "Day Shift"), v1.Items[1], v1.Items[2]}}
	out4, e4, h4 := writeFeed(t, v4, h3, feedT3, WithReminders(hour, false))
	assert.Equal(t, uidsOf(e1), uidsOf(e4))
	assert.Equal(t, 2, e4[0].Sequence)
	assert.Equal(t, 9, e4[0].Start.In(mel).Hour())
	assert.Equal(t, e2[1:], e4[1:])
	alarms := alarmsOf(t, out4)
	assert.Equal(t, []alarm{{"DISPLAY", "Day Shift", "-PT1H", "1"}}, alarms[0], "the moved shift keeps its reminder")

	// Another time, and leave too: every event revised once more.
	out5, e5, h5 := writeFeed(t, v4, h4, feedT3.Add(time.Hour), WithReminders([]time.Duration{30 * time.Minute}, true))
	assert.Equal(t, []int{3, 1, 2}, []int{e5[0].Sequence, e5[1].Sequence, e5[2].Sequence})
	assert.Equal(t, []int{1, 1, 1}, alarmCounts(t, out5))

	// Turned off: revised again, and the digests are Event.Digest's.
	_, e6, h6 := writeFeed(t, v4, h5, feedT3.Add(2*time.Hour))
	assert.Equal(t, []int{4, 2, 3}, []int{e6[0].Sequence, e6[1].Sequence, e6[2].Sequence})
	for i, ev := range Events(v4, mel) {
		assert.Equal(t, ev.Digest(), h6.Events[i].Digest)
	}
}

func alarmCounts(t *testing.T, out string) []int {
	t.Helper()
	var n []int
	for _, a := range alarmsOf(t, out) {
		n = append(n, len(a))
	}
	return n
}

// Reminders keep the content lines within the rules whatever the summary.
func TestWriteICSRemindersLongSummary(t *testing.T) {
	t.Parallel()
	long := shiftItem(2026, 4, 6, ward4B, "07:00 - 15:30", "", strings.Repeat("Zoë Nguyễn's extended cover shift, ", 5), rn)
	var b bytes.Buffer
	require.NoError(t, WriteICS(&b, &snapshot.Snapshot{Time: feedT1, Items: []snapshot.Item{long}}, melbourne(t),
		WithReminders([]time.Duration{time.Hour}, false)))
	checkICSLines(t, b.String())
	alarms := alarmsOf(t, b.String())
	require.Len(t, alarms, 1)
	require.Len(t, alarms[0], 1)
	assert.Equal(t, icsLine(long.Detail[2].Value), alarms[0][0].Description)
}
