package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
)

// freshSQLite is newDB for SQLite: a file in t.TempDir().
func freshSQLite(t *testing.T) func(key *Key) Store {
	path := filepath.Join(t.TempDir(), "store.db")
	return func(key *Key) Store {
		s, err := Open(context.Background(), path, key)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

func TestSQLite(t *testing.T) {
	testStore(t, freshSQLite)
}

// secretForms are the ways a secret could sit in a file: as is, in
// base64 and in hex.
func secretForms(secret []byte) [][]byte {
	return [][]byte{
		secret,
		[]byte(base64.StdEncoding.EncodeToString(secret)),
		[]byte(base64.RawStdEncoding.EncodeToString(secret)),
		[]byte(base64.URLEncoding.EncodeToString(secret)),
		[]byte(base64.RawURLEncoding.EncodeToString(secret)),
		[]byte(hex.EncodeToString(secret)),
		[]byte(strings.ToUpper(hex.EncodeToString(secret))),
	}
}

// readDir reads every file in dir.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files[p] = data
		return err
	})
	require.NoError(t, err)
	return files
}

// assertNowhere fails when any form of secret is in any of files.
func assertNowhere(t *testing.T, files map[string][]byte, what string, secret []byte) {
	t.Helper()
	for name, data := range files {
		for _, form := range secretForms(secret) {
			if bytes.Contains(data, form) {
				// Never print the secret itself.
				t.Errorf("%s is in %s", what, filepath.Base(name))
				break
			}
		}
	}
}

