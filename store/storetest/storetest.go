// Package storetest opens real SQLite stores for other packages' tests:
// a fresh file in t.TempDir(), sealed with a fresh key, closed when the
// test ends.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

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
