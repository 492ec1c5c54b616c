package main

import (
	"net/http"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
