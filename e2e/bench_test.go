package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/session"
)

// BenchmarkSessions runs the full flow (log in, roster, log out, close) on
// one shared browser, four sessions at a time, against an in-process mock,
// and reports sessions per second.
func BenchmarkSessions(b *testing.B) {
	br := chrome.Get(b)
	_, url := newMock(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	const parallel = 4
	work := make(chan struct{})
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range parallel {
		wg.Go(func() {
			for range work {
				if err := flow(ctx, url, br); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sessions/s")
}

func flow(ctx context.Context, url string, br *browser.Browser) error {
	s, err := session.New(url, session.WithBrowser(br))
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
