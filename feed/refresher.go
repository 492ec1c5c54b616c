package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// FetchFunc fetches the roster once: log in, get the roster, log out. It
// bounds its own run, and must return soon after ctx ends. An error that
// matches ErrPermanent (see Permanent) stops the refreshes.
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
	// its changes.
	Notify *Notifier

	rand func() float64 // [0, 1); for tests
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
// refresh under way when ctx ends is cut short and not counted. After a
// fetch fails for good (ErrPermanent: RosterOn rejected the credentials)
// Run stops refreshing, since trying the same password again and again
// can get the account locked, and waits for ctx to end; the feed goes on
// serving what it has, marked stale.
func (r *Refresher) Run(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		r.Feed.setNext(time.Time{})
		start := r.Feed.now()
		snap, err := r.Fetch(ctx)
		took := r.Feed.now().Sub(start)
		if ctx.Err() != nil {
			r.logf("refresh stopped after %s", round(took))
			return
		}
		var line string
		var changed bool
		var saveErr *SaveError
		if err == nil {
			if changed, err = r.Feed.Update(snap); errors.As(err, &saveErr) {
				err = nil
			}
		}
		if err == nil && r.Notify != nil {
			r.Notify.Observe(snap)
		}
		if err == nil {
			failures = 0
			what := "unchanged"
			if changed {
				what = "changed"
			}
			line = fmt.Sprintf("refresh ok in %s: %d shifts, %s", round(took), len(snap.Items), what)
			if saveErr != nil {
				line += "; warning: " + saveErr.Error()
			}
		} else {
			failures++
			r.Feed.Fail(err)
			line = fmt.Sprintf("refresh failed after %s: %s; %s", round(took), r.Feed.scrub(errorText(err)), r.serving())
			if errors.Is(err, ErrPermanent) {
				r.Feed.stop()
				r.logf("%s; no more refreshes until restarted, so that RosterOn does not lock the account: "+
					"set the right password and restart", line)
				<-ctx.Done()
				return
			}
		}
		d := r.Delay(failures)
		r.Feed.setNext(r.Feed.now().Add(d))
		r.logf("%s; next in %s", line, d.Round(time.Second))

		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
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
