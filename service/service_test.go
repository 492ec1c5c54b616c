package service

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// Each account is refreshed, round after round, and each token serves
// its own roster and no other's; a wrong token gets the plain 404 and
// nothing else.
func TestEachTokenServesItsOwnRoster(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		log := &syncBuffer{}
		accts := []testAccount{
			addAccount(t, st, "alice", "a.example", "pw-alice-1111"),
			addAccount(t, st, "bob", "a.example", "pw-bob-2222"),
			addAccount(t, st, "carol", "b.example", "pw-carol-3333"),
		}
		rs := start(t, testConfig(st, f, log))
		waitRefreshed(t, f, 3, accts...)

		for _, a := range accts {
			code, body := get(t, rs.srv.URL+"/"+a.token+"/"+feed.JSONName)
			require.Equal(t, http.StatusOK, code, a.username)
			require.Contains(t, body, marker(a.username))
			for _, o := range accts {
				if o.username != a.username {
					require.NotContains(t, body, marker(o.username), "%s's feed holds %s's roster", a.username, o.username)
				}
			}
			code, body = get(t, rs.srv.URL+"/"+a.token+"/")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, body, "<html")
		}

		// A wrong token, and a token's start, get exactly what a wrong token
		// always got: http.NotFound.
		for _, path := range []string{"/" + strings.Repeat("x", len(accts[0].token)) + "/" + feed.JSONName,
			"/" + accts[0].token[:10] + "/" + feed.ICSName, "/nothing", "/"} {
			code, body := get(t, rs.srv.URL+path)
			require.Equal(t, http.StatusNotFound, code, path)
			require.Equal(t, "404 page not found\n", body, path)
		}

		var h Health
		code, body := get(t, rs.srv.URL+"/healthz")
		require.Equal(t, http.StatusOK, code)
		require.NoError(t, json.Unmarshal([]byte(body), &h))
		require.Equal(t, "ok", h.State)
		require.Equal(t, "ok", h.Store)
		require.Equal(t, "running", h.Scheduler)
		// The public answer counts nothing: the operator's list does.
		require.NotContains(t, body, "by_state")
		require.NotContains(t, body, "accounts")
		h = rs.s.Health(context.Background())
		require.Equal(t, 3, h.Accounts)
		require.Equal(t, 3, h.ByState[feed.StateOK])
		for _, a := range accts {
			require.NotContains(t, body, a.username)
		}

		// Each account's lines name it, and none holds a secret.
		out := log.String()
		require.Contains(t, out, "rosteron serve: [#1 alice@a.example] ")
		require.Contains(t, out, "refresh ok")
		noSecrets(t, out, accts...)

		// The store keeps each account's health for `accounts list`.
		require.Eventually(t, func() bool {
			for _, a := range accts {
				got, err := st.Get(context.Background(), a.id)
				if err != nil || got.Health.State != feed.StateOK || got.Health.LastGood.IsZero() || got.Health.NextRefresh.IsZero() {
					return false
				}
			}
			return true
		}, time.Minute, 5*time.Millisecond)
	})
}