func TestStolenStoreYieldsNoSecret(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	key := testKey(t)
	s, err := Open(ctx, path, key)
	require.NoError(t, err)
	defer s.Close()

	type secret struct {
		what  string
		value string
	}
	var secrets []secret
	var ids []ID
	for i := range 6 {
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
	// A password changed, a token renewed: the old ones are gone too.
	require.NoError(t, s.SetPassword(ctx, ids[1], "Changed-Pw-Yt6Uo0"))
	secrets = append(secrets, secret{"a changed password", "Changed-Pw-Yt6Uo0"})
	tok, err := s.NewToken(ctx, ids[2])
	require.NoError(t, err)
	secrets = append(secrets, secret{"a new token", tok})
	csrf, err := s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("Csrf-Key-Ab3De6Gh9"), nil })
	require.NoError(t, err)
	secrets = append(secrets, secret{"the CSRF secret", string(csrf)})

	// The deleted account: its password and its roster go, the roster big
	// enough to need overflow pages.
	const marker = "Deleted-Roster-Marker-Qx8Pz"
	gone, _, err := s.Create(ctx, NewAccount{Username: "Gone-User-Wx2Kc", Instance: "https://ro.example", Password: "Gone-Pw-Hn5Jm"})
	require.NoError(t, err)
	require.NoError(t, s.SaveBlob(ctx, gone.ID, "roster.json", []byte(strings.Repeat(marker+" ", 2000))))
	require.NoError(t, s.SaveBlob(ctx, gone.ID, "notify.json", []byte(marker)))
	// A checkpoint puts the roster into the main file before it is deleted.
	_, err = s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	require.NoError(t, err)
	require.NoError(t, s.SaveBlob(ctx, gone.ID, "calendar.json", []byte(marker+" in the WAL only")))
	require.NoError(t, s.Delete(ctx, gone.ID))

	// The files while the store is open, then after it is closed.
	for _, phase := range []string{"open", "closed"} {
		t.Run(phase, func(t *testing.T) {
			files := readDir(t, dir)
			require.Contains(t, files, path)
			for _, sec := range secrets {
				assertNowhere(t, files, sec.what, []byte(sec.value))
			}
			assertNowhere(t, files, "the key", key.b[:])
			assertNowhere(t, files, "the deleted account's roster", []byte(marker))
			assertNowhere(t, files, "the deleted account's password", []byte("Gone-Pw-Hn5Jm"))
			assertNowhere(t, files, "the deleted account's username", []byte("Gone-User-Wx2Kc"))

			// The search finds what is there: the kept rosters and
			// usernames, in clear.
			all := bytes.Join(slices.Collect(maps.Values(files)), nil)
			for i := range 6 {
				assert.True(t, bytes.Contains(all, []byte(fmt.Sprintf("Kept-Roster-%d", i))), "the kept roster %d is not found: the search is blind", i)
				assert.True(t, bytes.Contains(all, []byte(fmt.Sprintf("nurse%d", i))))
			}
		})
		require.NoError(t, s.Close())
	}

	// And the store still opens and works with its key.
	s, err = Open(ctx, path, key)
	require.NoError(t, err)
	defer s.Close()
	pw, err := s.Password(ctx, ids[0])
	require.NoError(t, err)
	assert.Equal(t, "Pw-0-zq7Xv9Kp", pw)
	_, err = s.Get(ctx, gone.ID)
	assert.ErrorIs(t, err, ErrNotFound)

	// After RotateKey, the byte search passes still.
	next := testKey(t)
	require.NoError(t, s.RotateKey(ctx, next))
	require.NoError(t, s.Close())
	files := readDir(t, dir)
	for _, sec := range secrets {
		assertNowhere(t, files, sec.what, []byte(sec.value))
	}
	assertNowhere(t, files, "the old key", key.b[:])
	assertNowhere(t, files, "the new key", next.b[:])
	assertNowhere(t, files, "the deleted account's roster", []byte(marker))
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	versions := func() []int {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		defer db.Close()
		rows, err := db.QueryContext(ctx, `SELECT version FROM store_migrations ORDER BY version`)
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
	want := make([]int, SchemaVersion())
	for i := range want {
		want[i] = i + 1
	}
	require.NotEmpty(t, want)

	for i := range 3 {
		s, err := Open(ctx, path, nil)
		require.NoError(t, err)
		_, _, err = s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example"})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		assert.Equal(t, want, versions(), "each migration applied once")
	}

	// Two processes opening a new store at once apply each migration once.
	path2 := filepath.Join(t.TempDir(), "store.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(ctx, path2, nil)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}

	// A store of a newer schema is refused, and left as it is.
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO store_migrations (version, applied) VALUES (?, 0)`, len(want)+1)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	before := versions()
	_, err = Open(ctx, path, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStore)
	assert.Contains(t, err.Error(), "newer than this rosteron knows")
	assert.Contains(t, err.Error(), fmt.Sprint("version ", len(want)+1))
	assert.Equal(t, before, versions())
	assert.Len(t, before, len(want)+1)
}

func TestLoadMigrations(t *testing.T) {
	good := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/README":     {Data: []byte("not a migration")},
	}
	ms, err := loadMigrations(good, "m")
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, 1, ms[0].version)
	assert.Equal(t, "A", ms[0].sql)
	assert.Equal(t, 2, ms[1].version)

	for name, fsys := range map[string]fstest.MapFS{
		"gap":     {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"twice":   {"m/0001_a.sql": {}, "m/1_b.sql": {}},
		"no num":  {"m/a.sql": {}},
		"zero":    {"m/0000_a.sql": {}},
		"no _":    {"m/0001.sql": {}},
		"missing": {},
	} {
		_, err := loadMigrations(fsys, "m")
		assert.Error(t, err, name)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "store.db"), nil)
	assert.ErrorIs(t, err, ErrStore)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	notDB := filepath.Join(t.TempDir(), "store.db")
	require.NoError(t, os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 512), 0o600))
	_, err = Open(ctx, notDB, nil)
	assert.ErrorIs(t, err, ErrStore)

	// Someone else's database is left alone.
	other := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", other)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE TABLE things (x TEXT)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = Open(ctx, other, nil)
	assert.ErrorIs(t, err, ErrStore)
	assert.Contains(t, err.Error(), "a database of something else")
	db, err = sql.Open("sqlite", other)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n))
	assert.Equal(t, 1, n, "nothing was added to it")
}

func TestOpenOddPaths(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"with space.db", "hash#and?query.db", "per%20cent.db", "ünï.db", "file:x.db"} {
		path := filepath.Join(dir, name)
		s, err := Open(ctx, path, nil)
		require.NoError(t, err, name)
		_, _, err = s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example"})
		require.NoError(t, err, name)
		require.NoError(t, s.Close())
		fi, err := os.Stat(path)
		require.NoError(t, err, name)
		assert.Greater(t, fi.Size(), int64(0), name)
		_, err = os.Stat(path + "-wal")
		assert.ErrorIs(t, err, fs.ErrNotExist, "%s: the WAL is next to it and gone at close", name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 5, "no stray files")

	// A relative path.
	t.Chdir(dir)
	s, err := Open(ctx, "relative.db", nil)
	require.NoError(t, err)
	_, _, err = s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	fi, err := os.Stat(filepath.Join(dir, "relative.db"))
	require.NoError(t, err)
	assert.Greater(t, fi.Size(), int64(0))
}

// storeAtVersion1 makes a store file with migration 0001 only, as a
// rosteron from before 0002 left it, holding accounts of these usernames
// on one instance (and one blob each); it returns the file's path.
func storeAtVersion1(t *testing.T, usernames ...string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	ms, err := migrationsOf(KindSQLite)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE TABLE store_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, ms[0].sql)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO store_migrations (version, applied) VALUES (1, 0)`)
	require.NoError(t, err)
	for i, u := range usernames {
		res, err := db.ExecContext(ctx, `INSERT INTO accounts (username, instance, created, token_hash, manage_hash) VALUES (?, 'https://a.example', 1, ?, ?)`,
			u, hashSecret(fmt.Sprint("t", i)), hashSecret(fmt.Sprint("m", i)))
		require.NoError(t, err)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO blobs (account_id, name, data, updated) VALUES (?, 'roster.json', ?, 1)`, id, u)
		require.NoError(t, err)
	}
	return path
}

func TestMigrationUsernameCase(t *testing.T) {
	ctx := context.Background()

	t.Run("NoDuplicates", func(t *testing.T) {
		path := storeAtVersion1(t, "Jane.Doe", "bob")
		s, err := Open(ctx, path, nil)
		require.NoError(t, err)
		defer s.Close()
		a, err := s.Find(ctx, "https://a.example", "jane.doe")
		require.NoError(t, err)
		assert.Equal(t, "Jane.Doe", a.Username)
		data, err := s.LoadBlob(ctx, a.ID, "roster.json")
		require.NoError(t, err)
		assert.Equal(t, "Jane.Doe", string(data))
		_, _, err = s.Create(ctx, NewAccount{Username: "JANE.DOE", Instance: "https://a.example"})
		assert.ErrorIs(t, err, ErrExists)
		// The index holds even against a write that skips Create's check.
		_, err = s.DB().ExecContext(ctx, `INSERT INTO accounts (username, instance, created, token_hash, manage_hash) VALUES ('BOB', 'https://a.example', 1, x'01', x'02')`)
		assert.ErrorContains(t, err, "UNIQUE")
	})

	t.Run("Duplicates", func(t *testing.T) {
		path := storeAtVersion1(t, "Jane.Doe", "bob", "jane.doe", "carol", "BOB")
		_, err := Open(ctx, path, nil)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrStore)
		msg := err.Error()
		assert.Contains(t, msg, "0002_username_case.sql")
		assert.Contains(t, msg, "accounts 1, 3 (Jane.Doe, jane.doe at https://a.example)")
		assert.Contains(t, msg, "accounts 2, 5 (bob, BOB at https://a.example)")
		assert.NotContains(t, msg, "carol")
		assert.Contains(t, msg, "Nothing was changed")

		// Untouched: still version 1, every account and blob there.
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		defer db.Close()
		var version, accounts, blobs, indexes int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT MAX(version) FROM store_migrations`).Scan(&version))
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&accounts))
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM blobs`).Scan(&blobs))
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'accounts_instance_username_nocase'`).Scan(&indexes))
		assert.Equal(t, 1, version)
		assert.Equal(t, 5, accounts)
		assert.Equal(t, 5, blobs)
		assert.Zero(t, indexes)

		// Once the duplicates are gone, as the message says, it opens.
		_, err = db.ExecContext(ctx, `DELETE FROM blobs WHERE account_id IN (3, 5); DELETE FROM accounts WHERE id IN (3, 5)`)
		require.NoError(t, err)
		s, err := Open(ctx, path, nil)
		require.NoError(t, err)
		defer s.Close()
		a, err := s.Find(ctx, "https://a.example", "JANE.doe")
		require.NoError(t, err)
		assert.Equal(t, ID(1), a.ID)
	})
}

