package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// base is the store in SQL, one code path for SQLite and Postgres: the
// statements are written once, with ? placeholders, and dialect says
// what differs (placeholders, the username fold, the clock, the change
// stamp, row locks). SQLite and Postgres embed it.
type base struct {
	db *sql.DB
	d  *dialect
	// where names the store in errors: its path, or "in Postgres".
	where string

	// mu guards key: every call holds it for reading, RotateKey for
	// writing, so that no call of this process seals under a key
	// RotateKey replaces.
	mu  sync.RWMutex
	key *Key

	// afterErase runs after a committed Delete or RotateKey, to wipe what
	// they erased from the database's logs (SQLite's checkpoint); nil
	// when there is nothing to do.
	afterErase func(ctx context.Context, done string) error
}

// dialect is what differs between the databases.
type dialect struct {
	kind Kind
	// dollar: placeholders are $1, $2… (Postgres), not ?.
	dollar bool
	// foldSQL is the ASCII-only case fold of a column, as in the unique
	// index of migration 0002.
	foldSQL func(column string) string
	// greatest is the SQL function of the larger of two values.
	greatest string
	// forUpdate and skipLocked end a SELECT that locks the rows it reads
	// (nothing on SQLite, whose writers are serialised anyway).
	forUpdate, skipLocked string
	// bump runs in a changing transaction before stampSQL is used in it;
	// stampSQL is the SQL of the change stamp that transaction writes.
	bump, stampSQL string
	// nextSQL is the stamp Changes returns: every transaction whose
	// stamp is below it has ended, in the snapshot it is read in.
	nextSQL string
	// changesTx are the options of Changes's transaction.
	changesTx *sql.TxOptions
	// now is the clock leases and turns are measured by, in unix
	// nanoseconds: the database's where it has one.
	now func(ctx context.Context, q querier) (int64, error)
	// unique tells a unique violation and the constraint it broke.
	unique func(err error) (constraint string, ok bool)
	// rotateLock, when set, runs first in RotateKey's transaction.
	rotateLock string

	// rebound caches rebind's results.
	rebound sync.Map
}

// querier is what the dialect's now needs: a *sql.DB, *sql.Conn or
// *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q returns query in the dialect's placeholders.
func (d *dialect) q(query string) string {
	if !d.dollar {
		return query
	}
	if v, ok := d.rebound.Load(query); ok {
		return v.(string)
	}
	out := rebind(query)
	d.rebound.Store(query, out)
	return out
}

// rebind turns each ? outside quotes into $1, $2…
func rebind(query string) string {
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// asciiLower folds ASCII capitals only, as SQLite's lower() and the
// Postgres store's translate() do: the argument's half of a username
// comparison.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
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

// DB is the database, for the job engine's tables. On SQLite, never call
// the store while holding a transaction on it (see SQLite).
func (s *base) DB() *sql.DB { return s.db }

// Kind is the store's database.
func (s *base) Kind() Kind { return s.d.kind }

// Close closes the database.
func (s *base) Close() error {
	if err := s.db.Close(); err != nil {
		return &opError{"closing the store", err}
	}
	return nil
}

// exec, query and queryRow run one statement in the dialect.
func (s *base) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.q(query), args...)
}

func (s *base) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.q(query), args...)
}

func (s *base) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.q(query), args...)
}

// inTx runs f in one transaction (on SQLite a write one:
// _txlock=immediate).
func (s *base) inTx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	return s.inTxOpts(ctx, op, nil, f)
}

