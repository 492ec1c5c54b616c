// Package store keeps the accounts of a multi-account rosteron serve: who
// they are, their RosterOn passwords and other credentials sealed with a
// key that is never in the store, their tokens as hashes, and the state
// each account's feed keeps between refreshes (the last good roster, the
// calendar's event history, the lock-out guard's count, the alerts'
// state).
//
// The store is SQLite in the state folder by default, through a pure-Go
// driver (Open), or Postgres for many machines (OpenPostgres): one
// interface, one SQL code path, one set of tests run against both. A
// store opened without a key holds no secret at all: it refuses to keep
// a password, a credential in the settings or a sealed token.
//
// What a stolen store (the file without the key file) yields: usernames,
// instances, zones, health, the feeds' state (rosters, calendar history),
// and SHA-256 hashes of the tokens and manage secrets, which are 192-bit
// random and so cannot be guessed from their hash. It yields no password,
// no token, no manage secret, no notify target, no calendar credential:
// those are sealed with NaCl secretbox under a subkey of the key for the
// very row and column they are in (see seal.go), so that someone who can
// write the file can neither read them nor move one account's password to
// another. On SQLite a deleted account is erased from the file and its
// write-ahead log at once; Postgres keeps its rows as dead tuples until a
// vacuum (see Postgres.Delete). Someone who has the key and the database
// has everything; the key file is therefore kept apart from the store and
// its backups.
package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"time"
)

// ID names an account in the store. It is never reused.
type ID int64

// Errors of the store. Their messages never hold a secret. Each matches
// ErrStore too.
var (
	// ErrStore is matched by every error of the store.
	ErrStore = errors.New("store")
	// ErrNotFound: no such account, or no such blob. It matches
	// fs.ErrNotExist too, so that a feed's state in the store reads as
	// its state folder did.
	ErrNotFound = &notFound{}
	// ErrExists: an account of that username on that instance is there
	// already.
	ErrExists error = &kindError{"store: an account of that username on that instance exists already"}
	// ErrNoKey: the store was opened without a key and was asked to seal
	// or open a secret.
	ErrNoKey error = &kindError{"store: opened without a key, so it keeps no secret"}
	// ErrWrongKey: a sealed value did not open with the key given: the key
	// is not the one the store was sealed with, or the store was altered.
	ErrWrongKey error = &kindError{"store: a sealed value does not open with this key: wrong key, or the store was altered"}
)

type notFound struct{}

func (*notFound) Error() string { return "store: not found" }
func (*notFound) Is(target error) bool {
	return target == fs.ErrNotExist || target == ErrStore
}

// Account is an account as the store keeps it, without its secrets.
type Account struct {
	ID ID
	// Username is the RosterOn username.
	Username string
	// Instance is the RosterOn instance's address, as
	// session.NormalizeURL gives it: everything before /Account/Login.
	Instance string
	// Zone is the roster's IANA time zone name; "" for floating times.
	Zone    string
	Created time.Time

	// Paused accounts are not refreshed; PauseReason says why, for people
	// ("paused by its owner", "RosterOn rejected the password", …).
	Paused      bool
	PauseReason string

	// Health is what the service last saw of the account.
	Health Health
}

// Health is an account's health as the service last recorded it, for
// `rosteron accounts list` and the scheduler.
type Health struct {
	// State is feed.StateStarting, StateOK, StateStale or StateStopped.
	State string
	// Why says why the state is not ok; never a secret.
	Why string
	// LastGood is the last refresh that got a roster; zero if none.
	LastGood time.Time
	// NextRefresh is when the next refresh is due; zero for now.
	NextRefresh time.Time
}

// Settings are an account's own choices. They are kept sealed as a
// whole, since notify URLs and calendar passwords are credentials.
type Settings struct {
	// Notify are alert targets, as feed.ParseTarget reads them (an ntfy
	// topic, json+URL, mailto:ADDRESS).
	Notify []string `json:"notify,omitempty"`
	// CalendarName is the feed's calendar name; "" for the default.
	CalendarName string `json:"calendar_name,omitempty"`
	// Remind and RemindLeave are the feed's reminders.
	Remind      []time.Duration `json:"remind,omitempty"`
	RemindLeave bool            `json:"remind_leave,omitempty"`
	// CalDAV, when set, is the calendar each roster is written into.
	CalDAV *CalDAV `json:"caldav,omitempty"`
}

