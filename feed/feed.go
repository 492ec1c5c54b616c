// Package feed serves a roster as a calendar feed that survives outages:
// a Refresher fetches the roster on a schedule, a Feed keeps the last good
// one in memory, rendered, and on disk, and Handler serves it over HTTP.
//
// Requests never fetch: they are answered from memory, so any number of
// calendar apps polling the feed cost RosterOn nothing beyond the refresh
// schedule. When a refresh fails the feed goes on serving the last good
// roster, marked stale, and a restart while RosterOn is down serves the one
// saved in the state folder.
//
// For people, Handler also serves a page at /TOKEN/ to read the coming
// shifts and subscribe from (page.go), and a Notifier alerts them when a
// refresh finds the roster changed (notify.go).
//
// The package knows nothing of Chrome: a Refresher calls a FetchFunc, which
// the command line makes from a session, and tests from a fake.
package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// Feed is the last good roster and what is known about its refreshes. Its
// methods are safe to call from several goroutines.
type Feed struct {
	loc      *time.Location
	calName  string
	refresh  time.Duration
	remind   []time.Duration // WithReminders
	remindLv bool
	state    State // WithState, WithStateDir; nil saves nothing
	source   Source
	secrets  []string
	now      func() time.Time
	loginKey string // WithLoginKey: the password, for the lock-out guard's key
	// loginHasher is WithLoginHasher's; nil for argon2id.
	loginHasher func(password string, salt []byte) []byte
	// resume is WithResumeAdvice's: what its owner does once refreshes
	// stopped; "" for the single serve's restart and --retry-login.
	resume string

	updateMu sync.Mutex // one Update at a time, so the roster saved last is the one served

	mu      sync.RWMutex
	cur     *content // nil until a roster is known
	lastOK  bool     // the last refresh succeeded (false for a roster loaded from disk)
	stopped bool     // the refresher gave up for good
	stopWhy string   // StopRejected, StopLoginMessage or StopRefused
	stopErr string   // the error that stopped it, scrubbed
	stopMsg string   // the login page's message, scrubbed (StopLoginMessage)
	stopAt  time.Time
	// started is when the Refresher started, for the trouble of no roster
	// read long after it; zero before.
	started time.Time
	// held is when a refresh found every upcoming shift gone and the
	// roster served was kept until a second read confirms it; zero when
	// none is held.
	held    time.Time
	lastTry time.Time
	lastErr string
	errAt   time.Time
	fails   int // failed refreshes since the last success
	next    time.Time
	// hist is the event history of the calendar served, or loaded from
	// the state folder before any: what the next calendar follows on from.
	hist *export.ICSHistory
}

// content is a roster ready to serve. It is never changed once made, so
// requests can use it without holding the lock.
type content struct {
	snap    *snapshot.Snapshot
	items   []byte    // the items' JSON, to tell a changed roster from the same one
	fetched time.Time // the last successful fetch that found this roster
	changed time.Time // the fetch that first found it: Last-Modified
	ics     body
	json    body
	hist    *export.ICSHistory // the events of ics
}

type body struct {
	data []byte
	etag string
}

// Source names the roster a feed serves, so that a state folder holding
// another user's or instance's roster is not served by mistake.
type Source struct {
	URL      string `json:"url,omitempty"`
	Username string `json:"username,omitempty"`
}

// Option configures a Feed.
type Option func(*Feed)

// WithLocation sets the zone shifts are read in (default UTC).
func WithLocation(loc *time.Location) Option { return func(f *Feed) { f.loc = loc } }

// WithCalendarName names the iCalendar feed (default
// export.DefaultCalendarName).
func WithCalendarName(name string) Option { return func(f *Feed) { f.calName = name } }

// WithRefreshInterval is how often the roster is refreshed, which the
// iCalendar feed tells calendar apps as the interval at which to fetch it
// (REFRESH-INTERVAL and X-PUBLISHED-TTL). Zero tells them nothing.
func WithRefreshInterval(d time.Duration) Option { return func(f *Feed) { f.refresh = d } }

// WithReminders gives the iCalendar feed's events reminders, as
// export.WithReminders does: before each work, on-call and unknown
// shift, and leave when leave is true. Turning them on or changing them
// is a new revision of the events (their SEQUENCE rises) at the next
// roster rendered: at the start, for a roster loaded from the state
// folder.
func WithReminders(before []time.Duration, leave bool) Option {
	return func(f *Feed) { f.remind, f.remindLv = slices.Clone(before), leave }
}

