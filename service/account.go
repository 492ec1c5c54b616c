package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// account is one account's runtime: what it is served and refreshed
// with. Reload replaces it whole; the fields after mu's comment are the
// scheduler's, guarded by Service.mu.
type account struct {
	id    store.ID
	label string // "#12 alice@host", for its log lines
	host  string // its RosterOn host name, for the per-host limits
	phase time.Duration
	row   *store.Account
	opts  *Options // nil when they could not be built
	retry bool     // built by Verified: a stop is lifted, due now

	feed     *feed.Feed // nil when Options failed: nothing to serve
	handler  http.Handler
	tokenSum [sha256.Size]byte
	hasToken bool
	ref      *feed.Refresher
	notifier *feed.Notifier
	log      *accountLog
	outbox   outboxMarks // what outboxTx queues (outbox.go)
	// state is its feed state in the store, buffered during a job.
	state *acctState
	// last is the refresh record the last committed job of the account
	// left (refreshBlob), when there is one, guarded by Service.mu once
	// installed; fromJob says the runtime is built because another
	// replica committed it.
	last    *refreshRecord
	fromJob bool

	cancel context.CancelFunc // its goroutines' (notifier, Options.Run)
	done   chan struct{}      // closed once they returned

	// Guarded by Service.mu.
	paused   bool
	stopped  bool
	stopWhy  string    // why stopped, for people; never a secret
	due      time.Time // the next refresh; zero for now
	ready    bool      // begun: refreshes may be queued
	queued   bool      // a refresh job is in the queue or running
	lease    time.Time // when queued stops counting (a lost job)
	queueGen int       // counts the dispatcher's marks, see enqueue
	health   store.Health
	written  bool // health was saved in the store
}

// stop ends the account's goroutines.
func (r *account) stop() {
	if r.cancel != nil {
		r.cancel()
	}
}

// hostOf is the host name of a RosterOn instance's address, lower case,
// without a port: the unit of politeness.
func hostOf(instance string) string {
	u, err := url.Parse(instance)
	if err != nil || u.Hostname() == "" {
		return instance
	}
	return u.Hostname()
}

// build makes the runtime of a: its Options, its feed with the roster
// saved in the store, its notifier and refresher, started (Start loads
// the lock-out guard's state). A failure is the account's alone: it is
// marked stopped with the reason, and logged.
func (s *Service) build(ctx context.Context, a *store.Account, retry bool) *account {
	r := &account{id: a.ID, row: a, retry: retry, host: hostOf(a.Instance), phase: s.phase(a.ID), paused: a.Paused,
		state: newAcctState(s.cfg.Store, a.ID)}
	// Read once, so that a refresh another replica commits later differs
	// from what this runtime saw (catchUp).
	if b, err := r.state.Load(refreshBlob); err == nil {
		var rec refreshRecord
		if json.Unmarshal(b, &rec) == nil {
			r.last = &rec
		}
	}
	r.label = fmt.Sprintf("#%d %s@%s", a.ID, a.Username, r.host)
	r.log = &accountLog{w: s.log, prefix: "[" + r.label + "] "}
	if s.cfg.Single {
		r.log.prefix, r.log.single = "", true
	}
	opts, err := s.cfg.Options(ctx, a)
	if err == nil && opts == nil {
		err = errors.New("no options")
	}
	var declined *NotRefreshed
	switch {
	case errors.As(err, &declined):
		r.stopped = true
		r.stopWhy = oneline.Text(declined.Why)
		s.mu.Lock()
		said := s.said[a.ID] == r.stopWhy
		s.said[a.ID] = r.stopWhy
		s.mu.Unlock()
		if !said {
			r.log.printf("%s", r.stopWhy)
		}
		return r
	case err != nil:
		r.stopped = true
		r.stopWhy = "its settings could not be read: " + oneline.Text(err.Error()) +
			"; fix them and reload the account"
		r.log.printf("not refreshed: %s", r.stopWhy)
		return r
	}
	r.opts = opts
	s.mu.Lock()
	delete(s.said, a.ID) // a later decline is said again
	s.mu.Unlock()
	secrets := []string{opts.Password, opts.Token}
	secrets = append(secrets, opts.Secrets...)
	for _, t := range opts.Targets {
		secrets = append(secrets, t.Secrets()...)
	}
	if opts.Mailer != nil {
		secrets = append(secrets, opts.Mailer.Secrets()...)
	}
	r.log.secrets = secrets
	fopts := []feed.Option{
		feed.WithLocation(opts.Location),
		feed.WithCalendarName(opts.CalendarName),
		feed.WithRefreshInterval(s.cfg.Interval),
		feed.WithReminders(opts.Remind, opts.RemindLeave),
		feed.WithState(r.state),
		feed.WithSource(a.Instance, a.Username),
		feed.WithSecrets(secrets...),
		// The lock-out guard's count and stop are keyed to a slow hash
		// of the password: a new password starts afresh.
		feed.WithLoginKey(opts.Password),
	}
	if !s.cfg.Single {
		// Its owner cannot restart the service or give it flags.
		advice := "Ask whoever runs this roster service to give it the right password."
		if s.cfg.Join != nil {
			advice = "Once it is sorted out, give your password on your manage page (/manage/, with your manage code): " +
				"it is checked with one login, and refreshes start again."
		}
		fopts = append(fopts, feed.WithResumeAdvice(advice))
	}
	if opts.LoginHasher != nil {
		fopts = append(fopts, feed.WithLoginHasher(opts.LoginHasher))
	}
	if s.cfg.Now != nil {
		fopts = append(fopts, feed.WithClock(s.cfg.Now))
	}
	r.feed = feed.New(fopts...)
	if opts.Token != "" {
		r.tokenSum = sha256.Sum256([]byte(opts.Token))
		r.hasToken = true
		r.handler = feed.Handler(r.feed, opts.Token, feed.WithPublicURL(s.cfg.PublicURL))
	}
	if _, err := r.feed.Load(); err != nil {
		var hist *feed.HistoryError
		if errors.As(err, &hist) {
			r.log.printf("warning: %v", err)
		} else {
			r.log.printf("warning: not serving the saved roster: %v", err)
		}
	}
	if len(opts.Targets) > 0 {
		r.notifier = feed.NewNotifier(r.feed, opts.Targets...)
		r.notifier.Log = r.log
		r.notifier.Mailer = opts.Mailer
		r.notifier.Client = opts.NotifyClient
		s.outboxNotifier(r)
		if err := r.notifier.Load(); err != nil {
			r.log.printf("warning: alerts start afresh: %v", err)
		}
	}
	row := *a
	r.ref = &feed.Refresher{
		Feed:     r.feed,
		Interval: s.cfg.Interval,
		Log:      r.log,
		Fetch: func(ctx context.Context) (*snapshot.Snapshot, error) {
			if err := s.loginTurn(ctx, r.host); err != nil {
				return nil, err
			}
			return s.cfg.Fetch(ctx, &row, opts.Password, s.limiter(r.host))
		},
		Notify:     r.notifier,
		Accepted:   s.outboxAccepted(r, opts),
		RetryLogin: opts.RetryLogin || retry,
	}
	return r
}

