package calendar_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/snapshot"
)

const (
	accountA = "joe.bloggs@rosteron.example.com.au/rosteronprod/mobile"
	accountB = "jane.doe@rosteron.example.com.au/rosteronprod/mobile"
)

func melbourne(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Australia/Melbourne")
	require.NoError(t, err)
	return loc
}

func date(t testing.TB, s string) snapshot.Date {
	t.Helper()
	d, err := snapshot.ParseDate(s)
	require.NoError(t, err)
	return d
}

// shift is a roster item as RosterOn lays one out: times, an empty note,
// the name and the role.
func shift(t testing.TB, day, times, name string) snapshot.Item {
	t.Helper()
	return snapshot.Item{
		Date:   date(t, day),
		Title:  "ABCDE - Melbourne Office",
		Detail: []snapshot.Field{snapshot.Text(times), snapshot.Empty, snapshot.Text(name), snapshot.Text("Nurse")},
	}
}

func roster(items ...snapshot.Item) *snapshot.Snapshot {
	return &snapshot.Snapshot{Time: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Items: items}
}

// week is a roster read on Monday 7 December 2026: yesterday's shift,
// which the page still lists, and four from today on, leave among them.
func week(t testing.TB) []snapshot.Item {
	return []snapshot.Item{
		shift(t, "2026-12-06", "07:00 - 15:30", "Early"),
		shift(t, "2026-12-07", "07:00 - 15:30", "Early"),
		shift(t, "2026-12-08", "13:00 - 21:30", "Late"),
		shift(t, "2026-12-10", "21:00 - 07:30", "Night"),
		shift(t, "2026-12-12", "", "Annual Leave"),
	}
}

// monday is 09:00 on Monday 7 December 2026 in Melbourne.
func monday(t testing.TB) time.Time {
	return time.Date(2026, 12, 7, 9, 0, 0, 0, melbourne(t))
}

func options(t testing.TB, now time.Time) calendar.Options {
	return calendar.Options{Account: accountA, Location: melbourne(t), Now: now, Alarms: []time.Duration{time.Hour, 15 * time.Minute}}
}

func syncNow(t testing.TB, cal calendar.Calendar, snap *snapshot.Snapshot, opts calendar.Options) calendar.Result {
	t.Helper()
	res, err := calendar.Sync(context.Background(), cal, snap, opts)
	require.NoError(t, err)
	return res
}

// mine returns the account's events in cal that are not cancelled, by
// date and start.
func mine(t testing.TB, cal *calendartest.Calendar, account string) []calendartest.Event {
	t.Helper()
	var out []calendartest.Event
	for _, e := range cal.Events() {
		if e.Account == account && !e.Cancelled {
			out = append(out, e)
		}
	}
	return out
}

func byDate(t testing.TB, cal *calendartest.Calendar, account, day string) calendartest.Event {
	t.Helper()
	var found []calendartest.Event
	for _, e := range mine(t, cal, account) {
		if e.Item.Date == date(t, day) {
			found = append(found, e)
		}
	}
	require.Len(t, found, 1, "events of %s on %s", account, day)
	return found[0]
}

