package service

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// The outbox (issue 19). What follows from a refresh, the alerts to send
// and the calendar writes to make, is committed with the refresh job's
// completion, in its transaction, as River jobs of their own: "notify"
// {account} when the account has alerts pending, "calendar" {account}
// when a roster was accepted and the account has a calendar sync
// (Options.Sync). Any replica's worker then delivers them from what was
// committed, with retries (a snooze for the receiver's or the calendar's
// wait). A refresh whose process dies before its commit leaves neither
// its roster, nor its alerts, nor their jobs: its job is rescued and run
// again, and what it finds is committed once.
//
//   - Alerts: the refreshes queue them in the account's notify.json
//     (feed.Notifier in Outbox mode, which never delivers of its own
//     accord); a notify job, unique by account among the live states,
//     calls feed.Notifier.DeliverPending on a notifier of its own over
//     the state committed, which records each delivery in
//     notify-sent.json as soon as the receiver answers. Not twice means:
//     no delivery recorded is made again, whichever replica runs the job
//     next; a replica that dies between a receiver's answer and that
//     record (a few milliseconds) sends that alert again, with the same
//     alert ID (X-Rosteron-Alert, the JSON "id", an email's Message-ID,
//     and ntfy's X-Sequence-ID, under which ntfy 2.16 and later update
//     the notification rather than show a second). No receiver takes an
//     idempotency key in a transaction with this database.
//   - Calendar writes: a calendar job syncs the roster committed (the
//     feed's roster.json) into the account's calendar once, with
//     Options.Sync. A sync plans from the calendar's own listing and
//     writes conditionally (CalDAV: If-None-Match: * to create, If-Match
//     with the ETag listed to change or delete; Google: events under
//     IDs of their own, patched with If-Match), so a sync repeated, after
//     a crash between its writes and its completion, writes nothing
//     twice: it finds the events written, and settles a 412.
//
// A job that finds a newer commit than the one it worked from after it
// completed (the refresh's insert was dropped as a duplicate of the job
// still running) queues itself again. The single-account serve
// (Config.Single) keeps its notifier's goroutine and its sync's loop.

// outboxQueue is the outbox jobs' River queue, apart from the refreshes',
// so that deliveries never take a refresh's worker.
const outboxQueue = "outbox"

// outboxWorkers bounds the outbox jobs one replica runs at once.
const outboxWorkers = 4

// outboxAttempts is an outbox job's MaxAttempts: a failure is a snooze,
// which counts no attempt, so only panics and the job's time limit count
// (see outboxCut).
const outboxAttempts = 5

// liveStates are the states in which an outbox job is unique by account.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateScheduled,
	rivertype.JobStateRunning,
	rivertype.JobStateRetryable,
}

// notifyArgs are a notify job's: the account whose alerts to deliver.
type notifyArgs struct {
	Account store.ID `json:"account"`
}

func (notifyArgs) Kind() string { return "notify" }

