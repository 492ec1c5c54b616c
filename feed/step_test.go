package feed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/snapshot"
)

// writes records each Write to a log, to tell that a refresh logs one
// line in one Write, which a writer that prefixes each line relies on.
type writes struct {
	mu  sync.Mutex
	all []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.all = append(w.all, string(p))
	w.mu.Unlock()
	return len(p), nil
}

func (w *writes) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.all...)
}

// Step returns the wait Run would wait: the interval after a success,
// the backoff doubling after failures, ConfirmEmpty while an empty roster
// is held; the feed's status shows the next refresh then. Each Step logs
// one line, in one Write.
func TestStepReturnsTheWait(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	full := snap(c.Now(), "Ward 4B", "Ward 5")
	empty := &snapshot.Snapshot{Time: c.Now(), Items: []snapshot.Item{}}
	down := errors.New("net::ERR_CONNECTION_REFUSED for " + testPassword)
	fake := (&script{}).then(full, nil).then(nil, down).then(nil, down).then(nil, down).
		then(full, nil).then(empty, nil).then(empty, nil).then(full, nil)
	var confirmed []bool
	log := &writes{}
	r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Backoff: 10 * time.Second,
		ConfirmEmpty: 3 * time.Minute, Log: log, rand: func() float64 { return 0.5 },
		Accepted: func(_ *snapshot.Snapshot, ok bool) { confirmed = append(confirmed, ok) }}
	require.False(t, r.Start())
	assert.False(t, r.Stopped())
	want := []time.Duration{
		time.Hour,                                            // a success
		10 * time.Second, 20 * time.Second, 40 * time.Second, // failures, doubling
		time.Hour,       // a success again
		3 * time.Minute, // an empty roster, held
		time.Hour,       // confirmed
	}
	for i, w := range want {
		next, stopped := r.Step(t.Context())
		require.False(t, stopped)
		assert.Equal(t, w, next, "step %d", i+1)
		st := f.Status()
		require.NotNil(t, st.NextRefresh, "step %d", i+1)
		assert.Equal(t, c.Now().Add(w).UTC().Truncate(time.Second), *st.NextRefresh, "step %d", i+1)
		switch i {
		case 3:
			assert.Equal(t, 3, st.Failures)
		case 5:
			assert.NotNil(t, st.HeldSince)
			assert.Equal(t, 2, st.Shifts, "the roster served kept")
		case 6:
			assert.Nil(t, st.HeldSince)
			assert.Zero(t, st.Shifts)
		}
		c.Add(w)
	}
	assert.Equal(t, []bool{false, false, true}, confirmed, "the empty roster passed on once confirmed")
	assert.EqualValues(t, len(want), fake.calls.Load())

	lines := log.lines()
	require.Len(t, lines, len(want), "one Write a refresh")
	for _, l := range lines {
		assert.Equal(t, 1, strings.Count(l, "\n"), l)
		assert.True(t, strings.HasPrefix(l, "rosteron serve: "), l)
		assert.NotContains(t, l, testPassword)
	}
	assert.Contains(t, lines[1], "refresh failed after ")
	assert.Contains(t, lines[1], "; next in 10s\n")
	assert.Contains(t, lines[5], "reading again in 3m0s to confirm")
	assert.Contains(t, lines[6], "the empty roster confirmed; next in 1h0m0s")
}

// Step's wait has Run's jitter.
func TestStepJitter(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	fake := (&script{}).then(snap(c.Now(), "Ward 4B"), nil)
	r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Jitter: 0.1, rand: func() float64 { return 0 }}
	next, _ := r.Step(t.Context()) // without Start: Step starts
	assert.Equal(t, 54*time.Minute, next)
	r.rand = func() float64 { return 0.75 }
	next, _ = r.Step(t.Context())
	assert.Equal(t, 63*time.Minute, next)
	assert.False(t, f.startTime().IsZero(), "started by the first Step")
}

