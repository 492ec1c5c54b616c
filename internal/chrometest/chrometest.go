// Package chrometest shares one real Chrome among a package's tests, and
// is the tests' one answer to "which Chrome, and is there one?".
//
// The tests use the Chrome the environment names, as the command line
// does: ROSTERON_BROWSER, the DevTools address of a running one (the Docker
// Compose run points every test at its Chrome container this way), else
// ROSTERON_CHROME, the binary to launch, else the one browser.FindChrome
// finds. A remote one's DevTools token is in the file
// ROSTERON_BROWSER_TOKEN_FILE names, and ROSTERON_ALLOW_HTTP lets its
// plain ws:// address by name through, as in Compose. The library itself
// reads none of these variables.
//
// Outside CI a machine without Chrome skips the browser tests, so the pure
// tests still run anywhere. In CI (CI=true) a missing or broken Chrome fails
// the run: a browser test that skips there proves nothing. With -short
// (make unit) every test that needs Chrome skips, so none starts.
package chrometest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosteron/rosteron/browser"
)

// The variables that name the tests' Chrome, as for the command line.
const (
	EnvBrowser = "ROSTERON_BROWSER"
	EnvChrome  = "ROSTERON_CHROME"
	// EnvBrowserTokenFile holds the bearer token of the remote Chrome's
	// DevTools (rosteron chrome's); EnvAllowHTTP lets a plain ws://
	// address to a host other than loopback through, as in Compose.
	EnvBrowserTokenFile = "ROSTERON_BROWSER_TOKEN_FILE"
	EnvAllowHTTP        = "ROSTERON_ALLOW_HTTP"
)

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of Chrome.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// AllowHTTP reports whether ROSTERON_ALLOW_HTTP lets plain http:// and
// ws:// to hosts other than loopback through, as in Compose, where the
// mock and Chrome are reached by name on a private network.
func AllowHTTP() bool {
	on, _ := strconv.ParseBool(os.Getenv(EnvAllowHTTP))
	return on
}

// Remote is the DevTools address of the remote Chrome the tests use, or ""
// when they launch their own.
func Remote() string { return os.Getenv(EnvBrowser) }

// Options are the browser options for the Chrome the environment names:
// the remote one, else the binary of ROSTERON_CHROME, else none (so that
// browser.Launch finds one).
func Options() []browser.Option {
	if r := Remote(); r != "" {
		opts := []browser.Option{browser.WithRemote(r)}
		if f := os.Getenv(EnvBrowserTokenFile); f != "" {
			// A token that cannot be read fails Connect with a 401.
			b, _ := os.ReadFile(f)
			opts = append(opts, browser.WithRemoteToken(strings.TrimSpace(string(b))))
		}
		if AllowHTTP() {
			opts = append(opts, browser.WithAllowPlaintext())
		}
		return opts
	}
	if c := os.Getenv(EnvChrome); c != "" {
		return []browser.Option{browser.WithExecPath(c)}
	}
	return nil
}

// Vars are the variables of this process that name its Chrome, as
// NAME=value pairs, for a command line run by a test.
func Vars() []string {
	var vars []string
	for _, name := range []string{EnvBrowser, EnvChrome, EnvBrowserTokenFile, EnvAllowHTTP} {
		if v := os.Getenv(name); v != "" {
			vars = append(vars, name+"="+v)
		}
	}
	return vars
}

// Local returns the local Chrome binary the tests launch: ROSTERON_CHROME,
// else the one browser.FindChrome finds. This is the tests' one check for
// Chrome; its error matches browser.ErrNoChrome when there is none.
func Local() (string, error) {
	return browser.FindChrome(os.Getenv(EnvChrome))
}

// Need skips the test when there is no Chrome to use, or fails it in CI.
// A remote Chrome counts as there: a test finds out soon enough whether
// it answers.
func Need(t testing.TB) {
	t.Helper()
	skipShort(t)
	if Remote() != "" {
		return
	}
	if _, err := Local(); err != nil {
		missing(t, err)
	}
}

// NeedLocal is Need for a test that must launch a Chrome of its own, to
// look at its processes: it returns the binary to launch, and skips the
// test when the tests are to use a remote Chrome.
func NeedLocal(t testing.TB) string {
	t.Helper()
	skipShort(t)
	if r := Remote(); r != "" {
		t.Skipf("launches a local Chrome, and the tests use the one at %s=%s", EnvBrowser, r)
	}
	path, err := Local()
	if err != nil {
		missing(t, err)
	}
	return path
}

func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chrome; skipped with -short")
	}
}

func missing(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, browser.ErrNoChrome) && !InCI() {
		t.Skipf("no Chrome on this machine (set CI=true to make this a failure): %v", err)
	}
	t.Fatalf("no Chrome for the tests: %v", err)
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
	Need(t)
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s.b, s.err = browser.Open(ctx, Options()...)
	})
	if s.err != nil {
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
