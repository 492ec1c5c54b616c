package feed

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"golang.org/x/crypto/argon2"
)

// The lock-out guard: RosterOn locks an account after a few refused
// logins, and a feed that retried a refused password every refresh would
// get it locked, then locked harder. So the Refresher stops at once when
// RosterOn refuses a login itself (Permanent: the known wrong-password
// sentence; RefusedByMessage: any other message its login page shows after
// a submit, such as "account locked"), and counts the logins in a row that
// were submitted and answered with something other than the home page
// (Refused), stopping after MaxRefusals of them. Outages, which never
// reached the point of a refusal, neither count nor reset the count; a
// login that was accepted resets it, whether the refresh then succeeded or
// a later step failed (LoggedIn).
//
// The count and the stop outlive a restart: they are kept in GuardFile,
// keyed to the password by a slow hash (argon2id, with a random salt), so
// that a restart with the same password does not log in again, while a
// new password starts afresh. The file never holds the password.

// GuardFile is the name of the lock-out guard's state in the state folder.
const GuardFile = "login-guard.json"

// MaxRefusals is the number of refused logins in a row after which a
// Refresher stops logging in.
const MaxRefusals = 3

// ErrRefused is matched, through errors.Is, by a fetch's error whose login
// was submitted and not accepted, though not for an outage: see Refused.
var ErrRefused = errors.New("feed: login refused")

// Refused returns err marked as a login that was submitted and answered
// with something other than the home page, when that is no outage: a
// proxy's error page, say, or a page rosteron does not recognise.
// MaxRefusals of them in a row stop the refreshes. (A message on the login
// page itself stops them at once: see RefusedByMessage.) The error's
// message is err's, and errors.Is and errors.As see through to err. A nil
// err stays nil.
func Refused(err error) error {
	if err == nil {
		return nil
	}
	return &refusedError{err}
}

type refusedError struct{ err error }

func (e *refusedError) Error() string        { return e.err.Error() }
func (e *refusedError) Unwrap() error        { return e.err }
func (e *refusedError) Is(target error) bool { return target == ErrRefused }

// ErrLoginMessage is matched, through errors.Is, by a fetch's error that
// RefusedByMessage marked.
var ErrLoginMessage = errors.New("feed: login refused with a message")

// RefusedByMessage returns err marked as a login that RosterOn refused
// with a message on its login page other than the known wrong-password
// sentence: "account locked", a password expired, a reworded or
// translated refusal. message is that message as the page showed it. Like
// Permanent (it matches ErrPermanent too) it stops the refreshes at once,
// but its reason is StopLoginMessage, whose advice differs: the password
// is often still right, and once the account is sorted out, a restart
// with --retry-login goes on. The page quotes message (scrubbed of the
// feed's secrets); alerts never do. The error's message is err's, and
// errors.Is and errors.As see through to err. A nil err stays nil.
func RefusedByMessage(err error, message string) error {
	if err == nil {
		return nil
	}
	return &loginMessageError{err: err, message: message}
}

type loginMessageError struct {
	err     error
	message string
}

func (e *loginMessageError) Error() string { return e.err.Error() }
func (e *loginMessageError) Unwrap() error { return e.err }
func (e *loginMessageError) Is(target error) bool {
	return target == ErrLoginMessage || target == ErrPermanent
}

// loginMessage returns the login page's message that RefusedByMessage
// gave err, if any.
func loginMessage(err error) string {
	var lm *loginMessageError
	if errors.As(err, &lm) {
		return lm.message
	}
	return ""
}

// ErrLoggedIn is matched, through errors.Is, by a fetch's error that
// LoggedIn marked.
var ErrLoggedIn = errors.New("feed: logged in, then failed")

// LoggedIn returns err marked as a fetch whose login RosterOn accepted (it
// reached the home page) and whose later step, such as reading the roster
// or logging out, failed. The refresh counts as failed, but the login as
// accepted: it resets the count of refused logins in a row, as a
// successful refresh does. The error's message is err's, and errors.Is
// and errors.As see through to err. A nil err stays nil.
func LoggedIn(err error) error {
	if err == nil {
		return nil
	}
	return &loggedInError{err}
}

type loggedInError struct{ err error }

func (e *loggedInError) Error() string        { return e.err.Error() }
func (e *loggedInError) Unwrap() error        { return e.err }
func (e *loggedInError) Is(target error) bool { return target == ErrLoggedIn }

// Why refreshes stopped, in Status.Stopped.
const (
	// StopRejected: RosterOn rejected the password (a Permanent error).
	StopRejected = "rejected"
	// StopLoginMessage: RosterOn refused the login with another message
	// on its login page, such as a locked account (RefusedByMessage).
	StopLoginMessage = "login-message"
	// StopRefused: MaxRefusals logins in a row were refused.
	StopRefused = "refused"
)

// WithLoginKey gives the feed the password it logs in with, so that the
// lock-out guard's count and stop, kept in the feed's State, are keyed to
// it: a restart with the same password stays stopped, one with a new
// password starts afresh. Only a slow, salted hash of it is kept, and only
// in memory until it is written to GuardFile.
func WithLoginKey(password string) Option {
	return func(f *Feed) { f.loginKey = password }
}

// WithLoginHasher replaces the lock-out guard's slow hash of the password
// (argon2id, about 0.1 s of a core and 32 MiB each start) by hash, for a
// service that starts thousands of feeds and holds a secret of its own:
// hash(password, salt) must be a keyed MAC whose key is not beside the
// guard's state, so that the state still yields nothing to guess the
// password from. The same password and salt must give the same bytes
// across restarts.
func WithLoginHasher(hash func(password string, salt []byte) []byte) Option {
	return func(f *Feed) { f.loginHasher = hash }
}

