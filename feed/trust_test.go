package feed

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/snapshot"
)

// The tests of issue 15's "Trust" in the feed: failures seen by /healthz
// and by alerts, the lock-out guard, and the empty roster held.

const (
	testUser = "joe.bloggs"
	testURL  = "https://rosteron.example.org/RosterOnProd/Mobile"
)

// script is a FetchFunc that returns its results in turn, the last one
// ever after.
type script struct {
	mu      sync.Mutex
	results []result
	calls   atomic.Int32
}

type result struct {
	snap *snapshot.Snapshot
	err  error
}

func (s *script) then(snap *snapshot.Snapshot, err error) *script {
	s.mu.Lock()
	s.results = append(s.results, result{snap, err})
	s.mu.Unlock()
	return s
}

func (s *script) fetch(context.Context) (*snapshot.Snapshot, error) {
	n := int(s.calls.Add(1))
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.results[min(n, len(s.results))-1]
	return r.snap, r.err
}

// outboxTitles are the titles of the alerts n has queued and not yet
// delivered.
func outboxTitles(n *Notifier) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var titles []string
	for _, a := range n.outbox {
		titles = append(titles, a.Title)
	}
	return titles
}

func healthOf(t *testing.T, h http.Handler) (int, Health, string) {
	t.Helper()
	rec := get(h, "GET", "/healthz")
	var hl Health
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &hl), rec.Body.String())
	return rec.Code, hl, rec.Body.String()
}

// A roster not refreshed for three intervals, and at least six hours,
// is stale: /healthz answers 503, and one alert goes out, not one per
// refresh and not again after a restart; one more when a refresh mends it.
func TestStaleByAge(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		const interval = 3 * time.Hour // stale after 9h: three intervals are more than six hours
		newFeed := func() *Feed {
			return New(WithStateDir(dir), WithRefreshInterval(interval), WithSource(testURL, testUser), WithSecrets(testPassword))
		}
		f := newFeed()
		h := Handler(f, testToken)
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		fake := (&script{}).then(snap(time.Now(), "Ward 4B"), nil).
			then(nil, errors.New("RosterOn at "+testURL+" is down for "+testUser))
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: interval, Jitter: -1, Notify: n, Log: &log}
		stop := start(t, r)
		synctest.Wait()
		code, hl, _ := healthOf(t, h)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, StateOK, hl.State)

		after(9*time.Hour - time.Second)
		code, hl, body := healthOf(t, h)
		assert.Equal(t, http.StatusOK, code, "failing, but not yet stale: %s", body)
		assert.Equal(t, StateOK, hl.State)
		assert.Greater(t, hl.Failures, 3)
		assert.Empty(t, outboxTitles(n), "no alert for failures that are not yet stale")

		after(2 * time.Second)
		code, hl, body = healthOf(t, h)
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, StateStale, hl.State)
		assert.False(t, hl.OK)
		for _, secret := range []string{testUser, "rosteron.example.org", "down", testPassword} {
			assert.NotContains(t, body, secret)
		}
		assert.Equal(t, []string{"Roster feed out of date"}, outboxTitles(n), "alerted as it turned stale")
		calls := fake.calls.Load()
		after(24 * time.Hour)
		assert.Greater(t, fake.calls.Load(), calls+5)
		assert.Len(t, outboxTitles(n), 1, "one alert, not one per refresh")
		stop()

		// A restart, still failing: no alert again.
		f = newFeed()
		_, err := f.Load()
		require.NoError(t, err)
		n = NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		assert.Len(t, outboxTitles(n), 1, "the first, still undelivered")
		fake.then(nil, errors.New("still down"))
		r = &Refresher{Feed: f, Fetch: fake.fetch, Interval: interval, Jitter: -1, Notify: n}
		start(t, r)
		synctest.Wait()
		code, hl, _ = healthOf(t, Handler(f, testToken))
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, StateStale, hl.State)
		assert.Len(t, outboxTitles(n), 1, "not again after a restart")

		// A good refresh mends it, and says so once.
		fake.then(snap(time.Now(), "Ward 4B"), nil)
		after(interval)
		code, hl, _ = healthOf(t, Handler(f, testToken))
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, StateOK, hl.State)
		assert.Equal(t, []string{"Roster feed out of date", "Roster feed working again"}, outboxTitles(n))
		after(3 * interval)
		assert.Len(t, outboxTitles(n), 2)
	})
}

