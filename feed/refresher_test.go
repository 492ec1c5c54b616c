package feed

import (
	"context"
	"errors"
	"fmt"
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

func TestDelayBackoff(t *testing.T) {
	t.Parallel()
	mid := func() float64 { return 0.5 } // no jitter
	r := &Refresher{Interval: 30 * time.Minute, rand: mid}
	want := []time.Duration{
		30 * time.Minute, // after a success
		30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		30 * time.Minute, 30 * time.Minute, // capped at the interval
	}
	for failures, w := range want {
		assert.Equal(t, w, r.Delay(failures), "after %d failures", failures)
	}
	assert.Equal(t, 30*time.Minute, r.Delay(1000), "no overflow")

	// An interval shorter than the backoff is never exceeded.
	short := &Refresher{Interval: 2 * time.Second, rand: mid}
	for failures := range 5 {
		assert.Equal(t, 2*time.Second, short.Delay(failures))
	}
	custom := &Refresher{Interval: time.Hour, Backoff: time.Second, Jitter: -1}
	assert.Equal(t, 4*time.Second, custom.Delay(3))
	assert.Equal(t, DefaultInterval, (&Refresher{Jitter: -1}).Delay(0))
}

func TestDelayJitterBounds(t *testing.T) {
	t.Parallel()
	for _, interval := range []time.Duration{time.Second, 30 * time.Minute} {
		r := &Refresher{Interval: interval}
		lo, hi := time.Duration(float64(interval)*(1-DefaultJitter)), time.Duration(float64(interval)*(1+DefaultJitter))
		seen := map[time.Duration]bool{}
		for range 1000 {
			d := r.Delay(0)
			assert.GreaterOrEqual(t, d, lo)
			assert.LessOrEqual(t, d, hi)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 100, "the delay is spread")
	}
	r := &Refresher{Interval: time.Minute, Jitter: 0.03}
	r.rand = func() float64 { return 0 }
	assert.Equal(t, time.Duration(float64(time.Minute)*0.97), r.Delay(0))
	r.rand = func() float64 { return 0.999999 }
	assert.InDelta(t, float64(time.Minute)*1.03, float64(r.Delay(0)), float64(time.Millisecond))
	r.Jitter = -1
	assert.Equal(t, time.Minute, r.Delay(0), "negative: no jitter")
}

// fetcher is a fake FetchFunc whose result can be switched.
type fetcher struct {
	calls atomic.Int32
	mu    sync.Mutex
	snap  *snapshot.Snapshot
	err   error
	hold  chan struct{} // when set, a fetch waits for it or ctx
}

func (f *fetcher) set(s *snapshot.Snapshot, err error) {
	f.mu.Lock()
	f.snap, f.err = s, err
	f.mu.Unlock()
}

func (f *fetcher) fetch(ctx context.Context) (*snapshot.Snapshot, error) {
	f.calls.Add(1)
	f.mu.Lock()
	s, err, hold := f.snap, f.err, f.hold
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s, err
}

// start runs r in the test's synctest bubble, where time moves only when
// every goroutine waits, so a refresh happens exactly when it is due and
// a stray one cannot hide between two looks. stop ends Run and waits for
// it to return; a Run that never returns deadlocks the bubble, which
// fails the test.
func start(t *testing.T, r *Refresher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// after lets d pass in the bubble and waits for whatever it set going.
func after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestRunRefreshesOnSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New(WithSecrets(testPassword))
		fake := &fetcher{}
		fake.set(snap(time.Now(), "Ward 4B"), nil)
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: 20 * time.Millisecond, Jitter: -1, Log: &log}
		stop := start(t, r)
		synctest.Wait()
		assert.EqualValues(t, 1, fake.calls.Load(), "the first refresh at once")
		for want := 2; want <= 4; want++ {
			after(20 * time.Millisecond)
			assert.EqualValues(t, want, fake.calls.Load(), "one refresh per interval")
		}
		after(19 * time.Millisecond)
		assert.EqualValues(t, 4, fake.calls.Load(), "none before it is due")
		stop()
		after(time.Hour)
		assert.EqualValues(t, 4, fake.calls.Load(), "no refresh after Run returned")

		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		require.Len(t, lines, 4)
		assert.Regexp(t, `^rosteron serve: \S+ refresh ok in \d+(\.\d)?m?s: 1 shifts, changed; next in `, lines[0])
		assert.Contains(t, lines[1], "1 shifts, unchanged")
		assert.True(t, f.Status().OK)
	})
}

// After a success, failures keep the roster served and mark it stale; the
// log says so without the password; a later success clears the mark.
func TestRunFailureAfterSuccess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New(WithSecrets(testPassword))
		h := Handler(f, testToken)
		fake := &fetcher{}
		fake.set(snap(time.Now(), "Ward 4B"), nil)
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: 30 * time.Millisecond, Backoff: 10 * time.Millisecond, Jitter: -1, Log: &log}
		start(t, r)
		synctest.Wait()
		require.True(t, f.Status().OK)
		good := get(h, "GET", "/"+testToken+"/"+ICSName)

		fake.set(nil, errors.New("RosterOn returned an unexpected response for an operation expecting 'login': 403 Forbidden from a proxy, password "+testPassword))
		// Fails at 30ms, then after the backoff of 10ms and of 20ms: 60ms.
		after(60 * time.Millisecond)
		require.Equal(t, 3, f.Status().Failures)
		rec := get(h, "GET", "/"+testToken+"/"+ICSName)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, good.Body.String(), rec.Body.String())
		assert.Equal(t, "true", rec.Header().Get(HeaderStale))
		st := f.Status()
		assert.True(t, st.Refreshing)
		assert.Contains(t, st.LastError, "403 Forbidden")

		fake.set(snap(time.Now(), "Ward 5"), nil)
		after(30 * time.Millisecond)
		require.True(t, f.Status().OK)
		rec = get(h, "GET", "/"+testToken+"/"+ICSName)
		assert.Equal(t, "false", rec.Header().Get(HeaderStale))
		assert.Contains(t, rec.Body.String(), "Ward 5", "the feed follows the roster")

		out := log.String()
		assert.Contains(t, out, "refresh failed after ")
		assert.Contains(t, out, "serving the roster fetched ")
		assert.NotContains(t, out, testPassword)
		assert.NotContains(t, out, testToken)
	})
}

