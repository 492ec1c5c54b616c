package session

import (
	"context"
	"sync"
	"time"
)

// Limiter is shared by sessions to be polite to a RosterOn server: it
// bounds how many of them are open at once and spaces the pages they ask
// for. The zero value is not usable; make one with NewLimiter.
type Limiter struct {
	slots    chan struct{}
	interval time.Duration

	mu   sync.Mutex
	next time.Time
}

// NewLimiter lets at most concurrent sessions be open at once (0 means no
// bound) and starts their page requests at least interval apart (0 means
// no spacing). A session holds its slot from its first request until
// Close.
func NewLimiter(concurrent int, interval time.Duration) *Limiter {
	l := &Limiter{interval: interval}
	if concurrent > 0 {
		l.slots = make(chan struct{}, concurrent)
	}
	return l
}

// WithLimiter makes the session wait for l before it opens its tab and
// before each page it asks for.
func WithLimiter(l *Limiter) Option { return func(s *Session) { s.limiter = l } }

func (l *Limiter) acquire(ctx context.Context) error {
	if l == nil || l.slots == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Limiter) release() {
	if l != nil && l.slots != nil {
		<-l.slots
	}
}

// pace waits for the next free moment to send a request.
func (l *Limiter) pace(ctx context.Context) error {
	if l == nil || l.interval <= 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