func TestSyncFirstCreates(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	now := monday(t)
	res := syncNow(t, cal, roster(week(t)...), options(t, now))

	assert.Equal(t, 5, res.Created, "one event a shift the roster lists, yesterday's too")
	assert.Zero(t, res.Past)
	assert.Equal(t, 5, cal.Calls().Create)
	assert.Len(t, res.Lines, 5)
	assert.Equal(t, "create 2026-12-06 Sun 07:00–15:30 Early: new shift", res.Lines[0])
	assert.Contains(t, res.String(), "5 created, 0 updated, 0 deleted, 0 unchanged")

	events := mine(t, cal, accountA)
	require.Len(t, events, 5)
	want := export.Events(roster(week(t)...), melbourne(t))
	for i, e := range events {
		assert.Regexp(t, `^[0-9a-f]{32}\.[0-9a-f]{8}@rosteron$`, e.UID)
		assert.Equal(t, accountA, e.Account)
		assert.Equal(t, 0, e.Sequence)
		assert.Equal(t, now.UTC(), e.Modified)
		assert.Equal(t, want[i].Digest(), e.Digest)
		assert.Equal(t, e.Event.Event.Digest(), e.Digest, "the digest is of what was written")
		assert.Equal(t, want[i].Summary, e.Summary)
		assert.True(t, want[i].Start.Equal(e.Start))
		if e.Kind == snapshot.KindLeave {
			assert.Empty(t, e.Alarms, "leave gets no reminders")
			assert.True(t, e.AllDay())
		} else {
			assert.Equal(t, []time.Duration{15 * time.Minute, time.Hour}, e.Alarms, "ascending")
		}
	}
	night := byDate(t, cal, accountA, "2026-12-10")
	assert.Equal(t, time.Date(2026, 12, 10, 10, 0, 0, 0, time.UTC), night.Start.UTC(), "21:00 AEDT")
	assert.Equal(t, time.Date(2026, 12, 10, 20, 30, 0, 0, time.UTC), night.End.UTC(), "07:30 the next day")
}

func TestSyncSecondWritesNothing(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	snap := roster(week(t)...)
	syncNow(t, cal, snap, options(t, monday(t)))
	before := cal.Events()
	cal.ResetCalls()

	res := syncNow(t, cal, snap, options(t, monday(t).Add(time.Hour)))
	assert.Zero(t, res.Writes())
	assert.Equal(t, 4, res.Unchanged)
	assert.Empty(t, res.Lines)
	assert.Equal(t, calendartest.Calls{List: 1}, cal.Calls(), "one listing, no write")
	assert.Equal(t, before, cal.Events(), "nothing changed, not even an ETag")
}

func TestSyncMovedShiftUpdatesInPlace(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	items := week(t)
	syncNow(t, cal, roster(items...), options(t, monday(t)))
	was := byDate(t, cal, accountA, "2026-12-08")
	cal.ResetCalls()

	items[2] = shift(t, "2026-12-08", "14:00 - 22:30", "Late")
	later := monday(t).Add(2 * time.Hour)
	res := syncNow(t, cal, roster(items...), options(t, later))
	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, 1, res.Writes())
	assert.Equal(t, []string{"update 2026-12-08 Tue 14:00–22:30 Late: changed on the roster"}, res.Lines)
	assert.Equal(t, 1, cal.Calls().Update)

	now := byDate(t, cal, accountA, "2026-12-08")
	assert.Equal(t, was.UID, now.UID, "same UID")
	assert.Equal(t, was.Ref, now.Ref, "same event")
	assert.Equal(t, 1, now.Sequence, "SEQUENCE up")
	assert.Equal(t, later.UTC(), now.Modified, "LAST-MODIFIED now")
	assert.Equal(t, time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC), now.Start.UTC())

	// Once more: nothing.
	cal.ResetCalls()
	res = syncNow(t, cal, roster(items...), options(t, later))
	assert.Zero(t, res.Writes())
}

func TestSyncRemovedShiftDeleted(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	items := week(t)
	syncNow(t, cal, roster(items...), options(t, monday(t)))
	cal.ResetCalls()

	items = append(items[:3], items[4:]...) // the night goes
	res := syncNow(t, cal, roster(items...), options(t, monday(t)))
	assert.Equal(t, 1, res.Deleted)
	assert.Equal(t, 1, res.Writes())
	assert.Equal(t, []string{"delete 2026-12-10 Thu 21:00–07:30 (+1) Night: shift gone from the roster"}, res.Lines)
	assert.Len(t, mine(t, cal, accountA), 4)
}

