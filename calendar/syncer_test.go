package calendar_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
)

// logLines collects a Syncer's log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(line string) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// take returns the lines logged since the last take.
func (l *logLines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// runSyncer starts a Syncer of cal in a synctest bubble, its clock
// Monday morning plus the bubble's time, and stops it when the test
// ends.
func runSyncer(t *testing.T, cal calendar.Calendar, opts calendar.Options) (*calendar.Syncer, *logLines) {
	t.Helper()
	s := calendar.NewSyncer(cal, opts)
	start, base := time.Now(), opts.Now
	s.Now = func() time.Time { return base.Add(time.Since(start)) }
	log := &logLines{}
	s.Log = log.add
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s, log
}

func TestSyncerKeepsCalendarInStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cal := calendartest.New(calendartest.WithName("Roster"))
		s, log := runSyncer(t, cal, options(t, monday(t)))

		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 5)
		lines := log.take()
		assert.Contains(t, lines, "calendar: create 2026-12-07 Mon 07:00–15:30 Early: new shift")
		assert.Contains(t, lines, "calendar sync ok: calendartest: Roster: 5 created, 0 updated, 0 deleted, 0 unchanged")
		st := s.State()
		assert.False(t, st.LastSuccess.IsZero())
		assert.Equal(t, 5, st.LastResult.Created)

		// The same roster read again: the calendar changed (the sync's own
		// writes), so it is listed once, and nothing written.
		cal.ResetCalls()
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		assert.Equal(t, calendartest.Calls{Tag: 1, List: 1}, cal.Calls())

		// And again: one request.
		cal.ResetCalls()
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		assert.Equal(t, calendartest.Calls{Tag: 1}, cal.Calls())
		assert.Equal(t, []string{"calendar sync: calendartest: Roster up to date (checked its tag)"}, log.take()[1:])

		// A calendar emptied on the server is put right at the next read
		// of an unchanged roster.
		cal.Clear()
		cal.ResetCalls()
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 5)
		assert.Equal(t, calendartest.Calls{Tag: 1, List: 1, Create: 5}, cal.Calls())

		// And one edited there.
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		late := byDate(t, cal, accountA, "2026-12-08")
		cal.Edit(late.UID, func(e *calendartest.Event) { e.Summary = "Late?" })
		log.take()
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		assert.Equal(t, "Late", byDate(t, cal, accountA, "2026-12-08").Summary)
		assert.Contains(t, log.take(), "calendar: update 2026-12-08 Tue 13:00–21:30 Late: edited in the calendar: restored from the roster")

		// A changed roster with an unchanged calendar uses the listing it
		// has: the Tag, then the write.
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		cal.ResetCalls()
		s.Observe(roster(week(t)[:4]...), false)
		synctest.Wait()
		assert.Equal(t, calendartest.Calls{Tag: 1, Delete: 1}, cal.Calls())
	})
}

func TestSyncerRetriesFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cal := calendartest.New()
		var down atomic.Bool
		down.Store(true)
		cal.OnRequest(func(calendartest.Request) error {
			if down.Load() {
				return calendartest.ErrDown
			}
			return nil
		})
		s, log := runSyncer(t, cal, options(t, monday(t)))
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		lines := log.take()
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0], "calendar sync failed: calendar: calendartest: the calendar cannot be reached; next try in ")
		assert.Equal(t, 1, s.State().Failures)

		// The waits grow: about 30s, then about a minute. The bubble's
		// clock moves only when every goroutine in it waits.
		time.Sleep(calendar.DefaultSyncBackoff * 12 / 10)
		synctest.Wait()
		assert.Equal(t, 2, cal.Calls().Tag)
		assert.Equal(t, 2, s.State().Failures)
		time.Sleep(calendar.DefaultSyncBackoff * 12 / 10)
		synctest.Wait()
		assert.Equal(t, 2, cal.Calls().Tag, "the second wait is longer")

		down.Store(false)
		time.Sleep(calendar.DefaultSyncBackoff)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 5)
		st := s.State()
		assert.Zero(t, st.Failures)
		assert.Empty(t, st.LastError)

		// No retry is left waiting once a sync succeeded.
		cal.ResetCalls()
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.Zero(t, cal.Calls().Requests())
	})
}

func TestSyncerStopsOnRefusedCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cal := calendartest.New()
		cal.OnRequest(func(calendartest.Request) error { return calendartest.Unauthorized() })
		s, log := runSyncer(t, cal, options(t, monday(t)))
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		lines := log.take()
		require.Len(t, lines, 1)
		assert.True(t, strings.HasPrefix(lines[0], "calendar sync stopped: calendartest refused the credentials (HTTP 401)"), lines[0])
		assert.Contains(t, lines[0], "restart")
		assert.True(t, s.State().Stopped)

		cal.ResetCalls()
		s.Observe(roster(week(t)...), false)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		assert.Zero(t, cal.Calls().Requests(), "no more tries")
	})
}

func TestSyncerHoldsEmptyRoster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cal := calendartest.New()
		s, log := runSyncer(t, cal, options(t, monday(t)))
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		log.take()

		empty := roster(week(t)[0])
		s.Observe(empty, false)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 5, "held")
		assert.True(t, s.State().Held)
		lines := log.take()
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0], "calendar sync held")

		// A roster with shifts in between starts the count again.
		s.Observe(roster(week(t)...), false)
		s.Observe(empty, false)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 5, "held")

		// The second read agrees: every event from today on goes.
		s.Observe(empty, false)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 1, "yesterday's is left")
		assert.False(t, s.State().Held)
	})

	synctest.Test(t, func(t *testing.T) {
		cal := calendartest.New()
		s, _ := runSyncer(t, cal, options(t, monday(t)))
		s.Observe(roster(week(t)...), false)
		synctest.Wait()
		// Held by the feed and confirmed: believed at once.
		s.Observe(roster(week(t)[0]), true)
		synctest.Wait()
		assert.Len(t, mine(t, cal, accountA), 1, "only yesterday's is left")
	})
}
