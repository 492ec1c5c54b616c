package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

func demoEnv() []string {
	return []string{
		"ROSTERON_URL=" + mockURL,
		"ROSTERON_USERNAME=" + mockserver.DemoUsername,
		"ROSTERON_PASSWORD=" + mockserver.DemoPassword,
	}
}

// needChrome makes the CLI tests skip, or fail in CI, the same way the
// library tests do when there is no Chrome.
func needChrome(t *testing.T) {
	t.Helper()
	chrome.Get(t)
}

func TestCLIRosterTableAndSixLogs(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	logs := filepath.Join(t.TempDir(), "logs")
	r := cli(t, demoEnv(), "", "roster", "--save-logs", logs)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "BLOGGS, JOE: Minimum 10 hours between Allocations")
	for i, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 80, "line %d is wider than 80 columns: %q", i+1, line)
	}
	assert.NotContains(t, r.stdout, "…", "nothing cut short at 80 columns")
	assert.Contains(t, r.stdout, "20:30–08:30 on call")
	assert.NotContains(t, r.stdout+r.stderr, mockserver.DemoPassword)

	entries, err := os.ReadDir(logs)
	require.NoError(t, err)
	var kinds []string
	for _, e := range entries {
		n := e.Name()
		kinds = append(kinds, n[strings.Index(n, "Z-")+2:len(n)-len(".txt")])
		b, err := os.ReadFile(filepath.Join(logs, n))
		require.NoError(t, err)
		assert.NotContains(t, string(b), mockserver.DemoPassword)
		fi, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), n)
	}
	sort.Strings(kinds)
	assert.Equal(t, []string{"home-0", "home-1", "login-0", "logout-0", "logout-1", "roster-0"}, kinds)
}

func TestCLIRosterJSONIsTheDemoRoster(t *testing.T) {
	needChrome(t)
	before := time.Now()
	r := cli(t, demoEnv(), "", "roster", "--format", "json")
	after := time.Now()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap), r.stdout)
	assert.WithinDuration(t, time.Now(), snap.Time, time.Minute, "the time is the server's Date")
	// The mock's demo roster follows its clock; a run across midnight
	// may see either day's.
	want := mockserver.DemoRoster(before)
	if !assert.ObjectsAreEqual(want, snap.Items) {
		want = mockserver.DemoRoster(after)
	}
	assert.Equal(t, want, snap.Items)

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw))
	assert.Contains(t, raw, "time")
	assert.Contains(t, raw, "items")
}

func TestCLIPasswordFromStdin(t *testing.T) {
	needChrome(t)
	env := []string{"ROSTERON_URL=" + mockURL}
	r := cli(t, env, mockserver.DemoPassword+"\n", "roster", "--username", mockserver.DemoUsername, "--password-stdin", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, `"items"`)
}

func TestCLIBadCredentialsExit3(t *testing.T) {
	needChrome(t)
	env := []string{"ROSTERON_PASSWORD=not-the-password"}
	r := cli(t, env, "", "roster", "--url", mockURL, "--username", "joe.bloggs")
	assert.Equal(t, 3, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "RosterOn rejected the login credentials for username 'joe.bloggs'")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line on stderr: %q", r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, "not-the-password")
	assert.Empty(t, r.stdout)
}

func TestCLIUnexpectedResponseExit4(t *testing.T) {
	needChrome(t)
	for name, fault := range map[string]mockserver.Fault{
		"proxy page":      mockserver.FaultProxy403,
		"login error 500": mockserver.FaultLoginError500,
	} {
		t.Run(name, func(t *testing.T) {
			_, url := newMock(t, mockserver.WithFault(fault))
			r := cli(t, demoEnv(), "", "roster", "--url", url, "--timeout", "30s")
			assert.Equal(t, 4, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, "RosterOn returned an unexpected response for an operation expecting")
			assert.NotContains(t, r.stderr, mockserver.DemoPassword)
		})
	}
}

// Any other message on the login page after a submit is a refused login
// too: exit 3, never retried into a lock-out.
func TestCLIRefusedLoginExit3(t *testing.T) {
	needChrome(t)
	for name, fault := range map[string]mockserver.Fault{
		"other validation": mockserver.FaultOtherValidation,
		"account locked":   mockserver.FaultAccountLocked,
		"in French":        mockserver.FaultFrenchValidation,
	} {
		t.Run(name, func(t *testing.T) {
			_, url := newMock(t, mockserver.WithFault(fault))
			r := cli(t, demoEnv(), "", "roster", "--url", url, "--timeout", "30s")
			assert.Equal(t, 3, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, "RosterOn refused the login for username 'joe.bloggs': the login page says ")
			assert.NotContains(t, r.stderr, mockserver.DemoPassword)
		})
	}
}

