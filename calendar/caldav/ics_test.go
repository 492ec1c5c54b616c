package caldav

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/snapshot"
)

func TestTextEscapingRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "plain", "a, b; c \\ d", "line one\nline two\n\nfour", "Zoë’s ward — 7:00", `"quoted"`, `trailing\`,
	} {
		assert.Equal(t, s, unescapeText(escapeText(s)), "%q", s)
		assert.NotContains(t, escapeText(s), "\n")
	}
	assert.Equal(t, "a\nb\nc", unescapeText(escapeText("a\r\nb\rc")), "line breaks of any kind become \\n")
	// Other writers' text, read leniently.
	assert.Equal(t, "a,b", unescapeText("a,b"))
	assert.Equal(t, `a\xb`, unescapeText(`a\xb`))
	assert.Equal(t, "a\nb", unescapeText(`a\Nb`))
}

func TestFoldKeepsLinesShortAndCharactersWhole(t *testing.T) {
	t.Parallel()
	long := "DESCRIPTION:" + strings.Repeat("ë—x", 60)
	in := []byte("BEGIN:VEVENT\r\n" + long + "\r\nEND:VEVENT\r\n")
	out := fold(in)
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		assert.LessOrEqual(t, len(line), 75, "%q", line)
		assert.True(t, utf8.ValidString(line), "a character was cut: %q", line)
	}
	assert.Equal(t, string(in), strings.ReplaceAll(string(out), "\r\n ", ""), "unfolding gives the input back")
	short := []byte("UID:x@rosteron\r\n")
	assert.Equal(t, short, fold(short))
}

func TestFormatTrigger(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Hour:                       "-PT1H",
		15 * time.Minute:                "-PT15M",
		90 * time.Minute:                "-PT1H30M",
		time.Hour + 5*time.Second:       "-PT1H0M5S",
		24 * time.Hour:                  "-P1D",
		36 * time.Hour:                  "-P1DT12H",
		0:                               "PT0S",
		time.Millisecond:                "-PT1S",
		2*time.Hour + 30*time.Second:    "-PT2H0M30S",
		7*24*time.Hour + time.Minute:    "-P7DT1M",
		-5 * time.Minute:                "PT0S",
		10*time.Minute + 59*time.Second: "-PT10M59S",
	} {
		assert.Equal(t, want, formatTrigger(d), "%v", d)
	}
}

func TestResourceName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0123abcd-2.ics", resourceName("0123abcd-2@rosteron"))
	for _, uid := range []string{"a/b@rosteron", "../x@rosteron", "x y@rosteron", ".hidden@rosteron", strings.Repeat("a", 200) + "@rosteron"} {
		name := resourceName(uid)
		assert.Regexp(t, `^[0-9a-f]{32}\.ics$`, name, uid)
	}
	assert.NotEqual(t, resourceName("a/b@rosteron"), resourceName("a/c@rosteron"))
}

func TestCheckEvent(t *testing.T) {
	t.Parallel()
	ok := calendar.Event{UID: "x@rosteron", Account: "a@b"}
	ok.Start = time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	require.NoError(t, checkEvent(ok))
	for name, mod := range map[string]func(*calendar.Event){
		"other domain":    func(e *calendar.Event) { e.UID = "x@example.com" },
		"only the domain": func(e *calendar.Event) { e.UID = "@rosteron" },
		"no account":      func(e *calendar.Event) { e.Account = "" },
		"account break":   func(e *calendar.Event) { e.Account = "a\r\nX-EVIL:1" },
		"all day no date": func(e *calendar.Event) { e.Start = time.Time{} },
		"negative seq":    func(e *calendar.Event) { e.Sequence = -1 },
	} {
		ev := ok
		mod(&ev)
		assert.Error(t, checkEvent(ev), name)
	}
}

const account = "joe@rosteron.example.com/mobile"

func object(vevent string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n" + vevent + "END:VCALENDAR\r\n")
}

const itemLine = `X-ROSTERON-ITEM:{"date":"2026-12-07"\,"title":"T"\,"detail":["07:00 - 15:30"\,null\,"Day"\,"RN"]}` + "\r\n"

// decodeEvent reads what calendar apps may make of rosteron's event: a
// time given in a zone, a DURATION in place of DTEND, alarms of all kinds.
func TestDecodeEventReadsWhatAppsWrite(t *testing.T) {
	t.Parallel()
	data := object("BEGIN:VEVENT\r\nUID:x@rosteron\r\nDTSTAMP:20261201T000000Z\r\n" +
		"DTSTART;TZID=Australia/Melbourne:20261207T070000\r\nDURATION:PT8H30M\r\n" +
		"SUMMARY:Day\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT1H\r\nX-ROSTERON-ALARM:1\r\nEND:VALARM\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:-PT5M\r\nX-ROSTERON-ALARM:1\r\nEND:VALARM\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DATE-TIME:20261207T000000Z\r\nX-ROSTERON-ALARM:1\r\nEND:VALARM\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n" +
		"END:VEVENT\r\n")
	ev, ok := decodeEvent(data, account)
	require.True(t, ok)
	assert.True(t, ev.Start.Equal(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)), "%v", ev.Start)
	assert.True(t, ev.End.Equal(time.Date(2026, 12, 7, 4, 30, 0, 0, time.UTC)), "%v", ev.End)
	assert.Equal(t, snapshot.Date{Year: 2026, Month: 12, Day: 7}, ev.Date)
	assert.Equal(t, snapshot.KindWork, ev.Kind)
	assert.Equal(t, []time.Duration{time.Hour}, ev.Alarms, "only rosteron's alarm before the start")
	assert.Equal(t, 0, ev.Sequence)
	assert.True(t, ev.Modified.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), "DTSTAMP when there is no LAST-MODIFIED")

	for name, vevent := range map[string]string{
		"another account": "UID:x@rosteron\r\nDTSTART:20261207T070000Z\r\nX-ROSTERON-ACCOUNT:jane@x\r\n" + itemLine,
		"no account":      "UID:x@rosteron\r\nDTSTART:20261207T070000Z\r\n" + itemLine,
		"another domain":  "UID:x@example.com\r\nDTSTART:20261207T070000Z\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine,
		"no item":         "UID:x@rosteron\r\nDTSTART:20261207T070000Z\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n",
		"no start":        "UID:x@rosteron\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine,
		"bad start":       "UID:x@rosteron\r\nDTSTART:tomorrow\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine,
		"bad sequence":    "UID:x@rosteron\r\nDTSTART:20261207T070000Z\r\nSEQUENCE:-3\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine,
	} {
		_, ok := decodeEvent(object("BEGIN:VEVENT\r\nDTSTAMP:20261201T000000Z\r\n"+vevent+"END:VEVENT\r\n"), account)
		assert.False(t, ok, name)
	}
	two := "BEGIN:VEVENT\r\nUID:x@rosteron\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261207T070000Z\r\nX-ROSTERON-ACCOUNT:" + account + "\r\n" + itemLine + "END:VEVENT\r\n"
	_, ok = decodeEvent(object(two+two), account)
	assert.False(t, ok, "a recurring event with overrides is not rosteron's")
	_, ok = decodeEvent([]byte("not iCalendar"), account)
	assert.False(t, ok)
}

// merge keeps the person's additions and the object's time zones, drops
// rosteron's old parts, recurrence and a cancellation.
func TestMerge(t *testing.T) {
	t.Parallel()
	stored := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple//EN\r\nX-WR-CALNAME:Mine\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Australia/Melbourne\r\nBEGIN:STANDARD\r\nDTSTART:19700405T030000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:x@rosteron\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;TZID=Australia/Melbourne:20261207T080000\r\n" +
		"SUMMARY:Edited\r\nRRULE:FREQ=DAILY\r\nSTATUS:CANCELLED\r\nCATEGORIES:Work\r\nX-ALT-DESC;FMTTYPE=text/html:<b>old</b>\r\n" +
		"X-ROSTERON-ACCOUNT:" + account + "\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT1H\r\nX-ROSTERON-ALARM:1\r\nEND:VALARM\r\n" +
		"BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n" +
		"END:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:x@rosteron\r\nRECURRENCE-ID:20261208T070000Z\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261208T090000Z\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n")
	ev := calendar.Event{UID: "x@rosteron", Account: account, Sequence: 2, Alarms: []time.Duration{2 * time.Hour}}
	ev.Start = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	ev.Summary = "Day"
	data, err := encode(ev, stored, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	out := strings.ReplaceAll(string(data), "\r\n ", "")
	for _, want := range []string{"X-WR-CALNAME:Mine", "BEGIN:VTIMEZONE", "CATEGORIES:Work", "ACTION:AUDIO", "TRIGGER:-PT10M",
		"TRIGGER:-PT2H", "SUMMARY:Day", "DTSTART:20261206T200000Z", "SEQUENCE:2", "PRODID:" + productID} {
		assert.Contains(t, out, want)
	}
	for _, gone := range []string{"Edited", "RRULE", "STATUS:CANCELLED", "X-ALT-DESC", "TRIGGER:-PT1H\r", "RECURRENCE-ID", "-//Apple//EN", "TZID=Australia"} {
		assert.NotContains(t, out, gone)
	}
	assert.Equal(t, 1, strings.Count(out, "BEGIN:VEVENT"))

	// Unreadable, the stored object is replaced by rosteron's alone.
	data, err = encode(ev, []byte("garbage"), time.Now())
	require.NoError(t, err)
	assert.Contains(t, string(data), "SUMMARY:Day")
}

// A time in a zone whose TZID Go does not know is read as calendar apps
// mean it: by the IANA name at its end (Evolution, old Thunderbird), its
// Windows name (Exchange), or its VTIMEZONE; a zone that none of these
// reads leaves the event rosteron's, with no times, so that it no longer
// matches its digest.
func TestDecodeEventReadsForeignTimeZones(t *testing.T) {
	t.Parallel()
	vtz := "BEGIN:VTIMEZONE\r\nTZID:Custom Melbourne\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\r\nEND:STANDARD\r\n" +
		"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10\r\nEND:DAYLIGHT\r\n" +
		"END:VTIMEZONE\r\n"
	read := func(tzid, date, extra string) (calendar.Event, bool) {
		return decodeEvent([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"+extra+
			"BEGIN:VEVENT\r\nUID:x@rosteron\r\nDTSTAMP:20261201T000000Z\r\n"+
			"DTSTART;TZID="+tzid+":"+date+"T070000\r\nDTEND;TZID="+tzid+":"+date+"T153000\r\n"+
			"SUMMARY:Day\r\nX-ROSTERON-ACCOUNT:"+account+"\r\n"+itemLine+"END:VEVENT\r\nEND:VCALENDAR\r\n"), account)
	}
	summer := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC) // 07:00 at +11
	for _, tzid := range []string{
		"Australia/Melbourne",
		"/freeassociation.sourceforge.net/Australia/Melbourne",
		"/freeassociation.sourceforge.net/Tzfile/Australia/Melbourne",
		"/mozilla.org/20050126_1/Australia/Melbourne",
		`"AUS Eastern Standard Time"`,
		"AUS Eastern Standard Time",
	} {
		ev, ok := read(tzid, "20261207", "")
		require.True(t, ok, tzid)
		assert.True(t, ev.Start.Equal(summer), "%s: %v", tzid, ev.Start)
		assert.True(t, ev.End.Equal(summer.Add(8*time.Hour+30*time.Minute)), "%s: %v", tzid, ev.End)
	}
	ev, ok := read("Custom Melbourne", "20261207", vtz)
	require.True(t, ok)
	assert.True(t, ev.Start.Equal(summer), "daylight time by the VTIMEZONE: %v", ev.Start)
	ev, ok = read("Custom Melbourne", "20260707", vtz)
	require.True(t, ok)
	assert.True(t, ev.Start.Equal(time.Date(2026, 7, 6, 21, 0, 0, 0, time.UTC)), "standard time by the VTIMEZONE: %v", ev.Start)

	ev, ok = read("Mars/Olympus", "20261207", "")
	require.True(t, ok, "still rosteron's")
	assert.True(t, ev.Start.IsZero() && ev.End.IsZero(), "its times unreadable")
	assert.Equal(t, snapshot.Date{Year: 2026, Month: 12, Day: 7}, ev.Date)
	assert.Equal(t, "Day", ev.Summary)
}
