//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A token file that is a symbolic link is refused, even to a good token
// file of this user's: whoever could plant the link would choose the
// token. So is a FIFO in its place, at once rather than waiting for a
// writer. Nothing is written through the link.
func TestChromeTokenRefusesALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	theirs := filepath.Join(dir, "theirs")
	require.NoError(t, os.WriteFile(theirs, []byte(proxyToken+"\n"), 0o600))
	path := filepath.Join(dir, "chrome-token")
	require.NoError(t, os.Symlink(theirs, path))
	_, _, err := chromeToken(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a symbolic link")
	assert.NotContains(t, err.Error(), proxyToken)

	// A dangling link is not "no file": no token is made through it.
	dangling := filepath.Join(dir, "dangling")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), dangling))
	_, made, err := chromeToken(dangling)
	require.Error(t, err)
	assert.False(t, made)
	_, err = os.Lstat(filepath.Join(dir, "nowhere"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written through the link")

	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	_, _, err = chromeToken(fifo)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
}

// A token file in a folder that others may write to is refused, whether
// it is there already or would be made: another user could swap it
// between rosteron's check and its read. So is one in a folder of
// another user's.
func TestChromeTokenRefusesAFolderOthersWrite(t *testing.T) {
	t.Parallel()
	for _, mode := range []os.FileMode{0o777, 0o1777, 0o770, 0o702} {
		dir := filepath.Join(t.TempDir(), "shared")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, mode)) // whatever the umask
		path := filepath.Join(dir, "chrome-token")
		_, made, err := chromeToken(path)
		require.Error(t, err, "mode %04o", mode)
		assert.False(t, made)
		assert.Contains(t, err.Error(), "may be written by others")
		_, err = os.Lstat(path)
		assert.ErrorIs(t, err, os.ErrNotExist, "no token made in a folder of mode %04o", mode)

		require.NoError(t, os.WriteFile(path, []byte(proxyToken+"\n"), 0o600))
		_, _, err = chromeToken(path)
		require.Error(t, err, "an existing token in a folder of mode %04o", mode)
		assert.Contains(t, err.Error(), "chmod go-w")
	}

	if os.Geteuid() != 0 {
		return // only root can give a folder away
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "chrome-token"), []byte(proxyToken+"\n"), 0o600))
	require.NoError(t, os.Chown(dir, 12345, 12345))
	_, _, err := chromeToken(filepath.Join(dir, "chrome-token"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "belongs to user 12345")
}
