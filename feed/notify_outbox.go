package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// A Notifier in Outbox mode is a service's whose replicas share the
// accounts: any replica may run an account's refresh, and any its
// deliveries, so no replica delivers from memory. A refresh queues its
// alerts in NotifyFile, which the service commits with the refresh job's
// completion and a delivery job (an outbox); that job, on whichever
// replica, loads the committed state and calls DeliverPending.
//
// The two writers keep to their own files, so that neither overwrites the
// other's news: the refreshes write NotifyFile (the baseline and the
// alerts queued), the deliveries NotifySentFile (which alert reached which
// target, or was given up, and each target's failures in a row). An alert
// is pending for a target while NotifyFile lists the target and
// NotifySentFile does not; each write of NotifyFile drops what
// NotifySentFile says is done.
//
// Not twice, in what it means here: a delivery is recorded in
// NotifySentFile as soon as the receiver answers, so that a job run
// again (rescued after its replica died, or repeated) sends none of the
// alerts recorded. A replica that dies between a receiver's answer and
// that record sends that one alert again: no HTTP receiver can be told
// "only once" in the same transaction as a database. The alert carries
// the same ID each time (X-Rosteron-Alert, the JSON form's "id", an
// email's Message-ID), and ntfy's X-Sequence-ID, under which ntfy 2.16
// and later update the notification shown rather than show a second.

// NotifySentFile is the name of the alerts' deliveries in the state, in
// Outbox mode.
const NotifySentFile = "notify-sent.json"

// sentState is NotifySentFile's content.
type sentState struct {
	Sent []*sentAlert `json:"sent"`
	// Failures counts each target's failed deliveries in a row, by its
	// key, for the wait before the next try.
	Failures map[string]int `json:"failures,omitempty"`
}

// sentAlert is an alert delivered to Targets (or given up for them).
type sentAlert struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Targets []string  `json:"targets"`
}

// record notes that a reached key, or never will.
func (s *sentState) record(a *alert, key string) {
	for _, e := range s.Sent {
		if e.ID == a.ID {
			if !slices.Contains(e.Targets, key) {
				e.Targets = append(e.Targets, key)
			}
			return
		}
	}
	s.Sent = append(s.Sent, &sentAlert{ID: a.ID, Created: a.Created, Targets: []string{key}})
}

// done reports whether a has reached key, or never will.
func (s *sentState) done(a *alert, key string) bool {
	for _, e := range s.Sent {
		if e.ID == a.ID {
			return slices.Contains(e.Targets, key)
		}
	}
	return false
}

// loadSentLocked reads NotifySentFile; n.mu is held.
func (n *Notifier) loadSentLocked() error {
	n.sent = sentState{}
	store := n.feed.state
	if store == nil {
		return nil
	}
	data, err := store.Load(NotifySentFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the alerts' deliveries%s: %w", loadWhere(store, NotifySentFile), err)
	}
	if err := json.Unmarshal(data, &n.sent); err != nil {
		n.sent = sentState{}
		return fmt.Errorf("reading the alerts' deliveries %s: %w", stateWhere(store, NotifySentFile), err)
	}
	return nil
}

// saveSentLocked writes NotifySentFile, less the deliveries of alerts
// long given up anyway (twice MaxAge old), which no refresh queues again;
// n.mu is held.
func (n *Notifier) saveSentLocked() error {
	store := n.feed.state
	if store == nil {
		return nil
	}
	cutoff := n.feed.now().Add(-2 * n.maxAge())
	n.sent.Sent = slices.DeleteFunc(n.sent.Sent, func(e *sentAlert) bool { return e == nil || e.Created.Before(cutoff) })
	st := n.sent
	if st.Sent == nil {
		st.Sent = []*sentAlert{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the alerts' deliveries: %w", err)
	}
	if err := store.Save(NotifySentFile, append(data, '\n')); err != nil {
		return fmt.Errorf("saving the alerts' deliveries: %w", stateErr(store, NotifySentFile, err))
	}
	return nil
}

// pruneLocked drops from the outbox what NotifySentFile says is done;
// n.mu is held.
func (n *Notifier) pruneLocked() {
	for _, a := range n.outbox {
		a.Pending = slices.DeleteFunc(a.Pending, func(k string) bool { return n.sent.done(a, k) })
	}
	n.outbox = slices.DeleteFunc(n.outbox, func(a *alert) bool { return len(a.Pending) == 0 })
	n.countLocked()
}

// catchUpLocked drops from the outbox, in Outbox mode, what the
// deliveries recorded since: so that Pending, which a refresh's commit
// asks, does not count what was delivered meanwhile. n.mu is held.
func (n *Notifier) catchUpLocked() {
	if !n.Outbox || len(n.outbox) == 0 {
		return
	}
	if err := n.loadSentLocked(); err != nil {
		n.logf("warning: alerts: %v", err)
		return
	}
	n.pruneLocked()
}

// Pending counts the deliveries still to make: an alert to each target
// that has not had it. It reads no state and takes no lock, so that it
// may be asked inside a transaction: it is what the notifier knows, as
// of its last Load, save or roster observed.
func (n *Notifier) Pending() int { return int(n.pending.Load()) }

// countLocked keeps Pending's count; n.mu is held.
func (n *Notifier) countLocked() {
	c := 0
	for _, a := range n.outbox {
		c += len(a.Pending)
	}
	n.pending.Store(int64(c))
}

// DeliverPending loads the alerts' state committed (Load) and delivers
// what is pending, target by target, oldest first, recording each
// delivery in NotifySentFile as soon as it is made; for Outbox mode. An
// alert older than MaxAge, or refused for good (a 404, an address
// refused), is given up. A target that fails keeps the rest of its
// alerts for the next try: DeliverPending goes on with the other targets
// and returns, with the failures, the wait before the next try (the
// target's backoff, or the receiver's Retry-After), the shortest of the
// failed targets'. It returns (0, nil) once nothing is left.
//
// Calls must not overlap for one account's state (a delivery job unique
// by account sees to it).
func (n *Notifier) DeliverPending(ctx context.Context) (retryIn time.Duration, err error) {
	if err := n.Load(); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.Is(err, ErrOtherSource) || errors.As(err, &syntax) || errors.As(err, &typ) {
			return 0, err // trying again reads the same
		}
		return n.delay(1, 0), err
	}
	var errs []error
	for _, t := range n.targets {
		d, err := n.deliverPendingTo(ctx, t)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			errs = append(errs, err)
			if retryIn == 0 || d < retryIn {
				retryIn = d
			}
		}
	}
	return retryIn, errors.Join(errs...)
}

