package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

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
// for the one connection forever.
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
	db   *sql.DB
	path string

	// mu guards key: every call holds it for reading, RotateKey for
	// writing, so that no call seals under a key RotateKey replaces.
	mu  sync.RWMutex
	key *Key

	// checkpointWait, when set (by tests), is how long a checkpoint
	// waits for other processes instead of busy_timeout's ten seconds.
	checkpointWait time.Duration
}

var _ Store = (*SQLite)(nil)

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
	s := &SQLite{db: db, path: path, key: key}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: its name must start with a version number and _", name)
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must run 1, 2, 3… without a gap", m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the highest schema version this code knows.
func SchemaVersion() int {
	ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the migrations the store lacks, each in its own
// transaction, and refuses a store newer than this code.
func (s *SQLite) migrate(ctx context.Context) error {
	ms, err := loadMigrations(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return &opError{"migrating the store", err}
	}
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
	for {
		done, err := s.migrateOne(ctx, ms)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next migration in a transaction of its own
// (which holds the write lock, so two processes opening the store at
// once apply each migration once); done when there is none.
func (s *SQLite) migrateOne(ctx context.Context, ms []migration) (done bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, &opError{"migrating the store " + s.path, err}
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM store_migrations`).Scan(&have); err != nil {
		return false, &opError{"migrating the store " + s.path, err}
	}
	if have > len(ms) {
		return false, &opError{"opening the store " + s.path,
			fmt.Errorf("its schema is version %d, newer than this rosteron knows (%d): run a newer rosteron", have, len(ms))}
	}
	if have == len(ms) {
		return true, nil
	}
	m := ms[have]
	if check := migrationChecks[m.version]; check != nil {
		if err := check(ctx, tx); err != nil {
			return false, &opError{"migrating the store " + s.path + " with " + m.name, err}
		}
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, &opError{"migrating the store " + s.path + " with " + m.name, err}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO store_migrations (version, applied) VALUES (?, ?)`, m.version, time.Now().UnixNano()); err != nil {
		return false, &opError{"migrating the store " + s.path + " with " + m.name, err}
	}
	if err := tx.Commit(); err != nil {
		return false, &opError{"migrating the store " + s.path + " with " + m.name, err}
	}
	return false, nil
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

// DB is the database, for the job engine's tables. See SQLite: never
// call the store while holding a transaction on it.
func (s *SQLite) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *SQLite) Close() error {
	if err := s.db.Close(); err != nil {
		return &opError{"closing the store", err}
	}
	return nil
}

// newSecret makes a token or a manage secret: 24 random bytes (192 bits),
// base64 RawURLEncoding, 32 characters, as feed's tokens are.
func newSecret() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", &opError{"making a secret", err}
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashSecret is what the store keeps of a token or a manage secret to
// find its account by. A plain SHA-256 is enough: the secrets are 192
// bits of randomness, which no dictionary or brute force reaches, so a
// slow or salted hash would add nothing.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte("rosteron/v1 " + secret))
	return h[:]
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// inTx runs f in one transaction (a write one: _txlock=immediate).
func (s *SQLite) inTx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &opError{op, err}
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		if errors.Is(err, ErrStore) {
			return err
		}
		return &opError{op, err}
	}
	if err := tx.Commit(); err != nil {
		return &opError{op, err}
	}
	return nil
}

const accountColumns = `id, username, instance, zone, created, paused, pause_reason,
	health_state, health_why, health_last_good, health_next_refresh`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(r scanner) (*Account, error) {
	var a Account
	var created, lastGood, next int64
	var paused int
	err := r.Scan(&a.ID, &a.Username, &a.Instance, &a.Zone, &created, &paused, &a.PauseReason,
		&a.Health.State, &a.Health.Why, &lastGood, &next)
	if err != nil {
		return nil, err
	}
	a.Created = fromNanos(created)
	a.Paused = paused != 0
	a.Health.LastGood = fromNanos(lastGood)
	a.Health.NextRefresh = fromNanos(next)
	return &a, nil
}

