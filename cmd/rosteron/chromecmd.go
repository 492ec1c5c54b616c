package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/rosteron/rosteron/browser"
)

const chromeUsage = `Usage: rosteron chrome [flags]

Runs a headless Chrome for other machines and containers: rosteron roster
and serve elsewhere use it with --browser ws://HOST:PORT and
--browser-token-file. Chrome itself listens on loopback only; rosteron
serves its DevTools at --addr to clients that send the token, and stops
Chrome on SIGINT or SIGTERM. If Chrome exits, so does this command, with
status 1, for a supervisor to restart it. docker-compose.yml's e2e suite
uses it; its serve service starts its own Chrome instead.

Every request, websocket included, must carry "Authorization: Bearer
TOKEN"; any other gets 401 and learns nothing, not even Chrome's version.
The token is read from --token-file when that exists (it must be this
user's, mode 0600, and not a symbolic link), else made and saved there;
its folder must be this user's (or root's) and writable by no one else,
or another user could swap the file. Without --token-file it is kept in
$XDG_STATE_HOME/rosteron/chrome-token (else
~/.local/state/rosteron/chrome-token). It is never printed: clients read
the file.

Whoever has the token controls the browser: every page of every tab,
forms being typed included, its cookies, local files through file://
URLs. The token proves who connects but encrypts nothing: keep --addr on
loopback or on a private network such as Compose's.

Chrome's own DevTools port, behind rosteron's, is open without any token
on the loopback of the machine or container this runs on: whoever shares
that loopback can control this Chrome. So run rosteron chrome in a
container (or on a machine) of its own, where no other user shares its
loopback; outside a container (no /.dockerenv, no $container) it warns.
Chrome's own address is never printed or logged.

The first line on standard output is

  rosteron chrome: DevTools at ws://ADDR

Flags:
  --addr HOST:PORT    where to serve DevTools; port 0 picks a free one
                      (default 127.0.0.1:9222)
  --token-file PATH   the file that holds the token clients must send;
                      made, 0600, with a new token when missing (default
                      $XDG_STATE_HOME/rosteron/chrome-token)
  --chrome PATH       the Chrome to start (default $ROSTERON_CHROME, else
                      chromium-headless-shell, else the Chrome, Chromium or
                      Edge found where chromedp looks)
` + noSandboxUsage + `  -h, --help          print this help
`

// chromeArgs are the switches of a Chrome run for others: headless, no
// first-run screens, no calls home, shared memory in /tmp (/dev/shm is
// 64 MB in a container), and no new windows (a popup is a target of its
// own, which a session's tab does not intercept, so a login page could
// send the password anywhere from one).
var chromeArgs = []string{
	"--headless",
	"--disable-gpu",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-domain-reliability",
	"--disable-breakpad",
	"--disable-dev-shm-usage",
	"--disable-extensions",
	"--disable-sync",
	"--no-pings",
	"--metrics-recording-only",
	"--password-store=basic",
	"--use-mock-keychain",
	"--mute-audio",
	"--hide-scrollbars",
	"--block-new-web-contents",
	"--remote-debugging-address=127.0.0.1",
	"--remote-debugging-port=0",
}

// containerMarkers are files that say this process runs in a container:
// Docker's and Podman's. Tests change it.
var containerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

// runsInContainer reports whether this process looks to be in a container,
// where Chrome's loopback is the container's own: $container is set (as
// Podman, systemd-nspawn and LXC do), or one of markers exists.
func runsInContainer(getenv func(string) string, markers []string) bool {
	if getenv("container") != "" {
		return true
	}
	for _, m := range markers {
		if _, err := os.Stat(m); err == nil {
			return true
		}
	}
	return false
}

// devToolsLine is what Chrome prints once DevTools listens. It is read for
// the port, never passed on: its address takes no token.
var devToolsLine = regexp.MustCompile(`DevTools listening on ws://127\.0\.0\.1:(\d+)/`)