// RosterOn rejects the password: refreshes stop, /healthz answers 503
// without a word of the error, one alert says what to do. A restart with
// the same password makes no login and no second alert; one with a new
// password that works sends one more, that it works again.
func TestRejectedPasswordAlertsOnceAndMends(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	rcv := newReceiver(t)
	log := new(syncbuf.Buffer)
	run := func(password string, fetch FetchFunc) (*Feed, *Notifier, func()) {
		f, _ := newTestFeed(t, WithStateDir(dir), WithSource(testURL, testUser), WithLoginKey(password), WithSecrets(password))
		f.now = time.Now
		_, err := f.Load()
		require.NoError(t, err)
		n := NewNotifier(f, target(t, rcv.URL+"/topic"))
		n.Log = log
		require.NoError(t, n.Load())
		stopN := runNotifier(t, n)
		stopR := start(t, &Refresher{Feed: f, Fetch: fetch, Interval: 5 * time.Millisecond, Jitter: -1, Log: log, Notify: n})
		return f, n, func() { stopR(); stopN() }
	}
	rejected := Permanent(errors.New("RosterOn at " + testURL + " rejected the login credentials for username '" + testUser + "'"))

	fake := (&script{}).then(snap(time.Now(), "Ward 4B"), nil).then(nil, rejected)
	f, _, stop := run("old-"+testPassword, fake.fetch)
	require.Eventually(t, func() bool { return !f.Status().Refreshing }, 10*time.Second, time.Millisecond)
	code, hl, body := healthOf(t, Handler(f, testToken))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, StateStopped, hl.State)
	assert.False(t, hl.Refreshing)
	for _, secret := range []string{testUser, "rosteron.example.org", "rejected", testPassword} {
		assert.NotContains(t, body, secret, "/healthz without the token")
	}
	assert.Contains(t, problemText(t, Handler(f, testToken)), "rejected the login credentials", "the page has the detail")
	rcv.waitDelivered(t, 1)
	got := rcv.deliveries()
	assert.Equal(t, "Roster feed stopped: password rejected", got[0].header.Get("Title"))
	assert.Contains(t, got[0].body, "RosterOn rejected the password: update it and restart")
	assert.NotContains(t, got[0].body, testUser)
	assert.EqualValues(t, 2, fake.calls.Load())
	stop()

	guard, err := os.ReadFile(filepath.Join(dir, GuardFile))
	require.NoError(t, err)
	assert.NotContains(t, string(guard), testPassword)
	fi, err := os.Stat(filepath.Join(dir, GuardFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The same password again: no login, no alert, 503.
	log = new(syncbuf.Buffer)
	again := (&script{}).then(nil, rejected)
	f, n, stop := run("old-"+testPassword, again.fetch)
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "not logging in") }, 10*time.Second, time.Millisecond)
	code, _, _ = healthOf(t, Handler(f, testToken))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, log.String(), "restart with a new password, or with --retry-login")
	stop() // Run has returned: whatever it queued is queued
	assert.Zero(t, again.calls.Load(), "no login with a password already rejected")
	assert.Empty(t, outboxTitles(n), "no second alert")
	assert.Len(t, rcv.deliveries(), 1)

	// A new password that works: refreshes again, and one alert says so.
	ok := (&script{}).then(snap(time.Now(), "Ward 4B"), nil)
	f, _, stop = run("new-"+testPassword, ok.fetch)
	rcv.waitDelivered(t, 2)
	got = rcv.deliveries()
	assert.Equal(t, "Roster feed working again", got[1].header.Get("Title"))
	code, hl, _ = healthOf(t, Handler(f, testToken))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, StateOK, hl.State)
	require.Eventually(t, func() bool { return ok.calls.Load() >= 5 }, 10*time.Second, time.Millisecond)
	stop()
	assert.Len(t, rcv.deliveries(), 2, "one alert when it stops, one when it mends")
	assert.NotContains(t, log.String(), testPassword)
}

