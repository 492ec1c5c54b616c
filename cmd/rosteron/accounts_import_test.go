package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// writeUsers writes users as the mock's --users-out does, and returns
// the file.
func writeUsers(t *testing.T, users []mockserver.User) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.csv")
	require.NoError(t, writeMockUsers(path, users))
	return path
}

// readAddresses reads import's CSV: username → [page, manage code].
func readAddresses(t *testing.T, data string) map[string][2]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	require.NoError(t, err, data)
	require.NotEmpty(t, recs)
	assert.Equal(t, []string{"username", "page", "manage_code"}, recs[0])
	out := map[string][2]string{}
	for _, r := range recs[1:] {
		out[r[0]] = [2]string{r[1], r[2]}
	}
	return out
}

// The mock's users file, imported without a check: every account is
// saved with its password sealed, each page's address and manage code
// written once to a 0600 file, no password printed; a second import of
// the same file keeps them as they are.
func TestAccountsImport(t *testing.T) {
	users := mockserver.GenerateUsers(mockUserPrefix, 5, 3, time.Now())
	file := writeUsers(t, users)
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	out := filepath.Join(t.TempDir(), "addresses.csv")

	r := runWith(t, nil, "", "accounts", "import", "--state", state, "--key-file", key, "--url", goodURL, "--no-check",
		"--public-url", "https://roster.example.org", "--addresses-out", out, file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "5 added, 0 there already, 0 not added")
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	got := readAddresses(t, string(data))
	require.Len(t, got, 5)

	k, err := store.LoadKey(key)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), filepath.Join(state, storeFile), k)
	require.NoError(t, err)
	defer st.Close()
	instance := "https://rosteron.example.com/RosterOnProd/Mobile"
	for _, u := range users {
		a, err := st.Find(context.Background(), instance, u.Username)
		require.NoError(t, err, u.Username)
		pw, err := st.Password(context.Background(), a.ID)
		require.NoError(t, err)
		assert.Equal(t, u.Password, pw)
		token, err := st.Token(context.Background(), a.ID)
		require.NoError(t, err)
		assert.Equal(t, "https://roster.example.org/"+token+"/", got[u.Username][0])
		byManage, err := st.ByManage(context.Background(), got[u.Username][1])
		require.NoError(t, err, "the manage code is the account's")
		assert.Equal(t, a.ID, byManage.ID)
		assert.NotContains(t, r.stderr, u.Password)
	}

	// Again, from standard input, to standard output: kept as they are,
	// their pages' addresses written again, no manage code.
	r = runWith(t, nil, string(mustRead(t, file)), "accounts", "import", "--state", state, "--key-file", key, "--url", goodURL,
		"--no-check", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "0 added, 5 there already")
	again := readAddresses(t, r.stdout)
	require.Len(t, again, 5)
	for _, u := range users {
		assert.Empty(t, again[u.Username][1])
		assert.True(t, strings.HasSuffix(got[u.Username][0], again[u.Username][0]), "the same page")
		assert.NotContains(t, r.stdout+r.stderr, u.Password)
	}

	// The addresses file is never overwritten.
	r = runWith(t, nil, "", "accounts", "import", "--state", state, "--key-file", key, "--url", goodURL, "--no-check",
		"--addresses-out", out, file)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "exists already")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// A faulty line imports nothing, and the message names each by its
