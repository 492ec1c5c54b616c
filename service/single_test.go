package service

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// In Single mode the first refresh is due at once, however recent the
// last good roster: the single-account serve has always refreshed at its
// start.
func TestSingleStartDueIsNow(t *testing.T) {
	iv := 30 * time.Minute
	s := &Service{cfg: Config{Interval: iv, Single: true}}
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	r := &account{id: 7, phase: s.phase(7), row: &store.Account{}}
	r.row.Health.LastGood = now.Add(-5 * time.Minute)
	require.Equal(t, now, s.startDue(r, now))
}

// A single-account serve's service keeps that serve's ways: its log
// lines name no account and its warnings are "rosteron: warning: …"; a
// roster saved a moment ago is refreshed at once all the same, and the
// next refresh comes after the refresher's own wait, which its status
// shows, not at a phase of the interval.
func TestSingleKeepsTheServesWays(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	a, sec, err := st.Create(ctx, store.NewAccount{Username: "alice", Instance: "https://a.example/RosterOn"})
	require.NoError(t, err)
	// A roster saved a moment ago, and a history that cannot be read.
	fd := feed.New(feed.WithState(store.State{Store: st, ID: a.ID}), feed.WithSource(a.Instance, a.Username))
	_, err = fd.Update(rosterOf("alice"))
	require.NoError(t, err)
	require.NoError(t, st.SaveBlob(ctx, a.ID, feed.CalendarFile, []byte("{not json")))

	f := newFake()
	log := &syncBuffer{}
	cfg := testConfig(st, f, log)
	cfg.Single = true
	cfg.Interval = time.Hour
	cfg.Options = func(context.Context, *store.Account) (*Options, error) {
		return &Options{Password: "pw-alice-1111", Token: sec.Token}, nil
	}
	rs := start(t, cfg)
	waitRefreshed(t, f, 1, testAccount{id: a.ID})
	var due time.Time
	var status feed.Status
	require.Eventually(t, func() bool {
		rs.s.mu.Lock()
		r := rs.s.accounts[a.ID]
		queued := r.queued
		due = r.due
		rs.s.mu.Unlock()
		status, _ = rs.s.Status(a.ID)
		return !queued && status.NextRefresh != nil
	}, time.Minute, 5*time.Millisecond)
	rs.stop(t)

	require.WithinDuration(t, *status.NextRefresh, due, 10*time.Second,
		"the next refresh is the refresher's, not at the account's phase")
	out := log.String()
	require.NotContains(t, out, "[#", "no account named in the lines")
	require.Regexp(t, regexp.MustCompile(`(?m)^rosteron serve: \S+ refresh ok in \S+: \d+ shifts, \w+; next in `), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^rosteron: warning: the calendar's event history was set aside: `), out)
}
