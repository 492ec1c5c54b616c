package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// --fault NAME@STEP scopes a fault to one step: the login page answers,
// and only the roster fails.
func TestMockFaultOnOneStep(t *testing.T) {
	base, _, stop := startMock(t, "--addr", "127.0.0.1:0", "--fault", "unavailable@roster")
	resp, err := http.Get(base + "/Account/Login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the login page has no fault")

	resp, err = http.Get(base + "/Roster/List")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the roster's fault")

	code, stderr := stop(&signalError{syscall.SIGTERM})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "faults Unavailable@roster")
}

func TestMockFaultWithAnUnknownStep(t *testing.T) {
	r := runWith(t, nil, "", "mock", "--addr", "127.0.0.1:0", "--fault", "hang@lunch")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `invalid --fault "hang@lunch"`)
	assert.Contains(t, r.stderr, "@login, @home, @roster or @logout")
}

// --users serves generated users besides the demo one, and --users-out
// lists them, 0600, as 'accounts import' reads them; no password is
// printed.
func TestMockUsers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "users.csv")
	base, _, stop := startMock(t, "--addr", "127.0.0.1:0", "--users", "3", "--users-seed", "9", "--users-out", out)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	want := mockserver.GenerateUsers(mockUserPrefix, 3, 9, time.Now())
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3)
	for i, u := range want {
		assert.Equal(t, u.Username+","+u.Password, lines[i])
	}
	resp, err := http.Get(base + "/Account/Login")
	require.NoError(t, err)
	resp.Body.Close()
	code, stderr := stop(&signalError{syscall.SIGTERM})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "3 more users, user.0001 to user.0003 (their passwords are in "+out+")")
	for _, u := range want {
		assert.NotContains(t, stderr, u.Password)
	}

	r := runWith(t, nil, "", "mock", "--addr", "127.0.0.1:0", "--users-out", out)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--users-out goes with --users N")
	r = runWith(t, nil, "", "mock", "--addr", "127.0.0.1:0", "--users", "-1")
	assert.Equal(t, exitUsage, r.code)
}
