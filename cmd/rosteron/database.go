package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/store"
)

// Where the database password of --database may come from, besides
// --database-password-file: never the command line nor the URL.
const (
	// dbPasswordCredential is the systemd credential
	// (LoadCredential=rosteron-database-password:…).
	dbPasswordCredential = "rosteron-database-password"
	// dbPasswordSecret is the Docker or Compose secret, mounted at
	// /run/secrets/rosteron_database_password.
	dbPasswordSecret = "rosteron_database_password"
	// envDatabase and envAllowPlaintext are --database and
	// --database-allow-plaintext from the environment.
	envDatabase       = "ROSTERON_DATABASE"
	envAllowPlaintext = "ROSTERON_DATABASE_ALLOW_PLAINTEXT"
)

// databaseUsage documents the database flags in the help texts.
const databaseUsage = `  --database URL      keep the store in PostgreSQL (or $` + envDatabase + `),
                      such as postgres://rosteron@db.example.org/rosteron
                      ?sslmode=verify-full (one line), rather than in
                      ` + storeFile + ` in --state: for many serve replicas
                      on one database. A password in it is refused
  --database-password-file FILE
                      the database user's password, from the first line
                      of FILE. Default: the systemd credential
                      ` + dbPasswordCredential + `, else the Docker
                      secret /run/secrets/` + dbPasswordSecret + `,
                      else none (a .pgpass, a client certificate)
  --database-allow-plaintext
                      let a database host that is not loopback be reached
                      without verified TLS (or
                      ` + envAllowPlaintext + `=1), with a warning.
                      Without it such a host needs sslmode=verify-full
                      (or verify-ca with sslrootcert=FILE)
`

// dbFlags are the flags of the database.
type dbFlags struct {
	url            string
	passwordFile   string
	allowPlaintext bool
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.url, "database", "", "")
	fs.StringVar(&d.passwordFile, "database-password-file", "", "")
	fs.BoolVar(&d.allowPlaintext, "database-allow-plaintext", false, "")
}

// storeLoc is where a store is: the SQLite file in dir, or PostgreSQL
// when pg is set (dir is then --state, which holds no store).
type storeLoc struct {
	dir string
	pg  *store.PostgresConfig
	// where names the store in messages, "the store in WHERE": the
	// state folder, or the database's hosts and name, never a password.
	where string
}

func (l *storeLoc) postgres() bool { return l.pg != nil }

// sqliteFile is the SQLite store's file; "" on PostgreSQL.
func (l *storeLoc) sqliteFile() string {
	if l.pg != nil {
		return ""
	}
	return filepath.Join(l.dir, storeFile)
}

// stateDirFor is --state, else the default state folder; with a
// database, which needs none, "" when there is no default (no $HOME, as
// in a container run as a user of its own).
func (c *cli) stateDirFor(cmd string, k keyFlags, d dbFlags) (string, error) {
	dir, err := k.stateDir(cmd, c.getenv)
	if err != nil && (d.url != "" || c.getenv(envDatabase) != "") {
		return "", nil
	}
	return dir, err
}

// storeLocation returns the store of the flags: PostgreSQL with
// --database (or $ROSTERON_DATABASE), its password read, else the SQLite
// file in dir.
func (c *cli) storeLocation(ctx context.Context, cmd, dir string, d dbFlags) (*storeLoc, error) {
	dsn := d.url
	if dsn == "" {
		dsn = c.getenv(envDatabase)
	}
	if dsn == "" {
		if d.passwordFile != "" || d.allowPlaintext {
			return nil, usagef(cmd, "--database-password-file and --database-allow-plaintext go with --database")
		}
		return &storeLoc{dir: dir, where: dir}, nil
	}
	allow := d.allowPlaintext
	if v := c.getenv(envAllowPlaintext); v != "" && !allow {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usagef(cmd, "invalid %s %q: want 1 or 0", envAllowPlaintext, v)
		}
		allow = b
	}
	where, err := checkDSN(cmd, dsn, allow)
	if err != nil {
		return nil, err
	}
	if allow {
		c.errorf("warning: --database-allow-plaintext: the database %s may be reached without verified TLS, "+
			"so that its password and every sealed secret cross the network where they can be read or changed", where)
	}
	cfg := &store.PostgresConfig{DSN: dsn, AllowPlaintext: allow}
	if path, named := c.secretFile(d.passwordFile, dbPasswordCredential, dbPasswordSecret); path != "" {
		pw, err := readPasswordFile(ctx, cmd, path)
		if err != nil {
			return nil, fmt.Errorf("the database password: %w", err)
		}
		if named {
			c.warnOpenFile("database password file", path)
		}
		c.addSecrets("", pw)
		cfg.Password = pw
	}
	return &storeLoc{dir: dir, pg: cfg, where: where}, nil
}

