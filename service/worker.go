package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
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
// its host's place (Store.TakeSlot, for every replica together) and login
// turn (Store.NextTurn). A failed refresh completes the job all the same:
// the feed's backoff says when the next is due, and the dispatcher queues
// it then. Only a panic, a failed commit, or a process that died mid-job
// has River run the job again.
func (s *Service) work(ctx context.Context, job *river.Job[refreshArgs]) error {
	// Another replica may have refreshed or changed the account since
	// this one last looked: its runtime is built again from the store
	// first, so that the lock-out guard and the alerts never act on a
	// state older than the last committed one.
	s.catchUp(ctx)
	s.mu.Lock()
	r := s.accounts[job.Args.Account]
	if r == nil && s.removed[job.Args.Account] {
		// Removed (Remove) since it was queued.
		s.mu.Unlock()
		return s.finish(ctx, job, nil, time.Time{})
	}
	if r == nil {
		// Not loaded here (yet): this replica is starting, or the
		// account was just created elsewhere. Loaded now, unless it is
		// gone, and the job waits in the queue meanwhile, rather than
		// being completed with no refresh.
		s.mu.Unlock()
		err := s.reload(ctx, job.Args.Account, false, false)
		if errors.Is(err, store.ErrNotFound) {
			return s.finish(ctx, job, nil, time.Time{})
		}
		return river.JobSnooze(s.snooze())
	}
	if r.feed == nil || r.paused || r.stopped {
		// Removed, paused or stopped since it was queued.
		s.mu.Unlock()
		return s.finish(ctx, job, nil, time.Time{})
	}
	if !r.ready || s.active >= s.cfg.MaxSessions || s.reloading[r.id] > 0 || s.stale[r.id] {
		// A job queued by an earlier run, for an account not yet begun
		// (or the browser is full, with Checks), or an account being
		// reloaded: it waits in the queue, not in a worker.
		s.mu.Unlock()
		return river.JobSnooze(s.snooze())
	}
	s.active++
	stepDone := make(chan struct{})
	s.stepping[r.id] = stepDone
	s.mu.Unlock()
	defer func() {
		// The job is finished: a Reload waiting for it builds the new
		// runtime from the guard's state and the due time committed.
		s.mu.Lock()
		if s.stepping[r.id] == stepDone {
			delete(s.stepping, r.id)
		}
		s.mu.Unlock()
		close(stepDone)
	}()
	free := func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
		s.poke() // a place is free
	}

	release, ok, err := s.hostPlace(ctx, r.host, fmt.Sprintf("refresh job %d", job.ID), job.Attempt > 1)
	if !ok {
		free()
		if err != nil && ctx.Err() == nil {
			r.log.printf("warning: asking the store for a place on its host: %v", err)
		}
		// The host is full, across every replica: the job waits in
		// the queue.
		return river.JobSnooze(s.snooze())
	}

	var next time.Duration
	var stopped bool
	r.state.buffer()
	func() {
		defer free()
		defer release() // after the session's logout: Step returned
		next, stopped = r.ref.Step(ctx)
	}()
	now := s.now()
	if ctx.Err() != nil {
		if s.isStopping() {
			// Stopped mid-refresh, or just after the step, before its
			// commit: what the step saved is committed all the same,
			// as each save was before jobs buffered them (an alert the
			// notifier sent meanwhile is then never sent again after
			// the restart, from a baseline without its change), but
			// not the job's completion: it runs again at the next
			// start, at once, counting no attempt.
			s.commitStopped(ctx, r)
			return river.JobSnooze(0)
		}
		// Cut short by the job's time limit: counted as nothing by the
		// feed, tried again after its first backoff.
		next = feed.DefaultBackoff
		r.log.printf("rosteron serve: refresh cut short by the job's time limit of %s; trying again in %s",
			s.cfg.JobTimeout, next)
		r.feed.SetNextRefresh(now.Add(next))
		return s.finish(ctx, job, r, now.Add(next))
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
	return s.finish(ctx, job, r, due)
}