func TestSyncLeavesOthersAlone(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	own := cal.Add(calendar.Event{
		Event: export.Event{Date: date(t, "2026-12-08"), Summary: "Dentist",
			Start: time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)},
		UID: "dentist-1@example.com",
	})
	// Two people on one ward with the same shifts sync into one calendar.
	optsB := options(t, monday(t))
	optsB.Account = accountB
	syncNow(t, cal, roster(week(t)...), options(t, monday(t)))
	syncNow(t, cal, roster(week(t)...), optsB)
	require.Len(t, mine(t, cal, accountA), 5)
	require.Len(t, mine(t, cal, accountB), 5)
	assert.NotEqual(t, byDate(t, cal, accountA, "2026-12-08").UID, byDate(t, cal, accountB, "2026-12-08").UID,
		"the same shift has a UID of each account's")
	bEvents := mine(t, cal, accountB)
	cal.ResetCalls()

	// A's roster loses two shifts: B's events and the person's own are
	// not written.
	items := week(t)[:3]
	res := syncNow(t, cal, roster(items...), options(t, monday(t)))
	assert.Equal(t, 2, res.Deleted)
	assert.Equal(t, bEvents, mine(t, cal, accountB))
	got, ok := cal.Event(own.UID)
	require.True(t, ok)
	assert.Equal(t, own, got)

	// B's second sync writes nothing.
	cal.ResetCalls()
	res = syncNow(t, cal, roster(week(t)...), optsB)
	assert.Zero(t, res.Writes())
}

func TestSyncIgnoresForeignForms(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	syncNow(t, cal, roster(week(t)...), options(t, monday(t)))
	mon := byDate(t, cal, accountA, "2026-12-07")
	// A copy made by hand under another UID, with rosteron's properties.
	copied := mon.Event
	copied.UID = "copy-" + mon.UID
	cal.Add(copied)
	cal.ResetCalls()

	res := syncNow(t, cal, roster(week(t)[2:]...), options(t, monday(t)))
	assert.Equal(t, 1, res.Ignored)
	assert.Equal(t, 1, res.Deleted, "Monday's own event goes")
	_, ok := cal.Event(copied.UID)
	assert.True(t, ok, "the copy stays")
}

func TestSyncRestoresEditInCalendar(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	snap := roster(week(t)...)
	syncNow(t, cal, snap, options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")
	require.True(t, cal.Edit(late.UID, func(e *calendartest.Event) {
		e.Summary = "Late (swapped?)"
		e.Start = e.Start.Add(time.Hour)
		e.Sequence++
		e.Notes = "my own alarm, colour red"
	}))
	cal.ResetCalls()

	res := syncNow(t, cal, snap, options(t, monday(t)))
	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, []string{"update 2026-12-08 Tue 13:00–21:30 Late: edited in the calendar: restored from the roster"}, res.Lines)
	now := byDate(t, cal, accountA, "2026-12-08")
	assert.Equal(t, late.Summary, now.Summary)
	assert.True(t, late.Start.Equal(now.Start))
	assert.Equal(t, 2, now.Sequence, "above the edit's")
	assert.Equal(t, "my own alarm, colour red", now.Notes, "what the person added is kept")

	// A change of reminders alone is an update too.
	opts := options(t, monday(t))
	opts.Alarms = []time.Duration{30 * time.Minute}
	res = syncNow(t, cal, snap, opts)
	assert.Equal(t, 3, res.Updated, "the work shifts; leave has none")
	for _, l := range res.Lines {
		assert.True(t, strings.HasSuffix(l, ": reminders changed"), l)
	}
	opts.AlarmLeave = true
	res = syncNow(t, cal, snap, opts)
	assert.Equal(t, []string{"update 2026-12-12 Sat all day Annual Leave: reminders changed"}, res.Lines)
	assert.Equal(t, []time.Duration{30 * time.Minute}, byDate(t, cal, accountA, "2026-12-12").Alarms)
}

