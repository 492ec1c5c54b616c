// Package benchflow is what BenchmarkSessions (e2e) and benchcli -cpu
// both measure: a warm session's whole flow, run several at once on one
// shared browser, so that their figures describe the same work.
package benchflow

import (
	"context"
	"sync"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// Parallel is how many sessions Run runs at once; a browser shared by
// them makes as many tabs ahead (browser.WithReadyTabs).
const Parallel = 4

// Session runs one whole session on b against the mock at url: log in as
// the demo user, get the roster, log out, close.
func Session(ctx context.Context, url string, b *browser.Browser) error {
	return SessionWith()(ctx, url, b)
}

// SessionWith is Session with the session's further options (a render
// mode, say).
func SessionWith(opts ...session.Option) func(ctx context.Context, url string, b *browser.Browser) error {
	return func(ctx context.Context, url string, b *browser.Browser) error {
		return runSession(ctx, url, b, opts)
	}
}

func runSession(ctx context.Context, url string, b *browser.Browser, opts []session.Option) error {
	s, err := session.New(url, append([]session.Option{session.WithBrowser(b)}, opts...)...)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.LogIn(ctx, mockserver.DemoUsername, mockserver.DemoPassword); err != nil {
		return err
	}
	if _, err := s.GetRoster(ctx); err != nil {
		return err
	}
	return s.LogOut(ctx)
}

// Run calls fn n times, Parallel at once, and returns how long that took
// and the first error a call returned; a failed call stops no other.
func Run(n int, fn func() error) (time.Duration, error) {
	work := make(chan struct{})
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range Parallel {
		wg.Go(func() {
			for range work {
				if err := fn(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for range n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return time.Since(start), first
}
