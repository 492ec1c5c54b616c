package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/calendartest"
	"github.com/rosteron/rosteron/calendar/google/googletest"
	"github.com/rosteron/rosteron/internal/radicaletest"
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

// mockRosterOn serves items as the demo user's roster from a mock
// RosterOn on loopback, for the rest of the test, and returns it with the
// environment that points the CLI at it and at the test's Chrome, extra
// added.
func mockRosterOn(t *testing.T, items []snapshot.Item, extra map[string]string) (*mockserver.Server, map[string]string) {
	t.Helper()
	mock := mockserver.New()
	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, items))
	ts := httptest.NewServer(mock)
	t.Cleanup(ts.Close)
	env := map[string]string{"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword}
	maps.Copy(env, extra)
	return mock, chromeEnv(env)
}

// TestSyncCommand runs sync against the mock RosterOn in Chrome, into a
// calendar in memory: the first sync creates, the second writes nothing,
// --dry-run writes nothing, a moved shift is one update, an empty roster
// is read twice before its events go.
func TestSyncCommand(t *testing.T) {
	needChrome(t)
	mock, env := mockRosterOn(t, futureRoster(time.Now()), nil)
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
	mock, env := mockRosterOn(t, futureRoster(time.Now()), nil)
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
	_, env := mockRosterOn(t, futureRoster(time.Now()), map[string]string{"ROSTERON_FEED_TOKEN": goodToken})
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

// TestSyncRadicale runs sync as a person would, against the mock RosterOn
// in Chrome and a real CalDAV server, Radicale, counting the writes in its
// log: the first sync creates, the second writes nothing, --dry-run
// writes nothing, a moved shift is one update with its UID and a higher
// SEQUENCE, a removed one one delete, an edit made on the server is put
// back and said, the person's own event is never touched, and a wrong
// CalDAV password is exit status 7, naming CalDAV, before any login to
// RosterOn.
func TestSyncRadicale(t *testing.T) {
	needChrome(t)
	const pw = "caldav-Pa55-wörd"
	srv := radicaletest.Start(t, map[string]string{"joe": pw})
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "caldav-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(pw+"\n"), 0o600))
	wrongFile := filepath.Join(dir, "wrong-password")
	require.NoError(t, os.WriteFile(wrongFile, []byte("not-"+pw+"\n"), 0o600))

	items := futureRoster(time.Now())
	mock, env := mockRosterOn(t, items, nil)
	args := cmd("sync", "--caldav", srv.URL, "--caldav-username", "joe", "--caldav-password-file", pwFile,
		"--tz", "Australia/Melbourne", "--timeout", "30s", "--remind", "1h")
	sync := func(extra ...string) result {
		t.Helper()
		r := runWith(t, env, "", append(args, extra...)...)
		assert.NotContains(t, r.stdout+r.stderr, pw)
		return r
	}

	// A wrong password first: nothing else happens.
	r := runWith(t, env, "", "sync", "--caldav", srv.URL, "--caldav-username", "joe", "--caldav-password-file", wrongFile,
		"--tz", "Australia/Melbourne")
	assert.Equal(t, exitCalendarAuth, r.code, r.stderr)
	assert.Contains(t, r.stderr, "CalDAV refused the credentials")
	assertOneErrorLine(t, r)
	assert.NotContains(t, r.stderr, "not-"+pw)
	assert.Zero(t, mock.Logins(), "RosterOn not logged in to")

	// A dry run before the calendar exists: the plan for an empty one,
	// and no calendar made, no write at all.
	before := srv.Writes()
	r = sync("--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 4, r.stdout)
	for _, l := range lines(r.stdout) {
		assert.True(t, strings.HasPrefix(l, "create "), l)
	}
	assert.Contains(t, r.stderr, "no calendar named")
	assert.Equal(t, before, srv.Writes(), "a dry run writes nothing")
	assert.Empty(t, srv.Collections("joe"), "nor makes the calendar")

	r = sync()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 4, r.stdout)
	var path string
	for p, name := range srv.Collections("joe") {
		if name == syncCalendarName {
			path = p
		}
	}
	require.NotEmpty(t, path, "the calendar made, named %q", syncCalendarName)
	objects := srv.Objects(path)
	require.Len(t, objects, 4)
	own := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:dentist@example.com\r\n" +
		"DTSTAMP:20261201T000000Z\r\nDTSTART:" + items[1].Date.Time(time.UTC).Format("20060102") + "T010000Z\r\n" +
		"DTEND:" + items[1].Date.Time(time.UTC).Format("20060102") + "T020000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	ownETag := srv.Put("joe", path+"dentist.ics", own)
	writes := srv.Writes()

	r = sync()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "0 created, 0 updated, 0 deleted, 4 unchanged")
	assert.Equal(t, writes, srv.Writes(), "the second sync writes nothing")

	// The Late shift moves: --dry-run says so, writes nothing; the sync
	// updates its event in place.
	late := items[1]
	require.NoError(t, mock.ChangeRoster(mockserver.DemoUsername, mockserver.RosterChange{Op: mockserver.OpMove, Date: late.Date, Times: "14:00 - 22:30"}))
	r = sync("--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 1)
	assert.Equal(t, writes, srv.Writes(), "--dry-run writes nothing")
	var lateName, lateUID string
	for name, ics := range objects {
		if strings.Contains(ics, "SUMMARY:Late") {
			lateName, lateUID = name, icsProp(ics, "UID")
		}
	}
	require.NotEmpty(t, lateName)
	r = sync()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^update \S+ \w{3} 14:00–22:30 Late: changed on the roster\n$`, r.stdout)
	assert.Equal(t, writes+1, srv.Writes(), "one update")
	ics, _ := srv.Get("joe", path+lateName)
	assert.Equal(t, lateUID, icsProp(ics, "UID"), "the same UID")
	assert.Equal(t, "1", icsProp(ics, "SEQUENCE"), "SEQUENCE up")

	// Edited on the server: put back, and said.
	edited := strings.Replace(ics, "SUMMARY:Late", "SUMMARY:Late (swapped?)", 1)
	require.NotEqual(t, ics, edited)
	srv.Put("joe", path+lateName, edited)
	writes = srv.Writes()
	r = sync()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^update \S+ \w{3} 14:00–22:30 Late: edited in the calendar: restored from the roster\n$`, r.stdout)
	ics, _ = srv.Get("joe", path+lateName)
	assert.Equal(t, "Late", icsProp(ics, "SUMMARY"))
	assert.Equal(t, "2", icsProp(ics, "SEQUENCE"), "a revision more")
	assert.Equal(t, writes+1, srv.Writes(), "one update puts it back")

	// The Night goes: one delete.
	require.NoError(t, mock.ChangeRoster(mockserver.DemoUsername, mockserver.RosterChange{Op: mockserver.OpRemove, Date: items[2].Date}))
	deletes := srv.Count("DELETE")
	r = sync()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^delete \S+ \w{3} 21:00–07:30 \(\+1\) Night: shift gone from the roster\n$`, r.stdout)
	assert.Equal(t, deletes+1, srv.Count("DELETE"))
	assert.Len(t, srv.Objects(path), 4, "three shifts and the person's own event")

	// The person's own event was never touched.
	got, etag := srv.Get("joe", path+"dentist.ics")
	assert.Equal(t, ownETag, etag)
	assert.Contains(t, got, "SUMMARY:Dentist")
}

// icsProp is the value of the first line of ics that sets prop, unfolded
// enough for short values.
func icsProp(ics, prop string) string {
	for _, l := range strings.Split(ics, "\r\n") {
		name, value, ok := strings.Cut(l, ":")
		if ok && strings.SplitN(name, ";", 2)[0] == prop {
			return value
		}
	}
	return ""
}

// TestSyncGoogleFake runs sync into the fake of Google Calendar's API:
// Google keeps a deleted event as cancelled, so a shift that comes back
// restores its event rather than making another.
func TestSyncGoogleFake(t *testing.T) {
	needChrome(t)
	fake := googletest.New(t)
	client, token := googleFiles(t, fake)
	items := futureRoster(time.Now())
	mock, env := mockRosterOn(t, items, map[string]string{googleAPIEnv: fake.Endpoint()})
	args := cmd("sync", "--google-client", client, "--google-token", token, "--tz", "Australia/Melbourne", "--timeout", "30s")

	r := runWith(t, env, "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 4)
	assert.Contains(t, r.stderr, "rosteron sync: Google Calendar: Roster: 4 created")
	id := fake.CalendarID(syncCalendarName)
	require.NotEmpty(t, id)
	writes := fake.Writes()

	r = runWith(t, env, "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Equal(t, writes, fake.Writes(), "the second sync writes nothing")

	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, append(items[:1:1], items[2:]...)))
	r = runWith(t, env, "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^delete \S+ \w{3} 13:00–21:30 Late: shift gone from the roster\n$`, r.stdout)

	require.NoError(t, mock.SetRoster(mockserver.DemoUsername, items))
	r = runWith(t, env, "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^update \S+ \w{3} 13:00–21:30 Late: shift back on the roster: the cancelled event restored\n$`, r.stdout)
	assert.Len(t, fake.Events(id), 4, "restored, not made again")

	// Without a zone Google cannot be written to.
	r = runWith(t, env, "", "sync", "--google-client", client, "--google-token", token)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--tz")
}