func TestSyncConflictSettled(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	items := week(t)
	syncNow(t, cal, roster(items...), options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")
	night := byDate(t, cal, accountA, "2026-12-10")

	// Between the listing and the writes, someone edits the Late shift's
	// event and the Night's.
	cal.OnRequest(func(r calendartest.Request) error {
		switch {
		case r.Op == calendartest.OpUpdate && r.UID == late.UID:
			cal.OnRequest(nil)
			cal.Edit(late.UID, func(e *calendartest.Event) { e.Summary = "Swapped with Jo"; e.Sequence = 5 })
			cal.Edit(night.UID, func(e *calendartest.Event) { e.Location = "Ward 4" })
		}
		return nil
	})
	items[2] = shift(t, "2026-12-08", "14:00 - 22:30", "Late")
	items = append(items[:3], items[4:]...)
	cal.ResetCalls()
	res := syncNow(t, cal, roster(items...), options(t, monday(t)))

	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, 1, res.Deleted)
	assert.Equal(t, 2, res.Settled)
	assert.Equal(t, calendartest.Calls{List: 1, Get: 2, Update: 2, Delete: 2}, cal.Calls())
	assert.Contains(t, res.Lines, "update 2026-12-08 Tue 14:00–22:30 Late: changed on the roster "+
		"(edited in the calendar meanwhile: read again and settled)")
	assert.Contains(t, res.String(), "2 edited in the calendar meanwhile and settled")
	now := byDate(t, cal, accountA, "2026-12-08")
	assert.Equal(t, "Late", now.Summary, "the roster wins")
	assert.Equal(t, 6, now.Sequence, "above the edit's")
	_, ok := cal.Event(night.UID)
	assert.False(t, ok, "the night is gone from the roster, edited or not")
}

func TestSyncConflictOnCreate(t *testing.T) {
	t.Parallel()
	snap := roster(week(t)...)
	for _, same := range []bool{true, false} {
		cal := calendartest.New()
		// Another run of the sync creates Monday's event first.
		other := calendartest.New()
		syncNow(t, other, snap, options(t, monday(t)))
		mon := byDate(t, other, accountA, "2026-12-07")
		if !same {
			mon.Summary = "Early?"
		}
		cal.OnRequest(func(r calendartest.Request) error {
			if r.Op == calendartest.OpCreate && r.UID == mon.UID {
				cal.OnRequest(nil)
				cal.Add(mon.Event)
			}
			return nil
		})
		res := syncNow(t, cal, snap, options(t, monday(t)))
		assert.Equal(t, 1, res.Settled)
		require.Len(t, mine(t, cal, accountA), 5, "no duplicate")
		if same {
			assert.Equal(t, 4, res.Created)
			assert.Contains(t, res.Lines, "create 2026-12-07 Mon 07:00–15:30 Early: new shift "+
				"(already so in the calendar: edited in the calendar meanwhile: read again and settled)")
		} else {
			assert.Equal(t, 4, res.Created)
			assert.Equal(t, 1, res.Updated)
			assert.Equal(t, "Early", byDate(t, cal, accountA, "2026-12-07").Summary)
		}
	}
}

func TestSyncConflictGivesUp(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	snap := roster(week(t)...)
	syncNow(t, cal, snap, options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")
	// Someone edits the event before every write of it.
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpUpdate {
			cal.Edit(late.UID, func(e *calendartest.Event) { e.Summary += "!" })
		}
		return nil
	})
	cal.Edit(late.UID, func(e *calendartest.Event) { e.Summary = "x" })
	res, err := calendar.Sync(context.Background(), cal, snap, options(t, monday(t)))
	require.ErrorIs(t, err, calendar.ErrConflict)
	assert.Contains(t, err.Error(), "left for the next sync")
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, 3, cal.Calls().Update, "three tries")
	assert.Equal(t, 2, cal.Calls().Get)
}

