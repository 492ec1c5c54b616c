package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	status := http.StatusOK
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/healthz", r.URL.Path)
		w.WriteHeader(status)
	}))
	defer ts.Close()

	r := runWith(t, nil, "", "healthcheck", ts.URL+"/healthz")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "healthy: "+ts.URL+"/healthz answered 200 OK\n", r.stdout)

	status = http.StatusServiceUnavailable
	r = runWith(t, nil, "", "healthcheck", ts.URL+"/healthz")
	assert.Equal(t, exitError, r.code)
	assertOneErrorLine(t, r)
	assert.Contains(t, r.stderr, "unhealthy: "+ts.URL+"/healthz answered 503 Service Unavailable")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/healthz"
	require.NoError(t, ln.Close())
	r = runWith(t, nil, "", "healthcheck", "--timeout", "2s", closed)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "connection refused")

	for _, args := range [][]string{{"ftp://x/"}, {"a", "b"}, {"--timeout", "0s"}, {"not a url"}} {
		r = runWith(t, nil, "", append([]string{"healthcheck"}, args...)...)
		assert.Equal(t, exitUsage, r.code, args)
		assertOneErrorLine(t, r)
	}
}
