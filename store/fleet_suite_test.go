package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replicas is how many Store handles the fleet tests open on one
// database, as serve replicas would.
const replicas = 3

// eventually polls cond until it holds, failing t after a deadline that
// only a broken store reaches.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 30*time.Second, 5*time.Millisecond, "%s: not within 30s", what)
}

// changesByID indexes changes by account.
func changesByID(cs []Change) map[ID]Change {
	m := map[ID]Change{}
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}

// testFleet is the behaviour of what many processes on one database
// share (Changes, slots, turns, hits, writes in the caller's
// transaction), run on every Store by testStore.
func testFleet(t *testing.T, fresh newDB) {
	ctx := context.Background()

	t.Run("Changes", func(t *testing.T) {
		db := fresh(t)
		key := testKey(t)
		s, other := db(key), db(key)
		changes, stamp, err := s.Changes(ctx, 0)
		require.NoError(t, err)
		assert.Empty(t, changes, "stamp 0 asks for nothing old")
		require.NotZero(t, stamp)

		// expect asks the other replica for the changes since the last
		// call: exactly want on SQLite; on Postgres want and, at most,
		// changes reported before again (a transaction of anyone's on
		// the cluster, autovacuum's too, running at the last call holds
		// its stamp back), never a change that was not made.
		reported := map[ID]Change{}
		expect := func(what string, want ...Change) {
			t.Helper()
			got, next, err := other.Changes(ctx, stamp)
			require.NoError(t, err, what)
			stamp = next
			if s.Kind() == KindSQLite {
				assert.Equal(t, want, got, what)
			} else {
				gotBy, wantBy := changesByID(got), changesByID(want)
				for _, w := range want {
					g := gotBy[w.ID]
					assert.True(t, g.Account || !w.Account, "%s: account %d's row change missed", what, w.ID)
					assert.True(t, g.State || !w.State, "%s: account %d's state change missed", what, w.ID)
				}
				for _, g := range got {
					w, r := wantBy[g.ID], reported[g.ID]
					assert.True(t, !g.Account || w.Account || r.Account, "%s: account %d's row reported changed", what, g.ID)
					assert.True(t, !g.State || w.State || r.State, "%s: account %d's state reported changed", what, g.ID)
				}
			}
			for _, g := range got {
				r := reported[g.ID]
				reported[g.ID] = Change{ID: g.ID, Account: r.Account || g.Account, State: r.State || g.State}
			}
		}
		// stamps reads an account's change stamps, to tell that a write
		// left them.
		stamps := func(id ID) [2]int64 {
			t.Helper()
			var st [2]int64
			require.NoError(t, s.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT changed, state_changed FROM accounts WHERE id = %d`, id)).Scan(&st[0], &st[1]))
			return st
		}

		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example"})
		require.NoError(t, err)
		expect("created", Change{ID: a.ID, Account: true}, Change{ID: b.ID, Account: true})

		// Health is no change; a saved state is; each account once.
		before := stamps(b.ID)
		require.NoError(t, s.SetHealth(ctx, b.ID, Health{State: "ok", LastGood: time.Now()}))
		tx, err := s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, s.SetHealthTx(ctx, tx, b.ID, Health{State: "stale"}))
		require.NoError(t, tx.Commit())
		assert.Equal(t, before, stamps(b.ID), "health changes no stamp")
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte("r1")))
		require.NoError(t, s.SaveBlob(ctx, a.ID, "notify.json", []byte("n1")))
		expect("saved", Change{ID: a.ID, State: true})
		expect("nothing since")

		// Every change of an account's row.
		for what, change := range map[string]func(id ID) error{
			"SetPassword": func(id ID) error { return s.SetPassword(ctx, id, "pw") },
			"SetSettings": func(id ID) error { return s.SetSettings(ctx, id, &Settings{CalendarName: "Work"}) },
			"SetZone":     func(id ID) error { return s.SetZone(ctx, id, "UTC") },
			"SetPaused":   func(id ID) error { return s.SetPaused(ctx, id, true, "owner") },
			"Resumed":     func(id ID) error { return s.SetPaused(ctx, id, false, "") },
			"NewToken":    func(id ID) error { _, err := s.NewToken(ctx, id); return err },
			"NewManage":   func(id ID) error { _, err := s.NewManage(ctx, id); return err },
		} {
			before := stamps(b.ID)
			require.NoError(t, change(b.ID), what)
			after := stamps(b.ID)
			assert.NotEqual(t, before[0], after[0], what)
			assert.Equal(t, before[1], after[1], what)
			expect(what, Change{ID: b.ID, Account: true})
		}

		// Both at once; a deleted account is not among them.
		require.NoError(t, s.SetZone(ctx, a.ID, "UTC"))
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte("r2")))
		require.NoError(t, s.SaveBlob(ctx, b.ID, "roster.json", []byte("r")))
		require.NoError(t, s.Delete(ctx, b.ID))
		delete(reported, b.ID)
		expect("both, and a delete", Change{ID: a.ID, Account: true, State: true})

		// SaveBlobsTx bumps State when its transaction commits, and
		// nothing when it is rolled back.
		before = stamps(a.ID)
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, s.SaveBlobsTx(ctx, tx, a.ID, map[string][]byte{"roster.json": []byte("r3")}))
		require.NoError(t, tx.Rollback())
		assert.Equal(t, before, stamps(a.ID))
		expect("rolled back")
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, s.SaveBlobsTx(ctx, tx, a.ID, map[string][]byte{"roster.json": []byte("r4")}))
		require.NoError(t, s.SetHealthTx(ctx, tx, a.ID, Health{State: "ok"}))
		require.NoError(t, tx.Commit())
		expect("SaveBlobsTx", Change{ID: a.ID, State: true})
	})

	// Changes never misses a change, whatever order concurrent writers
	// commit in: a reader polling while they write sees every account
	// saved at least once.
	t.Run("ChangesNeverMissed", func(t *testing.T) {
		db := fresh(t)
		key := testKey(t)
		stores := make([]Store, replicas)
		for i := range stores {
			stores[i] = db(key)
		}
		const n = 60
		ids := make([]ID, n)
		for i := range ids {
			a, _, err := stores[0].Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example"})
			require.NoError(t, err)
			ids[i] = a.ID
		}
		_, stamp, err := stores[0].Changes(ctx, 0)
		require.NoError(t, err)

		seen := map[ID]bool{}
		poll := func() {
			changes, next, err := stores[replicas-1].Changes(ctx, stamp)
			require.NoError(t, err)
			for _, c := range changes {
				if c.State {
					seen[c.ID] = true
				}
			}
			stamp = next
		}
		var wg sync.WaitGroup
		var writing atomic.Int32
		writing.Store(int32(replicas * 4))
		errs := make(chan error, n)
		for w := range replicas * 4 {
			wg.Go(func() {
				defer writing.Add(-1)
				s := stores[w%replicas]
				for i := w; i < n; i += replicas * 4 {
					// Some through a transaction that does more
					// first, so that commits come out of order.
					if i%3 == 0 {
						tx, err := s.DB().BeginTx(ctx, nil)
						if err == nil {
							err = s.SaveBlobsTx(ctx, tx, ids[i], map[string][]byte{"roster.json": []byte("x")})
						}
						if err == nil {
							err = s.SetHealthTx(ctx, tx, ids[i], Health{State: "ok"})
						}
						if err == nil {
							err = tx.Commit()
						} else if tx != nil {
							tx.Rollback()
						}
						if err != nil {
							errs <- err
						}
						continue
					}
					if err := s.SaveBlob(ctx, ids[i], "roster.json", []byte("x")); err != nil {
						errs <- err
					}
				}
			})
		}
		for writing.Load() > 0 {
			poll()
		}
		wg.Wait()
		poll()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for i, id := range ids {
			assert.True(t, seen[id], "account %d's saved state was never reported", i)
		}
	})

	t.Run("WritesInTx", func(t *testing.T) {
		s := fresh(t)(testKey(t))
		a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
		require.NoError(t, err)
		require.NoError(t, s.SaveBlob(ctx, a.ID, "notify.json", []byte("old")))

		h := Health{State: "ok", Why: "", LastGood: time.Date(2026, 12, 6, 1, 2, 3, 4, time.UTC), NextRefresh: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)}
		tx, err := s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, s.SaveBlobsTx(ctx, tx, a.ID, map[string][]byte{"roster.json": []byte("r"), "notify.json": []byte("new"), "empty": nil}))
		require.NoError(t, s.SetHealthTx(ctx, tx, a.ID, h))
		require.NoError(t, tx.Commit())
		for name, want := range map[string]string{"roster.json": "r", "notify.json": "new", "empty": ""} {
			got, err := s.LoadBlob(ctx, a.ID, name)
			require.NoError(t, err, name)
			assert.Equal(t, want, string(got), name)
		}
		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, h.State, got.Health.State)
		assert.True(t, h.LastGood.Equal(got.Health.LastGood))
		assert.True(t, h.NextRefresh.Equal(got.Health.NextRefresh))

		// Rolled back: nothing of it is kept.
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, s.SaveBlobsTx(ctx, tx, a.ID, map[string][]byte{"roster.json": []byte("lost"), "calendar.json": []byte("lost")}))
		require.NoError(t, s.SetHealthTx(ctx, tx, a.ID, Health{State: "stopped"}))
		require.NoError(t, tx.Rollback())
		data, err := s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, "r", string(data))
		_, err = s.LoadBlob(ctx, a.ID, "calendar.json")
		assert.ErrorIs(t, err, ErrNotFound)
		got, err = s.Get(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "ok", got.Health.State)

		// Errors.
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, s.SaveBlobsTx(ctx, tx, a.ID+1000, map[string][]byte{"roster.json": []byte("x")}), ErrNotFound)
		require.NoError(t, tx.Rollback())
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, s.SetHealthTx(ctx, tx, a.ID+1000, Health{State: "ok"}), ErrNotFound)
		require.NoError(t, tx.Rollback())
		tx, err = s.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, s.SaveBlobsTx(ctx, tx, a.ID, map[string][]byte{"": []byte("x")}), ErrStore)
		require.NoError(t, tx.Rollback())
		assert.ErrorIs(t, s.SaveBlobsTx(ctx, nil, a.ID, nil), ErrStore)
		assert.ErrorIs(t, s.SetHealthTx(ctx, nil, a.ID, Health{}), ErrStore)
	})

	t.Run("Slots", func(t *testing.T) {
		db := fresh(t)
		s, other := db(nil), db(nil)
		slot, ok, err := s.TakeSlot(ctx, "host-a", 2, "h1", time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 0, slot)
		slot, ok, err = other.TakeSlot(ctx, "host-a", 2, "h2", time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 1, slot)
		_, ok, err = other.TakeSlot(ctx, "host-a", 2, "h3", time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "both places are held")
		slot, ok, err = s.TakeSlot(ctx, "host-a", 2, "h1", time.Hour)
		require.NoError(t, err)
		assert.True(t, ok, "a holder taking again gets its place again")
		assert.Equal(t, 0, slot)
		slot, ok, err = s.TakeSlot(ctx, "host-b", 2, "h3", time.Hour)
		require.NoError(t, err)
		assert.True(t, ok, "another name has places of its own")
		assert.Equal(t, 0, slot)

		require.NoError(t, s.ReleaseSlot(ctx, "host-a", 0, "h2"), "not h2's: nothing")
		_, ok, err = other.TakeSlot(ctx, "host-a", 2, "h3", time.Hour)
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, s.ReleaseSlot(ctx, "host-a", 0, "h1"))
		slot, ok, err = other.TakeSlot(ctx, "host-a", 2, "h3", time.Hour)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, 0, slot)
		require.NoError(t, s.ReleaseSlot(ctx, "host-a", 0, "h1"), "released twice: nothing")
		_, ok, err = other.TakeSlot(ctx, "host-a", 2, "h4", time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "h1's second release freed nothing of h3's")

		// An expired lease is taken over.
		slot, ok, err = s.TakeSlot(ctx, "host-c", 1, "short", 50*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		eventually(t, "the expired place taken over", func() bool {
			got, ok, err := other.TakeSlot(ctx, "host-c", 1, "next", time.Hour)
			require.NoError(t, err)
			if ok {
				assert.Equal(t, slot, got)
			}
			return ok
		})
		require.NoError(t, s.ReleaseSlot(ctx, "host-c", slot, "short"), "the old holder's late release frees nothing")
		_, ok, err = s.TakeSlot(ctx, "host-c", 1, "third", time.Hour)
		require.NoError(t, err)
		assert.False(t, ok)

		for _, bad := range []func() error{
			func() error { _, _, err := s.TakeSlot(ctx, "", 1, "h", time.Hour); return err },
			func() error { _, _, err := s.TakeSlot(ctx, "x", 1, "", time.Hour); return err },
			func() error { _, _, err := s.TakeSlot(ctx, "x", 0, "h", time.Hour); return err },
			func() error { _, _, err := s.TakeSlot(ctx, "x", 1, "h", 0); return err },
		} {
			assert.ErrorIs(t, bad(), ErrStore)
		}
	})

	// Replicas taking places from many goroutines never hold more than
	// the limit at once.
	t.Run("SlotsConcurrent", func(t *testing.T) {
		db := fresh(t)
		stores := make([]Store, replicas)
		for i := range stores {
			stores[i] = db(nil)
		}
		const limit, workers, rounds = 3, 12, 6
		var mu sync.Mutex
		held := map[int]string{}
		var now, peak, taken atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := range workers {
			wg.Go(func() {
				s := stores[w%replicas]
				for r := range rounds {
					holder := fmt.Sprintf("w%d-r%d", w, r)
					var slot int
					for {
						var ok bool
						var err error
						slot, ok, err = s.TakeSlot(ctx, "mock-host", limit, holder, time.Minute)
						if err != nil {
							errs <- err
							return
						}
						if ok {
							break
						}
						runtime.Gosched() // and try again
					}
					n := now.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					taken.Add(1)
					mu.Lock()
					if h, ok := held[slot]; ok {
						errs <- fmt.Errorf("slot %d given to %s while %s held it", slot, holder, h)
					}
					held[slot] = holder
					mu.Unlock()
					// Some work while holding it, as a login would.
					for range 3 {
						if _, err := s.Get(ctx, 1); err != nil && !errors.Is(err, ErrNotFound) {
							errs <- err
						}
					}

					mu.Lock()
					delete(held, slot)
					mu.Unlock()
					now.Add(-1)
					if err := s.ReleaseSlot(ctx, "mock-host", slot, holder); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		assert.EqualValues(t, workers*rounds, taken.Load())
		assert.LessOrEqual(t, peak.Load(), int32(limit))
		assert.Positive(t, peak.Load())
	})

	t.Run("NextTurn", func(t *testing.T) {
		db := fresh(t)
		s, other := db(nil), db(nil)
		before := time.Now()
		t1, err := s.NextTurn(ctx, "host-a", time.Hour)
		require.NoError(t, err)
		assert.WithinDuration(t, before, t1, time.Minute, "the first turn is now")
		t2, err := other.NextTurn(ctx, "host-a", time.Hour)
		require.NoError(t, err)
		assert.Equal(t, time.Hour, t2.Sub(t1), "the next is a gap later")
		t3, err := s.NextTurn(ctx, "host-a", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, time.Hour, t3.Sub(t2), "the gap already reserved holds")
		u, err := s.NextTurn(ctx, "host-b", time.Hour)
		require.NoError(t, err)
		assert.True(t, u.Before(t2), "another name has turns of its own")
		z1, err := s.NextTurn(ctx, "host-c", 0)
		require.NoError(t, err)
		z2, err := s.NextTurn(ctx, "host-c", 0)
		require.NoError(t, err)
		assert.False(t, z2.Before(z1))

		_, err = s.NextTurn(ctx, "", time.Second)
		assert.ErrorIs(t, err, ErrStore)
		_, err = s.NextTurn(ctx, "x", -time.Second)
		assert.ErrorIs(t, err, ErrStore)
	})

	// Turns reserved at once by replicas are never closer than the gap.
	t.Run("NextTurnConcurrent", func(t *testing.T) {
		db := fresh(t)
		stores := make([]Store, replicas)
		for i := range stores {
			stores[i] = db(nil)
		}
		const gap = 10 * time.Millisecond
		const workers, each = 12, 5
		var mu sync.Mutex
		var turns []time.Time
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for range each {
					at, err := stores[w%replicas].NextTurn(ctx, "mock-host", gap)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					turns = append(turns, at)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		require.Len(t, turns, workers*each)
		sort.Slice(turns, func(i, j int) bool { return turns[i].Before(turns[j]) })
		for i := 1; i < len(turns); i++ {
			assert.GreaterOrEqual(t, turns[i].Sub(turns[i-1]), gap, "turns %d and %d", i-1, i)
		}
	})

	t.Run("Hit", func(t *testing.T) {
		db := fresh(t)
		s, other := db(nil), db(nil)
		for i := range 3 {
			ok, retry, err := s.Hit(ctx, "mac-a", 3, time.Hour)
			require.NoError(t, err)
			assert.True(t, ok, "hit %d", i)
			assert.Zero(t, retry)
		}
		ok, retry, err := other.Hit(ctx, "mac-a", 3, time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "the limit is for every replica together")
		assert.Greater(t, retry, 59*time.Minute)
		assert.LessOrEqual(t, retry, time.Hour)
		ok, _, err = other.Hit(ctx, "mac-b", 3, time.Hour)
		require.NoError(t, err)
		assert.True(t, ok, "another key counts apart")

		// The window slides: once the first leaves, one more is let in.
		const window = 300 * time.Millisecond
		first := time.Now()
		ok, _, err = s.Hit(ctx, "mac-c", 1, window)
		require.NoError(t, err)
		require.True(t, ok)
		ok, retry, err = s.Hit(ctx, "mac-c", 1, window)
		require.NoError(t, err)
		if time.Since(first) < window {
			// (A machine slow enough to take the window between the
			// two calls lets the second in, rightly.)
			assert.False(t, ok, "the second within the window")
			assert.LessOrEqual(t, retry, window)
			assert.Positive(t, retry)
		}
		eventually(t, "mac-c let in again", func() bool {
			ok, _, err := other.Hit(ctx, "mac-c", 1, window)
			require.NoError(t, err)
			return ok
		})

		// Keys whose events have all left the window are pruned.
		rows := func(key string) int {
			var n int
			require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM hits WHERE key = '`+key+`'`).Scan(&n))
			return n
		}
		ok, _, err = s.Hit(ctx, "mac-old", 5, 20*time.Millisecond)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 1, rows("mac-old"))
		eventually(t, "mac-old pruned", func() bool {
			_, _, err := other.Hit(ctx, "mac-d", 5, time.Hour)
			require.NoError(t, err)
			return rows("mac-old") == 0
		})
		assert.Equal(t, 1, rows("mac-a"), "a key in its window is kept")

		// A hit given back lets one more in, on any replica; giving
		// back with nothing counted is nothing.
		require.NoError(t, other.Unhit(ctx, "mac-a"))
		ok, _, err = s.Hit(ctx, "mac-a", 3, time.Hour)
		require.NoError(t, err)
		assert.True(t, ok, "the given-back hit's place")
		ok, _, err = other.Hit(ctx, "mac-a", 3, time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "one place only")
		require.NoError(t, s.Unhit(ctx, "mac-never"))
		assert.ErrorIs(t, s.Unhit(ctx, ""), ErrStore)

		for _, bad := range []func() error{
			func() error { _, _, err := s.Hit(ctx, "", 1, time.Hour); return err },
			func() error { _, _, err := s.Hit(ctx, "k", 0, time.Hour); return err },
			func() error { _, _, err := s.Hit(ctx, "k", 1, 0); return err },
		} {
			assert.ErrorIs(t, bad(), ErrStore)
		}
	})

	// Replicas counting one key from many goroutines admit exactly the
	// limit.
	t.Run("HitConcurrent", func(t *testing.T) {
		db := fresh(t)
		stores := make([]Store, replicas)
		for i := range stores {
			stores[i] = db(nil)
		}
		const limit, workers, each = 7, 12, 3
		var admitted atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for range each {
					ok, _, err := stores[w%replicas].Hit(ctx, "join-mac", limit, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		assert.EqualValues(t, limit, admitted.Load())
	})

	// Usernames fold ASCII letters only, on every database: É and é are
	// two letters, as in SQLite's lower().
	t.Run("UsernameNonASCII", func(t *testing.T) {
		s := fresh(t)(nil)
		a, _, err := s.Create(ctx, NewAccount{Username: "Émile.Zoë", Instance: "https://a.example"})
		require.NoError(t, err)
		_, _, err = s.Create(ctx, NewAccount{Username: "ÉMILE.ZOë", Instance: "https://a.example"})
		assert.ErrorIs(t, err, ErrExists, "the ASCII letters fold")
		_, err = s.Find(ctx, "https://a.example", "Émile.Zoë"[:len("Émile.Zo")]+"Ë")
		assert.ErrorIs(t, err, ErrNotFound, "ë and Ë are two letters")
		got, err := s.Find(ctx, "https://a.example", "ÉmIlE.zOë")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		b, _, err := s.Create(ctx, NewAccount{Username: "émile.zoë", Instance: "https://a.example"})
		require.NoError(t, err, "É and é are not folded: another account, on SQLite and Postgres alike")
		got, err = s.Find(ctx, "https://a.example", "ÉMILE.zoë")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		got, err = s.Find(ctx, "https://a.example", "éMILE.ZOë")
		require.NoError(t, err)
		assert.Equal(t, b.ID, got.ID)
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 2)
	})

	// A RotateKey that fails part way leaves every value under the old
	// key: it is one transaction.
	t.Run("RotateKeyAtomic", func(t *testing.T) {
		db := fresh(t)
		old := testKey(t)
		s := db(old)
		var ids []ID
		for i := range 4 {
			a, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example", Password: fmt.Sprint("pw", i)})
			require.NoError(t, err)
			ids = append(ids, a.ID)
		}
		// The last account's password is garbage: the rotation fails on
		// it, after resealing the others.
		_, err := s.DB().ExecContext(ctx, fmt.Sprintf(`UPDATE accounts SET password_sealed = token_hash WHERE id = %d`, ids[3]))
		require.NoError(t, err)
		assert.ErrorIs(t, s.RotateKey(ctx, testKey(t)), ErrWrongKey)
		for i, id := range ids[:3] {
			pw, err := s.Password(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprint("pw", i), pw)
		}
		require.NoError(t, s.Close())
		s = db(old)
		pw, err := s.Password(ctx, ids[0])
		require.NoError(t, err, "still under the old key in the database")
		assert.Equal(t, "pw0", pw)
	})
}