func TestSyncEmptyRosterHeld(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	syncNow(t, cal, roster(week(t)...), options(t, monday(t)))
	before := cal.Events()
	cal.ResetCalls()

	// Only yesterday's shift is left: nothing from today on.
	empty := roster(week(t)[0])
	_, err := calendar.Sync(context.Background(), cal, empty, options(t, monday(t)))
	require.ErrorIs(t, err, calendar.ErrEmptyRoster)
	assert.Contains(t, err.Error(), "(4 upcoming)")
	assert.Zero(t, cal.Calls().Writes())
	assert.Equal(t, before, cal.Events())

	opts := options(t, monday(t))
	opts.AllowEmpty = true
	res := syncNow(t, cal, empty, opts)
	assert.Equal(t, 4, res.Deleted)
	assert.Equal(t, 1, res.Past, "yesterday's event is not deleted")
	assert.Len(t, mine(t, cal, accountA), 1)

	// An empty roster and an empty calendar is no news.
	res = syncNow(t, calendartest.New(), roster(), options(t, monday(t)))
	assert.Zero(t, res.Writes())
}

// Before today, a change on the roster is written, but an event is not
// deleted, nor an edit made in the calendar undone: the roster page no
// longer lists every past day.
func TestSyncPastDays(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	// Synced on Sunday: Sunday's shift has an event.
	sunday := monday(t).Add(-24 * time.Hour)
	syncNow(t, cal, roster(week(t)...), options(t, sunday))
	sun := byDate(t, cal, accountA, "2026-12-06")
	cal.Edit(sun.UID, func(e *calendartest.Event) { e.Summary = "Early (done)" })
	sun, _ = cal.Event(sun.UID)
	cal.ResetCalls()

	// On Monday the page lists Sunday no more, or lists it as it was.
	for _, items := range [][]snapshot.Item{week(t)[1:], week(t)} {
		res := syncNow(t, cal, roster(items...), options(t, monday(t)))
		assert.Zero(t, res.Writes())
		assert.Equal(t, 1, res.Past)
		got, ok := cal.Event(sun.UID)
		require.True(t, ok)
		assert.Equal(t, sun, got)
	}

	// Or lists it changed: the change is written.
	changed := append([]snapshot.Item{shift(t, "2026-12-06", "08:00 - 16:30", "Early")}, week(t)[1:]...)
	res := syncNow(t, cal, roster(changed...), options(t, monday(t)))
	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, []string{"update 2026-12-06 Sun 08:00–16:30 Early: " + calendar.ReasonReplaced}, res.Lines)
	got, _ := cal.Event(sun.UID)
	assert.Equal(t, "Early", got.Summary)
	assert.Equal(t, time.Date(2026, 12, 6, 8, 0, 0, 0, melbourne(t)), got.Start.In(melbourne(t)))

	// A past shift with no event gets one.
	cal.Remove(sun.UID)
	res = syncNow(t, cal, roster(changed...), options(t, monday(t)))
	assert.Equal(t, 1, res.Created)
	assert.Equal(t, 1, res.Writes())
}

