package export

// Fixtures and helpers shared by the iCalendar and CSV tests. They live in
// the package (not export_test) so that their names cannot clash with the
// table and JSON tests'.

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests' zones must not depend on the machine's

	ics "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

var shiftsTime = time.Date(2026, time.April, 1, 8, 3, 12, 0, time.UTC)

func melbourne(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	return loc
}

// shiftItem makes an item from its details; "" stands for an empty <p>.
func shiftItem(y int, m time.Month, d int, title string, detail ...string) snapshot.Item {
	it := snapshot.Item{Date: snapshot.Date{Year: y, Month: m, Day: d}, Title: title, Detail: make([]snapshot.Field, len(detail))}
	for i, s := range detail {
		if s != "" {
			it.Detail[i] = snapshot.Text(s)
		}
	}
	return it
}

const (
	ward4B = "Ward 4B - Royal Melbourne"
	rn     = "Registered Nurse Div 1"
)

// shiftsRoster has every kind of entry an export must handle.
func shiftsRoster() *snapshot.Snapshot {
	night := shiftItem(2026, 4, 4, ward4B, "21:00 - 07:00", "", "Night Shift", rn)
	night.Warnings = []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}
	return &snapshot.Snapshot{Time: shiftsTime, Items: []snapshot.Item{
		// Clocks go back at 03:00 on 5 April: 11 hours.
		night,
		shiftItem(2026, 4, 6, "Theatre & Recovery - Royal Melbourne", "07:00 - 15:30", "Handover < 15 min, bed board; \\ notes", "Day Shift", rn),
		shiftItem(2026, 4, 7, ward4B, "Oncall (20:30 - 08:30)", "", "On Call", "Associate Nurse Unit Manager"),
		shiftItem(2026, 4, 8, ward4B, "On call (19:00 - 07:00)", "", "ANUM cover", "Associate Nurse Unit Manager"),
		shiftItem(2026, 4, 9, ward4B, "09:00 - 16:36", "", "Annual Leave", rn),
		shiftItem(2026, 4, 10, ward4B, "TBA", "", "Day Shift", rn),
		// The same shift twice on one date.
		shiftItem(2026, 4, 11, ward4B, "07:00 - 15:30", "", "Day Shift", rn),
		shiftItem(2026, 4, 11, ward4B, "07:00 - 15:30", "", "Day Shift", rn),
		shiftItem(2026, 4, 12, "Emergency - Royal Melbourne", "16:00 - 23:59",
			"Cover for Zoë Nguyễn, Renée Faÿ and Łukasz Wróblewski while the ward is short of staff", "Evening Shift", rn),
		// No name: the title stands in.
		shiftItem(2026, 4, 13, "Depot 3 - Brunswick & Coburg", "15:20 - 00:00"),
		// Control characters from a hand-edited file.
		shiftItem(2026, 4, 14, "Ward\r\n4B\x00", "07:00 - 15:30", "line one\nline two\r\nline three", "Day\tShift", rn),
		// Clocks go forward at 02:00 on 4 October: 8 hours.
		shiftItem(2026, 10, 3, ward4B, "22:00 - 07:00", "", "Night Shift", rn),
		// Starts in the skipped hour, which moves it past its end: zero length.
		shiftItem(2026, 10, 4, ward4B, "02:30 - 03:15", "", "Odd Shift", rn),
		shiftItem(2026, 12, 31, ward4B, "22:00 - 07:00", "", "Night Shift", rn),
		shiftItem(2028, 2, 29, ward4B, "21:30 - 07:30", "", "Night Shift", rn),
		{Date: snapshot.Date{Year: 2028, Month: 3, Day: 1}, Title: "", Detail: []snapshot.Field{}},
	}}
}

// golden compares got with testdata/name; go test ./export -update
// rewrites the file. The -update flag is the export tests' (see
// export_test.go); looking it up rather than naming it keeps these files
// compiling whatever that file declares.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	f := flag.Lookup("update")
	require.NotNil(t, f, "the export tests define no -update flag")
	if f.Value.String() == "true" {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./export -update to create %s", path)
	assert.Equal(t, string(want), got)
}

// TestFloatingExports writes shifts read in no zone: iCalendar floating
// times, and JSON and CSV times without an offset, at the roster's clock.
func TestFloatingExports(t *testing.T) {
	t.Parallel()
	snap := shiftsRoster()

	var calOut bytes.Buffer
	require.NoError(t, WriteICS(&calOut, snap, snapshot.Floating))
	out := calOut.String()
	assert.Contains(t, out, "DTSTART:20260404T210000\r\n")
	assert.Contains(t, out, "DTEND:20260405T070000\r\n")
	assert.NotContains(t, out, "DTSTART:20260404T100000Z", "not the instant in any zone")
	// Both readers take it as a time without a zone; the UIDs are those
	// of the zoned calendar, so a feed that gains --tz updates its events.
	cal, err := ics.ParseCalendar(strings.NewReader(out))
	require.NoError(t, err)
	start := cal.Events()[0].GetProperty(ics.ComponentPropertyDtStart)
	assert.Equal(t, "20260404T210000", start.Value)
	assert.Empty(t, start.ICalParameters["TZID"])
	dec := ical.NewDecoder(strings.NewReader(out))
	ecal, err := dec.Decode()
	require.NoError(t, err)
	prop := ecal.Events()[0].Props.Get(ical.PropDateTimeStart)
	require.NotNil(t, prop)
	assert.Equal(t, "20260404T210000", prop.Value)
	var zoned bytes.Buffer
	require.NoError(t, WriteICS(&zoned, snap, melbourne(t)))
	zcal, err := ics.ParseCalendar(strings.NewReader(zoned.String()))
	require.NoError(t, err)
	for i, ev := range cal.Events() {
		assert.Equal(t, zcal.Events()[i].Id(), ev.Id())
	}

	var csvOut bytes.Buffer
	require.NoError(t, WriteCSV(&csvOut, snap, snapshot.Floating))
	assert.Contains(t, csvOut.String(), "2026-04-04,2026-04-04T21:00:00,2026-04-05T07:00:00,")

	var jsonOut bytes.Buffer
	require.NoError(t, WriteShiftsJSON(&jsonOut, snap, snapshot.Floating))
	assert.Contains(t, jsonOut.String(), `"start": "2026-04-04T21:00:00",`)
	assert.Contains(t, jsonOut.String(), `"end": "2026-04-05T07:00:00",`)
}