// checkDSN refuses a database address that holds a password, or that
// reaches a host other than loopback without verified TLS (unless
// allow), judged as pgx reads it (store.CheckDSN), and returns how to
// name the database in messages: its hosts and name, never the address
// as given.
func checkDSN(cmd, dsn string, allow bool) (string, error) {
	const keep = "put the password in a file given with --database-password-file (or the systemd credential " +
		dbPasswordCredential + ", or the Docker secret " + dbPasswordSecret + "): an address is seen in process lists and logs"
	cfg, hosts, err := store.CheckDSN(dsn, allow)
	var plain *store.PlaintextHostError
	switch {
	case errors.Is(err, store.ErrDSNPassword):
		return "", usagef(cmd, "the --database address holds a password (or an sslpassword): remove it, and %s", keep)
	case errors.Is(err, store.ErrDSNInvalid):
		return "", usagef(cmd, "--database is neither a valid postgres:// URL nor valid key=value settings")
	case errors.As(err, &plain):
		return "", usagef(cmd, "the database host %s is not this machine, and the address does not ask for verified TLS: "+
			"add sslmode=verify-full (with sslrootcert=FILE, the database's CA, unless the system's CAs sign its certificate; "+
			"verify-ca, which checks no host name, only with sslrootcert=FILE), "+
			"so that the database password and the sealed secrets cannot be read or changed on the way; "+
			"or, on a network you trust, give --database-allow-plaintext", plain.Host)
	case err != nil:
		return "", usagef(cmd, "--database: %v", err)
	}
	return fmt.Sprintf("postgres %s/%s", strings.Join(hosts, ","), cfg.Database), nil
}

