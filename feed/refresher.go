package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// FetchFunc fetches the roster once: log in, get the roster, log out. It
// bounds its own run, and must return soon after ctx ends. An error that
// matches ErrPermanent (see Permanent and RefusedByMessage) stops the
// refreshes; one that matches ErrRefused (see Refused) counts towards
// stopping them; one that matches ErrLoggedIn (see LoggedIn) resets that
// count, as a success does.
type FetchFunc func(ctx context.Context) (*snapshot.Snapshot, error)

// ErrPermanent is matched, through errors.Is, by a fetch's error that
// trying again cannot mend: RosterOn rejecting the password, where every
// try counts towards locking the account. The feed decides nothing from
// an error's type, so it needs to know nothing of sessions or Chrome.
var ErrPermanent = errors.New("feed: permanent failure")

// Permanent returns err marked as a failure that trying again cannot mend:
// a Refresher whose fetch returns it makes no more refreshes. The error's
// message is err's, and errors.Is and errors.As see through to err. A nil
// err stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// Defaults of a Refresher's fields.
const (
	DefaultInterval = 30 * time.Minute
	DefaultJitter   = 0.05
	DefaultBackoff  = 30 * time.Second
	// DefaultConfirmEmpty is Refresher.ConfirmEmpty's default.
	DefaultConfirmEmpty = 5 * time.Minute
)

// Refresher fetches the roster into a Feed at once and then on a schedule.
// The zero values of its optional fields mean their defaults.
type Refresher struct {
	Feed  *Feed
	Fetch FetchFunc

	// Interval is the time between refreshes (DefaultInterval).
	Interval time.Duration
	// Jitter spreads each wait at random over ±Jitter of it
	// (DefaultJitter, a few percent), so that many feeds started at once
	// do not log in at once ever after. Negative means none.
	Jitter float64
	// Backoff is the wait after a failed refresh (DefaultBackoff): it
	// doubles with each failure in a row, up to Interval.
	Backoff time.Duration
	// Log gets one line per refresh; nil discards them. The lines never
	// hold the Feed's secrets.
	Log io.Writer
	// Notify, when set, is given each roster fetched, to alert people to
	// its changes, and the feed's state after each refresh, to alert them
	// when refreshes stop or the roster goes stale, and when that mends.
	Notify *Notifier
	// Accepted, when set, is called with each roster a refresh accepted,
	// after Notify: a calendar sync follows the roster this way
	// (calendar.Syncer.Observe). It must not block. A roster that had
	// every upcoming shift vanish is held, and passed on only once the
	// next read agrees, with confirmed set.
	Accepted func(snap *snapshot.Snapshot, confirmed bool)
	// ConfirmEmpty is the wait before reading again a roster that had
	// every upcoming shift vanish at once (DefaultConfirmEmpty), never
	// more than Interval.
	ConfirmEmpty time.Duration
	// RetryLogin clears a stop, saved by an earlier run, for one more
	// login with the same password: if it is refused too, refreshes stop
	// again.
	RetryLogin bool

	rand func() float64 // [0, 1); for tests

	// What Run kept between refreshes, for Start and Step.
	stepMu   sync.Mutex  // one Start or Step at a time
	begun    bool        // Start ran
	g        *guard      // the lock-out guard, loaded by Start
	failures int         // failed refreshes in a row
	held     bool        // the last good read was an empty roster, held
	stopped  atomic.Bool // refreshes stopped for good
}

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultInterval
}

// Delay returns the wait before the next refresh after failures failed
// refreshes in a row (0 after a success): Interval after a success, else
// Backoff doubled for each failure after the first, never more than
// Interval; either spread by the jitter.
func (r *Refresher) Delay(failures int) time.Duration {
	interval := r.interval()
	d := interval
	if failures > 0 {
		d = r.Backoff
		if d <= 0 {
			d = DefaultBackoff
		}
		for i := 1; i < failures && d < interval; i++ {
			d *= 2
		}
		d = min(d, interval)
	}
	j := r.Jitter
	if j == 0 {
		j = DefaultJitter
	}
	if j > 0 {
		j = min(j, 0.5)
		u := rand.Float64()
		if r.rand != nil {
			u = r.rand()
		}
		d = time.Duration(float64(d) * (1 + j*(2*u-1)))
	}
	return max(d, time.Millisecond)
}