// begin starts r's refreshes, once it serves: Refresher.Start loads the
// lock-out guard's state, hashing the password (argon2id, 32 MiB, about
// 0.1 s of a core), so that at a start of thousands of accounts every
// page and feed serves its saved roster long before the last account is
// ready to refresh. The dispatcher queues an account once it is ready.
func (s *Service) begin(r *account) {
	stopped, why := false, ""
	switch {
	case r.feed == nil:
		// Stopped already: its Options failed.
	case r.paused:
		// Not started: a paused account is not refreshed, and its page
		// and feeds serve its last roster.
	case r.opts.Password == "":
		stopped, why = true, "no RosterOn password is kept for it; set one and reload the account"
		r.log.printf("not refreshed: %s", why)
	case r.ref.Start():
		stopped, why = true, stopWhy(r.feed.Status())
	}
	s.mu.Lock()
	r.ready = true
	if stopped {
		r.stopped, r.stopWhy = true, why
	}
	s.mu.Unlock()
	s.saveHealth(context.Background(), r)
	s.poke()
}

// stopWhy says why a feed's refreshes stopped, from its status.
func stopWhy(st feed.Status) string {
	why := "RosterOn refused the login"
	switch st.Stopped {
	case feed.StopRejected:
		why = "RosterOn rejected the password"
	case feed.StopLoginMessage:
		return "RosterOn refused the login with a message (its page quotes it); " +
			"not retried until its password is updated or a retry is asked for"
	case feed.StopRefused:
		why = fmt.Sprintf("RosterOn refused %d logins in a row", feed.MaxRefusals)
	}
	return why + "; not retried until its password is updated"
}

