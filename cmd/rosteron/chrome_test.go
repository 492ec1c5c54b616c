package main

import (
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// needChrome skips a test that drives a real Chrome on a machine without
// one, except in CI, and under -short. The e2e tests cover the built
// binary; these cover run itself.
func needChrome(t *testing.T) {
	t.Helper()
	chrometest.Need(t)
}

// chromeEnv is env with the variables that name the tests' Chrome
// (ROSTERON_BROWSER, ROSTERON_CHROME), for a run that drives Chrome: the
// command reads them as it reads them from a real environment.
func chromeEnv(env map[string]string) map[string]string {
	out := map[string]string{}
	for _, kv := range chrometest.Vars() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

func TestDemo(t *testing.T) {
	needChrome(t)
	r := runWith(t, chromeEnv(nil), "", "demo", "--format", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
	assert.Len(t, snap.Items, len(mockserver.DemoRoster(snap.Time)))
	assert.Regexp(t, `^rosteron demo: started a mock RosterOn at http://127\.0\.0\.1:\d+/RosterOnProd/Mobile\n`, r.stderr)

	r = runWith(t, chromeEnv(nil), "", "demo")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\nWard 4B - Royal Melbourne · Registered Nurse Div 1\n")
	for _, line := range strings.Split(r.stdout, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
}

func TestRoster(t *testing.T) {
	needChrome(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	base := ts.URL + mock.BasePath()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + mock.BasePath()
	require.NoError(t, ln.Close())
	env := chromeEnv(map[string]string{"ROSTERON_URL": base, "ROSTERON_USERNAME": mockserver.DemoUsername})
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range env {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	// The password in files, as systemd credentials and Docker secrets
	// give it: first line only, with a line ending.
	files := t.TempDir()
	pwFile := filepath.Join(files, "password")
	require.NoError(t, os.WriteFile(pwFile, []byte(mockserver.DemoPassword+"\nsecond line\n"), 0o600))
	creds := filepath.Join(files, "creds")
	require.NoError(t, os.Mkdir(creds, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(creds, credentialName), []byte(mockserver.DemoPassword+"\r\n"), 0o400))

	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		code  int
		logs  []string // purposes expected among the saved logs
		err   string
	}{
		{"password file", env, "", cmd("--password-file", pwFile), exitOK, nil, ""},
		{"file wins over env", with("ROSTERON_PASSWORD", "wrong"), "", cmd("--password-file", pwFile), exitOK, nil, ""},
		{"file named by env", with("ROSTERON_PASSWORD_FILE", pwFile, "ROSTERON_PASSWORD", "wrong"), "", nil, exitOK, nil, ""},
		{"systemd credential", with("CREDENTIALS_DIRECTORY", creds, "ROSTERON_PASSWORD", "wrong"), "", nil, exitOK, nil, ""},
		{"env password", with("ROSTERON_PASSWORD", mockserver.DemoPassword), "", nil, exitOK, []string{"login", "home", "roster", "logout"}, ""},
		{"password on stdin", env, mockserver.DemoPassword + "\r\n", cmd("--password-stdin"), exitOK, nil, ""},
		{"stdin wins over env", with("ROSTERON_PASSWORD", "wrong"), mockserver.DemoPassword + "\n", cmd("--password-stdin"), exitOK, nil, ""},
		{"flags win over env", with("ROSTERON_PASSWORD", mockserver.DemoPassword, "ROSTERON_URL", closed), "", cmd("--url", base), exitOK, nil, ""},
		{"wrong password", with("ROSTERON_PASSWORD", "not-the-Pa55word"), "", nil, exitBadCredentials, []string{"login", "home"},
			"RosterOn rejected the login credentials for username 'joe.bloggs' (4 log files saved in "}, // two attempts: as sent, then with the login page's scripts
		{"wrong base path", with("ROSTERON_PASSWORD", mockserver.DemoPassword), "", cmd("--url", ts.URL+"/Wrong/Mobile"), exitBadResponse, []string{"login"},
			"unexpected response for an operation expecting 'login': HTTP 404"},
		{"nothing there", with("ROSTERON_PASSWORD", mockserver.DemoPassword), "", cmd("--url", closed), exitBadResponse, nil,
			"net::ERR_CONNECTION_REFUSED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := filepath.Join(t.TempDir(), "logs")
			args := append([]string{"roster", "--format", "json", "--save-logs", logs, "--timeout", "30s"}, tc.args...)
			r := runWith(t, tc.env, tc.stdin, args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			for _, pw := range []string{mockserver.DemoPassword, "not-the-Pa55word"} {
				assert.NotContains(t, r.stdout+r.stderr, pw)
			}
			names, _ := filepath.Glob(filepath.Join(logs, "*.txt"))
			for _, name := range names {
				data, err := os.ReadFile(name)
				require.NoError(t, err)
				assert.NotContains(t, string(data), mockserver.DemoPassword, name)
				assert.NotContains(t, string(data), "not-the-Pa55word", name)
			}
			for _, purpose := range tc.logs {
				found := false
				for _, name := range names {
					found = found || strings.Contains(filepath.Base(name), "Z-"+purpose+"-")
				}
				assert.True(t, found, "a %s log among %v", purpose, names)
			}
			if tc.code != exitOK {
				assertOneErrorLine(t, r)
				assert.Contains(t, r.stderr, tc.err)
				return
			}
			var snap snapshot.Snapshot
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
			assert.NotEmpty(t, snap.Items)
			assert.Regexp(t, `^rosteron: \d+ log files saved in `, r.stderr)
		})
	}
	assert.Zero(t, mock.Sessions(), "every session logged out")
}