func (n *Notifier) deliverPendingTo(ctx context.Context, t *Target) (time.Duration, error) {
	for ctx.Err() == nil {
		a := n.next(t.key)
		if a == nil {
			return 0, nil
		}
		n.mu.Lock()
		failures := n.sent.Failures[t.key]
		n.mu.Unlock()
		if age := n.feed.now().Sub(a.Created); age > n.maxAge() {
			n.setFailures(t.key, 0)
			n.done(a, t.key)
			n.logf("alert to %s given up after %d failed tries over %s: %s", t, failures, round(age), a.Title)
			continue
		}
		retryAfter, err := n.send(ctx, t, a)
		var final *finalError
		switch {
		case err == nil:
			// Recorded even when ctx ended meanwhile: the receiver has it.
			n.setFailures(t.key, 0)
			if err := n.record(a, t.key); err != nil {
				// Not recorded: no more sends until it can be, lest
				// each be made again.
				n.logf("warning: alerts: %v", err)
				return n.delay(1, 0), err
			}
			n.logf("alert delivered to %s: %s", t, a.Title)
			continue
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case errors.As(err, &final):
			n.setFailures(t.key, 0)
			n.done(a, t.key)
			n.logf("alert to %s given up: %v; %s", t, err, giveUpFix(t))
			continue
		}
		failures++
		n.setFailures(t.key, failures)
		n.mu.Lock()
		saveErr := n.saveSentLocked()
		n.mu.Unlock()
		if saveErr != nil {
			n.logf("warning: alerts: %v", saveErr)
		}
		d := n.delay(failures, retryAfter)
		n.logf("alert to %s failed: %v; next try in %s", t, err, round(d))
		return d, fmt.Errorf("alert to %s: %w", t, err)
	}
	return 0, ctx.Err()
}

// record is done in Outbox mode, with the save's error.
func (n *Notifier) record(a *alert, key string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	a.Pending = slices.DeleteFunc(a.Pending, func(k string) bool { return k == key })
	if len(a.Pending) == 0 {
		n.outbox = slices.DeleteFunc(n.outbox, func(b *alert) bool { return b == a })
	}
	n.countLocked()
	n.sent.record(a, key)
	return n.saveSentLocked()
}

// setFailures sets a target's failures in a row, saved with the next
// delivery recorded.
func (n *Notifier) setFailures(key string, failures int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if failures == 0 {
		delete(n.sent.Failures, key)
		return
	}
	if n.sent.Failures == nil {
		n.sent.Failures = map[string]int{}
	}
	n.sent.Failures[key] = failures
}

func giveUpFix(t *Target) string {
	if t.IsMail() {
		return "check the address and the SMTP settings, and restart"
	}
	return "fix the notify URL and restart"
}

// LoadRoster reads the last good roster saved in st (StateFile), as a
// Feed of source url and username saved it: for a job that works from
// the committed roster, such as a calendar sync. It returns nil, and no
// error, when none is saved.
func LoadRoster(st State, url, username string) (*snapshot.Snapshot, error) {
	data, err := st.Load(StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the saved roster%s: %w", loadWhere(st, StateFile), err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading the saved roster %s: %w", stateWhere(st, StateFile), err)
	}
	if s.Items == nil {
		return nil, fmt.Errorf("reading the saved roster %s: no \"items\"", stateWhere(st, StateFile))
	}
	if !sameSource(s.Source, Source{URL: url, Username: username}) {
		return nil, fmt.Errorf("%s: %w", stateName(st, StateFile), ErrOtherSource)
	}
	return &snapshot.Snapshot{Time: s.Time, Items: *s.Items}, nil
}
