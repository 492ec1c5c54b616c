package service

import (
	"context"
	"time"

	"github.com/rosteron/rosteron/store"
)

// checkWait is the longest Check waits for its host's login slot; a slot
// further away is ErrBusy.
const checkWait = 3 * time.Second

func (s *Service) check(ctx context.Context, a *store.Account, password string) error {
	name := hostOf(a.Instance)
	now := time.Now() // real time, as loginTurn's
	s.mu.Lock()
	h := s.hostLocked(name)
	if h.busy >= s.cfg.PerHost || s.active >= s.cfg.MaxSessions {
		s.mu.Unlock()
		return ErrBusy
	}
	at := h.nextLogin
	if at.Before(now) {
		at = now
	}
	if at.Sub(now) > checkWait {
		s.mu.Unlock()
		return ErrBusy
	}
	h.nextLogin = at.Add(s.cfg.LoginGap)
	h.busy++
	s.active++
	lim := h.limiter
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		h.busy--
		s.active--
		s.mu.Unlock()
		s.poke() // a place is free
	}()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	_, err := s.cfg.Fetch(context.WithValue(ctx, checkKey{}, true), a, password, lim)
	return err
}

type checkKey struct{}

// IsCheck reports whether a FetchFunc's ctx is a Check's: one login to
// check a password, whose refusal a fetch should not post again (as
// RenderAuto does to be sure), so that a wrong password costs RosterOn
// one attempt, not two.
func IsCheck(ctx context.Context) bool {
	v, _ := ctx.Value(checkKey{}).(bool)
	return v
}

func (s *Service) verified(ctx context.Context, id store.ID) error {
	return s.reload(ctx, id, true)
}

// Known says whether the service runs the account, and whether it is
// paused in what the service last loaded: a store watcher reloads only
// what differs.
func (s *Service) Known(id store.ID) (paused bool, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.accounts[id]
	if r == nil {
		return false, false
	}
	return r.paused, true
}
