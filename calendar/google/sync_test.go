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

// syncGoogle syncs items into c at 09:00 in Melbourne on the 1st of
// month 2026.
func syncGoogle(t *testing.T, c *google.Calendar, month time.Month, items ...snapshot.Item) calendar.Result {
	t.Helper()
	now := time.Date(2026, month, 1, 9, 0, 0, 0, mel)
	snap := &snapshot.Snapshot{Time: now.Add(-time.Hour), Items: items}
	res, err := calendar.Sync(context.Background(), c, snap, calendar.Options{
		Account: account, Location: mel, Now: now,
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
	res := syncGoogle(t, c, 12, items...)
	require.Equal(t, 2, res.Created, res.Lines)
	require.Zero(t, syncGoogle(t, c, 12, items...).Writes())

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

	res = syncGoogle(t, c, 12, items...)
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
	res = syncGoogle(t, c, 12, items...)
	assert.Zero(t, res.Writes(), res.Lines)
	assert.Equal(t, 2, res.Unchanged)
	assert.Equal(t, writes, fake.Writes(), "nothing written")
}

// A shift without an end (its start and end fell in the hour skipped
// when daylight saving starts) lasts a minute in Google, which refuses an
// event that ends when it starts, and is read back as having no end.
func TestEventWithoutAnEnd(t *testing.T) {
	t.Parallel()
	fake := googletest.New(t)
	c := open(t, fake, "Roster")
	ctx := context.Background()
	odd := item(4, "Ward 4B", "02:30 - 03:30", "", "Day Shift", "RN")
	odd.Date = snapshot.Date{Year: 2026, Month: 10, Day: 4} // Melbourne's clocks go from 02:00 to 03:00
	ev := events(t, mel, account, odd)[0]
	require.False(t, ev.Start.IsZero())
	require.True(t, ev.End.IsZero(), "export gives it no end")

	s, err := c.Create(ctx, ev)
	require.NoError(t, err)
	sameEvent(t, ev, s.Event)
	g := fake.Events(c.ID())[0]
	assert.Equal(t, "2026-10-04T03:30:00+11:00", g["start"].(map[string]any)["dateTime"])
	assert.Equal(t, "2026-10-04T03:31:00+11:00", g["end"].(map[string]any)["dateTime"], "a minute")

	list, err := c.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].End.IsZero(), "read back without an end")
	assert.Equal(t, list[0].Digest, list[0].Event.Event.Digest(), "and so not seen as edited")

	// A real one-minute event keeps its end.
	minute := events(t, mel, account, item(5, "Ward 4B", "07:00 - 07:01", "", "Handover", "RN"))[0]
	minute.UID = "minute" + calendar.UIDDomain
	require.False(t, minute.End.IsZero())
	s, err = c.Create(ctx, minute)
	require.NoError(t, err)
	sameEvent(t, minute, s.Event)

	// Synced, then synced again: nothing to write the second time.
	c = open(t, fake, "Synced")
	writes := fake.Writes()
	res := syncGoogle(t, c, 10, odd)
	require.Equal(t, 1, res.Created, res.Lines)
	assert.Equal(t, writes+1, fake.Writes())
	res = syncGoogle(t, c, 10, odd)
	assert.Zero(t, res.Writes(), res.Lines)
	assert.Equal(t, writes+1, fake.Writes(), "nothing written")
	assert.Equal(t, 1, res.Unchanged)
}
