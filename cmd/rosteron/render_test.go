package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// --render always reads an instance whose roster page a script builds,
// which --render auto (the default) fails on with exit 4 and a message
// that says to try --render always; $ROSTERON_RENDER sets the mode too.
func TestRenderModes(t *testing.T) {
	needChrome(t)
	// One clock for both mocks, so their rosters and Date headers agree.
	clock := mockserver.WithClock(func() time.Time { return time.Date(2026, 12, 4, 8, 3, 12, 0, time.UTC) })
	mock := mockserver.New(clock, mockserver.WithFault(mockserver.FaultScriptRosterPage))
	ts := httptest.NewServer(mock)
	defer ts.Close()
	defer mock.Close()
	env := chromeEnv(map[string]string{
		"ROSTERON_URL":      ts.URL + mock.BasePath(),
		"ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword,
	})

	r := runWith(t, env, "", "roster", "--format", "json", "--quiet", "--timeout", "30s")
	require.Equal(t, exitBadResponse, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--render always")
	assert.Empty(t, r.stdout)

	always := runWith(t, env, "", "roster", "--format", "json", "--quiet", "--timeout", "30s", "--render", "always")
	require.Equal(t, exitOK, always.code, always.stderr)
	assert.Contains(t, always.stdout, `"items"`)

	env["ROSTERON_RENDER"] = "always"
	byEnv := runWith(t, env, "", "roster", "--format", "json", "--quiet", "--timeout", "30s")
	require.Equal(t, exitOK, byEnv.code, byEnv.stderr)

	// Both give the roster an instance that sends it whole gives.
	plain := mockserver.New(clock)
	pts := httptest.NewServer(plain)
	defer pts.Close()
	defer plain.Close()
	env["ROSTERON_URL"] = pts.URL + plain.BasePath()
	env["ROSTERON_RENDER"] = "auto"
	auto := runWith(t, env, "", "roster", "--format", "json", "--quiet", "--timeout", "30s")
	require.Equal(t, exitOK, auto.code, auto.stderr)
	assert.JSONEq(t, auto.stdout, always.stdout)
	assert.JSONEq(t, auto.stdout, byEnv.stdout)
}
