package join

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxy", "198.51.100.4:5555", nil, nil, "198.51.100.4"},
		{"no proxy ignores X-Forwarded-For", "198.51.100.4:5555", []string{"203.0.113.9"}, nil, "198.51.100.4"},
		{"untrusted peer ignores it", "198.51.100.4:5555", []string{"203.0.113.9"}, trusted, "198.51.100.4"},
		{"trusted proxy", "10.0.0.2:443", []string{"203.0.113.9"}, trusted, "203.0.113.9"},
		{"a forged left part", "10.0.0.2:443", []string{"1.2.3.4, 203.0.113.9"}, trusted, "203.0.113.9"},
		{"two proxies", "10.0.0.2:443", []string{"1.2.3.4, 203.0.113.9, 10.0.0.7"}, trusted, "203.0.113.9"},
		{"two headers", "10.0.0.2:443", []string{"1.2.3.4", "203.0.113.9"}, trusted, "203.0.113.9"},
		{"all trusted", "10.0.0.2:443", []string{"10.1.1.1"}, trusted, "10.1.1.1"},
		{"no header", "10.0.0.2:443", nil, trusted, "10.0.0.2"},
		{"garbage stops at the proxy", "10.0.0.2:443", []string{"203.0.113.9, garbage"}, trusted, "10.0.0.2"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, trusted, "2001:db8::1"},
		{"IPv6 via proxy", "[fd00::2]:443", []string{"[2001:db8::5]:1234"}, trusted, "2001:db8::5"},
		{"v4-mapped", "[::ffff:198.51.100.4]:1", nil, nil, "198.51.100.4"},
	} {
		r, err := http.NewRequest(http.MethodGet, "http://x/", nil)
		require.NoError(t, err)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		assert.Equal(t, tc.want, clientAddr(r, tc.trusted).String(), tc.name)
	}
}

func TestAddrKey(t *testing.T) {
	assert.Equal(t, "addr:198.51.100.4", addrKey(netip.MustParseAddr("198.51.100.4")))
	a := addrKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1"))
	assert.Equal(t, a, addrKey(netip.MustParseAddr("2001:db8:1:2:bbbb::9")), "one /64 is one client")
	assert.NotEqual(t, a, addrKey(netip.MustParseAddr("2001:db8:1:3::1")))
	assert.Equal(t, "addr:unknown", addrKey(netip.Addr{}))
}

func TestMemoryLimiter(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	m := NewMemoryLimiter(func() time.Time { return now })
	ctx := context.Background()
	l := Limit{N: 2, Per: 10 * time.Minute}
	take := func(key string) (bool, time.Duration) {
		ok, wait, err := m.Take(ctx, key, l)
		require.NoError(t, err)
		return ok, wait
	}
	ok, _ := take("a")
	assert.True(t, ok)
	ok, _ = take("a")
	assert.True(t, ok)
	ok, wait := take("a")
	assert.False(t, ok)
	assert.Equal(t, 5*time.Minute, wait)
	ok, _ = take("b")
	assert.True(t, ok, "another key has its own")

	// Refused attempts are not counted: after 5 minutes one is back.
	now = now.Add(5 * time.Minute)
	ok, _ = take("a")
	assert.True(t, ok)
	ok, wait = take("a")
	assert.False(t, ok)
	assert.Equal(t, 5*time.Minute, wait)

	// Full buckets are forgotten.
	now = now.Add(time.Hour)
	ok, _ = take("c")
	assert.True(t, ok)
	m.mu.Lock()
	_, hasA := m.buckets["a"]
	n := len(m.buckets)
	m.mu.Unlock()
	assert.False(t, hasA)
	assert.Equal(t, 1, n)

	assert.Equal(t, int64(1), retrySeconds(10*time.Millisecond))
	assert.Equal(t, int64(300), retrySeconds(5*time.Minute))
}

func TestMemoryLimiterWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	now := t0
	m := NewMemoryLimiter(func() time.Time { return now })
	ctx := context.Background()
	l := Limit{N: 3, Per: 24 * time.Hour, Window: true}
	for i := range 3 {
		now = t0.Add(time.Duration(i) * time.Hour)
		ok, _, err := m.Take(ctx, "k", l)
		require.NoError(t, err)
		require.True(t, ok, "attempt %d", i+1)
	}
	now = t0.Add(10 * time.Hour)
	ok, wait, err := m.Take(ctx, "k", l)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, 14*time.Hour, wait)
	// A refund gives the last attempt back.
	require.NoError(t, m.Refund(ctx, "k", l))
	ok, _, _ = m.Take(ctx, "k", l)
	assert.True(t, ok)
	ok, _, _ = m.Take(ctx, "k", l)
	assert.False(t, ok)
	// The first attempt leaves the window after 24 hours, not before.
	now = t0.Add(24*time.Hour - time.Nanosecond)
	ok, _, _ = m.Take(ctx, "k", l)
	assert.False(t, ok)
	now = t0.Add(24 * time.Hour)
	ok, _, _ = m.Take(ctx, "k", l)
	assert.True(t, ok)
	// A full window is swept away once empty.
	now = t0.Add(72 * time.Hour)
	_, _, _ = m.Take(ctx, "other", l)
	m.mu.Lock()
	_, kept := m.buckets["k"]
	m.mu.Unlock()
	assert.False(t, kept, "an empty window was kept")

	// A bucket's refund gives a token back, no more than full.
	b := Limit{N: 1, Per: time.Hour}
	ok, _, _ = m.Take(ctx, "b", b)
	require.True(t, ok)
	require.NoError(t, m.Refund(ctx, "b", b))
	require.NoError(t, m.Refund(ctx, "b", b))
	ok, _, _ = m.Take(ctx, "b", b)
	assert.True(t, ok)
	ok, _, _ = m.Take(ctx, "b", b)
	assert.False(t, ok)
}
