package store

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyNeverPrints(t *testing.T) {
	k := testKey(t)
	type holder struct {
		Name string
		Key  *Key
		Val  Key
	}
	h := holder{Name: "h", Key: k, Val: *k}
	var outs []string
	for _, v := range []any{k, *k, h, &h, []*Key{k}, map[string]*Key{"k": k}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q", "%T"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		require.NoError(t, err)
		outs = append(outs, string(j))
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", k, "val", *k, "holder", h)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "key", k, "val", *k, "holder", h)
	outs = append(outs, logged.String(), fmt.Sprint(k), fmt.Sprintln(k))
	enc := k.encode()
	forms := [][]byte{
		k.b[:],
		[]byte(base64.StdEncoding.EncodeToString(k.b[:])),
		[]byte(base64.RawURLEncoding.EncodeToString(k.b[:])),
		[]byte(hex.EncodeToString(k.b[:])),
		[]byte(fmt.Sprint(k.b)),
		[]byte(fmt.Sprintf("%x", k.b[:8])),
		[]byte(fmt.Sprint(k.b[:4])[1 : len(fmt.Sprint(k.b[:4]))-1]), // "12 34 56 78"
		enc,
	}
	for _, out := range outs {
		for _, f := range forms {
			if bytes.Contains([]byte(out), f) {
				t.Errorf("a key's bytes printed in %q's form", out[:min(len(out), 10)])
			}
		}
	}
	assert.Equal(t, "[key]", fmt.Sprint(k))
	assert.Equal(t, "[key]", fmt.Sprintf("%#v", *k))
	j, _ := json.Marshal(h)
	assert.Equal(t, `{"Name":"h","Key":"[key]","Val":"[key]"}`, string(j))
}

func TestParseKey(t *testing.T) {
	k := testKey(t)
	got, err := ParseKey(k.encode())
	require.NoError(t, err)
	assert.Equal(t, k.b, got.b)
	got, err = ParseKey([]byte("  \n" + string(k.encode()) + "\n\n"))
	require.NoError(t, err)
	assert.Equal(t, k.b, got.b)

	b64 := base64.StdEncoding.EncodeToString(k.b[:])
	for name, data := range map[string]string{
		"empty":       "",
		"no prefix":   b64,
		"other":       "rosteron-key-2:" + b64,
		"age key":     "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
		"short":       keyPrefix + base64.StdEncoding.EncodeToString(k.b[:31]),
		"long":        keyPrefix + base64.StdEncoding.EncodeToString(append(k.b[:], 1)),
		"not base64":  keyPrefix + strings.Repeat("!", 44),
		"url base64":  keyPrefix + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)),
		"two lines":   keyPrefix + b64 + "\n" + keyPrefix + b64,
		"all zero":    keyPrefix + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"raw":         string(k.b[:]),
		"inner space": keyPrefix + " " + b64,
	} {
		_, err := ParseKey([]byte(data))
		assert.ErrorIs(t, err, ErrKeyFormat, name)
		assert.ErrorIs(t, err, ErrStore, name)
		if err != nil && len(data) > 20 {
			assert.NotContains(t, err.Error(), data[len(data)-20:], name)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rosteron.key")

	k, created, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.True(t, created)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("rosteron-key-1:")))
	assert.True(t, bytes.HasSuffix(data, []byte("\n")))
	assert.Equal(t, 1, bytes.Count(data, []byte("\n")))

	again, created, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, k.b, again.b)
	loaded, err := LoadKey(path)
	require.NoError(t, err)
	assert.Equal(t, k.b, loaded.b)

	// WriteKeyFile never overwrites.
	other := testKey(t)
	err = WriteKeyFile(path, other)
	assert.ErrorIs(t, err, fs.ErrExist)
	assert.ErrorIs(t, err, ErrStore)
	loaded, err = LoadKey(path)
	require.NoError(t, err)
	assert.Equal(t, k.b, loaded.b, "the key file is unchanged")
	assert.ErrorIs(t, WriteKeyFile(filepath.Join(dir, "nil.key"), nil), ErrStore)
	assert.ErrorIs(t, WriteKeyFile(filepath.Join(dir, "nil.key"), new(Key)), ErrStore)
	_, err = os.Stat(filepath.Join(dir, "nil.key"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	next := filepath.Join(dir, "next.key")
	require.NoError(t, WriteKeyFile(next, other))
	loaded, err = LoadKey(next)
	require.NoError(t, err)
	assert.Equal(t, other.b, loaded.b)

	// Missing.
	_, err = LoadKey(filepath.Join(dir, "missing.key"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, err, ErrStore)

	// Wrong format: a clear error, no quote of the file, nothing made.
	wrong := filepath.Join(dir, "wrong.key")
	require.NoError(t, os.WriteFile(wrong, []byte("password=Hunter2-Secret\n"), 0o600))
	_, err = LoadKey(wrong)
	assert.ErrorIs(t, err, ErrKeyFormat)
	assert.Contains(t, err.Error(), wrong)
	assert.Contains(t, err.Error(), "not a rosteron key file")
	assert.NotContains(t, err.Error(), "Hunter2")
	_, created, err = LoadOrCreateKey(wrong)
	assert.ErrorIs(t, err, ErrKeyFormat)
	assert.False(t, created)
	data, err = os.ReadFile(wrong)
	require.NoError(t, err)
	assert.Equal(t, "password=Hunter2-Secret\n", string(data), "a wrong key file is never overwritten")

	// A folder is no key file.
	_, err = LoadKey(dir)
	assert.ErrorIs(t, err, ErrStore)

}

func TestNewKeyIsRandom(t *testing.T) {
	a, b := testKey(t), testKey(t)
	assert.NotEqual(t, a.b, b.b)
	assert.NotEqual(t, [32]byte{}, a.b)
	assert.NotEqual(t, a.fingerprint(), b.fingerprint())
}

func TestLoadOrCreateKeyAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rosteron.key")
	const n = 16
	keys := make([]*Key, n)
	made := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], made[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	creators := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, keys[0].b, keys[i].b, "every caller has the one key")
		if made[i] {
			creators++
		}
	}
	assert.Equal(t, 1, creators)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
	assert.Equal(t, "rosteron.key", entries[0].Name())
}
