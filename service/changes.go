package service

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"github.com/rosteron/rosteron/store"
)

// Many replicas (issue 19). Every replica serves every account and runs
// any account's job; River's elected leader alone runs the dispatcher and
// the health checks. Each reads the store's changes (Store.Changes) every
// Config.changesEvery (2 s), and before each job:
//
//   - an account created or changed elsewhere (password, settings,
//     paused, resumed) is reloaded, as Reload does;
//   - an account whose feed state was saved elsewhere (a refresh job
//     committed by another replica, alerts sent there) is built again
//     from the store, when what the store holds differs from what its
//     runtime read or wrote: its page and feeds serve the roster
//     committed, and its lock-out guard and alerts go on from the state
//     committed, never an older one. A job's commit carries its refresh
//     record (refreshBlob), with the account's next due time, which the
//     leader's dispatcher takes as the account's;
//   - every fifth look, the accounts deleted elsewhere are removed (List:
//     deletions are not among the changes).
//
// On SQLite there is one process, always the leader; the changes are
// those `rosteron accounts` makes from another process.

// changesLoop reads the store's changes until ctx ends, and follows River's
// leadership on a shared store.
//
// Leadership is looked at every leaderEvery whatever the changes' pace:
// River elects a leader a moment after the client starts, and a replica
// that looked only before that, with a long changesEvery (tests), would
// not dispatch until its next look.
func (s *Service) changesLoop(ctx context.Context, shared bool) {
	every := s.cfg.changesEvery
	if shared {
		every = min(every, leaderEvery)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var looked time.Time
	for {
		if shared {
			s.watchLeader(ctx)
		}
		if looked.IsZero() || time.Since(looked) >= s.cfg.changesEvery {
			s.catchUp(ctx)
			looked = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leaderEvery is how often a replica on a shared store asks River who
// leads.
const leaderEvery = 2 * time.Second

// watchLeader sets s.leading from River's elected leader. When this client
// becomes the leader, its dispatcher takes over from the accounts' due
// times as it last learnt them (the refresh records), and forgets which it
// queued before: queuing again an account whose job lives inserts nothing
// (the jobs are unique by account).
func (s *Service) watchLeader(ctx context.Context) {
	l, err := s.driver.GetExecutor().LeaderGetElectedLeader(ctx, &riverdriver.LeaderGetElectedLeaderParams{})
	is := err == nil && l != nil && l.LeaderID == s.client.ID()
	if is == s.leading.Load() {
		return
	}
	if is {
		s.mu.Lock()
		for _, r := range s.accounts {
			r.queued = false
		}
		s.mu.Unlock()
	}
	s.leading.Store(is)
	s.poke()
}

// catchUp reads the store's changes since the last look, and reloads or
// builds again the accounts they concern (see above).
func (s *Service) catchUp(ctx context.Context) {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	if ctx.Err() != nil {
		return
	}
	changes, next, err := s.cfg.Store.Changes(ctx, s.stamp)
	if err != nil {
		if ctx.Err() == nil {
			s.log.printf("rosteron serve: warning: reading the store's changes: %v; trying again", err)
		}
		return
	}
	s.stamp = next
	s.mu.Lock()
	for id := range s.stale {
		changes = append(changes, store.Change{ID: id, Account: true})
	}
	s.mu.Unlock()
	for i, c := range changes {
		if ctx.Err() != nil {
			// s.stamp is past them: the changes not followed yet are
			// followed at the next look, never lost.
			s.mu.Lock()
			for _, c := range changes[i:] {
				s.stale[c.ID] = true
			}
			s.mu.Unlock()
			return
		}
		s.changed(ctx, c)
	}
	if s.polls++; s.polls%5 == 0 {
		s.removeDeleted(ctx)
	}
}

// changed follows one account's change.
func (s *Service) changed(ctx context.Context, c store.Change) {
	s.mu.Lock()
	r := s.accounts[c.ID]
	if s.stepping[c.ID] != nil {
		// Its step runs here: after it, at the next look.
		s.stale[c.ID] = true
		s.mu.Unlock()
		return
	}
	delete(s.stale, c.ID)
	var wasPaused bool
	if r != nil {
		wasPaused = r.paused
	}
	s.mu.Unlock()
	if r == nil || c.Account {
		// Its state may have been committed by another replica's
		// refresh too: then the new runtime is no longer queued.
		job := r != nil && c.State && s.committedElsewhere(ctx, r)
		err := s.reload(ctx, c.ID, false, job)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.forget(c.ID)
			return
		case err != nil:
			// Even when ctx ended (a job's catchUp): followed at the
			// next look, never lost.
			if ctx.Err() == nil {
				s.log.printf("rosteron serve: warning: account %d changed in the store, and reading it failed: %v; trying again", c.ID, err)
			}
			s.mu.Lock()
			s.stale[c.ID] = true
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		now := s.accounts[c.ID]
		known := s.known[c.ID]
		s.known[c.ID] = true
		s.mu.Unlock()
		switch {
		case now == nil:
		case !known:
			s.log.printf("rosteron serve: account %d (%s) added", c.ID, now.label)
		case now.paused && !wasPaused:
			why := now.row.PauseReason
			if why == "" {
				why = "no reason given"
			}
			s.log.printf("rosteron serve: account %d paused: %s", c.ID, why)
		case !now.paused && wasPaused:
			s.log.printf("rosteron serve: account %d resumed", c.ID)
		}
		return
	}
	if !c.State {
		return
	}
	differs, err := r.state.differs(ctx)
	if err != nil {
		// A transient failure, or ctx ended: looked at again next time,
		// rather than the state change dropped.
		s.mu.Lock()
		s.stale[c.ID] = true
		s.mu.Unlock()
		return
	}
	if !differs {
		return
	}
	job := s.committedElsewhere(ctx, r)
	if err := s.reload(ctx, c.ID, false, job); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.mu.Lock()
		s.stale[c.ID] = true
		s.mu.Unlock()
	}
}

// committedElsewhere says the store holds a refresh record of r's other
// than the one r's runtime knows: a refresh job committed since.
func (s *Service) committedElsewhere(ctx context.Context, r *account) bool {
	rec, ok := r.state.lastRefresh(ctx)
	s.mu.Lock()
	last := r.last
	s.mu.Unlock()
	return ok && (last == nil || last.Job != rec.Job)
}

// removeDeleted removes the accounts no longer in the store.
func (s *Service) removeDeleted(ctx context.Context) {
	list, err := s.cfg.Store.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.printf("rosteron serve: warning: reading the accounts again: %v", err)
		}
		return
	}
	there := make(map[store.ID]bool, len(list))
	for _, a := range list {
		there[a.ID] = true
	}
	s.mu.Lock()
	var gone []store.ID
	for id := range s.accounts {
		if !there[id] {
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone {
		s.forget(id)
	}
}

// forget removes an account deleted from the store.
func (s *Service) forget(id store.ID) {
	s.mu.Lock()
	_, running := s.accounts[id]
	delete(s.known, id)
	delete(s.stale, id)
	s.mu.Unlock()
	if running {
		s.Remove(id)
		s.log.printf("rosteron serve: account %d removed: no longer served", id)
	}
}
