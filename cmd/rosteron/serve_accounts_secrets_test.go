package main

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/store"
)

// An account's secrets go to its own Options (its service log and pages),
// not to the process's list, which would grow at every Reload and every
// new password; and an instance not allowed is declined with its own
// reason.
func TestAccountOptionsKeepSecretsPerAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key, err := store.NewKey()
	require.NoError(t, err)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), storeFile), key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	a, sec, err := st.Create(ctx, store.NewAccount{Username: "joe", Instance: instA, Password: "joe-Pa55-word"})
	require.NoError(t, err)
	b, _, err := st.Create(ctx, store.NewAccount{Username: "ann", Instance: instB, Password: "ann-Pa55-word"})
	require.NoError(t, err)

	c := &cli{}
	lg := &scrubWriter{w: &syncbuf.Buffer{}}
	as := &accountsServer{allowed: []string{instA}}
	opts := c.accountOptions(st, as, lg, []byte("guard-key-0123456789abcdef012345"))
	for _, pw := range []string{"joe-Pa55-word", "joe-New-1", "joe-New-2"} {
		require.NoError(t, st.SetPassword(ctx, a.ID, pw))
		o, err := opts(ctx, a)
		require.NoError(t, err)
		assert.Contains(t, o.Secrets, pw)
		assert.Contains(t, o.Secrets, base64.StdEncoding.EncodeToString([]byte("joe:"+pw)))
		assert.Contains(t, o.Secrets, sec.Token)
		assert.Equal(t, o.Secrets, as.accountSecrets(a.ID))
	}
	assert.Empty(t, c.secrets, "an account's secrets piled up in the process's list")

	_, err = opts(ctx, b)
	var declined *service.NotRefreshed
	require.ErrorAs(t, err, &declined)
	assert.Equal(t, "its instance "+instB+" is not one of --allow-instance's: not refreshed", declined.Why)
}
