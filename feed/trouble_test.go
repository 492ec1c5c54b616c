package feed

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

// The tests of the review of issue 15's points 4-6: a refusal with a
// login-page message, a stop lowered by a restart, a login accepted
// before a later step failed, and a feed that never reads a roster.

// outboxAlerts are copies of the alerts n has queued and not yet
// delivered.
func outboxAlerts(n *Notifier) []alert {
	n.mu.Lock()
	defer n.mu.Unlock()
	var as []alert
	for _, a := range n.outbox {
		as = append(as, *a)
	}
	return as
}

// A login-page message other than the wrong-password sentence stops the
// refreshes at once with its own reason: the page quotes the message
// (scrubbed), the alert does not, and both tell of --retry-login, since
// after a lock-out the password is usually still right. The stop and the
// message outlive a restart with the same password.
func TestLoginMessageStops(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		const message = "Your account has been locked. Contact the help desk."
		refusal := RefusedByMessage(errors.New("RosterOn refused the login for username '"+testUser+
			"': the login page says '"+message+" "+testPassword+"'"), message+" "+testPassword)
		newFeed := func() *Feed {
			return New(WithStateDir(dir), WithSource(testURL, testUser), WithLoginKey(testPassword), WithSecrets(testPassword))
		}
		f := newFeed()
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		fake := (&script{}).then(snap(time.Now(), "Ward 4B"), nil).then(nil, refusal)
		var log syncbuf.Buffer
		stop := start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute, Jitter: -1, Notify: n, Log: &log})
		after(time.Hour)
		assert.EqualValues(t, 2, fake.calls.Load(), "no login after the refusal")
		st := f.Status()
		assert.Equal(t, StateStopped, st.State)
		assert.Equal(t, StopLoginMessage, st.Stopped)
		assert.Contains(t, st.LoginMessage, message)
		assert.NotContains(t, st.LoginMessage, testPassword, "scrubbed")

		page := problemText(t, Handler(f, testToken))
		assert.Contains(t, page, "RosterOn refused the login with this message on its login page: \u201c"+message)
		assert.Contains(t, page, "--retry-login")
		assert.NotContains(t, page, testPassword)
		assert.Contains(t, log.String(), "because RosterOn refused the login with a message on its login page")
		assert.Contains(t, log.String(), "restart with --retry-login")

		alerts := outboxAlerts(n)
		require.Len(t, alerts, 1)
		assert.Equal(t, "Roster feed stopped: login refused by RosterOn", alerts[0].Title)
		for _, body := range []string{alerts[0].Text, string(alerts[0].JSON)} {
			assert.Contains(t, body, "refused the login with a message")
			assert.Contains(t, body, "read it on the feed's page")
			assert.Contains(t, body, "restart rosteron with --retry-login")
			for _, secret := range []string{"locked.", "help desk", testUser, testPassword, "rosteron.example.org"} {
				assert.NotContains(t, body, secret, "the alert holds no error text")
			}
		}
		stop()

		guard, err := os.ReadFile(filepath.Join(dir, GuardFile))
		require.NoError(t, err)
		assert.NotContains(t, string(guard), testPassword)

		// A restart with the same password: no login, the same reason,
		// the message still quoted, and no second alert.
		again := (&script{}).then(snap(time.Now(), "Ward 4B"), nil)
		f = newFeed()
		_, err = f.Load()
		require.NoError(t, err)
		n = NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		var log2 syncbuf.Buffer
		start(t, &Refresher{Feed: f, Fetch: again.fetch, Interval: time.Minute, Jitter: -1, Notify: n, Log: &log2})
		after(time.Hour)
		assert.Zero(t, again.calls.Load())
		assert.Equal(t, StopLoginMessage, f.Status().Stopped)
		assert.Contains(t, problemText(t, Handler(f, testToken)), "\u201c"+message)
		assert.Contains(t, log2.String(), "not logging in")
		assert.Contains(t, log2.String(), "--retry-login")
		assert.Len(t, outboxAlerts(n), 1, "not again after a restart")
	})
}

// A rejected password's alert and page tell of --retry-login too.
func TestRejectedPasswordTellsOfRetryLogin(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New()
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		fake := (&script{}).then(nil, Permanent(errors.New("RosterOn rejected the login credentials")))
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute, Notify: n})
		after(time.Hour)
		assert.Equal(t, StopRejected, f.Status().Stopped)
		assert.Empty(t, f.Status().LoginMessage)
		alerts := outboxAlerts(n)
		require.Len(t, alerts, 1)
		assert.Contains(t, alerts[0].Text, "RosterOn rejected the password: update it and restart")
		assert.Contains(t, alerts[0].Text, "--retry-login")
		assert.Contains(t, problemText(t, Handler(f, testToken)), "--retry-login")
	})
}

