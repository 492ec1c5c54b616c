package feed

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

const (
	outboxURL  = "https://r.example/Mobile"
	outboxUser = "joe"
)

// outboxNotifier is a notifier in Outbox mode over st, as a replica of a
// service builds one: a refresh's, or a delivery job's.
func outboxNotifier(t *testing.T, st State, c *clock, targets ...*Target) *Notifier {
	t.Helper()
	f := New(WithClock(c.Now), WithSecrets(testPassword), WithState(st), WithSource(outboxURL, outboxUser))
	n := NewNotifier(f, targets...)
	n.Outbox = true
	require.NoError(t, n.Load())
	return n
}

// In Outbox mode a refresh only queues; delivery notifiers, one per
// replica, deliver from the state, and each alert reaches each target
// once however many replicas try it, one after the other.
func TestNotifierOutboxDeliversOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	st := newMemState()
	text, hook := newReceiver(t), newReceiver(t)
	targets := func() []*Target {
		return []*Target{target(t, text.URL+"/roster-topic"), target(t, "json+"+hook.URL+"/hook")}
	}
	c := newClock()
	ref := outboxNotifier(t, st, c, targets()...)
	var queued atomic.Int32
	ref.OnQueue = func() { queued.Add(1) }
	var log syncbuf.Buffer
	ref.Log = &log

	first := snap(c.Now(), "Ward 4B", "Ward 5")
	ref.Observe(first)
	assert.Zero(t, ref.Pending(), "the first roster is the baseline")
	second := moved(first, "09:00 - 17:30")
	ref.Observe(second)
	assert.Equal(t, 2, ref.Pending(), "one alert, two targets")
	assert.EqualValues(t, 1, queued.Load())

	// Nothing is sent by the refresh's notifier: no Run, no goroutine.
	for _, r := range []*receiver{text, hook} {
		r.mu.Lock()
		assert.Zero(t, r.tries)
		r.mu.Unlock()
	}

	for range 3 {
		d := outboxNotifier(t, st, c, targets()...)
		retry, err := d.DeliverPending(context.Background())
		require.NoError(t, err)
		assert.Zero(t, retry)
		assert.Zero(t, d.Pending())
	}
	got := text.deliveries()
	require.Len(t, got, 1, "one delivery however many replicas try")
	require.Len(t, hook.deliveries(), 1)
	id := got[0].header.Get("X-Rosteron-Alert")
	assert.NotEmpty(t, id)
	assert.Equal(t, id, got[0].header.Get("X-Sequence-ID"), "ntfy's sequence ID is the alert's")
	assert.Empty(t, hook.deliveries()[0].header.Get("X-Sequence-ID"))

	// The refresh's next roster, unchanged, catches up with the
	// deliveries: nothing pending, so its commit queues no delivery.
	assert.Equal(t, 2, ref.Pending(), "as of its last look")
	ref.Observe(second)
	assert.Zero(t, ref.Pending(), "caught up with the deliveries")
	// Its Load sees nothing pending either; loading twice adds nothing.
	require.NoError(t, ref.Load())
	require.NoError(t, ref.Load())
	assert.Zero(t, ref.Pending())
	third := moved(second, "21:30 - 07:30")
	ref.Observe(third)
	var ns notifyState
	require.NoError(t, json.Unmarshal(st.get(NotifyFile), &ns))
	require.Len(t, ns.Outbox, 1, "only the new alert is queued")
	assert.NotEqual(t, id, ns.Outbox[0].ID)
	d := outboxNotifier(t, st, c, targets()...)
	_, err := d.DeliverPending(context.Background())
	require.NoError(t, err)
	assert.Len(t, text.deliveries(), 2)
	assert.Len(t, hook.deliveries(), 2)
}

// A delivery job that runs while a refresh queues more (two replicas at
// once) loses neither: each writes its own file.
func TestNotifierOutboxRefreshAndDeliveryApart(t *testing.T) {
	t.Parallel()
	st := newMemState()
	rcv := newReceiver(t)
	c := newClock()
	ref := outboxNotifier(t, st, c, target(t, rcv.URL+"/t"))
	first := snap(c.Now(), "Ward 4B", "Ward 5")
	ref.Observe(first)
	second := moved(first, "09:00 - 17:30")
	ref.Observe(second)

	// The delivery loads, then the refresh (which loaded before the
	// delivery's record) queues another alert, then the delivery ends.
	d := outboxNotifier(t, st, c, target(t, rcv.URL+"/t"))
	_, err := d.DeliverPending(context.Background())
	require.NoError(t, err)
	ref.Observe(moved(second, "21:30 - 07:30"))
	assert.Equal(t, 1, ref.Pending(), "the delivered alert is dropped at the save, the new one kept")

	d = outboxNotifier(t, st, c, target(t, rcv.URL+"/t"))
	_, err = d.DeliverPending(context.Background())
	require.NoError(t, err)
	got := rcv.deliveries()
	require.Len(t, got, 2)
	assert.NotEqual(t, got[0].header.Get("X-Rosteron-Alert"), got[1].header.Get("X-Rosteron-Alert"))
}

