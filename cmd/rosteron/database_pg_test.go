package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/store"
)

// pgEnv is a fresh PostgreSQL database as the CLI is given one: its
// address in $ROSTERON_DATABASE and its password in a file, 0600.
func pgEnv(t *testing.T) (env map[string]string, passwordFile string, db *pgtest.Database) {
	t.Helper()
	db = pgtest.NewDatabase(t)
	passwordFile = filepath.Join(t.TempDir(), "db-password")
	require.NoError(t, os.WriteFile(passwordFile, []byte(db.Password+"\n"), 0o600))
	return map[string]string{envDatabase: db.DSN}, passwordFile, db
}

// The accounts commands on PostgreSQL: import, list, pause, remove and
// rotate-key, with the database's password from a file or the systemd
// credential, never printed; two serve replicas on one database at once,
// each serving every account; rotate-key refused while any runs, and
// add refused while rotate-key re-seals.
func TestAccountsOnPostgres(t *testing.T) {
	env, pwFile, db := pgEnv(t)
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	users := mockserver.GenerateUsers(mockUserPrefix, 4, 5, time.Now())
	file := writeUsers(t, users)
	secrets := []string{db.Password}
	for _, u := range users {
		secrets = append(secrets, u.Password)
	}
	noSecret := func(r result) {
		t.Helper()
		for _, s := range secrets {
			assert.NotContains(t, r.stdout+r.stderr, s)
		}
	}
	accounts := func(args ...string) result {
		t.Helper()
		r := runWith(t, env, "", append(append([]string{"accounts"}, args...), "--state", state, "--key-file", key,
			"--database-password-file", pwFile)...)
		noSecret(r)
		return r
	}

	// No password: the database refuses, and says so.
	r := runWith(t, env, "", "accounts", "list", "--state", state)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "opening the store in postgres 127.0.0.1/"+db.Name)
	noSecret(r)

	r = accounts("import", "--url", goodURL, "--no-check", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "4 added")
	pages := readAddresses(t, r.stdout)
	require.Len(t, pages, 4)
	assert.NoFileExists(t, filepath.Join(state, storeFile), "nothing in --state")

	// The password as the systemd credential.
	creds := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(creds, dbPasswordCredential), []byte(db.Password), 0o600))
	credEnv := map[string]string{envDatabase: db.DSN, "CREDENTIALS_DIRECTORY": creds}
	// No --state, and no $HOME for a default one: a database needs none.
	r = runWith(t, credEnv, "", "accounts", "list", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	noSecret(r)
	var list []accountJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 4)

	r = accounts("pause", users[0].Username)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = accounts("remove", users[1].Username)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = accounts("list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "paused: paused by the operator")
	assert.NotContains(t, r.stdout, users[1].Username)

	// Two replicas on the database at once: no lock file keeps the
	// second away, and both serve every account.
	serve := func() *accountsServed {
		return startAccounts(t, env, "--state", state, "--key-file", key, "--database-password-file", pwFile,
			"--browser", "ws://127.0.0.1:1", "--refresh", "1h", "--job-timeout", "1m")
	}
	// One after the other: River's migrations run under the store's
	// migration lock only once the service takes store.MigrationLock.
	one := serve()
	require.Eventually(t, func() bool {
		resp, _ := httpGet(t, one.base+"/healthz")
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "the first replica started; %s", one.stderr.String())
	two := serve()
	for _, s := range []*accountsServed{one, two} {
		assert.Contains(t, s.stderr.String(), "3 accounts in postgres 127.0.0.1/"+db.Name)
		page := pages[users[2].Username][0]
		require.Eventually(t, func() bool {
			resp, _ := httpGet(t, s.base+page+"roster.json")
			return resp.StatusCode != http.StatusNotFound
		}, 30*time.Second, 20*time.Millisecond, "the account's page on each replica; %s", s.stderr.String())
	}

	// An import while the replicas run: add and serve do not exclude
	// each other.
	more := writeUsers(t, []mockserver.User{{Username: "late.joiner", Password: "late-Pa55-word"}})
	secrets = append(secrets, "late-Pa55-word")
	r = accounts("import", "--url", goodURL, "--no-check", more)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "1 added")

	r = accounts("rotate-key", "--new-key-file", key+".new")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "a 'rosteron serve --accounts' is running on postgres 127.0.0.1/"+db.Name+": stop it first")
	assert.NoFileExists(t, key+".new")
	assert.Equal(t, exitOK, one.stop())
	r = accounts("rotate-key", "--new-key-file", key+".new")
	assert.Equal(t, exitError, r.code, "one replica still runs")
	assert.Equal(t, exitOK, two.stop())
	for _, s := range []*accountsServed{one, two} {
		for _, sec := range secrets {
			assert.NotContains(t, s.stderr.String(), sec)
		}
	}

	// While rotate-key re-seals (its lock held here), add and import
	// wait for it, and serve does not start.
	k, err := store.LoadKey(key)
	require.NoError(t, err)
	st, err := store.OpenPostgres(context.Background(), store.PostgresConfig{DSN: db.DSN, Password: db.Password}, k)
	require.NoError(t, err)
	_, unlock, err := pgLock(context.Background(), st.DB(), pgRotateLock, false)
	require.NoError(t, err)
	r = accounts("import", "--url", goodURL, "--no-check", file)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "'rosteron accounts rotate-key' is re-sealing the store in postgres 127.0.0.1/"+db.Name)
	_, unlockServe, err := pgLock(context.Background(), st.DB(), pgServeLock, false)
	require.NoError(t, err)
	r = runWith(t, env, "", "serve", "--accounts", "--addr", "127.0.0.1:0", "--state", state, "--key-file", key,
		"--database-password-file", pwFile, "--browser", "ws://127.0.0.1:1")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "'rosteron accounts rotate-key' is re-sealing the store")
	unlockServe()
	unlock()
	require.NoError(t, st.Close())

	r = accounts("rotate-key", "--new-key-file", key+".new")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = accounts("list", "--addresses")
	assert.Equal(t, exitError, r.code, "the old key opens nothing")
	assert.Contains(t, r.stderr, "the key does not open the secrets of the store in postgres 127.0.0.1/"+db.Name)
	r = runWith(t, env, "", "accounts", "list", "--addresses", "--state", state, "--key-file", key+".new",
		"--database-password-file", pwFile)
	require.Equal(t, exitOK, r.code, r.stderr)
	noSecret(r)
	assert.Contains(t, r.stdout, strings.TrimSuffix(pages[users[3].Username][0], "/"))
}

