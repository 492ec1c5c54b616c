package join

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosteron/rosteron/store"
)

// limitSecretName is the store's secret the StoreLimiter's keys are MACs
// under.
const limitSecretName = "join-limits"

// StoreLimiter is a Limiter whose counts are in the store (store.Hit), so
// that every server on one database counts together: a client cannot
// multiply its attempts by the replicas behind a load balancer, and a
// restart forgets none.
//
// The store sees no client address and no username: each key is an
// HMAC-SHA256 under a random secret of the pages, sealed in the store
// (so a store without its key yields neither the secret nor, by trying
// the addresses of the internet, whose attempts are counted), with the
// key's kind ("addr", "user", …) before it in clear.
//
// Both kinds of Limit are counted as a sliding window of N in any span
// of Per, the store's one kind of count: for a token bucket (Window
// false) that is stricter than the bucket, which lets up to 2N through
// in a span that starts full, and never looser.
//
// It is a Refunder: an attempt the service was too busy to check is
// given back (store.Unhit), so that a newcomer told "busy" is not locked
// out.
//
// In front of the store, each StoreLimiter counts in memory too (a
// MemoryLimiter with the same limits, this replica's attempts only, so
// never stricter than the store's count of every replica's), and asks
// the store only when that one admits; and it asks the store at most
// storeLimitCalls at a time, an attempt that finds them all busy for
// storeLimitWait being refused as over its limit: a flood of posts to
// one replica then costs the database little, and does not starve the
// connections every replica's refreshes need.
type StoreLimiter struct {
	st    store.Store
	mac   []byte
	local *MemoryLimiter
	calls chan struct{}
	wait  time.Duration
}

// storeLimitCalls bounds a StoreLimiter's calls to the store at once;
// storeLimitWait is how long an attempt waits for one, and
// storeLimitBusy the Retry-After of one that waited in vain.
const (
	storeLimitCalls = 4
	storeLimitWait  = time.Second
	storeLimitBusy  = 10 * time.Second
)

// NewStoreLimiter returns the StoreLimiter of st, reading its secret from
// the store (made the first time), so the store needs its key.
func NewStoreLimiter(ctx context.Context, st store.Store) (*StoreLimiter, error) {
	if st == nil {
		return nil, errors.New("join: a StoreLimiter needs a store")
	}
	secret, err := st.Secret(ctx, limitSecretName, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("join: reading the rate limits' secret from the store: %w", err)
	}
	if len(secret) < 16 {
		return nil, fmt.Errorf("join: the rate limits' secret in the store is too short: %d bytes", len(secret))
	}
	return &StoreLimiter{st: st, mac: secret, local: NewMemoryLimiter(nil),
		calls: make(chan struct{}, storeLimitCalls), wait: storeLimitWait}, nil
}

// Take implements Limiter.
func (l *StoreLimiter) Take(ctx context.Context, key string, limit Limit) (bool, time.Duration, error) {
	if limit.N <= 0 || limit.Per <= 0 {
		return true, 0, nil
	}
	// The local count is keyed as the store's: apart by limit too.
	sk := l.storeKey(key, limit)
	if ok, retry, err := l.local.Take(ctx, sk, limit); err != nil || !ok {
		return ok, retry, err
	}
	if !l.acquire(ctx) {
		_ = l.local.Refund(ctx, sk, limit)
		return false, storeLimitBusy, nil
	}
	ok, retry, err := l.st.Hit(ctx, sk, limit.N, limit.Per)
	<-l.calls
	if err != nil || !ok {
		// Not counted in the store: not counted here either.
		_ = l.local.Refund(ctx, sk, limit)
	}
	if err != nil {
		// The store's error names no key: it may say which query failed,
		// never the address or username counted.
		return false, 0, err
	}
	return ok, retry, nil
}

// Refund implements Refunder: the newest attempt counted under key is
// given back, here and in the store.
func (l *StoreLimiter) Refund(ctx context.Context, key string, limit Limit) error {
	if limit.N <= 0 || limit.Per <= 0 {
		return nil
	}
	sk := l.storeKey(key, limit)
	_ = l.local.Refund(ctx, sk, limit)
	if !l.acquire(ctx) {
		return errors.New("join: too many rate-limit counts at once to give one back")
	}
	defer func() { <-l.calls }()
	return l.st.Unhit(ctx, sk)
}

// acquire takes one of the store's calls, waiting l.wait at most.
func (l *StoreLimiter) acquire(ctx context.Context) bool {
	select {
	case l.calls <- struct{}{}:
		return true
	default:
	}
	if l.wait <= 0 {
		return false
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.calls <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// storeKey is key as the store keeps it: its kind in clear, then the MAC
// of the whole key and of the limit (its count and its span), so that
// two limits of one key that differ in either are counted apart.
func (l *StoreLimiter) storeKey(key string, limit Limit) string {
	kind, _, _ := strings.Cut(key, ":")
	if kind == key || strings.ContainsAny(kind, "@.\x00/ ") || len(kind) > 16 {
		kind = "key"
	}
	m := hmac.New(sha256.New, l.mac)
	fmt.Fprintf(m, "%d\x00%d\x00%s", limit.N, limit.Per, key)
	return "join/" + kind + "/" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
