package service

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store/storetest"
)

// TestLoginTurnSpacesLoginsPerHost: logins to one host come at least
// LoginGap apart whoever asks, and another host's are not held up by
// them.
func TestLoginTurnSpacesLoginsPerHost(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{LoginGap: 40 * time.Millisecond, Store: storetest.Open(t)}, hosts: map[string]*host{}}
	ctx := context.Background()
	start := time.Now()
	var mu sync.Mutex
	var at []time.Time
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, s.loginTurn(ctx, "a.example"))
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, at, 4)
	// Four logins reserve four slots, the first no earlier than start:
	// the last comes three gaps after start at the earliest (a wait ends
	// late, never early, so a slow machine cannot fail this).
	last := start
	for _, t0 := range at {
		last = maxTime(last, t0)
	}
	assert.GreaterOrEqual(t, last.Sub(start), 3*40*time.Millisecond)

	// The other host's first login is due at once: its turn is free; and
	// it reserved the one a gap after its own.
	before := time.Now()
	require.NoError(t, s.loginTurn(ctx, "b.example"))
	next, err := s.cfg.Store.NextTurn(ctx, "logins b.example", 40*time.Millisecond)
	require.NoError(t, err)
	assert.False(t, next.Before(before.Add(40*time.Millisecond)))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, s.loginTurn(cancelled, "a.example"), context.Canceled)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