func (c *cli) chrome(ctx context.Context, args []string) error {
	const cmd = "chrome"
	fs := newFlagSet(cmd)
	addr := fs.String("addr", "127.0.0.1:9222", "")
	tokenFile := fs.String("token-file", "", "")
	chromePath := fs.String("chrome", "", "")
	noSandbox := fs.Bool("no-sandbox", false, "")
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "chrome takes no arguments, only flags (got %q)", pos[0])
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef(cmd, "invalid --addr %q: want HOST:PORT, such as 0.0.0.0:9222", *addr)
	}
	sandboxless, err := c.noSandbox(cmd, *noSandbox)
	if err != nil {
		return err
	}
	if !sandboxless {
		c.warnRootSandbox()
	}
	if !runsInContainer(c.getenv, containerMarkers) {
		c.errorf("warning: not in a container (no /.dockerenv, no $container): Chrome's own DevTools port, " +
			"on this machine's loopback, takes no token, so any user of this machine can control this Chrome; " +
			"run rosteron chrome in a container or on a machine of its own")
	}
	chrome := or(*chromePath, c.getenv("ROSTERON_CHROME"))
	path, err := browser.FindChrome(chrome)
	switch {
	case errors.Is(err, browser.ErrNoChrome):
		return err
	case err != nil:
		return usagef(cmd, "invalid --chrome %q (or ROSTERON_CHROME): no such program", chrome)
	}

	if *tokenFile == "" {
		if *tokenFile, err = chromeTokenPath(c.getenv); err != nil {
			return err
		}
	}
	token, made, err := chromeToken(*tokenFile)
	if err != nil {
		return err
	}
	if made {
		c.errorf("chrome: made a new DevTools token in %s: clients read it from there (--browser-token-file)", *tokenFile)
	} else {
		c.errorf("chrome: DevTools token from %s", *tokenFile)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	profile, err := os.MkdirTemp("", "rosteron-chrome-")
	if err != nil {
		return fmt.Errorf("making Chrome's profile folder: %w", err)
	}
	defer os.RemoveAll(profile)

	argv := append([]string{}, chromeArgs...)
	if sandboxless || os.Geteuid() == 0 {
		// Chrome refuses to run as root with its sandbox.
		argv = append(argv, "--no-sandbox")
	}
	argv = append(argv, "--user-data-dir="+profile, "about:blank")
	proc := exec.Command(path, argv...)
	// Only what Chrome uses of this environment, never a password.
	proc.Env = browser.ChromeEnv(os.Environ())
	ownGroup(proc)
	// Not StderrPipe: Wait would close it while its lines were still
	// being read, losing Chrome's last words.
	chromeLog := newChromeLog(c.stderr)
	proc.Stderr = chromeLog
	// A child of Chrome's still holding its standard error once Chrome
	// has exited holds up Wait for no longer than this.
	proc.WaitDelay = 5 * time.Second
	if err := proc.Start(); err != nil {
		return fmt.Errorf("starting Chrome %s: %w", path, err)
	}
	exited := make(chan error, 1)
	go func() {
		err := proc.Wait() // once Chrome has exited and its log is copied
		chromeLog.flush()  // a last line without a line break
		exited <- err
	}()
	defer func() {
		killGroup(proc)
		<-exited
	}()

	var port string
	select {
	case port = <-chromeLog.port:
	case err := <-exited:
		exited <- err
		return fmt.Errorf("chrome %s exited before DevTools listened: %v", path, err)
	case <-time.After(time.Minute):
		return fmt.Errorf("chrome %s: DevTools did not listen within a minute", path)
	case <-ctx.Done():
		return nil
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("chrome %s: DevTools on port %q", path, port)
	}

	fmt.Fprintf(c.stdout, "rosteron chrome: DevTools at ws://%s\n", ln.Addr())
	if f, ok := c.stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", port)}
	srv := &http.Server{
		Handler:           devToolsProxy(target, token, c.errorf),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	select {
	case err := <-exited:
		exited <- err
		return fmt.Errorf("chrome exited: %v", err)
	case <-ctx.Done():
		return nil
	}
}
