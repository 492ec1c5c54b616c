package service

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/store"
)

// Service is many accounts' feeds, refreshed and served.
//
// Each account has a runtime (account.go): its feed, served behind its
// token, its alerts and its feed.Refresher. Refreshes are River jobs
// (worker.go), one kind, "refresh", one job per due account, which a
// dispatcher (schedule.go) inserts when the account's next refresh is
// due; the job runs one Refresher.Step behind its host's gate.
type Service struct {
	cfg Config
	now func() time.Time
	log *lineWriter

	mu       sync.Mutex
	accounts map[store.ID]*account
	tokens   map[[sha256.Size]byte]*account
	removed  map[store.ID]bool // by Remove, lest the start put them back
	hosts    map[string]*host
	runCtx   context.Context // the service's, while Run runs; nil before
	stopping bool
	// active counts the sessions under way (refresh steps and Checks),
	// at most Config.MaxSessions.
	active int
	// stepping has, for each account whose refresh job runs, a channel
	// closed once that job is finished (its due time and health saved);
	// reloading counts the Reloads waiting for it, during which no new
	// step of the account starts.
	stepping  map[store.ID]chan struct{}
	reloading map[store.ID]int
	stepWaits int // Reloads waiting for a step now, for tests
	// said is, by account, the NotRefreshed reason last logged.
	said map[store.ID]string

	// stale has the accounts whose runtime holds what the store does
	// not (a commit failed) or that changed in the store while their
	// step ran here: catchUp builds them again.
	stale map[store.ID]bool

	reloadMu sync.Mutex // one Reload at a time
	wake     chan struct{}
	sched    atomic.Bool // the dispatcher runs
	// leading says this replica's client is River's elected leader, whose
	// dispatcher alone queues jobs; always so on SQLite (one process).
	leading atomic.Bool
	client  *river.Client[*sql.Tx]
	driver  riverdriver.Driver[*sql.Tx]
	db      *sql.DB
	bg      sync.WaitGroup // the accounts' own goroutines

	changeMu sync.Mutex  // one catchUp at a time
	stamp    store.Stamp // where catchUp reads the store's changes from
	polls    int         // catchUp's count, for the look for deletions
	known    map[store.ID]bool
}

// host is a RosterOn host's share of this process's sessions: the
// limiter they share, which counts them from login to logout. The
// host's places and login turns across every replica are the store's
// (Store.TakeSlot, Store.NextTurn).
type host struct {
	limiter *session.Limiter
}

