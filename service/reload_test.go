package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

func dueOf(s *Service, id store.ID) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.accounts[id]; r != nil {
		return r.due
	}
	return time.Time{}
}

// A Reload while the account's refresh runs waits for it: the new
// runtime starts from the stop that refresh saved, and never logs in
// again with the rejected password.
func TestReloadDuringRefreshKeepsTheStop(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		hold, started := make(chan struct{}), make(chan store.ID, 1)
		f.setHold(hold, started)
		bob := addAccount(t, st, "bob", "a.example", wrongPassword)
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.Interval = time.Hour
		rs := start(t, cfg)

		<-started
		reloaded := make(chan error, 1)
		go func() { reloaded <- rs.s.Reload(context.Background(), bob.id) }()
		// The Reload waits for the refresh under way (or, were it not to,
		// has built the new runtime already).
		require.Eventually(t, func() bool {
			rs.s.mu.Lock()
			defer rs.s.mu.Unlock()
			return rs.s.stepWaits > 0 || len(reloaded) > 0
		}, time.Minute, time.Millisecond)
		close(hold)
		require.NoError(t, <-reloaded)

		s, ok := rs.s.Status(bob.id)
		require.True(t, ok)
		require.Equal(t, feed.StateStopped, s.State, "the new runtime forgot the stop")
		rs.s.mu.Lock()
		stopped := rs.s.accounts[bob.id].stopped
		rs.s.mu.Unlock()
		require.True(t, stopped)
		// A Reload after the stop changes nothing either.
		require.NoError(t, rs.s.Reload(context.Background(), bob.id))
		rs.stop(t)
		require.Equal(t, 1, f.count(bob.id), "the rejected password was tried again")
	})
}

// A Reload with nothing changed keeps the next refresh's time; one with a
// new password makes it due now.
func TestReloadKeepsTheDueTime(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.Interval = time.Hour
		rs := start(t, cfg)
		waitRefreshed(t, f, 1, alice)
		require.Eventually(t, func() bool { return dueOf(rs.s, alice.id).After(time.Now()) }, time.Minute, time.Millisecond)
		due := dueOf(rs.s, alice.id)

		require.NoError(t, rs.s.Reload(context.Background(), alice.id))
		require.Equal(t, due, dueOf(rs.s, alice.id), "a Reload with nothing changed moved the next refresh")
		require.Equal(t, 1, f.count(alice.id))
		paused, ok := rs.s.Known(alice.id)
		require.True(t, ok)
		require.False(t, paused)

		require.NoError(t, st.SetPassword(context.Background(), alice.id, "pw-alice-new-2222"))
		require.NoError(t, rs.s.Reload(context.Background(), alice.id))
		waitRefreshed(t, f, 2, alice)
	})
}

// Check goes through the refreshes' limits, without waiting: ErrBusy when
// the host is full, when the browser is, and when the host's next login
// slot is far away.
func TestCheckLimits(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		hold, started := make(chan struct{}), make(chan store.ID, 1)
		f.setHold(hold, started)
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.Interval = time.Hour
		cfg.PerHost = 1
		cfg.MaxSessions = 2
		rs := start(t, cfg)
		<-started // alice's refresh holds a.example's one place

		other := &store.Account{ID: 99, Username: "zed", Instance: "https://a.example/RosterOn"}
		require.ErrorIs(t, rs.s.Check(context.Background(), other, "pw-zed"), ErrBusy, "the host is full")

		// The browser full: one refresh, and one Check held on b.example.
		onB := &store.Account{ID: 98, Username: "yan", Instance: "https://b.example/RosterOn"}
		checked := make(chan error, 1)
		go func() { checked <- rs.s.Check(context.Background(), onB, "pw-yan") }()
		require.Equal(t, store.ID(98), <-started)
		onC := &store.Account{ID: 97, Username: "xi", Instance: "https://c.example/RosterOn"}
		require.ErrorIs(t, rs.s.Check(context.Background(), onC, "pw-xi"), ErrBusy, "the browser is full")
		close(hold)
		require.NoError(t, <-checked)
		waitRefreshed(t, f, 1, alice)
		f.setHold(nil, nil)

		// A wrong password's error comes back classified.
		err := rs.s.Check(context.Background(), onC, wrongPassword)
		require.ErrorIs(t, err, feed.ErrPermanent)
		require.Equal(t, 1, f.count(97))
	})
}

// Check's login waits for the host's login gap: a slot far away is
// ErrBusy.
func TestCheckRespectsTheLoginGap(t *testing.T) {
	st := storetest.Open(t)
	f := newFake()
	cfg := testConfig(st, f, &syncBuffer{})
	cfg.LoginGap = time.Hour
	rs := start(t, cfg)
	require.Eventually(t, rs.s.sched.Load, time.Minute, time.Millisecond)
	a := &store.Account{ID: 99, Username: "zed", Instance: "https://a.example/RosterOn"}
	require.NoError(t, rs.s.Check(context.Background(), a, "pw-zed-1"))
	require.ErrorIs(t, rs.s.Check(context.Background(), a, "pw-zed-2"), ErrBusy)
	require.Equal(t, 1, f.count(99))
}

// Verified lifts a lock-out stop kept for the password: one more login.
func TestVerifiedLiftsTheStop(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		bob := addAccount(t, st, "bob", "a.example", wrongPassword)
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.Interval = time.Hour
		rs := start(t, cfg)
		require.Eventually(t, func() bool {
			s, ok := rs.s.Status(bob.id)
			return ok && s.State == feed.StateStopped
		}, time.Minute, time.Millisecond)
		require.NoError(t, rs.s.Reload(context.Background(), bob.id))
		require.Equal(t, 1, f.count(bob.id))
		require.NoError(t, rs.s.Verified(context.Background(), bob.id))
		waitRefreshed(t, f, 2, bob)
	})
}

// An account its Options decline is stopped with their reason, said once
// however often it is reloaded.
func TestNotRefreshedSaidOnce(t *testing.T) {
	st := storetest.Open(t)
	f := newFake()
	log := &syncBuffer{}
	ann := addAccount(t, st, "ann", "b.example", "pw-ann-1111")
	cfg := testConfig(st, f, log)
	const why = "its instance https://b.example/RosterOn is not one of --allow-instance's: not refreshed"
	cfg.Options = func(context.Context, *store.Account) (*Options, error) { return nil, &NotRefreshed{Why: why} }
	rs := start(t, cfg)
	require.Eventually(t, func() bool {
		s, ok := rs.s.Status(ann.id)
		return ok && s.State == feed.StateStopped
	}, time.Minute, time.Millisecond)
	require.NoError(t, rs.s.Reload(context.Background(), ann.id))
	require.NoError(t, rs.s.Reload(context.Background(), ann.id))
	s, _ := rs.s.Status(ann.id)
	require.Equal(t, why, s.LastError)
	require.Equal(t, 1, strings.Count(log.String(), why), log.String())
	require.NotContains(t, log.String(), "could not be read")
	require.Equal(t, 0, f.count(ann.id))
}
