package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// Browser is a running Chrome, local or remote. Many tabs may use it at once;
// each lives in its own browser context. The zero value is not usable: call
// Launch, Connect, Open or Adopt.
type Browser struct {
	ctx         context.Context // the browser's root chromedp context
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
	remote      string
	adopted     bool   // the caller's chromedp browser (see Adopt)
	profile     string // a launched Chrome's user data dir, removed on close
	version     string

	mu        sync.Mutex
	firstUsed bool

	// ready holds tabs made ahead (WithReadyTabs); nil without.
	ready       chan *Tab
	readyMu     sync.Mutex
	making      int
	readyClosed bool

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool // Close was called: Chrome is gone or going
}

type config struct {
	execPath string
	remote   string
	// remoteToken is WithRemoteToken's bearer token; allowPlaintext is
	// WithAllowPlaintext.
	remoteToken    string
	allowPlaintext bool
	flags          []flag
	env            []string
	envSet         bool
	readyTabs      int
}

type flag struct {
	name  string
	value any
}

// Option configures Launch, Connect and Open.
type Option func(*config)

// WithExecPath names the Chrome binary to launch instead of the one
// FindChrome finds.
func WithExecPath(path string) Option { return func(c *config) { c.execPath = path } }

// WithRemote makes Open connect to the DevTools endpoint at wsURL
// (ws://host:port or ws://host:port/devtools/browser/…) instead of launching
// a local Chrome.
func WithRemote(wsURL string) Option { return func(c *config) { c.remote = wsURL } }

// WithRemoteToken makes Connect (and Open with WithRemote) send token as
// "Authorization: Bearer TOKEN" on every request to the DevTools endpoint:
// the /json/version lookup of the browser's websocket address, which
// Connect then does itself, and the websocket handshake. It is for an
// endpoint that requires one, such as rosteron chrome's. The websocket
// address is then taken from the endpoint's answer by its path only, on
// the scheme and host given to Connect, so the token goes to no other
// host. An empty token sends none.
func WithRemoteToken(token string) Option { return func(c *config) { c.remoteToken = token } }

// WithAllowPlaintext lets Connect use a plain ws:// or http:// DevTools
// address to a host that is not this machine's loopback. Everything the
// session sends Chrome, the password typed into the login form included,
// then crosses the network in clear, as does WithRemoteToken's token: it
// is for a private network such as Compose's, and callers should warn.
func WithAllowPlaintext() Option { return func(c *config) { c.allowPlaintext = true } }

// WithFlag adds a Chrome command-line flag (value true for a bare switch,
// false to remove a default one, or a string).
func WithFlag(name string, value any) Option {
	return func(c *config) { c.flags = append(c.flags, flag{name, value}) }
}

// withEnv sets the whole environment of a launched Chrome, as NAME=value
// pairs, in place of ChromeEnv(os.Environ()); no ROSTERON_* variable is
// passed all the same. Only the tests set it, to show that the last
// holds whatever Chrome is given.
func withEnv(vars ...string) Option {
	return func(c *config) { c.env, c.envSet = append(c.env, vars...), true }
}

// Open connects to the endpoint of WithRemote when one is given, and
// otherwise launches a local Chrome.
func Open(ctx context.Context, opts ...Option) (*Browser, error) {
	cfg := newConfig(opts)
	if cfg.remote != "" {
		return Connect(ctx, cfg.remote, opts...)
	}
	return Launch(ctx, opts...)
}

