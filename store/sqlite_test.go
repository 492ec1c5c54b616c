package store

import (
	"context"
	"path/filepath"
	"testing"

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
