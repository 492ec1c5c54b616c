package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/join"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// The join pages' check goes through the service's limits, and its
// ErrBusy is the pages' join.ErrBusy.
func TestLateServiceCheckIsTheServices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := store.NewKey()
	require.NoError(t, err)
	st, err := store.Open(context.Background(), filepath.Join(dir, storeFile), key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	logins := 0
	svc, err := service.New(service.Config{
		Store: st,
		Fetch: func(ctx context.Context, a *store.Account, password string, l *session.Limiter) (*snapshot.Snapshot, error) {
			logins++
			return &snapshot.Snapshot{}, nil
		},
		Options:  func(context.Context, *store.Account) (*service.Options, error) { return &service.Options{}, nil },
		LoginGap: time.Hour,
	})
	require.NoError(t, err)
	late := &lateService{}
	require.ErrorIs(t, late.check(context.Background(), instA, "alice", "pw-1"), join.ErrBusy, "no service yet")
	late.set(svc)
	require.NoError(t, late.check(context.Background(), instA, "alice", "pw-1"))
	err = late.check(context.Background(), instA, "bob", "pw-2")
	require.ErrorIs(t, err, join.ErrBusy, "the host's next login is an hour away")
	require.ErrorIs(t, err, service.ErrBusy)
	require.Equal(t, 1, logins)
}