func (notifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: outboxQueue, MaxAttempts: outboxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// calendarArgs are a calendar job's: the account whose calendar to sync
// with its roster committed. AllowEmpty says the roster, if it has no
// shift from today on, was confirmed by a second read (see
// feed.Refresher.Accepted). Unique by account alone.
type calendarArgs struct {
	Account    store.ID `json:"account" river:"unique"`
	AllowEmpty bool     `json:"allow_empty,omitempty"`
}

func (calendarArgs) Kind() string { return "calendar" }

func (calendarArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: outboxQueue, MaxAttempts: outboxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// SyncFunc syncs an account's calendar once with snap, its roster
// committed: an Options.Sync. allowEmpty lets a roster with no shift from
// today on delete the calendar's upcoming events. It returns the wait
// before a try again (a failure that may mend), or 0: done, or given up
// (refused credentials, an empty roster held), which it logs itself.
type SyncFunc func(ctx context.Context, snap *snapshot.Snapshot, allowEmpty bool) (retryIn time.Duration, err error)

// outboxMarks are what a runtime's refreshes accepted since its last
// commit: a calendar job is due.
type outboxMarks struct {
	mu         sync.Mutex
	accepted   bool
	allowEmpty bool
}

// outboxOn says the outbox delivers: in every service but the
// single-account serve's.
func (s *Service) outboxOn() bool { return !s.cfg.Single }

// addOutbox adds the outbox's workers and queue to River's configuration;
// the single-account serve, which has no outbox, polls no queue for it.
func (s *Service) addOutbox(workers *river.Workers, queues map[string]river.QueueConfig) error {
	if !s.outboxOn() {
		return nil
	}
	if err := river.AddWorkerSafely(workers, &notifyWorker{s: s}); err != nil {
		return err
	}
	if err := river.AddWorkerSafely(workers, &calendarWorker{s: s}); err != nil {
		return err
	}
	queues[outboxQueue] = river.QueueConfig{MaxWorkers: outboxWorkers}
	return nil
}

// outboxNotifier puts r's notifier in Outbox mode, before its Load: it
// queues, and the notify jobs deliver. An alert queued outside a
// refresh job (the leader's health checks) queues a notify job at once.
func (s *Service) outboxNotifier(r *account) {
	if r.notifier == nil || !s.outboxOn() {
		return
	}
	r.notifier.Outbox = true
	r.notifier.OnQueue = func() {
		if r.state.inJob() {
			return // committed with the job, outboxTx queues its delivery
		}
		s.queueOutbox(notifyArgs{Account: r.id}, r)
	}
}

// outboxAccepted is r's Refresher.Accepted: opts.Accepted, or, when the
// outbox syncs r's calendar, a mark that outboxTx turns into a calendar
// job.
func (s *Service) outboxAccepted(r *account, opts *Options) func(*snapshot.Snapshot, bool) {
	if !s.outboxOn() || opts.Sync == nil {
		return opts.Accepted
	}
	return func(_ *snapshot.Snapshot, confirmed bool) {
		r.outbox.mu.Lock()
		r.outbox.accepted, r.outbox.allowEmpty = true, confirmed
		r.outbox.mu.Unlock()
	}
}

// syncsByJob says r's calendar is synced by calendar jobs, not by
// Options.Run's loop.
func (s *Service) syncsByJob(r *account) bool {
	return s.outboxOn() && r.opts != nil && r.opts.Sync != nil
}

// outboxTx queues in tx what follows from r's refresh, so that it is
// committed with the refresh job's completion and the feed state the
// refresh saved, or not at all: a notify job when r has alerts pending,
// and a calendar job when a roster was accepted and r has a calendar
// sync. Each is unique by account: one already queued or running is
// enough (and one running queues itself again when it finishes and finds
// more, see notifyWorker). It makes no call to the store outside tx.
func (s *Service) outboxTx(ctx context.Context, tx *sql.Tx, r *account) error {
	if !s.outboxOn() || r == nil {
		return nil
	}
	var params []river.InsertManyParams
	if r.notifier != nil && r.notifier.Pending() > 0 {
		params = append(params, river.InsertManyParams{Args: notifyArgs{Account: r.id}})
	}
	if s.syncsByJob(r) {
		r.outbox.mu.Lock()
		accepted, allowEmpty := r.outbox.accepted, r.outbox.allowEmpty
		r.outbox.accepted, r.outbox.allowEmpty = false, false
		r.outbox.mu.Unlock()
		if accepted {
			params = append(params, river.InsertManyParams{Args: calendarArgs{Account: r.id, AllowEmpty: allowEmpty}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	_, err := s.client.InsertManyTx(ctx, tx, params)
	return err
}

// inJob says the state buffers for a refresh job, whose commit carries
// the outbox.
func (a *acctState) inJob() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf != nil
}

// queueOutbox inserts an outbox job outside a refresh's commit: for an
// alert queued by a health check, or what a job found committed after it
// finished. A failure is logged: the account's next refresh queues it.
func (s *Service) queueOutbox(args river.JobArgs, r *account) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.Insert(ctx, args, nil); err != nil {
		r.log.printf("warning: queueing a %s job: %v; its next refresh queues it", args.Kind(), err)
	}
}

type notifyWorker struct {
	river.WorkerDefaults[notifyArgs]
	s *Service
}

func (w *notifyWorker) Work(ctx context.Context, job *river.Job[notifyArgs]) error {
	return w.s.deliver(ctx, job)
}

type calendarWorker struct {
	river.WorkerDefaults[calendarArgs]
	s *Service
}

func (w *calendarWorker) Work(ctx context.Context, job *river.Job[calendarArgs]) error {
	return w.s.syncCalendar(ctx, job)
}

// outboxRuntime is the runtime of an outbox job's account; done says the
// job has nothing to do (the account is gone, or has no settings to act
// on), wait that its runtime is not built yet here.
func (s *Service) outboxRuntime(ctx context.Context, id store.ID) (r *account, done bool, err error) {
	s.mu.Lock()
	r = s.accounts[id]
	s.mu.Unlock()
	if r != nil {
		return r, r.opts == nil, nil
	}
	if _, err := s.cfg.Store.Get(ctx, id); errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	}
	// Not built yet at this start (or being reloaded): the job waits.
	return nil, false, river.JobSnooze(s.snooze())
}

// deliver runs a notify job: the account's alerts committed, delivered
// by a notifier of its own over the store (never the runtime's, which a
// refresh may be using), each delivery recorded as it is made. A target
// that fails snoozes the job for its wait; once all is delivered the job
// is completed, and queued again should a refresh have committed more
// alerts meanwhile (its insert was a duplicate of this job's).
func (s *Service) deliver(ctx context.Context, job *river.Job[notifyArgs]) error {
	r, done, err := s.outboxRuntime(ctx, job.Args.Account)
	switch {
	case err != nil:
		return err
	case done || len(r.opts.Targets) == 0:
		return completeOutbox(ctx, s, job)
	}
	n := s.deliveryNotifier(r)
	retryIn, err := n.DeliverPending(ctx)
	switch {
	case ctx.Err() != nil:
		// What was delivered is recorded.
		return s.outboxCut(r, "alerts' delivery", job.JobRow)
	case err != nil && retryIn > 0:
		return river.JobSnooze(retryIn)
	case err != nil:
		// The state does not read: nothing to deliver from it.
		r.log.printf("warning: alerts not delivered: %v", err)
	}
	if err := completeOutbox(ctx, s, job); err != nil {
		return err
	}
	check := s.deliveryNotifier(r)
	if err := check.Load(); err == nil && check.Pending() > 0 {
		s.queueOutbox(notifyArgs{Account: r.id}, r)
	}
	return nil
}

// deliveryNotifier is a notifier in Outbox mode over r's state in the
// store, with r's targets, senders and log.
func (s *Service) deliveryNotifier(r *account) *feed.Notifier {
	fopts := []feed.Option{
		feed.WithState(store.State{Store: s.cfg.Store, ID: r.id}),
		feed.WithSource(r.row.Instance, r.row.Username),
		feed.WithSecrets(r.log.secrets...),
		feed.WithLocation(r.opts.Location),
	}
	if s.cfg.Now != nil {
		fopts = append(fopts, feed.WithClock(s.cfg.Now))
	}
	n := feed.NewNotifier(feed.New(fopts...), r.opts.Targets...)
	n.Outbox = true
	n.Log = r.log
	n.Mailer = r.opts.Mailer
	n.Client = r.opts.NotifyClient
	return n
}

// syncCalendar runs a calendar job: the account's roster committed,
// synced once into its calendar (Options.Sync). A sync that may mend
// snoozes the job for its wait. Once done, the job is queued again should
// a newer roster have been committed meanwhile.
func (s *Service) syncCalendar(ctx context.Context, job *river.Job[calendarArgs]) error {
	r, done, err := s.outboxRuntime(ctx, job.Args.Account)
	switch {
	case err != nil:
		return err
	case done || r.opts.Sync == nil:
		return completeOutbox(ctx, s, job)
	}
	st := store.State{Store: s.cfg.Store, ID: r.id}
	snap, err := feed.LoadRoster(st, r.row.Instance, r.row.Username)
	if err != nil || snap == nil {
		if err != nil {
			r.log.printf("warning: calendar not synced: %v", err)
		}
		return completeOutbox(ctx, s, job)
	}
	retryIn, _ := r.opts.Sync(ctx, snap, job.Args.AllowEmpty)
	switch {
	case ctx.Err() != nil:
		return s.outboxCut(r, "calendar sync", job.JobRow)
	case retryIn > 0:
		return river.JobSnooze(retryIn)
	}
	if err := completeOutbox(ctx, s, job); err != nil {
		return err
	}
	if now, err := feed.LoadRoster(st, r.row.Instance, r.row.Username); err == nil && now != nil && !sameItems(now, snap) {
		// The newer roster's own job was a duplicate of this one, and
		// its AllowEmpty lost with it: a roster committed with no shift
		// from today on after one with some was confirmed by a second
		// read (the feed holds a first empty read, committing nothing).
		today := calendar.Today(s.now(), r.opts.Location)
		confirmed := upcomingFrom(now, today) == 0 && upcomingFrom(snap, today) > 0
		s.queueOutbox(calendarArgs{Account: r.id, AllowEmpty: job.Args.AllowEmpty || confirmed}, r)
	}
	return nil
}

// outboxCut is what an outbox job whose ctx ended returns. Stopped: it
// goes on at once at the next start, counting no attempt. Cut short by
// the job's time limit (a receiver or calendar server answering just
// under it): an error, so that River tries it again after its growing
// backoff and gives it up after outboxAttempts, rather than a worker
// pinned by it for ever. What it left pending is queued again by the
// account's next refresh.
func (s *Service) outboxCut(r *account, what string, job *rivertype.JobRow) error {
	if s.isStopping() {
		return river.JobSnooze(0)
	}
	if job.Attempt >= job.MaxAttempts {
		r.log.printf("warning: %s cut short by the job's time limit %d times; given up until the next refresh queues it", what, job.Attempt)
	} else {
		r.log.printf("warning: %s cut short by the job's time limit; trying again later", what)
	}
	return fmt.Errorf("%s cut short by the job's time limit: %w", what, context.DeadlineExceeded)
}

// upcomingFrom counts snap's shifts dated today or later.
func upcomingFrom(snap *snapshot.Snapshot, today snapshot.Date) int {
	n := 0
	for _, it := range snap.Items {
		if !it.Date.Before(today) {
			n++
		}
	}
	return n
}

func sameItems(a, b *snapshot.Snapshot) bool {
	x, err1 := json.Marshal(a.Items)
	y, err2 := json.Marshal(b.Items)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// completeOutbox completes an outbox job in a transaction of its own, now
// rather than by River's completer after Work returns (asynchronous), so
// that the insert of the account's next job of the kind, right after, is
// not taken for a duplicate of this one.
func completeOutbox[T river.JobArgs](ctx context.Context, s *Service, job *river.Job[T]) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit()
}