// Three refused logins in a row stop the refreshes; an outage between two
// refusals neither counts nor resets the count; a success resets it. The
// stop outlives a restart with the same password, not one with a new
// password, and RetryLogin clears it for one more try.
func TestRefusedLoginsStop(t *testing.T) {
	t.Parallel()
	refused := Refused(errors.New("RosterOn showed: Your account is locked"))
	outage := errors.New("net::ERR_CONNECTION_REFUSED")
	ok := snap(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "Ward 4B")

	t.Run("three in a row", func(t *testing.T) {
		t.Parallel()
		dir := stateDir(t)
		synctest.Test(t, func(t *testing.T) {
			newFeed := func(password string) *Feed {
				return New(WithStateDir(dir), WithLoginKey(password), WithSecrets(password))
			}
			fake := &script{}
			fake.results = []result{{nil, refused}, {nil, refused}, {ok, nil}, {nil, refused}, {nil, outage}, {nil, refused}, {nil, refused}, {ok, nil}}
			f := newFeed(testPassword)
			var log syncbuf.Buffer
			start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute, Jitter: -1, Log: &log})
			after(24 * time.Hour)
			st := f.Status()
			assert.EqualValues(t, 7, fake.calls.Load(), "refused, refused, ok (resets), refused, outage, refused, refused: stop")
			assert.False(t, st.Refreshing)
			assert.Equal(t, StopRefused, st.Stopped)
			assert.Equal(t, StateStopped, st.State)
			assert.Contains(t, log.String(), "RosterOn refused the login (2 of 3 in a row before refreshes stop)")
			assert.Contains(t, log.String(), "no more refreshes until restarted, because RosterOn refused 3 logins in a row")

			// A restart with the same password: no login.
			again := (&script{}).then(ok, nil)
			f = newFeed(testPassword)
			var log2 syncbuf.Buffer
			start(t, &Refresher{Feed: f, Fetch: again.fetch, Interval: time.Minute, Jitter: -1, Log: &log2})
			after(time.Hour)
			assert.Zero(t, again.calls.Load())
			assert.Equal(t, StopRefused, f.Status().Stopped)
			assert.Contains(t, f.Status().LastError, "Your account is locked")
			page := problemText(t, Handler(f, testToken))
			assert.Contains(t, page, "RosterOn refused 3 logins in a row", "the page says why")
			assert.Contains(t, page, "--retry-login")
			assert.Contains(t, page, "Your account is locked")
			assert.Contains(t, log2.String(), "not logging in: refreshes stopped at ")

			// RetryLogin: one more try, refused again, stopped again.
			retried := (&script{}).then(nil, refused)
			f = newFeed(testPassword)
			start(t, &Refresher{Feed: f, Fetch: retried.fetch, Interval: time.Minute, Jitter: -1, RetryLogin: true})
			after(time.Hour)
			assert.EqualValues(t, 1, retried.calls.Load(), "one more login, not three")
			assert.False(t, f.Status().Refreshing)

			// RetryLogin with a login that works: refreshes go on, and
			// the count starts afresh.
			mended := (&script{}).then(ok, nil)
			f = newFeed(testPassword)
			start(t, &Refresher{Feed: f, Fetch: mended.fetch, Interval: time.Minute, Jitter: -1, RetryLogin: true})
			after(time.Hour)
			assert.Greater(t, mended.calls.Load(), int32(30))
			assert.True(t, f.Status().Refreshing)

			// A new password starts afresh, whatever the file said.
			fake2 := (&script{}).then(nil, refused).then(nil, refused).then(ok, nil)
			f = newFeed("new-" + testPassword)
			start(t, &Refresher{Feed: f, Fetch: fake2.fetch, Interval: time.Minute, Jitter: -1})
			after(time.Hour)
			assert.True(t, f.Status().Refreshing)
			assert.Greater(t, fake2.calls.Load(), int32(30))
		})
	})

	t.Run("a stop outlives a restart only with the same password", func(t *testing.T) {
		t.Parallel()
		dir := stateDir(t)
		synctest.Test(t, func(t *testing.T) {
			f := New(WithStateDir(dir), WithLoginKey(testPassword))
			fake := (&script{}).then(nil, refused).then(nil, outage).then(nil, refused).then(nil, outage).then(nil, refused)
			start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute, Jitter: -1})
			after(time.Hour)
			assert.EqualValues(t, 5, fake.calls.Load(), "outages between refusals neither count nor reset")
			assert.False(t, f.Status().Refreshing)

			data, err := os.ReadFile(filepath.Join(dir, GuardFile))
			require.NoError(t, err)
			var g guardState
			require.NoError(t, json.Unmarshal(data, &g))
			assert.True(t, g.Stopped)
			assert.Equal(t, 3, g.Refusals)
			assert.Len(t, g.Salt, guardSaltLen)
			assert.NotContains(t, string(data), testPassword)

			other := (&script{}).then(ok, nil)
			f = New(WithStateDir(dir), WithLoginKey("another-"+testPassword))
			start(t, &Refresher{Feed: f, Fetch: other.fetch, Interval: time.Minute, Jitter: -1})
			synctest.Wait()
			assert.EqualValues(t, 1, other.calls.Load(), "a new password logs in")
			assert.True(t, f.Status().Refreshing)
			data, err = os.ReadFile(filepath.Join(dir, GuardFile))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &g))
			assert.False(t, g.Stopped, "the new password's count replaced the old one's")
			assert.Zero(t, g.Refusals)
		})
	})

	t.Run("permanent stops at once", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			f := New()
			fake := (&script{}).then(nil, Permanent(Refused(errors.New("rejected"))))
			start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Minute})
			after(time.Hour)
			assert.EqualValues(t, 1, fake.calls.Load())
			assert.Equal(t, StopRejected, f.Status().Stopped)
		})
	})
}