// A serve whose lock connection is cut (the database restarted, an
// operator's pg_terminate_backend) takes its lock again on a new one, so
// that rotate-key still sees it running.
func TestServeTakesItsDatabaseLockAgain(t *testing.T) {
	was := serveLockCheck
	serveLockCheck = 20 * time.Millisecond
	t.Cleanup(func() { serveLockCheck = was })
	env, pwFile, db := pgEnv(t)
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	s := startAccounts(t, env, "--state", state, "--key-file", key, "--database-password-file", pwFile,
		"--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	admin := db.Open(t)
	holder := func() int {
		var pid int
		err := admin.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock'
			AND ((classid::bigint << 32) | objid::bigint) = $1`, pgServeLock).Scan(&pid)
		if err != nil {
			return 0
		}
		return pid
	}
	first := holder()
	require.NotZero(t, first, "serve holds its lock")
	_, err := admin.Exec(`SELECT pg_terminate_backend($1)`, first)
	require.NoError(t, err)
	awaitOutput(t, s.stderr, make(chan int, 1), 30*time.Second, "the lock taken again", func(out string) bool {
		return strings.Contains(out, "holds serve's lock on postgres 127.0.0.1/"+db.Name+" again")
	})
	again := holder()
	assert.NotZero(t, again)
	assert.NotEqual(t, first, again)
	r := runWith(t, env, "", "accounts", "rotate-key", "--state", state, "--key-file", key, "--new-key-file", key+".new",
		"--database-password-file", pwFile)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "stop it first")
	assert.Equal(t, exitOK, s.stop())
	assert.Contains(t, s.stderr.String(), "warning: lost the connection that holds serve's lock")
	assert.NotContains(t, s.stderr.String(), db.Password)
}

// Two replicas on one database, each with its own Chrome, against the
// mock with generated users imported unchecked: every account is
// refreshed, and its page and feed answer with its own roster on either
// replica.
func TestServeReplicasOnPostgresWithChrome(t *testing.T) {
	needChrome(t)
	env, pwFile, _ := pgEnv(t)
	env = chromeEnv(env)
	users := mockserver.GenerateUsers(mockUserPrefix, 4, 11, time.Now())
	mock := mockserver.New(mockserver.WithMoreUsers(users...))
	ts := httptestServer(t, mock)
	url := ts + mock.BasePath()
	key := filepath.Join(t.TempDir(), "key")
	file := writeUsers(t, users)
	r := runWith(t, env, "", "accounts", "import", "--key-file", key, "--database-password-file", pwFile,
		"--url", url, "--no-check", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	pages := readAddresses(t, r.stdout)

	serve := func() *accountsServed {
		return startAccounts(t, env, "--key-file", key, "--database-password-file", pwFile, "--timeout", "30s",
			"--allow-instance", url, "--refresh", "1h", "--per-host", "2")
	}
	check := func(s *accountsServed, u mockserver.User) {
		t.Helper()
		page := s.base + pages[u.Username][0]
		require.Eventually(t, func() bool {
			resp, _ := httpGet(t, page+"roster.json")
			return resp.StatusCode == http.StatusOK
		}, 120*time.Second, 100*time.Millisecond, "%s's roster; %s", u.Username, s.stderr.String())
		_, body := httpGet(t, page+"roster.json")
		var snap struct {
			Items []json.RawMessage `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &snap), body)
		assert.Len(t, snap.Items, len(u.Roster), "%s sees their own roster", u.Username)
	}
	// The second replica starts once the first has refreshed every
	// account: a replica that runs a job for an account it has not
	// loaded yet completes it without a refresh (service.work's r == nil,
	// the service's to mend), which would leave that account's page
	// empty for a whole period.
	one := serve()
	for _, u := range users {
		check(one, u)
	}
	two := serve()
	for _, u := range users {
		check(two, u)
	}
	assert.LessOrEqual(t, mock.MaxSessions(), 2, "--per-host held across the replicas")
	assert.Equal(t, exitOK, one.stop())
	assert.Equal(t, exitOK, two.stop())
	for _, u := range users {
		assert.NotContains(t, one.stderr.String()+two.stderr.String(), u.Password)
	}
}

