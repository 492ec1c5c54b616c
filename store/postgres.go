package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresConfig says how to reach a Postgres store.
type PostgresConfig struct {
	// DSN is the database's address, a postgres:// URL or key=value
	// pairs, without the password (one in it is refused, lest it be
	// logged or seen in a process list).
	DSN string
	// Password is the database user's password, read from a file or a
	// secret; "" for none (a .pgpass, a client certificate, or trust on
	// loopback).
	Password string
	// AllowPlaintext lets a host that is not loopback (nor a Unix socket)
	// be reached without verified TLS (sslmode verify-full, or verify-ca
	// with sslrootcert=FILE; see CheckDSN).
	// Refused without it.
	AllowPlaintext bool
	// MaxConns bounds the pool's connections (0: a default of 10). At
	// least 2: MigrationLock holds one while its function uses another.
	MaxConns int
}

// defaultMaxConns is the pool's size when PostgresConfig says none.
const defaultMaxConns = 10

// migrationLockID is the pg_advisory_lock key that migrations (the
// store's and, through MigrationLock, River's) run under: "rost" "migr".
const migrationLockID int64 = 0x726f7374_6d696772

// Postgres is the store in a Postgres database, through pgx's
// database/sql adapter (stdlib), so that the store, River's
// riverdatabasesql driver and the service's transactions share one
// *sql.DB and one kind of transaction (*sql.Tx) with the SQLite store.
//
// Any number of processes (serve replicas) may use one database at
// once: each call is one transaction, row locks order the calls that
// must not interleave (TakeSlot, NextTurn, Hit, Secret), and the schema
// is migrated under a pg_advisory_lock. Leases and turns are measured by
// the database's clock.
//
// RotateKey, as on SQLite, needs every other process using the database
// stopped: they keep the old key, and what they seal after the rotation
// is sealed under it.
type Postgres struct {
	base
}

var _ Store = (*Postgres)(nil)

// postgresDialect is Postgres's: $n placeholders, an ASCII-only fold by
// translate() (Postgres's lower() folds every letter of its locale, and
// SQLite's only ASCII), the database's clock, and transaction ids as
// change stamps.
func postgresDialect() *dialect {
	return &dialect{
		kind:   KindPostgres,
		dollar: true,
		foldSQL: func(c string) string {
			return "translate(" + c + ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
		},
		greatest:   "GREATEST",
		forUpdate:  " FOR UPDATE",
		skipLocked: " FOR UPDATE SKIP LOCKED",
		stampSQL:   `pg_current_xact_id()::text::bigint`,
		nextSQL:    `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`,
		changesTx:  &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		now: func(ctx context.Context, q querier) (int64, error) {
			var n int64
			err := q.QueryRowContext(ctx, `SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 1000`).Scan(&n)
			return n, err
		},
		unique: func(err error) (string, bool) {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23505" {
				return pe.ConstraintName, true
			}
			return "", false
		},
		// Writes by other processes wait for the rotation (reads go
		// on); they must be stopped all the same (see Postgres).
		rotateLock: `LOCK TABLE accounts, secrets IN EXCLUSIVE MODE`,
	}
}