// Refused, like Permanent, changes neither the message nor what the error
// matches.
func TestRefused(t *testing.T) {
	t.Parallel()
	cause := &os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}
	err := Refused(cause)
	assert.Equal(t, cause.Error(), err.Error())
	assert.ErrorIs(t, err, ErrRefused)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotErrorIs(t, err, ErrPermanent)
	assert.NotErrorIs(t, cause, ErrRefused)
	assert.NoError(t, Refused(nil))
}

// Every upcoming shift gone at once is held: the feed and its alerts stay
// as they were, the page says so, and a read five minutes later decides.
func TestEmptyRosterHeldThenBelieved(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		f := New(WithStateDir(dir), WithRefreshInterval(time.Hour))
		h := Handler(f, testToken)
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		today := snapshot.DateOf(time.Now())
		full := &snapshot.Snapshot{Time: time.Now(), Items: datedRoster(today.AddDays(-2), today, today.AddDays(3))}
		past := &snapshot.Snapshot{Time: time.Now(), Items: datedRoster(today.AddDays(-2))} // nothing from today on
		fake := (&script{}).then(full, nil).then(past, nil)
		var log syncbuf.Buffer
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Jitter: -1, Notify: n, Log: &log})
		synctest.Wait()
		before := get(h, "GET", "/"+testToken+"/"+ICSName)
		require.Equal(t, http.StatusOK, before.Code)
		assert.Equal(t, 3, strings.Count(before.Body.String(), "BEGIN:VEVENT"))

		after(time.Hour)
		require.EqualValues(t, 2, fake.calls.Load())
		held := get(h, "GET", "/"+testToken+"/"+ICSName)
		assert.Equal(t, before.Body.String(), held.Body.String(), "the roster served is kept")
		assert.Equal(t, before.Header().Get("ETag"), held.Header().Get("ETag"))
		assert.Empty(t, outboxTitles(n), "no alert")
		assert.Contains(t, problemText(t, h), "listed no shifts from today on")
		st := f.Status()
		require.NotNil(t, st.HeldSince)
		require.NotNil(t, st.NextRefresh)
		assert.Equal(t, DefaultConfirmEmpty, st.NextRefresh.Sub(*st.HeldSince), "read again five minutes later")
		code, _, _ := healthOf(t, h)
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, log.String(), "none from today on where the roster served had 2: kept serving it")

		after(DefaultConfirmEmpty)
		require.EqualValues(t, 3, fake.calls.Load())
		believed := get(h, "GET", "/"+testToken+"/"+ICSName)
		assert.NotEqual(t, before.Header().Get("ETag"), believed.Header().Get("ETag"))
		assert.Equal(t, 1, strings.Count(believed.Body.String(), "BEGIN:VEVENT"), "only the past shift is left")
		assert.Equal(t, []string{"Roster changed: 2 removed"}, outboxTitles(n), "one alert, after the second read")
		assert.Nil(t, f.Status().HeldSince)
		assert.Empty(t, problemText(t, h))
		assert.Contains(t, log.String(), "the empty roster confirmed")

		// Empty again: the roster served has no upcoming shift to lose,
		// so nothing is held.
		after(time.Hour)
		assert.EqualValues(t, 4, fake.calls.Load())
		assert.Nil(t, f.Status().HeldSince)
	})
}