// httptestServer serves h on loopback until the test ends, and returns
// its address.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// A serve that loses its lock and finds it held by rotate-key (here an
// exclusive lock taken in between) stops with an error: it fails closed
// rather than seal with a key being replaced.
func TestServeStopsWhenRotateKeyTookItsLock(t *testing.T) {
	was := serveLockCheck
	serveLockCheck = 20 * time.Millisecond
	t.Cleanup(func() { serveLockCheck = was })
	env, pwFile, db := pgEnv(t)
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	s := startAccounts(t, env, "--state", state, "--key-file", key, "--database-password-file", pwFile,
		"--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	admin := db.Open(t)
	ctx := context.Background()
	rotator, err := admin.Conn(ctx)
	require.NoError(t, err)
	defer rotator.Close()
	// Cut serve's lock connection, and take the lock exclusively before
	// serve takes it again (else cut the new one too).
	deadline := time.Now().Add(30 * time.Second)
	for {
		require.True(t, time.Now().Before(deadline), "the exclusive lock was never won; stderr:\n%s", s.stderr.String())
		_, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock'
			AND ((classid::bigint << 32) | objid::bigint) = $1`, pgServeLock)
		require.NoError(t, err)
		var ok bool
		require.NoError(t, rotator.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, pgServeLock).Scan(&ok))
		if ok {
			break
		}
	}
	awaitOutput(t, s.stderr, make(chan int, 1), 30*time.Second, "serve stopping", func(out string) bool {
		return strings.Contains(out, "'rosteron accounts rotate-key' holds it now: stopping")
	})
	assert.Equal(t, exitError, s.stop(), "serve fails closed")
	assert.NotContains(t, s.stderr.String(), db.Password)
}
