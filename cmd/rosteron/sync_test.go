package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// syncWith runs sync with env as the whole environment, writing into the
// calendar open returns in place of the one the flags name.
func syncWith(t *testing.T, env map[string]string, open func(context.Context) (calendar.Calendar, error), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] }, openCalendar: open}
	require.Equal(t, "sync", args[0])
	code := c.fail(ctx, c.sync(ctx, args[1:]))
	return result{code, stdout.String(), stderr.String()}
}

func openThis(cal calendar.Calendar) func(context.Context) (calendar.Calendar, error) {
	return func(context.Context) (calendar.Calendar, error) { return cal, nil }
}

// futureRoster is a roster of shifts from the day after tomorrow on, so
// that no test depends on the hour it runs at: three work shifts and a
// day of leave.
func futureRoster(now time.Time) []snapshot.Item {
	day := snapshot.DateOf(now).AddDays(2)
	shift := func(d snapshot.Date, times, name string) snapshot.Item {
		return snapshot.Item{Date: d, Title: "Ward 4B - Royal Melbourne",
			Detail: []snapshot.Field{snapshot.Text(times), snapshot.Empty, snapshot.Text(name), snapshot.Text("RN")}}
	}
	return []snapshot.Item{
		shift(day, "07:00 - 15:30", "Early"),
		shift(day.AddDays(1), "13:00 - 21:30", "Late"),
		shift(day.AddDays(3), "21:00 - 07:30", "Night"),
		shift(day.AddDays(5), "", "Annual Leave"),
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestSyncUsageErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ROSTERON_URL": "https://rosteron.example.com/RosterOnProd/Mobile", "ROSTERON_USERNAME": "joe",
		"ROSTERON_PASSWORD": "s3cret-Pa55"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{cmd("sync"), "no calendar to write into"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--google-client", "client.json"), "name two calendars"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--format", "ics"), "unknown flag --format"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--output", "x.ics"), "unknown flag --output"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "extra"), "sync takes no arguments"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--tz", "Mars/Olympus"), "invalid --tz"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--remind", "-1h"), "invalid --remind"},
		{cmd("sync", "--caldav", "https://dav.example.org/", "--quiet", "--verbose"), "--quiet and --verbose"},
	} {
		r := runWith(t, env, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.Contains(t, r.stderr, "(see 'rosteron sync --help')", tc.args)
		assert.NotContains(t, r.stderr, "s3cret-Pa55")
		assertOneErrorLine(t, r)
	}
	r := runWith(t, nil, "", "sync", "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, syncUsage, r.stdout)
}

func TestSyncExitCodes(t *testing.T) {
	t.Parallel()
	bg := context.Background()
	assert.Equal(t, exitCalendarAuth, exitCode(bg, &calendar.AuthError{Service: "CalDAV", Status: 401}))
	assert.Equal(t, exitCalendarAuth, exitCode(bg, fmt.Errorf("opening: %w", &calendar.AuthError{Service: "Google Calendar"})))
	assert.Equal(t, exitCalendar, exitCode(bg, calendar.ErrConflict))
	assert.Equal(t, exitCalendar, exitCode(bg, calendartest.ErrDown))
	assert.Equal(t, exitCalendar, exitCode(bg, calendarErr(bg, "CalDAV x", fmt.Errorf("listing: %w", context.DeadlineExceeded))),
		"a calendar's timeout is not RosterOn's")
	assert.Equal(t, exitError, exitCode(bg, calendar.ErrEmptyRoster))
}

func TestSyncAccountMatchesServe(t *testing.T) {
	t.Parallel()
	a, err := syncAccount("https://RosterOn.example.com/RosterOnProd/Mobile/", "Joe.Bloggs")
	require.NoError(t, err)
	b, err := syncAccount("https://rosteron.example.com/RosterOnProd/Mobile/Account/Login", "joe.bloggs")
	require.NoError(t, err)
	assert.Equal(t, "joe.bloggs@rosteron.example.com/rosteronprod/mobile", a)
	assert.Equal(t, a, b)
}

// TestSyncCommand runs sync against the mock RosterOn in Chrome, into a
// calendar in memory: the first sync creates, the second writes nothing,
// --dry-run writes nothing, a moved shift is one update, an empty roster
// is read twice before its events go.
func TestSyncCommand(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, futureRoster(time.Now())))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword})
	cal := calendartest.New(calendartest.WithName("Roster"))
	args := cmd("sync", "--caldav", "https://dav.example.org/", "--tz", "Australia/Melbourne", "--timeout", "30s", "--remind", "1h")

	r := syncWith(t, env, openThis(cal), args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	out := lines(r.stdout)
	require.Len(t, out, 4, r.stdout)
	assert.Regexp(t, `^create \d{4}-\d\d-\d\d \w{3} 07:00–15:30 Early: new shift$`, out[0])
	assert.Regexp(t, `^create \d{4}-\d\d-\d\d \w{3} all day Annual Leave: new shift$`, out[3])
	assert.Contains(t, r.stderr, "rosteron sync: writing into calendartest: Roster\n")
	assert.Contains(t, r.stderr, "rosteron sync: calendartest: Roster: 4 created, 0 updated, 0 deleted, 0 unchanged\n")
	assert.Equal(t, 4, cal.Calls().Create)
	for _, e := range cal.Events() {
		if e.Kind == snapshot.KindLeave {
			assert.Empty(t, e.Alarms)
		} else {
			assert.Equal(t, []time.Duration{time.Hour}, e.Alarms)
		}
	}
	assert.Zero(t, mock.Sessions(), "logged out")

	cal.ResetCalls()
	r = syncWith(t, env, openThis(cal), args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "0 created, 0 updated, 0 deleted, 4 unchanged")
	assert.Zero(t, cal.Calls().Writes())

	// The Late shift moves an hour: --dry-run says so and writes nothing.
	late := futureRoster(time.Now())[1]
	require.NoError(t, mock.ChangeRoster(mockserver.DemoUsername, mockserver.RosterChange{Op: mockserver.OpMove, Date: late.Date, Times: "14:00 - 22:30"}))
	before := cal.Events()
	r = syncWith(t, env, openThis(cal), append(args, "--dry-run")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{fmt.Sprintf("update %s %s 14:00–22:30 Late: changed on the roster", late.Date, late.Date.Weekday().String()[:3])}, lines(r.stdout))
	assert.Contains(t, r.stderr, "0 to be created, 1 to be updated, 0 to be deleted, 3 unchanged, nothing written (dry run)")
	assert.Equal(t, before, cal.Events())
	assert.Zero(t, cal.Calls().Writes())

	r = syncWith(t, env, openThis(cal), append(args, "--quiet")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 1)
	assert.Empty(t, r.stderr, "--quiet")
	assert.Equal(t, 1, cal.Calls().Update)

	// Every shift gone: read twice, then the events go.
	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, nil))
	logins := mock.Logins()
	cal.ResetCalls()
	r = syncWith(t, env, openThis(cal), args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, logins+2, mock.Logins(), "the roster read twice")
	assert.Contains(t, r.stderr, "reading the roster again before deleting them")
	assert.Len(t, lines(r.stdout), 4)
	assert.Equal(t, 4, cal.Calls().Delete)
	assert.Empty(t, cal.Events())
}