// one reads the account a query finds; ErrNotFound for none.
func (s *SQLite) one(ctx context.Context, op, where string, args ...any) (*Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{op, err}
	}
	return a, nil
}

// Create adds an account.
func (s *SQLite) Create(ctx context.Context, n NewAccount) (*Account, Secrets, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n.Username == "" || n.Instance == "" {
		return nil, Secrets{}, &opError{"creating an account", errors.New("the username and the instance are required")}
	}
	if s.key == nil && (n.Password != "" || n.Settings.HasSecrets()) {
		return nil, Secrets{}, ErrNoKey
	}
	var sec Secrets
	var err error
	sec.Token = n.Token
	if sec.Token == "" {
		if sec.Token, err = newSecret(); err != nil {
			return nil, Secrets{}, err
		}
	}
	if sec.Manage, err = newSecret(); err != nil {
		return nil, Secrets{}, err
	}
	created := time.Now().UTC()
	var a *Account
	err = s.inTx(ctx, "creating an account", func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE instance = ? AND lower(username) = lower(?)`, n.Instance, n.Username).Scan(&one)
		if err == nil {
			return ErrExists
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts (username, instance, zone, created, token_hash, manage_hash)
			VALUES (?, ?, ?, ?, ?, ?)`, n.Username, n.Instance, n.Zone, created.UnixNano(), hashSecret(sec.Token), hashSecret(sec.Manage))
		if err != nil {
			var se *sqlite.Error
			if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				return &opError{"creating an account", errors.New("the token given is another account's already")}
			}
			return err
		}
		id64, err := res.LastInsertId()
		if err != nil {
			return err
		}
		id := ID(id64)
		if s.key != nil {
			tok, err := seal(s.key, ctxToken(id), []byte(sec.Token))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET token_sealed = ? WHERE id = ?`, tok, id); err != nil {
				return err
			}
		}
		if n.Password != "" {
			if err := s.setPassword(ctx, tx, id, n.Password); err != nil {
				return err
			}
		}
		if err := s.setSettings(ctx, tx, id, &n.Settings); err != nil {
			return err
		}
		a = &Account{ID: id, Username: n.Username, Instance: n.Instance, Zone: n.Zone, Created: time.Unix(0, created.UnixNano()).UTC()}
		return nil
	})
	if err != nil {
		return nil, Secrets{}, err
	}
	return a, sec, nil
}

// Get returns one account.
func (s *SQLite) Get(ctx context.Context, id ID) (*Account, error) {
	return s.one(ctx, "reading an account", `id = ?`, id)
}

// Find returns the account of that instance and username, the username
// in any case (ASCII letters: SQLite's lower()).
func (s *SQLite) Find(ctx context.Context, instance, username string) (*Account, error) {
	return s.one(ctx, "finding an account", `instance = ? AND lower(username) = lower(?)`, instance, username)
}

// ByToken returns the account whose token this is.
func (s *SQLite) ByToken(ctx context.Context, token string) (*Account, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	return s.one(ctx, "finding an account by its token", `token_hash = ?`, hashSecret(token))
}

// ByManage returns the account whose manage secret this is.
func (s *SQLite) ByManage(ctx context.Context, secret string) (*Account, error) {
	if secret == "" {
		return nil, ErrNotFound
	}
	return s.one(ctx, "finding an account by its manage secret", `manage_hash = ?`, hashSecret(secret))
}

// List returns every account, by ID.
func (s *SQLite) List(ctx context.Context) ([]*Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, &opError{"listing the accounts", err}
	}
	defer rows.Close()
	var as []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, &opError{"listing the accounts", err}
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, &opError{"listing the accounts", err}
	}
	return as, nil
}

// sealedColumn reads one sealed column of an account; ErrNotFound for no
// account, nil for NULL.
func (s *SQLite) sealedColumn(ctx context.Context, op string, id ID, column string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT `+column+` FROM accounts WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{op, err}
	}
	return b, nil
}

// Password opens the account's RosterOn password; "" when none is kept.
func (s *SQLite) Password(ctx context.Context, id ID) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil {
		return "", ErrNoKey
	}
	b, err := s.sealedColumn(ctx, "reading a password", id, "password_sealed")
	if err != nil || b == nil {
		return "", err
	}
	p, err := open(s.key, ctxPassword(id), b)
	if err != nil {
		return "", err
	}
	return string(p), nil
}

// Token opens the account's feed token.
func (s *SQLite) Token(ctx context.Context, id ID) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil {
		return "", ErrNoKey
	}
	b, err := s.sealedColumn(ctx, "reading a token", id, "token_sealed")
	if err != nil {
		return "", err
	}
	if b == nil {
		return "", &kindError{fmt.Sprintf("store: account %d's token was made when the store had no key, so only its hash is kept: make a new one", id)}
	}
	t, err := open(s.key, ctxToken(id), b)
	if err != nil {
		return "", err
	}
	return string(t), nil
}

// Settings opens the account's settings.
func (s *SQLite) Settings(ctx context.Context, id ID) (*Settings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var sealed []byte
	var plain sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT settings_sealed, settings_plain FROM accounts WHERE id = ?`, id).Scan(&sealed, &plain)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{"reading settings", err}
	}
	var data []byte
	switch {
	case sealed != nil:
		if data, err = open(s.key, ctxSettings(id), sealed); err != nil {
			return nil, err
		}
	case plain.Valid:
		data = []byte(plain.String)
	default:
		return &Settings{}, nil
	}
	var st Settings
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, &opError{"reading settings", errors.New("they are not valid JSON")}
	}
	return &st, nil
}

