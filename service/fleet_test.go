package service

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
	"github.com/rosteron/rosteron/store/storetest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(workerEnv); dir != "" {
		os.Exit(workerMain(dir))
	}
	os.Exit(pgtest.Main(m))
}

// workerEnv names, in the environment of this test binary run again as a
// replica (TestWorkerDiesMidRefresh), the folder of its database's
// address, password and key, each in a file.
const workerEnv = "ROSTERON_SERVICE_TEST_WORKER"

// workerMain is that replica: a service whose fetch says it started (the
// file "started") and then blocks, until the process is killed.
func workerMain(dir string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	dsn, err := read("dsn")
	if err != nil {
		return fail(err)
	}
	pw, err := read("password")
	if err != nil {
		return fail(err)
	}
	key, err := store.LoadKey(filepath.Join(dir, "key"))
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, store.PostgresConfig{DSN: dsn, Password: pw}, key)
	if err != nil {
		return fail(err)
	}
	s, err := New(Config{
		Store: st,
		Fetch: func(ctx context.Context, a *store.Account, password string, _ *session.Limiter) (*snapshot.Snapshot, error) {
			if err := os.WriteFile(filepath.Join(dir, "started"), []byte("x"), 0o600); err != nil {
				return nil, err
			}
			<-ctx.Done()
			return nil, ctx.Err()
		},
		Options:      storeOptions(st),
		Interval:     time.Hour,
		PerHost:      1,
		LoginGap:     time.Millisecond,
		JobTimeout:   time.Minute,
		Log:          os.Stderr,
		pollInterval: 50 * time.Millisecond,
		changesEvery: 100 * time.Millisecond,
	})
	if err != nil {
		return fail(err)
	}
	return fail(s.Run(ctx))
}

// A replica killed (SIGKILL) mid-refresh leaves its job running and its
// host's place taken; another replica's River rescues the job once
// RescueAfter has passed, runs it again (its login repeated), frees the
// dead one's place, and commits the refresh once.
func TestWorkerDiesMidRefresh(t *testing.T) {
	ctx := context.Background()
	d := pgtest.NewDatabase(t)
	dir := t.TempDir()
	key := storetest.Key(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dsn"), []byte(d.DSN), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "password"), []byte(d.Password), 0o600))
	require.NoError(t, store.WriteKeyFile(filepath.Join(dir, "key"), key))
	st, err := store.OpenPostgres(ctx, store.PostgresConfig{DSN: d.DSN, Password: d.Password}, key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	alice := addAccount(t, st, "alice", "a.example", "pw-alice-1111")

	var out syncBuffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "started"))
		return err == nil
	}, 2*time.Minute, 10*time.Millisecond, "the worker's refresh starts; its output:\n%s", &out)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	killed = true
	var dead string
	require.NoError(t, st.DB().QueryRowContext(ctx,
		`SELECT attempted_by[1] FROM river_job WHERE kind = 'refresh' AND state = 'running'`).Scan(&dead))

	f := newFake()
	cfg := testConfig(st, f, &syncBuffer{})
	cfg.Interval = time.Hour
	cfg.PerHost = 1
	cfg.JobTimeout = 2 * time.Second
	cfg.RescueAfter = 4 * time.Second
	start(t, cfg)
	// River's leader election (the dead one's term ends) and its rescuer
	// (every 30 s) take up to about a minute.
	require.Eventually(t, func() bool {
		a, err := st.Get(ctx, alice.id)
		return err == nil && !a.Health.LastGood.IsZero()
	}, 3*time.Minute, 20*time.Millisecond, "the dead worker's refresh is rescued and committed")
	require.Equal(t, 1, f.count(alice.id))
	var n, attempt int
	var by []string
	rows, err := st.DB().QueryContext(ctx,
		`SELECT attempt, unnest(attempted_by) FROM river_job WHERE kind = 'refresh' AND state = 'completed'`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var who string
		require.NoError(t, rows.Scan(&attempt, &who))
		by = append(by, who)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, st.DB().QueryRowContext(ctx,
		`SELECT count(*) FROM river_job WHERE kind = 'refresh' AND state = 'completed'`).Scan(&n))
	require.Equal(t, 1, n, "one committed refresh")
	require.Equal(t, 2, attempt, "run again once")
	require.Contains(t, by, dead, "the dead worker's attempt is recorded")
	require.Len(t, by, 2)
	require.NotEqual(t, by[0], by[1], "run again by another replica")
	data, err := st.LoadBlob(ctx, alice.id, feed.StateFile)
	require.NoError(t, err)
	require.Contains(t, string(data), marker("alice"))
}