// WithSource names the roster's instance and user, which are saved with it;
// Load ignores a saved roster of another source.
func WithSource(url, username string) Option {
	return func(f *Feed) { f.source = Source{URL: url, Username: username} }
}

// WithSecrets names strings, such as the password, that must never appear
// in an error the feed reports or logs, should a lower layer ever quote
// one.
func WithSecrets(secrets ...string) Option {
	return func(f *Feed) {
		for _, s := range secrets {
			if s != "" {
				f.secrets = append(f.secrets, s)
			}
		}
	}
}

// WithClock sets the feed's clock; it is for tests.
func WithClock(now func() time.Time) Option { return func(f *Feed) { f.now = now } }

// New returns a feed with no roster yet.
func New(opts ...Option) *Feed {
	f := &Feed{loc: time.UTC, calName: export.DefaultCalendarName, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(f)
		}
	}
	if f.loc == nil {
		f.loc = time.UTC
	}
	if f.calName == "" {
		f.calName = export.DefaultCalendarName
	}
	return f
}

// Update records a successful refresh that fetched snap, and saves it in
// the state folder. A roster that holds the same shifts as the one served
// is kept as it was, with its time, so its ETag and Last-Modified stay the
// same and calendar apps get 304s: only the time of the last fetch moves.
// changed reports whether the shifts differ from those served before.
//
// The feed serves snap even when saving it fails: the error is then a
// *SaveError. Any other error means snap could not be served, and the
// feed is as it was.
func (f *Feed) Update(snap *snapshot.Snapshot) (changed bool, err error) {
	if snap == nil {
		return false, fmt.Errorf("feed: nil snapshot")
	}
	f.updateMu.Lock()
	defer f.updateMu.Unlock()
	now := f.now()
	items, err := json.Marshal(nonNil(snap.Items))
	if err != nil {
		return false, fmt.Errorf("feed: encoding the roster: %w", err)
	}

	f.mu.Lock()
	old := f.cur
	var c *content
	if old != nil && bytes.Equal(old.items, items) {
		cp := *old
		cp.fetched = now
		c = &cp
	} else {
		modified := now.Truncate(time.Second)
		if old != nil && !modified.After(old.changed) {
			// Last-Modified has a resolution of a second, and a clock
			// may step back: a new roster must look newer than the old
			// one to If-Modified-Since.
			modified = old.changed.Add(time.Second)
		}
		c, err = f.render(snap, items, now, modified, f.hist)
		if err != nil {
			f.mu.Unlock()
			return false, err
		}
		changed = true
	}
	f.cur = c
	f.hist = c.hist
	f.lastOK = true
	f.lastTry = now
	f.fails = 0
	f.held = time.Time{}
	f.mu.Unlock()

	if err := f.save(c); err != nil {
		return changed, err
	}
	return changed, nil
}

// render makes the bodies of both feeds. The calendar follows on from
// prev, its events new or changed as of changed.
func (f *Feed) render(snap *snapshot.Snapshot, items []byte, fetched, changed time.Time, prev *export.ICSHistory) (*content, error) {
	own := &snapshot.Snapshot{Time: snap.Time, Items: snap.Items}
	var ics, js bytes.Buffer
	hist, err := export.WriteICSFeed(&ics, own, f.loc, prev, changed,
		export.WithCalendarName(f.calName), export.WithRefreshInterval(f.refresh),
		export.WithReminders(f.remind, f.remindLv))
	if err != nil {
		return nil, fmt.Errorf("feed: rendering iCalendar: %w", err)
	}
	if err := export.WriteShiftsJSON(&js, own, f.loc); err != nil {
		return nil, fmt.Errorf("feed: rendering JSON: %w", err)
	}
	return &content{
		snap:    own,
		items:   items,
		fetched: fetched,
		changed: changed,
		ics:     body{ics.Bytes(), etag(ics.Bytes())},
		json:    body{js.Bytes(), etag(js.Bytes())},
		hist:    hist,
	}, nil
}

// etag is a strong entity tag: the same bytes always get the same tag, in
// this process and the next.
func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

func nonNil(items []snapshot.Item) []snapshot.Item {
	if items == nil {
		return []snapshot.Item{}
	}
	return items
}

// Fail records a failed refresh. Its message, scrubbed of the feed's
// secrets and made one line, is what Status and the log show.
func (f *Feed) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastOK = false
	f.lastTry = f.now()
	f.errAt = f.lastTry
	f.lastErr = f.scrub(errorText(err))
	f.fails++
}