// exists reports ErrNotFound when there is no account id.
func exists(ctx context.Context, tx *sql.Tx, id ID) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (s *SQLite) setPassword(ctx context.Context, tx *sql.Tx, id ID, password string) error {
	var sealed []byte
	if password != "" {
		if s.key == nil {
			return ErrNoKey
		}
		var err error
		if sealed, err = seal(s.key, ctxPassword(id), []byte(password)); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET password_sealed = ? WHERE id = ?`, sealed, id)
	return err
}

func (s *SQLite) setSettings(ctx context.Context, tx *sql.Tx, id ID, st *Settings) error {
	if st == nil {
		st = &Settings{}
	}
	if s.key == nil && st.HasSecrets() {
		return ErrNoKey
	}
	data, err := json.Marshal(st)
	if err != nil {
		return &opError{"saving settings", errors.New("they do not marshal to JSON")}
	}
	defer clear(data)
	if s.key == nil {
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET settings_sealed = NULL, settings_plain = ? WHERE id = ?`, string(data), id)
		return err
	}
	sealed, err := seal(s.key, ctxSettings(id), data)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET settings_sealed = ?, settings_plain = NULL WHERE id = ?`, sealed, id)
	return err
}

// SetPassword seals and keeps the account's password; "" keeps none.
func (s *SQLite) SetPassword(ctx context.Context, id ID, password string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil && password != "" {
		return ErrNoKey
	}
	return s.inTx(ctx, "saving a password", func(tx *sql.Tx) error {
		if err := exists(ctx, tx, id); err != nil {
			return err
		}
		return s.setPassword(ctx, tx, id, password)
	})
}

// SetSettings seals and keeps the account's settings.
func (s *SQLite) SetSettings(ctx context.Context, id ID, st *Settings) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.inTx(ctx, "saving settings", func(tx *sql.Tx) error {
		if err := exists(ctx, tx, id); err != nil {
			return err
		}
		return s.setSettings(ctx, tx, id, st)
	})
}

// execOne runs a statement that changes one account's row: ErrNotFound
// when it changed none.
func execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// update runs one UPDATE of one account; ErrNotFound when there is none.
func (s *SQLite) update(ctx context.Context, op, set string, id ID, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE accounts SET `+set+` WHERE id = ?`, append(args, id)...)
	})
}

