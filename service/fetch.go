package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/session"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// ErrBrowserClosed is the error of a fetch on a Browser that was closed.
var ErrBrowserClosed = errors.New("the service's browser is closed: the service is stopping")

// Browser is the one Chrome that every account's sessions share, each in
// a tab and browser context of its own (cookies, storage and cache apart).
// It is launched (or, with browser.WithRemote, connected to) on the first
// fetch, not before, and again on the fetch after it died: a Chrome that
// crashed, was killed or lost its connection is closed (its processes
// killed, its profile removed) and a new one started in its place, so the
// service goes on refreshing without a restart. The sessions that were
// under way in the dead one fail as outages (Classify), which neither
// count towards the lock-out guard nor reset it.
//
// Chrome is started as browser.Launch starts it: the password is typed
// into the login page through DevTools, never put in Chrome's arguments
// or environment.
type Browser struct {
	opts []browser.Option

	mu       sync.Mutex
	b        *browser.Browser
	launches int
	closed   bool
	warn     func(a *store.Account, err error)
}

// NewBrowser returns a shared browser that opens with opts (browser.Open's:
// WithRemote for a running Chrome, WithExecPath, WithReadyTabs to keep
// tabs made ahead, suiting Config.MaxSessions). It starts nothing yet.
func NewBrowser(opts ...browser.Option) *Browser {
	return &Browser{opts: append([]browser.Option(nil), opts...)}
}

// OnWarning makes fn get what a fetch that succeeded could not do all
// the same: a logout that failed after the roster was read (RosterOn may
// then keep the session open until it expires). Without it they go
// nowhere; the roster is returned either way. Call it before the first
// fetch.
func (b *Browser) OnWarning(fn func(a *store.Account, err error)) {
	b.mu.Lock()
	b.warn = fn
	b.mu.Unlock()
}

// Launches returns how many times the browser was started: 1 after the
// first fetch, one more for each relaunch after Chrome died.
func (b *Browser) Launches() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.launches
}

// PID returns the process id of the launched Chrome now running, or 0
// when there is none or it is a remote one.
func (b *Browser) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil || !b.b.Alive() {
		return 0
	}
	return b.b.PID()
}

// Close stops the browser, if one runs, and makes later fetches fail with
// ErrBrowserClosed. The sessions still under way fail. Safe to call more
// than once.
func (b *Browser) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.b == nil {
		return nil
	}
	err := b.b.Close()
	b.b = nil
	return err
}

// get returns the running browser, starting one when there is none or
// the last one died. A start that fails leaves none, for the next fetch
// to try again.
func (b *Browser) get(ctx context.Context) (*browser.Browser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrBrowserClosed
	}
	if b.b != nil {
		if b.b.Alive() {
			return b.b, nil
		}
		// Chrome died: kill what is left of it and remove its
		// profile before starting another. Its error (why it died)
		// was each of its sessions' error already.
		_ = b.b.Close()
		b.b = nil
	}
	br, err := browser.Open(ctx, b.opts...)
	if err != nil {
		return nil, err
	}
	b.b = br
	b.launches++
	return br, nil
}

// closeTimeout bounds the logout and tab close of a session whose fetch
// failed or whose context ended, as `rosteron roster` bounds its own.
const (
	closeTimeout      = 10 * time.Second
	closeAfterTimeout = 2 * time.Second
)

// Fetch returns the FetchFunc of the service's Config: each call is one
// session in the shared browser, with opts (session.WithTimeout,
// session.WithRender, session.WithAllowHTTP for a test instance by name
// over plain http, …), through the limiter it is given, from login to
// logout; the session is always closed, logged out if the logout did not
// happen. Its error is Classify's.
func (b *Browser) Fetch(opts ...session.Option) FetchFunc {
	opts = append([]session.Option(nil), opts...)
	return func(ctx context.Context, a *store.Account, password string, limiter *session.Limiter) (*snapshot.Snapshot, error) {
		snap, err := b.fetch(ctx, a, password, limiter, opts)
		return snap, Classify(err)
	}
}

func (b *Browser) fetch(ctx context.Context, a *store.Account, password string, limiter *session.Limiter, opts []session.Option) (*snapshot.Snapshot, error) {
	if a == nil {
		return nil, errors.New("fetching a roster: no account given")
	}
	if password == "" {
		return nil, feed.Permanent(fmt.Errorf("no RosterOn password is kept for %s on %s: set one to refresh it", a.Username, a.Instance))
	}
	br, err := b.get(ctx)
	if err != nil {
		if errors.Is(err, ErrBrowserClosed) {
			return nil, err
		}
		return nil, &session.BrowserError{Purpose: session.StepBrowser, Err: err}
	}
	snap, err := b.session(ctx, br, a, password, limiter, opts)
	var failed *session.BrowserError
	if errors.As(err, &failed) && failed.Purpose == session.PurposeLogin && ctx.Err() == nil && dead(ctx, br) {
		// Chrome died as the session began, before the login page
		// came: nothing was sent to RosterOn, so the session is run
		// once more, in a new Chrome.
		if br, err = b.get(ctx); err != nil {
			return nil, &session.BrowserError{Purpose: session.StepBrowser, Err: err}
		}
		snap, err = b.session(ctx, br, a, password, limiter, opts)
	}
	return snap, err
}

// deadWait is how long a session that failed as it began waits for its
// browser to be known dead, the connection's loss being noticed apart
// from the failure.
const deadWait = 5 * time.Second

// dead reports whether br is dead, or dies within deadWait.
func dead(ctx context.Context, br *browser.Browser) bool {
	ctx, cancel := context.WithTimeout(ctx, deadWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for br.Alive() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// session runs one session in br, from login to logout, and closes it.
func (b *Browser) session(ctx context.Context, br *browser.Browser, a *store.Account, password string, limiter *session.Limiter, opts []session.Option) (snap *snapshot.Snapshot, err error) {
	// The shared browser and the limiter come last, so that no option
	// given to Fetch can replace them.
	s, err := session.New(a.Instance, append(opts[:len(opts):len(opts)], session.WithBrowser(br), session.WithLimiter(limiter))...)
	if err != nil {
		return nil, err
	}
	defer func() {
		budget := closeTimeout
		if ctx.Err() != nil {
			budget = closeAfterTimeout
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		defer cancel()
		_ = s.CloseContext(cctx) // its logout's failure is LogOut's below, or the step's that failed
	}()
	if err := s.LogIn(ctx, a.Username, password); err != nil {
		return nil, err
	}
	snap, err = s.GetRoster(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.LogOut(ctx); err != nil {
		b.mu.Lock()
		warn := b.warn
		b.mu.Unlock()
		if warn != nil {
			warn(a, fmt.Errorf("logging out of %s failed after the roster was read, so RosterOn may keep the session open until it expires: %w", a.Instance, err))
		}
	}
	return snap, nil
}
