package export

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

// feedEvent is what both readers agree an event of a feed says.
type feedEvent struct {
	UID      string
	Sequence int
	Modified time.Time
	Summary  string
	Start    time.Time
}

// writeFeed writes s after prev, checks the calendar with both readers,
// and returns it, its events as read, and the next history.
func writeFeed(t *testing.T, s *snapshot.Snapshot, prev *ICSHistory, now time.Time, opts ...ICSOption) (string, []feedEvent, *ICSHistory) {
	t.Helper()
	var b bytes.Buffer
	next, err := WriteICSFeed(&b, s, melbourne(t), prev, now, opts...)
	require.NoError(t, err)
	out := b.String()
	checkICSLines(t, out)
	require.NoError(t, next.Check())
	require.Len(t, next.Events, len(s.Items))

	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	require.NoError(t, err)
	require.Len(t, cal.Events(), len(s.Items))
	require.Len(t, other.Events(), len(s.Items))
	var events []feedEvent
	for i, ev := range cal.Events() {
		seq, err := strconv.Atoi(ev.GetProperty(ics.ComponentPropertySequence).Value)
		require.NoError(t, err)
		mod, err := ev.GetLastModifiedAt()
		require.NoError(t, err)
		fe := feedEvent{UID: ev.Id(), Sequence: seq, Modified: mod, Summary: ev.GetProperty(ics.ComponentPropertySummary).Value}
		fe.Start, _ = ev.GetStartAt()

		// The independent reader reads the same.
		o := other.Events()[i]
		uid, err := o.Props.Text(ical.PropUID)
		require.NoError(t, err)
		assert.Equal(t, fe.UID, uid)
		oseq, err := o.Props.Get(ical.PropSequence).Int()
		require.NoError(t, err)
		assert.Equal(t, fe.Sequence, oseq)
		omod, err := o.Props.DateTime(ical.PropLastModified, nil)
		require.NoError(t, err)
		assert.True(t, fe.Modified.Equal(omod))

		assert.Equal(t, next.Events[i].UID+uidDomain, fe.UID)
		assert.Equal(t, next.Events[i].Sequence, fe.Sequence)
		events = append(events, fe)
	}
	return out, events, next
}

func uidsOf(events []feedEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.UID
	}
	return out
}

var (
	feedT1 = time.Date(2026, 4, 1, 8, 3, 12, 0, time.UTC)
	feedT2 = feedT1.Add(30 * time.Minute)
	feedT3 = feedT2.Add(30 * time.Minute)
)

func TestWriteICSFeedFirstIsWriteICS(t *testing.T) {
	t.Parallel()
	snap := shiftsRoster()
	now := feedT1.Add(time.Hour + 123*time.Millisecond)
	out, events, _ := writeFeed(t, snap, nil, now)
	plain := writeICS(t, snap, melbourne(t))

	// The same UIDs as the one-shot export, so that calendars subscribed
	// before the feed had history keep their events; every event is at
	// SEQUENCE 0, last modified now (to the second).
	assert.Equal(t, icsUIDs(t, plain), uidsOf(events))
	for _, ev := range events {
		assert.Zero(t, ev.Sequence)
		assert.True(t, now.Truncate(time.Second).Equal(ev.Modified), "%v", ev.Modified)
	}
	// DTSTAMP is LAST-MODIFIED, and the rest is the same bytes.
	assert.Equal(t, len(events), strings.Count(out, "\r\nDTSTAMP:20260401T090312Z\r\nSEQUENCE:0\r\nLAST-MODIFIED:20260401T090312Z\r\n"))
	revision := regexp.MustCompile(`(?m)^(DTSTAMP|SEQUENCE|LAST-MODIFIED):.*\r\n`)
	assert.Equal(t, revision.ReplaceAllString(plain, ""), revision.ReplaceAllString(out, ""))
}

