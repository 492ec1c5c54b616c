package export

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

func writeICS(t *testing.T, s *snapshot.Snapshot, loc *time.Location, opts ...ICSOption) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteICS(&b, s, loc, opts...))
	checkICSLines(t, b.String())
	return b.String()
}

// checkICSLines checks the content-line rules readers rely on: CRLF after
// every line, none longer than 75 octets, no control characters.
func checkICSLines(t *testing.T, out string) {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "\r\n"), "output ends in CRLF")
	for i, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		assert.LessOrEqual(t, len(line), 75, "line %d is longer than 75 octets: %q", i+1, line)
		assert.True(t, utf8.ValidString(line), "line %d is not UTF-8", i+1)
		for _, r := range line {
			assert.False(t, r < 0x20 && r != '\t' || r == 0x7f, "line %d has control character %U", i+1, r)
		}
	}
}

func TestWriteICSGolden(t *testing.T) {
	t.Parallel()
	goldenFile(t, "shifts.ics", writeICS(t, shiftsRoster(), melbourne(t)))
}

// TestWriteICSReadBack reads the calendar with the library that wrote it
// and with an independent reader, and checks each event against the
// shift it came from.
func TestWriteICSReadBack(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	snap := shiftsRoster()
	shifts := snap.Shifts(mel)
	out := writeICS(t, snap, mel)

	// The writing library's own parser.
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	events := cal.Events()
	require.Len(t, events, len(shifts))
	props := map[string]string{}
	for _, p := range cal.CalendarProperties {
		props[p.IANAToken] = p.Value
	}
	assert.Equal(t, "2.0", props["VERSION"])
	assert.Equal(t, icsProductID, props["PRODID"])
	assert.Equal(t, DefaultCalendarName, props["X-WR-CALNAME"])
	assert.Equal(t, DefaultCalendarName, props["NAME"])

	uids := map[string]bool{}
	for i, ev := range events {
		sh := shifts[i]
		uid := ev.Id()
		assert.False(t, uids[uid], "UID %s repeats", uid)
		uids[uid] = true
		assert.True(t, strings.HasSuffix(uid, "@rosteron"), uid)

		stamp, err := ev.GetDtStampTime()
		require.NoError(t, err)
		assert.True(t, shiftsTime.Equal(stamp))

		if sh.HasTimes() {
			start, err := ev.GetStartAt()
			require.NoError(t, err)
			assert.True(t, sh.Start.Equal(start), "event %d starts %v, want %v", i, start, sh.Start)
			if sh.End.After(sh.Start) {
				end, err := ev.GetEndAt()
				require.NoError(t, err)
				assert.True(t, sh.End.Equal(end), "event %d ends %v, want %v", i, end, sh.End)
			} else {
				assert.Nil(t, ev.GetProperty(ics.ComponentPropertyDtEnd), "a zero-length event has no DTEND")
			}
		} else {
			start := ev.GetProperty(ics.ComponentPropertyDtStart)
			end := ev.GetProperty(ics.ComponentPropertyDtEnd)
			require.NotNil(t, start)
			require.NotNil(t, end)
			assert.Equal(t, []string{"DATE"}, start.ICalParameters["VALUE"])
			assert.Equal(t, strings.ReplaceAll(sh.Date.String(), "-", ""), start.Value)
			assert.Equal(t, strings.ReplaceAll(sh.Date.AddDays(1).String(), "-", ""), end.Value)
		}

		desc := ev.GetProperty(ics.ComponentPropertyDescription).Value
		if sh.Role != "" {
			assert.Contains(t, desc, "Role: "+icsLine(sh.Role))
		}
		for _, w := range sh.Warnings {
			assert.Contains(t, desc, "Warning: "+w)
		}
		assert.NotContains(t, desc, "(empty)")
		// Nothing of the roster is lost: what the summary and location
		// do not hold, the description does, the times as read.
		all := strings.Join(strings.Fields(ev.GetProperty(ics.ComponentPropertySummary).Value+"\n"+desc), " ")
		if loc := ev.GetProperty(ics.ComponentPropertyLocation); loc != nil {
			all += " " + loc.Value
		}
		for k, f := range sh.Detail {
			if v := strings.Join(strings.Fields(icsText(f.Value)), " "); k > 0 && v != "" {
				assert.Contains(t, all, v, "event %d", i)
			}
		}
		if title := icsLine(sh.Title); title != "" {
			assert.Equal(t, title, ev.GetProperty(ics.ComponentPropertyLocation).Value)
		} else {
			assert.Nil(t, ev.GetProperty(ics.ComponentPropertyLocation))
		}
		transp := ev.GetProperty(ics.ComponentPropertyTransp).Value
		assert.Equal(t, sh.Kind == snapshot.KindLeave, transp == "TRANSPARENT", "event %d is %s", i, transp)
	}

	// What a person sees, by summary.
	summaries := make([]string, len(events))
	for i, ev := range events {
		summaries[i] = ev.GetProperty(ics.ComponentPropertySummary).Value
	}
	assert.Equal(t, []string{
		"Night Shift", "Day Shift", "On Call", "On call: ANUM cover", "Annual Leave", "Day Shift",
		"Day Shift", "Day Shift", "Evening Shift", "Depot 3 - Brunswick & Coburg", "Day Shift",
		"Night Shift", "Odd Shift", "Night Shift", "Night Shift", "Shift",
	}, summaries)
	assert.Equal(t, "Ward 4B", events[10].GetProperty(ics.ComponentPropertyLocation).Value, "control characters gone")
	descs := make([]string, len(events))
	for i, ev := range events {
		descs[i] = ev.GetProperty(ics.ComponentPropertyDescription).Value
	}
	// The descriptions, as people read them.
	assert.Equal(t, []string{
		"21:00–07:00, ending the next day\nRole: Registered Nurse Div 1\nWarning: BLOGGS, JOE: Minimum 10 hours between Allocations",
		"07:00–15:30\nRole: Registered Nurse Div 1\nNote: Handover < 15 min, bed board; \\ notes",
		"On call 20:30–08:30, ending the next day\nRole: Associate Nurse Unit Manager",
		"On call 19:00–07:00, ending the next day\nRole: Associate Nurse Unit Manager",
		"All day (the roster gives 09:00–16:36)\nRole: Registered Nurse Div 1",
		"The roster's times (\"TBA\") could not be read, so this is shown as an all-day event.\nRole: Registered Nurse Div 1",
		"07:00–15:30\nRole: Registered Nurse Div 1",
		"07:00–15:30\nRole: Registered Nurse Div 1",
		"16:00–23:59\nRole: Registered Nurse Div 1\nNote: Cover for Zoë Nguyễn, Renée Faÿ and Łukasz Wróblewski while the ward is short of staff",
		"15:20–00:00",
		"07:00–15:30\nRole: Registered Nurse Div 1\nNote: line one\nline two\nline three",
		"22:00–07:00, ending the next day\nRole: Registered Nurse Div 1",
		"02:30–03:15\nRole: Registered Nurse Div 1",
		"22:00–07:00, ending the next day\nRole: Registered Nurse Div 1",
		"21:30–07:30, ending the next day\nRole: Registered Nurse Div 1",
		"The roster gives no times, so this is shown as an all-day event.",
	}, descs)
	assert.Equal(t, events[6].Id()[:32]+"-2@rosteron", events[7].Id(), "a repeated shift gets a suffix")

	// An independent reader.
	other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	require.NoError(t, err)
	assert.Equal(t, DefaultCalendarName, other.Props.Get("X-WR-CALNAME").Value)
	oevents := other.Events()
	require.Len(t, oevents, len(shifts))
	for i, ev := range oevents {
		sh := shifts[i]
		uid, err := ev.Props.Text(ical.PropUID)
		require.NoError(t, err)
		assert.Equal(t, events[i].Id(), uid)
		summary, err := ev.Props.Text(ical.PropSummary)
		require.NoError(t, err)
		assert.Equal(t, summaries[i], summary)
		desc, err := ev.Props.Text(ical.PropDescription)
		require.NoError(t, err)
		assert.Equal(t, events[i].GetProperty(ics.ComponentPropertyDescription).Value, desc)

		start, err := ev.DateTimeStart(nil)
		require.NoError(t, err)
		end, err := ev.DateTimeEnd(nil)
		require.NoError(t, err)
		if sh.HasTimes() {
			assert.True(t, sh.Start.Equal(start), "event %d starts %v, want %v", i, start, sh.Start)
			assert.True(t, sh.End.Equal(end), "event %d ends %v, want %v", i, end, sh.End)
		} else {
			assert.Equal(t, ical.ValueDate, ev.Props.Get(ical.PropDateTimeStart).ValueType())
			assert.Equal(t, sh.Date, snapshot.DateOf(start))
			assert.Equal(t, sh.Date.AddDays(1), snapshot.DateOf(end))
		}
	}

	// The daylight-saving nights have their true lengths.
	assert.Equal(t, 11*time.Hour, mustEnd(t, oevents[0]).Sub(mustStart(t, oevents[0])))
	assert.Equal(t, 8*time.Hour, mustEnd(t, oevents[11]).Sub(mustStart(t, oevents[11])))
}