func TestCLIScriptBuiltLoginForm(t *testing.T) {
	needChrome(t)
	_, url := newMock(t, mockserver.WithFault(mockserver.FaultScriptLoginForm))
	r := cli(t, demoEnv(), "", "roster", "--url", url, "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "Minimum 10 hours")
}

func TestCLIConnectionRefusedExit4(t *testing.T) {
	needChrome(t)
	r := cli(t, demoEnv(), "", "roster", "--url", closedURL(t), "--timeout", "20s")
	assert.Equal(t, 4, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "expecting 'login'")
	assert.Contains(t, r.stderr, "ERR_CONNECTION_REFUSED")
}

// A Chrome that dies as it starts is the browser's failure: exit 6, and
// a message that says so rather than blaming RosterOn.
func TestCLIChromeThatCannotStartExit6(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /bin/sh for a stand-in Chrome")
	}
	fake := filepath.Join(t.TempDir(), "fake-chrome")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'the reason Chrome died' >&2\nexit 3\n"), 0o755))
	// ROSTERON_BROWSER emptied: the stand-in is started, not a remote
	// Chrome the suite may have been given.
	env := append(demoEnv(), "ROSTERON_BROWSER=", "ROSTERON_CHROME="+fake)
	r := cli(t, env, "", "roster", "--url", closedURL(t), "--timeout", "20s")
	assert.Equal(t, 6, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "rosteron: the browser could not start: ")
	assert.Contains(t, r.stderr, "the reason Chrome died")
	assert.NotContains(t, r.stderr, "RosterOn returned")
	assert.NotContains(t, r.stderr, mockserver.DemoPassword)
}

// closedURL is a RosterOn URL on a port where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", listenHost()+":0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	host := "127.0.0.1"
	if h := os.Getenv("ROSTERON_E2E_HOST"); h != "" {
		host = h
	}
	return fmt.Sprintf("http://%s:%d/RosterOnProd/Mobile", host, port)
}

func TestCLITimeoutExit4(t *testing.T) {
	needChrome(t)
	_, url := newMock(t, mockserver.WithLatency(10*time.Second))
	start := time.Now()
	r := cli(t, demoEnv(), "", "roster", "--url", url, "--timeout", "1s")
	assert.Equal(t, 4, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "timed out waiting for 'login'")
	assert.Less(t, time.Since(start), 8*time.Second)
}

func TestCLIUsageErrorsExit2(t *testing.T) {
	for name, args := range map[string][]string{
		"relative url":  {"roster", "--url", "rosteron.example.com/Mobile", "--username", "joe"},
		"ftp url":       {"roster", "--url", "ftp://x.example/Mobile", "--username", "joe"},
		"no url":        {"roster", "--username", "joe"},
		"no username":   {"roster", "--url", "http://127.0.0.1:1/Mobile"},
		"bad format":    {"roster", "--url", "http://127.0.0.1:1/Mobile", "--username", "joe", "--format", "xml"},
		"unknown cmd":   {"rota"},
		"password flag": {"roster", "--url", "http://127.0.0.1:1/Mobile", "--username", "joe", "--password=hunter2"},
	} {
		t.Run(name, func(t *testing.T) {
			r := cli(t, []string{"ROSTERON_PASSWORD=pw-for-usage"}, "", args...)
			assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
			assert.NotEmpty(t, r.stderr)
			assert.NotContains(t, r.stderr, "hunter2")
			assert.NotContains(t, r.stderr, "pw-for-usage")
		})
	}
}

func TestCLINoPasswordIsAUsageError(t *testing.T) {
	r := cli(t, nil, "", "roster", "--url", mockURL, "--username", "joe.bloggs")
	assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "ROSTERON_PASSWORD")
}

func TestCLIParseWithFlagsAfterTheFile(t *testing.T) {
	page := filepath.Join(t.TempDir(), "roster.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	items := mockserver.DemoRoster(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, mockserver.RenderRoster(f, items))
	require.NoError(t, f.Close())

	r := cli(t, nil, "", "parse", page, "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &snap))
	assert.Equal(t, items, snap.Items)

	r = cli(t, nil, "", "parse", "--format", "table", page)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "Minimum 10 hours")

	content, err := os.ReadFile(page)
	require.NoError(t, err)
	r = cli(t, nil, string(content), "parse", "-", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)

	r = cli(t, nil, "<html><body><p>not a roster</p></body></html>", "parse", "-")
	assert.Equal(t, 4, r.code, "stderr: %s", r.stderr)
}

func TestCLIParsesTheReferenceCapture(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "reference", "rosteron-mobile", "roster.html")
	if _, err := os.Stat(path); err != nil {
		t.Skip("the reference captures are not beside this repository")
	}
	r := cli(t, nil, "", "parse", path, "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, `"detail": [`)
	assert.Contains(t, r.stdout, `null`)
	assert.Contains(t, r.stdout, `"2019-06-11"`)
}

func TestCLIHelpAndVersion(t *testing.T) {
	for _, cmd := range []string{"roster", "parse", "mock", "demo"} {
		r := cli(t, nil, "", cmd, "--help")
		assert.Equal(t, 0, r.code, cmd)
		assert.Contains(t, r.stdout, cmd, cmd)
	}
	r := cli(t, nil, "", "--version")
	assert.Equal(t, 0, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "rosteron "), r.stdout)
}

func TestCLIDemo(t *testing.T) {
	needChrome(t)
	if os.Getenv("ROSTERON_BROWSER") != "" {
		t.Skip("the demo's mock listens on this machine's loopback, which a Chrome in another container cannot reach")
	}
	r := cli(t, nil, "", "demo")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "BLOGGS, JOE: Minimum 10 hours between Allocations")
	assert.Contains(t, r.stdout, "Annual Leave")
}