// New makes the service of cfg; Run starts it.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Fetch == nil || cfg.Options == nil {
		return nil, errors.New("service: Config needs a Store, a Fetch and an Options")
	}
	if cfg.Interval < 0 || cfg.PerHost < 0 || cfg.LoginGap < 0 || cfg.MaxSessions < 0 || cfg.JobTimeout < 0 {
		return nil, errors.New("service: Config's durations and counts must not be negative")
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.PerHost == 0 {
		cfg.PerHost = DefaultPerHost
	}
	if cfg.LoginGap == 0 {
		cfg.LoginGap = DefaultLoginGap
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.pollInterval == 0 {
		cfg.pollInterval = river.FetchPollIntervalDefault
	}
	if cfg.RescueAfter == 0 {
		cfg.RescueAfter = cfg.JobTimeout + rescueMargin
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		return nil, errors.New("service: Config.RescueAfter must be longer than JobTimeout, or a slow job would run twice")
	}
	if cfg.changesEvery == 0 {
		cfg.changesEvery = DefaultChangesEvery
	}
	if cfg.healthEvery == 0 {
		cfg.healthEvery = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s := &Service{
		cfg:       cfg,
		now:       cfg.Now,
		log:       &lineWriter{w: cfg.Log},
		accounts:  map[store.ID]*account{},
		tokens:    map[[sha256.Size]byte]*account{},
		removed:   map[store.ID]bool{},
		hosts:     map[string]*host{},
		stepping:  map[store.ID]chan struct{}{},
		reloading: map[store.ID]int{},
		said:      map[store.ID]string{},
		stale:     map[store.ID]bool{},
		known:     map[store.ID]bool{},
		wake:      make(chan struct{}, 1),
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// River's settings (see the package's README in docs/design.md too):
//
//   - JobTimeout (Config.JobTimeout, 3 min by default) bounds a refresh
//     job; a session bounds its own run to 60 s, so the job's limit is
//     only a backstop.
//   - RescueStuckJobsAfter is Config.RescueAfter, JobTimeout +
//     rescueMargin (5 min) by default: a job still "running" that long
//     belonged to a process that died mid-refresh, and is run again, by
//     whichever replica's worker takes it. It must be longer than
//     JobTimeout, or a slow job still running would be run twice.
//   - MaxAttempts is 3: a refresh that fails completes its job (the
//     feed's own backoff decides when to try again), so River retries a
//     job only after a panic, or once rescued.
const (
	rescueMargin = 2 * time.Minute
	maxAttempts  = 3
	// completedRetention is how long River keeps completed jobs: enough
	// to look into, few enough rows at 10,000 accounts twice an hour.
	completedRetention = time.Hour
)

// Run refreshes the accounts and sends their alerts until ctx ends, then
// stops every refresh under way and returns.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		return errors.New("service: Run was called already")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.runCtx = runCtx
	s.mu.Unlock()

	s.db = s.cfg.Store.DB()
	if s.db == nil {
		return errors.New("service: the store has no database for the job engine")
	}
	shared := s.cfg.Store.Kind() == store.KindPostgres
	// One client type, river.Client[*sql.Tx], for both databases: River's
	// database/sql driver over pgx's stdlib adapter (the store's *sql.DB)
	// on Postgres, riversqlite on SQLite. See docs/design.md.
	if shared {
		s.driver = riverdatabasesql.New(s.db)
	} else {
		s.driver = riversqlite.New(s.db)
	}
	migrate := func(ctx context.Context) error {
		migrator, err := rivermigrate.New(s.driver, nil)
		if err != nil {
			return fmt.Errorf("service: the job engine's migrations: %w", err)
		}
		if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("service: migrating the job engine's tables in the store: %w", err)
		}
		return nil
	}
	// River's migrator takes no lock: replicas starting at once migrate
	// one after the other, under the store's pg_advisory_lock.
	if err := store.MigrationLock(ctx, s.cfg.Store, migrate); err != nil {
		return err
	}
	var err error
	if s.cfg.Exclusive && !shared {
		if err := rescueOrphans(ctx, s.driver, s.now()); err != nil {
			return err
		}
	}
	// Where the store's changes are read from: those made from here on.
	if _, s.stamp, err = s.cfg.Store.Changes(ctx, 0); err != nil {
		return fmt.Errorf("service: reading the store's changes: %w", err)
	}
	s.leading.Store(!shared)
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &refreshWorker{s: s}); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.cfg.MaxSessions}}
	if err := s.addOutbox(workers, queues); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	s.client, err = river.NewClient(s.driver, &river.Config{
		Queues:                      queues,
		Workers:                     workers,
		JobTimeout:                  s.cfg.JobTimeout,
		RescueStuckJobsAfter:        s.cfg.RescueAfter,
		MaxAttempts:                 maxAttempts,
		FetchPollInterval:           s.cfg.pollInterval,
		FetchCooldown:               min(s.cfg.pollInterval, river.FetchCooldownDefault),
		CompletedJobRetentionPeriod: completedRetention,
		Logger:                      slog.New(slog.NewTextHandler(&prefixWriter{s.log, "rosteron serve: job engine: "}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return fmt.Errorf("service: the job engine: %w", err)
	}
	list, err := s.cfg.Store.List(ctx)
	if err != nil {
		return fmt.Errorf("service: listing the accounts: %w", err)
	}
	for _, a := range list {
		s.known[a.ID] = true
	}
	// Started with a context of its own: StopAndCancel below stops it,
	// after the last jobs' results are saved.
	if err := s.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("service: starting the job engine: %w", err)
	}

	var loops sync.WaitGroup
	// Running from here on, before any account is served, so that
	// /healthz never says stopped while the pages answer.
	s.sched.Store(true)
	loops.Go(func() { s.dispatch(runCtx) })
	loops.Go(func() { s.healthLoop(runCtx) })
	loops.Go(func() { s.changesLoop(runCtx, shared) })
	// Building a runtime hashes its password for the lock-out guard
	// (argon2id, 32 MiB), so they are built a few at a time, each put in
	// service as soon as it is ready: one slow account holds up no other.
	loops.Go(func() { s.startAll(runCtx, list) })

	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer stopCancel()
	stopErr := s.client.StopAndCancel(stopCtx)
	cancel()
	loops.Wait()
	s.bg.Wait()
	if stopErr != nil {
		return fmt.Errorf("service: stopping the job engine: %w", stopErr)
	}
	return nil
}

// startAll builds the accounts of list and puts each in service, then
// begins their refreshes, GOMAXPROCS at a time: every account serves its
// saved roster before the slow part (begin) of any starts, and one slow
// or broken account holds up no other.
func (s *Service) startAll(ctx context.Context, list []*store.Account) {
	built := make([]*account, 0, len(list))
	var mu sync.Mutex
	each(ctx, list, func(a *store.Account) {
		if r := s.build(ctx, a, false); s.install(r, false) {
			mu.Lock()
			built = append(built, r)
			mu.Unlock()
		}
	})
	each(ctx, built, s.begin)
}

// each calls f for each item of list, GOMAXPROCS at a time, until ctx
// ends.
func each[T any](ctx context.Context, list []T, f func(T)) {
	next := make(chan T)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(list))) {
		wg.Go(func() {
			for v := range next {
				f(v)
			}
		})
	}
