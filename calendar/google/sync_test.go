package google_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/google"
	"github.com/rosteron/rosteron/calendar/google/googletest"
	"github.com/rosteron/rosteron/snapshot"
)

func syncGoogle(t *testing.T, c *google.Calendar, items ...snapshot.Item) calendar.Result {
	t.Helper()
	snap := &snapshot.Snapshot{Time: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Items: items}
	res, err := calendar.Sync(context.Background(), c, snap, calendar.Options{
		Account: account, Location: mel, Now: time.Date(2026, 12, 1, 9, 0, 0, 0, mel),
		Alarms: []time.Duration{time.Hour},
	})
	require.NoError(t, err)
	return res
}

// The person edits an event in Google, which raises its sequence: the
// sync that puts it back raises it again, above Google's, and the sync
// after writes nothing.
func TestSyncAfterAnEditInGoogle(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	items := []snapshot.Item{
		item(2, "Ward 4B", "07:00 - 15:30", "", "Day Shift", "RN"),
		item(3, "Ward 4B", "13:00 - 21:30", "", "Late Shift", "RN"),
	}
	res := syncGoogle(t, c, items...)
	require.Equal(t, 2, res.Created, res.Lines)
	require.Zero(t, syncGoogle(t, c, items...).Writes())

	id := ""
	for _, g := range fake.Events(c.ID()) {
		if g["summary"] == "Day Shift" {
			id = g["id"].(string)
		}
	}
	require.NotEmpty(t, id)
	require.NoError(t, fake.Edit(c.ID(), id, func(g map[string]any) {
		g["summary"] = "Day Shift (swapped?)"
		g["sequence"] = 3
	}))

	res = syncGoogle(t, c, items...)
	assert.Equal(t, 1, res.Updated, res.Lines)
	var g map[string]any
	for _, e := range fake.Events(c.ID()) {
		if e["id"] == id {
			g = e
		}
	}
	require.NotNil(t, g)
	assert.Equal(t, "Day Shift", g["summary"], "put back")
	assert.Equal(t, float64(4), g["sequence"], "above the edit's")
	assert.Equal(t, "4", g["extendedProperties"].(map[string]any)["private"].(map[string]any)["sequence"])

	writes := fake.Writes()
	res = syncGoogle(t, c, items...)
	assert.Zero(t, res.Writes(), res.Lines)
	assert.Equal(t, 2, res.Unchanged)
	assert.Equal(t, writes, fake.Writes(), "nothing written")
}