func TestWriteICSFeedUpdatesInPlace(t *testing.T) {
	t.Parallel()
	day := func(d int, times, name string) snapshot.Item {
		return shiftItem(2026, 4, d, ward4B, times, "", name, rn)
	}
	v1 := &snapshot.Snapshot{Time: feedT1, Items: []snapshot.Item{
		day(6, "07:00 - 15:30", "Day Shift"),
		day(7, "07:00 - 15:30", "Day Shift"),
		day(7, "Oncall (20:30 - 08:30)", "On Call"),
		day(8, "13:00 - 21:30", "Late Shift"),
		day(9, "07:00 - 15:30", "Day Shift"),
	}}
	_, e1, h1 := writeFeed(t, v1, nil, feedT1)

	// The manager moves Monday's shift to 09:00, changes Tuesday's
	// on-call to a late shift, moves Wednesday's late shift to Friday and
	// adds a warning to Thursday's.
	thu := day(9, "07:00 - 15:30", "Day Shift")
	thu.Warnings = []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}
	v2 := &snapshot.Snapshot{Time: feedT2, Items: []snapshot.Item{
		day(6, "09:00 - 17:30", "Day Shift"),
		day(7, "07:00 - 15:30", "Day Shift"),
		day(7, "13:00 - 21:30", "Late Shift"),
		thu,
		day(10, "13:00 - 21:30", "Late Shift"),
	}}
	out2, e2, h2 := writeFeed(t, v2, h1, feedT2)

	// Monday: moved on its date, so the same event, one revision on.
	assert.Equal(t, e1[0].UID, e2[0].UID)
	assert.Equal(t, 1, e2[0].Sequence)
	assert.True(t, feedT2.Equal(e2[0].Modified))
	assert.Equal(t, 9, e2[0].Start.In(melbourne(t)).Hour(), "starts at 09:00 now")
	// Tuesday's day shift did not change: as it was.
	assert.Equal(t, e1[1], e2[1])
	// Tuesday's on-call became a late shift: paired as diff pairs it.
	assert.Equal(t, e1[2].UID, e2[2].UID)
	assert.Equal(t, 1, e2[2].Sequence)
	assert.Equal(t, "Late Shift", e2[2].Summary)
	// Thursday's warning is a change to what the event says.
	assert.Equal(t, e1[4].UID, e2[3].UID)
	assert.Equal(t, 1, e2[3].Sequence)
	// Wednesday's shift moved to Friday: as in diff, removed and added.
	assert.NotContains(t, uidsOf(e2), e1[3].UID)
	assert.Zero(t, e2[4].Sequence)
	assert.True(t, feedT2.Equal(e2[4].Modified))
	require.Len(t, h2.Gone, 1)
	assert.Equal(t, e1[3].UID, h2.Gone[0].UID+uidDomain)

	// The same roster again (a later fetch): the same bytes and history.
	v2again := &snapshot.Snapshot{Time: v2.Time, Items: append([]snapshot.Item(nil), v2.Items...)}
	out3, _, h3 := writeFeed(t, v2again, h2, feedT3)
	assert.Equal(t, out2, out3)
	assert.Equal(t, h2, h3)

	// A new shift whose UID a kept event has: Monday 07:00 Day Shift
	// again, beside the moved one. It gets the next free UID.
	v4 := &snapshot.Snapshot{Time: feedT3, Items: append([]snapshot.Item{day(6, "07:00 - 15:30", "Day Shift")}, v2.Items...)}
	_, e4, h4 := writeFeed(t, v4, h3, feedT3)
	assert.Equal(t, e1[0].UID, e4[1].UID, "the moved shift keeps its event")
	assert.Equal(t, strings.TrimSuffix(e1[0].UID, uidDomain)+"-2"+uidDomain, e4[0].UID)

	// Wednesday's late shift comes back: its old UID, the SEQUENCE after
	// the one it left with, so a calendar that kept it updates it.
	v5 := &snapshot.Snapshot{Time: feedT3, Items: append(append([]snapshot.Item(nil), v4.Items...), day(8, "13:00 - 21:30", "Late Shift"))}
	_, e5, h5 := writeFeed(t, v5, h4, feedT3)
	back := e5[len(e5)-1]
	assert.Equal(t, e1[3].UID, back.UID)
	assert.Equal(t, 1, back.Sequence)
	assert.Empty(t, h5.Gone)
}