// Run refreshes at once and then after each Delay, until ctx ends. A
// refresh under way when ctx ends is cut short and not counted.
//
// Run stops refreshing, and waits for ctx to end, when a fetch fails for
// good (ErrPermanent: RosterOn rejected the password, or refused the login
// with another message, ErrLoginMessage) or after MaxRefusals refused
// logins in a row (ErrRefused), since trying the same password again and
// again can get the account locked; the feed goes on serving what it has.
// With WithLoginKey and a State (or state folder) that stop outlives a
// restart with the same password (see GuardFile): Run then starts stopped
// and never logs in, unless RetryLogin. A Run that does not start stopped tells its
// Notify so: a stop alerted to before counts as dealt with, and a stale
// roster or a new stop alerts anew.
//
// Run is Start, then Step and the wait it returns, over and over; it is
// called once for a Refresher, and not alongside Start or Step.
//
// A refresh that finds every upcoming shift gone, where the roster served
// had some, is held: the roster served is kept, nothing is alerted, and
// the next refresh comes after ConfirmEmpty. Only if that one finds none
// either is the empty roster believed.
func (r *Refresher) Run(ctx context.Context) {
	if r.Start() {
		<-ctx.Done()
		return
	}
	for ctx.Err() == nil {
		d, stopped := r.Step(ctx)
		if stopped {
			<-ctx.Done()
			return
		}
		if ctx.Err() != nil || !r.wait(ctx, d) {
			return
		}
	}
}

// Start readies the refreshes: it loads the lock-out guard's state
// (applying RetryLogin) and, unless refreshes are stopped, marks the feed
// started and tells Notify to resume (see Run). It reports whether
// refreshes are stopped, by a stop an earlier run saved: it then logs why,
// marks the feed stopped and tells Notify (CheckHealth), and the caller
// must not call Step; the feed serves what it has and its status says
// why. Call it once, before the first Step. Run calls it; a job engine
// that runs one refresh at a time calls Start, then Step and CheckHealth.
func (r *Refresher) Start() (stopped bool) {
	r.stepMu.Lock()
	defer r.stepMu.Unlock()
	return r.startLocked()
}

func (r *Refresher) startLocked() (stopped bool) {
	if r.begun {
		return r.stopped.Load()
	}
	r.begun = true
	g, err := r.Feed.loadGuard()
	if err != nil {
		r.logf("warning: %v; counting refused logins afresh", err)
	}
	r.g = g
	if g.st.Stopped && r.RetryLogin {
		g.retry()
		r.saveGuard(g)
		r.logf("trying the login again, as asked (--retry-login): if RosterOn refuses it, refreshes stop again")
	}
	if g.st.Stopped {
		r.stopped.Store(true)
		r.Feed.stop(g.st.Reason, g.st.Why, g.st.Message, g.st.Since)
		r.logf("not logging in: refreshes stopped at %s because %s (%s); %s. To go on, %s",
			g.st.Since.Format(time.RFC3339), stopText(g.st.Reason), orUnknown(g.st.Why), r.serving(), restartText(g.st.Reason))
		r.CheckHealth()
		return true
	}
	r.Feed.markStarted()
	if r.Notify != nil {
		r.Notify.resume()
	}
	return false
}

// Stopped reports whether refreshes have stopped for good, at Start or at
// a Step, until a restart (see Run).
func (r *Refresher) Stopped() bool { return r.stopped.Load() }

