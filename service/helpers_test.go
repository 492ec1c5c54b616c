package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

// wrongPassword is the password the fake RosterOn rejects.
const wrongPassword = "wrong-password-0000"

// fakeRosterOn is a FetchFunc without Chrome: it returns each account a
// roster of its own (its titles name the username), rejects
// wrongPassword as RosterOn does (feed.Permanent of a session error), and
// counts the calls under way per host and per account.
type fakeRosterOn struct {
	mu        sync.Mutex
	calls     map[store.ID]int
	passwords map[store.ID][]string
	active    map[string]int // by host
	maxActive map[string]int
	total     int
	maxTotal  int
	acct      map[store.ID]int
	maxAcct   int
	limiters  map[string]*session.Limiter
	limiterOK bool // each host always got the same limiter, and no two hosts one
	// hold, when not nil, makes each call wait until it is closed or the
	// call's ctx ends; started gets each call's account as it starts.
	hold    chan struct{}
	started chan store.ID
}

func newFake() *fakeRosterOn {
	return &fakeRosterOn{
		calls: map[store.ID]int{}, passwords: map[store.ID][]string{}, active: map[string]int{},
		maxActive: map[string]int{}, acct: map[store.ID]int{}, limiters: map[string]*session.Limiter{}, limiterOK: true,
	}
}

func (f *fakeRosterOn) fetch(ctx context.Context, a *store.Account, password string, lim *session.Limiter) (*snapshot.Snapshot, error) {
	host := hostOf(a.Instance)
	f.mu.Lock()
	if lim == nil {
		f.limiterOK = false
	} else if old, ok := f.limiters[host]; ok && old != lim {
		f.limiterOK = false
	} else {
		for h, l := range f.limiters {
			if h != host && l == lim {
				f.limiterOK = false
			}
		}
		f.limiters[host] = lim
	}
	f.calls[a.ID]++
	f.passwords[a.ID] = append(f.passwords[a.ID], password)
	f.active[host]++
	f.maxActive[host] = max(f.maxActive[host], f.active[host])
	f.total++
	f.maxTotal = max(f.maxTotal, f.total)
	f.acct[a.ID]++
	f.maxAcct = max(f.maxAcct, f.acct[a.ID])
	hold, started := f.hold, f.started
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active[host]--
		f.total--
		f.acct[a.ID]--
		f.mu.Unlock()
	}()
	if started != nil {
		select {
		case started <- a.ID:
		default:
		}
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if password == wrongPassword {
		// Quoting the password, as a careless lower layer might: it must
		// reach no log, page or store.
		return nil, feed.Permanent(fmt.Errorf("logging in with %q: %w", password, session.ErrCredentials))
	}
	return rosterOf(a.Username), nil
}

func (f *fakeRosterOn) setHold(hold chan struct{}, started chan store.ID) {
	f.mu.Lock()
	f.hold, f.started = hold, started
	f.mu.Unlock()
}

func (f *fakeRosterOn) count(id store.ID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func (f *fakeRosterOn) activeOn(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active[host]
}

// marker is what each account's roster holds and no other's does.
func marker(username string) string { return "Ward of " + username }

func rosterOf(username string) *snapshot.Snapshot {
	items := mockserver.DemoRosterOf(time.Now(), 6)
	for i := range items {
		items[i].Title = marker(username) + " - Hospital"
	}
	return &snapshot.Snapshot{Time: time.Now().UTC(), Items: items}
}

// syncBuffer is a log several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testAccount is an account made in the store for a test, with its
// secrets.
type testAccount struct {
	id       store.ID
	username string
	host     string
	password string
	token    string
}

func addAccount(t *testing.T, st store.Store, username, host, password string) testAccount {
	t.Helper()
	a, sec, err := st.Create(context.Background(), store.NewAccount{
		Username: username, Instance: "https://" + host + "/RosterOn", Password: password,
	})
	require.NoError(t, err)
	return testAccount{id: a.ID, username: username, host: host, password: password, token: sec.Token}
}

// storeOptions are an account's Options from the store, as the
// multi-account serve builds them.
func storeOptions(st store.Store) OptionsFunc {
	return func(ctx context.Context, a *store.Account) (*Options, error) {
		pw, err := st.Password(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		tok, err := st.Token(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return &Options{Password: pw, Token: tok}, nil
	}
}

// testConfig is a Config for tests: a short interval, quick polling.
func testConfig(st store.Store, f *fakeRosterOn, log io.Writer) Config {
	return Config{
		Store:        st,
		Fetch:        f.fetch,
		Options:      storeOptions(st),
		Interval:     200 * time.Millisecond,
		PerHost:      2,
		LoginGap:     time.Millisecond,
		MaxSessions:  4,
		Log:          log,
		JobTimeout:   time.Minute,
		pollInterval: 20 * time.Millisecond,
		healthEvery:  50 * time.Millisecond,
	}
}

// running is a Service running in the background, stopped at the test's
// end.
type running struct {
	s      *Service
	srv    *httptest.Server
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, cfg Config) *running {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	r.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	r.srv.Close()
	select {
	case err := <-r.done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of its context's end")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// waitRefreshed waits until each account was fetched at least n times.
func waitRefreshed(t *testing.T, f *fakeRosterOn, n int, accts ...testAccount) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, a := range accts {
			if f.count(a.id) < n {
				return false
			}
		}
		return true
	}, time.Minute, 5*time.Millisecond, "every account refreshed %d times", n)
}

// liveJobs counts the refresh jobs that live (not completed, cancelled
// or discarded), by account.
func liveJobs(t *testing.T, st store.Store) map[store.ID]int {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), jobQuery(st,
		`SELECT json_extract(args, '$.account'), count(*) FROM river_job
		 WHERE kind = 'refresh' AND state IN ('available','pending','scheduled','running','retryable')
		 GROUP BY 1`))
	require.NoError(t, err)
	defer rows.Close()
	out := map[store.ID]int{}
	for rows.Next() {
		var id store.ID
		var n int
		require.NoError(t, rows.Scan(&id, &n))
		out[id] = n
	}
	require.NoError(t, rows.Err())
	return out
}

func noSecrets(t *testing.T, text string, accts ...testAccount) {
	t.Helper()
	for _, a := range accts {
		require.False(t, strings.Contains(text, a.password), "a password of %s is in the log", a.username)
		require.False(t, strings.Contains(text, a.token), "a token of %s is in the log", a.username)
	}
}

var errAny = errors.New("any")

var _ = storetest.Open

// kinds runs f on each kind of store, as subtests "sqlite" and
// "postgres": open opens a store in the subtest's fresh database, again
// on the same database each time it is called.
func kinds(t *testing.T, f func(t *testing.T, open func(key *store.Key) store.Store)) {
	t.Helper()
	for _, kind := range []store.Kind{store.KindSQLite, store.KindPostgres} {
		t.Run(string(kind), func(t *testing.T) { f(t, storetest.Fresh(t, kind)) })
	}
}

// jobQuery is q for the store's database: SQLite's json_extract and ?
// placeholders, or Postgres's ->> and $1.
func jobQuery(st store.Store, q string) string {
	if st.Kind() != store.KindPostgres {
		return q
	}
	q = strings.ReplaceAll(q, "json_extract(args, '$.account')", "(args->>'account')::bigint")
	q = strings.ReplaceAll(q, "json_extract(metadata, '$.snoozes')", "(metadata->>'snoozes')::int")
	return strings.ReplaceAll(q, "?", "$1")
}