// A rejected password stops that account alone, for good: it is never
// tried again, while the others go on refreshing round after round, and
// the service's /healthz stays 200. Its new password, and a Reload, start
// it again.
func TestRejectedPasswordStopsOneAccount(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		log := &syncBuffer{}
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		bob := addAccount(t, st, "bob", "a.example", wrongPassword)
		carol := addAccount(t, st, "carol", "b.example", "pw-carol-3333")
		rs := start(t, testConfig(st, f, log))

		require.Eventually(t, func() bool {
			s, ok := rs.s.Status(bob.id)
			return ok && s.State == feed.StateStopped
		}, time.Minute, 5*time.Millisecond)
		before := f.count(alice.id)
		waitRefreshed(t, f, before+5, alice, carol)
		require.Equal(t, 1, f.count(bob.id), "the rejected password was tried again")

		var h Health
		code, body := get(t, rs.srv.URL+"/healthz")
		require.Equal(t, http.StatusOK, code, body)
		require.NoError(t, json.Unmarshal([]byte(body), &h))
		require.Equal(t, "ok", h.State)
		require.NotContains(t, body, "by_state")
		h = rs.s.Health(context.Background())
		require.Equal(t, 1, h.ByState[feed.StateStopped])
		require.Equal(t, 2, h.ByState[feed.StateOK])
		require.NotContains(t, body, "bob")

		// Its page still serves, and says why.
		code, _ = get(t, rs.srv.URL+"/"+bob.token+"/")
		require.Equal(t, http.StatusOK, code)
		// The store says it stopped, and why, for `accounts list`.
		require.Eventually(t, func() bool {
			a, err := st.Get(context.Background(), bob.id)
			return err == nil && a.Health.State == feed.StateStopped && strings.Contains(a.Health.Why, "rejected")
		}, time.Minute, 5*time.Millisecond)
		noSecrets(t, log.String(), alice, bob, carol)
		s, _ := rs.s.Status(bob.id)
		require.NotEmpty(t, s.LastError)
		require.NotContains(t, s.LastError, wrongPassword)
		_, page := get(t, rs.srv.URL+"/"+bob.token+"/")
		require.NotContains(t, page, wrongPassword)
		row, err := st.Get(context.Background(), bob.id)
		require.NoError(t, err)
		require.NotContains(t, row.Health.Why, wrongPassword)

		// The owner updates the password: a Reload starts it afresh.
		require.NoError(t, st.SetPassword(context.Background(), bob.id, "pw-bob-new-4444"))
		require.NoError(t, rs.s.Reload(context.Background(), bob.id))
		waitRefreshed(t, f, 3, bob)
		s, ok := rs.s.Status(bob.id)
		require.True(t, ok)
		require.Equal(t, feed.StateOK, s.State)
		code, body = get(t, rs.srv.URL+"/"+bob.token+"/"+feed.JSONName)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, marker("bob"))
		f.mu.Lock()
		require.Equal(t, wrongPassword, f.passwords[bob.id][0])
		for _, pw := range f.passwords[bob.id][1:] {
			require.Equal(t, "pw-bob-new-4444", pw)
		}
		f.mu.Unlock()
	})
}

// Many accounts on one host never have more than PerHost sessions there
// at once, and a host that is full holds up no other: both hosts reach
// their limit together. An account is never queued twice.
func TestPerHostLimitAndFairness(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		var accts []testAccount
		for i := range 5 {
			accts = append(accts, addAccount(t, st, "a"+string(rune('0'+i)), "a.example", "pw-a-"+strings.Repeat("1", i+6)))
		}
		for i := range 3 {
			accts = append(accts, addAccount(t, st, "b"+string(rune('0'+i)), "b.example", "pw-b-"+strings.Repeat("2", i+6)))
		}
		hold := make(chan struct{})
		f.setHold(hold, nil)
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.MaxSessions = 5 // one worker more than both hosts' limits
		rs := start(t, cfg)

		// Sessions held open: each host fills up to its limit, at once.
		require.Eventually(t, func() bool {
			return f.activeOn("a.example") == 2 && f.activeOn("b.example") == 2
		}, time.Minute, 5*time.Millisecond)

		// While they are held, a second job for a held account is refused
		// as a duplicate, and no account has two jobs.
		var heldID store.ID
		f.mu.Lock()
		for id, n := range f.acct {
			if n > 0 {
				heldID = id
			}
		}
		f.mu.Unlock()
		res, err := rs.s.client.Insert(context.Background(), refreshArgs{Account: heldID}, nil)
		require.NoError(t, err)
		require.True(t, res.UniqueSkippedAsDuplicate)
		for id, n := range liveJobs(t, st) {
			require.LessOrEqual(t, n, 1, "account #%d has %d jobs", id, n)
		}
		// A job for another account of the full host (as one left by an
		// earlier run would be) waits in the queue, snoozed, not in a
		// session.
		var other store.ID
		f.mu.Lock()
		for _, a := range accts {
			if a.host == "a.example" && f.acct[a.id] == 0 {
				other = a.id
			}
		}
		f.mu.Unlock()
		res, err = rs.s.client.Insert(context.Background(), refreshArgs{Account: other}, nil)
		require.NoError(t, err)
		// The dispatcher queues no more than PerHost jobs for a host, so
		// this account had none.
		require.False(t, res.UniqueSkippedAsDuplicate)
		require.Eventually(t, func() bool {
			var snoozes int
			err := st.DB().QueryRowContext(context.Background(), jobQuery(st,
				`SELECT coalesce(json_extract(metadata, '$.snoozes'), 0) FROM river_job WHERE id = ?`), res.Job.ID).Scan(&snoozes)
			return err == nil && snoozes > 0
		}, time.Minute, 5*time.Millisecond, "the job of a full host was not snoozed")
		require.Equal(t, 2, f.activeOn("a.example"))

		close(hold)
		f.setHold(nil, nil)
		waitRefreshed(t, f, 3, accts...)
		for id, n := range liveJobs(t, st) {
			require.LessOrEqual(t, n, 1, "account #%d has %d jobs", id, n)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		require.LessOrEqual(t, f.maxActive["a.example"], 2)
		require.LessOrEqual(t, f.maxActive["b.example"], 2)
		require.LessOrEqual(t, f.maxTotal, 4)
		require.Equal(t, 1, f.maxAcct, "an account was refreshed twice at once")
		require.True(t, f.limiterOK, "a host's sessions did not share one limiter")
	})
}