// Radicale down: serve's sync fails and is tried again, at the latest at
// the next refresh, and the feed is served all along.
func TestServeSyncRadicaleDown(t *testing.T) {
	needChrome(t)
	const pw = "caldav-Pa55"
	srv := radicaletest.Start(t, map[string]string{"joe": pw})
	pwFile := filepath.Join(t.TempDir(), "caldav-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(pw+"\n"), 0o600))
	mock, env := mockRosterOn(t, futureRoster(time.Now()), map[string]string{"ROSTERON_FEED_TOKEN": goodToken})
	s := startServe(t, env, "--state", t.TempDir(), "--tz", "Australia/Melbourne", "--timeout", "30s", "--refresh", "2s",
		"--caldav", srv.URL, "--caldav-username", "joe", "--caldav-password-file", pwFile)
	awaitOutput(t, s.stderr, make(chan int), time.Minute, "the first sync", func(out string) bool {
		return strings.Contains(out, "calendar sync ok")
	})

	srv.Stop()
	require.NoError(t, mock.ChangeRoster(mockserver.DemoUsername, mockserver.RosterChange{Op: mockserver.OpRemove, Date: futureRoster(time.Now())[2].Date}))
	awaitOutput(t, s.stderr, make(chan int), time.Minute, "a failed sync", func(out string) bool {
		return strings.Contains(out, "calendar sync failed")
	})
	assert.True(t, health(t, s).OK, "the feed goes on")
	resp, body := httpGet(t, s.ics)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 3, strings.Count(body, "BEGIN:VEVENT"), "the feed has the change")

	srv.Restart()
	out := awaitOutput(t, s.stderr, make(chan int), time.Minute, "the sync after", func(out string) bool {
		_, after, _ := strings.Cut(out, "calendar sync failed")
		return strings.Contains(after, "calendar sync ok")
	})
	assert.Regexp(t, `(?m)^rosteron serve: \S+ calendar: delete \S+ \w{3} 21:00–07:30 \(\+1\) Night: shift gone from the roster$`, out)
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), pw)
}

// With neither --tz nor $TZ, in a process whose zone is UTC, the events
// have the roster's clock times, floating, never the machine's zone.
func TestSyncWithoutZone(t *testing.T) {
	needChrome(t)
	_, env := mockRosterOn(t, futureRoster(time.Now()), nil)
	cal := calendartest.New()
	r := syncWith(t, env, openThis(cal), "sync", "--caldav", "https://dav.example.org/", "--timeout", "30s")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Len(t, cal.Events(), 4)
	for _, e := range cal.Events() {
		if !e.AllDay() {
			assert.True(t, snapshot.IsFloating(e.Start), "%v", e.Start)
		}
	}
	early := cal.Events()[0]
	assert.Equal(t, "07:00", early.Start.Format("15:04"))
}