// Three replicas on one Postgres database (three store handles), 60
// accounts on one mock RosterOn, in a real Chrome: the host never has more
// than K sessions at once across the three, every account is refreshed,
// and each has one committed refresh in the period.
func TestFleetPolitenessOnOneHost(t *testing.T) {
	path := chrometest.NeedLocal(t)
	ctx := context.Background()
	users := mockserver.GenerateUsers("nurse", 60, 19, time.Now())
	m := mockserver.New(mockserver.WithUsers(users...))
	ts := httptest.NewServer(m)
	t.Cleanup(ts.Close)
	t.Cleanup(m.Close)
	instance := ts.URL + m.BasePath()

	key := storetest.Key(t)
	open := storetest.Fresh(t, store.KindPostgres)
	first := open(key)
	for _, u := range users {
		_, _, err := first.Create(ctx, store.NewAccount{Username: u.Username, Instance: instance, Password: u.Password})
		require.NoError(t, err)
	}
	b := NewBrowser(browser.WithExecPath(path), browser.WithReadyTabs(2))
	t.Cleanup(func() { _ = b.Close() })

	const K = 2
	log := &syncBuffer{}
	for i := range 3 {
		st := first
		if i > 0 {
			st = open(key)
		}
		start(t, Config{
			Store:        st,
			Fetch:        b.Fetch(session.WithTimeout(time.Minute)),
			Options:      storeOptions(st),
			Interval:     time.Hour,
			PerHost:      K,
			LoginGap:     20 * time.Millisecond,
			MaxSessions:  3,
			JobTimeout:   2 * time.Minute,
			Log:          log,
			pollInterval: 50 * time.Millisecond,
			changesEvery: 100 * time.Millisecond,
			healthEvery:  time.Minute,
		})
	}

	require.Eventually(t, func() bool {
		list, err := first.List(ctx)
		if err != nil || len(list) != len(users) {
			return false
		}
		for _, a := range list {
			if a.Health.LastGood.IsZero() {
				return false
			}
		}
		return true
	}, 5*time.Minute, 50*time.Millisecond, "every account refreshed; log:\n%s", log)

	require.LessOrEqual(t, m.MaxSessions(), K, "sessions at once on the one host, across the three replicas")
	require.GreaterOrEqual(t, m.MaxSessions(), 1)

	// One committed refresh per account in the period (an hour).
	rows, err := first.DB().QueryContext(ctx,
		`SELECT (args->>'account')::bigint, count(*), max(attempted_by[array_length(attempted_by, 1)])
		 FROM river_job WHERE kind = 'refresh' AND state = 'completed' GROUP BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	done := map[store.ID]int{}
	by := map[string]bool{}
	for rows.Next() {
		var id store.ID
		var n int
		var who string
		require.NoError(t, rows.Scan(&id, &n, &who))
		done[id] = n
		by[who] = true
	}
	require.NoError(t, rows.Err())
	require.Len(t, done, len(users))
	for id, n := range done {
		require.Equal(t, 1, n, "account #%d's refreshes committed", id)
	}
	t.Logf("jobs run by %d replicas; most sessions at once on the host: %d", len(by), m.MaxSessions())
	for _, u := range users {
		require.NotContains(t, log.String(), u.Password)
	}
}
