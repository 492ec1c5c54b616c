package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/internal/backoff"
	"github.com/rosteron/rosteron/service"
	"github.com/rosteron/rosteron/snapshot"
)

// syncOnce is an account's calendar sync for the service's calendar jobs
// (the outbox, service.Options.Sync): one sync of the roster committed,
// as calendar.Syncer makes each of its own, one at a time on this
// replica. It logs each sync and each write through logf. A failure is
// tried again after the Syncer's waits; a calendar that refuses the
// credentials is not tried again by this runtime (a new password
// reloads the account, and so a new one), lest an app password be
// locked out; a roster with no shift from today on, where the calendar
// has upcoming events, is held until a read confirms it.
func syncOnce(cal calendar.Calendar, opts calendar.Options, logf func(string)) service.SyncFunc {
	var mu sync.Mutex
	failures, empties := 0, 0
	var refused error
	return func(ctx context.Context, snap *snapshot.Snapshot, allowEmpty bool) (time.Duration, error) {
		mu.Lock()
		defer mu.Unlock()
		if refused != nil {
			return 0, refused
		}
		// As the Syncer: an empty roster is believed once confirmed, or
		// read twice in a row (here, by the syncs of this runtime).
		if upcoming(snap, calendar.Today(time.Now(), opts.Location)) == 0 {
			empties++
		} else {
			empties = 0
		}
		o := opts
		o.Now, o.AllowEmpty = time.Time{}, allowEmpty || empties >= 2
		sctx, cancel := context.WithTimeout(ctx, calendar.DefaultSyncTimeout)
		res, err := calendar.Sync(sctx, cal, snap, o)
		cancel()
		for _, l := range res.Lines {
			logf("calendar: " + l)
		}
		var auth *calendar.AuthError
		switch {
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case errors.As(err, &auth):
			refused = err
			logf(fmt.Sprintf("calendar sync stopped: %v. No more syncs until its settings change, since trying the same "+
				"credentials again could lock them out (the feed goes on)", err))
			return 0, err
		case errors.Is(err, calendar.ErrEmptyRoster):
			logf(fmt.Sprintf("calendar sync held: the roster read has no shift from today on, but %s has upcoming events: "+
				"not deleting them until a read confirms it", cal))
			failures = 0
			return 0, err
		case err != nil:
			failures++
			d := backoff.Wait(failures, calendar.DefaultSyncBackoff, calendar.DefaultSyncMaxBackoff, rand.Float64())
			logf(fmt.Sprintf("calendar sync failed: %v; next try in %s", err, d.Round(time.Second)))
			return d, err
		}
		failures = 0
		logf(fmt.Sprintf("calendar sync ok: %s: %s", cal, res))
		return 0, nil
	}
}

// upcoming counts snap's shifts from today on.
func upcoming(snap *snapshot.Snapshot, today snapshot.Date) int {
	n := 0
	for _, it := range snap.Items {
		if !it.Date.Before(today) {
			n++
		}
	}
	return n
}