// finish commits a refresh's outcome, in one transaction: the feed state
// the refresh saved (buffered, see acctState), the account's health with
// its next refresh, what follows from it (the outbox: alerts to send,
// calendar writes), and the job's completion. Then the dispatcher may
// queue the account again. r is nil for a job that ran no refresh.
//
// A commit that fails leaves the store as the last committed job left it:
// the job is returned to River as failed, and run again (its login
// repeated), and the runtime is built again from the store first. So a
// result is committed once, or not at all.
//
// The job is completed here rather than by River's completer after Work
// returns, which is asynchronous: an insert for the account's next refresh
// that came before that completion was saved would be taken for a
// duplicate of this job, and dropped. On SQLite the store is never called
// while that transaction is open: the database has one connection, which
// the transaction holds.
func (s *Service) finish(ctx context.Context, job *river.Job[refreshArgs], r *account, due time.Time) error {
	ctx = context.WithoutCancel(ctx)
	var blobs map[string][]byte
	var h store.Health
	var rec *refreshRecord
	if r != nil {
		s.mu.Lock()
		r.due = due
		h = s.accountHealth(r)
		s.mu.Unlock()
		blobs = r.state.take()
		rec = &refreshRecord{Job: job.ID, Next: due.UTC()}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		blobs[refreshBlob] = b
	}
	err := s.commit(ctx, job, r, blobs, h)
	if r != nil && errors.Is(err, store.ErrNotFound) {
		// Deleted meanwhile: nothing of it to keep.
		r, blobs = nil, nil
		err = s.commit(ctx, job, nil, nil, h)
	}
	if err != nil {
		s.log.printf("rosteron serve: warning: committing refresh job %d of account #%d: %v; it runs again",
			job.ID, job.Args.Account, err)
		if r != nil {
			// Its runtime holds what was not committed: built again
			// from the store before its next step.
			s.mu.Lock()
			s.stale[r.id] = true
			s.mu.Unlock()
		}
		return err
	}
	s.mu.Lock()
	if r != nil {
		r.state.committed(blobs)
		r.last = rec
		if s.accounts[r.id] == r {
			r.health, r.written = h, true
		}
	}
	if cur := s.accounts[job.Args.Account]; cur != nil {
		cur.queued = false
	}
	s.mu.Unlock()
	s.poke()
	return nil
}

// commitStopped commits what r's step saved when the service stopped
// before its job could finish: the feed state and what follows from it
// (the outbox), in one transaction, without the job's completion or a
// refresh record. A failure is logged: the runtime is built again from
// the store at the next start anyway.
func (s *Service) commitStopped(ctx context.Context, r *account) {
	blobs := r.state.take()
	if len(blobs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		if err := s.cfg.Store.SaveBlobsTx(ctx, tx, r.id, blobs); err != nil {
			return err
		}
		if err := s.outboxTx(ctx, tx, r); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		s.log.printf("rosteron serve: warning: saving account #%d's state as the service stops: %v", r.id, err)
		return
	}
	s.mu.Lock()
	r.state.committed(blobs)
	s.mu.Unlock()
}

// commit is finish's transaction.
func (s *Service) commit(ctx context.Context, job *river.Job[refreshArgs], r *account, blobs map[string][]byte, h store.Health) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if r != nil {
		if err := s.cfg.Store.SaveBlobsTx(ctx, tx, r.id, blobs); err != nil {
			return err
		}
		if err := s.cfg.Store.SetHealthTx(ctx, tx, r.id, h); err != nil {
			return err
		}
		if err := s.outboxTx(ctx, tx, r); err != nil {
			return err
		}
	}
	// The driver's type is only the generic parameter's: River takes the
	// driver from the worker's context (the client's), riversqlite's or
	// riverdatabasesql's, both of *sql.Tx.
	if _, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit()
}

// hostPlace takes one of the host's Config.PerHost places for holder,
// across every replica on the store (Store.TakeSlot), leased a little
// longer than a job may run: ok false when the host is full. release
// frees it. rerun says the job ran before (rescued from a process that
// died, or retried): a place it held then is freed first, rather than
// only when its lease ends.
func (s *Service) hostPlace(ctx context.Context, host, holder string, rerun bool) (release func(), ok bool, err error) {
	name := "sessions " + host
	if rerun {
		for i := 0; i < s.cfg.PerHost; i++ {
			if err := s.cfg.Store.ReleaseSlot(ctx, name, i, holder); err != nil {
				return nil, false, err
			}
		}
	}
	slot, ok, err := s.cfg.Store.TakeSlot(ctx, name, s.cfg.PerHost, holder, s.cfg.JobTimeout+slotMargin)
	if err != nil || !ok {
		return nil, false, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := s.cfg.Store.ReleaseSlot(ctx, name, slot, holder); err != nil {
			s.log.printf("rosteron serve: warning: freeing a place on %s: %v; it is free once its lease ends", host, err)
		}
	}, true, nil
}

// slotMargin is how much longer than Config.JobTimeout a host's place is
// leased: the job's limit cuts its session short before the lease ends,
// and a process that dies frees its places when their lease ends.
const slotMargin = time.Minute

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