// Two shifts on a date that trade places on the page and one of which
// changes: each keeps its own event, as diff pairs them.
func TestWriteICSFeedTwoShiftsOnADate(t *testing.T) {
	t.Parallel()
	day := shiftItem(2026, 4, 7, ward4B, "07:00 - 15:30", "", "Day Shift", rn)
	onCall := shiftItem(2026, 4, 7, ward4B, "Oncall (20:30 - 08:30)", "", "On Call", rn)
	_, e1, h1 := writeFeed(t, &snapshot.Snapshot{Time: feedT1, Items: []snapshot.Item{day, onCall}}, nil, feedT1)

	later := onCall
	later.Detail = append([]snapshot.Field(nil), onCall.Detail...)
	later.Detail[0] = snapshot.Text("Oncall (21:00 - 08:30)")
	_, e2, _ := writeFeed(t, &snapshot.Snapshot{Time: feedT2, Items: []snapshot.Item{later, day}}, h1, feedT2)
	assert.Equal(t, e1[1].UID, e2[0].UID)
	assert.Equal(t, 1, e2[0].Sequence)
	assert.Equal(t, e1[0], e2[1])

	// The same shift twice: two events, which pair in page order.
	twice := &snapshot.Snapshot{Time: feedT1, Items: []snapshot.Item{day, day}}
	_, e3, h3 := writeFeed(t, twice, nil, feedT1)
	assert.NotEqual(t, e3[0].UID, e3[1].UID)
	_, e4, _ := writeFeed(t, twice, h3, feedT2)
	assert.Equal(t, e3, e4)
	// One of them goes: the first keeps its event, as in diff.
	_, e5, h5 := writeFeed(t, &snapshot.Snapshot{Time: feedT2, Items: []snapshot.Item{day}}, h3, feedT2)
	assert.Equal(t, e3[:1], e5)
	require.Len(t, h5.Gone, 1)
}

// What an event says depends on the zone too: read in another, a shift's
// instants move, and so its SEQUENCE rises.
func TestWriteICSFeedZoneChange(t *testing.T) {
	t.Parallel()
	s := &snapshot.Snapshot{Time: feedT1, Items: shiftsRoster().Items[:2]}
	var b bytes.Buffer
	h1, err := WriteICSFeed(&b, s, melbourne(t), nil, feedT1)
	require.NoError(t, err)
	h2, err := WriteICSFeed(&b, s, time.UTC, h1, feedT2)
	require.NoError(t, err)
	for i := range h2.Events {
		assert.Equal(t, h1.Events[i].UID, h2.Events[i].UID)
		assert.Equal(t, 1, h2.Events[i].Sequence)
	}
}

func TestWriteICSFeedForgets(t *testing.T) {
	t.Parallel()
	items := func(days ...int) *snapshot.Snapshot {
		s := &snapshot.Snapshot{Time: feedT1}
		for _, d := range days {
			s.Items = append(s.Items, shiftItem(2026, 4, d, ward4B, "07:00 - 15:30", "", "Day Shift", rn))
		}
		return s
	}
	var b bytes.Buffer
	h, err := WriteICSFeed(&b, items(6, 7, 8, 9), nil, nil, feedT1)
	require.NoError(t, err)
	h, err = WriteICSFeed(&b, items(6, 9), nil, h, feedT2)
	require.NoError(t, err)
	assert.Len(t, h.Gone, 2, "the 7th and 8th may come back")
	// The roster moves on past the 7th: it cannot come back.
	h, err = WriteICSFeed(&b, items(8, 9, 10), nil, h, feedT3)
	require.NoError(t, err)
	assert.Empty(t, h.Gone, "the 8th came back and the 6th and 7th are past")
	// An empty roster forgets nothing by date.
	h, err = WriteICSFeed(&b, items(), nil, h, feedT3)
	require.NoError(t, err)
	assert.Len(t, h.Gone, 3)
}