// A service stopped mid-refresh and started again on the same store
// comes back with every account intact: each serves its saved roster,
// and is refreshed again, with no account's job doubled.
func TestRestartMidRefresh(t *testing.T) {
	path := t.TempDir() + "/store.db"
	key := storetest.Key(t)
	st := storetest.OpenAt(t, path, key)
	f := newFake()
	accts := []testAccount{
		addAccount(t, st, "alice", "a.example", "pw-alice-1111"),
		addAccount(t, st, "bob", "a.example", "pw-bob-2222"),
		addAccount(t, st, "carol", "b.example", "pw-carol-3333"),
	}
	rs := start(t, testConfig(st, f, &syncBuffer{}))
	waitRefreshed(t, f, 2, accts...)

	// Hold the next refreshes, and stop the service under them.
	hold := make(chan struct{})
	started := make(chan store.ID, 16)
	f.setHold(hold, started)
	<-started
	rs.stop(t)
	require.NoError(t, st.Close())

	st2 := storetest.OpenAt(t, path, key)
	for _, a := range accts {
		data, err := st2.LoadBlob(context.Background(), a.id, feed.StateFile)
		require.NoError(t, err)
		require.Contains(t, string(data), marker(a.username))
	}
	f.setHold(nil, nil)
	counts := map[store.ID]int{}
	for _, a := range accts {
		counts[a.id] = f.count(a.id)
	}
	rs2 := start(t, testConfig(st2, f, &syncBuffer{}))
	for _, a := range accts {
		// The saved roster is served at once, before any refresh.
		require.Eventually(t, func() bool {
			code, body := get(t, rs2.srv.URL+"/"+a.token+"/"+feed.JSONName)
			return code == http.StatusOK && strings.Contains(body, marker(a.username))
		}, time.Minute, 5*time.Millisecond)
	}
	require.Eventually(t, func() bool {
		for _, a := range accts {
			if f.count(a.id) < counts[a.id]+2 {
				return false
			}
		}
		return true
	}, time.Minute, 5*time.Millisecond)
	for id, n := range liveJobs(t, st2) {
		require.LessOrEqual(t, n, 1, "account #%d has %d jobs", id, n)
	}
	f.mu.Lock()
	require.Equal(t, 1, f.maxAcct, "an account was refreshed twice at once")
	f.mu.Unlock()
	for _, a := range accts {
		s, ok := rs2.s.Status(a.id)
		require.True(t, ok)
		require.Equal(t, feed.StateOK, s.State)
	}
}

// A paused account is not refreshed, but serves its last roster; a
// removed one is gone at once.
func TestPauseAndRemove(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		bob := addAccount(t, st, "bob", "a.example", "pw-bob-2222")
		rs := start(t, testConfig(st, f, &syncBuffer{}))
		waitRefreshed(t, f, 2, alice, bob)

		require.NoError(t, st.SetPaused(context.Background(), bob.id, true, "paused by its owner"))
		require.NoError(t, rs.s.Reload(context.Background(), bob.id))
		n := f.count(bob.id)
		waitRefreshed(t, f, f.count(alice.id)+4, alice)
		// At most the refresh under way at the Reload.
		require.LessOrEqual(t, f.count(bob.id), n+1)
		code, body := get(t, rs.srv.URL+"/"+bob.token+"/"+feed.JSONName)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, marker("bob"))
		h := rs.s.Health(context.Background())
		require.Equal(t, 1, h.ByState["paused"])

		rs.s.Remove(alice.id)
		code, _ = get(t, rs.srv.URL+"/"+alice.token+"/"+feed.JSONName)
		require.Equal(t, http.StatusNotFound, code)
		_, ok := rs.s.Status(alice.id)
		require.False(t, ok)
	})
}

