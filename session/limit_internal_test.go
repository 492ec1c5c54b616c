package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterPacesCallsApart(t *testing.T) {
	const interval = 20 * time.Millisecond
	l := NewLimiter(0, interval)
	ctx := context.Background()
	var mu sync.Mutex
	var at []time.Time
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			require.NoError(t, l.pace(ctx))
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
		})
	}
	wg.Wait()
	first, last := at[0], at[0]
	for _, a := range at {
		if a.Before(first) {
			first = a
		}
		if a.After(last) {
			last = a
		}
	}
	// The sixth call may go no sooner than five intervals after the first.
	assert.GreaterOrEqual(t, last.Sub(first), 5*interval-time.Millisecond)
}

func TestLimiterSlotsAndCancellation(t *testing.T) {
	l := NewLimiter(1, 0)
	ctx := context.Background()
	require.NoError(t, l.acquire(ctx))
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, l.acquire(short), context.DeadlineExceeded, "the only slot is taken")
	l.release()
	require.NoError(t, l.acquire(ctx))
	l.release()

	var nilLimiter *Limiter
	require.NoError(t, nilLimiter.acquire(ctx), "no limiter, no limit")
	require.NoError(t, nilLimiter.pace(ctx))
	nilLimiter.release()

	slow := NewLimiter(0, time.Hour)
	require.NoError(t, slow.pace(ctx))
	gone, cancel2 := context.WithCancel(ctx)
	cancel2()
	assert.ErrorIs(t, slow.pace(gone), context.Canceled)
}
