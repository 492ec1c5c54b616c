// Package storetest opens real stores for other packages' tests: SQLite
// in a fresh file in t.TempDir(), or Postgres in a fresh database of the
// test process's real PostgreSQL (internal/pgtest), sealed with a fresh
// key, closed when the test ends.
//
// A package whose tests open Postgres stores stops the cluster at the
// end with
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without PostgreSQL installed those tests skip, and fail in CI
// (CI=true), where a test that skips proves nothing.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/rosteron/rosteron/store"
)

// Key returns a fresh random key.
func Key(t testing.TB) *store.Key {
	t.Helper()
	k, err := store.NewKey()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return k
}

// Open opens a new store in t.TempDir() with a fresh key, closed at the
// test's end.
func Open(t testing.TB) *store.SQLite {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "store.db"), Key(t))
}

// OpenAt opens the store at path with key (nil for a store without one),
// closed at the test's end. Open it again at the same path, after closing
// it, to test what survives a restart.
func OpenAt(t testing.TB, path string, key *store.Key) *store.SQLite {
	t.Helper()
	s, err := store.Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Postgres opens a store in a fresh Postgres database with key (nil for
// a store without one), closed at the test's end and the database
// dropped after.
func Postgres(t testing.TB, key *store.Key) store.Store {
	t.Helper()
	return Fresh(t, store.KindPostgres)(key)
}

// Fresh makes a fresh database of kind and returns a function that opens
// a store in it with a key (nil for none), closed at the test's end.
// Call it again, after closing the store it gave, to test what survives
// a restart; on Postgres, call it again while the first is open for a
// second replica on the same database.
func Fresh(t testing.TB, kind store.Kind) func(key *store.Key) store.Store {
	t.Helper()
	switch kind {
	case store.KindSQLite:
		path := filepath.Join(t.TempDir(), "store.db")
		return func(key *store.Key) store.Store {
			t.Helper()
			return OpenAt(t, path, key)
		}
	case store.KindPostgres:
		d := pgtest.NewDatabase(t)
		return func(key *store.Key) store.Store {
			t.Helper()
			s, err := store.OpenPostgres(context.Background(), store.PostgresConfig{DSN: d.DSN, Password: d.Password}, key)
			if err != nil {
				t.Fatalf("storetest: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	}
	t.Fatalf("storetest: no such kind of store %q", kind)
	return nil
}

// Kinds runs f as a subtest on each kind of store, named "sqlite" and
// "postgres": open gives a store in a fresh database of that kind, with
// key (nil for none), each time it is called. Fresh(t, s.Kind()) gives a
// database to open again.
func Kinds(t *testing.T, f func(t *testing.T, open func(t *testing.T, key *store.Key) store.Store)) {
	t.Helper()
	for _, kind := range []store.Kind{store.KindSQLite, store.KindPostgres} {
		t.Run(string(kind), func(t *testing.T) {
			f(t, func(t *testing.T, key *store.Key) store.Store {
				t.Helper()
				return Fresh(t, kind)(key)
			})
		})
	}
}