// A stop alerted to, then a restart that is not stopped (a new password,
// as the alert told): the stop counts as dealt with, without an alert,
// so that RosterOn then being down alerts once the roster goes stale. The
// alert that it works again still comes once, after a good refresh.
func TestRestartAfterStopAlertsStale(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		newFeed := func(password string) *Feed {
			f := New(WithStateDir(dir), WithRefreshInterval(time.Hour), WithSource(testURL, testUser),
				WithLoginKey(password), WithSecrets(password))
			_, err := f.Load()
			require.NoError(t, err)
			return f
		}
		run := func(f *Feed, fetch FetchFunc) (*Notifier, func()) {
			n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
			require.NoError(t, n.Load())
			return n, start(t, &Refresher{Feed: f, Fetch: fetch, Interval: time.Hour, Jitter: -1, Notify: n})
		}
		rejected := Permanent(errors.New("rejected"))
		fake := (&script{}).then(snap(time.Now(), "Ward 4B"), nil).then(nil, rejected)
		f := newFeed("old-" + testPassword)
		n, stop := run(f, fake.fetch)
		after(2 * time.Hour)
		require.Equal(t, StateStopped, f.Status().State)
		assert.Equal(t, []string{"Roster feed stopped: password rejected"}, outboxTitles(n))
		stop()

		// A new password, and RosterOn down: nothing at once (a restart
		// mends nothing), then one alert as the roster turns stale.
		down := (&script{}).then(nil, errors.New("net::ERR_CONNECTION_REFUSED"))
		f = newFeed("new-" + testPassword)
		n, stop = run(f, down.fetch)
		synctest.Wait()
		assert.Len(t, outboxTitles(n), 1, "no alert that it works, before a good refresh")
		require.NotNil(t, f.Status().LastSuccess)
		after(6 * time.Hour)
		require.Equal(t, StateStale, f.Status().State)
		assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed out of date"}, outboxTitles(n))
		after(24 * time.Hour)
		assert.Len(t, outboxTitles(n), 2, "one alert")
		stop()

		// A restart still down: no alert again. Then a good refresh: one
		// alert that it works.
		f = newFeed("new-" + testPassword)
		down.then(snap(time.Now(), "Ward 4B"), nil)
		n, _ = run(f, down.fetch)
		synctest.Wait()
		assert.Equal(t, StateOK, f.Status().State)
		assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed out of date", "Roster feed working again"},
			outboxTitles(n))
		after(24 * time.Hour)
		assert.Len(t, outboxTitles(n), 3)
	})
}

// A stop lowered by a restart still owes the alert that the feed works
// again, and a new stop alerts anew.
func TestRestartAfterStopThenStopAgain(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		run := func(password string, retry bool, fetch FetchFunc) *Notifier {
			f := New(WithStateDir(dir), WithSource(testURL, testUser), WithLoginKey(password))
			_, err := f.Load()
			require.NoError(t, err)
			n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
			require.NoError(t, n.Load())
			stop := start(t, &Refresher{Feed: f, Fetch: fetch, Interval: time.Minute, Jitter: -1, Notify: n, RetryLogin: retry})
			after(time.Hour)
			stop()
			return n
		}
		rejected := Permanent(errors.New("rejected"))
		n := run(testPassword, false, (&script{}).then(nil, rejected).fetch)
		assert.Equal(t, []string{"Roster feed stopped: password rejected"}, outboxTitles(n))
		// --retry-login, refused again: a new stop, a new alert.
		n = run(testPassword, true, (&script{}).then(nil, rejected).fetch)
		assert.Equal(t, []string{"Roster feed stopped: password rejected", "Roster feed stopped: password rejected"}, outboxTitles(n))
		// The same password again: still stopped, no alert.
		n = run(testPassword, false, (&script{}).then(nil, rejected).fetch)
		assert.Len(t, outboxTitles(n), 2)
		// A new password that works: one alert that it does.
		n = run("new-"+testPassword, false, (&script{}).then(snap(time.Now(), "Ward 4B"), nil).fetch)
		assert.Equal(t, "Roster feed working again", outboxTitles(n)[2])
		assert.Len(t, outboxTitles(n), 3)

		data, err := os.ReadFile(filepath.Join(dir, NotifyFile))
		require.NoError(t, err)
		var st notifyState
		require.NoError(t, json.Unmarshal(data, &st))
		assert.Empty(t, st.Trouble)
		assert.False(t, st.Unmended)
	})
}

