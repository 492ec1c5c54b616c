package store

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freshPostgres is newDB for Postgres: a database of its own in the
// test process's cluster.
func freshPostgres(t *testing.T) func(key *Key) Store {
	d := pgtest.NewDatabase(t)
	return openPostgresDB(t, d)
}

// openPostgresDB opens the store in d, closed at the test's end.
func openPostgresDB(t *testing.T, d *pgtest.Database) func(key *Key) Store {
	return func(key *Key) Store {
		s, err := OpenPostgres(context.Background(), PostgresConfig{DSN: d.DSN, Password: d.Password}, key)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

func TestPostgres(t *testing.T) {
	testStore(t, freshPostgres)
}

// versionsIn returns the versions store_migrations records.
func versionsIn(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT version FROM store_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

func TestPostgresMigrations(t *testing.T) {
	ctx := context.Background()
	pg, err := migrationsOf(KindPostgres)
	require.NoError(t, err)
	lite, err := migrationsOf(KindSQLite)
	require.NoError(t, err)
	require.Len(t, pg, len(lite), "the same versions on both databases")
	for i := range pg {
		assert.Equal(t, lite[i].name, pg[i].name)
	}
	want := make([]int, SchemaVersion())
	for i := range want {
		want[i] = i + 1
	}

	// Replicas starting at once on a fresh database: all open, and the
	// schema is made once.
	d := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]Store, 4)
	for i := range errs {
		wg.Go(func() {
			stores[i], errs[i] = OpenPostgres(ctx, PostgresConfig{DSN: d.DSN, Password: d.Password}, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err)
		defer stores[i].Close()
	}
	admin := d.Open(t)
	assert.Equal(t, want, versionsIn(t, admin), "each migration applied once")
	for i, s := range stores {
		_, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example"})
		require.NoError(t, err)
	}
	all, err := stores[0].List(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 4, "one schema, one set of accounts")

	// A database of a newer schema is refused and left as it is.
	_, err = admin.ExecContext(ctx, `INSERT INTO store_migrations (version, applied) VALUES ($1, 0)`, len(want)+1)
	require.NoError(t, err)
	_, err = OpenPostgres(ctx, PostgresConfig{DSN: d.DSN, Password: d.Password}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStore)
	assert.Contains(t, err.Error(), "newer than this rosteron knows")
	assert.Len(t, versionsIn(t, admin), len(want)+1)

	// Someone else's database is left alone; River's tables are no
	// one else's.
	other := pgtest.NewDatabase(t)
	odb := other.Open(t)
	_, err = odb.ExecContext(ctx, `CREATE TABLE river_job (id bigint)`)
	require.NoError(t, err)
	s, err := OpenPostgres(ctx, PostgresConfig{DSN: other.DSN, Password: other.Password}, nil)
	require.NoError(t, err, "a database with River's tables only is ours")
	require.NoError(t, s.Close())
	third := pgtest.NewDatabase(t)
	tdb := third.Open(t)
	_, err = tdb.ExecContext(ctx, `CREATE TABLE things (x text)`)
	require.NoError(t, err)
	_, err = OpenPostgres(ctx, PostgresConfig{DSN: third.DSN, Password: third.Password}, nil)
	assert.ErrorIs(t, err, ErrStore)
	assert.Contains(t, err.Error(), "tables of something else")
	var n int
	require.NoError(t, tdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n))
	assert.Equal(t, 1, n, "nothing was added to it")
}

func TestPostgresConfig(t *testing.T) {
	const pw = "Db-Pw-Kq3Lm8Zx"
	for _, dsn := range []string{
		"postgres://rosteron:" + pw + "@db.example/rosteron?sslmode=verify-full",
		"postgresql://rosteron:" + pw + "@127.0.0.1/rosteron",
		"postgres://rosteron@127.0.0.1/rosteron?password=" + pw,
		"host=127.0.0.1 user=rosteron password=" + pw,
		"host=127.0.0.1 password = '" + pw + " with space' user=rosteron",
		// pgx reads libpq's way: the userinfo ends at the first @, past a #.
		"postgres://rosteron:#" + pw + "@db.example.org/rosteron?sslmode=verify-full",
		"postgres://rosteron@db.example.org/rosteron?sslmode=verify-full&sslpassword=" + pw,
		"user='rosteron'password=" + pw + " host=127.0.0.1",
		"host=127.0.0.1 sslpassword=" + pw,
	} {
		_, err := postgresConnConfig(PostgresConfig{DSN: dsn})
		require.Error(t, err, "a password in the DSN is refused")
		assert.Contains(t, err.Error(), "holds a password")
		assert.NotContains(t, err.Error(), pw)
		_, err = OpenPostgres(context.Background(), PostgresConfig{DSN: dsn}, nil)
		assert.ErrorIs(t, err, ErrStore)
		assert.NotContains(t, err.Error(), pw)
	}

	t.Setenv("PGSSLMODE", "")
	t.Setenv("PGSSLROOTCERT", "")
	ca := writeTestCA(t)
	for _, c := range []struct {
		dsn       string
		plaintext bool
		ok        bool
	}{
		{"postgres://u@127.0.0.1:5432/db", false, true},
		{"postgres://u@[::1]:5432/db?sslmode=disable", false, true},
		{"postgres://u@localhost/db", false, true},
		{"host=/run/postgresql user=u dbname=db", false, true},
		{"postgres://u@db.example/db", false, false},
		{"postgres://u@db.example/db?sslmode=require", false, false},
		{"postgres://u@10.0.0.5/db?sslmode=prefer", false, false},
		{"host=db.example user=u sslmode=disable", false, false},
		{"postgres://u@127.0.0.1,db.example/db", false, false},
		{"postgres://u@db.example/db?sslmode=verify-full", false, true},
		// verify-ca checks no host name: only with an explicit CA file.
		{"host=db.example user=u sslmode=verify-ca", false, false},
		{"host=db.example user=u sslmode=verify-ca sslrootcert=system", false, true},
		{"host=db.example user=u sslmode=verify-ca sslrootcert=" + ca, false, true},
		{"host=db.example user=u sslmode=require sslrootcert=" + ca, false, true},
		// ssl=true after sslmode turns it into require: no verification.
		{"postgres://u@db.example/db?sslmode=verify-full&ssl=true", false, false},
		{"postgres://u@db.example,db2.example/db?sslmode=verify-full", false, true},
		{"postgres://u@db.example/db?sslmode=disable", true, true},
		{"postgres://u@db.example/db", true, true},
	} {
		cfg, err := postgresConnConfig(PostgresConfig{DSN: c.dsn, Password: "from-a-file", AllowPlaintext: c.plaintext})
		if !c.ok {
			require.Error(t, err, c.dsn)
			assert.Contains(t, err.Error(), "sslmode=verify-full", c.dsn)
			continue
		}
		require.NoError(t, err, c.dsn)
		assert.Equal(t, "from-a-file", cfg.Password, c.dsn)
	}
	t.Setenv("PGSSLMODE", "verify-full")
	_, err := postgresConnConfig(PostgresConfig{DSN: "postgres://u@db.example/db"})
	assert.NoError(t, err, "PGSSLMODE is pgx's default too")

	for _, bad := range []string{"", "   ", "not a dsn", "host='unclosed"} {
		_, err := postgresConnConfig(PostgresConfig{DSN: bad})
		assert.Error(t, err, bad)
	}
	_, err = OpenPostgres(context.Background(), PostgresConfig{DSN: "postgres://u@127.0.0.1/db", MaxConns: 1}, nil)
	assert.ErrorContains(t, err, "at least 2")
	_, err = OpenPostgres(context.Background(), PostgresConfig{DSN: "postgres://u@127.0.0.1/db"}, new(Key))
	assert.ErrorIs(t, err, ErrStore, "a zero key")
}

// writeTestCA writes a self-signed CA certificate and returns its file.
func writeTestCA(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return path
}

// MigrationLock lets one function run at a time across every store on
// the database, and waits OpenPostgres's migrations for it.
func TestMigrationLock(t *testing.T) {
	ctx := context.Background()
	d := pgtest.NewDatabase(t)
	open := openPostgresDB(t, d)
	stores := []Store{open(nil), open(nil), open(nil)}
	var inside, peak, runs atomic.Int32
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			err := MigrationLock(ctx, stores[i%len(stores)], func(ctx context.Context) error {
				n := inside.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				// Work on another connection of the pool, as River's
				// migrator does.
				var one int
				err := stores[i%len(stores)].DB().QueryRowContext(ctx, `SELECT 1`).Scan(&one)
				inside.Add(-1)
				runs.Add(1)
				return err
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 9, runs.Load())
	assert.EqualValues(t, 1, peak.Load(), "one at a time")

	// An OpenPostgres waits while the lock is held.
	held := make(chan struct{})
	release := make(chan struct{})
	lockDone := make(chan error, 1)
	go func() {
		lockDone <- MigrationLock(ctx, stores[0], func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	opened := make(chan error, 1)
	go func() {
		s, err := OpenPostgres(ctx, PostgresConfig{DSN: d.DSN, Password: d.Password}, nil)
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	admin := d.Open(t)
	eventually(t, "OpenPostgres waiting for the lock", func() bool {
		var n int
		require.NoError(t, admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`).Scan(&n))
		return n == 1
	})
	select {
	case err := <-opened:
		t.Fatalf("OpenPostgres went on while the lock was held: %v", err)
	default:
	}
	close(release)
	require.NoError(t, <-lockDone)
	require.NoError(t, <-opened)

	// A function's error is returned, and the lock is free after.
	boom := errors.New("boom")
	assert.ErrorIs(t, MigrationLock(ctx, stores[1], func(context.Context) error { return boom }), boom)
	require.NoError(t, MigrationLock(ctx, stores[2], func(context.Context) error { return nil }))

	// SQLite: f just runs.
	lite, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"), nil)
	require.NoError(t, err)
	defer lite.Close()
	ran := false
	require.NoError(t, MigrationLock(ctx, lite, func(context.Context) error { ran = true; return nil }))
	assert.True(t, ran)
}

// pgDump dumps d with the cluster's pg_dump, its password in a 0600
// PGPASSFILE, never in argv or an environment variable of its own.
func pgDump(t *testing.T, d *pgtest.Database) []byte {
	t.Helper()
	c := d.Cluster()
	passfile := filepath.Join(t.TempDir(), "pgpass")
	line := fmt.Sprintf("%s:%d:%s:%s:%s\n", c.Host, c.Port, d.Name, c.User, d.Password)
	require.NoError(t, os.WriteFile(passfile, []byte(line), 0o600))
	cmd := exec.Command(filepath.Join(c.Bin(), "pg_dump"), "--no-password",
		"-h", c.Host, "-p", strconv.Itoa(c.Port), "-U", c.User, "-d", d.Name)
	cmd.Env = []string{"PGPASSFILE=" + passfile, "PGSSLMODE=disable"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "pg_dump: %s", stderr.String())
	require.NotEmpty(t, out)
	return out
}

// A pg_dump of a Postgres store holds no secret, raw, in base64 or in
// hex (as bytea is dumped), and nothing of a deleted account.
func TestPostgresStolenStoreYieldsNoSecret(t *testing.T) {
	ctx := context.Background()
	d := pgtest.NewDatabase(t)
	key := testKey(t)
	s := openPostgresDB(t, d)(key)

	type secret struct{ what, value string }
	var secrets []secret
	var ids []ID
	for i := range 4 {
		name := fmt.Sprintf("nurse%d", i)
		pw := fmt.Sprintf("Pw-%d-zq7Xv9Kp", i)
		dav := fmt.Sprintf("Dav-%d-Jw3rTq8m", i)
		hook := fmt.Sprintf("json+https://hookuser:Hook-%d-Lm4nB2@hook.example/%d", i, i)
		topic := fmt.Sprintf("https://ntfy.example/Topic-%d-Rv5Ws1", i)
		a, sec, err := s.Create(ctx, NewAccount{Username: name, Instance: "https://ro.example", Password: pw,
			Settings: Settings{Notify: []string{hook, topic}, CalDAV: &CalDAV{URL: "https://dav.example/" + name, Username: name, Password: dav}}})
		require.NoError(t, err)
		m, err := s.NewManage(ctx, a.ID)
		require.NoError(t, err)
		ids = append(ids, a.ID)
		secrets = append(secrets,
			secret{"a password", pw}, secret{"a CalDAV password", dav}, secret{"a notify URL", hook},
			secret{"a notify URL's password", fmt.Sprintf("Hook-%d-Lm4nB2", i)}, secret{"an ntfy topic", topic},
			secret{"a token", sec.Token}, secret{"a first manage secret", sec.Manage}, secret{"a manage secret", m})
		require.NoError(t, s.SaveBlob(ctx, a.ID, "roster.json", []byte(fmt.Sprintf(`{"shifts":"Kept-Roster-%d"}`, i))))
	}
	require.NoError(t, s.SetPassword(ctx, ids[1], "Changed-Pw-Yt6Uo0"))
	secrets = append(secrets, secret{"a changed password", "Changed-Pw-Yt6Uo0"})
	tok, err := s.NewToken(ctx, ids[2])
	require.NoError(t, err)
	secrets = append(secrets, secret{"a new token", tok})
	// Settings with secrets set after creation, through the transaction
	// path too.
	require.NoError(t, s.SetSettings(ctx, ids[3], &Settings{Notify: []string{"mailto:Later-Mail-Pq2@example.com"},
		CalDAV: &CalDAV{URL: "https://dav.example/x", Username: "x", Password: "Later-Dav-Ws9Er"}}))
	secrets = append(secrets, secret{"a later notify target", "Later-Mail-Pq2@example.com"}, secret{"a later CalDAV password", "Later-Dav-Ws9Er"})
	csrf, err := s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("Csrf-Key-Ab3De6Gh9"), nil })
	require.NoError(t, err)
	secrets = append(secrets, secret{"the CSRF secret", string(csrf)})

	const marker = "Deleted-Roster-Marker-Qx8Pz"
	gone, _, err := s.Create(ctx, NewAccount{Username: "Gone-User-Wx2Kc", Instance: "https://ro.example", Password: "Gone-Pw-Hn5Jm"})
	require.NoError(t, err)
	require.NoError(t, s.SaveBlob(ctx, gone.ID, "roster.json", []byte(marker)))
	require.NoError(t, s.Delete(ctx, gone.ID))

	check := func(t *testing.T, dump []byte, keys ...*Key) {
		files := map[string][]byte{"pg_dump": dump}
		for _, sec := range secrets {
			assertNowhere(t, files, sec.what, []byte(sec.value))
		}
		for _, k := range keys {
			assertNowhere(t, files, "a key", k.b[:])
		}
		assertNowhere(t, files, "the deleted account's roster", []byte(marker))
		assertNowhere(t, files, "the deleted account's username", []byte("Gone-User-Wx2Kc"))
		// The search finds what is there: usernames in clear, and the
		// rosters (bytea, dumped in hex).
		for i := range 4 {
			assert.True(t, bytes.Contains(dump, []byte(fmt.Sprintf("nurse%d", i))), "nurse%d is not found: the search is blind", i)
			roster := []byte(fmt.Sprintf("Kept-Roster-%d", i))
			assert.True(t, bytes.Contains(dump, []byte(hex.EncodeToString(roster))), "roster %d is not found: the search is blind", i)
		}
	}
	check(t, pgDump(t, d), key)

	// After RotateKey the dump passes still, and the store works.
	next := testKey(t)
	require.NoError(t, s.RotateKey(ctx, next))
	check(t, pgDump(t, d), key, next)
	pw, err := s.Password(ctx, ids[1])
	require.NoError(t, err)
	assert.Equal(t, "Changed-Pw-Yt6Uo0", pw)
}

func TestCheckKeyBothKinds(t *testing.T) {
	ctx := context.Background()
	for name, fresh := range map[string]newDB{"sqlite": freshSQLite, "postgres": freshPostgres} {
		t.Run(name, func(t *testing.T) {
			db := fresh(t)
			key := testKey(t)
			s := db(key)
			require.NoError(t, CheckKey(ctx, s), "nothing sealed yet")
			_, _, err := s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example", Password: "pw"})
			require.NoError(t, err)
			require.NoError(t, CheckKey(ctx, s))
			require.NoError(t, s.Close())
			assert.ErrorIs(t, CheckKey(ctx, db(testKey(t))), ErrWrongKey)
			assert.ErrorIs(t, CheckKey(ctx, db(nil)), ErrNoKey)
		})
	}
}

// A wrong password is a clear error that does not hold it.
func TestPostgresWrongPassword(t *testing.T) {
	d := pgtest.NewDatabase(t)
	const wrong = "Wrong-Db-Pw-Tz4Nq"
	_, err := OpenPostgres(context.Background(), PostgresConfig{DSN: d.DSN, Password: wrong}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStore)
	assert.Contains(t, err.Error(), "password authentication failed")
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, err.Error(), d.Password)
}