// Step runs one refresh: it fetches the roster, and accepts it into the
// Feed, holds it (an empty roster, see Run) or records the failure,
// counts the login for the lock-out guard, and tells Notify (Observe, and
// CheckHealth) and Accepted, logging one line, as Run does at each
// refresh. It returns the wait before the next refresh, as Run waits it:
// Delay of the failures in a row (0 after a success), or ConfirmEmpty (at
// most Interval) while an empty roster is held; the Feed's status shows
// the next refresh due then. stopped is true once refreshes have stopped
// for good (see Run): Step must then not be called again, and a call
// returns (0, true) at once.
//
// A Step whose ctx ends mid-fetch logs that the refresh stopped, counts
// nothing and returns (0, false); one whose ctx has ended before it
// fetches nothing. A Step called without Start calls it first.
//
// Steps of one Refresher must not overlap: a second call waits for the
// first to return. They may run in any goroutine, one after the other;
// Run must not be used alongside them.
func (r *Refresher) Step(ctx context.Context) (next time.Duration, stopped bool) {
	r.stepMu.Lock()
	defer r.stepMu.Unlock()
	if r.startLocked() {
		return 0, true
	}
	if ctx.Err() != nil {
		return 0, false
	}
	g := r.g
	r.Feed.setNext(time.Time{})
	start := r.Feed.now()
	snap, err := r.Fetch(ctx)
	took := r.Feed.now().Sub(start)
	if ctx.Err() != nil {
		r.logf("refresh stopped after %s", round(took))
		return 0, false
	}
	var line string
	var changed bool
	var saveErr *SaveError
	// A reason stops at once; a refusal without one counts.
	reason := ""
	switch {
	case errors.Is(err, ErrLoginMessage):
		reason = StopLoginMessage
	case errors.Is(err, ErrPermanent):
		reason = StopRejected
	}
	refused := reason != "" || errors.Is(err, ErrRefused)
	if (err == nil && snap != nil) || (!refused && errors.Is(err, ErrLoggedIn)) {
		g.accepted()
		r.saveGuard(g)
	}
	if err == nil && snap != nil && !r.held {
		if was, left := r.Feed.emptied(snap); was > 0 {
			r.held = true
			r.failures = 0
			r.Feed.hold(r.Feed.now())
			d := min(r.confirmEmpty(), r.interval())
			r.Feed.setNext(r.Feed.now().Add(d))
			r.logf("refresh ok in %s: %d shifts, none from today on where the roster served had %d: "+
				"kept serving it, as this is more often a glitch than news; reading again in %s to confirm",
				round(took), left, was, d.Round(time.Second))
			r.CheckHealth()
			return d, false
		}
	}
	if err == nil {
		if changed, err = r.Feed.Update(snap); errors.As(err, &saveErr) {
			err = nil
		}
	}
	if err == nil && r.Notify != nil {
		r.Notify.Observe(snap)
	}
	if err == nil && r.Accepted != nil {
		r.Accepted(snap, r.held && r.Feed.upcoming(snap.Items) == 0)
	}
	if err == nil {
		r.failures = 0
		what := "unchanged"
		if changed {
			what = "changed"
		}
		line = fmt.Sprintf("refresh ok in %s: %d shifts, %s", round(took), len(snap.Items), what)
		if r.held {
			line += ", the empty roster confirmed"
			if len(snap.Items) > 0 && r.Feed.upcoming(snap.Items) > 0 {
				line = fmt.Sprintf("refresh ok in %s: %d shifts, %s: the empty roster read before was a glitch",
					round(took), len(snap.Items), what)
			}
			r.held = false
		}
		if saveErr != nil {
			line += "; warning: " + saveErr.Error()
		}
	} else {
		r.failures++
		r.Feed.Fail(err)
		why := r.Feed.scrub(errorText(err))
		line = fmt.Sprintf("refresh failed after %s: %s; %s", round(took), why, r.serving())
		if refused && g.refused(reason, why, r.Feed.scrub(loginMessage(err)), r.Feed.now()) {
			r.saveGuard(g)
			r.stopped.Store(true)
			r.Feed.stop(g.st.Reason, why, g.st.Message, g.st.Since)
			r.logf("%s; no more refreshes until restarted, because %s and trying again could get the account locked: %s",
				line, stopText(g.st.Reason), restartText(g.st.Reason))
			r.CheckHealth()
			return 0, true
		}
		if refused {
			r.saveGuard(g)
			line += fmt.Sprintf("; RosterOn refused the login (%d of %d in a row before refreshes stop)", g.st.Refusals, MaxRefusals)
		}
	}
	d := r.Delay(r.failures)
	r.Feed.setNext(r.Feed.now().Add(d))
	r.logf("%s; next in %s", line, d.Round(time.Second))
	r.CheckHealth()
	return d, false
}

