package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// A state folder of a rosteron from before the store: its roster, the
// calendar's history, the lock-out guard's count and the alerts' state
// are moved into the store at the first start, and the files removed;
// the roster is served, the guard's count and the alerts' outbox read
// back. The second start moves nothing more. No Chrome is needed.
func TestServeMigratesTheStateFolder(t *testing.T) {
	state := t.TempDir()
	items := mockserver.DemoRoster(time.Now())
	// The feed of a rosteron before the store wrote these, and the
	// history once a feed is rendered.
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: items})
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, name := range []string{feed.StateFile, feed.CalendarFile} {
		data, err := os.ReadFile(filepath.Join(state, name))
		require.NoError(t, err, "the old feed wrote %s", name)
		files[name] = data
	}
	// A guard's count of one refused login, and an alert queued, as the
	// files hold them (their contents are the feed's; moved as they are).
	files[feed.GuardFile] = []byte(`{"refusals": 1}` + "\n")
	files[feed.NotifyFile] = []byte(`{"source": {}, "outbox": [{"id": "alert-1", "title": "Shift moved", "text": "Moved", "pending": ["ffffffffffffffffffffffff"]}]}` + "\n")
	for _, name := range []string{feed.GuardFile, feed.NotifyFile} {
		require.NoError(t, os.WriteFile(filepath.Join(state, name), files[name], 0o600))
	}

	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	args := []string{"--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h"}
	s := startServe(t, env, args...)
	resp, body := httpGet(t, s.json)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Equal(t, items, snap.Items, "the roster moved is served")
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	out := s.stderr.String()
	dbPath := filepath.Join(state, stateStoreFile)
	assert.Contains(t, out, "rosteron serve: moved roster.json, calendar.json, login-guard.json, notify.json into "+dbPath+"\n")
	assert.Equal(t, 1, strings.Count(out, "rosteron serve: moved "), "one line")
	assert.Contains(t, out, "serving the roster saved in "+dbPath)
	assert.NotContains(t, out, "warning:", "each file read back from the store")
	for _, name := range migratedFiles {
		assert.NoFileExists(t, filepath.Join(state, name))
	}
	fi, err := os.Stat(dbPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	accounts := storedAccounts(t, state)
	require.Len(t, accounts, 1)
	assert.Equal(t, "joe", accounts[0].Username)
	assert.Equal(t, goodURL, accounts[0].Instance)
	// The roster and the history as they were (no refresh succeeded to
	// replace them); the guard's count as it was, since no login was
	// refused; the alerts' outbox still holding the alert to the target
	// no longer given.
	for _, name := range []string{feed.StateFile, feed.CalendarFile} {
		data, ok := storedBlob(t, state, name)
		require.True(t, ok, name)
		assert.JSONEq(t, string(files[name]), string(data), name)
	}
	guard, ok := storedBlob(t, state, feed.GuardFile)
	require.True(t, ok)
	var gs struct{ Refusals int }
	require.NoError(t, json.Unmarshal(guard, &gs))
	assert.Equal(t, 1, gs.Refusals)
	_, ok = storedBlob(t, state, feed.NotifyFile)
	assert.True(t, ok)

	// The second start has nothing to move, and serves the same roster.
	s = startServe(t, env, args...)
	resp, body = httpGet(t, s.json)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Equal(t, items, snap.Items)
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), "moved")
	assert.NotContains(t, s.stderr.String(), "removed")
	assert.Len(t, storedAccounts(t, state), 1)

	// A file that turns up again (an older rosteron run on the folder in
	// between) is removed: the store's is kept.
	require.NoError(t, os.WriteFile(filepath.Join(state, feed.StateFile), []byte(`{"items": []}`), 0o600))
	s = startServe(t, env, args...)
	resp, body = httpGet(t, s.json)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	assert.Equal(t, items, snap.Items, "the store's roster, not the file's")
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.Contains(t, s.stderr.String(), "rosteron serve: removed roster.json, which "+dbPath+" holds already\n")
	assert.NoFileExists(t, filepath.Join(state, feed.StateFile))
}