// OpenPostgres opens the store in the Postgres database of cfg and brings
// its schema up to date, under a pg_advisory_lock so that replicas
// starting at once migrate one after the other. key may be nil as for
// Open.
func OpenPostgres(ctx context.Context, cfg PostgresConfig, key *Key) (Store, error) {
	const op = "opening the Postgres store"
	if key != nil && key.zero() {
		return nil, &opError{op, errZeroKey}
	}
	connCfg, err := postgresConnConfig(cfg)
	if err != nil {
		return nil, &opError{op, err}
	}
	n := cfg.MaxConns
	switch {
	case n == 0:
		n = defaultMaxConns
	case n < 2:
		return nil, &opError{op, fmt.Errorf("MaxConns is %d: it must be at least 2 (MigrationLock holds one connection while River's migrations use another)", n)}
	}
	db := stdlib.OpenDB(*connCfg)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	where := "in Postgres database " + connCfg.Database
	s := &Postgres{base{db: db, d: postgresDialect(), where: where, key: key}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// postgresConnConfig checks cfg (no password in the DSN; verified TLS to
// a host that is not loopback) and returns the connection configuration
// with cfg's password.
func postgresConnConfig(cfg PostgresConfig) (*pgx.ConnConfig, error) {
	connCfg, _, err := CheckDSN(cfg.DSN, cfg.AllowPlaintext)
	if errors.Is(err, ErrDSNPassword) {
		return nil, errors.New("the database address holds a password: take it out, and give the password from a file (--database-password-file, a credential or a Docker secret), so that it is never in a process list or a log")
	}
	if err != nil {
		return nil, err
	}
	if cfg.Password != "" {
		connCfg.Password = cfg.Password
	}
	return connCfg, nil
}

// isLocalHost: a Unix socket's folder, or a loopback name or address.
func isLocalHost(h string) bool {
	if strings.HasPrefix(h, "/") || h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// migrate brings the schema up to date under the migration lock, each
// migration in a transaction of its own on the lock's connection.
func (s *Postgres) migrate(ctx context.Context) error {
	return withMigrationLock(ctx, s.db, func(ctx context.Context, conn *sql.Conn) error {
		// A database with tables of others (but River's) and no
		// store_migrations is someone else's: never write into it.
		var ours, others int
		if err := conn.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE tablename = 'store_migrations'),
			COUNT(*) FILTER (WHERE tablename NOT LIKE 'river\_%')
			FROM pg_tables WHERE schemaname = current_schema()`).Scan(&ours, &others); err != nil {
			return &opError{"opening the store " + s.where, err}
		}
		if ours == 0 && others > 0 {
			return &opError{"opening the store " + s.where, errors.New("the database holds tables of something else but no store_migrations: give rosteron a database (or a schema, by search_path) of its own")}
		}
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS store_migrations (
			version BIGINT PRIMARY KEY,
			applied BIGINT NOT NULL
		)`); err != nil {
			return &opError{"opening the store " + s.where, err}
		}
		return s.migrateAll(ctx, func(ctx context.Context) (*sql.Tx, error) { return conn.BeginTx(ctx, nil) }, nil)
	})
}

// withMigrationLock runs f holding the migration lock, a session
// pg_advisory_lock on one connection of db that f is given. Waiting for
// the lock is bounded by ctx.
func withMigrationLock(ctx context.Context, db *sql.DB, f func(ctx context.Context, conn *sql.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return &opError{"connecting to Postgres", err}
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return &opError{"waiting for the migration lock", err}
	}
	ferr := f(ctx, conn)
	var unlocked bool
	err = conn.QueryRowContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID).Scan(&unlocked)
	if err != nil || !unlocked {
		// The lock goes with the session: end it rather than give a
		// connection holding it back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return ferr
}

// MigrationLock runs f under the lock the store's migrations run under:
// on Postgres a pg_advisory_lock held on a connection of its own (f may
// use the others), so that replicas starting at once run River's
// migrator, which takes no lock, one after the other; on SQLite, whose
// migrations are serialised by its write lock, it just runs f.
func MigrationLock(ctx context.Context, s Store, f func(context.Context) error) error {
	if s.Kind() != KindPostgres {
		return f(ctx)
	}
	return withMigrationLock(ctx, s.DB(), func(ctx context.Context, _ *sql.Conn) error { return f(ctx) })
}

// Delete erases the account, its sealed values and its blobs, in one
// transaction. Postgres has no secure_delete: the deleted rows stay in
// the table's files as dead tuples until a vacuum (autovacuum's, soon
// after) reclaims their space, and in the write-ahead log and base
// backups until those are recycled. What they hold is what a live
// account's rows hold: the username, instance and feed state (rosters)
// in clear, the secrets sealed, so that without the key they yield no
// password, token or credential. Delete never returns a
// *NotErasedError on Postgres.
func (s *Postgres) Delete(ctx context.Context, id ID) error {
	return s.base.Delete(ctx, id)
}