// An empty roster followed by a full one is a glitch: the feed never
// changed, and no alert went out.
func TestEmptyRosterThenFull(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New(WithRefreshInterval(time.Hour))
		h := Handler(f, testToken)
		n := NewNotifier(f, target(t, "http://127.0.0.1:1/topic"))
		require.NoError(t, n.Load())
		today := snapshot.DateOf(time.Now())
		full := &snapshot.Snapshot{Time: time.Now(), Items: datedRoster(today, today.AddDays(1))}
		fake := (&script{}).then(full, nil).then(&snapshot.Snapshot{Time: time.Now()}, nil).then(full, nil)
		var log syncbuf.Buffer
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Jitter: -1, Notify: n, Log: &log, ConfirmEmpty: time.Minute})
		synctest.Wait()
		before := get(h, "GET", "/"+testToken+"/"+ICSName)

		after(time.Hour)
		require.NotNil(t, f.Status().HeldSince)
		after(time.Minute)
		assert.EqualValues(t, 3, fake.calls.Load(), "read again after ConfirmEmpty")
		now := get(h, "GET", "/"+testToken+"/"+ICSName)
		assert.Equal(t, before.Header().Get("ETag"), now.Header().Get("ETag"))
		assert.Nil(t, f.Status().HeldSince)
		assert.Empty(t, outboxTitles(n))
		assert.Contains(t, log.String(), "the empty roster read before was a glitch")
		st := f.Status()
		require.NotNil(t, st.NextRefresh)
		require.NotNil(t, st.LastAttempt)
		assert.Equal(t, time.Hour, st.NextRefresh.Sub(*st.LastAttempt), "back to the interval")
	})
}

// datedRoster is a day shift on each date.
func datedRoster(dates ...snapshot.Date) []snapshot.Item {
	var items []snapshot.Item
	for _, d := range dates {
		items = append(items, snapshot.Item{
			Date:   d,
			Title:  "Ward 4B",
			Detail: []snapshot.Field{snapshot.Text("07:00 - 15:30"), snapshot.Empty, snapshot.Text("Day Shift"), snapshot.Text("RN")},
		})
	}
	return items
}