func (s *base) inTxOpts(ctx context.Context, op string, opts *sql.TxOptions, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, opts)
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
func (s *base) one(ctx context.Context, op, where string, args ...any) (*Account, error) {
	a, err := scanAccount(s.queryRow(ctx, s.db, `SELECT `+accountColumns+` FROM accounts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{op, err}
	}
	return a, nil
}

// usernameIs is the WHERE clause of one instance's username in any case;
// its arguments are the instance and asciiLower(username).
func (s *base) usernameIs() string {
	return `instance = ? AND ` + s.d.foldSQL("username") + ` = ?`
}

// bumpAccount marks the account's row changed, for Changes, in tx;
// ErrNotFound when there is no such account.
func (s *base) bumpAccount(ctx context.Context, tx *sql.Tx, id ID) error {
	return s.bumpColumn(ctx, tx, id, "changed")
}

// bumpState marks the account's feed state saved likewise.
func (s *base) bumpState(ctx context.Context, tx *sql.Tx, id ID) error {
	return s.bumpColumn(ctx, tx, id, "state_changed")
}

func (s *base) bumpColumn(ctx context.Context, tx *sql.Tx, id ID, column string) error {
	if s.d.bump != "" {
		if _, err := tx.ExecContext(ctx, s.d.bump); err != nil {
			return err
		}
	}
	return s.execOne(ctx, tx, `UPDATE accounts SET `+column+` = `+s.d.stampSQL+` WHERE id = ?`, id)
}

// Create adds an account.
func (s *base) Create(ctx context.Context, n NewAccount) (*Account, Secrets, error) {
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
		err := s.queryRow(ctx, tx, `SELECT 1 FROM accounts WHERE `+s.usernameIs(), n.Instance, asciiLower(n.Username)).Scan(&one)
		if err == nil {
			return ErrExists
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var id ID
		err = s.queryRow(ctx, tx, `INSERT INTO accounts (username, instance, zone, created, token_hash, manage_hash)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, n.Username, n.Instance, n.Zone, created.UnixNano(), hashSecret(sec.Token), hashSecret(sec.Manage)).Scan(&id)
		if err != nil {
			if c, ok := s.d.unique(err); ok {
				// Postgres: another replica's Create of the same
				// login committed after this one's check.
				if strings.Contains(c, "username") {
					return ErrExists
				}
				return &opError{"creating an account", errors.New("the token given is another account's already")}
			}
			return err
		}
		if s.key != nil {
			tok, err := seal(s.key, ctxToken(id), []byte(sec.Token))
			if err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, `UPDATE accounts SET token_sealed = ? WHERE id = ?`, tok, id); err != nil {
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
		if err := s.bumpAccount(ctx, tx, id); err != nil {
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
func (s *base) Get(ctx context.Context, id ID) (*Account, error) {
	return s.one(ctx, "reading an account", `id = ?`, id)
}

// Find returns the account of that instance and username, the username
// in any case (ASCII letters, on both databases).
func (s *base) Find(ctx context.Context, instance, username string) (*Account, error) {
	return s.one(ctx, "finding an account", s.usernameIs(), instance, asciiLower(username))
}

// ByToken returns the account whose token this is.
func (s *base) ByToken(ctx context.Context, token string) (*Account, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	return s.one(ctx, "finding an account by its token", `token_hash = ?`, hashSecret(token))
}

// ByManage returns the account whose manage secret this is.
func (s *base) ByManage(ctx context.Context, secret string) (*Account, error) {
	if secret == "" {
		return nil, ErrNotFound
	}
	return s.one(ctx, "finding an account by its manage secret", `manage_hash = ?`, hashSecret(secret))
}

// List returns every account, by ID.
func (s *base) List(ctx context.Context) ([]*Account, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
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
func (s *base) sealedColumn(ctx context.Context, op string, id ID, column string) ([]byte, error) {
	var b []byte
	err := s.queryRow(ctx, s.db, `SELECT `+column+` FROM accounts WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, &opError{op, err}
	}
	return b, nil
}

// Password opens the account's RosterOn password; "" when none is kept.
func (s *base) Password(ctx context.Context, id ID) (string, error) {
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
func (s *base) Token(ctx context.Context, id ID) (string, error) {
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
func (s *base) Settings(ctx context.Context, id ID) (*Settings, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var sealed []byte
	var plain sql.NullString
	err := s.queryRow(ctx, s.db, `SELECT settings_sealed, settings_plain FROM accounts WHERE id = ?`, id).Scan(&sealed, &plain)
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

func (s *base) setPassword(ctx context.Context, tx *sql.Tx, id ID, password string) error {
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
	_, err := s.exec(ctx, tx, `UPDATE accounts SET password_sealed = ? WHERE id = ?`, sealed, id)
	return err
}

func (s *base) setSettings(ctx context.Context, tx *sql.Tx, id ID, st *Settings) error {
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
		_, err = s.exec(ctx, tx, `UPDATE accounts SET settings_sealed = NULL, settings_plain = ? WHERE id = ?`, string(data), id)
		return err
	}
	sealed, err := seal(s.key, ctxSettings(id), data)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `UPDATE accounts SET settings_sealed = ?, settings_plain = NULL WHERE id = ?`, sealed, id)
	return err
}

// SetPassword seals and keeps the account's password; "" keeps none.
func (s *base) SetPassword(ctx context.Context, id ID, password string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil && password != "" {
		return ErrNoKey
	}
	return s.inTx(ctx, "saving a password", func(tx *sql.Tx) error {
		if err := s.bumpAccount(ctx, tx, id); err != nil {
			return err
		}
		return s.setPassword(ctx, tx, id, password)
	})
}

// SetSettings seals and keeps the account's settings.
func (s *base) SetSettings(ctx context.Context, id ID, st *Settings) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.inTx(ctx, "saving settings", func(tx *sql.Tx) error {
		if err := s.bumpAccount(ctx, tx, id); err != nil {
			return err
		}
		return s.setSettings(ctx, tx, id, st)
	})
}

// execOne runs a statement that changes one account's row: ErrNotFound
// when it changed none.
func (s *base) execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := s.exec(ctx, tx, query, args...)
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

// update runs one UPDATE of one account, marking its row changed (for
// Changes) when changed; ErrNotFound when there is no such account.
func (s *base) update(ctx context.Context, op string, changed bool, set string, id ID, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if changed {
			if err := s.bumpAccount(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.execOne(ctx, tx, `UPDATE accounts SET `+set+` WHERE id = ?`, append(args, id)...)
	})
}

// SetZone sets the account's zone.
func (s *base) SetZone(ctx context.Context, id ID, zone string) error {
	return s.update(ctx, "saving a zone", true, `zone = ?`, id, zone)
}

// SetPaused pauses or resumes the account.
func (s *base) SetPaused(ctx context.Context, id ID, paused bool, reason string) error {
	p := 0
	if paused {
		p = 1
	} else {
		reason = ""
	}
	return s.update(ctx, "pausing an account", true, `paused = ?, pause_reason = ?`, id, p, reason)
}

const setHealth = `health_state = ?, health_why = ?, health_last_good = ?, health_next_refresh = ?`

// SetHealth records the account's health. It is no change for Changes:
// every refresh writes it.
func (s *base) SetHealth(ctx context.Context, id ID, h Health) error {
	return s.update(ctx, "saving an account's health", false, setHealth,
		id, h.State, h.Why, nanos(h.LastGood), nanos(h.NextRefresh))
}

// NewToken replaces the account's token.
func (s *base) NewToken(ctx context.Context, id ID) (string, error) {
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
	if err := s.update(ctx, "making a new token", true, `token_hash = ?, token_sealed = ?`, id, hashSecret(tok), sealed); err != nil {
		return "", err
	}
	return tok, nil
}

// NewManage replaces the account's manage secret.
func (s *base) NewManage(ctx context.Context, id ID) (string, error) {
	m, err := newSecret()
	if err != nil {
		return "", err
	}
	if err := s.update(ctx, "making a new manage secret", true, `manage_hash = ?`, id, hashSecret(m)); err != nil {
		return "", err
	}
	return m, nil
}

// Delete erases the account, its sealed values and its blobs. See
// SQLite.Delete and Postgres.Delete for what stays of them where.
func (s *base) Delete(ctx context.Context, id ID) error {
	err := s.inTx(ctx, "deleting an account", func(tx *sql.Tx) error {
		// Blobs first, though they cascade: a store opened without
		// foreign_keys must not keep them.
		if _, err := s.exec(ctx, tx, `DELETE FROM blobs WHERE account_id = ?`, id); err != nil {
			return err
		}
		return s.execOne(ctx, tx, `DELETE FROM accounts WHERE id = ?`, id)
	})
	if err != nil {
		return err
	}
	if s.afterErase == nil {
		return nil
	}
	return s.afterErase(ctx, fmt.Sprintf("account %d is deleted", id))
}

// LoadBlob reads one of the account's blobs.
func (s *base) LoadBlob(ctx context.Context, id ID, name string) ([]byte, error) {
	var data []byte
	err := s.queryRow(ctx, s.db, `SELECT data FROM blobs WHERE account_id = ? AND name = ?`, id, name).Scan(&data)
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
func (s *base) SaveBlob(ctx context.Context, id ID, name string, data []byte) error {
	if name == "" {
		return &opError{"saving a blob", errors.New("its name is empty")}
	}
	return s.inTx(ctx, "saving "+name, func(tx *sql.Tx) error {
		return s.saveBlobs(ctx, tx, id, map[string][]byte{name: data})
	})
}

// saveBlobs writes blobs of one account in tx, marking its state saved:
// the account's row first, which finds it (ErrNotFound) and holds it
// against a Delete until tx ends; then the blobs by name, so that two
// transactions lock them in one order.
func (s *base) saveBlobs(ctx context.Context, tx *sql.Tx, id ID, blobs map[string][]byte) error {
	names := make([]string, 0, len(blobs))
	for name := range blobs {
		if name == "" {
			return &opError{"saving a blob", errors.New("its name is empty")}
		}
		names = append(names, name)
	}
	sort.Strings(names)
	if err := s.bumpState(ctx, tx, id); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	for _, name := range names {
		data := blobs[name]
		if data == nil {
			data = []byte{}
		}
		_, err := s.exec(ctx, tx, `INSERT INTO blobs (account_id, name, data, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
			id, name, data, now)
		if err != nil {
			return err
		}
	}
	return nil
}

// Secret returns the service-wide secret of that name, making it with
// make the first time. make runs inside the store's transaction: it must
// not call the store. When two processes make it at once, one's is kept
// and both return it.
func (s *base) Secret(ctx context.Context, name string, make func() ([]byte, error)) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key == nil {
		return nil, ErrNoKey
	}
	var out []byte
	err := s.inTx(ctx, "reading the secret "+name, func(tx *sql.Tx) error {
		read := func() (bool, error) {
			var sealed []byte
			err := s.queryRow(ctx, tx, `SELECT sealed FROM secrets WHERE name = ?`, name).Scan(&sealed)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			out, err = open(s.key, ctxSecret(name), sealed)
			return true, err
		}
		if found, err := read(); found || err != nil {
			return err
		}
		v, err := make()
		if err != nil {
			return &opError{"making the secret " + name, err}
		}
		if len(v) == 0 {
			return &opError{"making the secret " + name, errors.New("it is empty")}
		}
		sealed, err := seal(s.key, ctxSecret(name), v)
		if err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `INSERT INTO secrets (name, sealed) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, sealed)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			out = v
			return err
		}
		// Another process's committed first (Postgres, read committed:
		// this statement sees it).
		found, err := read()
		if err == nil && !found {
			err = errors.New("it was made by another process and is gone")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RotateKey opens every sealed value with the current key and seals it
// under next, in one transaction; settings kept in clear by a store
// without a key are sealed too. From then on the store uses next. Other
// processes using the database must be stopped (see SQLite, Postgres).
func (s *base) RotateKey(ctx context.Context, next *Key) error {
	if next == nil {
		return &opError{"rotating the key", errors.New("no new key given")}
	}
	if next.zero() {
		return &opError{"rotating the key", errZeroKey}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.inTx(ctx, "rotating the key", func(tx *sql.Tx) error {
		if s.d.rotateLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.rotateLock); err != nil {
				return err
			}
		}
		type row struct {
			id                        ID
			password, token, settings []byte
			plain                     sql.NullString
		}
		rows, err := s.query(ctx, tx, `SELECT id, password_sealed, token_sealed, settings_sealed, settings_plain FROM accounts ORDER BY id`)
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
			if _, err := s.exec(ctx, tx, `UPDATE accounts SET password_sealed = ?, token_sealed = ?, settings_sealed = ?, settings_plain = NULL WHERE id = ?`,
				pw, tok, st, r.id); err != nil {
				return err
			}
		}
		srows, err := s.query(ctx, tx, `SELECT name, sealed FROM secrets ORDER BY name`)
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
			if _, err := s.exec(ctx, tx, `UPDATE secrets SET sealed = ? WHERE name = ?`, b, x.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.key = next
	// What stays of the values sealed under the old key (SQLite's WAL
	// until a checkpoint, Postgres's dead tuples until a vacuum) is
	// sealed under the old key, which opens nothing once destroyed. An
	// error here would have a caller throw the new key away, and with it
	// every secret in the store: none is returned.
	if s.afterErase != nil {
		_ = s.afterErase(ctx, "the key is rotated")
	}
	return nil
}

// CheckKey tells whether the store's key opens what the store has
// sealed, by opening one sealed value: ErrWrongKey when it does not,
// ErrNoKey when the store has no key and holds sealed values, nil when
// it opens or nothing is sealed yet. Run it at start, so that a wrong
// --key-file is told at once rather than at each account's refresh.
func (s *base) CheckKey(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var sealed []byte
	var context string
	var id ID
	err := s.queryRow(ctx, s.db, `SELECT id, token_sealed FROM accounts WHERE token_sealed IS NOT NULL ORDER BY id LIMIT 1`).Scan(&id, &sealed)
	switch {
	case err == nil:
		context = ctxToken(id)
	case errors.Is(err, sql.ErrNoRows):
		var name string
		err = s.queryRow(ctx, s.db, `SELECT name, sealed FROM secrets ORDER BY name LIMIT 1`).Scan(&name, &sealed)
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

// CheckKey is the CheckKey method of a Store of either kind (see
// SQLite.CheckKey):
// whether the store's key opens what it has sealed.
func CheckKey(ctx context.Context, s Store) error {
	c, ok := s.(interface{ CheckKey(context.Context) error })
	if !ok {
		return &opError{"checking the key", fmt.Errorf("a %s store cannot tell", s.Kind())}
	}
	return c.CheckKey(ctx)
}