// TestSyncDaylightSaving syncs across Melbourne's changes of clocks: on 4
// October 2026 at 02:00 they go forward an hour, on 5 April 2026 at 03:00
// back.
func TestSyncDaylightSaving(t *testing.T) {
	t.Parallel()
	mel := melbourne(t)
	items := []snapshot.Item{
		shift(t, "2026-10-03", "21:00 - 07:00", "Night"),  // 9 hours, not 10
		shift(t, "2026-10-04", "02:30 - 03:15", "Odd"),    // starts in the skipped hour
		shift(t, "2026-10-04", "07:00 - 15:30", "Early"),  // AEDT
		shift(t, "2026-10-05", "07:00 - 15:30", "Early"),  //
		shift(t, "2026-04-04", "21:00 - 07:00", "Night"),  // 11 hours (the past, here)
		shift(t, "2026-10-06", "23:00 - 07:00", "Night2"), //
	}
	// 23:30 on Saturday 3 October, AEST.
	now := time.Date(2026, 10, 3, 23, 30, 0, 0, mel)
	cal := calendartest.New()
	opts := options(t, now)
	res := syncNow(t, cal, roster(items...), opts)
	assert.Equal(t, 6, res.Created, "April's night too: it is on the roster")
	assert.Zero(t, res.Past)

	night := byDate(t, cal, accountA, "2026-10-03")
	assert.Equal(t, time.Date(2026, 10, 3, 11, 0, 0, 0, time.UTC), night.Start.UTC(), "21:00 AEST")
	assert.Equal(t, time.Date(2026, 10, 3, 20, 0, 0, 0, time.UTC), night.End.UTC(), "07:00 AEDT")
	assert.Equal(t, 9*time.Hour, night.End.Sub(night.Start))
	early := byDate(t, cal, accountA, "2026-10-05")
	assert.Equal(t, time.Date(2026, 10, 4, 20, 0, 0, 0, time.UTC), early.Start.UTC(), "07:00 AEDT")
	var odd calendartest.Event
	for _, e := range mine(t, cal, accountA) {
		if e.Summary == "Odd" {
			odd = e
		}
	}
	assert.Equal(t, time.Date(2026, 10, 3, 16, 30, 0, 0, time.UTC), odd.Start.UTC(), "02:30 read as 03:30 AEDT")

	// An hour later it is Sunday in Melbourne, though Saturday in UTC:
	// Saturday's night is past. A change on the roster is written; an
	// edit made in the calendar is left alone.
	items[0] = shift(t, "2026-10-03", "22:00 - 07:00", "Night")
	cal.ResetCalls()
	res = syncNow(t, cal, roster(items...), options(t, now.Add(time.Hour)))
	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, 1, res.Past)
	cal.Edit(night.UID, func(e *calendartest.Event) { e.Summary = "Night (swapped)" })
	res = syncNow(t, cal, roster(items...), options(t, now.Add(time.Hour)))
	assert.Zero(t, res.Writes())
	assert.Equal(t, 2, res.Past)

	// Before midnight, Saturday's night was still today's: the edit is
	// undone.
	res = syncNow(t, cal, roster(items...), options(t, now.Add(time.Minute)))
	assert.Equal(t, 1, res.Updated)
	res = syncNow(t, cal, roster(items...), options(t, now.Add(time.Minute)))
	assert.Zero(t, res.Writes())
}

// TestSyncFloatingInUTC is a process in UTC with no TZ: the roster's
// times are read in no zone, and "today" is the latest date on Earth, so
// that no event of a day the roster may no longer list is deleted; but a
// shift changed on the roster is written whatever "today" says.
func TestSyncFloatingInUTC(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	opts := calendar.Options{Account: accountA, Location: snapshot.Floating,
		Now: time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)} // Sunday in UTC, Monday 01:00 in UTC+14
	assert.Equal(t, date(t, "2026-12-07"), calendar.Today(opts.Now, snapshot.Floating))
	assert.Equal(t, date(t, "2026-12-06"), calendar.Today(opts.Now, nil))
	res := syncNow(t, cal, roster(week(t)...), opts)
	assert.Equal(t, 5, res.Created)
	assert.Zero(t, res.Past)
	mon := byDate(t, cal, accountA, "2026-12-07")
	assert.True(t, snapshot.IsFloating(mon.Start), "a floating time")
	assert.Equal(t, "2026-12-07T07:00:00", snapshot.FormatTime(mon.Start))
	cal.ResetCalls()
	res = syncNow(t, cal, roster(week(t)...), opts)
	assert.Zero(t, res.Writes())

	// Monday 18:30 in Perth, Tuesday in UTC+14: tonight's shift moves on
	// the roster, and is written, though Monday is "past" in UTC+14.
	opts.Now = time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	require.Equal(t, date(t, "2026-12-08"), calendar.Today(opts.Now, snapshot.Floating))
	items := week(t)
	items[1] = shift(t, "2026-12-07", "20:00 - 23:30", "Early")
	res = syncNow(t, cal, roster(items...), opts)
	assert.Equal(t, 1, res.Updated)
	assert.Equal(t, "2026-12-07T20:00:00", snapshot.FormatTime(byDate(t, cal, accountA, "2026-12-07").Start))
	// Gone from the roster, it is not deleted: the page may no longer list it.
	res = syncNow(t, cal, roster(append(items[:1:1], items[2:]...)...), opts)
	assert.Zero(t, res.Writes())
}