// A state folder's store that holds the account of another user or
// instance is refused, untouched: a mistyped --username or --url must
// not erase the real account's roster. The username in another case is
// the same account.
func TestServeRefusesAnotherUsersAccount(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "ann"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: mockserver.DemoRoster(time.Now())})
	require.NoError(t, err)
	annArgs := []string{"--url", goodURL, "--username", "ann", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h"}
	s := startServe(t, env, annArgs...)
	resp, _ := httpGet(t, s.json)
	require.Equal(t, http.StatusOK, resp.StatusCode, "ann's roster, moved into the store")
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	before := storedAccounts(t, state)
	require.Len(t, before, 1)
	require.Equal(t, "ann", before[0].Username)
	roster, ok := storedBlob(t, state, feed.StateFile)
	require.True(t, ok)

	// The same folder, for joe, or for ann on another instance's address.
	dbPath := filepath.Join(state, stateStoreFile)
	other := "https://other.example.com/RosterOnProd/Mobile"
	for _, tc := range []struct{ url, username string }{{other, "joe"}, {goodURL, "joe"}, {other, "ann"}} {
		r := runWith(t, env, "", "serve", "--url", tc.url, "--username", tc.username, "--state", state,
			"--browser", "ws://127.0.0.1:1", "--addr", "127.0.0.1:0")
		assert.Equal(t, exitError, r.code, r.stderr)
		assert.Contains(t, r.stderr, dbPath+" holds the state of ann at "+goodURL+", not of this serve's account ("+tc.username+" at "+tc.url+")")
		assert.Contains(t, r.stderr, "it changed nothing")
		assert.Contains(t, r.stderr, "give this one --state a folder of its own")
		assert.Contains(t, r.stderr, "delete "+dbPath+" and its -wal and -shm files")
		assert.NotContains(t, r.stderr, "s3cret-Pa55")
		assert.NotContains(t, r.stderr, goodToken)
		after := storedAccounts(t, state)
		require.Len(t, after, 1)
		assert.Equal(t, before[0].ID, after[0].ID, "ann's account untouched")
		got, ok := storedBlob(t, state, feed.StateFile)
		require.True(t, ok, "ann's roster kept")
		assert.Equal(t, roster, got)
	}

	// The same user with the username in another case is the same
	// account, as the feed has always matched a saved roster.
	s = startServe(t, env, "--url", goodURL, "--username", "ANN", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	resp, _ = httpGet(t, s.json)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "ann's roster, served to ANN")
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), "holds the state of")
	assert.Equal(t, before[0].ID, storedAccounts(t, state)[0].ID)

	// Started afresh as the message says, the folder serves joe.
	require.NoError(t, os.Remove(dbPath))
	for _, f := range []string{dbPath + "-wal", dbPath + "-shm"} {
		if err := os.Remove(f); !errors.Is(err, fs.ErrNotExist) {
			require.NoError(t, err, f)
		}
	}
	s = startServe(t, env, "--url", other, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	require.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	after := storedAccounts(t, state)
	require.Len(t, after, 1)
	assert.Equal(t, "joe", after[0].Username)
	assert.Equal(t, other, after[0].Instance)
}

// A store of a multi-account serve, with more than one account or with
// sealed secrets, is refused untouched: a single serve pointed at it must
// not delete a ward's accounts.
func TestServeRefusesAMultiAccountStore(t *testing.T) {
	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	ctx := context.Background()
	key, err := store.NewKey()
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		key      *store.Key
		accounts []store.NewAccount
		want     string
	}{
		{"two accounts", nil, []store.NewAccount{{Username: "ann", Instance: goodURL}, {Username: "bob", Instance: goodURL}},
			"holds 2 accounts: it is a multi-account serve's"},
		{"sealed secrets", key, []store.NewAccount{{Username: "ann", Instance: goodURL, Password: "ann-Pa55"}},
			"holds sealed secrets, made with a key: it is a multi-account serve's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			require.NoError(t, os.Chmod(state, 0o700))
			st, err := store.Open(ctx, filepath.Join(state, stateStoreFile), tc.key)
			require.NoError(t, err)
			for _, a := range tc.accounts {
				_, _, err := st.Create(ctx, a)
				require.NoError(t, err)
			}
			require.NoError(t, st.Close())
			r := runWith(t, env, "", "serve", "--url", goodURL, "--username", "joe", "--state", state,
				"--browser", "ws://127.0.0.1:1", "--addr", "127.0.0.1:0")
			assert.Equal(t, exitError, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Contains(t, r.stderr, "give --state a folder of its own")
			assert.Len(t, storedAccounts(t, state), len(tc.accounts), "untouched")
		})
	}
}

// assertNoPasswordInState searches every byte of every file in the state
// folder (the store, its -wal and -shm, the token, the addresses) for the
// passwords, and for the demo one. While serve runs (running), the
// store's -wal must be there to be searched.
func assertNoPasswordInState(t *testing.T, state string, running bool, passwords ...string) {
	t.Helper()
	entries, err := os.ReadDir(state)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	assert.Contains(t, names, stateStoreFile)
	if running {
		assert.Contains(t, names, stateStoreFile+"-wal")
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(state, name))
		require.NoError(t, err)
		for _, pw := range append(passwords, mockserver.DemoPassword) {
			assert.False(t, bytes.Contains(data, []byte(pw)), "%s holds a password", name)
		}
	}
}

// One serve per state folder: a second, while the first holds the lock,
// is refused before it touches the store; once the lock is free it
// starts.
func TestServeOnePerStateFolder(t *testing.T) {
	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	state := t.TempDir()
	require.NoError(t, os.Chmod(state, 0o700))
	unlock, err := lockFile(filepath.Join(state, lockName))
	require.NoError(t, err)
	r := runWith(t, env, "", "serve", "--url", goodURL, "--username", "joe", "--state", state,
		"--browser", "ws://127.0.0.1:1", "--addr", "127.0.0.1:0")
	unlock()
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, "another 'rosteron serve' is running on "+state)
	_, err = os.Stat(filepath.Join(state, stateStoreFile))
	assert.ErrorIs(t, err, os.ErrNotExist, "the store was not touched")
}
