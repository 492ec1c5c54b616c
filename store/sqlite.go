package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is the store in one SQLite file, through the pure-Go driver
// modernc.org/sqlite.
//
// It keeps one open connection (as riversqlite, which shares DB, asks),
// so calls are serialised in the process; other processes (the
// `accounts` commands beside a running serve) wait up to ten seconds for
// a write lock. Every transaction on DB(), River's too, begins IMMEDIATE
// (it takes the write lock at BEGIN, so that two processes never
// deadlock upgrading a read lock). A caller holding a transaction on
// DB() must never call the store before it ends it: the store would wait
// for the one connection forever. SaveBlobsTx and SetHealthTx are the
// store's writes inside such a transaction.
//
// The file is in WAL mode with secure_delete: erased rows are zeroed in
// the file, and Delete checkpoints the WAL and truncates it, so that a
// deleted account's bytes are gone from both at once. Back it up with
// SQLite's own means (VACUUM INTO, or sqlite3's .backup), never by
// copying the file while serve runs; keep the key file out of the
// backup.
//
// RotateKey needs the other processes that use the file (a running
// serve) stopped: they keep the old key and fail with ErrWrongKey on the
// values sealed again.
type SQLite struct {
	base
	path string

	// checkpointWait, when set (by tests), is how long a checkpoint
	// waits for other processes instead of busy_timeout's ten seconds.
	checkpointWait time.Duration
}

var _ Store = (*SQLite)(nil)

// sqliteDialect is SQLite's: ? placeholders, lower() (ASCII only), the
// process's clock, and a counter row for the change stamp, which
// SQLite's serialised writers bump in commit order.
func sqliteDialect() *dialect {
	return &dialect{
		kind:     KindSQLite,
		foldSQL:  func(c string) string { return "lower(" + c + ")" },
		greatest: "max",
		bump:     `UPDATE store_changes SET stamp = stamp + 1`,
		stampSQL: `(SELECT stamp FROM store_changes)`,
		// The stamp after the last committed one: Changes asks for
		// stamps at or above it.
		nextSQL: `SELECT stamp + 1 FROM store_changes`,
		now: func(context.Context, querier) (int64, error) {
			return time.Now().UnixNano(), nil
		},
		unique: func(err error) (string, bool) {
			var se *sqlite.Error
			if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				// "UNIQUE constraint failed: accounts.token_hash"
				_, c, _ := strings.Cut(se.Error(), "failed: ")
				return c, true
			}
			return "", false
		},
	}
}

// Open opens the store at path (a file; made 0600 when missing, with its
// -wal and -shm files following its mode) and brings its schema up to
// date. key may be nil: then the store keeps no secret (see ErrNoKey).
// A store whose schema is newer than this code knows is refused.
func Open(ctx context.Context, path string, key *Key) (*SQLite, error) {
	if key != nil && key.zero() {
		return nil, &opError{"opening the store", errZeroKey}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &opError{"opening the store", err}
	}
	f.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &opError{"opening the store", err}
	}

	// busy_timeout first: switching to WAL waits for another process's
	// lock as everything else does.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(ON)", "secure_delete(ON)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// A file: URI of the absolute path, so that no character of the
	// name (?, #, %) is read as part of the options.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, &opError{"opening the store " + path, err}
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &SQLite{base: base{db: db, d: sqliteDialect(), where: path, key: key}, path: path}
	s.afterErase = s.checkpoint
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrate brings the schema up to date, each migration in a transaction
// of its own (which holds the write lock, so two processes opening the
// store at once apply each migration once).
func (s *SQLite) migrate(ctx context.Context) error {
	// A database with tables but no store_migrations is someone else's:
	// never write into it.
	var ours, tables int
	if err := s.db.QueryRowContext(ctx, `SELECT
		COUNT(*) FILTER (WHERE name = 'store_migrations'),
		COUNT(*)
		FROM sqlite_master WHERE type = 'table'`).Scan(&ours, &tables); err != nil {
		return &opError{"opening the store " + s.path, err}
	}
	if ours == 0 && tables > 0 {
		return &opError{"opening the store " + s.path, errors.New("the file is a database of something else (it has tables but no store_migrations): give rosteron a file of its own")}
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS store_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return &opError{"opening the store " + s.path, err}
	}
	return s.migrateAll(ctx, func(ctx context.Context) (*sql.Tx, error) { return s.db.BeginTx(ctx, nil) }, migrationChecks)
}

// migrationChecks are checks run in a migration's transaction before it,
// by version, to refuse with a clear error a store the migration would
// fail on (the transaction is rolled back: the store stays as it was).
var migrationChecks = map[int]func(ctx context.Context, tx *sql.Tx) error{
	2: checkUsernameCase,
}

// checkUsernameCase refuses a store holding two accounts of one instance
// whose usernames differ only in case (ASCII), which migration 0002 makes
// one account, naming their IDs.
func checkUsernameCase(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT instance, group_concat(id, ', '), group_concat(username, ', ')
		FROM (SELECT id, instance, username FROM accounts ORDER BY id)
		GROUP BY instance, lower(username) HAVING COUNT(*) > 1 ORDER BY MIN(id)`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var dups []string
	for rows.Next() {
		var instance, ids, names string
		if err := rows.Scan(&instance, &ids, &names); err != nil {
			return err
		}
		dups = append(dups, fmt.Sprintf("accounts %s (%s at %s)", ids, names, instance))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(dups) == 0 {
		return nil
	}
	return fmt.Errorf("RosterOn usernames are case-insensitive, and the store holds one login as more than one account: %s. "+
		"Nothing was changed. Keep one of each: remove the others with the rosteron that made them ('rosteron accounts remove ID'), "+
		"or with sqlite3 (DELETE FROM blobs WHERE account_id = ID; DELETE FROM accounts WHERE id = ID), then start this rosteron again",
		strings.Join(dups, "; "))
}

// Delete erases the account, its sealed values and its blobs, then
// checkpoints the WAL into the file and truncates it, so that the erased
// bytes (zeroed in the file by secure_delete) are gone from the WAL too.
//
// When the deletion is committed but the checkpoint fails (another
// process kept reading the store through the ten seconds' wait), Delete
// returns a *NotErasedError: the account is deleted, and its bytes may
// stay in the write-ahead log until the next checkpoint. Callers treat it
// as a success with a warning to show, never as a failed delete.
func (s *SQLite) Delete(ctx context.Context, id ID) error {
	return s.base.Delete(ctx, id)
}

// checkpoint copies the WAL into the file and truncates it, after a
// committed change (done says which). A checkpoint that fails, or that
// another process's reader holds back, is a *NotErasedError: the erased
// bytes may still be in the WAL.
func (s *SQLite) checkpoint(ctx context.Context, done string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return &NotErasedError{done, err}
	}
	defer conn.Close()
	if s.checkpointWait > 0 {
		// Tests only: a shorter wait than busy_timeout's ten seconds, on
		// the one connection, set back before it is given back.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", s.checkpointWait.Milliseconds())); err != nil {
			return &NotErasedError{done, err}
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = 10000")
	}
	var busy, logFrames, moved int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &moved); err != nil {
		return &NotErasedError{done, err}
	}
	if busy != 0 {
		return &NotErasedError{done, errors.New("another process kept reading the store, which held the checkpoint back")}
	}
	return nil
}