// SetZone sets the account's zone.
func (s *SQLite) SetZone(ctx context.Context, id ID, zone string) error {
	return s.update(ctx, "saving a zone", `zone = ?`, id, zone)
}

// SetPaused pauses or resumes the account.
func (s *SQLite) SetPaused(ctx context.Context, id ID, paused bool, reason string) error {
	p := 0
	if paused {
		p = 1
	} else {
		reason = ""
	}
	return s.update(ctx, "pausing an account", `paused = ?, pause_reason = ?`, id, p, reason)
}

// SetHealth records the account's health.
func (s *SQLite) SetHealth(ctx context.Context, id ID, h Health) error {
	return s.update(ctx, "saving an account's health",
		`health_state = ?, health_why = ?, health_last_good = ?, health_next_refresh = ?`,
		id, h.State, h.Why, nanos(h.LastGood), nanos(h.NextRefresh))
}

// NewToken replaces the account's token.
func (s *SQLite) NewToken(ctx context.Context, id ID) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tok, err := newSecret()
	if err != nil {
		return "", err
	}
	var sealed []byte
	if s.key != nil {
		if sealed, err = seal(s.key, ctxToken(id), []byte(tok)); err != nil {
			return "", err
		}
	}
	if err := s.update(ctx, "making a new token", `token_hash = ?, token_sealed = ?`, id, hashSecret(tok), sealed); err != nil {
		return "", err
	}
	return tok, nil
}

