package service

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// cutChanges is a store whose next Changes, once armed, ends a context
// right after it returns: a job's catchUp whose job ends mid-loop.
type cutChanges struct {
	store.Store
	mu  sync.Mutex
	cut func()
}

func (c *cutChanges) Changes(ctx context.Context, since store.Stamp) ([]store.Change, store.Stamp, error) {
	changes, next, err := c.Store.Changes(ctx, since)
	c.mu.Lock()
	cut := c.cut
	c.cut = nil
	c.mu.Unlock()
	if cut != nil {
		cut()
	}
	return changes, next, err
}

// A change read by a catchUp whose context ends before it is followed is
// followed at the next look, not lost with the stamp past it.
func TestCatchUpCutShortLosesNoChange(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		w := &cutChanges{Store: st}
		f := newFake()
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		cfg := testConfig(w, f, &syncBuffer{})
		cfg.Interval = time.Hour
		cfg.changesEvery = time.Hour
		rs := start(t, cfg)
		waitRefreshed(t, f, 1, alice)
		require.Eventually(t, func() bool {
			rs.s.mu.Lock()
			idle := rs.s.stepping[alice.id] == nil
			rs.s.mu.Unlock()
			return idle && dueOf(rs.s, alice.id).After(time.Now())
		}, time.Minute, time.Millisecond, "the first refresh is done")

		require.NoError(t, st.SetPaused(context.Background(), alice.id, true, "owner"))
		ctx, cancel := context.WithCancel(context.Background())
		w.mu.Lock()
		w.cut = cancel
		w.mu.Unlock()
		rs.s.catchUp(ctx)
		require.Eventually(t, func() bool {
			rs.s.catchUp(context.Background())
			paused, ok := rs.s.Known(alice.id)
			return ok && paused
		}, time.Minute, 5*time.Millisecond, "the pause read by the catchUp cut short was lost")
	})
}

// An account resumed while the dispatcher thinks its job queued (a job
// that found it paused on another replica completes with no refresh
// record) is refreshed now, not once the job's lease ends.
func TestResumeForgetsTheQueuedJob(t *testing.T) {
	kinds(t, func(t *testing.T, open func(key *store.Key) store.Store) {
		st := open(storetest.Key(t))
		f := newFake()
		alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")
		cfg := testConfig(st, f, &syncBuffer{})
		cfg.Interval = time.Hour
		rs := start(t, cfg)
		waitRefreshed(t, f, 1, alice)
		require.Eventually(t, func() bool { return dueOf(rs.s, alice.id).After(time.Now()) }, time.Minute, time.Millisecond)

		ctx := context.Background()
		require.NoError(t, st.SetPaused(ctx, alice.id, true, "owner"))
		require.NoError(t, rs.s.Reload(ctx, alice.id))
		rs.s.mu.Lock()
		r := rs.s.accounts[alice.id]
		r.queued, r.lease = true, time.Now().Add(time.Hour)
		rs.s.mu.Unlock()
		require.NoError(t, st.SetPaused(ctx, alice.id, false, ""))
		require.NoError(t, rs.s.Reload(ctx, alice.id))
		waitRefreshed(t, f, 2, alice)
	})
}