func newConfig(opts []Option) *config {
	cfg := &config{}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// Launch starts a local headless Chrome (see FindChrome) and returns once it
// answers. ctx bounds the start only: the browser lives until Close. Chrome
// starts with ChromeEnv's part of the program's environment: no ROSTERON_*
// variable, the password's among them, reaches it.
func Launch(ctx context.Context, opts ...Option) (*Browser, error) {
	cfg := newConfig(opts)
	path, err := FindChrome(cfg.execPath)
	if err != nil {
		return nil, err
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		// Keep Chrome from calling home (component updates,
		// reliability reports, pings): nobody but the site a session
		// visits should hear from its browser, and a container may
		// have no other network to reach.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-default-browser-check", true),
		// Cookies, cache and storage in memory only: a session's cookie
		// never reaches the disk, and the profile folder stays empty,
		// so nothing is written during the run or removed after it.
		chromedp.Flag("incognito", true),
		// No new windows: a popup is a target of its own, which the
		// tab's interception (AllowOrigins) does not see, so a page
		// could send what was typed into it anywhere from one.
		chromedp.Flag("block-new-web-contents", true),
	)
	env := cfg.env
	if !cfg.envSet {
		env = ChromeEnv(os.Environ())
	}
	// Chrome inherits nothing: a password in the program's environment
	// would otherwise sit in every Chrome process's, and in its crash
	// reports.
	allocOpts = append(allocOpts, chromedp.NoInheritEnv, chromedp.Env(withoutOwn(env)...))
	allocOpts = append(allocOpts, processOptions()...)
	for _, f := range cfg.flags {
		allocOpts = append(allocOpts, chromedp.Flag(f.name, f.value))
	}
	// The profile is ours rather than chromedp's: chromedp would, on
	// close, scan /proc for stragglers for tens of milliseconds, where
	// killing Chrome's process group (see shutdown) already leaves none.
	profile, err := os.MkdirTemp("", "rosteron-chrome-")
	if err != nil {
		return nil, fmt.Errorf("making Chrome's profile folder: %w", err)
	}
	allocOpts = append(allocOpts, chromedp.UserDataDir(profile))
	// The browser must outlive ctx, which may carry the caller's
	// deadline for the start; Close ends it.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	b := newBrowser(cfg)
	b.allocCancel, b.profile = allocCancel, profile
	if err := b.start(ctx, allocCtx); err != nil {
		return nil, fmt.Errorf("starting Chrome %s: %w", path, err)
	}
	return b, nil
}

// Connect attaches to a running Chrome's DevTools endpoint, such as
// ws://127.0.0.1:9222 or the wss:// address of a hosted one. Close then
// closes this client's tabs but leaves that browser running.
//
// A plain ws:// or http:// address to a host that is not this machine's
// loopback (localhost, 127.0.0.0/8, [::1], written as such) is refused
// before any connection, with an error matching ErrPlaintext, unless
// WithAllowPlaintext is given: whatever the session types into a remote
// Chrome's pages, a password included, would cross the network in clear.
// WithRemoteToken sends a bearer token, such as rosteron chrome's, on
// every request to the endpoint.
func Connect(ctx context.Context, wsURL string, opts ...Option) (*Browser, error) {
	cfg := newConfig(opts)
	u, err := checkRemote(wsURL, cfg.allowPlaintext)
	if err != nil {
		return nil, err
	}
	given := wsURL
	if cfg.remoteToken != "" && !validToken(cfg.remoteToken) {
		return nil, ErrBadToken
	}
	wsURL, err = lookupDebuggerURL(ctx, u, cfg.remoteToken)
	if err != nil {
		return nil, fmt.Errorf("connecting to the browser at %s: %w", redactURL(u), err)
	}
	allocOpts := []remote.Option{remote.NoModifyURL}
	if cfg.remoteToken != "" {
		allocOpts = append(allocOpts,
			remote.WithDialHTTPHeader(http.Header{"Authorization": {"Bearer " + cfg.remoteToken}}))
	}
	allocCtx, allocCancel := remote.NewAllocator(context.Background(), wsURL, allocOpts...)
	b := newBrowser(cfg)
	b.allocCancel, b.remote = allocCancel, given
	if err := b.start(ctx, allocCtx); err != nil {
		return nil, fmt.Errorf("connecting to the browser at %s: %w", redactURL(u), err)
	}
	return b, nil
}

func newBrowser(cfg *config) *Browser {
	b := &Browser{}
	if cfg.readyTabs > 0 {
		b.ready = make(chan *Tab, cfg.readyTabs)
	}
	return b
}

func (b *Browser) start(ctx, allocCtx context.Context) error {
	b.ctx, b.cancel = chromedp.NewContext(allocCtx)
	errc := make(chan error, 1)
	go func() {
		// The first run binds the browser's life to b.ctx, not to ctx.
		if err := chromedp.Do(b.ctx); err != nil {
			errc <- err
			return
		}
		v, err := chromedp.CallBrowser(b.ctx, cdpbrowser.GetVersion, cdp.Empty{})
		if err == nil {
			b.version = v.Product
		}
		errc <- nil
	}()
	select {
	case err := <-errc:
		if err != nil {
			b.shutdown()
			return err
		}
		return nil
	case <-ctx.Done():
		b.shutdown()
		return ctx.Err()
	}
}

// Version is the browser's product string, such as "Chrome/156.0.8078.108"
// or "HeadlessChrome/…".
func (b *Browser) Version() string { return b.version }

// Close ends the browser: a launched Chrome is stopped and its profile
// removed; a remote or adopted one only loses this Browser's tabs. Safe to
// call more than once and from several goroutines.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.closeReady()
		b.shutdown()
	})
	return b.closeErr
}

func (b *Browser) shutdown() {
	if b.ctx != nil && !b.adopted {
		// Chrome that died before Close (chromedp records why) is an
		// error; Close's own cancellation below is not.
		if err := context.Cause(b.ctx); err != nil && !errors.Is(err, context.Canceled) {
			b.closeErr = err
		}
	}
	if b.profile == "" {
		// A remote or adopted browser: only this Browser's tabs, and
		// its connection to a remote one, go.
		if b.cancel != nil {
			b.cancel()
		}
		if b.allocCancel != nil {
			b.allocCancel()
		}
		return
	}
	// A graceful Browser.close only costs time for a throwaway profile:
	// kill the whole launched Chrome at once. Reaping its processes
	// takes the kernel tens of milliseconds, for nothing that Close
	// promises, so it goes on in the background while the profile is
	// removed.
	pid := 0
	if b.ctx != nil {
		pid = b.PID()
	}
	killGroup(pid)
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		if b.cancel != nil {
			b.cancel()
		}
		if b.allocCancel != nil {
			b.allocCancel()
		}
		// Chrome is gone now: remove anything a dying process still
		// wrote after the removal below.
		_ = os.RemoveAll(b.profile)
	}()
	// Once more for a process the zygote forked as the first kill went
	// out, which that kill missed.
	killGroup(pid)
	if os.RemoveAll(b.profile) == nil {
		return
	}
	// A process still dying wrote into the folder: wait for it.
	<-reaped
	killGroup(pid)
	if err := os.RemoveAll(b.profile); err != nil && b.closeErr == nil {
		b.closeErr = fmt.Errorf("removing Chrome's profile: %w", err)
	}
}

// Alive reports whether the browser connection still works.
func (b *Browser) Alive() bool { return !b.closed.Load() && b.ctx.Err() == nil }

// PID is the process id of a launched Chrome (by Launch, or by the
// allocator of an adopted chromedp context), or 0 for a remote one.
func (b *Browser) PID() int {
	if b.remote != "" || b.ctx == nil {
		return 0
	}
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return c.Browser.Process().Pid
}

// WithInsecureTLS makes a launched Chrome accept any TLS certificate. It is
// for test servers with self-signed certificates; a person's password must
// never travel over a connection nobody verified, so callers should warn.
func WithInsecureTLS() Option {
	return WithFlag("ignore-certificate-errors", true)
}
