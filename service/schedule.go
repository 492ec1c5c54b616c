package service

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// Spreading the refreshes. Each account has a phase in the interval,
// from its ID; after a good refresh, the next comes at the first instant
// of its phase at least half an interval later, plus a little jitter. So
// 10,000 accounts refreshed every 30 minutes log in at a steady 5.6 a
// second, not all at :00 and :30, and an account refreshed early (after a
// Reload, or a failure's backoff) falls back into its place.

// golden is the golden ratio's fractional part: ID×golden mod 1 spreads
// consecutive IDs evenly over [0, 1) (a Weyl sequence), however many.
const golden = 0.6180339887498949

// phase is an account's offset in the interval.
func (s *Service) phase(id store.ID) time.Duration {
	f := math.Mod(float64(id)*golden, 1)
	if f < 0 {
		f += 1
	}
	return time.Duration(f * float64(s.cfg.Interval))
}

// jitterShare is the most jitter added to an instant of a phase, as a
// share of the interval: enough that accounts of nearby phases do not
// hit a host in lock step, little enough that the spread stays even.
const jitterShare = 0.02

// aligned is the first instant of r's phase at earliest or after, plus a
// little jitter.
func (s *Service) aligned(r *account, earliest time.Time) time.Time {
	iv := int64(s.cfg.Interval)
	off := earliest.UnixNano() - int64(r.phase)
	k := off / iv
	if k*iv < off {
		k++
	}
	t := time.Unix(0, k*iv+int64(r.phase))
	if j := int64(float64(iv) * jitterShare); j > 0 {
		t = t.Add(time.Duration(rand.Int64N(j)))
	}
	return t
}

// limiter is the session.Limiter of a host: its sessions, counted from
// login to logout. The gap between logins is loginTurn's.
func (s *Service) limiter(name string) *session.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostLocked(name).limiter
}

func (s *Service) hostLocked(name string) *host {
	h := s.hosts[name]
	if h == nil {
		h = &host{limiter: session.NewLimiter(s.cfg.PerHost, 0)}
		s.hosts[name] = h
	}
	return h
}

// poke wakes the dispatcher: an account's due time changed.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxSleep bounds the dispatcher's sleep, so that a clock that jumps is
// noticed within a minute.
const maxSleep = time.Minute

// insertBatch is the most jobs inserted in one InsertMany.
const insertBatch = 100

// lease is how long a queued account counts as queued without news of
// its job: longer than any job can wait, run and be retried, so that
// only a job lost for good (discarded after its attempts, or deleted)
// makes the dispatcher queue the account again. The insert is unique,
// so queuing it again while its job lives inserts nothing.
func (s *Service) lease() time.Duration {
	return max(s.cfg.Interval, s.cfg.RescueAfter+s.cfg.JobTimeout+time.Minute)
}

