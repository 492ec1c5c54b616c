package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rosteron/rosteron/store"
)

// checkWait is the longest Check waits for its host's login slot; a slot
// further away is ErrBusy.
const checkWait = 3 * time.Second

func (s *Service) check(ctx context.Context, a *store.Account, password string) error {
	name := hostOf(a.Instance)
	s.mu.Lock()
	if s.active >= s.cfg.MaxSessions {
		s.mu.Unlock()
		return ErrBusy
	}
	s.active++
	lim := s.hostLocked(name).limiter
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
		s.poke() // a place is free
	}()
	holder, err := randomHolder("check")
	if err != nil {
		return err
	}
	release, ok, err := s.hostPlace(ctx, name, holder, false)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	defer release()
	at, err := s.cfg.Store.NextTurn(ctx, "logins "+name, s.cfg.LoginGap)
	if err != nil {
		return fmt.Errorf("service: asking the store for a login turn: %w", err)
	}
	if time.Until(at) > checkWait {
		// The turn stays reserved, which only spaces the next login
		// more.
		return ErrBusy
	}
	if err := sleepUntil(ctx, at); err != nil {
		return err
	}
	_, err = s.cfg.Fetch(context.WithValue(ctx, checkKey{}, true), a, password, lim)
	return err
}

// randomHolder names a holder of a host's place that is no job: a Check.
func randomHolder(what string) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("service: %w", err)
	}
	return what + " " + hex.EncodeToString(b), nil
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
	return s.reload(ctx, id, true, false)
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