// NewManage replaces the account's manage secret.
func (s *SQLite) NewManage(ctx context.Context, id ID) (string, error) {
	m, err := newSecret()
	if err != nil {
		return "", err
	}
	if err := s.update(ctx, "making a new manage secret", `manage_hash = ?`, id, hashSecret(m)); err != nil {
		return "", err
	}
	return m, nil
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
	err := s.inTx(ctx, "deleting an account", func(tx *sql.Tx) error {
		// Blobs first, though they cascade: a store opened without
		// foreign_keys must not keep them.
		if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE account_id = ?`, id); err != nil {
			return err
		}
		return execOne(ctx, tx, `DELETE FROM accounts WHERE id = ?`, id)
	})
	if err != nil {
		return err
	}
	return s.checkpoint(ctx, fmt.Sprintf("account %d is deleted", id))
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

// LoadBlob reads one of the account's blobs.
func (s *SQLite) LoadBlob(ctx context.Context, id ID, name string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE account_id = ? AND name = ?`, id, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{"reading " + name, err}
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// SaveBlob writes one of the account's blobs; ErrNotFound when there is
// no such account.
func (s *SQLite) SaveBlob(ctx context.Context, id ID, name string, data []byte) error {
	if name == "" {
		return &opError{"saving a blob", errors.New("its name is empty")}
	}
	if data == nil {
		data = []byte{}
	}
	return s.inTx(ctx, "saving "+name, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs (account_id, name, data, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
			id, name, data, time.Now().UnixNano())
		return err
	})
}

// Secret returns the service-wide secret of that name, making it with
// make the first time. make runs inside the store's transaction: it must
// not call the store.
func (s *SQLite) Secret(ctx context.Context, name string, make func() ([]byte, error)) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil {
		return nil, ErrNoKey
	}
	var out []byte
	err := s.inTx(ctx, "reading the secret "+name, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, `SELECT sealed FROM secrets WHERE name = ?`, name).Scan(&sealed)
		if err == nil {
			out, err = open(s.key, ctxSecret(name), sealed)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		v, err := make()
		if err != nil {
			return &opError{"making the secret " + name, err}
		}
		if len(v) == 0 {
			return &opError{"making the secret " + name, errors.New("it is empty")}
		}
		if sealed, err = seal(s.key, ctxSecret(name), v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, sealed) VALUES (?, ?)`, name, sealed); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RotateKey opens every sealed value with the current key and seals it
// under next, in one transaction; settings kept in clear by a store
// without a key are sealed too. From then on the store uses next. Other
// processes using the file must be stopped (see SQLite).
func (s *SQLite) RotateKey(ctx context.Context, next *Key) error {
	if next == nil {
		return &opError{"rotating the key", errors.New("no new key given")}
	}
	if next.zero() {
		return &opError{"rotating the key", errZeroKey}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, "rotating the key", func(tx *sql.Tx) error {
		type row struct {
			id                        ID
			password, token, settings []byte
			plain                     sql.NullString
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, password_sealed, token_sealed, settings_sealed, settings_plain FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.password, &r.token, &r.settings, &r.plain); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		reseal := func(b []byte, context string) ([]byte, error) {
			if b == nil {
				return nil, nil
			}
			p, err := open(s.key, context, b)
			if err != nil {
				return nil, err
			}
			defer clear(p)
			return seal(next, context, p)
		}
		for _, r := range all {
			pw, err := reseal(r.password, ctxPassword(r.id))
			if err != nil {
				return err
			}
			tok, err := reseal(r.token, ctxToken(r.id))
			if err != nil {
				return err
			}
			st, err := reseal(r.settings, ctxSettings(r.id))
			if err != nil {
				return err
			}
			if st == nil && r.plain.Valid {
				if st, err = seal(next, ctxSettings(r.id), []byte(r.plain.String)); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_sealed = ?, token_sealed = ?, settings_sealed = ?, settings_plain = NULL WHERE id = ?`,
				pw, tok, st, r.id); err != nil {
				return err
			}
		}
		srows, err := tx.QueryContext(ctx, `SELECT name, sealed FROM secrets ORDER BY name`)
		if err != nil {
			return err
		}
		type secret struct {
			name   string
			sealed []byte
		}
		var secrets []secret
		for srows.Next() {
			var x secret
			if err := srows.Scan(&x.name, &x.sealed); err != nil {
				srows.Close()
				return err
			}
			secrets = append(secrets, x)
		}
		if err := srows.Close(); err != nil {
			return err
		}
		if err := srows.Err(); err != nil {
			return err
		}
		for _, x := range secrets {
			b, err := reseal(x.sealed, ctxSecret(x.name))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE secrets SET sealed = ? WHERE name = ?`, b, x.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.key = next
	// The values sealed under the old key are overwritten in the file by
	// secure_delete; empty the WAL of them too. A checkpoint held back
	// is no failure: the rotation is committed, and what stays in the WAL
	// is sealed under the old key, which opens nothing once destroyed. An
	// error here would have a caller throw the new key away, and with it
	// every secret in the store.
	_ = s.checkpoint(ctx, "the key is rotated")
	return nil
}

// CheckKey tells whether the store's key opens what the store has
// sealed, by opening one sealed value: ErrWrongKey when it does not,
// ErrNoKey when the store has no key and holds sealed values, nil when
// it opens or nothing is sealed yet. Run it at start, so that a wrong
// --key-file is told at once rather than at each account's refresh.
func (s *SQLite) CheckKey(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var sealed []byte
	var context string
	var id ID
	err := s.db.QueryRowContext(ctx, `SELECT id, token_sealed FROM accounts WHERE token_sealed IS NOT NULL ORDER BY id LIMIT 1`).Scan(&id, &sealed)
	switch {
	case err == nil:
		context = ctxToken(id)
	case errors.Is(err, sql.ErrNoRows):
		var name string
		err = s.db.QueryRowContext(ctx, `SELECT name, sealed FROM secrets ORDER BY name LIMIT 1`).Scan(&name, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return &opError{"checking the key", err}
		}
		context = ctxSecret(name)
	default:
		return &opError{"checking the key", err}
	}
	p, err := open(s.key, context, sealed)
	clear(p)
	return err
}
