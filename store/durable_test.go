package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rosteron/rosteron/internal/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"), nil)
	require.NoError(t, err)
	defer s.Close()
	for pragma, want := range map[string]string{
		"journal_mode":  "wal",
		"busy_timeout":  "10000",
		"foreign_keys":  "1",
		"secure_delete": "1",
		"synchronous":   "2",
	} {
		var got string
		require.NoError(t, s.DB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got), pragma)
		assert.Equal(t, want, strings.ToLower(got), pragma)
	}
	assert.Equal(t, 1, s.DB().Stats().MaxOpenConnections)
}

func TestCheckKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	key := testKey(t)
	s, err := Open(ctx, path, key)
	require.NoError(t, err)
	assert.NoError(t, s.CheckKey(ctx), "nothing sealed yet")
	_, err = s.Secret(ctx, "csrf", func() ([]byte, error) { return []byte("k"), nil })
	require.NoError(t, err)
	assert.NoError(t, s.CheckKey(ctx))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, testKey(t))
	require.NoError(t, err)
	assert.ErrorIs(t, s.CheckKey(ctx), ErrWrongKey, "a secret under another key")
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, key)
	require.NoError(t, err)
	_, _, err = s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example"})
	require.NoError(t, err)
	assert.NoError(t, s.CheckKey(ctx))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, testKey(t))
	require.NoError(t, err)
	assert.ErrorIs(t, s.CheckKey(ctx), ErrWrongKey, "a token under another key")
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, s.CheckKey(ctx), ErrNoKey)
	require.NoError(t, s.Close())

	s, err = Open(ctx, filepath.Join(t.TempDir(), "store.db"), nil)
	require.NoError(t, err)
	assert.NoError(t, s.CheckKey(ctx), "a keyless store with nothing sealed")
	require.NoError(t, s.Close())
}

// Two processes on one file (serve, and the accounts command beside it):
// their writes wait for each other and none is lost.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	key := testKey(t)
	var stores [2]*SQLite
	for i := range stores {
		s, err := Open(ctx, path, key)
		require.NoError(t, err)
		defer s.Close()
		stores[i] = s
	}
	const each = 30
	var wg sync.WaitGroup
	errs := make(chan error, 4*each)
	for h, s := range stores {
		for w := range 2 {
			wg.Go(func() {
				for i := range each {
					a, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprintf("h%d-w%d-%d", h, w, i), Instance: "https://a.example", Password: "pw"})
					if err != nil {
						errs <- err
						continue
					}
					if err := s.SaveBlob(ctx, a.ID, "roster.json", []byte("r")); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range stores {
		all, err := s.List(ctx)
		require.NoError(t, err)
		assert.Len(t, all, 4*each)
		pw, err := s.Password(ctx, all[len(all)-1].ID)
		require.NoError(t, err)
		assert.Equal(t, "pw", pw)
	}
	// A delete's checkpoint with the other handle open.
	all, err := stores[0].List(ctx)
	require.NoError(t, err)
	assert.NoError(t, stores[0].Delete(ctx, all[0].ID))
	_, err = stores[1].Get(ctx, all[0].ID)
	assert.ErrorIs(t, err, ErrNotFound)
}

// crashChildEnv names the store TestKilledMidWrite's child writes to.
const crashChildEnv = "ROSTERON_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		os.Exit(1)
	}
	// pgtest.Main stops the Postgres the tests started, if any.
	os.Exit(pgtest.Main(m))
}

// crashChild is the process TestKilledMidWrite kills: it writes blobs
// and accounts in a loop, telling each committed one on stdout, until
// killed or an error.
func crashChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Println("error", err)
		return
	}
	a, err := s.Find(ctx, "https://a.example", "a")
	if err != nil {
		fmt.Println("error", err)
		return
	}
	for i := 0; ; i++ {
		// A roster big enough to span pages, all one number.
		data := []byte(strings.Repeat(strconv.Itoa(i)+",", 5000))
		if err := s.SaveBlob(ctx, a.ID, "roster.json", data); err != nil {
			fmt.Println("error", err)
			return
		}
		if _, _, err := s.Create(ctx, NewAccount{Username: fmt.Sprint("u", i), Instance: "https://a.example"}); err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("committed", i)
	}
}

// A process killed mid-write loses no committed write, and leaves no
// half-written one.
func TestKilledMidWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(ctx, path, nil)
	require.NoError(t, err)
	a, _, err := s.Create(ctx, NewAccount{Username: "a", Instance: "https://a.example"})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	last := -1
	for last < 200 && lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			last, err = strconv.Atoi(n)
			require.NoError(t, err)
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.GreaterOrEqual(t, last, 200, "the child stopped early")

	s, err = Open(ctx, path, nil)
	require.NoError(t, err)
	defer s.Close()
	var check string
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check))
	assert.Equal(t, "ok", check)
	data, err := s.LoadBlob(ctx, a.ID, "roster.json")
	require.NoError(t, err)
	fields := strings.Split(strings.TrimSuffix(string(data), ","), ",")
	require.Len(t, fields, 5000, "the roster is whole")
	n, err := strconv.Atoi(fields[0])
	require.NoError(t, err)
	for _, f := range fields {
		require.Equal(t, fields[0], f, "the roster is one write's")
	}
	assert.GreaterOrEqual(t, n, last, "no committed roster is lost")
	// Accounts u0…u<n-1> are there, each once, with no gap.
	all, err := s.List(ctx)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, acc := range all {
		assert.False(t, names[acc.Username])
		names[acc.Username] = true
	}
	for i := 0; i <= last; i++ {
		assert.True(t, names[fmt.Sprint("u", i)], "committed account u%d lost", i)
	}
}
