package calendartest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

const account = "joe@rosteron.example.com/mobile"

func event(uid string) calendar.Event {
	return calendar.Event{
		Event:   export.Event{Date: snapshot.Date{Year: 2026, Month: 12, Day: 7}, Summary: "Early", Start: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)},
		UID:     uid,
		Account: account,
		Item:    snapshot.Item{Date: snapshot.Date{Year: 2026, Month: 12, Day: 7}, Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30")}},
		Alarms:  []time.Duration{time.Hour},
	}
}

func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cal := calendartest.New()
	tag0, err := cal.Tag(ctx)
	require.NoError(t, err)

	s, err := cal.Create(ctx, event("a@rosteron"))
	require.NoError(t, err)
	assert.NotEmpty(t, s.ETag)
	assert.NotEmpty(t, s.Ref)
	tag1, _ := cal.Tag(ctx)
	assert.NotEqual(t, tag0, tag1, "a write changes the tag")

	_, err = cal.Create(ctx, event("a@rosteron"))
	assert.ErrorIs(t, err, calendar.ErrConflict, "the UID is taken")

	// What a caller holds is a copy.
	s.Alarms[0] = time.Minute
	s.Item.Detail[0] = snapshot.Text("x")
	got, found, err := cal.Get(ctx, s)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, []time.Duration{time.Hour}, got.Alarms)
	assert.Equal(t, "07:00 - 15:30", got.Item.Detail[0].Value)

	byUID, found, err := cal.Get(ctx, calendar.Stored{Event: calendar.Event{UID: "a@rosteron"}})
	require.NoError(t, err)
	require.True(t, found, "found by UID without a Ref")
	assert.Equal(t, got.Ref, byUID.Ref)

	// Edited by a person: a new ETag, a new Tag, and the old ETag refused.
	require.True(t, cal.Edit("a@rosteron", func(e *calendartest.Event) { e.Summary = "Early?"; e.Notes = "mine" }))
	tag2, _ := cal.Tag(ctx)
	assert.NotEqual(t, tag1, tag2)
	ev := event("a@rosteron")
	_, err = cal.Update(ctx, got, ev)
	assert.ErrorIs(t, err, calendar.ErrConflict)
	assert.ErrorIs(t, cal.Delete(ctx, got), calendar.ErrConflict)

	got, _, _ = cal.Get(ctx, got)
	upd, err := cal.Update(ctx, got, ev)
	require.NoError(t, err)
	assert.NotEqual(t, got.ETag, upd.ETag)
	e, _ := cal.Event("a@rosteron")
	assert.Equal(t, "Early", e.Summary)
	assert.Equal(t, "mine", e.Notes, "the person's additions are kept")

	ev.UID = "b@rosteron"
	_, err = cal.Update(ctx, upd, ev)
	assert.ErrorIs(t, err, calendar.ErrCalendar)
	assert.NotErrorIs(t, err, calendar.ErrConflict)

	require.NoError(t, cal.Delete(ctx, upd))
	_, found, err = cal.Get(ctx, upd)
	require.NoError(t, err)
	assert.False(t, found)
	assert.ErrorIs(t, cal.Delete(ctx, upd), calendar.ErrConflict, "gone")
	assert.Equal(t, calendartest.Calls{Tag: 3, Get: 4, Create: 2, Update: 3, Delete: 3}, cal.Calls())
}

func TestListOnlyTheAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cal := calendartest.New()
	cal.Add(event("a@rosteron"))
	own := event("dentist@example.com")
	own.Account = ""
	cal.Add(own)
	other := event("b@rosteron")
	other.Account = "someone@else"
	cal.Add(other)
	list, err := cal.List(ctx, account)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "a@rosteron", list[0].UID)
	assert.Len(t, cal.Events(), 3)
	assert.Zero(t, cal.Calls().Writes(), "Add is not a request")
}

func TestKeepCancelled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cal := calendartest.New(calendartest.KeepCancelled())
	s, err := cal.Create(ctx, event("a@rosteron"))
	require.NoError(t, err)
	require.NoError(t, cal.Delete(ctx, s))
	list, _ := cal.List(ctx, account)
	require.Len(t, list, 1)
	assert.True(t, list[0].Cancelled)
	_, err = cal.Create(ctx, event("a@rosteron"))
	assert.ErrorIs(t, err, calendar.ErrConflict, "a cancelled event keeps its UID")
	back, err := cal.Update(ctx, list[0], event("a@rosteron"))
	require.NoError(t, err)
	assert.False(t, back.Cancelled)
	cal.Clear()
	e, ok := cal.Event("a@rosteron")
	require.True(t, ok)
	assert.True(t, e.Cancelled)
}

func TestOnRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cal := calendartest.New()
	var seen []calendartest.Request
	cal.OnRequest(func(r calendartest.Request) error {
		seen = append(seen, r)
		if r.Op == calendartest.OpCreate {
			return errors.New("full")
		}
		return nil
	})
	_, err := cal.Create(ctx, event("a@rosteron"))
	assert.ErrorIs(t, err, calendar.ErrCalendar, "wrapped to match")
	assert.ErrorContains(t, err, "full")
	_, err = cal.List(ctx, account)
	require.NoError(t, err)
	assert.Equal(t, []calendartest.Request{{Op: "create", UID: "a@rosteron"}, {Op: "list"}}, seen)

	cal.OnRequest(func(calendartest.Request) error { return calendartest.Unauthorized() })
	_, err = cal.Tag(ctx)
	var auth *calendar.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, 401, auth.Status)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = cal.Tag(cctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// Example syncs a roster into a calendar in memory, as a test of code
// that syncs does.
func Example() {
	cal := calendartest.New(calendartest.WithName("Roster"))
	snap := &snapshot.Snapshot{Items: []snapshot.Item{{
		Date:   snapshot.Date{Year: 2026, Month: 12, Day: 7},
		Title:  "ABCDE - Melbourne Office",
		Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Early")},
	}}}
	mel, _ := time.LoadLocation("Australia/Melbourne")
	opts := calendar.Options{Account: account, Location: mel, Now: time.Date(2026, 12, 7, 6, 0, 0, 0, mel)}
	res, err := calendar.Sync(context.Background(), cal, snap, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range res.Lines {
		fmt.Println(l)
	}
	fmt.Println(res)
	fmt.Println(cal.Calls().Writes(), "writes")
	// Output:
	// create 2026-12-07 Mon 07:00–15:30 Early: new shift
	// 1 created, 0 updated, 0 deleted, 0 unchanged
	// 1 writes
}