loop:
	for _, v := range list {
		select {
		case next <- v:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
}

// ErrNotRunning is Reload's error before Run or after it returned.
var ErrNotRunning = errors.New("service: not running")

// Reload reads the account again from the store (a new password, a new
// token, new settings, paused or resumed). A refresh of the account under
// way is waited for first, so that the new runtime starts from the
// lock-out guard's state that refresh saved. The next refresh is due now
// for a new account, a new password, an account resumed or one whose
// settings could not be read before; otherwise it keeps its time.
func (s *Service) Reload(ctx context.Context, id store.ID) error {
	return s.reload(ctx, id, false, false)
}

// reload is Reload; retry lifts a lock-out stop kept for the password, for
// one login, due now (Verified).
//
// fromJob says that another replica committed a refresh of the account: the
// new runtime is due when that refresh said, and no longer queued.
func (s *Service) reload(ctx context.Context, id store.ID, retry, fromJob bool) error {
	s.mu.Lock()
	running := s.runCtx != nil && s.runCtx.Err() == nil
	if running {
		s.reloading[id]++
	}
	s.mu.Unlock()
	if !running {
		return ErrNotRunning
	}
	defer func() {
		s.mu.Lock()
		if s.reloading[id]--; s.reloading[id] <= 0 {
			delete(s.reloading, id)
		}
		s.mu.Unlock()
		s.poke()
	}()
	// No step of the account starts from here on (work snoozes it); wait
	// for the one under way, if any.
	for {
		s.mu.Lock()
		ch := s.stepping[id]
		s.mu.Unlock()
		if ch == nil {
			break
		}
		s.mu.Lock()
		s.stepWaits++
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.stepWaits--
		s.mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	a, err := s.cfg.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.Remove(id)
		return fmt.Errorf("service: account #%d: %w", id, err)
	}
	if err != nil {
		return fmt.Errorf("service: reading account #%d: %w", id, err)
	}
	r := s.build(ctx, a, retry)
	r.fromJob = fromJob
	if !s.install(r, true) {
		return ErrNotRunning
	}
	s.begin(r)
	return nil
}

// Remove stops serving and refreshing the account, at once.
func (s *Service) Remove(id store.ID) {
	s.mu.Lock()
	s.removed[id] = true
	r := s.accounts[id]
	if r != nil {
		delete(s.accounts, id)
		if r.hasToken && s.tokens[r.tokenSum] == r {
			delete(s.tokens, r.tokenSum)
		}
	}
	s.mu.Unlock()
	if r != nil {
		r.stop()
		s.poke()
	}
}

// Status returns an account's feed status; false for an account the
// service does not run.
func (s *Service) Status(id store.ID) (feed.Status, bool) {
	s.mu.Lock()
	r := s.accounts[id]
	var why string
	if r != nil {
		why = r.stopWhy
	}
	s.mu.Unlock()
	if r == nil {
		return feed.Status{}, false
	}
	if r.feed == nil {
		return feed.Status{State: feed.StateStopped, LastError: why}, true
	}
	return r.feed.Status(), true
}

// rescueOrphans makes every job left running in the store available
// again, at once: with Config.Exclusive no other process runs the store's
// jobs, so a job still running before this one starts belongs to a
// process that died mid-refresh (killed, a power cut). River would
// rescue it only after RescueStuckJobsAfter, minutes in which its
// account is not refreshed. The attempt is recorded as River's rescuer
// records one.
func rescueOrphans(ctx context.Context, driver riverdriver.Driver[*sql.Tx], now time.Time) error {
	exec := driver.GetExecutor()
	for {
		stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 100, StuckHorizon: now.Add(time.Second)})
		if err != nil {
			return fmt.Errorf("service: finding the jobs a stopped serve left running: %w", err)
		}
		if len(stuck) == 0 {
			return nil
		}
		p := &riverdriver.JobRescueManyParams{StuckHorizon: now.Add(time.Second)}
		for _, job := range stuck {
			e, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 1),
				Error: "left running by a serve that stopped mid-refresh; taken up at the next start"})
			if err != nil {
				return fmt.Errorf("service: %w", err)
			}
			p.ID = append(p.ID, job.ID)
			p.Error = append(p.Error, e)
			p.FinalizedAt = append(p.FinalizedAt, nil)
			p.ScheduledAt = append(p.ScheduledAt, now)
			p.State = append(p.State, string(rivertype.JobStateAvailable))
		}
		if _, err := exec.JobRescueMany(ctx, p); err != nil {
			return fmt.Errorf("service: taking up the jobs a stopped serve left running: %w", err)
		}
	}
}
