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
// It gives no attempt back (it is no Refunder): an attempt the service
// was too busy to check stays counted.
type StoreLimiter struct {
	st  store.Store
	mac []byte
}

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
	return &StoreLimiter{st: st, mac: secret}, nil
}

// Take implements Limiter.
func (l *StoreLimiter) Take(ctx context.Context, key string, limit Limit) (bool, time.Duration, error) {
	if limit.N <= 0 || limit.Per <= 0 {
		return true, 0, nil
	}
	ok, retry, err := l.st.Hit(ctx, l.storeKey(key, limit), limit.N, limit.Per)
	if err != nil {
		// The store's error names no key: it may say which query failed,
		// never the address or username counted.
		return false, 0, err
	}
	return ok, retry, nil
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