// An account whose Options cannot be built is stopped with the reason,
// and the others go on.
func TestBrokenOptionsStopOneAccount(t *testing.T) {
	st := storetest.Open(t)
	f := newFake()
	alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
	bob := addAccount(t, st, "bob", "a.example", "pw-bob-2222")
	cfg := testConfig(st, f, &syncBuffer{})
	opts := cfg.Options
	cfg.Options = func(ctx context.Context, a *store.Account) (*Options, error) {
		if a.ID == bob.id {
			return nil, errAny
		}
		return opts(ctx, a)
	}
	rs := start(t, cfg)
	waitRefreshed(t, f, 3, alice)
	require.Zero(t, f.count(bob.id))
	s, ok := rs.s.Status(bob.id)
	require.True(t, ok)
	require.Equal(t, feed.StateStopped, s.State)
	require.Contains(t, s.LastError, "settings")
	require.Equal(t, http.StatusOK, func() int { c, _ := get(t, rs.srv.URL+"/healthz"); return c }())
}

// Single makes /healthz the one account's, as the single-account serve's.
func TestSingleHealthIsTheAccounts(t *testing.T) {
	st := storetest.Open(t)
	f := newFake()
	alice := addAccount(t, st, "alice", "a.example", wrongPassword)
	cfg := testConfig(st, f, &syncBuffer{})
	cfg.Single = true
	rs := start(t, cfg)
	require.Eventually(t, func() bool {
		s, ok := rs.s.Status(alice.id)
		return ok && s.State == feed.StateStopped
	}, time.Minute, 5*time.Millisecond)
	code, body := get(t, rs.srv.URL+"/healthz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	var h feed.Health
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	require.Equal(t, feed.StateStopped, h.State)
}

// A refresh that outlives the job's time limit is cut short, its job
// completed, and the account tried again after the feed's backoff.
func TestJobTimeout(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		log := &syncBuffer{}
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		f.setHold(make(chan struct{}), nil) // never released
		cfg := testConfig(st, f, log)
		// Long enough for the store's calls before the fetch (the
		// changes, the host's place, the login turn) on a loaded
		// machine under -race: the fetch is what it cuts short.
		cfg.JobTimeout = 2 * time.Second
		rs := start(t, cfg)
		require.Eventually(t, func() bool {
			return strings.Contains(log.String(), "cut short by the job's time limit")
		}, time.Minute, 5*time.Millisecond)
		require.Eventually(t, func() bool {
			rs.s.mu.Lock()
			defer rs.s.mu.Unlock()
			r := rs.s.accounts[alice.id]
			return !r.queued && r.due.After(time.Now().Add(feed.DefaultBackoff/2))
		}, time.Minute, 5*time.Millisecond)
		require.Zero(t, liveJobs(t, st)[alice.id])
		require.Equal(t, 1, f.count(alice.id))
		// The page shows when the next try is.
		s, ok := rs.s.Status(alice.id)
		require.True(t, ok)
		require.NotNil(t, s.NextRefresh)
		require.True(t, s.NextRefresh.After(time.Now().Add(feed.DefaultBackoff/2)), "next refresh %v", s.NextRefresh)
	})
}

