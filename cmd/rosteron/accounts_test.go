package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/radicaletest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// storeWith makes a store in dir sealed with a key written to keyPath,
// holding the accounts given (username, instance, password), and returns
// each one's secrets, by username.
func storeWith(t *testing.T, dir, keyPath string, accounts ...[3]string) map[string]store.Secrets {
	t.Helper()
	key, err := store.NewKey()
	require.NoError(t, err)
	require.NoError(t, store.WriteKeyFile(keyPath, key))
	require.NoError(t, os.MkdirAll(dir, 0o700))
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, storeFile), key)
	require.NoError(t, err)
	defer st.Close()
	out := map[string]store.Secrets{}
	for _, a := range accounts {
		_, sec, err := st.Create(ctx, store.NewAccount{Username: a[0], Instance: a[1], Password: a[2]})
		require.NoError(t, err)
		out[a[0]+"@"+a[1]] = sec
	}
	return out
}

const (
	instA = "https://a.example.org/RosterOnProd/Mobile"
	instB = "https://b.example.org/RosterOnProd/Mobile"
)

func TestAccountsUsageErrors(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	outside := filepath.Join(t.TempDir(), "key")
	pwFile := notifyFile(t, "s3cret-Pa55\n")
	add := func(args ...string) []string {
		return append([]string{"accounts", "add", "--state", state, "--url", goodURL, "--username", "joe", "--browser", "ws://127.0.0.1:1"}, args...)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no subcommand", nil, cmd("accounts"), "missing subcommand: add, import, list, remove, pause, resume or rotate-key"},
		{"unknown subcommand", nil, cmd("accounts", "frob"), `unknown subcommand "frob"`},
		{"flag first", nil, cmd("accounts", "--state", state, "list"), "the subcommand comes first"},
		{"no key", nil, add("--password-file", pwFile),
			"no key for the store: give --key-file PATH (made when it does not exist), the systemd credential rosteron-key " +
				"($CREDENTIALS_DIRECTORY/rosteron-key), or the Docker secret /run/secrets/rosteron_key"},
		{"key inside the state", nil, add("--password-file", pwFile, "--key-file", filepath.Join(state, "sub", "key")),
			"is inside the state folder " + state},
		{"key is the state", nil, add("--password-file", pwFile, "--key-file", state), "is inside the state folder"},
		{"password flag", nil, add("--password=s3cret-Pa55", "--key-file", outside), "there is no --password flag"},
		{"argument", nil, add("s3cret-Pa55", "--key-file", outside), "accounts add takes no arguments, only flags (got 1)"},
		{"no url", nil, cmd("accounts", "add", "--state", state, "--username", "joe"), "accounts add needs --url"},
		{"bad url", nil, add("--url", "example.org"), "invalid RosterOn URL"},
		{"instance not allowed", nil, add("--allow-instance", instA, "--key-file", outside),
			"the instance " + goodURL + " is not one of --allow-instance's"},
		{"bad zone", nil, add("--tz", "Mars/Olympus", "--key-file", outside), `invalid --tz "Mars/Olympus"`},
		{"bad notify", nil, add("--notify", "ftp://u:s3cret-Pa55@x/", "--key-file", outside), "--notify #1: invalid notify URL"},
		{"no password", nil, add("--key-file", outside), "no password: give a file with --password-file, or pipe it in with --password-stdin"},
		{"list with an argument", nil, cmd("accounts", "list", "--state", state, "joe"), "accounts list takes no arguments"},
		{"list of no store", nil, cmd("accounts", "list", "--state", state), "no store in " + state},
		{"remove two", nil, cmd("accounts", "remove", "--state", state, "1", "2"), "accounts remove takes one account"},
		{"rotate without a new key", nil, cmd("accounts", "rotate-key", "--state", state), "accounts rotate-key needs --new-key-file PATH"},
		{"rotate into the state", nil, cmd("accounts", "rotate-key", "--state", state, "--new-key-file", filepath.Join(state, "k2")),
			"is inside the state folder"},
		{"no home", nil, cmd("accounts", "list"), "no --state and no $HOME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, tc.env, "", tc.args...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "s3cret-Pa55")
		})
	}
	assert.NoFileExists(t, outside, "no key made before every flag was checked")
	assert.NoDirExists(t, filepath.Join(state, "sub"), "no key made inside the state folder")
}