// A rejected password stops the refreshes at the Step that met it; a
// Step after that fetches nothing.
func TestStepStopsOnRejectedPassword(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	rejected := Permanent(errors.New("RosterOn rejected the login credentials for username '" + testUser + "'"))
	fake := (&script{}).then(snap(c.Now(), "Ward 4B"), nil).then(nil, rejected)
	log := &writes{}
	r := &Refresher{Feed: f, Fetch: fake.fetch, Log: log}
	require.False(t, r.Start())
	_, stopped := r.Step(t.Context())
	require.False(t, stopped)
	next, stopped := r.Step(t.Context())
	assert.True(t, stopped)
	assert.Zero(t, next)
	assert.True(t, r.Stopped())
	st := f.Status()
	assert.Equal(t, StateStopped, st.State)
	assert.Equal(t, StopRejected, st.Stopped)
	assert.Nil(t, st.NextRefresh)
	assert.Equal(t, 1, st.Shifts, "the last roster still served")

	next, stopped = r.Step(t.Context())
	assert.True(t, stopped)
	assert.Zero(t, next)
	assert.EqualValues(t, 2, fake.calls.Load(), "no login after the stop")
	lines := log.lines()
	require.Len(t, lines, 2)
	assert.Contains(t, lines[1], "no more refreshes until restarted, because RosterOn rejected the password")
}

// A Step whose context ends mid-fetch counts nothing; one whose context
// ended before fetches nothing.
func TestStepCutShort(t *testing.T) {
	t.Parallel()
	f, _ := newTestFeed(t)
	fake := &fetcher{hold: make(chan struct{})}
	log := &writes{}
	r := &Refresher{Feed: f, Fetch: fake.fetch, Log: log}
	require.False(t, r.Start())
	ctx, cancel := context.WithCancel(t.Context())
	type res struct {
		next    time.Duration
		stopped bool
	}
	done := make(chan res)
	go func() {
		next, stopped := r.Step(ctx)
		done <- res{next, stopped}
	}()
	require.Eventually(t, func() bool { return fake.calls.Load() == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	got := <-done
	assert.Equal(t, res{0, false}, got)
	st := f.Status()
	assert.Zero(t, st.Failures)
	assert.Empty(t, st.LastError)
	assert.Nil(t, st.LastAttempt)
	lines := log.lines()
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "refresh stopped after")

	next, stopped := r.Step(ctx)
	assert.Zero(t, next)
	assert.False(t, stopped)
	assert.EqualValues(t, 1, fake.calls.Load(), "no fetch with a context ended")
	assert.Len(t, log.lines(), 1)
}

// Two Steps called at once run one after the other, never together.
func TestStepsDoNotOverlap(t *testing.T) {
	t.Parallel()
	f, c := newTestFeed(t)
	var inFlight, most atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
		inFlight.Add(-1)
		return snap(c.Now(), "Ward 4B"), nil
	}
	r := &Refresher{Feed: f, Fetch: fetch}
	require.False(t, r.Start())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { r.Step(t.Context()) })
	}
	<-entered
	release <- struct{}{}
	<-entered
	release <- struct{}{}
	wg.Wait()
	assert.EqualValues(t, 1, most.Load(), "one fetch at a time")
}