// TestSyncCancelledKept is a calendar that keeps deleted events as
// cancelled, as Google does: a shift that comes back restores its event.
func TestSyncCancelledKept(t *testing.T) {
	t.Parallel()
	cal := calendartest.New(calendartest.KeepCancelled())
	items := week(t)
	syncNow(t, cal, roster(items...), options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")

	res := syncNow(t, cal, roster(append(items[:2:2], items[3:]...)...), options(t, monday(t)))
	assert.Equal(t, 1, res.Deleted)
	gone, ok := cal.Event(late.UID)
	require.True(t, ok)
	assert.True(t, gone.Cancelled)

	// Gone again: nothing to do for a cancelled event.
	res = syncNow(t, cal, roster(append(items[:2:2], items[3:]...)...), options(t, monday(t)))
	assert.Zero(t, res.Writes())

	cal.ResetCalls()
	res = syncNow(t, cal, roster(items...), options(t, monday(t)))
	assert.Equal(t, 1, res.Updated)
	assert.Zero(t, res.Created, "restored, not created")
	assert.Equal(t, []string{"update 2026-12-08 Tue 13:00–21:30 Late: shift back on the roster: the cancelled event restored"}, res.Lines)
	back, _ := cal.Event(late.UID)
	assert.False(t, back.Cancelled)
	assert.Equal(t, late.Ref, back.Ref)
	assert.Greater(t, back.Sequence, gone.Sequence)

	// Every shift from today on gone, and the calendar holds only
	// cancelled events: the guard counts only live ones.
	cal.Clear()
	res = syncNow(t, cal, roster(items[0]), options(t, monday(t)))
	assert.Equal(t, 1, res.Updated, "yesterday's shift is on the roster: its event restored")
	assert.Equal(t, 1, res.Writes())
}

func TestSyncDuplicates(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	syncNow(t, cal, roster(week(t)...), options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")
	cal.Add(late.Event) // the same event twice, as a sync cut short or a copy leaves it
	cal.ResetCalls()

	res := syncNow(t, cal, roster(week(t)...), options(t, monday(t)))
	assert.Equal(t, 1, res.Deleted)
	assert.Equal(t, []string{"delete 2026-12-08 Tue 13:00–21:30 Late: a second event with the UID of another: duplicate removed"}, res.Lines)
	byDate(t, cal, accountA, "2026-12-08")
	kept, _ := cal.Event(late.UID)
	assert.Equal(t, late.Ref, kept.Ref, "the first is kept")
}

func TestSyncDryRun(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	opts := options(t, monday(t))
	opts.DryRun = true
	res := syncNow(t, cal, roster(week(t)...), opts)
	assert.True(t, res.DryRun)
	assert.Equal(t, 5, res.Created)
	assert.Len(t, res.Lines, 5)
	assert.Zero(t, cal.Calls().Writes())
	assert.Empty(t, cal.Events())
	assert.Contains(t, res.String(), "5 to be created")
	assert.Contains(t, res.String(), "nothing written (dry run)")
}

func TestSyncFailures(t *testing.T) {
	t.Parallel()
	snap := roster(week(t)...)

	// Refused credentials stop at once.
	cal := calendartest.New()
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpCreate {
			return calendartest.Unauthorized()
		}
		return nil
	})
	res, err := calendar.Sync(context.Background(), cal, snap, options(t, monday(t)))
	require.ErrorIs(t, err, calendar.ErrAuth)
	require.ErrorIs(t, err, calendar.ErrCalendar)
	var auth *calendar.AuthError
	require.ErrorAs(t, err, &auth)
	assert.Equal(t, 1, cal.Calls().Create)
	assert.Equal(t, 5, res.Failed)

	// One event refused goes on to the others; three in a row stop.
	cal = calendartest.New()
	bad := errors.New("400 bad request")
	fails := 0
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpCreate && fails < 1 {
			fails++
			return bad
		}
		return nil
	})
	res, err = calendar.Sync(context.Background(), cal, snap, options(t, monday(t)))
	require.ErrorIs(t, err, calendar.ErrCalendar)
	require.ErrorIs(t, err, bad)
	assert.Equal(t, 4, res.Created)
	assert.Equal(t, 1, res.Failed)

	cal = calendartest.New()
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpCreate {
			return calendartest.ErrDown
		}
		return nil
	})
	res, err = calendar.Sync(context.Background(), cal, snap, options(t, monday(t)))
	require.ErrorIs(t, err, calendartest.ErrDown)
	assert.Equal(t, 3, cal.Calls().Create, "three in a row, then it stops")
	assert.Equal(t, 5, res.Failed)
	assert.Contains(t, err.Error(), "5 of 5 changes to the calendar failed")

	// A listing that fails writes nothing.
	cal = calendartest.New()
	cal.OnRequest(func(calendartest.Request) error { return calendartest.ErrDown })
	_, err = calendar.Sync(context.Background(), cal, snap, options(t, monday(t)))
	require.ErrorIs(t, err, calendartest.ErrDown)
	assert.Equal(t, calendartest.Calls{List: 1}, cal.Calls())
}

