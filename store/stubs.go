package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The issue-19 contract's methods, not built yet: the store's helper
// replaces this file.

var errNotBuilt = errors.New("store: not built yet")

func (s *SQLite) Kind() Kind { return KindSQLite }
func (s *SQLite) Changes(ctx context.Context, since Stamp) ([]Change, Stamp, error) {
	return nil, since, errNotBuilt
}
func (s *SQLite) TakeSlot(ctx context.Context, name string, limit int, holder string, lease time.Duration) (int, bool, error) {
	return 0, false, errNotBuilt
}
func (s *SQLite) ReleaseSlot(ctx context.Context, name string, slot int, holder string) error {
	return errNotBuilt
}
func (s *SQLite) NextTurn(ctx context.Context, name string, gap time.Duration) (time.Time, error) {
	return time.Time{}, errNotBuilt
}
func (s *SQLite) Hit(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	return false, 0, errNotBuilt
}
func (s *SQLite) SaveBlobsTx(ctx context.Context, tx *sql.Tx, id ID, blobs map[string][]byte) error {
	return errNotBuilt
}
func (s *SQLite) SetHealthTx(ctx context.Context, tx *sql.Tx, id ID, h Health) error {
	return errNotBuilt
}