func TestRunFailureWithNothingToServe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New()
		fake := &fetcher{}
		fake.set(nil, errors.New("connection refused"))
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Log: &log}
		start(t, r)
		synctest.Wait()
		require.NotNil(t, f.Status().NextRefresh)
		assert.Regexp(t, `connection refused; nothing to serve yet; next in (2[89]|3[012])s\n$`, log.String())
		rec := get(Handler(f, testToken), "GET", "/"+testToken+"/"+ICSName)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Contains(t, []string{"28", "29", "30", "31", "32"}, rec.Header().Get("Retry-After"), "the backoff, with jitter")
	})
}

// A permanent failure (rejected credentials) stops the refreshes: trying
// the same password again and again can lock the account.
func TestRunStopsOnPermanentFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New(WithSecrets(testPassword))
		fake := &fetcher{}
		fake.set(snap(time.Now(), "Ward 4B"), nil)
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: 5 * time.Millisecond, Jitter: -1, Log: &log}
		start(t, r)
		synctest.Wait()
		require.True(t, f.Status().OK)
		fake.set(nil, Permanent(errors.New("RosterOn rejected the login credentials for username 'joe.bloggs'")))
		after(5 * time.Millisecond)
		require.False(t, f.Status().Refreshing)
		assert.EqualValues(t, 2, fake.calls.Load())
		after(24 * time.Hour)
		assert.EqualValues(t, 2, fake.calls.Load(), "no more logins")
		st := f.Status()
		assert.True(t, st.Stale)
		assert.Nil(t, st.NextRefresh)
		assert.Equal(t, 1, st.Shifts, "the last roster is still served")
		assert.Contains(t, log.String(), "no more refreshes until restarted")
	})
}

// A refresh cut short by the end of Run is neither a failure nor a success.
func TestRunStopsDuringRefresh(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New()
		fake := &fetcher{hold: make(chan struct{})}
		var log syncbuf.Buffer
		r := &Refresher{Feed: f, Fetch: fake.fetch, Log: &log}
		stop := start(t, r)
		synctest.Wait()
		require.EqualValues(t, 1, fake.calls.Load())
		stop()
		st := f.Status()
		assert.Zero(t, st.Failures)
		assert.Empty(t, st.LastError)
		assert.Contains(t, log.String(), "refresh stopped after")
	})
}

// Feed traffic never fetches: 400 requests from 20 clients while the
// refresher runs cost one fetch, the one at start.
func TestNoFetchPerRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New()
		fake := &fetcher{}
		fake.set(snap(time.Now(), "Ward 4B"), nil)
		r := &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour}
		start(t, r)
		synctest.Wait()
		require.True(t, f.Status().OK)
		h := Handler(f, testToken)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for client := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					name := ICSName
					if (client+i)%2 == 1 {
						name = JSONName
					}
					if get(h, "GET", "/"+testToken+"/"+name).Code == http.StatusOK {
						ok.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(400), ok.Load())
		assert.Equal(t, int32(1), fake.calls.Load())
	})
}

// A roster that cannot be saved is still served, and the log warns.
func TestRunSaveFailureIsAWarning(t *testing.T) {
	t.Parallel()
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	synctest.Test(t, func(t *testing.T) {
		f := New(WithStateDir(notADir))
		fake := &fetcher{}
		fake.set(snap(time.Now(), "Ward 4B"), nil)
		var log syncbuf.Buffer
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour, Log: &log})
		synctest.Wait()
		require.NotNil(t, f.Status().NextRefresh)
		assert.True(t, f.Status().OK)
		assert.Regexp(t, `refresh ok in \S+: 1 shifts, changed; warning: saving the roster: .*not a directory; next in `, log.String())
	})
}

// A fetch that returns no roster and no error is a failed refresh.
func TestRunNilSnapshotIsAFailure(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := New()
		fake := &fetcher{}
		start(t, &Refresher{Feed: f, Fetch: fake.fetch, Interval: time.Hour})
		synctest.Wait()
		st := f.Status()
		require.NotNil(t, st.NextRefresh)
		assert.Equal(t, 1, st.Failures)
		assert.Contains(t, st.LastError, "nil snapshot")
	})
}

// Permanent changes neither the message nor what the error matches; it
// only adds ErrPermanent.
func TestPermanent(t *testing.T) {
	t.Parallel()
	cause := &os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}
	err := Permanent(cause)
	assert.Equal(t, cause.Error(), err.Error())
	assert.ErrorIs(t, err, ErrPermanent)
	assert.ErrorIs(t, err, os.ErrNotExist)
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	assert.Same(t, cause, pe)
	assert.ErrorIs(t, fmt.Errorf("refreshing: %w", err), ErrPermanent, "wrapped again, still permanent")
	assert.NotErrorIs(t, cause, ErrPermanent)
	assert.NoError(t, Permanent(nil))
}
