package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
)

// loginCounter counts the login forms posted to a mock, by username
// (lower case), whether RosterOn took them or not: mockserver.Logins
// counts only the logins that succeeded, and names nobody.
type loginCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *loginCounter) of(username string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[strings.ToLower(username)]
}

// newAccountsMock starts a mock of users, reachable by the browser the
// tests use as newMock's is, behind a handler that counts the login forms
// posted for each username.
func newAccountsMock(t *testing.T, users ...mockserver.User) (*mockserver.Server, string, *loginCounter) {
	t.Helper()
	m := mockserver.New(mockserver.WithUsers(users...))
	lc := &loginCounter{n: map[string]int{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(strings.ToLower(r.URL.Path), "/account/login") {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err == nil {
				if q, err := url.ParseQuery(string(body)); err == nil {
					lc.mu.Lock()
					lc.n[strings.ToLower(q.Get("UserName"))]++
					lc.mu.Unlock()
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		m.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", listenHost()+":0")
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(m.Close)
	host := "127.0.0.1"
	if h := os.Getenv("ROSTERON_E2E_HOST"); h != "" {
		host = h
	}
	return m, fmt.Sprintf("http://%s:%d%s", host, l.Addr().(*net.TCPAddr).Port, m.BasePath()), lc
}

// accountsUsers are n users of the mock, each with a roster of its own.
func accountsUsers(prefix string, n int) []mockserver.User {
	return mockserver.GenerateUsers(prefix, n, 18, time.Now())
}

// store is a state folder and its key, kept apart as the docs ask.
type acctStore struct {
	state, key string
}

func newAcctStore(t *testing.T) acctStore {
	return acctStore{state: filepath.Join(t.TempDir(), "state"), key: filepath.Join(t.TempDir(), "key")}
}

func (s acctStore) args(sub ...string) []string {
	return append(append([]string{"accounts"}, sub...), "--state", s.state, "--key-file", s.key)
}

// added is what `accounts add` printed, this once.
type added struct {
	id, page, token, manage string
	out                     result
}

var (
	addAccountLine = regexp.MustCompile(`(?m)^account (\d+): `)
	addPageLine    = regexp.MustCompile(`(?m)^page: (\S*)/([^/\s]+)/$`)
	addManageLine  = regexp.MustCompile(`(?m)^manage code: (\S+)$`)
)

// addAccount runs `rosteron accounts add` with the password in a file,
// never on the command line, and reads the page and the manage code it
// prints once.
func addAccount(t *testing.T, s acctStore, instance string, u mockserver.User, extra ...string) added {
	t.Helper()
	pf := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pf, []byte(u.Password+"\n"), 0o600))
	args := append(s.args("add", "--url", instance, "--username", u.Username, "--password-file", pf), extra...)
	for _, a := range args {
		require.NotContains(t, a, u.Password, "no password in argv")
	}
	r := cli(t, nil, "", args...)
	require.Equal(t, 0, r.code, "accounts add %s: %s%s", u.Username, r.stdout, r.stderr)
	a := added{out: r}
	m := addAccountLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "the account's ID in %q", r.stdout)
	a.id = m[1]
	m = addPageLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "the page's address in %q", r.stdout)
	a.token = m[2]
	a.page = m[1] + "/" + m[2] + "/"
	require.Equal(t, 1, strings.Count(r.stdout, a.token), "the token once, in the page's address")
	m = addManageLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "the manage code in %q", r.stdout)
	a.manage = m[1]
	require.Equal(t, 1, strings.Count(r.stdout, a.manage), "the manage code once")
	require.NotContains(t, r.stderr, a.token)
	require.NotContains(t, r.stderr, a.manage)
	return a
}

// listed is one account of `accounts list --json`.
type listed struct {
	ID       int64      `json:"id"`
	Username string     `json:"username"`
	Instance string     `json:"instance"`
	State    string     `json:"state"`
	Why      string     `json:"why"`
	LastGood *time.Time `json:"last_good"`
}

func listAccounts(t *testing.T, s acctStore) ([]listed, result) {
	t.Helper()
	r := cli(t, nil, "", s.args("list", "--json")...)
	require.Equal(t, 0, r.code, "accounts list --json: %s%s", r.stdout, r.stderr)
	var l []listed
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &l), r.stdout)
	return l, r
}

// startAccounts starts `rosteron serve --accounts` as a process on a free
// port; the feedProc's ics, json, page and health are unset (each
// account has its own), and health is the service's /healthz.
func startAccounts(t *testing.T, s acctStore, args ...string) (*feedProc, string) {
	t.Helper()
	addr := listenHost() + ":0"
	for i, a := range args {
		if a == "--addr" && i+1 < len(args) {
			addr = ""
		}
	}
	all := []string{"serve", "--accounts", "--state", s.state, "--key-file", s.key}
	if addr != "" {
		all = append(all, "--addr", addr)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, append(all, args...)...)
	cmd.Env = append(cleanEnv(), "TMPDIR="+tmp)
	p := &feedProc{cmd: cmd, tmp: tmp, stdout: new(syncbuf.Buffer), stderr: new(syncbuf.Buffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	var local string
	p.waitFor(t, "the address serve --accounts listens on", 30*time.Second, func() bool {
		m := healthLine.FindStringSubmatch(p.stderr.String())
		if m != nil {
			local = m[1]
		}
		return m != nil
	})
	p.health = local + "/healthz"
	return p, local
}

// accountHealth is an account's /TOKEN/healthz.
func accountHealth(t *testing.T, local, token string) feedHealth {
	t.Helper()
	resp, body := fetch(t, "GET", local+"/"+token+"/healthz")
	var h feedHealth
	if resp.StatusCode == http.StatusNotFound {
		return h
	}
	require.NoError(t, json.Unmarshal([]byte(body), &h), "%d %s", resp.StatusCode, body)
	return h
}

// freePort is a port free a moment ago on loopback, for a server whose
// public address must be known before it starts.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}
