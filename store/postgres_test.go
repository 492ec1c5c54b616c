package store

import (
	"context"
	"testing"

	"github.com/rosteron/rosteron/internal/pgtest"
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