// number, never by its password.
func TestAccountsImportFaultyFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	run := func(content string, args ...string) result {
		file := filepath.Join(t.TempDir(), "accounts.csv")
		require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
		return runWith(t, nil, "", append([]string{"accounts", "import", "--state", state, "--key-file", key, "--url", goodURL,
			"--no-check", file}, args...)...)
	}
	tests := []struct {
		name, content, want string
	}{
		{"three fields", "username,password\nann,Secret-1\nbob,Sec,ret-2\n", "line 3: 3 fields, want 2"},
		{"no password", "ann,Secret-1\nbob,\n", "line 2: no password for bob"},
		{"no username", "ann,Secret-1\n ,Secret-2\n", "line 2: no username"},
		{"twice", "ann,Secret-1\n# a comment\nANN,Secret-2\n", "line 3: ANN again (line 1 has it)"},
		{"broken quote", "ann,Secret-1\nbob,\"Sec\"ret-2\n", "line 2: "},
		{"empty", "# nobody\n\n", "nothing to import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.content)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			for _, secret := range []string{"Secret-1", "Secret-2", "ret-2"} {
				assert.NotContains(t, r.stderr+r.stdout, secret)
			}
			assert.NoFileExists(t, filepath.Join(state, storeFile), "nothing saved")
		})
	}

	// Quoted passwords, a header and a comment are read as CSV reads them.
	r := run("username,password\n# the ward\nann,\"pa,ss\"\"word\"\nbob, spaced \n")
	require.Equal(t, exitOK, r.code, r.stderr)
	k, err := store.LoadKey(key)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), filepath.Join(state, storeFile), k)
	require.NoError(t, err)
	defer st.Close()
	for user, want := range map[string]string{"ann": `pa,ss"word`, "bob": " spaced "} {
		a, err := st.Find(context.Background(), "https://rosteron.example.com/RosterOnProd/Mobile", user)
		require.NoError(t, err)
		pw, err := st.Password(context.Background(), a.ID)
		require.NoError(t, err)
		assert.Equal(t, want, pw)
	}

	for _, args := range [][]string{
		{"accounts", "import", "--state", state, "--key-file", key, "--no-check", "f.csv"},
		{"accounts", "import", "--state", state, "--key-file", key, "--url", goodURL, "--no-check"},
		{"accounts", "import", "--state", state, "--key-file", key, "--url", goodURL, "--no-check", "ann,Secret-1", "x"},
	} {
		r := runWith(t, nil, "", args...)
		assert.Equal(t, exitUsage, r.code, r.stderr)
		assert.NotContains(t, r.stderr, "Secret-1")
	}
}

// Without --no-check each password is tried with one login, in Chrome
// against the mock: a refused one is not added, and named by its line;
// the others are, with the roster their login read kept.
func TestAccountsImportChecksWithChrome(t *testing.T) {
	needChrome(t)
	was := importGap
	importGap = 10 * time.Millisecond
	t.Cleanup(func() { importGap = was })
	mock, env := mockRosterOn(t, mockserver.DemoRoster(time.Now()), nil)
	url := env["ROSTERON_URL"]
	for _, k := range []string{"ROSTERON_URL", "ROSTERON_USERNAME", "ROSTERON_PASSWORD"} {
		delete(env, k)
	}
	state := filepath.Join(t.TempDir(), "state")
	key := filepath.Join(t.TempDir(), "key")
	file := filepath.Join(t.TempDir(), "accounts.csv")
	require.NoError(t, os.WriteFile(file, []byte(mockserver.DemoUsername+","+mockserver.DemoPassword+"\n"+
		"ann.nurse,not-the-password\nbob.driver,bob-demo-password\n"), 0o600))

	r := runWith(t, env, "", "accounts", "import", "--state", state, "--key-file", key, "--url", url, "--timeout", "30s", file)
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Contains(t, r.stderr, "line 2: ann.nurse not added")
	assert.Contains(t, r.stderr, "1 of 3 accounts not added (line 2)")
	assert.Equal(t, 2, mock.Logins(), "one login each for the good passwords (Logins counts the ones accepted)")
	assert.Zero(t, mock.Sessions(), "logged out")
	got := readAddresses(t, r.stdout)
	assert.Len(t, got, 2)
	for _, s := range []string{mockserver.DemoPassword, "not-the-password", "bob-demo-password"} {
		assert.NotContains(t, r.stdout+r.stderr, s)
	}

	k, err := store.LoadKey(key)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), filepath.Join(state, storeFile), k)
	require.NoError(t, err)
	defer st.Close()
	instance, err := session.NormalizeURL(url)
	require.NoError(t, err)
	bob, err := st.Find(context.Background(), instance, "bob.driver")
	require.NoError(t, err)
	saved, err := st.LoadBlob(context.Background(), bob.ID, feed.StateFile)
	require.NoError(t, err, "the roster the check read is kept")
	assert.Contains(t, string(saved), "Depot 3")
	_, err = st.Find(context.Background(), instance, "ann.nurse")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// The checks took the service's login turns of the host in the store,
	// and gave its places back.
	host := importHost(instance)
	var turns int
	require.NoError(t, st.DB().QueryRow(`SELECT COUNT(*) FROM turns WHERE name = ?`, "logins "+host).Scan(&turns))
	assert.Equal(t, 1, turns, "the import's logins took the host's turns")
	for i := range service.DefaultPerHost {
		_, ok, err := st.TakeSlot(context.Background(), "sessions "+host, service.DefaultPerHost, "test", time.Minute)
		require.NoError(t, err)
		assert.True(t, ok, "place %d given back", i+1)
	}
}
