package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// Generated users are the same for the same seed, differ from one another,
// and each logs in with their own password to their own roster, which
// parses back whole.
func TestGenerateUsers(t *testing.T) {
	t.Parallel()
	users := mockserver.GenerateUsers("nurse", 40, 7, fixedNow)
	require.Len(t, users, 40)
	assert.Equal(t, users, mockserver.GenerateUsers("nurse", 40, 7, fixedNow), "the same seed, the same users")
	assert.NotEqual(t, users[0].Roster, mockserver.GenerateUsers("nurse", 1, 8, fixedNow)[0].Roster, "another seed, other rosters")
	assert.Equal(t, "nurse.0001", users[0].Username)
	assert.Equal(t, "nurse.0040", users[39].Username)

	passwords := map[string]bool{}
	titles := map[string]bool{}
	warned, noted := 0, 0
	for _, u := range users {
		passwords[u.Password] = true
		assert.GreaterOrEqual(t, len(u.Roster), 80, u.Username)
		assert.LessOrEqual(t, len(u.Roster), 170, u.Username)
		for _, it := range u.Roster {
			titles[it.Title] = true
			if len(it.Warnings) > 0 {
				warned++
			}
			if it.Detail[1].Valid {
				noted++
			}
		}
	}
	assert.Len(t, passwords, 40, "every password differs")
	assert.Greater(t, len(titles), 10, "units and sites vary")
	assert.Positive(t, warned)
	assert.Positive(t, noted)
	assert.Empty(t, mockserver.GenerateUsers("x", 0, 1, fixedNow))
	assert.Empty(t, mockserver.GenerateUsers("x", -1, 1, fixedNow))

	s, ts := start(t, mockserver.WithUsers(users...))
	for _, u := range []mockserver.User{users[0], users[39]} {
		c := newClient(t, ts, s)
		require.Equal(t, http.StatusFound, c.login(u.Username, u.Password).resp.StatusCode)
		r := c.get(rosterPath)
		require.Equal(t, http.StatusOK, r.resp.StatusCode)
		assert.Equal(t, normalize(u.Roster), normalize(parseRoster(t, r.body)), u.Username)
	}
	c := newClient(t, ts, s)
	assert.Equal(t, http.StatusOK, c.login(users[0].Username, users[1].Password).resp.StatusCode, "another's password is refused")
}

// MaxSessions counts the most sessions logged in at once, from login to
// logout.
func TestMaxSessions(t *testing.T) {
	t.Parallel()
	s, ts := start(t)
	assert.Zero(t, s.MaxSessions())
	a, b := newClient(t, ts, s), newClient(t, ts, s)
	require.Equal(t, http.StatusFound, a.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	a.get("/Account/LogOff")
	require.Equal(t, http.StatusFound, b.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	assert.Equal(t, 1, s.MaxSessions(), "one after the other")
	require.Equal(t, http.StatusFound, a.login(mockserver.DemoUsername, mockserver.DemoPassword).resp.StatusCode)
	assert.Equal(t, 2, s.MaxSessions(), "two at once")
	a.get("/Account/LogOff")
	b.get("/Account/LogOff")
	assert.Zero(t, s.Sessions())
	assert.Equal(t, 2, s.MaxSessions(), "the most, not the number now")
}
