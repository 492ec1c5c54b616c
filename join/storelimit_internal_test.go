package join

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// countingStore counts the store's Hit calls.
type countingStore struct {
	store.Store
	hits atomic.Int32
}

func (c *countingStore) Hit(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	c.hits.Add(1)
	return c.Store.Hit(ctx, key, limit, window)
}

// The StoreLimiter asks the store only when its replica's own count
// admits, at most storeLimitCalls at a time (else the attempt is refused
// as busy, and counted nowhere), and gives attempts back in both.
func TestStoreLimiterLocalFirstAndRefund(t *testing.T) {
	storetest.Kinds(t, func(t *testing.T, open func(t *testing.T, key *store.Key) store.Store) {
		ctx := context.Background()
		st := &countingStore{Store: open(t, storetest.Key(t))}
		a, err := NewStoreLimiter(ctx, st)
		require.NoError(t, err)
		b, err := NewStoreLimiter(ctx, st)
		require.NoError(t, err)
		limit := Limit{N: 3, Per: 24 * time.Hour, Window: true}
		const user = "user:hospital-a\x00alice"

		for i := range 3 {
			ok, _, err := a.Take(ctx, user, limit)
			require.NoError(t, err)
			require.True(t, ok, "attempt %d", i+1)
		}
		require.EqualValues(t, 3, st.hits.Load())
		for range 5 {
			ok, retry, err := a.Take(ctx, user, limit)
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Positive(t, retry)
		}
		assert.EqualValues(t, 3, st.hits.Load(), "refused by the replica's own count, without the store")

		// Told "busy" three times: each attempt given back, on any replica.
		for range 3 {
			require.NoError(t, a.Refund(ctx, user, limit))
		}
		for i := range 3 {
			ok, _, err := b.Take(ctx, user, limit)
			require.NoError(t, err)
			require.True(t, ok, "attempt %d after the refunds, on the other replica", i+1)
		}
		ok, _, err := a.Take(ctx, user, limit)
		require.NoError(t, err)
		assert.False(t, ok, "the store counts every replica")

		// Every store call in use: refused as busy, counted nowhere.
		a.wait = 0
		for range storeLimitCalls {
			a.calls <- struct{}{}
		}
		before := st.hits.Load()
		ok, retry, err := a.Take(ctx, "addr:203.0.113.5", limit)
		require.NoError(t, err)
		assert.False(t, ok, "busy")
		assert.Equal(t, storeLimitBusy, retry)
		assert.Equal(t, before, st.hits.Load())
		for range storeLimitCalls {
			<-a.calls
		}
		for i := range 3 {
			ok, _, err := a.Take(ctx, "addr:203.0.113.5", limit)
			require.NoError(t, err)
			assert.True(t, ok, "attempt %d once free: the busy one was not counted", i+1)
		}
	})
}
