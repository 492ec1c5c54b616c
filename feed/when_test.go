package feed

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

func TestShiftsReadAsPeopleWriteThem(t *testing.T) {
	t.Parallel()
	mel, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
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
		// 02:30 does not exist on 4 October 2026 in Melbourne: read as
		// 03:30, as calendar apps read it.
		{"02:30 - 10:00", "Early", snapshot.Date{Year: 2026, Month: time.October, Day: 4}, "03:30–10:00 Early"},
	} {
		it := item(tc.date, "Ward 4B", tc.times, tc.name)
		assert.Equal(t, tc.want, readShift(it, mel).String(), "%q %q", tc.times, tc.name)
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
