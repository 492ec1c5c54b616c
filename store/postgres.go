package store

import (
	"context"
	"errors"
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
	// be reached without verified TLS (sslmode verify-full or verify-ca).
	// Refused without it.
	AllowPlaintext bool
	// MaxConns bounds the pool's connections (0: a default).
	MaxConns int
}

// OpenPostgres opens the store in the Postgres database of cfg and brings
// its schema up to date, under a pg_advisory_lock so that replicas
// starting at once migrate one after the other. key may be nil as for
// Open.
func OpenPostgres(ctx context.Context, cfg PostgresConfig, key *Key) (Store, error) {
	return nil, errors.New("store: Postgres is not built yet")
}