func mustStart(t *testing.T, ev ical.Event) time.Time {
	t.Helper()
	v, err := ev.DateTimeStart(nil)
	require.NoError(t, err)
	return v
}

func mustEnd(t *testing.T, ev ical.Event) time.Time {
	t.Helper()
	v, err := ev.DateTimeEnd(nil)
	require.NoError(t, err)
	return v
}

func icsUIDs(t *testing.T, out string) []string {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	var uids []string
	for _, ev := range cal.Events() {
		uids = append(uids, ev.Id())
	}
	return uids
}

func TestWriteICSUIDStable(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	snap := shiftsRoster()
	uids := icsUIDs(t, writeICS(t, snap, mel))

	// Another zone, the same shifts: the same UIDs.
	assert.Equal(t, uids, icsUIDs(t, writeICS(t, snap, time.UTC)))

	// Without the first shifts, and in reverse order, the others keep
	// theirs.
	rev := &snapshot.Snapshot{Time: snap.Time}
	for i := len(snap.Items) - 1; i >= 3; i-- {
		rev.Items = append(rev.Items, snap.Items[i])
	}
	got := icsUIDs(t, writeICS(t, rev, mel))
	for i, uid := range got {
		orig := len(snap.Items) - 1 - i
		if orig == 6 || orig == 7 {
			continue // the repeated shift: reversing swaps which is the first
		}
		assert.Equal(t, uids[orig], uid, "shift %d", orig)
	}

	// A repeat added later leaves the first alone.
	one := &snapshot.Snapshot{Time: snap.Time, Items: []snapshot.Item{snap.Items[6]}}
	assert.Equal(t, uids[6:7], icsUIDs(t, writeICS(t, one, mel)))

	// The snapshot time, the note, role and warnings do not count; the
	// start, name, title and date do.
	base := shiftItem(2026, 4, 6, ward4B, "07:00 - 15:30", "", "Day Shift", rn)
	uidOf := func(it snapshot.Item) string {
		return icsUIDs(t, writeICS(t, &snapshot.Snapshot{Time: time.Now(), Items: []snapshot.Item{it}}, mel))[0]
	}
	want := uidOf(base)
	same := []snapshot.Item{
		shiftItem(2026, 4, 6, ward4B, "07:00 - 16:00", "Cover", "Day Shift", "ANUM"),
		shiftItem(2026, 4, 6, ward4B, "7:00-15:30", "", "Day Shift", rn),
	}
	same[0].Warnings = []string{"W"}
	for _, it := range same {
		assert.Equal(t, want, uidOf(it), "%v", it)
	}
	for _, it := range []snapshot.Item{
		shiftItem(2026, 4, 7, ward4B, "07:00 - 15:30", "", "Day Shift", rn),
		shiftItem(2026, 4, 6, ward4B, "07:30 - 15:30", "", "Day Shift", rn),
		shiftItem(2026, 4, 6, ward4B, "07:00 - 15:30", "", "Late Shift", rn),
		shiftItem(2026, 4, 6, "Ward 5A", "07:00 - 15:30", "", "Day Shift", rn),
		shiftItem(2026, 4, 6, ward4B, "TBA", "", "Day Shift", rn),
	} {
		assert.NotEqual(t, want, uidOf(it), "%v", it)
	}
	// Field boundaries count: moving text from name to title changes it.
	assert.NotEqual(t,
		uidOf(shiftItem(2026, 4, 6, "ab", "07:00 - 15:30", "", "c", rn)),
		uidOf(shiftItem(2026, 4, 6, "a", "07:00 - 15:30", "", "bc", rn)))
}