func errorText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// scrub makes msg one line of plain text without any of the feed's
// secrets.
func (f *Feed) scrub(msg string) string {
	return oneline.Clean(msg, f.secrets...)
}

// stop records that no more refreshes will be made, why (StopRejected,
// StopLoginMessage or StopRefused), the error that stopped them and, for
// StopLoginMessage, the login page's message (both scrubbed).
func (f *Feed) stop(why, errText, message string, at time.Time) {
	f.mu.Lock()
	f.stopped = true
	f.stopWhy, f.stopErr, f.stopMsg, f.stopAt = why, errText, message, at
	f.next = time.Time{}
	f.mu.Unlock()
}

// markStarted records when the refreshes started, once.
func (f *Feed) markStarted() {
	f.mu.Lock()
	if f.started.IsZero() {
		f.started = f.now()
	}
	f.mu.Unlock()
}

// startTime is when the refreshes started; zero before.
func (f *Feed) startTime() time.Time {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.started
}

// hold records that a refresh found every upcoming shift gone, and the
// roster served is kept until a second read; a zero t ends the hold.
func (f *Feed) hold(t time.Time) {
	f.mu.Lock()
	f.held = t
	f.lastTry = f.now()
	f.mu.Unlock()
}

// staleAfter is the age past which the roster served counts as stale: three
// refresh intervals, and never less than MinStaleAge, so that a night's
// maintenance is no incident.
func (f *Feed) staleAfter() time.Duration {
	interval := f.refresh
	if interval <= 0 {
		interval = DefaultInterval
	}
	return max(3*interval, MinStaleAge)
}

// MinStaleAge is the least age at which the roster served counts as stale
// (see Status.State).
const MinStaleAge = 6 * time.Hour

// The words of Status.State and Health.State.
const (
	// StateStarting: no roster yet, and refreshes go on.
	StateStarting = "starting"
	// StateOK: the roster is served and refreshes go on; the last may have
	// failed (see Failures), but the roster is not yet stale.
	StateOK = "ok"
	// StateStale: the last good refresh is older than three refresh
	// intervals and MinStaleAge.
	StateStale = "stale"
	// StateStopped: refreshes have stopped (see Status.Stopped) until a
	// restart.
	StateStopped = "stopped"
)

// setNext records when the next refresh is due.
// SetNextRefresh sets when the next refresh is due, as the page and
// health show it, for a scheduler that chooses another time than the
// Refresher's Step said (a service that spreads many accounts' refreshes
// over the interval). A zero t shows none.
func (f *Feed) SetNextRefresh(t time.Time) { f.setNext(t) }

func (f *Feed) setNext(t time.Time) {
	f.mu.Lock()
	f.next = t
	f.mu.Unlock()
}

// current returns the roster served now and whether it is stale.
func (f *Feed) current() (*content, bool, time.Time) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cur, !f.lastOK, f.next
}

// Status is what /healthz reports.
type Status struct {
	// OK is true when there is a roster to serve and it is not stale.
	OK bool `json:"ok"`
	// Stale is true when the last refresh failed, or none has succeeded
	// since the roster was read from the state folder.
	Stale bool `json:"stale"`
	// Refreshing is false once refreshes have stopped for good (after
	// RosterOn rejected the credentials).
	Refreshing bool `json:"refreshing"`
	// Shifts is the number of shifts served; 0 when there is no roster.
	Shifts int `json:"shifts"`
	// LastSuccess is the last fetch that got the roster served; null
	// when there is none.
	LastSuccess *time.Time `json:"last_success"`
	// AgeSeconds is how long ago LastSuccess was, in whole seconds.
	AgeSeconds *int64 `json:"age_seconds"`
	// LastChange is when the roster served was first fetched: its
	// Last-Modified.
	LastChange *time.Time `json:"last_change"`
	// LastAttempt is the last refresh, successful or not.
	LastAttempt *time.Time `json:"last_attempt"`
	// LastError is the last failed refresh's error and LastErrorTime when
	// it happened, even after a success since; it never holds a secret.
	LastError     string     `json:"last_error"`
	LastErrorTime *time.Time `json:"last_error_time"`
	// Failures counts the failed refreshes since the last success.
	Failures int `json:"failures"`
	// NextRefresh is when the next refresh is due; null while one is
	// under way or after they stopped.
	NextRefresh *time.Time `json:"next_refresh"`
	// State is one word for /healthz: StateStarting, StateOK, StateStale
	// or StateStopped. Healthy tells which of them answer 200.
	State string `json:"state"`
	// Stopped says why refreshes stopped (StopRejected, StopLoginMessage,
	// StopRefused); "" while they go on. StoppedTime is when.
	Stopped     string     `json:"stopped,omitempty"`
	StoppedTime *time.Time `json:"stopped_time,omitempty"`
	// LoginMessage is the message RosterOn's login page refused the login
	// with, when Stopped is StopLoginMessage; it never holds a secret.
	LoginMessage string `json:"login_message,omitempty"`
	// NoRoster is true when no roster has been read, nor loaded from the
	// state folder, StaleAfterSeconds after the refreshes started: State
	// stays StateStarting, but that is trouble as a stale roster is.
	NoRoster bool `json:"no_roster,omitempty"`
	// HeldSince is set while an empty roster is held: a refresh then found
	// every upcoming shift gone, and the roster served is kept until a
	// second read confirms it.
	HeldSince *time.Time `json:"held_since,omitempty"`
	// StaleAfterSeconds is the age of LastSuccess at which State turns
	// StateStale.
	StaleAfterSeconds int64 `json:"stale_after_seconds"`
}