func TestAccountsHelp(t *testing.T) {
	for _, args := range [][]string{cmd("help", "accounts"), cmd("accounts", "--help"), cmd("accounts", "add", "-h")} {
		r := runWith(t, nil, "", args...)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Usage: rosteron accounts SUBCOMMAND")
		assert.Contains(t, r.stdout, "rotate-key --new-key-file PATH")
		assert.Contains(t, r.stdout, "It needs serve stopped")
		assert.Contains(t, r.stdout, "'rosteron serve --accounts --help'")
	}
	r := runWith(t, nil, "", "help")
	assert.Regexp(t, `(?m)^  accounts  `, r.stdout)
}

// A --key-file that does not exist is made, 0600, with a warning; the
// add that made it then fails at its login (no browser here) and saves
// nothing.
func TestAccountsAddMakesTheKey(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	keyPath := filepath.Join(t.TempDir(), "rosteron.key")
	pw := notifyFile(t, "s3cret-Pa55\n")
	r := runWith(t, nil, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", goodURL, "--username", "joe",
		"--password-file", pw, "--browser", "ws://127.0.0.1:1", "--timeout", "10s")
	assert.Equal(t, exitBrowser, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rosteron: warning: made a new key in "+keyPath+
		": keep it apart from the store and its backups; without it the passwords in the store are lost\n")
	assert.Contains(t, r.stderr, "nothing saved")
	assert.NotContains(t, r.stderr+r.stdout, "s3cret-Pa55")
	fi, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(state)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	r = runWith(t, nil, "", "accounts", "list", "--state", state)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout, "nothing saved")

	// The second time the key is read, not made again.
	r = runWith(t, nil, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", goodURL, "--username", "joe",
		"--password-file", pw, "--browser", "ws://127.0.0.1:1", "--timeout", "10s")
	assert.Equal(t, exitBrowser, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "made a new key")
}

// The key is found as the systemd credential, and a Docker secret's place
// is named when there is none.
func TestAccountsKeyFromCredentials(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	creds := t.TempDir()
	secrets := storeWith(t, state, filepath.Join(creds, keyCredentialName), [3]string{"joe", instA, "s3cret-Pa55"})
	env := map[string]string{"CREDENTIALS_DIRECTORY": creds}
	r := runWith(t, env, "", "accounts", "list", "--state", state, "--addresses", "--public-url", "https://rota.example.org/r")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "https://rota.example.org/r/"+secrets["joe@"+instA].Token+"/")

	// A --key-file that does not exist is not made for a store that
	// holds secrets sealed with another key.
	missing := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		cmd("accounts", "add", "--state", state, "--key-file", missing, "--url", instA, "--username", "ann",
			"--password-file", notifyFile(t, "pw\n"), "--browser", "ws://127.0.0.1:1"),
		cmd("serve", "--accounts", "--state", state, "--key-file", missing, "--browser", "ws://127.0.0.1:1"),
	} {
		r = runWith(t, nil, "", args...)
		assert.Equal(t, exitUsage, r.code, r.stderr)
		assert.Contains(t, r.stderr, "there is no key file "+missing+", but the store in "+state+" holds secrets sealed with a key")
		assert.NoFileExists(t, missing)
	}

	// With no key, list --addresses cannot open the tokens.
	r = runWith(t, nil, "", "accounts", "list", "--state", state, "--addresses")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no key for the store")
}

