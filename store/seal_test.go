package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeal(t *testing.T) {
	k := testKey(t)
	plain := []byte("Hunter2-Password")
	a, err := seal(k, ctxPassword(1), plain)
	require.NoError(t, err)
	b, err := seal(k, ctxPassword(1), plain)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "a fresh nonce each time")
	assert.False(t, bytes.Contains(a, plain))
	assert.Equal(t, byte(sealVersion), a[0])
	assert.Len(t, a, sealOverhead+len(plain))

	got, err := open(k, ctxPassword(1), a)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
	empty, err := seal(k, ctxSecret("x"), nil)
	require.NoError(t, err)
	got, err = open(k, ctxSecret("x"), empty)
	require.NoError(t, err)
	assert.Empty(t, got)

	// Another key: told apart by the fingerprint.
	_, err = open(testKey(t), ctxPassword(1), a)
	assert.ErrorIs(t, err, ErrWrongKey)
	assert.ErrorIs(t, err, ErrStore)
	var altered *alteredError
	assert.NotErrorAs(t, err, &altered)

	// Another place: the right key, but altered or moved.
	for _, ctx := range []string{ctxPassword(2), ctxPassword(11), ctxToken(1), ctxSettings(1), ctxSecret("password account=1")} {
		_, err = open(k, ctx, a)
		assert.ErrorIs(t, err, ErrWrongKey, ctx)
		assert.ErrorAs(t, err, &altered, ctx)
		assert.NotContains(t, err.Error(), string(plain))
	}
	for i := range a {
		c := bytes.Clone(a)
		c[i] ^= 0x01
		_, err = open(k, ctxPassword(1), c)
		assert.ErrorIs(t, err, ErrWrongKey, "byte %d flipped", i)
	}
	for _, c := range [][]byte{nil, {}, a[:sealOverhead-1], a[:len(a)-1]} {
		_, err = open(k, ctxPassword(1), c)
		assert.ErrorIs(t, err, ErrWrongKey)
	}

	_, err = seal(nil, ctxPassword(1), plain)
	assert.ErrorIs(t, err, ErrNoKey)
	_, err = open(nil, ctxPassword(1), a)
	assert.ErrorIs(t, err, ErrNoKey)
}

func TestSecretFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := newSecret()
		require.NoError(t, err)
		assert.Len(t, s, 32)
		assert.Regexp(t, `^[A-Za-z0-9_-]{32}$`, s)
		assert.False(t, seen[s])
		seen[s] = true
	}
	assert.Len(t, hashSecret("x"), 32)
	assert.NotEqual(t, hashSecret("x"), hashSecret("y"))
}

func TestZeroKeyRefused(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"), new(Key))
	assert.ErrorIs(t, err, ErrStore)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"), testKey(t))
	require.NoError(t, err)
	defer s.Close()
	assert.ErrorIs(t, s.RotateKey(ctx, &Key{}), ErrStore)
	_, _, err = s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example", Password: "pw"})
	require.NoError(t, err, "the store keeps its key")
}
