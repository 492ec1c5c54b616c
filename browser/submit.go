package browser

import (
	"context"
	"sync"
)

// Submit clicks the element matching selector as Click does and returns
// the first response of the navigation that causes. A redirect is not
// followed: the navigation stops there, with the redirect's cookies set,
// and Location says where it points (Fetch goes there without rendering).
// Any other response is rendered as Click renders it.
func (t *Tab) Submit(ctx context.Context, selector string) (*Document, error) {
	c, cancel := t.bind(ctx)
	defer cancel()
	nav := t.arm()
	defer t.disarm(nav)

	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := t.click(c, selector)
		done <- result{resp, err}
	}()
	var r result
	select {
	case <-nav.stopped:
		// Stopped by us: the click's wait ends with net::ERR_ABORTED,
		// which is no failure here.
		cancel()
		<-done
	case r = <-done:
	}
	if oe := t.refusedIn(c); oe != nil {
		return nil, oe
	}
	if doc := nav.document(); doc != nil {
		return doc, nil
	}
	resp, err := t.finish(ctx, c, r.resp, r.err)
	if err != nil {
		return nil, err
	}
	return &Document{Response: *resp, Rendered: true}, nil
}

// navigation is a navigation Submit waits for: the interceptor stops it
// at the first main-frame redirect it sees after from, the number of
// exchanges recorded when it began.
type navigation struct {
	from int

	mu sync.Mutex
	// claimed is set by the one redirect that stops the navigation: two
	// can be paused at once, each handled in a goroutine of its own,
	// and only one may close stopped.
	claimed bool
	doc     *Document     // the redirect it was stopped at
	stopped chan struct{} // closed once the stop has been asked for
}

func (t *Tab) arm() *navigation {
	nav := &navigation{from: t.rec.count(), stopped: make(chan struct{})}
	t.navMu.Lock()
	t.nav = nav
	t.navMu.Unlock()
	return nav
}

func (t *Tab) disarm(nav *navigation) {
	t.navMu.Lock()
	if t.nav == nav {
		t.nav = nil
	}
	t.navMu.Unlock()
}

// claim returns the armed navigation if the exchange at pos belongs to it
// and no other redirect has claimed it, and claims it: the caller, and no
// one else, stops it.
func (t *Tab) claim(pos int) *navigation {
	t.navMu.Lock()
	defer t.navMu.Unlock()
	nav := t.nav
	if nav == nil || pos < nav.from {
		return nil
	}
	nav.mu.Lock()
	defer nav.mu.Unlock()
	if nav.claimed {
		return nil
	}
	nav.claimed = true
	return nav
}

func (nav *navigation) setDoc(doc *Document) {
	nav.mu.Lock()
	nav.doc = doc
	nav.mu.Unlock()
}

func (nav *navigation) document() *Document {
	nav.mu.Lock()
	defer nav.mu.Unlock()
	return nav.doc
}