// Healthy reports whether /healthz answers 200: there is a roster, it is
// not stale, and refreshes go on.
func (s Status) Healthy() bool { return s.State == StateOK }

// Status reports the feed's state.
func (f *Feed) Status() Status {
	now := f.now()
	f.mu.RLock()
	defer f.mu.RUnlock()
	st := Status{
		Stale:         !f.lastOK,
		Refreshing:    !f.stopped,
		LastAttempt:   timePtr(f.lastTry),
		LastError:     f.lastErr,
		LastErrorTime: timePtr(f.errAt),
		Failures:      f.fails,
		NextRefresh:   timePtr(f.next),
		HeldSince:     timePtr(f.held),
		State:         StateStarting,
	}
	stale := f.staleAfter()
	st.StaleAfterSeconds = int64(stale / time.Second)
	if c := f.cur; c != nil {
		st.OK = f.lastOK
		st.Shifts = len(c.snap.Items)
		st.LastSuccess = timePtr(c.fetched)
		st.LastChange = timePtr(c.changed)
		age := max(now.Sub(c.fetched), 0)
		secs := int64(age / time.Second)
		st.AgeSeconds = &secs
		st.State = StateOK
		if age > stale {
			st.State = StateStale
		}
	} else if !f.started.IsZero() && now.Sub(f.started) > stale {
		st.NoRoster = true
	}
	if f.stopped {
		st.State = StateStopped
		st.Stopped = f.stopWhy
		st.StoppedTime = timePtr(f.stopAt)
		st.LoginMessage = f.stopMsg
		if st.LastError == "" {
			// Stopped at start by a stop an earlier run saved.
			st.LastError = f.stopErr
		}
	}
	return st
}

// Health is what /healthz tells anyone, without the token: coarse fields
// only, never the username, an error's text or the instance's address.
type Health struct {
	// OK is true when /healthz answers 200 (State is StateOK).
	OK bool `json:"ok"`
	// State is StateStarting, StateOK, StateStale or StateStopped.
	State string `json:"state"`
	// Stale is true when the last refresh failed, or none has succeeded
	// since the roster was read from the state folder (as the feeds'
	// X-Roster-Stale).
	Stale bool `json:"stale"`
	// Refreshing is false once refreshes have stopped until a restart.
	Refreshing bool `json:"refreshing"`
	// Failures counts the failed refreshes since the last success.
	Failures int `json:"failures"`
	// LastSuccess is the last good refresh; AgeSeconds how long ago.
	LastSuccess *time.Time `json:"last_success"`
	AgeSeconds  *int64     `json:"age_seconds"`
	// LastAttempt is the last refresh, good or not.
	LastAttempt *time.Time `json:"last_attempt"`
	// NextRefresh is when the next is due; null while one is under way or
	// after they stopped.
	NextRefresh *time.Time `json:"next_refresh"`
	// StaleAfterSeconds is the age at which State turns StateStale.
	StaleAfterSeconds int64 `json:"stale_after_seconds"`
}

// Health reports the feed's health, as /healthz does.
func (f *Feed) Health() Health {
	st := f.Status()
	return Health{
		OK:                st.Healthy(),
		State:             st.State,
		Stale:             st.Stale,
		Refreshing:        st.Refreshing,
		Failures:          st.Failures,
		LastSuccess:       st.LastSuccess,
		AgeSeconds:        st.AgeSeconds,
		LastAttempt:       st.LastAttempt,
		NextRefresh:       st.NextRefresh,
		StaleAfterSeconds: st.StaleAfterSeconds,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}