// CalDAV is a CalDAV calendar to sync into.
type CalDAV struct {
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
	Calendar string `json:"calendar,omitempty"`
}

// HasSecrets reports whether s holds anything that must be sealed: a
// notify target or a calendar.
func (s *Settings) HasSecrets() bool {
	return s != nil && (len(s.Notify) > 0 || s.CalDAV != nil)
}

// NewAccount is what Create is given.
type NewAccount struct {
	Username string
	Instance string
	// Password is the RosterOn password, sealed. "" keeps none: the
	// single-account serve has it from its flags at each start.
	Password string
	Zone     string
	Settings Settings
	// Token is the feed token to use; "" makes a random one. It is kept
	// as a hash, and sealed too when the store has a key.
	Token string
}

// Secrets are an account's page and manage secrets, shown once at
// creation: the store keeps only their hashes (and the token sealed).
type Secrets struct {
	// Token is in the addresses of the account's page and feeds.
	Token string
	// Manage is the second secret its owner manages the account with:
	// never in a feed address.
	Manage string
}

// Store is the accounts' store. Every method takes ctx first; all are
// safe for concurrent use. Writes are atomic: one call's change is all
// there or not at all, whatever crashes.
type Store interface {
	// Create adds an account and returns it with its secrets, shown this
	// once. ErrExists when its username and instance are taken, the
	// username in any case: RosterOn usernames are case-insensitive
	// (ASCII letters are folded, on both databases: SQLite's lower()
	// folds no other, and Postgres compares the same way).
	Create(ctx context.Context, a NewAccount) (*Account, Secrets, error)
	// Get returns one account; List all, by ID; Find the one of that
	// instance and username, the username in any case (as Create).
	// ErrNotFound when there is none.
	Get(ctx context.Context, id ID) (*Account, error)
	List(ctx context.Context) ([]*Account, error)
	Find(ctx context.Context, instance, username string) (*Account, error)
	// ByToken and ByManage find the account a secret belongs to, by its
	// hash. ErrNotFound for a wrong one.
	ByToken(ctx context.Context, token string) (*Account, error)
	ByManage(ctx context.Context, secret string) (*Account, error)

	// Password, Token and Settings open an account's sealed values.
	// ErrNoKey without a key; Password returns "" when none is kept.
	Password(ctx context.Context, id ID) (string, error)
	Token(ctx context.Context, id ID) (string, error)
	Settings(ctx context.Context, id ID) (*Settings, error)

	SetPassword(ctx context.Context, id ID, password string) error
	SetSettings(ctx context.Context, id ID, s *Settings) error
	SetZone(ctx context.Context, id ID, zone string) error
	// NewToken replaces the account's token: the old one stops working at
	// once. The new one is returned, to be shown once.
	NewToken(ctx context.Context, id ID) (string, error)
	// NewManage replaces the manage secret likewise.
	NewManage(ctx context.Context, id ID) (string, error)
	SetPaused(ctx context.Context, id ID, paused bool, reason string) error
	SetHealth(ctx context.Context, id ID, h Health) error

	// Delete erases the account: on SQLite its sealed secrets, its
	// roster and its state are gone from the database file at once, not
	// merely unlinked (secure_delete and a checkpoint). A
	// *NotErasedError (errors.As) says the account IS deleted but its
	// bytes may stay in the write-ahead log until the next checkpoint: a
	// success with a warning, never a failed delete. Postgres has no
	// secure_delete: its rows stay as dead tuples until a vacuum (see
	// Postgres.Delete), and it never returns a *NotErasedError.
	Delete(ctx context.Context, id ID) error

	// LoadBlob and SaveBlob keep an account's feed state by name (the
	// feed's file names: roster.json, calendar.json, login-guard.json,
	// notify.json). LoadBlob's ErrNotFound matches fs.ErrNotExist.
	LoadBlob(ctx context.Context, id ID, name string) ([]byte, error)
	SaveBlob(ctx context.Context, id ID, name string, data []byte) error

	// Secret returns the service-wide secret of that name (the join
	// page's CSRF key), sealed in the store, making it with make the first
	// time. ErrNoKey without a key.
	Secret(ctx context.Context, name string, make func() ([]byte, error)) ([]byte, error)

	// RotateKey seals every secret again under next, in one transaction;
	// the store uses next from then on. Any error means the store is
	// still sealed under the old key: a checkpoint that fails after the
	// commit is not reported (what it leaves in the write-ahead log is
	// sealed under the old key).
	RotateKey(ctx context.Context, next *Key) error

	// DB is the database, for the job engine's tables beside the store's.
	DB() *sql.DB
	// Kind is the database the store is in (KindSQLite, KindPostgres):
	// the job engine's driver follows it.
	Kind() Kind
	Close() error

	// Changes returns what changed since stamp, by this process or any
	// other on the same database: accounts whose row changed (created,
	// password, settings, zone, token, manage secret, paused or resumed;
	// not health) and accounts whose feed state was saved (SaveBlob,
	// SaveBlobsTx), each ID once, by ID, and the stamp to ask with next.
	// Stamp 0 asks for nothing old: it returns no change, only the
	// current stamp. A deleted account is not among them: List tells. A
	// change is never missed, but may be reported again by the next call
	// (on Postgres, when an older transaction was still running).
	Changes(ctx context.Context, since Stamp) ([]Change, Stamp, error)

	// TakeSlot claims one of limit places of the named resource (a
	// RosterOn host's sessions) for holder until lease has passed, for
	// every process on the database together: ok is false when limit
	// places are held and none has expired. The lease is measured by the
	// database's clock where it has one. A holder that holds a place of
	// the name already gets it back, its lease renewed. Keep a name's
	// limit fixed: places at or above a lowered limit are not counted.
	// ReleaseSlot frees the place (nothing when holder no longer holds
	// it).
	TakeSlot(ctx context.Context, name string, limit int, holder string, lease time.Duration) (slot int, ok bool, err error)
	ReleaseSlot(ctx context.Context, name string, slot int, holder string) error
	// NextTurn reserves the named resource's next turn (a RosterOn host's
	// next login), turns being at least gap apart across every process:
	// it returns the time of the reserved turn, now or later, by the
	// database's clock where it has one.
	NextTurn(ctx context.Context, name string, gap time.Duration) (time.Time, error)
	// Hit counts one event under key (a rate limit's key, which the
	// caller makes secret-free, a MAC of an address or username) among
	// the last window's: ok is false, and nothing is counted, when limit
	// were counted already; retry is then when the oldest leaves the
	// window.
	Hit(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retry time.Duration, err error)
	// Unhit gives back the newest event counted under key (an attempt
	// that was not made after all: the service was busy), nothing when
	// none is.
	Unhit(ctx context.Context, key string) error

	// SaveBlobsTx and SetHealthTx are SaveBlob and SetHealth inside a
	// transaction of DB() that the caller commits: the feed state a
	// refresh job made, committed with the job's completion and what it
	// queued (the outbox). ErrNotFound when the account is gone; the
	// caller rolls back. On SQLite tx is the store's one connection: the
	// caller calls no other method of the store until tx ends.
	SaveBlobsTx(ctx context.Context, tx *sql.Tx, id ID, blobs map[string][]byte) error
	SetHealthTx(ctx context.Context, tx *sql.Tx, id ID, h Health) error
}

// Kind is a store's database.
type Kind string

// The stores' kinds.
const (
	KindSQLite   Kind = "sqlite"
	KindPostgres Kind = "postgres"
)

// Stamp is a point in a store's changes (Changes).
type Stamp int64

// Change is one account's change, as Changes reports it.
type Change struct {
	ID ID
	// Account: its row changed (Reload it); State: its feed state was
	// saved (load it again).
	Account, State bool
}

// State is an account's feed state in a store: it has the methods of
// feed.State (Load and Save by name), without importing feed.
type State struct {
	Store Store
	ID    ID
}

// Load reads one of the account's blobs.
func (s State) Load(name string) ([]byte, error) {
	return s.Store.LoadBlob(context.Background(), s.ID, name)
}

// Save writes one of the account's blobs.
func (s State) Save(name string, data []byte) error {
	return s.Store.SaveBlob(context.Background(), s.ID, name, data)
}
