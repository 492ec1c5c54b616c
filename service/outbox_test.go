package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// TestMain is in fleet_test.go.

// ntfyLike is an HTTP receiver of alerts over loopback, as ntfy takes
// them: it counts each alert by its ID, and answers the first fail
// requests 503 with a Retry-After of a second.
type ntfyLike struct {
	*httptest.Server
	mu    sync.Mutex
	got   map[string]int // by X-Rosteron-Alert
	order []string
	tries int
	fail  int
}

func newNtfyLike(t *testing.T, fail int) *ntfyLike {
	t.Helper()
	n := &ntfyLike{got: map[string]int{}, fail: fail}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.mu.Lock()
		defer n.mu.Unlock()
		n.tries++
		if n.fail > 0 {
			n.fail--
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		id := r.Header.Get("X-Rosteron-Alert")
		if id == "" || r.Header.Get("X-Sequence-ID") != id {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n.got[id] == 0 {
			n.order = append(n.order, id)
		}
		n.got[id]++
		_, _ = fmt.Fprintf(w, `{"id":%q,"event":"message"}`, id)
	}))
	t.Cleanup(n.Close)
	return n
}

// alerts returns the alerts received, in order, and how often each was.
func (n *ntfyLike) alerts() ([]string, map[string]int, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	got := make(map[string]int, len(n.got))
	for k, v := range n.got {
		got[k] = v
	}
	return append([]string(nil), n.order...), got, n.tries
}

// changingRoster is a FetchFunc whose roster changes when the test says:
// each version moves every shift's times.
type changingRoster struct {
	version atomic.Int32
	calls   atomic.Int32
}

// countingFetch counts into n the refreshes one replica runs.
func countingFetch(f FetchFunc, n *atomic.Int32) FetchFunc {
	return func(ctx context.Context, a *store.Account, pw string, l *session.Limiter) (*snapshot.Snapshot, error) {
		n.Add(1)
		return f(ctx, a, pw, l)
	}
}

func (c *changingRoster) fetch(_ context.Context, a *store.Account, _ string, _ *session.Limiter) (*snapshot.Snapshot, error) {
	c.calls.Add(1)
	s := rosterOf(a.Username)
	if v := c.version.Load(); v > 0 {
		for i := range s.Items {
			s.Items[i].Title = "Ward " + strconv.Itoa(int(v)) + " - Hospital"
		}
	}
	return s, nil
}

// logOnFailure is a service log shown when the test fails.
func logOnFailure(t *testing.T) *syncBuffer {
	b := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("OUTBOX_LOG") != "" {
			t.Log(b.String())
		}
	})
	return b
}

// eachKind runs f as a subtest on each kind of store.
func eachKind(t *testing.T, f func(t *testing.T, kind store.Kind)) {
	for _, kind := range []store.Kind{store.KindSQLite, store.KindPostgres} {
		t.Run(string(kind), func(t *testing.T) { f(t, kind) })
	}
}

// replicas gives two stores of one database of kind, as two replicas
// open it: on SQLite the one store (one process holds the file), on
// Postgres two.
func replicas(t *testing.T, kind store.Kind) (store.Store, store.Store) {
	t.Helper()
	db := storetest.Fresh(t, kind)
	key := storetest.Key(t)
	a := db(key)
	if kind == store.KindSQLite {
		return a, a
	}
	return a, db(key)
}

// outboxConfig is a test Config whose accounts alert rcv, and calendar
// sync with sync when it is set.
func outboxConfig(st store.Store, fetch FetchFunc, rcv string, sync SyncFunc, log io.Writer) Config {
	cfg := testConfig(st, newFake(), log)
	cfg.Fetch = fetch
	cfg.changesEvery = 50 * time.Millisecond
	base := storeOptions(st)
	cfg.Options = func(ctx context.Context, a *store.Account) (*Options, error) {
		o, err := base(ctx, a)
		if err != nil {
			return nil, err
		}
		tg, err := feed.ParseTarget(rcv + "/roster-topic")
		if err != nil {
			return nil, err
		}
		o.Targets = []*feed.Target{tg}
		o.Sync = sync
		return o, nil
	}
	return cfg
}

// liveOutbox counts the jobs of kind that are not finalized.
func liveOutbox(t *testing.T, db *sql.DB, kind string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = '`+kind+`'
		 AND state IN ('available','pending','scheduled','running','retryable')`).Scan(&n))
	return n
}

func countJobs(t *testing.T, db *sql.DB, kind, state string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = '`+kind+`' AND state = '`+state+`'`).Scan(&n))
	return n
}

// waitBaseline waits until the account's first roster is committed as
// its alerts' baseline.
func waitBaseline(t *testing.T, st store.Store, id store.ID) {
	t.Helper()
	require.Eventually(t, func() bool {
		b, err := st.LoadBlob(context.Background(), id, feed.NotifyFile)
		return err == nil && len(b) > 0
	}, time.Minute, 5*time.Millisecond, "the first roster is committed")
}