// Start reports refreshes stopped when the saved guard says so, for the
// same password; RetryLogin clears it for one more login, and a new
// password starts afresh.
func TestStartStoppedBySavedGuard(t *testing.T) {
	t.Parallel()
	st := newMemState()
	rejected := Permanent(errors.New("RosterOn rejected the login credentials"))
	refresher := func(password string, fetch FetchFunc, log *writes) (*Refresher, *Feed) {
		f, _ := newTestFeed(t, WithState(st), WithLoginKey(password), WithSecrets(password))
		return &Refresher{Feed: f, Fetch: fetch, Log: log}, f
	}
	fake := (&script{}).then(nil, rejected)
	r, _ := refresher(testPassword, fake.fetch, &writes{})
	require.False(t, r.Start())
	_, stopped := r.Step(t.Context())
	require.True(t, stopped)

	// The same password: stopped at Start, no login.
	log := &writes{}
	again := (&script{}).then(snap(time.Now(), "Ward 4B"), nil)
	r, f := refresher(testPassword, again.fetch, log)
	assert.True(t, r.Start())
	assert.True(t, r.Stopped())
	assert.True(t, r.Start(), "a second Start says the same")
	next, stopped := r.Step(t.Context())
	assert.True(t, stopped)
	assert.Zero(t, next)
	assert.Zero(t, again.calls.Load(), "no login with a password already rejected")
	s := f.Status()
	assert.Equal(t, StateStopped, s.State)
	assert.Equal(t, StopRejected, s.Stopped)
	assert.Contains(t, s.LastError, "rejected the login credentials")
	assert.True(t, f.startTime().IsZero(), "not started")
	lines := log.lines()
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "not logging in: refreshes stopped at ")

	// RetryLogin: one more login, which works.
	log = &writes{}
	r, f = refresher(testPassword, again.fetch, log)
	r.RetryLogin = true
	assert.False(t, r.Start())
	assert.False(t, r.Stopped())
	_, stopped = r.Step(t.Context())
	assert.False(t, stopped)
	assert.EqualValues(t, 1, again.calls.Load())
	assert.True(t, f.Status().OK)
	assert.Contains(t, log.lines()[0], "trying the login again, as asked (--retry-login)")

	// The login worked: the stop is gone for good.
	r, _ = refresher(testPassword, again.fetch, &writes{})
	assert.False(t, r.Start())

	// Stopped again, then a new password: afresh.
	r, _ = refresher(testPassword, fake.fetch, &writes{})
	require.False(t, r.Start())
	_, stopped = r.Step(t.Context())
	require.True(t, stopped)
	r, _ = refresher("new-"+testPassword, again.fetch, &writes{})
	assert.False(t, r.Start())
}

// A keyed hasher stands in for argon2id: the same password with the same
// hasher stays stopped, another password starts afresh, another key
// does not match, and the state holds the MAC, never the password.
func TestStartWithLoginHasher(t *testing.T) {
	t.Parallel()
	st := newMemState()
	rejected := Permanent(errors.New("RosterOn rejected the login credentials"))
	var calls atomic.Int32
	hasher := func(key string) func(string, []byte) []byte {
		return func(password string, salt []byte) []byte {
			calls.Add(1)
			m := hmac.New(sha256.New, []byte(key))
			m.Write(salt)
			m.Write([]byte(password))
			return m.Sum(nil)
		}
	}
	refresher := func(password, key string, fetch FetchFunc) *Refresher {
		f, _ := newTestFeed(t, WithState(st), WithLoginKey(password), WithSecrets(password), WithLoginHasher(hasher(key)))
		return &Refresher{Feed: f, Fetch: fetch, Log: &writes{}}
	}
	r := refresher(testPassword, "k1", (&script{}).then(nil, rejected).fetch)
	require.False(t, r.Start())
	_, stopped := r.Step(t.Context())
	require.True(t, stopped)
	require.NotZero(t, calls.Load(), "the hasher was used")

	ok := (&script{}).then(snap(time.Now(), "Ward 4B"), nil)
	assert.True(t, refresher(testPassword, "k1", ok.fetch).Start(), "same password, same key: still stopped")
	assert.False(t, refresher(testPassword, "k2", ok.fetch).Start(), "another key cannot tell the password")
	assert.False(t, refresher("a-new-password", "k1", ok.fetch).Start(), "a new password starts afresh")
	data, err := st.Load(GuardFile)
	require.NoError(t, err)
	assert.NotContains(t, string(data), testPassword)
}