// openStoreAt opens the store of loc with key (nil for none): the SQLite
// file in its folder (made 0700), or the PostgreSQL database, its schema
// brought up to date. A key that does not open what the store holds is
// refused here, once.
func (c *cli) openStoreAt(ctx context.Context, loc *storeLoc, key *store.Key) (store.Store, error) {
	if !loc.postgres() {
		return c.openStore(ctx, loc.dir, key)
	}
	st, err := openPostgresAt(ctx, loc, key)
	if err != nil {
		return nil, err
	}
	if err := checkKeyAt(ctx, st, loc, key); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// openPostgresAt opens the database of loc with key, without checking
// the key: the callers that lock take their lock first, then check it,
// so that no rotate-key slips in between.
func openPostgresAt(ctx context.Context, loc *storeLoc, key *store.Key) (store.Store, error) {
	st, err := store.OpenPostgres(ctx, *loc.pg, key)
	if err != nil {
		return nil, fmt.Errorf("opening the store in %s: %w", loc.where, err)
	}
	return st, nil
}

// checkKeyAt refuses a key (not nil) that does not open what st holds.
func checkKeyAt(ctx context.Context, st store.Store, loc *storeLoc, key *store.Key) error {
	if key == nil {
		return nil
	}
	if err := store.CheckKey(ctx, st); err != nil {
		if errors.Is(err, store.ErrWrongKey) {
			return fmt.Errorf("the key does not open the secrets of the store in %s: it is not the key they were "+
				"sealed with (after 'rosteron accounts rotate-key', give the new one)", loc.where)
		}
		return fmt.Errorf("reading the store in %s: %w", loc.where, err)
	}
	return nil
}

// holdsSealedAt is holdsSealed for any store: whether it holds values
// sealed with a key, read without one.
func (c *cli) holdsSealedAt(loc *storeLoc) (bool, error) {
	if !loc.postgres() {
		return holdsSealed(loc.dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.OpenPostgres(ctx, *loc.pg, nil)
	if err != nil {
		return false, err
	}
	defer st.Close()
	err = store.CheckKey(ctx, st)
	switch {
	case errors.Is(err, store.ErrNoKey):
		return true, nil
	case err == nil:
		return false, nil
	}
	return false, err
}

// The advisory locks that stand, on PostgreSQL, for the lock files of a
// SQLite store: each serve holds pgServeLock shared for its life, so that
// rotate-key (which takes it exclusively) refuses while any replica runs;
// add and import hold pgRotateLock shared while they seal, and rotate-key
// takes it exclusively. Their numbers are "rosteron" in ASCII and 1 or 2,
// apart from River's and the store's own.
const (
	pgServeLock  int64 = 0x726f737465726f00 | 1
	pgRotateLock int64 = 0x726f737465726f00 | 2
)

// pgLock takes the advisory lock key on a connection of its own, without
// waiting: errLocked when another session holds it in the other mode (or
// exclusively). unlock lets it go and drops the connection; the lock goes
// with the connection too, whatever ends the process.
func pgLock(ctx context.Context, db *sql.DB, key int64, shared bool) (conn *sql.Conn, unlock func(), err error) {
	fn := "pg_try_advisory_lock"
	if shared {
		fn += "_shared"
	}
	conn, err = db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to the database for its lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT "+fn+"($1)", key).Scan(&ok); err != nil {
		dropConn(conn)
		return nil, nil, fmt.Errorf("taking the database's lock: %w", err)
	}
	if !ok {
		dropConn(conn)
		return nil, nil, errLocked
	}
	return conn, func() { dropConn(conn) }, nil
}

// dropConn closes the connection itself rather than returning it to the
// pool, so that a session lock held on it goes with it.
func dropConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// openForAdd opens the store to add accounts to, holding rotate-key
// away until unlock: on SQLite the lock file rotate.lock in --state,
// shared, taken before the store is opened; on PostgreSQL its advisory
// lock, shared.
func (c *cli) openForAdd(ctx context.Context, loc *storeLoc, key *store.Key) (_ store.Store, unlock func(), err error) {
	busy := fmt.Errorf("'rosteron accounts rotate-key' is re-sealing the store in %s: add the accounts once it is done, "+
		"with the new key", loc.where)
	if !loc.postgres() {
		if err := os.MkdirAll(loc.dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("creating the state folder: %w", err)
		}
		unlock, err := lockShared(filepath.Join(loc.dir, rotateLockName))
		if errors.Is(err, errLocked) {
			return nil, nil, busy
		}
		if err != nil {
			return nil, nil, err
		}
		st, err := c.openStoreAt(ctx, loc, key)
		if err != nil {
			unlock()
			return nil, nil, err
		}
		return st, unlock, nil
	}
	st, err := openPostgresAt(ctx, loc, key)
	if err != nil {
		return nil, nil, err
	}
	_, unlock, err = pgLock(ctx, st.DB(), pgRotateLock, true)
	if err != nil {
		st.Close()
		if errors.Is(err, errLocked) {
			return nil, nil, busy
		}
		return nil, nil, err
	}
	// The key is checked under the lock: a rotate-key done before it
	// was taken is seen.
	if err := checkKeyAt(ctx, st, loc, key); err != nil {
		unlock()
		st.Close()
		return nil, nil, err
	}
	return st, unlock, nil
}

// lockForRotate opens the store for rotate-key, once no serve runs on it
// and no add or import seals in it: on SQLite the lock files serve.lock
// and rotate.lock in --state, exclusively; on PostgreSQL the advisory
// locks every serve replica and every add hold shared.
func (c *cli) lockForRotate(ctx context.Context, loc *storeLoc, key *store.Key, newKeyFile string) (_ store.Store, unlock func(), err error) {
	serving := fmt.Errorf("a 'rosteron serve --accounts' is running on %s: stop it first "+
		"(every replica, on a database), then rotate the key, then start it again with --key-file %s", loc.where, newKeyFile)
	adding := fmt.Errorf("an 'rosteron accounts add' (or import) or another rotate-key is running on %s: try again once it is done", loc.where)
	var unlocks []func()
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	if !loc.postgres() {
		u, err := lockFile(filepath.Join(loc.dir, lockName))
		if errors.Is(err, errLocked) {
			return nil, nil, fmt.Errorf("a 'rosteron serve --accounts' is running on %s (it holds %s): stop it first, "+
				"then rotate the key, then start it again with --key-file %s", loc.dir, filepath.Join(loc.dir, lockName), newKeyFile)
		}
		if err != nil {
			return nil, nil, err
		}
		unlocks = append(unlocks, u)
		if u, err = lockFile(filepath.Join(loc.dir, rotateLockName)); errors.Is(err, errLocked) {
			release()
			return nil, nil, fmt.Errorf("an 'rosteron accounts add' or another rotate-key is running on %s: try again once it is done", loc.dir)
		} else if err != nil {
			release()
			return nil, nil, err
		}
		unlocks = append(unlocks, u)
		st, err := c.openStoreAt(ctx, loc, key)
		if err != nil {
			release()
			return nil, nil, err
		}
		return st, release, nil
	}
	st, err := openPostgresAt(ctx, loc, key)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range []struct {
		key  int64
		busy error
	}{{pgServeLock, serving}, {pgRotateLock, adding}} {
		_, u, err := pgLock(ctx, st.DB(), l.key, false)
		if err != nil {
			release()
			st.Close()
			if errors.Is(err, errLocked) {
				return nil, nil, l.busy
			}
			return nil, nil, err
		}
		unlocks = append(unlocks, u)
	}
	if err := checkKeyAt(ctx, st, loc, key); err != nil {
		release()
		st.Close()
		return nil, nil, err
	}
	return st, release, nil
}

// serveLockCheck is how often a serve on a database checks that the
// connection holding its advisory lock is alive.
var serveLockCheck = 30 * time.Second

// openForServe opens the store for serve --accounts and holds its lock
// until unlock. On SQLite the lock file serve.lock in --state, taken
// first, so that a second serve opens (and migrates) nothing of a store
// the first one runs. On PostgreSQL, which replicas share, the advisory
// lock every replica holds shared, for its life, on a connection of its
// own: rotate-key refuses while any holds it.
//
// lost (nil on SQLite) yields an error, once, when serve no longer holds
// its lock on the database and cannot take it again (or finds, once it
// has, that the key no longer opens the store): serve must then stop,
// lest it seal with a key that rotate-key has replaced.
func (c *cli) openForServe(ctx context.Context, as *accountsServer, lg *scrubWriter) (_ store.Store, unlock func(), lost <-chan error, err error) {
	loc := as.loc
	if !loc.postgres() {
		if err := os.MkdirAll(loc.dir, 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("creating the state folder: %w", err)
		}
		lockPath := filepath.Join(loc.dir, lockName)
		unlock, err := lockFile(lockPath)
		if errors.Is(err, errLocked) {
			return nil, nil, nil, fmt.Errorf("another 'rosteron serve --accounts' is running on %s (it holds %s): one serve per store", loc.dir, lockPath)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		st, err := c.openStoreAt(ctx, loc, as.key)
		if err != nil {
			unlock()
			return nil, nil, nil, err
		}
		return st, unlock, nil, nil
	}
	st, err := openPostgresAt(ctx, loc, as.key)
	if err != nil {
		return nil, nil, nil, err
	}
	conn, drop, err := pgLock(ctx, st.DB(), pgServeLock, true)
	if errors.Is(err, errLocked) {
		st.Close()
		return nil, nil, nil, fmt.Errorf("'rosteron accounts rotate-key' is re-sealing the store in %s: start serve once it is done, "+
			"with the new key", loc.where)
	}
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	// The key is checked under the lock: a rotate-key done before it
	// was taken is seen.
	if err := checkKeyAt(ctx, st, loc, as.key); err != nil {
		drop()
		st.Close()
		return nil, nil, nil, err
	}
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	lostc := make(chan error, 1)
	go func() {
		defer close(done)
		if err := c.holdServeLock(hctx, st, as.key, conn, drop, lg, loc); err != nil {
			lostc <- err
		}
	}()
	return st, func() { stop(); <-done }, lostc, nil
}

// serveLockTries is how many times in a row serve tries to take its lock
// again, one check apart, when the database does not answer, before it
// stops.
const serveLockTries = 3

// holdServeLock keeps serve's shared advisory lock until ctx ends: should
// its connection be lost (the database restarted), the lock went with it,
// and is taken again on a new one, then the key checked again. It
// returns an error, and serve must stop (fail closed), when the lock is
// held by rotate-key, when the key no longer opens the store (a
// rotate-key ran while the lock was not held), or when the database has
// not given the lock back after serveLockTries tries.
func (c *cli) holdServeLock(ctx context.Context, st store.Store, key *store.Key, conn *sql.Conn, drop func(), lg *scrubWriter, loc *storeLoc) error {
	where := loc.where
	defer func() {
		if drop != nil {
			drop()
		}
	}()
	t := time.NewTicker(serveLockCheck)
	defer t.Stop()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if conn != nil {
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.PingContext(pctx)
			cancel()
			if err == nil || ctx.Err() != nil {
				continue
			}
			drop()
			conn, drop = nil, nil
			fmt.Fprintf(lg, "rosteron serve: warning: lost the connection that holds serve's lock on %s: taking it again\n", where)
		}
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var err error
		conn, drop, err = pgLock(lctx, st.DB(), pgServeLock, true)
		if err == nil && key != nil {
			// Had a rotate-key run while the lock was not held, this
			// serve's key would seal what the new one cannot open.
			if err = store.CheckKey(lctx, st); err != nil {
				drop()
				conn, drop = nil, nil
				cancel()
				if ctx.Err() != nil {
					return nil
				}
				if errors.Is(err, store.ErrWrongKey) {
					return fmt.Errorf("lost serve's lock on %s for a while, and the key no longer opens the store: "+
						"'rosteron accounts rotate-key' ran meanwhile: stopping, lest secrets be sealed with the old key; "+
						"start every serve replica again with the new key", where)
				}
				if failed++; failed < serveLockTries {
					fmt.Fprintf(lg, "rosteron serve: warning: checking the key on %s again: %s\n", where, c.oneLine(err.Error()))
					continue
				}
				return fmt.Errorf("lost serve's lock on %s, and could not make sure the key still opens the store: %s: "+
					"stopping, lest secrets be sealed with a replaced key", where, c.oneLine(err.Error()))
			}
		}
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			failed = 0
			fmt.Fprintf(lg, "rosteron serve: holds serve's lock on %s again\n", where)
		case errors.Is(err, errLocked):
			return fmt.Errorf("lost serve's lock on %s, and 'rosteron accounts rotate-key' holds it now: stopping, "+
				"lest secrets be sealed with the old key; start every serve replica again with the new key once it is done", where)
		default:
			failed++
			if failed >= serveLockTries {
				return fmt.Errorf("lost serve's lock on %s, and could not take it again (%d tries): %s: stopping, "+
					"lest a rotate-key run unseen", where, failed, c.oneLine(err.Error()))
			}
			fmt.Fprintf(lg, "rosteron serve: warning: taking serve's lock on %s again: %s\n", where, c.oneLine(err.Error()))
		}
	}
}
