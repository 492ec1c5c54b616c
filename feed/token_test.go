//go:build unix

package feed

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A token file open to other users is made 0600, and says so.
func TestTokenFileModeFixed(t *testing.T) {
	t.Parallel()
	dir := stateDir(t)
	path := filepath.Join(dir, TokenFile)
	const tok = "0123456789abcdef0123456789abcdef"
	require.NoError(t, os.WriteFile(path, []byte(tok+"\n"), 0o600))
	require.NoError(t, os.Chmod(path, 0o666))

	var notices []string
	got, created, err := LoadOrCreateToken(dir, TokenNotices(func(m string) { notices = append(notices, m) }))
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, tok, got)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Len(t, notices, 1)
	assert.Contains(t, notices[0], "was mode 0666: made it 0600")
	assert.NotContains(t, notices[0], tok)

	// Already 0600: nothing to say.
	notices = nil
	_, _, err = LoadOrCreateToken(dir, TokenNotices(func(m string) { notices = append(notices, m) }))
	require.NoError(t, err)
	assert.Empty(t, notices)
}

// A token file that belongs to another user is refused, not read: its
// owner could read the feed's secret or set it.
func TestTokenFileOfAnotherUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	dir := stateDir(t)
	path := filepath.Join(dir, TokenFile)
	const tok = "0123456789abcdef0123456789abcdef"
	require.NoError(t, os.WriteFile(path, []byte(tok+"\n"), 0o600))
	require.NoError(t, os.Chown(path, 12345, 12345))

	_, _, err := LoadOrCreateToken(dir)
	require.ErrorIs(t, err, ErrNotOwned)
	assert.Contains(t, err.Error(), "uid 12345")
	assert.NotContains(t, err.Error(), tok)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, tok+"\n", string(data), "left as it was")
}