// TestDeleteBusyCheckpoint: a reader in another connection holds the
// checkpoint back; the account is deleted all the same, and Delete says
// so with a *NotErasedError rather than a failure.
func TestDeleteBusyCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer s.Close()
	s.checkpointWait = time.Millisecond
	a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example"})
	require.NoError(t, err)
	b, _, err := s.Create(ctx, NewAccount{Username: "bob", Instance: "https://a.example"})
	require.NoError(t, err)

	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer other.Close()
	tx, err := other.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	require.NoError(t, err)
	var n int
	require.NoError(t, tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n))
	require.Equal(t, 2, n)

	err = s.Delete(ctx, a.ID)
	var ne *NotErasedError
	require.ErrorAs(t, err, &ne)
	assert.NotErrorIs(t, err, ErrStore, "a warning, not a failure")
	assert.Contains(t, err.Error(), fmt.Sprintf("account %d is deleted", a.ID))
	assert.Contains(t, err.Error(), "write-ahead log")
	_, err = s.Get(ctx, a.ID)
	assert.ErrorIs(t, err, ErrNotFound, "the account is gone all the same")

	// The reader gone, the next Delete checkpoints cleanly.
	require.NoError(t, tx.Rollback())
	s.checkpointWait = 0
	require.NoError(t, s.Delete(ctx, b.ID))
	info, err := os.Stat(path + "-wal")
	require.NoError(t, err)
	assert.Zero(t, info.Size(), "the write-ahead log is truncated")
}

// TestRotateKeyBusyCheckpoint: a reader holding the checkpoint back does
// not make RotateKey fail, since the rotation is committed, and a caller
// seeing an error would throw the new key away.
func TestRotateKeyBusyCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(ctx, path, testKey(t))
	require.NoError(t, err)
	defer s.Close()
	s.checkpointWait = time.Millisecond
	a, _, err := s.Create(ctx, NewAccount{Username: "alice", Instance: "https://a.example", Password: "pw-alice"})
	require.NoError(t, err)

	other, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer other.Close()
	tx, err := other.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	require.NoError(t, err)
	defer tx.Rollback()
	var n int
	require.NoError(t, tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n))

	next := testKey(t)
	require.NoError(t, s.RotateKey(ctx, next))
	info, err := os.Stat(path + "-wal")
	require.NoError(t, err)
	require.NotZero(t, info.Size(), "the checkpoint was held back")
	require.NoError(t, tx.Rollback())
	require.NoError(t, s.Close())
	s2, err := Open(ctx, path, next)
	require.NoError(t, err)
	defer s2.Close()
	pw, err := s2.Password(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, "pw-alice", pw, "sealed under the new key")
}