// install puts r in service, in place of the account's runtime before it
// if any, which it stops; false once the service stops. Its first refresh
// is due now after a Reload; at the start, an account whose last good
// roster is recent keeps its phase, and the others are due now.
func (s *Service) install(r *account, reload bool) bool {
	now := s.now()
	s.mu.Lock()
	if s.runCtx == nil || s.runCtx.Err() != nil || s.stopping {
		s.mu.Unlock()
		return false
	}
	old := s.accounts[r.id]
	if !reload && (old != nil || s.removed[r.id]) {
		// Built at the start from an older read of the store than a
		// Reload or Remove made meanwhile: theirs stands.
		s.mu.Unlock()
		return false
	}
	delete(s.removed, r.id)
	if old != nil {
		// A job queued or running for the account goes on with the new
		// runtime: the queue holds at most one job per account.
		r.queued, r.lease, r.queueGen = old.queued, old.lease, old.queueGen
		if reload && (r.paused || dueNow(old, r)) {
			// A job that found the account paused or stopped (maybe on
			// another replica) completes with no refresh record, so
			// queued would hold till its lease: forgotten instead, as
			// queuing again a job that lives inserts nothing (unique by
			// account).
			r.queued = false
		}
		if old.hasToken && s.tokens[old.tokenSum] == old {
			delete(s.tokens, old.tokenSum)
		}
	}
	switch {
	case r.fromJob && r.last != nil && (old == nil || !dueNow(old, r)):
		// Built again after another replica's job: due when that job
		// said, and no longer queued.
		r.due, r.queued = r.last.Next, false
		if r.feed != nil && r.due.After(now) {
			r.feed.TrustLoaded(r.due)
		}
	case !reload:
		r.due = s.startDue(r, now)
		if l := r.last; !s.cfg.Single && l != nil && l.Next.After(now) && l.Next.Before(now.Add(s.cfg.Interval)) {
			// When the last job committed said: its phase, or its
			// backoff after a failure.
			r.due = l.Next
		}
		if r.feed != nil && r.due.After(now) {
			// Its saved roster is recent and its refresh keeps its place
			// in the spread: served as fresh until then, not as a roster
			// "being read again now".
			r.feed.TrustLoaded(r.due)
		}
	case old != nil && !dueNow(old, r):
		// Nothing that calls for a login changed: the next refresh keeps
		// its time.
		r.due = old.due
	}
	s.accounts[r.id] = r
	if r.hasToken {
		s.tokens[r.tokenSum] = r
	}
	ctx, cancel := context.WithCancel(s.runCtx)
	r.cancel = cancel
	r.done = make(chan struct{})
	s.bg.Add(1)
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	go func() {
		defer s.bg.Done()
		defer close(r.done)
		done := make(chan struct{})
		if r.notifier != nil && !r.notifier.Outbox {
			go func() { r.notifier.Run(ctx); close(done) }()
		} else {
			close(done)
		}
		if r.opts != nil && r.opts.Run != nil && !s.syncsByJob(r) {
			r.opts.Run(ctx)
		}
		<-ctx.Done()
		<-done
	}()
	return true
}

// dueNow says whether r, reloaded in place of old, is due at once: a new
// password, resumed, its settings read at last, or a stop lifted.
func dueNow(old, r *account) bool {
	switch {
	case r.retry, old.opts == nil, r.opts == nil:
		return true
	case old.paused && !r.paused:
		return true
	}
	return old.opts.Password != r.opts.Password
}

// startDue is when an account's first refresh of this run is due: at its
// phase, no sooner than half an interval after its last good roster, when
// that is recent; now otherwise.
func (s *Service) startDue(r *account, now time.Time) time.Time {
	if s.cfg.Single {
		return now
	}
	var last time.Time
	if r.feed != nil {
		if st := r.feed.Status(); st.LastSuccess != nil {
			last = *st.LastSuccess
		}
	}
	if r.row.Health.LastGood.After(last) {
		last = r.row.Health.LastGood
	}
	if last.IsZero() || now.Sub(last) >= s.cfg.Interval || last.After(now) {
		return now
	}
	return s.aligned(r, last.Add(s.cfg.Interval/2))
}

// accountHealth is what the store keeps of r's health now. Call with
// s.mu held.
func (s *Service) accountHealth(r *account) store.Health {
	var h store.Health
	if r.feed != nil {
		st := r.feed.Status()
		h.State = st.State
		if st.LastSuccess != nil {
			h.LastGood = *st.LastSuccess
		}
		if st.State != feed.StateOK {
			h.Why = st.LastError
		}
	}
	switch {
	case r.stopped:
		h.State, h.Why = feed.StateStopped, r.stopWhy
	case !r.paused:
		h.NextRefresh = r.due.UTC().Truncate(time.Second)
	}
	return h
}

// saveHealth records r's health in the store, when it changed and r is
// still the account's runtime.
func (s *Service) saveHealth(ctx context.Context, r *account) {
	s.mu.Lock()
	if s.accounts[r.id] != r {
		s.mu.Unlock()
		return
	}
	h := s.accountHealth(r)
	if r.written && h == r.health {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.cfg.Store.SetHealth(ctx, r.id, h); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.log.printf("warning: saving its health in the store: %v", err)
		}
		return
	}
	s.mu.Lock()
	r.health, r.written = h, true
	s.mu.Unlock()
}