func TestMakePlanChecks(t *testing.T) {
	t.Parallel()
	_, err := calendar.MakePlan(nil, nil, options(t, monday(t)))
	assert.Error(t, err)
	opts := options(t, monday(t))
	opts.Account = ""
	_, err = calendar.MakePlan(roster(), nil, opts)
	assert.ErrorContains(t, err, "no account")
	opts = options(t, monday(t))
	opts.Alarms = []time.Duration{-time.Hour}
	_, err = calendar.MakePlan(roster(), nil, opts)
	assert.ErrorContains(t, err, "before the start")

	p, err := calendar.MakePlan(roster(week(t)...), nil, options(t, monday(t)))
	require.NoError(t, err)
	assert.Equal(t, 5, p.Count(calendar.OpCreate))
	assert.Equal(t, date(t, "2026-12-07"), p.Today())
	assert.False(t, p.Empty())
}

func TestAccountID(t *testing.T) {
	t.Parallel()
	id, err := calendar.AccountID("https://RosterOn.example.com.au/RosterOnProd/Mobile/", " Joe.Bloggs ")
	require.NoError(t, err)
	assert.Equal(t, accountA, id)
}

// hiding is a calendar whose listing leaves out one UID's events, as a
// server's filter or an event another app rewrote may: Get still reads
// them.
type hiding struct {
	*calendartest.Calendar
	uid string
}

func (h hiding) List(ctx context.Context, account string) ([]calendar.Stored, error) {
	all, err := h.Calendar.List(ctx, account)
	var out []calendar.Stored
	for _, s := range all {
		if s.UID != h.uid {
			out = append(out, s)
		}
	}
	return out, err
}

// A create refused for an event the listing does not show is settled by
// reading the event by its UID, not tried again and again.
func TestSyncConflictOnCreateOfAnEventNotListed(t *testing.T) {
	t.Parallel()
	cal := calendartest.New()
	snap := roster(week(t)...)
	syncNow(t, cal, snap, options(t, monday(t)))
	late := byDate(t, cal, accountA, "2026-12-08")
	cal.Edit(late.UID, func(e *calendartest.Event) { e.Summary = "Late?" })
	cal.ResetCalls()

	res, err := calendar.Sync(context.Background(), hiding{cal, late.UID}, snap, options(t, monday(t)))
	require.NoError(t, err)
	assert.Equal(t, 1, res.Settled)
	assert.Equal(t, 1, res.Updated, "read by its UID, and the edit undone")
	assert.Equal(t, calendartest.Calls{List: 2, Get: 1, Create: 1, Update: 1}, cal.Calls())
	assert.Equal(t, "Late", byDate(t, cal, accountA, "2026-12-08").Summary)
}