// Options.Run runs for as long as the account does: a Reload or Remove
// ends it.
func TestOptionsRunFollowsTheAccount(t *testing.T) {
	st := storetest.Open(t)
	f := newFake()
	alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
	cfg := testConfig(st, f, &syncBuffer{})
	runs := make(chan context.Context, 4)
	accepted := make(chan bool, 100)
	opts := cfg.Options
	cfg.Options = func(ctx context.Context, a *store.Account) (*Options, error) {
		o, err := opts(ctx, a)
		if err != nil {
			return nil, err
		}
		o.Run = func(ctx context.Context) { runs <- ctx; <-ctx.Done() }
		o.Accepted = func(_ *snapshot.Snapshot, confirmed bool) {
			select {
			case accepted <- confirmed:
			default:
			}
		}
		return o, nil
	}
	rs := start(t, cfg)
	first := <-runs
	<-accepted
	require.NoError(t, rs.s.Reload(context.Background(), alice.id))
	second := <-runs
	<-first.Done()
	require.NoError(t, second.Err())
	rs.s.Remove(alice.id)
	<-second.Done()

	err := rs.s.Reload(context.Background(), 999)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// A new token, and a Reload: the old address stops working at once, the
// new one serves the same roster.
func TestNewTokenReplacesTheOld(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		rs := start(t, testConfig(st, f, &syncBuffer{}))
		waitRefreshed(t, f, 1, alice)
		require.Eventually(t, func() bool {
			code, _ := get(t, rs.srv.URL+"/"+alice.token+"/"+feed.JSONName)
			return code == http.StatusOK
		}, time.Minute, 5*time.Millisecond)

		tok, err := st.NewToken(context.Background(), alice.id)
		require.NoError(t, err)
		require.NoError(t, rs.s.Reload(context.Background(), alice.id))
		code, _ := get(t, rs.srv.URL+"/"+alice.token+"/"+feed.JSONName)
		require.Equal(t, http.StatusNotFound, code)
		code, body := get(t, rs.srv.URL+"/"+tok+"/"+feed.JSONName)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, marker("alice"))
	})
}

// A service stopped after a refresh's step, before its commit, keeps what
// the step saved: its roster, and with it the alerts' baseline, so that
// the change the step saw (and may have alerted on) is not seen again,
// and alerted again, after the restart. The job itself runs again at the
// start.
func TestStopBeforeCommitKeepsTheStep(t *testing.T) {
	path := t.TempDir() + "/store.db"
	key := storetest.Key(t)
	st := storetest.OpenAt(t, path, key)
	f := newFake()
	a := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
	var (
		mu       sync.Mutex
		stopNext func()
		jobCtx   context.Context
		moved    bool
	)
	cfg := testConfig(st, f, &syncBuffer{})
	cfg.Fetch = func(ctx context.Context, acct *store.Account, password string, lim *session.Limiter) (*snapshot.Snapshot, error) {
		snap, err := f.fetch(ctx, acct, password, lim)
		mu.Lock()
		defer mu.Unlock()
		jobCtx = ctx
		if stopNext != nil && err == nil {
			snap.Items[0].Title = "Ward moved"
		}
		return snap, err
	}
	opts := cfg.Options
	cfg.Options = func(ctx context.Context, acct *store.Account) (*Options, error) {
		o, err := opts(ctx, acct)
		if err != nil {
			return o, err
		}
		// Called in the step, after the roster was saved: the service
		// stops here, and the step returns once its job's context has
		// ended, as if the stop came just before the commit.
		o.Accepted = func(snap *snapshot.Snapshot, _ bool) {
			mu.Lock()
			stop, ctx := stopNext, jobCtx
			if stop != nil && snap.Items[0].Title == "Ward moved" {
				moved, stopNext = true, nil
			} else {
				stop = nil
			}
			mu.Unlock()
			if stop != nil {
				stop()
				<-ctx.Done()
			}
		}
		return o, nil
	}
	rs := start(t, cfg)
	waitRefreshed(t, f, 1, a)
	require.Eventually(t, func() bool {
		data, err := st.LoadBlob(context.Background(), a.id, feed.StateFile)
		return err == nil && strings.Contains(string(data), marker(a.username))
	}, time.Minute, 5*time.Millisecond)
	mu.Lock()
	stopNext = rs.cancel
	mu.Unlock()
	select {
	case err := <-rs.done:
		require.NoError(t, err)
	case <-time.After(2 * time.Minute):
		t.Fatal("Run did not return")
	}
	rs.cancel = nil
	rs.srv.Close()
	mu.Lock()
	require.True(t, moved, "the step with the new roster ran")
	mu.Unlock()
	data, err := st.LoadBlob(context.Background(), a.id, feed.StateFile)
	require.NoError(t, err)
	require.Contains(t, string(data), "Ward moved", "the step's roster, saved as the service stopped")
	require.Equal(t, 1, liveJobs(t, st)[a.id], "its job waits for the next start")
}