func TestWriteICSOptions(t *testing.T) {
	t.Parallel()
	snap := &snapshot.Snapshot{Time: shiftsTime, Items: shiftsRoster().Items[:1]}
	for _, tc := range []struct {
		opts []ICSOption
		want string
	}{
		{nil, DefaultCalendarName},
		{[]ICSOption{WithCalendarName("Joe's shifts, Ward 4B; 2026")}, "Joe's shifts, Ward 4B; 2026"},
		{[]ICSOption{WithCalendarName("")}, DefaultCalendarName},
		{[]ICSOption{WithCalendarName("two\r\nlines")}, "two lines"},
		{[]ICSOption{nil}, DefaultCalendarName},
	} {
		out := writeICS(t, snap, nil, tc.opts...)
		other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
		require.NoError(t, err)
		name, err := other.Props.Text("X-WR-CALNAME")
		require.NoError(t, err)
		assert.Equal(t, tc.want, name)
	}
}

func TestWriteICSEmpty(t *testing.T) {
	t.Parallel()
	out := writeICS(t, &snapshot.Snapshot{Time: shiftsTime}, nil)
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	assert.Empty(t, cal.Events())
	_, err = ical.NewDecoder(strings.NewReader(out)).Decode()
	require.NoError(t, err)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteICSErrors(t *testing.T) {
	t.Parallel()
	assert.Error(t, WriteICS(&bytes.Buffer{}, nil, nil))
	assert.ErrorContains(t, WriteICS(failingWriter{}, shiftsRoster(), nil), "disk full")
}

// TestWriteICSRandom writes rosters of random text and checks that both
// readers accept every calendar and find every shift.
func TestWriteICSRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", " ", ",", ";", ":", "\\", "\"", "\n", "\r", "\t", "\x00", "\x1b", "\x7f", "é", "Ω", "😀", "\u2028", "\xff", "07:00 - 15:30", "Oncall (", ")"}
	randText := func() string {
		var b strings.Builder
		for range rng.IntN(120) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	mel := melbourne(t)
	for range 100 {
		snap := &snapshot.Snapshot{Time: shiftsTime}
		for range rng.IntN(8) {
			it := shiftItem(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), randText(), randText(), randText(), randText(), randText())
			if rng.IntN(3) == 0 {
				it.Detail[0] = snapshot.Text("23:00 - 07:00")
			}
			it.Warnings = []string{randText()}
			snap.Items = append(snap.Items, it)
		}
		out := writeICS(t, snap, mel)
		cal, err := ics.ParseCalendar(strings.NewReader(out))
		require.NoError(t, err, out)
		require.Len(t, cal.Events(), len(snap.Items))
		other, err := ical.NewDecoder(strings.NewReader(out)).Decode()
		require.NoError(t, err, out)
		require.Len(t, other.Events(), len(snap.Items))
		for i, ev := range other.Events() {
			loc, err := ev.Props.Text(ical.PropLocation)
			require.NoError(t, err)
			assert.Equal(t, icsLine(snap.Items[i].Title), loc)
		}
	}
}
