package feed

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

func TestAlertSaysWhatChanged(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 1, 8, 3, 0, 0, time.UTC) // Wednesday
	wed := snapshot.Date{Year: 2026, Month: time.April, Day: 1}
	before := &snapshot.Snapshot{Items: []snapshot.Item{
		item(wed.AddDays(-1), "Ward 4B", "07:00 - 15:30", "Day Shift"), // gone from the page: the past
		item(wed, "Ward 4B", "07:00 - 15:30", "Day Shift"),
		item(wed.AddDays(1), "Ward 4B", "13:00 - 21:30", "Late Shift"),
		item(wed.AddDays(2), "Ward 4B", "07:00 - 15:30", "Day Shift"),
		item(wed.AddDays(3), "Ward 4B", "07:00 - 15:30", "Day Shift"),
	}}
	after := &snapshot.Snapshot{Items: []snapshot.Item{
		item(wed, "Ward 4B", "09:00 - 17:30", "Day Shift"),
		item(wed.AddDays(2), "Ward 4B", "07:00 - 15:30", "Day Shift", "BLOGGS, JOE: Allocation for overtime"),
		item(wed.AddDays(3), "Ward 9", "07:00 - 15:30", "Day Shift"),
		item(wed.AddDays(270), "Ward 4B", "21:30 - 07:30", "Night Shift"),
	}}
	a, err := newAlert(snapshot.Diff(before, after), now, time.UTC)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, "Roster changed: 1 moved, 1 added, 1 removed, 1 changed, 1 new warning", a.Title)
	assert.Equal(t, strings.Join([]string{
		"Moved: Wed 1 Apr Day Shift, 07:00–15:30 → 09:00–17:30",
		"Removed: Thu 2 Apr 13:00–21:30 Late Shift, Ward 4B",
		"New warning: Fri 3 Apr 07:00–15:30 Day Shift: BLOGGS, JOE: Allocation for overtime",
		"Changed: Sat 4 Apr 07:00–15:30 Day Shift: place Ward 4B → Ward 9",
		"Added: Sun 27 Dec 21:30–07:30 (+1) Night Shift, Ward 4B",
	}, "\n"), a.Text, "the day gone by is left out")

	var js struct {
		ID, Title, Message string
		Changes            []struct {
			Change string `json:"change"`
			Date   string `json:"date"`
			Old    *struct{ Start string }
			New    *struct{ Start string }
		}
	}
	require.NoError(t, json.Unmarshal(a.JSON, &js))
	assert.Equal(t, a.ID, js.ID)
	assert.Equal(t, a.Title, js.Title)
	assert.Equal(t, a.Text, js.Message)
	require.Len(t, js.Changes, 5)
	assert.Equal(t, "changed", js.Changes[0].Change)
	assert.Equal(t, "2026-04-01", js.Changes[0].Date)
	assert.Equal(t, "2026-04-01T07:00:00Z", js.Changes[0].Old.Start)
	assert.Equal(t, "2026-04-01T09:00:00Z", js.Changes[0].New.Start)
	assert.Nil(t, js.Changes[1].New, "removed")

	// Changes only on days gone by: nothing to report.
	past := &snapshot.Snapshot{Items: before.Items[1:]}
	a, err = newAlert(snapshot.Diff(before, past), now, time.UTC)
	require.NoError(t, err)
	assert.Nil(t, a)
}

func TestAlertTitleForOneChange(t *testing.T) {
	t.Parallel()
	d := snapshot.Date{Year: 2026, Month: time.December, Day: 2}
	one := func(before, after []snapshot.Item) string {
		return alertTitle(snapshot.Diff(&snapshot.Snapshot{Items: before}, &snapshot.Snapshot{Items: after}).Shifts, 2026)
	}
	day := item(d, "Ward 4B", "07:00 - 15:30", "Day Shift")
	moved := item(d, "Ward 4B", "09:00 - 17:30", "Day Shift")
	warned := item(d, "Ward 4B", "07:00 - 15:30", "Day Shift", "W")
	assert.Equal(t, "Shift moved: Wed 2 Dec", one([]snapshot.Item{day}, []snapshot.Item{moved}))
	assert.Equal(t, "Shift added: Wed 2 Dec", one(nil, []snapshot.Item{day}))
	assert.Equal(t, "Shift removed: Wed 2 Dec", one([]snapshot.Item{day}, nil))
	assert.Equal(t, "New warning: Wed 2 Dec", one([]snapshot.Item{day}, []snapshot.Item{warned}))
	assert.Equal(t, "Shift changed: Wed 2 Dec", one([]snapshot.Item{warned}, []snapshot.Item{day}), "a warning cleared")
}

func TestAlertTextIsCapped(t *testing.T) {
	t.Parallel()
	var items []snapshot.Item
	d := snapshot.Date{Year: 2026, Month: time.April, Day: 2}
	for i := range 200 {
		items = append(items, item(d.AddDays(i), "Ward 4B", "07:00 - 15:30", "Day Shift"))
	}
	a, err := newAlert(snapshot.Diff(nil, &snapshot.Snapshot{Items: items}), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(a.Text), maxAlertText)
	assert.Regexp(t, `\n…and \d+ more changes: see the calendar$`, a.Text)
	assert.Equal(t, "Roster changed: 200 added", a.Title)
	var js struct{ Changes []json.RawMessage }
	require.NoError(t, json.Unmarshal(a.JSON, &js))
	assert.Len(t, js.Changes, 200, "the JSON form has them all")
}

// Leave is all day whatever times the roster gives it, so new nominal
// times move nothing: the alert says the leave changed, and how, as
// `rosteron diff` shows it and the calendar's description says it.
func TestAlertLeaveWithNewNominalTimes(t *testing.T) {
	t.Parallel()
	d := snapshot.Date{Year: 2026, Month: time.April, Day: 4}
	before := &snapshot.Snapshot{Items: []snapshot.Item{item(d, "Ward 4B", "09:00 - 16:36", "Annual Leave")}}
	after := &snapshot.Snapshot{Items: []snapshot.Item{item(d, "Ward 4B", "08:00 - 15:36", "Annual Leave")}}
	a, err := newAlert(snapshot.Diff(before, after), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, "Shift changed: Sat 4 Apr", a.Title)
	assert.Equal(t, "Changed: Sat 4 Apr Annual Leave (all day): the roster's times 09:00–16:36 → 08:00–15:36", a.Text)

	// Leave in place of a shift, or a shift in place of leave, is a move.
	day := &snapshot.Snapshot{Items: []snapshot.Item{item(d, "Ward 4B", "07:00 - 15:30", "Day Shift")}}
	a, err = newAlert(snapshot.Diff(day, after), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, "Moved: Sat 4 Apr Annual Leave, 07:00–15:30 → Annual Leave: shift Day Shift → Annual Leave", a.Text)
}
