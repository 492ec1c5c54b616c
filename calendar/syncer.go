package calendar

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rosteron/rosteron/internal/backoff"
	"github.com/rosteron/rosteron/snapshot"
)

// Defaults of a Syncer's waits.
const (
	DefaultSyncBackoff    = 30 * time.Second
	DefaultSyncMaxBackoff = 30 * time.Minute
	// DefaultSyncTimeout bounds one sync: the Tag, the listing and the
	// writes.
	DefaultSyncTimeout = 5 * time.Minute
)

// Syncer keeps a calendar in step with a roster that a long-running
// program reads again and again (rosteron serve): it is given each roster
// read with Observe, and Run syncs in the background, one sync at a time.
//
// Each roster observed is synced, even one that did not change: the
// calendar's Tag is checked each time, so that a calendar emptied or
// edited on the server is put right at the next read. The Tag and the
// listing of the last sync are kept, so that a roster that did not change,
// with a calendar that did not either, costs the one request for the Tag.
//
// A failed sync is tried again after Backoff, doubled for each failure in
// a row up to MaxBackoff, or at once when a roster is observed. A
// calendar that refuses the credentials (*AuthError) stops the syncs
// until the program is restarted, since trying again cannot mend it and
// may lock an app password; the Syncer then only logs why. A roster with
// no shift from today on, where the calendar has upcoming events, is held
// (ErrEmptyRoster) until a second roster observed agrees, or one observed
// as confirmed.
//
// Make one with NewSyncer; set its optional fields before Run.
type Syncer struct {
	// Log gets one line per sync and per write, without the program's
	// prefix; nil discards them. Lines never hold secrets, as the
	// calendar's errors do not.
	Log func(line string)
	// Backoff and MaxBackoff are the waits after failed syncs
	// (DefaultSyncBackoff, DefaultSyncMaxBackoff).
	Backoff, MaxBackoff time.Duration
	// Timeout bounds each sync (DefaultSyncTimeout); one cut short is a
	// failure, tried again.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	cal  Calendar
	opts Options
	wake chan struct{}
	rand func() float64 // [0, 1); for tests

	mu        sync.Mutex
	snap      *snapshot.Snapshot // the roster to sync; nil before the first
	empties   int                // rosters observed in a row with no shift from today on
	confirmed bool               // the last of them was confirmed
	state     SyncState
}

// SyncState is how a Syncer's syncs stand.
type SyncState struct {
	// LastSuccess is when a sync last ended with the calendar in step
	// with the roster; zero before the first.
	LastSuccess time.Time
	// LastResult is that sync's result.
	LastResult Result
	// Failures counts the failed syncs in a row; LastError is the last
	// one's, "" after a success.
	Failures  int
	LastError string
	// Held is set while an empty roster is held.
	Held bool
	// Stopped is set once the calendar refused the credentials: no more
	// syncs until a restart.
	Stopped bool
}

// NewSyncer returns a Syncer that keeps opts.Account's events in cal in
// step with the rosters it observes. opts.Now is ignored (each sync's
// time is the clock's), and so is opts.AllowEmpty: an empty roster is
// believed once confirmed (see Syncer).
func NewSyncer(cal Calendar, opts Options) *Syncer {
	opts.Now, opts.AllowEmpty = time.Time{}, false
	return &Syncer{cal: cal, opts: opts, wake: make(chan struct{}, 1)}
}

