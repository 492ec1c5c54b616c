package feed

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

func TestShiftsReadAsPeopleWriteThem(t *testing.T) {
	t.Parallel()
	d := snapshot.Date{Year: 2026, Month: time.April, Day: 4} // the night clocks go back
	for _, tc := range []struct {
		times, name string
		date        snapshot.Date
		want        string
	}{
		{"07:00 - 15:30", "Day Shift", d, "07:00–15:30 Day Shift"},
		{"21:00 - 07:00", "Night Shift", d, "21:00–07:00 (+1) Night Shift"},
		{"15:30 - 00:00", "Late Shift", d, "15:30–00:00 Late Shift"},
		{"16:00 - 23:59", "Evening Shift", d, "16:00–23:59 Evening Shift"},
		{"Oncall (20:30 - 08:30)", "On Call", d, "20:30–08:30 (+1) on call"},
		{"Oncall (20:30 - 08:30)", "Theatre on-call", d, "20:30–08:30 (+1) on call Theatre on-call"},
		{"On call", "On-Call", d, "on call"},
		{"09:00 - 16:36", "Annual Leave", d, "Annual Leave (all day)"},
		{"see\nroster", "Meeting", d, "see roster Meeting"},
		// 02:30 does not exist on 4 October 2026 in Melbourne: the
		// roster's clock says it all the same, as the table does.
		{"02:30 - 10:00", "Early", snapshot.Date{Year: 2026, Month: time.October, Day: 4}, "02:30–10:00 Early"},
		{"16:00 - 24:00", "Late Shift", d, "16:00–24:00 Late Shift"},
		{"00:00 - 00:00", "Long Day", d, "00:00–00:00 Long Day"},
		{"08:00 - 08:00", "Long Day", d, "08:00–08:00 (+1) Long Day"},
	} {
		it := item(tc.date, "Ward 4B", tc.times, tc.name)
		assert.Equal(t, tc.want, readShift(it).String(), "%q %q", tc.times, tc.name)
	}
}

func TestDayText(t *testing.T) {
	t.Parallel()
	d := snapshot.Date{Year: 2026, Month: time.December, Day: 2}
	assert.Equal(t, "Wed 2 Dec", dayText(d, 2026))
	assert.Equal(t, "Wed 2 Dec 2026", dayText(d, 2027), "the year when it is not this one")
	assert.Equal(t, "just now", ago(59*time.Second))
	assert.Equal(t, "1 minute ago", ago(time.Minute))
	assert.Equal(t, "47 hours ago", ago(47*time.Hour+59*time.Minute))
	assert.Equal(t, "3 days ago", ago(72*time.Hour))
}

// The page and the alerts give a shift's times as the table and the
// calendar's description do: the roster's clock, even in the hour that
// Melbourne's clocks skip, where a zone's reading would say 03:30.
func TestTimesAgreeWithTableAndCalendar(t *testing.T) {
	t.Parallel()
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	skipped := snapshot.Date{Year: 2026, Month: time.October, Day: 4}
	back := snapshot.Date{Year: 2026, Month: time.April, Day: 4}
	for _, tc := range []struct {
		it    snapshot.Item
		clock string
	}{
		{item(skipped, "Ward 4B", "02:30 - 10:00", "Early"), "02:30–10:00"},
		{item(skipped.AddDays(-1), "Ward 4B", "22:00 - 07:00", "Night Shift"), "22:00–07:00"},
		{item(back, "Ward 4B", "21:00 - 07:00", "Night Shift"), "21:00–07:00"},
		{item(back.AddDays(1), "Ward 4B", "02:30 - 10:00", "Early"), "02:30–10:00"},
		{item(back.AddDays(2), "Ward 4B", "Oncall (20:30 - 08:30)", "On Call"), "20:30–08:30"},
	} {
		s := &snapshot.Snapshot{Items: []snapshot.Item{tc.it}}
		var table, cal bytes.Buffer
		require.NoError(t, export.WriteTable(&table, s, 80))
		require.NoError(t, export.WriteICS(&cal, s, mel))
		a, err := newAlert(snapshot.Diff(nil, s), time.Date(2026, 4, 1, 0, 0, 0, 0, mel), mel)
		require.NoError(t, err)
		require.NotNil(t, a)

		assert.True(t, strings.HasPrefix(readShift(tc.it).Times, tc.clock), "page: %q", readShift(tc.it).Times)
		assert.Contains(t, a.Text, " "+tc.clock, "alert")
		assert.Contains(t, table.String(), tc.clock, "table")
		unfolded := strings.ReplaceAll(cal.String(), "\r\n ", "")
		assert.Regexp(t, `(?m)^DESCRIPTION:(On call )?`+tc.clock, unfolded, "calendar")
	}
}
