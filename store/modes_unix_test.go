//go:build unix

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The modes files are made with come from the store, not the umask.
func umask0(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
}

func TestFileModes(t *testing.T) {
	umask0(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	s, err := Open(context.Background(), path, testKey(t))
	require.NoError(t, err)
	defer s.Close()
	_, _, err = s.Create(context.Background(), NewAccount{Username: "a", Instance: "https://a.example", Password: "pw"})
	require.NoError(t, err)
	for _, name := range []string{"store.db", "store.db-wal", "store.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), name)
	}
}

func TestKeyFileModes(t *testing.T) {
	umask0(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "rosteron.key")
	_, created, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	require.True(t, created)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	other := testKey(t)
	next := filepath.Join(dir, "next.key")
	require.NoError(t, WriteKeyFile(next, other))
	fi, err = os.Stat(next)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	// Readable by others: the key with a warning.
	openKey := filepath.Join(dir, "open.key")
	require.NoError(t, WriteKeyFile(openKey, other))
	require.NoError(t, os.Chmod(openKey, 0o644))
	loaded, err := LoadKey(openKey)
	var mode *KeyFileModeError
	require.True(t, errors.As(err, &mode), "%v", err)
	assert.ErrorIs(t, err, ErrStore)
	assert.Equal(t, openKey, mode.Path)
	assert.Contains(t, err.Error(), "0644")
	require.NotNil(t, loaded)
	assert.Equal(t, other.b, loaded.b)
	loaded, created, err = LoadOrCreateKey(openKey)
	assert.True(t, errors.As(err, &mode))
	assert.False(t, created)
	require.NotNil(t, loaded)
	assert.Equal(t, other.b, loaded.b)
}