// KeyedLoginHasher is the hash for WithLoginHasher of a service holding
// key, a secret of its own kept apart from the guard's state:
// HMAC-SHA256 of the salt and the password under key.
func KeyedLoginHasher(key []byte) func(password string, salt []byte) []byte {
	key = bytes.Clone(key)
	return func(password string, salt []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(salt)
		m.Write([]byte{0})
		m.Write([]byte(password))
		return m.Sum(nil)
	}
}

// WithResumeAdvice replaces, on the page and in the alerts, what the feed
// says to do once refreshes stopped (restart rosteron with the right
// password, or with --retry-login) by advice: for a service whose
// members neither restart it nor give it flags, such as "Give your
// password again on your manage page: it is checked with one login, and
// refreshes start again." It is one or two sentences, ending with a full
// stop.
func WithResumeAdvice(advice string) Option {
	return func(f *Feed) { f.resume = advice }
}

// argon2id costs: about 50-200 ms on a small machine, once a start.
const (
	guardTime    = 2
	guardMemory  = 32 << 10 // KiB
	guardThreads = 2
	guardKeyLen  = 32
	guardSaltLen = 16
)

// guardState is GuardFile's content.
type guardState struct {
	// Salt and Hash are argon2id's of the password the count is for.
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
	// Refusals counts the refused logins in a row with that password.
	Refusals int `json:"refusals"`
	// Stopped is set once refreshes stopped, Reason (StopRejected,
	// StopLoginMessage or StopRefused) and Why (the last error, scrubbed)
	// say why, Message is the login page's message (StopLoginMessage
	// only, scrubbed), and Since when.
	Stopped bool      `json:"stopped"`
	Reason  string    `json:"reason,omitempty"`
	Why     string    `json:"why,omitempty"`
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since,omitzero"`
}

// guard is the lock-out guard of a feed.
type guard struct {
	st    guardState
	store State // nil keeps it in memory
	dirty bool  // the state differs from the saved one
}

func guardHash(password string, salt []byte) []byte {
	return argon2.IDKey([]byte(password), salt, guardTime, guardMemory, guardThreads, guardKeyLen)
}

// loadGuard reads the guard's state for the feed's password, hashing the
// password once. A state for another password, or none, starts afresh;
// so does one that cannot be read, which the error reports.
func (f *Feed) loadGuard() (*guard, error) {
	g := &guard{}
	if f.state == nil || f.loginKey == "" {
		return g, nil
	}
	g.store = f.state
	var saved guardState
	data, err := g.store.Load(GuardFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = nil
	case err != nil:
		err = fmt.Errorf("reading the lock-out guard's state%s: %w", loadWhere(g.store, GuardFile), err)
	default:
		if jerr := json.Unmarshal(data, &saved); jerr != nil {
			err = fmt.Errorf("reading the lock-out guard's state %s: %w", stateWhere(g.store, GuardFile), jerr)
			saved = guardState{}
		}
	}
	salt := saved.Salt
	if len(salt) < guardSaltLen {
		salt = make([]byte, guardSaltLen)
		_, _ = rand.Read(salt) // never fails since Go 1.24
	}
	var hash []byte
	if f.loginHasher != nil {
		hash = f.loginHasher(f.loginKey, salt)
	} else {
		hash = guardHash(f.loginKey, salt)
	}
	if len(saved.Hash) == len(hash) && subtle.ConstantTimeCompare(saved.Hash, hash) == 1 {
		g.st = saved
		return g, err
	}
	// Another password, or none known: afresh. Nothing is written until
	// there is something to count.
	g.st = guardState{Salt: salt, Hash: hash}
	g.dirty = saved.Refusals > 0 || saved.Stopped
	return g, err
}

// save writes the guard's state if it changed.
func (g *guard) save() error {
	if g.store == nil || !g.dirty {
		return nil
	}
	data, err := json.MarshalIndent(g.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the lock-out guard's state: %w", err)
	}
	if err := g.store.Save(GuardFile, append(data, '\n')); err != nil {
		return fmt.Errorf("saving the lock-out guard's state: %w", stateErr(g.store, GuardFile, err))
	}
	g.dirty = false
	return nil
}

// refused counts a refused login; it reports whether that stops the
// refreshes. A reason (StopRejected, StopLoginMessage) stops them at once;
// "" counts towards MaxRefusals. message is the login page's message, for
// StopLoginMessage.
func (g *guard) refused(reason, why, message string, now time.Time) bool {
	g.st.Refusals++
	g.dirty = true
	if reason == "" && g.st.Refusals < MaxRefusals {
		return false
	}
	if reason == "" {
		reason = StopRefused
	}
	g.st.Stopped = true
	g.st.Reason, g.st.Why, g.st.Since = reason, why, now.UTC()
	g.st.Message = ""
	if reason == StopLoginMessage {
		g.st.Message = message
	}
	return true
}

// accepted records a login that was accepted.
func (g *guard) accepted() {
	if g.st.Refusals != 0 || g.st.Stopped {
		g.st.Refusals, g.st.Stopped = 0, false
		g.clearStop()
		g.dirty = true
	}
}

func (g *guard) clearStop() {
	g.st.Reason, g.st.Why, g.st.Message, g.st.Since = "", "", "", time.Time{}
}

// retry clears a stop for one more login: a refusal stops again.
func (g *guard) retry() {
	g.st.Stopped = false
	g.clearStop()
	g.st.Refusals = MaxRefusals - 1
	g.dirty = true
}
