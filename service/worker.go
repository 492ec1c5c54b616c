package service

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/store"
)

// refreshArgs are a refresh job's: the account to refresh.
type refreshArgs struct {
	Account store.ID `json:"account"`
}

func (refreshArgs) Kind() string { return "refresh" }

// InsertOpts makes a refresh job unique by its account among the jobs
// that live (available, pending, scheduled, running, retryable): an
// account is never queued twice, by this dispatcher or by another
// process's. Completed jobs are left out of the unique states, and no
// ByPeriod is set, because either would refuse the account's next
// refresh when it comes sooner than the period: after a failure's
// backoff, after a Reload (a new password, resumed), or at a short test
// interval (ByPeriod is at least a second); and a period's edge would let
// a second job in beside a first still waiting.
func (refreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: maxAttempts,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable,
				rivertype.JobStatePending,
				rivertype.JobStateScheduled,
				rivertype.JobStateRunning,
				rivertype.JobStateRetryable,
			},
		},
	}
}

type refreshWorker struct {
	river.WorkerDefaults[refreshArgs]
	s *Service
}

func (w *refreshWorker) Work(ctx context.Context, job *river.Job[refreshArgs]) error {
	return w.s.work(ctx, job)
}

// work runs one refresh of the job's account: one Refresher.Step, behind
// its host's gate. A failed refresh completes the job all the same: the
// feed's backoff says when the next is due, and the dispatcher queues it
// then. Only a panic, or a process that died mid-job, has River run the
// job again.
func (s *Service) work(ctx context.Context, job *river.Job[refreshArgs]) error {
	s.mu.Lock()
	r := s.accounts[job.Args.Account]
	if r == nil || r.feed == nil || r.paused || r.stopped {
		// Removed, paused or stopped since it was queued.
		s.mu.Unlock()
		s.finish(ctx, job, nil, time.Time{})
		return nil
	}
	h := s.hostLocked(r.host)
	if !r.ready || h.busy >= s.cfg.PerHost || s.active >= s.cfg.MaxSessions || s.reloading[r.id] > 0 {
		// A job queued by an earlier run, for an account not yet begun
		// or whose host is full (or the browser, with Checks), or an
		// account being reloaded: it waits in the queue, not in a
		// worker.
		s.mu.Unlock()
		return river.JobSnooze(s.snooze())
	}
	h.busy++
	s.active++
	stepDone := make(chan struct{})
	s.stepping[r.id] = stepDone
	s.mu.Unlock()
	defer func() {
		// The job is finished: a Reload waiting for it builds the new
		// runtime from the guard's state and the due time saved.
		s.mu.Lock()
		if s.stepping[r.id] == stepDone {
			delete(s.stepping, r.id)
		}
		s.mu.Unlock()
		close(stepDone)
	}()

	var next time.Duration
	var stopped bool
	func() {
		defer func() {
			s.mu.Lock()
			h.busy--
			s.active--
			s.mu.Unlock()
			s.poke() // a place on the host is free
		}()
		next, stopped = r.ref.Step(ctx)
	}()
	now := s.now()
	if ctx.Err() != nil {
		if s.isStopping() {
			// Stopped mid-refresh: the job runs again at the next start,
			// at once, counting no attempt.
			return river.JobSnooze(0)
		}
		// Cut short by the job's time limit: counted as nothing by the
		// feed, tried again after its first backoff.
		next = feed.DefaultBackoff
		r.log.printf("rosteron serve: refresh cut short by the job's time limit of %s; trying again in %s",
			s.cfg.JobTimeout, next)
		r.feed.SetNextRefresh(now.Add(next))
		s.finish(ctx, job, r, now.Add(next))
		return nil
	}
	due := now.Add(next)
	if st := r.feed.Status(); !stopped && !s.cfg.Single && st.Failures == 0 && st.HeldSince == nil {
		// A good refresh: the next at the account's phase, which the
		// feed's page and health show. One account alone has no others
		// to keep apart from: it waits Step's wait, as serve always has.
		due = s.aligned(r, now.Add(s.cfg.Interval/2))
		r.feed.SetNextRefresh(due)
	}
	s.mu.Lock()
	if stopped && s.accounts[r.id] == r {
		r.stopped = true
		r.stopWhy = stopWhy(r.feed.Status())
	}
	s.mu.Unlock()
	s.finish(ctx, job, r, due)
	return nil
}

// finish records a refresh's outcome: the account's next refresh (r's,
// if r is still its runtime), its health in the store, and the job
// completed, in that order, before the dispatcher may queue the account
// again.
//
// The job is completed here, in a transaction of its own, rather than by
// River's completer after Work returns, which is asynchronous: an insert
// for the account's next refresh that came before that completion was
// saved would be taken for a duplicate of this job, and dropped. The
// store is never called while that transaction is open: the database has
// one connection, which the transaction holds.
func (s *Service) finish(ctx context.Context, job *river.Job[refreshArgs], r *account, due time.Time) {
	ctx = context.WithoutCancel(ctx)
	if r != nil {
		s.mu.Lock()
		if s.accounts[r.id] == r {
			r.due = due
		}
		s.mu.Unlock()
		s.saveHealth(ctx, r)
	}
	if err := s.complete(ctx, job); err != nil {
		// River's completer completes it after Work returns; the next
		// insert may be dropped meanwhile, and made again once the lease
		// ends.
		s.log.printf("rosteron serve: warning: completing refresh job %d of account #%d: %v", job.ID, job.Args.Account, err)
	}
	s.mu.Lock()
	if cur := s.accounts[job.Args.Account]; cur != nil {
		cur.queued = false
	}
	s.mu.Unlock()
	s.poke()
}

func (s *Service) complete(ctx context.Context, job *river.Job[refreshArgs]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit()
}

// snooze is how long a job whose host is full waits: about a login gap,
// less than River's scheduler interval (5 s), so that the job stays
// available and starts as soon as its time comes.
func (s *Service) snooze() time.Duration {
	d := max(s.cfg.LoginGap, s.cfg.pollInterval)
	d += time.Duration(rand.Int64N(int64(d) + 1))
	return min(d, 4*time.Second)
}

func (s *Service) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}
