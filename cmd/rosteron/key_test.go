package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/store"
)

// A key file others may read is refused, unless it is a systemd
// credential or a Docker secret, whose folders keep others out.
func TestKeyFileOpenToOthersIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes say nothing on Windows")
	}
	state := filepath.Join(t.TempDir(), "state")
	keyPath := filepath.Join(t.TempDir(), "key")
	storeWith(t, state, keyPath, [3]string{"joe", instA, "joe-Pa55-word"})
	require.NoError(t, os.Chmod(keyPath, 0o644))
	r := runWith(t, nil, "", "accounts", "list", "--state", state, "--addresses", "--key-file", keyPath)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the key file "+keyPath+" has mode 0644")
	assert.Contains(t, r.stderr, "chmod 600 "+keyPath)
	assert.Empty(t, r.stdout)

	// The same key as a systemd credential, 0444: read.
	creds := t.TempDir()
	data, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	cred := filepath.Join(creds, keyCredentialName)
	require.NoError(t, os.WriteFile(cred, data, 0o444))
	r = runWith(t, map[string]string{"CREDENTIALS_DIRECTORY": creds}, "", "accounts", "list", "--state", state, "--addresses")
	assert.Equal(t, exitOK, r.code, r.stderr)
	r = runWith(t, map[string]string{"CREDENTIALS_DIRECTORY": creds}, "", "accounts", "list", "--state", state, "--addresses", "--key-file", cred)
	assert.Equal(t, exitOK, r.code, r.stderr)
}

// holdsSealed says so when it cannot read the store, rather than taking
// it for one with nothing sealed (which would let a mistyped --key-file
// make a new key).
func TestHoldsSealed(t *testing.T) {
	dir := t.TempDir()
	sealed, err := holdsSealed(dir)
	require.NoError(t, err)
	assert.False(t, sealed, "no store")

	storeWith(t, dir, filepath.Join(t.TempDir(), "key"), [3]string{"joe", instA, "joe-Pa55-word"})
	sealed, err = holdsSealed(dir)
	require.NoError(t, err)
	assert.True(t, sealed)

	// A store that is not a database: unreadable, an error.
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, storeFile), []byte("not a database at all, just some bytes of text"), 0o600))
	_, err = holdsSealed(bad)
	require.Error(t, err)
	missing := filepath.Join(t.TempDir(), "typo")
	r := runWith(t, nil, "", "accounts", "add", "--state", bad, "--key-file", missing, "--url", instA, "--username", "ann",
		"--password-file", notifyFile(t, "pw\n"), "--browser", "ws://127.0.0.1:1")
	assert.NotEqual(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "could not be read to see whether it holds secrets sealed with a key")
	assert.NoFileExists(t, missing)

	// An empty store, with no key: nothing sealed.
	empty := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(empty, storeFile), nil)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	sealed, err = holdsSealed(empty)
	require.NoError(t, err)
	assert.False(t, sealed)
}

// serve --accounts takes its lock before it opens the store: a second
// serve opens (and makes, migrates) nothing of a store the first runs.
func TestServeAccountsLocksBeforeOpening(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.MkdirAll(state, 0o700))
	unlock, err := lockFile(filepath.Join(state, lockName))
	require.NoError(t, err)
	defer unlock()
	key := filepath.Join(t.TempDir(), "key")
	r := runWith(t, nil, "", "serve", "--accounts", "--state", state, "--key-file", key, "--browser", "ws://127.0.0.1:1",
		"--addr", "127.0.0.1:0")
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, "another 'rosteron serve --accounts' is running on "+state)
	assert.NoFileExists(t, filepath.Join(state, storeFile))
}