// The history is what a feed keeps on disk: its JSON reads back the same,
// and a bad one is refused, not served.
func TestICSHistoryJSONAndCheck(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	h, err := WriteICSFeed(&b, shiftsRoster(), melbourne(t), nil, feedT1)
	require.NoError(t, err)
	data, err := json.Marshal(h)
	require.NoError(t, err)
	var back ICSHistory
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, h.Events, back.Events)

	var again bytes.Buffer
	_, err = WriteICSFeed(&again, shiftsRoster(), melbourne(t), &back, feedT2)
	require.NoError(t, err)
	var first bytes.Buffer
	_, err = WriteICSFeed(&first, shiftsRoster(), melbourne(t), nil, feedT1)
	require.NoError(t, err)
	assert.Equal(t, first.String(), again.String(), "a history read back from disk gives the same calendar")

	dup := back
	dup.Events = append([]ICSEvent(nil), back.Events...)
	dup.Events[1].UID = dup.Events[0].UID
	assert.ErrorContains(t, dup.Check(), "twice")
	_, err = WriteICSFeed(&b, shiftsRoster(), nil, &dup, feedT2)
	assert.Error(t, err)
	dup.Events[1].UID = "x@y"
	assert.Error(t, dup.Check())
	assert.NoError(t, (*ICSHistory)(nil).Check())
	_, err = WriteICSFeed(&b, nil, nil, nil, feedT1)
	assert.Error(t, err)
}

// On random sequences of rosters: every calendar's UIDs are unique, a
// remembered UID's SEQUENCE never goes down, and a kept event changes
// SEQUENCE exactly when what it says changes.
func TestWriteICSFeedRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	mel := melbourne(t)
	for range 40 {
		var h *ICSHistory
		seqs := map[string]int{}
		says := map[string]string{}
		now := feedT1
		for range 8 {
			s := &snapshot.Snapshot{Time: now}
			for range rng.IntN(10) {
				s.Items = append(s.Items, shiftItem(2026, 4, 6+rng.IntN(4), pick(ward4B, "Ward 5A"),
					pick("07:00 - 15:30", "09:00 - 17:30", "Oncall (20:30 - 08:30)", "TBA"), pick("", "Cover"), pick("Day Shift", "On Call", "Annual Leave"), rn))
			}
			var b bytes.Buffer
			next, err := WriteICSFeed(&b, s, mel, h, now)
			require.NoError(t, err)
			require.NoError(t, next.Check())
			for _, ev := range next.Events {
				if old, ok := seqs[ev.UID]; ok {
					require.GreaterOrEqual(t, ev.Sequence, old, "SEQUENCE of %s went down", ev.UID)
					if says[ev.UID] == ev.Digest && containsUID(h, ev.UID) {
						require.Equal(t, old, ev.Sequence, "an unchanged event keeps its SEQUENCE")
					}
				}
				seqs[ev.UID], says[ev.UID] = ev.Sequence, ev.Digest
			}
			// What the history forgets (dates the roster no longer
			// reaches) may start again from 0.
			remembered := map[string]bool{}
			for _, ev := range append(append([]ICSEvent(nil), next.Events...), next.Gone...) {
				remembered[ev.UID] = true
			}
			for uid := range seqs {
				if !remembered[uid] {
					delete(seqs, uid)
				}
			}
			h = next
			now = now.Add(30 * time.Minute)
		}
	}
}

