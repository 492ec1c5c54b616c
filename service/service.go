// Package service runs many accounts' feeds in one process: it schedules
// each account's refreshes through a durable job engine (River), spread
// evenly over the interval and polite to each RosterOn host, keeps each
// account's feed, alerts and calendar sync apart from the others', and
// serves every account's page and feeds on one HTTP handler, each behind
// its own token.
//
// The single-account `rosteron serve` is this same service with one
// account.
//
// # Scheduling
//
// Refreshes are River jobs of one kind, "refresh" (args: the account's
// ID), in River's tables beside the store's in the same database, through
// one client type, river.Client[*sql.Tx]: riversqlite on SQLite, whose
// database has one connection (riversqlite recommends it, and two would
// answer each other SQLITE_BUSY), so that no store call is ever made
// while a River transaction is open; riverdatabasesql over pgx's stdlib
// adapter on Postgres (docs/design.md says why), where many replicas share
// the work (changes.go).
//
//   - One dispatcher goroutine, on River's elected leader only (always on
//     SQLite), inserts a job for each due account that is not paused,
//     stopped or queued already, at most Config.PerHost per
//     RosterOn host at once (queued or running), the longest due first;
//     it sleeps on a timer until the next is due or an account changes.
//   - A job is unique by its account among the live states (available,
//     pending, scheduled, running, retryable), without ByPeriod: see
//     refreshArgs.InsertOpts.
//   - A job runs one feed.Refresher.Step behind its host's place and
//     login turn (Store.TakeSlot, Store.NextTurn: across every replica)
//     and completes whether the refresh succeeded or not, in one
//     transaction with the feed state it saved, the account's health and
//     the outbox (worker.go's finish): the feed's backoff says when to
//     try again. River retries a job only after a panic (3
//     attempts) or once it rescues a job whose process died mid-refresh:
//     RescueStuckJobsAfter is Config.JobTimeout (3 min) + 2 min.
//   - A job whose host is full (one left by an earlier run) is snoozed
//     for one or two login gaps, under River's 5 s scheduler interval,
//     rather than waiting in a worker.
//   - Refreshes are spread over the interval: each account has a phase
//     (its ID times the golden ratio, mod the interval), and after a good
//     refresh the next is at its phase at least half an interval later,
//     plus up to 2% of the interval of jitter. After a failure, the
//     feed's backoff. A Reload waits for the account's refresh under
//     way, if any, and keeps its next refresh's time, unless the password
//     changed, the account was resumed or is new (or Verified): then at
//     once.
//   - A service stopped mid-refresh snoozes that job for 0 s, so that it
//     runs first at the next start; one killed leaves it "running", and
//     River rescues it after RescueStuckJobsAfter (Config.RescueAfter;
//     the account waits that long), and its run again frees the host's
//     place the dead one held.
package service

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// FetchFunc reads an account's roster with its password: one session,
// from login to logout, through limiter, which bounds the sessions open at
// once on the account's host. The service has already waited for the
// host's login slot (Config.LoginGap) when it calls it. Its errors are
// classified as feed.Refresher's Fetch classifies them (feed.Permanent,
// feed.RefusedByMessage, feed.Refused, feed.LoggedIn).
type FetchFunc func(ctx context.Context, a *store.Account, password string, limiter *session.Limiter) (*snapshot.Snapshot, error)

// Options are one account's runtime options: what it is refreshed and
// served with, beyond the store's row.
type Options struct {
	// Password is the RosterOn password; "" for none, which stops the
	// account (nothing to log in with).
	Password string
	// Token is the account's feed token, in its page's and feeds'
	// addresses: store.Token for a sealed one, or the single-account
	// serve's own.
	Token string
	// Location is the roster's zone; nil for floating times.
	Location     *time.Location
	CalendarName string
	Remind       []time.Duration
	RemindLeave  bool
	// Targets are the account's alert targets, sent with Mailer for
	// mailto: ones.
	Targets []*feed.Target
	Mailer  *feed.Mailer
	// NotifyClient, when set, sends the HTTP alerts: a multi-account
	// serve passes one that refuses private addresses
	// (internal/safedial), since anyone who joins can set a target.
	NotifyClient *http.Client
	// Accepted, when set, is given each roster accepted (for a calendar
	// sync), as feed.Refresher.Accepted is; Run, when set, runs for as
	// long as the account does (the sync's own loop).
	Accepted func(snap *snapshot.Snapshot, confirmed bool)
	Run      func(ctx context.Context)
	// Sync, when set, syncs the calendar once with a roster committed:
	// in a service whose replicas share the accounts (not Single), a
	// calendar job after each refresh that accepted a roster calls it, on
	// any replica, and Accepted and Run are then not used (outbox.go).
	Sync SyncFunc
	// LoginHasher, when set, keys the lock-out guard's state to the
	// password with it rather than with argon2id (feed.WithLoginHasher):
	// a keyed MAC, so that thousands of accounts start without seconds of
	// hashing each.
	LoginHasher func(password string, salt []byte) []byte
	// RetryLogin clears a stop saved by an earlier run, for one login.
	RetryLogin bool
	// Secrets are scrubbed from the account's log lines and pages.
	Secrets []string
}