// dispatch inserts one refresh job for each due account that is neither
// paused nor stopped nor queued already, and sleeps until the next one is
// due or an account changes. It is the only place jobs are inserted, in
// one goroutine: in a service of several processes (issue 19) it runs on
// River's elected leader alone, and a new leader picks up from each
// account's Health.NextRefresh in the store.
//
// Fairness between hosts: it queues at most Config.PerHost jobs for a
// host at once (counting those queued or running), the longest due
// first. So a host with 500 accounts due never fills the queue, and
// never makes a worker wait for its gate while another host's account
// waits behind it: River's queue holds only jobs that can start, in the
// order they came due, whatever their host. The worker checks the host's
// gate all the same, for jobs left by an earlier run, and snoozes a job
// whose host is full (see work).
func (s *Service) dispatch(ctx context.Context) {
	defer s.sched.Store(false)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if !s.leading.Load() {
			// Another replica's dispatcher queues the jobs; this one
			// waits to be elected (watchLeader pokes it).
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		now := s.now()
		next := now.Add(maxSleep)
		byHost := map[string][]*account{}
		busy := map[string]int{}
		s.mu.Lock()
		for _, r := range s.accounts {
			if r.queued && !r.lease.After(now) {
				r.queued = false // its job is lost
			}
			if r.queued {
				busy[r.host]++
			}
		}
		for _, r := range s.accounts {
			if r.feed == nil || !r.ready || r.paused || r.stopped {
				continue
			}
			if r.queued {
				next = minTime(next, r.lease)
				continue
			}
			if r.due.After(now) {
				next = minTime(next, r.due)
				continue
			}
			byHost[r.host] = append(byHost[r.host], r)
		}
		s.mu.Unlock()
		// A host that is full is woken by its next job's end (poke).
		var due []*account
		for name, rs := range byHost {
			free := s.cfg.PerHost - busy[name]
			if free <= 0 {
				continue
			}
			if len(rs) > free {
				slices.SortFunc(rs, func(a, b *account) int { return a.due.Compare(b.due) })
				rs = rs[:free]
			}
			due = append(due, rs...)
		}
		if len(due) > 0 {
			s.enqueue(ctx, due)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(next.Sub(now), time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// enqueue inserts a refresh job for each account of due, the longest
// due first. Each is marked queued before its insert, since its job may
// run and end before InsertMany returns; an insert that fails unmarks it
// and tries again a little later.
func (s *Service) enqueue(ctx context.Context, due []*account) {
	slices.SortFunc(due, func(a, b *account) int { return a.due.Compare(b.due) })
	for batch := range slices.Chunk(due, insertBatch) {
		now := s.now()
		gens := make([]int, len(batch))
		params := make([]river.InsertManyParams, len(batch))
		s.mu.Lock()
		for i, r := range batch {
			r.queued = true
			r.lease = now.Add(s.lease())
			r.queueGen++
			gens[i] = r.queueGen
			params[i] = river.InsertManyParams{Args: refreshArgs{Account: r.id}}
		}
		s.mu.Unlock()
		_, err := s.client.InsertMany(ctx, params)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		s.log.printf("rosteron serve: warning: queuing %d refreshes: %v; trying again in %s", len(batch), err, retryInsert)
		s.mu.Lock()
		for i, r := range batch {
			if r.queued && r.queueGen == gens[i] {
				r.queued = false
				r.due = now.Add(retryInsert)
			}
		}
		s.mu.Unlock()
	}
}

// retryInsert is the wait after a failed insert.
const retryInsert = 5 * time.Second

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// healthLoop checks each account's health every Config.healthEvery (a
// minute): the feed's alerts when its roster turns stale, and the health
// kept in the store for `accounts list`.
func (s *Service) healthLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.leading.Load() {
			// The leader checks them: one alert per stale roster, not
			// one per replica.
			continue
		}
		s.mu.Lock()
		all := make([]*account, 0, len(s.accounts))
		for _, r := range s.accounts {
			all = append(all, r)
		}
		s.mu.Unlock()
		for _, r := range all {
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			paused := r.paused
			// Its job, queued or running on any replica, checks its
			// health itself, and commits the alerts' state it loaded
			// before its step: one saved here meanwhile would be lost,
			// or its alert sent twice.
			busy := r.queued || s.stepping[r.id] != nil
			s.mu.Unlock()
			if r.ref != nil && !paused && !busy {
				// A paused account's roster ages on purpose: no alert.
				r.ref.CheckHealth()
			}
			s.saveHealth(ctx, r)
		}
	}
}

// loginTurn waits for the host's next login turn, at least LoginGap
// after the one before across every replica (Store.NextTurn), so that
// however many accounts one RosterOn host has, its logins come no closer
// than LoginGap. It returns ctx's error if ctx ends first; the turn
// reserved stays taken, which only spaces the next login more.
func (s *Service) loginTurn(ctx context.Context, name string) error {
	at, err := s.cfg.Store.NextTurn(ctx, "logins "+name, s.cfg.LoginGap)
	if err != nil {
		return fmt.Errorf("asking the store for a login turn: %w", err)
	}
	// Real time, not Config.Now: the gap is between real requests.
	return sleepUntil(ctx, at)
}

func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