func containsUID(h *ICSHistory, uid string) bool {
	if h == nil {
		return false
	}
	for _, ev := range h.Events {
		if ev.UID == uid {
			return true
		}
	}
	return false
}

func TestRefreshInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "PT30M"},
		{time.Hour, "PT1H"},
		{90 * time.Minute, "PT1H30M"},
		{time.Hour + 5*time.Second, "PT1H0M5S"},
		{24 * time.Hour, "P1D"},
		{36 * time.Hour, "P1DT12H"},
		{49*time.Hour + 30*time.Second, "P2DT1H0M30S"},
		{1500 * time.Millisecond, "PT2S"},
		{time.Nanosecond, "PT1S"},
	} {
		assert.Equal(t, tc.want, icsDuration(tc.d), "%v", tc.d)
	}

	s := &snapshot.Snapshot{Time: feedT1, Items: shiftsRoster().Items[:1]}
	out, _, _ := writeFeed(t, s, nil, feedT1, WithRefreshInterval(90*time.Minute))
	assert.Contains(t, out, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H30M\r\nX-PUBLISHED-TTL:PT1H30M\r\n")
	other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	require.NoError(t, err)
	ri := other.Props.Get("REFRESH-INTERVAL")
	require.NotNil(t, ri)
	assert.Equal(t, ical.ValueDuration, ri.ValueType())
	d, err := ri.Duration()
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, d)
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	found := false
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == "X-PUBLISHED-TTL" {
			found = true
			assert.Equal(t, "PT1H30M", p.Value)
		}
	}
	assert.True(t, found)
	// Without the option, and in WriteICS, neither.
	assert.NotContains(t, writeICS(t, s, nil), "REFRESH-INTERVAL")
}

// The golden files show a feed's calendar before and after a change, as
// calendar apps get it.
func TestWriteICSFeedGolden(t *testing.T) {
	t.Parallel()
	v1 := &snapshot.Snapshot{Time: feedT1, Items: shiftsRoster().Items[:3]}
	out1, _, h1 := writeFeed(t, v1, nil, feedT1, WithRefreshInterval(30*time.Minute), WithCalendarName("Joe's shifts"))
	goldenFile(t, "feed-1.ics", out1)
	moved := shiftItem(2026, 4, 6, "Theatre & Recovery - Royal Melbourne", "09:00 - 17:30", "Handover < 15 min, bed board; \\ notes", "Day Shift", rn)
	v2 := &snapshot.Snapshot{Time: feedT2, Items: []snapshot.Item{v1.Items[0], moved, v1.Items[2]}}
	out2, _, _ := writeFeed(t, v2, h1, feedT2, WithRefreshInterval(30*time.Minute), WithCalendarName("Joe's shifts"))
	goldenFile(t, "feed-2.ics", out2)
}

// The first line of a description, for the entries whose times are not
// plain.
func TestICSWhen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ first, name, want string }{
		{"On-call", "Standby", "On call. The roster gives no times, so this is shown as an all-day event."},
		{"On call TBA", "Standby", `On call. The roster's times ("On call TBA") could not be read, so this is shown as an all-day event.`},
		{"", "Day Shift", "The roster gives no times, so this is shown as an all-day event."},
		{"TBA", "Annual Leave", "All day (the roster gives TBA)"},
		{"", "Annual Leave", "All day"},
		{"15:30 - 00:00", "Late", "15:30–00:00"},
		{"00:00 - 00:00", "Long", "00:00–00:00"},
		{"07:00 - 07:00", "Day and night", "07:00–07:00, ending the next day"},
		{"14:30 - 24:00", "Late", "14:30–24:00"},
	} {
		it := shiftItem(2026, 4, 7, ward4B, tc.first, "", tc.name, rn)
		assert.Equal(t, tc.want, icsWhen(it.Shift(melbourne(t))), "%q %q", tc.first, tc.name)
	}
}