func TestAccountsListPauseResumeRemove(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	keyPath := filepath.Join(t.TempDir(), "key")
	secrets := storeWith(t, state, keyPath,
		[3]string{"joe", instA, "joe-Pa55-word"}, [3]string{"ann", instA, "ann-Pa55-word"}, [3]string{"ann", instB, "ann-B-Pa55"})
	passwords := []string{"joe-Pa55-word", "ann-Pa55-word", "ann-B-Pa55"}
	var tokens []string
	for _, s := range secrets {
		tokens = append(tokens, s.Token, s.Manage)
	}
	noSecret := func(t *testing.T, r result) {
		t.Helper()
		for _, s := range append(passwords, tokens...) {
			assert.NotContains(t, r.stdout+r.stderr, s)
		}
	}
	accounts := func(args ...string) result {
		t.Helper()
		return runWith(t, nil, "", append([]string{"accounts", args[0], "--state", state}, args[1:]...)...)
	}

	r := accounts("list")
	require.Equal(t, exitOK, r.code, r.stderr)
	noSecret(t, r)
	out := lines(r.stdout)
	require.Len(t, out, 4, r.stdout)
	assert.Regexp(t, `^ID\s+USERNAME\s+INSTANCE\s+LAST GOOD\s+STATE\s+NEXT REFRESH$`, out[0])
	assert.Regexp(t, `^1\s+joe\s+`+regexp.QuoteMeta(instA)+`\s+never\s+starting\s+-$`, out[1])

	// Without --addresses, list needs no key.
	r = accounts("list", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	noSecret(t, r)
	var got []accountJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got, 3)
	assert.Equal(t, "ann", got[2].Username)
	assert.Equal(t, instB, got[2].Instance)
	assert.Equal(t, "starting", got[2].State)
	assert.Empty(t, got[2].Page)
	assert.NotContains(t, r.stdout, `"page"`)

	// With --addresses: the pages' paths, each token its own.
	r = accounts("list", "--json", "--addresses", "--key-file", keyPath)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	assert.Equal(t, "/"+secrets["joe@"+instA].Token+"/", got[0].Page)
	assert.Equal(t, "/"+secrets["ann@"+instB].Token+"/", got[2].Page)
	assert.NotContains(t, r.stdout, secrets["joe@"+instA].Manage)

	// The health the service recorded: ok with its times, stopped with
	// why and no next refresh.
	st, err := storeOpen(t, state, keyPath)
	require.NoError(t, err)
	good := time.Date(2026, 12, 5, 9, 30, 0, 0, time.Local)
	require.NoError(t, st.SetHealth(context.Background(), 1, store.Health{State: "ok", LastGood: good, NextRefresh: good.Add(30 * time.Minute)}))
	require.NoError(t, st.SetHealth(context.Background(), 2, store.Health{State: "stopped", Why: "RosterOn refused the password",
		LastGood: good, NextRefresh: good.Add(time.Hour)}))
	require.NoError(t, st.Close())
	r = accounts("list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^1\s+joe\s+\S+\s+2026-12-05 09:30\s+ok\s+2026-12-05 10:00$`, r.stdout)
	assert.Regexp(t, `(?m)^2\s+ann\s+\S+\s+2026-12-05 09:30\s+stopped: RosterOn refused the password\s+-$`, r.stdout)

	// An ambiguous username names the IDs to choose from.
	r = accounts("pause", "ann")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `"ann" is more than one account: 2 (`+instA+`), 3 (`+instB+`)`)
	r = accounts("pause", "nobody")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `no account "nobody"`)
	r = accounts("pause", "#9")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no account of ID 9")
	r = accounts("pause", "#x")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `"#x" is not an account ID`)

	r = accounts("pause", "ANN@b.example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "paused account 3 (ann at "+instB+")")
	r = accounts("list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	assert.True(t, got[2].Paused)
	assert.Equal(t, "paused", got[2].State)
	assert.Equal(t, "paused by the operator", got[2].Why)
	assert.False(t, got[1].Paused)
	r = accounts("list")
	assert.Regexp(t, `(?m)^3\s+ann\s+\S+\s+never\s+paused: paused by the operator\s+-$`, r.stdout)

	// A bare number is a username: one that is only an ID is refused,
	// pointing to #ID.
	r = accounts("resume", "3")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `no account of username "3"; to name the account of ID 3, write id:3`)
	r = accounts("resume", "id:3")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "resumed account 3")
	r = accounts("list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	assert.False(t, got[2].Paused)

	r = accounts("remove", "joe")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "erased account 1 (joe at "+instA+")")
	r = accounts("list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got, 2)
	assert.Equal(t, int64(2), got[0].ID)

	// The store's bytes hold no password in clear.
	data, err := os.ReadFile(filepath.Join(state, storeFile))
	require.NoError(t, err)
	for _, p := range passwords {
		assert.NotContains(t, string(data), p)
	}
}