// settle waits until the account has been refreshed n more times and no
// notify job lives: whatever was to be delivered has been.
func settle(t *testing.T, c *changingRoster, db *sql.DB, n int) {
	t.Helper()
	after := c.calls.Load() + int32(n)
	require.Eventually(t, func() bool {
		return c.calls.Load() >= after && liveOutbox(t, db, "notify") == 0
	}, time.Minute, 10*time.Millisecond, "%d more refreshes and no notify job left", n)
}

// A roster change found by a refresh is alerted once, though two
// services (replicas) on one database run the account's jobs, and though
// the refreshes after it find the same roster.
func TestOutboxAlertsOnceAcrossReplicas(t *testing.T) {
	eachKind(t, func(t *testing.T, kind store.Kind) {
		st1, st2 := replicas(t, kind)
		rcv := newNtfyLike(t, 0)
		c := &changingRoster{}
		a := addAccount(t, st1, "alice", "a.example", "pw-alice-1111")
		log := logOnFailure(t)
		var by1, by2 atomic.Int32
		start(t, outboxConfig(st1, countingFetch(c.fetch, &by1), rcv.URL, nil, log))
		// The second once the first has migrated River's tables (the
		// migration lock is the lead's to wire, see run.go).
		waitBaseline(t, st1, a.id)
		start(t, outboxConfig(st2, countingFetch(c.fetch, &by2), rcv.URL, nil, log))
		require.Eventually(t, func() bool { return by2.Load() > 0 }, time.Minute, 5*time.Millisecond,
			"the second replica runs the account's refreshes too")

		c.version.Store(1)
		require.Eventually(t, func() bool {
			order, _, _ := rcv.alerts()
			return len(order) == 1
		}, time.Minute, 5*time.Millisecond, "the change is alerted")
		settle(t, c, st1.DB(), 5)
		order, got, tries := rcv.alerts()
		require.Len(t, order, 1, "one alert for one change")
		assert.Equal(t, 1, got[order[0]], "delivered once")
		assert.Equal(t, 1, tries)

		// A second change: one more alert, once.
		c.version.Store(2)
		require.Eventually(t, func() bool {
			order, _, _ := rcv.alerts()
			return len(order) == 2
		}, time.Minute, 5*time.Millisecond, "the second change is alerted")
		settle(t, c, st1.DB(), 5)
		order, got, tries = rcv.alerts()
		require.Len(t, order, 2)
		assert.Equal(t, 1, got[order[1]])
		assert.Equal(t, 2, tries)
		jobs := countJobs(t, st1.DB(), "notify", "completed")
		t.Logf("refreshes: %d by the first replica, %d by the second; notify jobs: %d", by1.Load(), by2.Load(), jobs)
		assert.LessOrEqual(t, jobs, 4, "a notify job for each change, not one for each refresh")
		noSecrets(t, log.String(), a)
		assert.NotContains(t, log.String(), "roster-topic", "the topic is the alerts' password")
	})
}

// refusingCommit is a store whose refresh commit (SaveBlobsTx) fails
// once a refresh has queued an alert, as a process that dies before its
// commit: the transaction is rolled back.
type refusingCommit struct {
	store.Store
	mu      sync.Mutex
	armed   bool
	refused []string // the alert IDs of the commit refused
}

var errDied = errors.New("the process died before its commit")

func (r *refusingCommit) SaveBlobsTx(ctx context.Context, tx *sql.Tx, id store.ID, blobs map[string][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := blobs[feed.NotifyFile]; ok && r.armed {
		var st struct {
			Outbox []struct {
				ID string `json:"id"`
			} `json:"outbox"`
		}
		if json.Unmarshal(b, &st) == nil && len(st.Outbox) > 0 {
			r.armed = false
			for _, a := range st.Outbox {
				r.refused = append(r.refused, a.ID)
			}
			return errDied
		}
	}
	return r.Store.SaveBlobsTx(ctx, tx, id, blobs)
}

func (r *refusingCommit) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refused...)
}

// A refresh whose commit is lost (the transaction rolled back, as when
// its process dies) delivers nothing of what it queued: its alert never
// reaches the receiver. The job runs again, finds the change again, and
// that alert is delivered, once.
func TestOutboxCrashBeforeCommitDeliversNothing(t *testing.T) {
	storetest.Kinds(t, func(t *testing.T, open func(*testing.T, *store.Key) store.Store) {
		st := &refusingCommit{Store: open(t, storetest.Key(t))}
		rcv := newNtfyLike(t, 0)
		c := &changingRoster{}
		a := addAccount(t, st, "bob", "b.example", "pw-bob-22222")
		log := logOnFailure(t)
		start(t, outboxConfig(st, c.fetch, rcv.URL, nil, log))
		waitBaseline(t, st, a.id)

		st.mu.Lock()
		st.armed = true
		st.mu.Unlock()
		c.version.Store(1)
		require.Eventually(t, func() bool {
			order, _, _ := rcv.alerts()
			return len(order) == 1
		}, time.Minute, 5*time.Millisecond, "the change is alerted after the repeat")
		settle(t, c, st.DB(), 5)
		refused := st.ids()
		require.Len(t, refused, 1, "one commit refused, with its alert")
		order, got, _ := rcv.alerts()
		require.Len(t, order, 1, "one alert for the change")
		assert.NotContains(t, got, refused[0], "the alert of the commit lost is never sent")
		assert.Equal(t, 1, got[order[0]])
		assert.Contains(t, log.String(), errDied.Error())
	})
}

