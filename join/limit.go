package join

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limit is how many attempts a key may make: N at once, won back evenly
// over Per (a token bucket of N that fills in Per); or, with Window, at
// most N in any span of Per (a sliding window, strict where a bucket
// allows up to 2N in one span).
type Limit struct {
	N      int
	Per    time.Duration
	Window bool
}

// Limits are the rate limits of the pages. Attempts are counted before
// RosterOn is asked anything, so that a flood never reaches it.
type Limits struct {
	// Address limits the attempts of one client address (an IPv6 address
	// by its /64): joins, manage logins and password updates together.
	Address Limit
	// Username limits the join attempts for one username on one instance
	// (lower-cased), by anyone: for a username with no account, each is a
	// login RosterOn checks, so it keeps a colleague's RosterOn account
	// clear of RosterOn's own lock-out, which anyone could otherwise set
	// off by joining with their username and wrong passwords; for a
	// member, it bounds the guesses at the saved password (which is
	// compared here, RosterOn never asked). A sliding window, so that no
	// flood reaches RosterOn more than N times in Per.
	Username Limit
	// Account limits the manage logins of one account.
	Account Limit
	// Password limits the password updates of one account on its manage
	// page: each is a login RosterOn checks. It is the account's own, so
	// that one flooding /join with the username cannot block the owner's
	// update.
	Password Limit
	// Manage limits every change one account makes on its manage page
	// (each reloads the account, and may log in to RosterOn), so that one
	// member or a stolen cookie cannot keep the service busy with it.
	Manage Limit
}

// DefaultLimits are the limits of a zero Config.Limits. An address is
// allowed more than a username, since a ward behind one hospital NAT
// shares one.
var DefaultLimits = Limits{
	Address:  Limit{N: 20, Per: time.Hour},
	Username: Limit{N: 3, Per: 24 * time.Hour, Window: true},
	Account:  Limit{N: 10, Per: 15 * time.Minute},
	Password: Limit{N: 5, Per: time.Hour},
	Manage:   Limit{N: 30, Per: time.Hour},
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
	if l.Password.N <= 0 || l.Password.Per <= 0 {
		l.Password = DefaultLimits.Password
	}
	if l.Manage.N <= 0 || l.Manage.Per <= 0 {
		l.Manage = DefaultLimits.Manage
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

// Refunder is a Limiter that can give back an attempt counted by Take,
// for one that turned out not to be one (the service was too busy to
// check a login). A Limiter without it keeps the attempt counted.
type Refunder interface {
	Refund(ctx context.Context, key string, limit Limit) error
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
	times  []time.Time // a Window's attempts, oldest first
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
	if limit.Window {
		b.prune(now, limit)
		if len(b.times) < limit.N {
			b.times = append(b.times, now)
			return true, 0, nil
		}
		return false, b.times[len(b.times)-limit.N].Add(limit.Per).Sub(now), nil
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

// Refund implements Refunder: the last attempt counted under key is
// given back.
func (m *MemoryLimiter) Refund(_ context.Context, key string, limit Limit) error {
	if limit.N <= 0 || limit.Per <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[key]
	if b == nil {
		return nil
	}
	if limit.Window {
		if len(b.times) > 0 {
			b.times = b.times[:len(b.times)-1]
		}
		return nil
	}
	b.tokens = min(b.tokens+1, float64(limit.N))
	return nil
}

// prune drops a Window's attempts older than its span.
func (b *bucket) prune(now time.Time, limit Limit) {
	b.limit = limit
	i := 0
	for i < len(b.times) && !now.Before(b.times[i].Add(limit.Per)) {
		i++
	}
	b.times = b.times[i:]
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
		if b.limit.Window {
			if b.prune(now, b.limit); len(b.times) == 0 {
				delete(m.buckets, k)
			}
			continue
		}
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