// wait waits d, or until ctx ends, which it reports false. Should the
// roster turn stale meanwhile, or no roster be read long enough after the
// start, it tells the notifier then.
func (r *Refresher) wait(ctx context.Context, d time.Duration) bool {
	var steps []time.Duration
	var since time.Time // what the age that turns into trouble counts from
	if c, _, _ := r.Feed.current(); c != nil {
		since = c.fetched
	} else {
		since = r.Feed.startTime()
	}
	if !since.IsZero() {
		// Just past the instant the age passes the limit.
		if first := since.Add(r.Feed.staleAfter()).Sub(r.Feed.now()) + time.Millisecond; first > 0 && first < d {
			steps = append(steps, first)
			d -= first
		}
	}
	steps = append(steps, d)
	for i, step := range steps {
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		if i < len(steps)-1 {
			r.CheckHealth()
		}
	}
	return true
}

// CheckHealth tells Notify the feed's state, for its alerts when
// refreshes stop, the roster goes stale, or no roster is read long after
// the start, and when either mends. Step calls it after each refresh, and
// Run between refreshes when the roster turns stale meanwhile; a job
// engine running Steps calls it periodically instead. It is safe to call
// from any goroutine, alongside a Step.
func (r *Refresher) CheckHealth() {
	if r.Notify != nil {
		r.Notify.health(r.Feed.Status())
	}
}

func (r *Refresher) saveGuard(g *guard) {
	if err := g.save(); err != nil {
		r.logf("warning: %v", err)
	}
}

func (r *Refresher) confirmEmpty() time.Duration {
	if r.ConfirmEmpty > 0 {
		return r.ConfirmEmpty
	}
	return DefaultConfirmEmpty
}

// stopText says why refreshes stopped, after "because".
func stopText(reason string) string {
	switch reason {
	case StopRejected:
		return "RosterOn rejected the password"
	case StopLoginMessage:
		return "RosterOn refused the login with a message on its login page (an account locked, say)"
	}
	return fmt.Sprintf("RosterOn refused %d logins in a row", MaxRefusals)
}

// restartText says what to do once refreshes stopped for reason.
func restartText(reason string) string {
	switch reason {
	case StopLoginMessage:
		return "sort out what RosterOn's message says (the feed's page quotes it), then restart with --retry-login " +
			"to try this password once more, or with a new password"
	}
	return "restart with a new password, or with --retry-login to try this one once more"
}

func orUnknown(s string) string {
	if s == "" {
		return "no error recorded"
	}
	return s
}

// serving says what the feed serves after a failed refresh.
func (r *Refresher) serving() string {
	c, _, _ := r.Feed.current()
	if c == nil {
		return "nothing to serve yet"
	}
	return fmt.Sprintf("serving the roster fetched %s ago", round(r.Feed.now().Sub(c.fetched)))
}

func (r *Refresher) logf(format string, args ...any) {
	if r.Log == nil {
		return
	}
	logLine(r.Log, r.Feed, r.Feed.scrub(fmt.Sprintf(format, args...)))
}

// logLine writes one line of serve's log, stamped with the feed's clock.
func logLine(w io.Writer, f *Feed, msg string) {
	fmt.Fprintf(w, "rosteron serve: %s %s\n", f.now().Format(time.RFC3339), msg)
}

// round shortens a duration for people: tenths of a second below a
// minute, whole seconds above.
func round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