// A calendar that refuses the credentials is found out before RosterOn is
// logged in to, with an exit status of its own; one that fails otherwise
// has another.
func TestSyncCalendarFailures(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, futureRoster(time.Now())))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword})
	args := cmd("sync", "--caldav", "https://dav.example.org/", "--tz", "Australia/Melbourne", "--timeout", "30s")

	refused := func(context.Context) (calendar.Calendar, error) {
		return nil, &calendar.AuthError{Service: "CalDAV", Status: 401, Reason: "check --caldav-username and the password file"}
	}
	r := syncWith(t, env, refused, args...)
	assert.Equal(t, exitCalendarAuth, r.code, r.stderr)
	assert.Equal(t, "rosteron: CalDAV refused the credentials (HTTP 401): check --caldav-username and the password file\n", r.stderr)
	assert.Empty(t, r.stdout)
	assert.Zero(t, mock.Logins(), "RosterOn not logged in to")

	cal := calendartest.New()
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpList {
			return calendartest.ErrDown
		}
		return nil
	})
	r = syncWith(t, env, openThis(cal), args...)
	assert.Equal(t, exitCalendar, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rosteron: calendar: calendartest: the calendar cannot be reached\n")
	assert.Equal(t, 1, mock.Logins())

	// Writes that fail after some succeeded: the ones done are printed.
	cal = calendartest.New()
	n := 0
	cal.OnRequest(func(r calendartest.Request) error {
		if r.Op == calendartest.OpCreate {
			if n++; n > 2 {
				return errors.New("507 insufficient storage")
			}
		}
		return nil
	})
	r = syncWith(t, env, openThis(cal), args...)
	assert.Equal(t, exitCalendar, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 2)
	assert.Contains(t, r.stderr, "2 of 4 changes to the calendar failed")
	assert.Contains(t, r.stderr, "507 insufficient storage")
}