// A login that was accepted, where a later step failed (the roster, the
// logout), resets the count of refused logins in a row, as a success does.
func TestLoggedInResetsRefusals(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		refused := Refused(errors.New("got a proxy's error page"))
		rosterFailed := LoggedIn(errors.New("the roster page could not be read"))
		fake := &script{}
		fake.results = []result{{nil, refused}, {nil, refused}, {nil, rosterFailed}, {nil, refused}, {nil, refused}, {nil, refused}}
		f := New(WithStateDir(dir), WithLoginKey(testPassword))
		var log syncbuf.Buffer
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute, Jitter: -1, Log: &log})
		after(24 * time.Hour)
		assert.EqualValues(t, 6, fake.calls.Load(), "refused, refused, logged in (resets), refused, refused, refused: stop")
		st := f.Status()
		assert.Equal(t, StopRefused, st.Stopped)
		assert.Contains(t, log.String(), "refresh failed after 0s: the roster page could not be read")
		assert.Equal(t, 2, strings.Count(log.String(), "RosterOn refused the login (1 of 3 in a row"),
			"the count started afresh twice: at the start and after the login that was accepted")
	})
}

// RefusedByMessage and LoggedIn, like Refused, change neither the message
// nor what the error matches.
func TestMarkers(t *testing.T) {
	t.Parallel()
	cause := &os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}

	err := RefusedByMessage(cause, "Account locked")
	assert.Equal(t, cause.Error(), err.Error())
	assert.ErrorIs(t, err, ErrLoginMessage)
	assert.ErrorIs(t, err, ErrPermanent, "it stops at once")
	assert.NotErrorIs(t, err, ErrRefused)
	assert.ErrorIs(t, err, os.ErrNotExist)
	var pe *os.PathError
	assert.ErrorAs(t, err, &pe)
	assert.Equal(t, "Account locked", loginMessage(err))
	assert.Empty(t, loginMessage(cause))
	assert.NoError(t, RefusedByMessage(nil, "x"))

	err = LoggedIn(cause)
	assert.Equal(t, cause.Error(), err.Error())
	assert.ErrorIs(t, err, ErrLoggedIn)
	assert.NotErrorIs(t, err, ErrPermanent)
	assert.NotErrorIs(t, err, ErrRefused)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NoError(t, LoggedIn(nil))
}

// A feed that reads no roster from its start (RosterOn down all along)
// stays "starting", which /healthz answers 503; once the roster would
// count as stale, one alert says so, not again after a restart, and one
// more when the first roster comes.
func TestNoRosterAlertsOnceAndMends(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Hour // stale after six hours
		newFeed := func() *Feed {
			f := New(WithStateDir(dir), WithRefreshInterval(interval), WithSource(testURL, testUser))
			_, err := f.Load()
			require.NoError(t, err)
			return f
		}
		down := (&script{}).then(nil, errors.New("RosterOn at "+testURL+" is down"))
		f := newFeed()
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		stop := start(t, &Refresher{Feed: f, Fetch: down.fetch, Interval: interval, Jitter: -1, Notify: n})
		after(6*time.Hour - time.Second)
		code, hl, _ := healthOf(t, Handler(f, testToken))
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, StateStarting, hl.State)
		assert.False(t, f.Status().NoRoster)
		assert.Empty(t, outboxTitles(n), "not yet")

		after(2 * time.Second)
		assert.True(t, f.Status().NoRoster)
		assert.Equal(t, StateStarting, f.Status().State)
		alerts := outboxAlerts(n)
		require.Len(t, alerts, 1, "alerted as the limit passed")
		assert.Equal(t, "Roster feed has no roster yet", alerts[0].Title)
		assert.Contains(t, alerts[0].Text, "has not read the roster once since it started")
		assert.NotContains(t, alerts[0].Text, "down")
		assert.NotContains(t, alerts[0].Text, "rosteron.example.org")
		var js noticeJSON
		require.NoError(t, json.Unmarshal(alerts[0].JSON, &js))
		assert.Equal(t, "no_roster", js.Kind)
		calls := down.calls.Load()
		after(24 * time.Hour)
		assert.Greater(t, down.calls.Load(), calls+5)
		assert.Len(t, outboxTitles(n), 1, "one alert, not one per refresh")
		stop()

		// A restart, still down, past the limit again: no alert again.
		f = newFeed()
		n = NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		r := &Refresher{Feed: f, Fetch: down.fetch, Interval: interval, Jitter: -1, Notify: n}
		start(t, r)
		after(7 * time.Hour)
		assert.True(t, f.Status().NoRoster)
		assert.Len(t, outboxTitles(n), 1, "not again after a restart")

		// The first roster: one alert that it works.
		down.then(snap(time.Now(), "Ward 4B"), nil)
		after(interval)
		assert.Equal(t, StateOK, f.Status().State)
		assert.Equal(t, []string{"Roster feed has no roster yet", "Roster feed working again"}, outboxTitles(n))
		after(3 * interval)
		assert.Len(t, outboxTitles(n), 2)
	})
}