// Observe takes a roster just read, to sync at once. confirmed says that
// a roster with no shift from today on was read twice before it was
// passed on (as serve's refresher holds one): the Syncer then believes it
// at once, where otherwise it waits for a second such roster.
func (s *Syncer) Observe(snap *snapshot.Snapshot, confirmed bool) {
	if snap == nil {
		return
	}
	s.mu.Lock()
	s.snap = snap
	if upcoming(snap, Today(s.now(), s.opts.Location)) == 0 {
		s.empties++
		s.confirmed = confirmed
	} else {
		s.empties, s.confirmed = 0, false
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// State returns how the syncs stand.
func (s *Syncer) State() SyncState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.LastResult.Lines = append([]string(nil), st.LastResult.Lines...)
	return st
}

// upcoming counts snap's shifts from today on.
func upcoming(snap *snapshot.Snapshot, today snapshot.Date) int {
	n := 0
	for _, it := range snap.Items {
		if !it.Date.Before(today) {
			n++
		}
	}
	return n
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// syncCache is what the last sync that found the calendar in step knew:
// the calendar's Tag, its listing, and the roster.
type syncCache struct {
	tag     string
	listing []Stored
	snap    *snapshot.Snapshot
}

// Run syncs each roster observed, until ctx ends. It returns once a sync
// under way has been cut short.
func (s *Syncer) Run(ctx context.Context) {
	if err := s.opts.check(); err != nil {
		s.logf("calendar sync: not syncing: %v", err)
		return
	}
	var cache syncCache
	failures := 0
	var retry *time.Timer // the wait after a failure, if any
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	for {
		var retried <-chan time.Time
		if retry != nil {
			retried = retry.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-retried:
		}
		if retry != nil {
			retry.Stop()
			retry = nil
		}
		s.mu.Lock()
		snap, allowEmpty := s.snap, s.confirmed || s.empties >= 2
		s.mu.Unlock()
		if snap == nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, cmpOr(s.Timeout, DefaultSyncTimeout))
		res, checked, err := s.syncOnce(sctx, snap, allowEmpty, &cache)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrCalendar) {
			err = fmt.Errorf("%w: %s: no answer within %v", ErrCalendar, s.cal, cmpOr(s.Timeout, DefaultSyncTimeout))
		}
		var auth *AuthError
		switch {
		case errors.As(err, &auth):
			s.setState(func(st *SyncState) { st.Stopped, st.LastError = true, err.Error() })
			s.logf("calendar sync stopped: %v. No more syncs until restarted, since trying the same credentials again "+
				"could lock them out; put them right and restart (the feed goes on)", err)
			<-ctx.Done()
			return
		case errors.Is(err, ErrEmptyRoster):
			s.setState(func(st *SyncState) { st.Held = true })
			s.logf("calendar sync held: the roster read has no shift from today on, but %s has upcoming events: "+
				"not deleting them until the next read agrees", s.cal)
			failures = 0
			continue
		case err != nil:
			failures++
			d := s.delay(failures)
			s.setState(func(st *SyncState) { st.Failures, st.LastError = failures, err.Error() })
			s.logResult(res)
			s.logf("calendar sync failed: %v; next try in %s", err, d.Round(time.Second))
			retry = time.NewTimer(d)
			continue
		}
		failures = 0
		now := s.now()
		s.setState(func(st *SyncState) {
			st.LastSuccess, st.LastResult, st.Failures, st.LastError, st.Held = now, res, 0, "", false
		})
		switch {
		case checked:
			s.logf("calendar sync: %s up to date (checked its tag)", s.cal)
		default:
			s.logResult(res)
			s.logf("calendar sync ok: %s: %s", s.cal, res)
		}
	}
}

// syncOnce syncs snap, using and renewing cache. checked reports a sync
// that found the calendar's Tag and the roster as they were, and so did
// no more.
func (s *Syncer) syncOnce(ctx context.Context, snap *snapshot.Snapshot, allowEmpty bool, cache *syncCache) (res Result, checked bool, err error) {
	tag, err := s.cal.Tag(ctx)
	if err != nil {
		return Result{}, false, err
	}
	if tag != "" && tag == cache.tag && cache.snap != nil && sameRoster(cache.snap, snap) {
		return Result{}, true, nil
	}
	listing := cache.listing
	if tag == "" || tag != cache.tag {
		*cache = syncCache{}
		if listing, err = s.cal.List(ctx, s.opts.Account); err != nil {
			return Result{}, false, err
		}
	}
	opts := s.opts
	opts.Now, opts.AllowEmpty = s.now(), allowEmpty
	p, err := MakePlan(snap, listing, opts)
	if err != nil {
		return Result{}, false, err
	}
	if p.Empty() && !opts.DryRun {
		*cache = syncCache{tag: tag, listing: listing, snap: snap}
		return Result{Unchanged: p.Unchanged, Past: p.Past, Ignored: p.Ignored}, false, nil
	}
	// What was written changed the Tag: the next sync lists again, and
	// keeps what it finds.
	*cache = syncCache{}
	res, err = Apply(ctx, s.cal, p)
	return res, false, err
}

// sameRoster reports whether two rosters have the same shifts.
func sameRoster(a, b *snapshot.Snapshot) bool {
	if a == b {
		return true
	}
	if len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Items {
		if !sameItem(a.Items[i], b.Items[i]) {
			return false
		}
	}
	return true
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Syncer) setState(f func(*SyncState)) {
	s.mu.Lock()
	f(&s.state)
	s.mu.Unlock()
}

func (s *Syncer) logResult(res Result) {
	for _, l := range res.Lines {
		s.logf("calendar: %s", l)
	}
}

// delay is the wait after failures failed syncs in a row: Backoff doubled
// for each after the first, spread by ±10 %, never more than MaxBackoff.
func (s *Syncer) delay(failures int) time.Duration {
	base, most := s.Backoff, s.MaxBackoff
	if base <= 0 {
		base = DefaultSyncBackoff
	}
	if most <= 0 {
		most = DefaultSyncMaxBackoff
	}
	u := rand.Float64()
	if s.rand != nil {
		u = s.rand()
	}
	return backoff.Wait(failures, base, most, u)
}

func (s *Syncer) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log(fmt.Sprintf(format, args...))
	}
}