// A bare all-digit selector is a username (an employee number), never
// another account's ID.
func TestAccountsNumberIsAUsername(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	keyPath := filepath.Join(t.TempDir(), "key")
	storeWith(t, state, keyPath,
		[3]string{"joe", instA, "joe-Pa55-word"}, [3]string{"ann", instA, "ann-Pa55-word"}, [3]string{"1", instA, "one-Pa55-word"})
	accounts := func(args ...string) result {
		t.Helper()
		return runWith(t, nil, "", append([]string{"accounts", args[0], "--state", state}, args[1:]...)...)
	}
	r := accounts("remove", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "erased account 3 (1 at "+instA+")")
	r = accounts("remove", "2")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "write id:2")
	r = accounts("remove", "#2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "erased account 2 (ann at "+instA+")")
	var got []accountJSON
	r = accounts("list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got, 1)
	assert.Equal(t, "joe", got[0].Username)
}

// rotate-key refuses while serve holds the lock; with it free, the store
// is sealed under the new key and the old one opens nothing.
func TestAccountsRotateKey(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	keys := t.TempDir()
	oldKey, newKey := filepath.Join(keys, "old"), filepath.Join(keys, "new")
	secrets := storeWith(t, state, oldKey, [3]string{"joe", instA, "joe-Pa55-word"})
	rotate := cmd("accounts", "rotate-key", "--state", state, "--key-file", oldKey, "--new-key-file", newKey)

	unlock, err := lockFile(filepath.Join(state, lockName))
	require.NoError(t, err)
	r := runWith(t, nil, "", rotate...)
	assert.Equal(t, exitError, r.code, r.stderr)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "a 'rosteron serve --accounts' is running on "+state)
	assert.Contains(t, r.stderr, "stop it first")
	assert.NoFileExists(t, newKey)
	unlock()

	// Nor while an add runs, which holds rotate.lock shared.
	unlockAdd, err := lockShared(filepath.Join(state, rotateLockName))
	require.NoError(t, err)
	r = runWith(t, nil, "", rotate...)
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, "an 'rosteron accounts add' or another rotate-key is running on "+state)
	assert.NoFileExists(t, newKey)
	unlockAdd()

	r = runWith(t, nil, "", rotate...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "give serve --key-file "+newKey)
	assert.Contains(t, r.stderr, "destroy the old key")
	fi, err := os.Stat(newKey)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	r = runWith(t, nil, "", "accounts", "list", "--state", state, "--addresses", "--key-file", newKey)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "/"+secrets["joe@"+instA].Token+"/", "the same token, opened with the new key")
	r = runWith(t, nil, "", "accounts", "list", "--state", state, "--addresses", "--key-file", oldKey)
	assert.Equal(t, exitError, r.code, "the old key opens nothing: %s", r.stdout)
	assert.Contains(t, r.stderr, "the key does not open the secrets of the store in "+state)
	assert.NotContains(t, r.stdout, secrets["joe@"+instA].Token)

	// A new key file that exists is never overwritten.
	r = runWith(t, nil, "", "accounts", "rotate-key", "--state", state, "--key-file", newKey, "--new-key-file", oldKey)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "exists already")
}