// serveWith runs serve in this process, writing into the calendar open
// returns; stop ends it as SIGTERM does and returns its exit status.
func serveWith(t *testing.T, env map[string]string, open func(context.Context) (calendar.Calendar, error), args ...string) (stderr *syncbuf.Buffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	stderr = new(syncbuf.Buffer)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		getenv: func(k string) string { return env[k] }, openCalendar: open}
	done := make(chan int, 1)
	go func() { done <- c.fail(ctx, c.serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...))) }()
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel(&signalError{syscall.SIGTERM})
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("serve did not stop; stderr:\n%s", stderr.String())
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return stderr, stop
}

// serve with a calendar writes each roster it reads into it, and says so.
func TestServeSyncs(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, futureRoster(time.Now())))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	env := chromeEnv(map[string]string{"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword, "ROSTERON_FEED_TOKEN": goodToken})
	cal := calendartest.New(calendartest.WithName("Roster"))
	stderr, stop := serveWith(t, env, openThis(cal), "--state", t.TempDir(), "--caldav", "https://dav.example.org/",
		"--tz", "Australia/Melbourne", "--timeout", "30s", "--refresh", "1h", "--remind", "30m")
	done := make(chan int)
	out := awaitOutput(t, stderr, done, time.Minute, "the calendar sync", func(s string) bool {
		return strings.Contains(s, "calendar sync ok")
	})
	assert.Regexp(t, `(?m)^rosteron serve: \S+ calendar sync: each roster read goes into calendartest: Roster$`, out)
	assert.Regexp(t, `(?m)^rosteron serve: \S+ calendar: create \S+ \w{3} 07:00–15:30 Early: new shift$`, out)
	assert.Regexp(t, `(?m)^rosteron serve: \S+ calendar sync ok: calendartest: Roster: 4 created, 0 updated, 0 deleted, 0 unchanged$`, out)
	assert.Len(t, cal.Events(), 4)
	assert.Equal(t, []time.Duration{30 * time.Minute}, cal.Events()[0].Alarms)
	assert.Equal(t, exitOK, stop())
	assert.NotContains(t, stderr.String(), mockserver.DemoPassword)
}

// A calendar that refuses the credentials at the start is not synced,
// and the feed goes on; one that cannot be reached is tried again.
func TestServeSyncFailures(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	args := []string{"--url", goodURL, "--username", "joe", "--browser", "ws://127.0.0.1:1", "--refresh", "1h",
		"--caldav", "https://dav.example.org/", "--tz", "Australia/Melbourne"}
	tries := 0
	refused := func(context.Context) (calendar.Calendar, error) {
		tries++
		return nil, &calendar.AuthError{Service: "CalDAV", Status: 401}
	}
	stderr, stop := serveWith(t, env, refused, append(args, "--state", t.TempDir())...)
	done := make(chan int)
	out := awaitOutput(t, stderr, done, 30*time.Second, "the refresh", func(s string) bool {
		return strings.Contains(s, "refresh failed")
	})
	assert.Regexp(t, `(?m)^rosteron serve: \S+ calendar sync stopped: CalDAV refused the credentials \(HTTP 401\)\. `+
		`No syncs until restarted, .*the feed goes on\)$`, out)
	assert.Equal(t, exitOK, stop())
	assert.Equal(t, 1, tries, "tried once")

	var mu sync.Mutex
	tries = 0
	down := func(context.Context) (calendar.Calendar, error) {
		mu.Lock()
		defer mu.Unlock()
		tries++
		return nil, calendartest.ErrDown
	}
	stderr, stop = serveWith(t, env, down, append(args, "--state", t.TempDir())...)
	out = awaitOutput(t, stderr, done, 30*time.Second, "the refresh", func(s string) bool {
		return strings.Contains(s, "refresh failed")
	})
	assert.Contains(t, out, "rosteron: warning: the calendar could not be opened: calendar: calendartest: the calendar cannot be reached; "+
		"trying again at the first sync (the feed goes on)\n")
	assert.Equal(t, exitOK, stop())
}
