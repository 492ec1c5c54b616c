package browser

import (
	"context"
	"time"
)

// settleScript installs, once per document, an observer of the page's DOM,
// and returns how many milliseconds ago the DOM last changed (since the
// observer began, at first).
const settleScript = `(() => {
	const k = Symbol.for('rosteronSettle');
	if (!window[k]) {
		const s = window[k] = {last: performance.now()};
		new MutationObserver(() => { s.last = performance.now(); })
			.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
	}
	return performance.now() - window[k].last;
})()`

// settlePoll is how often Settle looks at the page.
const settlePoll = 25 * time.Millisecond

// Settle waits until the page's scripts have settled: no request of the
// page under way and no change to its DOM for quiet, or until bound has
// passed since the call, whichever comes first. It reports whether the
// page settled; a page still busy at the bound is no error; only ctx
// ending or the tab failing is. The bodies of the exchanges that ended
// meanwhile (the page's own XHRs, say) are read before it returns, while
// the page that made them is still current.
func (t *Tab) Settle(ctx context.Context, quiet, bound time.Duration) (bool, error) {
	deadline := time.Now().Add(bound)
	for {
		sinceDOM, err := Eval[float64](ctx, t, settleScript)
		if err != nil {
			return false, err
		}
		pending, lastNet := t.rec.activity()
		if pending == 0 && time.Duration(sinceDOM*float64(time.Millisecond)) >= quiet && time.Since(lastNet) >= quiet {
			t.readBodies(ctx)
			return true, nil
		}
		if !time.Now().Before(deadline) {
			t.readBodies(ctx)
			return false, nil
		}
		timer := time.NewTimer(min(settlePoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		case <-t.ctx.Done():
			timer.Stop()
			return false, ErrTabGone
		case <-timer.C:
		}
	}
}

// readBodies reads the bodies of the exchanges that have ended since the
// last read, bounded by ctx.
func (t *Tab) readBodies(ctx context.Context) {
	c, cancel := t.bind(ctx)
	defer cancel()
	t.getBodies(c)
}