// With Chrome, against the mock: add checks the password with one login
// before it saves anything, and prints the page's address and the manage
// code once; a refused password saves nothing and exits as roster does.
func TestAccountsAddWithChrome(t *testing.T) {
	needChrome(t)
	mock, env := mockRosterOn(t, mockserver.DemoRoster(time.Now()), nil)
	url := env["ROSTERON_URL"]
	for _, k := range []string{"ROSTERON_URL", "ROSTERON_USERNAME", "ROSTERON_PASSWORD"} {
		delete(env, k) // add reads none of them
	}
	state := filepath.Join(t.TempDir(), "state")
	keyPath := filepath.Join(t.TempDir(), "key")
	good := notifyFile(t, mockserver.DemoPassword+"\n")

	r := runWith(t, env, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", url,
		"--username", mockserver.DemoUsername, "--password-file", good, "--tz", "Australia/Melbourne",
		"--public-url", "https://rota.example.org/ward", "--allow-instance", url, "--timeout", "30s")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, mock.Logins())
	assert.Zero(t, mock.Sessions(), "logged out")
	m := regexp.MustCompile(`(?m)^page: https://rota\.example\.org/ward/([A-Za-z0-9_-]{22,})/\nmanage code: (\S+)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	token, manage := m[1], m[2]
	assert.Regexp(t, `^account 1: joe\.bloggs at `, r.stdout)
	assert.Contains(t, r.stderr, "shown this once")
	assert.NotContains(t, r.stderr, token)
	assert.NotContains(t, r.stdout+r.stderr, mockserver.DemoPassword)

	// A refused password: exit 3 as roster's, nothing saved.
	wrong := notifyFile(t, "not-the-password\n")
	r = runWith(t, env, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", url,
		"--username", "ann.nurse", "--password-file", wrong, "--timeout", "30s")
	assert.Equal(t, exitBadCredentials, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nothing saved")
	assert.NotContains(t, r.stdout+r.stderr, "not-the-password")

	// A calendar that refuses its password: exit 7, no login, nothing
	// saved. One that takes it is checked, made, and kept sealed.
	dav := radicaletest.Start(t, map[string]string{"bob": "dav-Pa55-word"})
	logins := mock.Logins()
	davWrong := notifyFile(t, "dav-wrong-word\n")
	bobPw := notifyFile(t, "bob-demo-password\n")
	addBob := func(davPw string) result {
		return runWith(t, env, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", url,
			"--username", "bob.driver", "--password-file", bobPw, "--timeout", "30s",
			"--caldav", dav.URL, "--caldav-username", "bob", "--caldav-password-file", davPw, "--caldav-calendar", "Shifts")
	}
	r = addBob(davWrong)
	assert.Equal(t, exitCalendarAuth, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nothing saved")
	assert.Equal(t, logins, mock.Logins(), "no RosterOn login for a calendar that refused")
	r = addBob(notifyFile(t, "dav-Pa55-word\n"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "each roster read will go into")
	assert.NotContains(t, r.stdout+r.stderr, "dav-Pa55-word")
	assert.Contains(t, dav.Collections("bob"), "/bob/shifts/", "the calendar checked and made: %v", dav.Collections("bob"))
	k, err := store.LoadKey(keyPath)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), filepath.Join(state, storeFile), k)
	require.NoError(t, err)
	instance, err := session.NormalizeURL(url)
	require.NoError(t, err)
	bob, err := st.Find(context.Background(), instance, "bob.driver")
	require.NoError(t, err)
	// The roster the check read is kept, for the page to show at once.
	saved, err := st.LoadBlob(context.Background(), bob.ID, feed.StateFile)
	require.NoError(t, err)
	bobRoster, err := mock.Roster("bob.driver")
	require.NoError(t, err)
	var first snapshot.Snapshot
	require.NoError(t, json.Unmarshal(saved, &first), string(saved))
	assert.Equal(t, bobRoster, first.Items)
	settings, err := st.Settings(context.Background(), bob.ID)
	require.NoError(t, err)
	require.NotNil(t, settings.CalDAV)
	assert.Equal(t, "dav-Pa55-word", settings.CalDAV.Password)
	assert.Equal(t, "Shifts", settings.CalDAV.Calendar)
	require.NoError(t, st.Delete(context.Background(), bob.ID))
	require.NoError(t, st.Close())

	// Adding the same account again is refused before any login.
	logins = mock.Logins()
	r = runWith(t, env, "", "accounts", "add", "--state", state, "--key-file", keyPath, "--url", url,
		"--username", mockserver.DemoUsername, "--password-file", good, "--timeout", "30s")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "there is an account of joe.bloggs at")
	assert.Equal(t, logins, mock.Logins())

	r = runWith(t, nil, "", "accounts", "list", "--state", state)
	require.Equal(t, exitOK, r.code, r.stderr)
	out := lines(r.stdout)
	require.Len(t, out, 2, "one account: the refused one was not saved\n%s", r.stdout)
	assert.Regexp(t, `^1\s+joe\.bloggs\s+`+regexp.QuoteMeta(instance)+`\s`, out[1])
	for _, s := range []string{token, manage, mockserver.DemoPassword} {
		assert.NotContains(t, r.stdout+r.stderr, s)
	}
	data, err := os.ReadFile(filepath.Join(state, storeFile))
	require.NoError(t, err)
	for _, secret := range []string{mockserver.DemoPassword, "bob-demo-password", "dav-Pa55-word", token} {
		assert.NotContains(t, string(data), secret)
	}
}
