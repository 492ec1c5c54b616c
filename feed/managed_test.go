package feed

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A roster loaded from the State and younger than the interval is served
// as the last good one when the scheduler trusts it; an old one, or one
// after a failure, is not.
func TestTrustLoaded(t *testing.T) {
	t.Parallel()
	st := newMemState()
	f, c := newTestFeed(t, WithState(st), WithRefreshInterval(30*time.Minute))
	_, err := f.Update(snap(c.Now(), "Ward 4B"))
	require.NoError(t, err)

	c.Add(10 * time.Minute)
	g := New(WithClock(c.Now), WithState(st), WithRefreshInterval(30*time.Minute))
	loaded, err := g.Load()
	require.NoError(t, err)
	require.True(t, loaded)
	assert.True(t, g.Status().Stale, "a loaded roster is stale until trusted or refreshed")
	next := c.Now().Add(12 * time.Minute)
	require.True(t, g.TrustLoaded(next))
	s := g.Status()
	assert.False(t, s.Stale)
	assert.True(t, s.OK)
	require.NotNil(t, s.NextRefresh)
	assert.True(t, s.NextRefresh.Equal(next))
	assert.Nil(t, g.problem(s, g.cur, c.Now()), "the page says nothing is wrong")

	// Older than an interval: not trusted, still stale.
	c.Add(25 * time.Minute)
	h := New(WithClock(c.Now), WithState(st), WithRefreshInterval(30*time.Minute))
	_, err = h.Load()
	require.NoError(t, err)
	assert.False(t, h.TrustLoaded(c.Now().Add(time.Minute)))
	assert.True(t, h.Status().Stale)

	// Nothing loaded: nothing to trust.
	assert.False(t, New(WithClock(c.Now), WithRefreshInterval(30*time.Minute)).TrustLoaded(c.Now()))
}

// With WithResumeAdvice, a stopped feed's page and alert give the
// service's advice, not the single serve's restart and --retry-login.
func TestResumeAdvice(t *testing.T) {
	t.Parallel()
	const advice = "Give your password again on your manage page."
	rejected := Permanent(errors.New("RosterOn rejected the login credentials"))
	for _, tc := range []struct {
		name   string
		advice string
	}{{"single", ""}, {"managed", advice}} {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newTestFeed(t, WithState(newMemState()), WithLoginKey(testPassword), WithResumeAdvice(tc.advice))
			r := &Refresher{Feed: f, Fetch: (&script{}).then(nil, rejected).fetch, Log: &writes{}}
			require.False(t, r.Start())
			_, stopped := r.Step(t.Context())
			require.True(t, stopped)
			st := f.Status()
			p := f.problem(st, nil, c.Now())
			require.NotNil(t, p)
			a := troubleAlert(StateStopped, st, f)
			if tc.advice == "" {
				assert.Contains(t, p.Text, "--retry-login")
				assert.Contains(t, a.Text, "--retry-login")
				return
			}
			assert.Contains(t, p.Text, "RosterOn turned down the password")
			assert.Contains(t, p.Text, advice)
			assert.Contains(t, a.Text, advice)
			for _, text := range []string{p.Text, a.Text} {
				assert.False(t, strings.Contains(text, "--retry-login") || strings.Contains(text, "restart"), text)
			}
		})
	}
}

// KeyedLoginHasher: the same key, password and salt give the same bytes
// (a restart stays stopped); another key, password or salt does not,
// and the password is not in them.
func TestKeyedLoginHasher(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	salt := []byte("salt-salt-salt-1")
	h := KeyedLoginHasher(key)(testPassword, salt)
	assert.Equal(t, h, KeyedLoginHasher(bytes.Clone(key))(testPassword, salt))
	assert.NotEqual(t, h, KeyedLoginHasher([]byte("another key, of the same length."))(testPassword, salt))
	assert.NotEqual(t, h, KeyedLoginHasher(key)("another-password", salt))
	assert.NotEqual(t, h, KeyedLoginHasher(key)(testPassword, []byte("salt-salt-salt-2")))
	assert.NotContains(t, string(h), testPassword)
}