// NotRefreshed is an OptionsFunc's error for an account it declines on
// purpose, rather than failing to read: the account is stopped with Why
// as its reason, as it is worded (never a secret), and the service logs
// it once per account and reason in the process, not at every Reload.
type NotRefreshed struct{ Why string }

func (e *NotRefreshed) Error() string { return e.Why }

// OptionsFunc builds an account's Options, at start and whenever Reload
// is called for it: from the store (the multi-account serve) or from the
// command line (the single-account one).
type OptionsFunc func(ctx context.Context, a *store.Account) (*Options, error)

// Defaults of Config.
const (
	DefaultInterval    = feed.DefaultInterval
	DefaultPerHost     = 2
	DefaultLoginGap    = 2 * time.Second
	DefaultMaxSessions = 4
	// DefaultJobTimeout is Config.JobTimeout's default: three times a
	// refresh's own 60 s limit.
	DefaultJobTimeout = 3 * time.Minute
	// DefaultChangesEvery is how often a service reads the changes that
	// other replicas (or `rosteron accounts`) made in the store: the
	// accounts added, changed or refreshed elsewhere, whose pages and
	// feeds then serve what was committed.
	DefaultChangesEvery = 2 * time.Second
)

// Config is a Service's configuration. Store, Fetch and Options are
// required; the zero value of the others means their defaults.
type Config struct {
	Store   store.Store
	Fetch   FetchFunc
	Options OptionsFunc

	// Interval is the time between an account's refreshes
	// (DefaultInterval).
	Interval time.Duration
	// PerHost is the most sessions open at once on one RosterOn host
	// (DefaultPerHost), and LoginGap the least time between two of their
	// logins there (DefaultLoginGap).
	PerHost  int
	LoginGap time.Duration
	// MaxSessions is the most sessions open at once in all, in the one
	// shared browser (DefaultMaxSessions).
	MaxSessions int

	// PublicURL is where people reach the service; nil for the host each
	// request names.
	PublicURL *url.URL
	// Join, when set, serves /join and /manage/ (package join).
	Join http.Handler
	// Exclusive says that no other process runs this store's jobs (serve
	// holds a lock on the store): a job left running at start is an
	// orphan of a process that died, and is run again at once rather
	// than after River's rescue time. Only for SQLite: a Postgres store
	// is shared by replicas, and Exclusive is ignored there.
	Exclusive bool
	// Single makes /healthz the one account's health, as the
	// single-account serve's has always been; otherwise it is the
	// service's: the store's and the scheduler's. It keeps the rest of
	// that serve's ways too: its log lines name no account (there is one)
	// and its warnings are "rosteron: warning: …"; its first refresh is
	// at once, and each next one after the refresher's own wait
	// (Interval with its jitter), not at a phase of the interval.
	Single bool
	// Log gets one line per refresh, naming the account by its ID and
	// username, never a secret.
	Log io.Writer
	// Now is the clock; nil for time.Now.
	Now func() time.Time

	// JobTimeout bounds one refresh job, from the host's gate to the
	// session's logout (DefaultJobTimeout): a refresh still under way
	// then is cut short, and tried again after the feed's backoff.
	JobTimeout time.Duration
	// RescueAfter is River's RescueStuckJobsAfter: a job still running
	// that long belonged to a process that died mid-refresh, and is run
	// again by any replica (JobTimeout + 2 min by default, 5 min). It
	// must be longer than JobTimeout.
	RescueAfter time.Duration

	// For tests: River's fetch poll interval (riversqlite has no
	// LISTEN/NOTIFY, so workers poll; default 1s) and the health tick
	// (default a minute).
	pollInterval time.Duration
	healthEvery  time.Duration
	// changesEvery is how often the store's changes are read
	// (DefaultChangesEvery).
	changesEvery time.Duration
}

// ErrBusy is Check's error when no session can start now within the
// limits: the host's sessions, the browser's, or the host's login gap.
var ErrBusy = errors.New("service: no place for another login now")

// Check tries one login with the credentials, through the same limits
// as the refreshes (the instance's sessions and login gap, the browser's
// sessions), without queueing: ErrBusy when no place is free now. It is
// for a join's or a new password's check.
func (s *Service) Check(ctx context.Context, a *store.Account, password string) error {
	return s.check(ctx, a, password)
}

// Verified reloads the account as Reload does, after its password was
// just checked with one real login: a lock-out stop kept for the
// password is lifted, as RetryLogin lifts it.
func (s *Service) Verified(ctx context.Context, id store.ID) error {
	return s.verified(ctx, id)
}
