// Package chrometest shares one real Chrome among a package's tests.
//
// Outside CI a machine without Chrome skips the browser tests, so the pure
// tests still run anywhere. In CI (CI=true) a missing or broken Chrome fails
// the run: a browser test that skips there proves nothing.
package chrometest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosteron/rosteron/browser"
)

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of Chrome.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Shared is a browser started once for a test binary.
type Shared struct {
	once sync.Once
	b    *browser.Browser
	err  error
}

// Get returns the shared browser, starting it on first use (so a test run
// that selects only pure tests never starts Chrome). Without Chrome it
// skips the test, or fails it in CI.
func (s *Shared) Get(t testing.TB) *browser.Browser {
	t.Helper()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s.b, s.err = browser.Open(ctx)
	})
	if s.err != nil {
		if errors.Is(s.err, browser.ErrNoChrome) && !InCI() {
			t.Skipf("no Chrome on this machine (set CI=true to make this a failure): %v", s.err)
		}
		t.Fatalf("starting Chrome for the tests: %v", s.err)
	}
	return s.b
}

// Close stops the browser if it was started. Call it from TestMain after
// m.Run.
func (s *Shared) Close() {
	if s.b != nil {
		if err := s.b.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "closing the shared Chrome:", err)
		}
	}
}
