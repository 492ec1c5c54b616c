package join

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limit is how many attempts a key may make: N at once, won back evenly
// over Per (a token bucket of N that fills in Per).
type Limit struct {
	N   int
	Per time.Duration
}

// Limits are the rate limits of the pages. Attempts are counted before
// RosterOn is asked anything, so that a flood never reaches it.
type Limits struct {
	// Address limits the attempts of one client address (an IPv6 address
	// by its /64): joins, manage logins and password updates together.
	Address Limit
	// Username limits the logins checked with RosterOn for one username on
	// one instance: joins and password updates together. It keeps the
	// account clear of RosterOn's own lock-out.
	Username Limit
	// Account limits the manage logins of one account.
	Account Limit
}

// DefaultLimits are the limits of a zero Config.Limits. An address is
// allowed more than a username, since a ward behind one hospital NAT
// shares one.
var DefaultLimits = Limits{
	Address:  Limit{N: 20, Per: time.Hour},
	Username: Limit{N: 5, Per: 15 * time.Minute},
	Account:  Limit{N: 10, Per: 15 * time.Minute},
}

func (l Limits) orDefaults() Limits {
	if l.Address.N <= 0 || l.Address.Per <= 0 {
		l.Address = DefaultLimits.Address
	}
	if l.Username.N <= 0 || l.Username.Per <= 0 {
		l.Username = DefaultLimits.Username
	}
	if l.Account.N <= 0 || l.Account.Per <= 0 {
		l.Account = DefaultLimits.Account
	}
	return l
}

// Limiter counts attempts by key. The pages keep one in memory
// (NewMemoryLimiter); one kept in a database lets several servers share
// their counts.
type Limiter interface {
	// Take counts one attempt under key against limit. When the key is
	// over its limit it returns false, without counting, and the wait
	// until an attempt is allowed again.
	Take(ctx context.Context, key string, limit Limit) (ok bool, retryAfter time.Duration, err error)
}

// MemoryLimiter is a Limiter in memory: token buckets by key, forgotten
// once full again.
type MemoryLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	limit  Limit
}

// NewMemoryLimiter returns an empty MemoryLimiter on clock now (nil for
// time.Now).
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, buckets: make(map[string]*bucket)}
}

// sweepEvery is how often full buckets are dropped, so that the map holds
// only the keys seen lately.
const sweepEvery = time.Minute

// Take implements Limiter.
func (m *MemoryLimiter) Take(_ context.Context, key string, limit Limit) (bool, time.Duration, error) {
	if limit.N <= 0 || limit.Per <= 0 {
		return true, 0, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) >= sweepEvery || now.Before(m.swept) {
		m.sweep(now)
	}
	b := m.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(limit.N), at: now, limit: limit}
		m.buckets[key] = b
	}
	b.fill(now, limit)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	perToken := float64(limit.Per) / float64(limit.N)
	wait := time.Duration(math.Ceil((1 - b.tokens) * perToken))
	return false, wait, nil
}

func (b *bucket) fill(now time.Time, limit Limit) {
	b.limit = limit
	if d := now.Sub(b.at); d > 0 {
		b.tokens += float64(d) * float64(limit.N) / float64(limit.Per)
	}
	if b.tokens > float64(limit.N) {
		b.tokens = float64(limit.N)
	}
	b.at = now
}

func (m *MemoryLimiter) sweep(now time.Time) {
	m.swept = now
	for k, b := range m.buckets {
		b.fill(now, b.limit)
		if b.tokens >= float64(b.limit.N) {
			delete(m.buckets, k)
		}
	}
}

// retrySeconds is the Retry-After of a wait: whole seconds, at least one.
func retrySeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