// A receiver that fails is tried again, after the wait DeliverPending
// returns, by the next delivery (another replica's, say); its failures in
// a row are kept in the state, and a refusal for good is given up.
func TestNotifierOutboxRetriesAFailingReceiver(t *testing.T) {
	t.Parallel()
	st := newMemState()
	flaky := newReceiver(t, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	good := newReceiver(t)
	var goneTries atomic.Int32
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		goneTries.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(gone.Close)
	targets := func() []*Target {
		return []*Target{target(t, flaky.URL+"/a"), target(t, good.URL+"/b"), target(t, gone.URL+"/c")}
	}
	c := newClock()
	ref := outboxNotifier(t, st, c, targets()...)
	first := snap(c.Now(), "Ward 4B", "Ward 5")
	ref.Observe(first)
	ref.Observe(moved(first, "09:00 - 17:30"))

	var waits []time.Duration
	for i := range 3 {
		d := outboxNotifier(t, st, c, targets()...)
		d.Backoff, d.rand = time.Second, func() float64 { return 0.5 }
		retry, err := d.DeliverPending(context.Background())
		if i < 2 {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "503")
			assert.NotContains(t, err.Error(), flaky.URL[len("http://"):]+"/a", "the URL's path is a secret")
			waits = append(waits, retry)
			continue
		}
		require.NoError(t, err)
		assert.Zero(t, retry)
	}
	require.Len(t, waits, 2)
	assert.Greater(t, waits[1], waits[0], "the failures in a row are kept in the state: the wait grows")
	assert.Len(t, flaky.deliveries(), 1)
	assert.Len(t, good.deliveries(), 1, "a failing target holds up no other")
	assert.EqualValues(t, 1, goneTries.Load(), "a 404 is given up, not tried again")
	var sent sentState
	require.NoError(t, json.Unmarshal(st.get(NotifySentFile), &sent))
	assert.Empty(t, sent.Failures, "a success clears the failures")

	// An alert older than MaxAge is given up unsent.
	ref2 := outboxNotifier(t, st, c, targets()...)
	ref2.Observe(moved(first, "21:30 - 07:30"))
	c.Add(DefaultNotifyMaxAge + time.Minute)
	d := outboxNotifier(t, st, c, targets()...)
	_, err := d.DeliverPending(context.Background())
	require.NoError(t, err)
	assert.Len(t, flaky.deliveries(), 1)
	assert.Len(t, good.deliveries(), 1)
}

// LoadRoster reads the roster a feed saved, and refuses another source's.
func TestLoadRoster(t *testing.T) {
	t.Parallel()
	st := newMemState()
	none, err := LoadRoster(st, outboxURL, outboxUser)
	require.NoError(t, err)
	assert.Nil(t, none)
	f, c := newTestFeed(t, WithState(st), WithSource(outboxURL, outboxUser))
	s := snap(c.Now(), "Ward 4B", "Ward 5")
	_, err = f.Update(s)
	require.NoError(t, err)
	got, err := LoadRoster(st, outboxURL+"/", "JOE")
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, s.Items, got.Items)
	_, err = LoadRoster(st, outboxURL, "someone-else")
	require.ErrorIs(t, err, ErrOtherSource)
}

// A replica about to alert to trouble (the leader's health check) does so
// from the state committed, not from what its runtime read before another
// replica's refresh moved it on: the newer baseline and alerts are kept.
func TestNotifierOutboxHealthFromTheStateCommitted(t *testing.T) {
	t.Parallel()
	st := newMemState()
	rcv := newReceiver(t)
	c := newClock()
	stale := outboxNotifier(t, st, c, target(t, rcv.URL+"/t")) // read before the others' refreshes
	other := outboxNotifier(t, st, c, target(t, rcv.URL+"/t"))
	first := snap(c.Now(), "Ward 4B", "Ward 5")
	other.Observe(first)
	second := moved(first, "09:00 - 17:30")
	other.Observe(second)
	var before notifyState
	require.NoError(t, json.Unmarshal(st.get(NotifyFile), &before))
	require.Len(t, before.Outbox, 1)

	stale.health(Status{State: StateStale})
	var after notifyState
	require.NoError(t, json.Unmarshal(st.get(NotifyFile), &after))
	require.Len(t, after.Outbox, 2, "the change's alert kept, the trouble's added")
	assert.Equal(t, before.Outbox[0].ID, after.Outbox[0].ID)
	require.NotNil(t, after.Baseline)
	assert.Equal(t, second.Items, after.Baseline.Items, "the newer baseline kept")
	assert.Equal(t, StateStale, after.Trouble)
	assert.Equal(t, 2, stale.Pending())

	// The same trouble seen again by the other replica: no second alert.
	other.health(Status{State: StateStale})
	var again notifyState
	require.NoError(t, json.Unmarshal(st.get(NotifyFile), &again))
	assert.Len(t, again.Outbox, 2)
}