// A receiver that fails is tried again by the notify job, snoozed for
// its wait, until it takes the alert: delivered once, after two 503s.
func TestOutboxRetriesAFailingReceiver(t *testing.T) {
	storetest.Kinds(t, func(t *testing.T, open func(*testing.T, *store.Key) store.Store) {
		testOutboxRetries(t, open(t, storetest.Key(t)))
	})
}

func testOutboxRetries(t *testing.T, st store.Store) {
	rcv := newNtfyLike(t, 2)
	c := &changingRoster{}
	a := addAccount(t, st, "carol", "c.example", "pw-carol-3333")
	log := logOnFailure(t)
	start(t, outboxConfig(st, c.fetch, rcv.URL, nil, log))
	waitBaseline(t, st, a.id)
	c.version.Store(1)
	require.Eventually(t, func() bool {
		order, _, _ := rcv.alerts()
		return len(order) == 1
	}, time.Minute, 10*time.Millisecond, "the alert reaches the receiver once it works")
	settle(t, c, st.DB(), 3)
	order, got, tries := rcv.alerts()
	require.Len(t, order, 1)
	assert.Equal(t, 1, got[order[0]])
	assert.Equal(t, 3, tries, "two 503s, then the delivery")
	assert.Contains(t, log.String(), "503")
	assert.Zero(t, countJobs(t, st.DB(), "notify", "discarded"))
}

// recordingSync is an Options.Sync that records the rosters it is given,
// and how many run at once.
type recordingSync struct {
	mu       sync.Mutex
	titles   []string
	running  int
	most     int
	failures int // the first calls fail, with a wait of 10 ms
}

func (r *recordingSync) sync(_ context.Context, snap *snapshot.Snapshot, _ bool) (time.Duration, error) {
	r.mu.Lock()
	r.running++
	r.most = max(r.most, r.running)
	fail := r.failures > 0
	if fail {
		r.failures--
	} else if len(snap.Items) > 0 {
		r.titles = append(r.titles, snap.Items[0].Title)
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running--
		r.mu.Unlock()
	}()
	if fail {
		return 10 * time.Millisecond, errors.New("the calendar answered 503")
	}
	return 0, nil
}

func (r *recordingSync) synced() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.titles...), r.most
}

// The calendar is synced by calendar jobs from the roster committed, one
// at a time for an account across two replicas, a failure tried again;
// and a new roster reaches it.
func TestOutboxCalendarJobs(t *testing.T) {
	eachKind(t, func(t *testing.T, kind store.Kind) {
		st1, st2 := replicas(t, kind)
		rcv := newNtfyLike(t, 0)
		c := &changingRoster{}
		rs := &recordingSync{failures: 2}
		a := addAccount(t, st1, "dave", "d.example", "pw-dave-44444")
		start(t, outboxConfig(st1, c.fetch, rcv.URL, rs.sync, &syncBuffer{}))
		waitBaseline(t, st1, a.id)
		start(t, outboxConfig(st2, c.fetch, rcv.URL, rs.sync, &syncBuffer{}))
		require.Eventually(t, func() bool {
			titles, _ := rs.synced()
			return len(titles) > 0
		}, time.Minute, 5*time.Millisecond, "the roster is synced, after two failures")
		c.version.Store(3)
		require.Eventually(t, func() bool {
			titles, _ := rs.synced()
			return len(titles) > 0 && titles[len(titles)-1] == "Ward 3 - Hospital"
		}, time.Minute, 5*time.Millisecond, "the new roster is synced")
		_, most := rs.synced()
		assert.Equal(t, 1, most, "one sync at a time for an account, across the replicas")
		assert.Zero(t, countJobs(t, st1.DB(), "calendar", "discarded"))
	})
}

// A calendar job cut short by the job's time limit (a calendar server
// answering just under it) is tried again after River's backoff, as a
// retryable job with its error, not at once for ever.
func TestOutboxTimeoutBacksOff(t *testing.T) {
	st := storetest.Fresh(t, store.KindPostgres)(storetest.Key(t))
	rcv := newNtfyLike(t, 0)
	c := &changingRoster{}
	var calls atomic.Int32
	slow := func(ctx context.Context, _ *snapshot.Snapshot, _ bool) (time.Duration, error) {
		calls.Add(1)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	a := addAccount(t, st, "erin", "e.example", "pw-erin-55555")
	cfg := outboxConfig(st, c.fetch, rcv.URL, slow, &syncBuffer{})
	cfg.JobTimeout = 2 * time.Second
	start(t, cfg)
	waitBaseline(t, st, a.id)
	require.Eventually(t, func() bool {
		return countJobs(t, st.DB(), "calendar", "retryable") == 1
	}, time.Minute, 10*time.Millisecond, "the calendar job cut short waits as retryable")
	assert.Positive(t, calls.Load())
}
