package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/rosteron/rosteron/browser"
)

const chromeUsage = `Usage: rosteron chrome [flags]

Runs a headless Chrome for other machines and containers: rosteron roster
and serve elsewhere use it with --browser ws://HOST:PORT. This is
docker-compose.yml's chrome service. Chrome itself listens on loopback
only; rosteron forwards --addr to it, and stops it on SIGINT or SIGTERM.
If Chrome exits, so does this command, with status 1, for a supervisor to
restart it.

Whoever reaches --addr controls the browser, and through it every page it
has open: keep it on loopback or on a private network such as Compose's.

The first line on standard output is

  rosteron chrome: DevTools at ws://ADDR

Flags:
  --addr HOST:PORT    where to serve DevTools; port 0 picks a free one
                      (default 127.0.0.1:9222)
  --chrome PATH       the Chrome to start (default $ROSTERON_CHROME, else
                      chromium-headless-shell, else the Chrome, Chromium or
                      Edge found where chromedp looks)
` + noSandboxUsage + `  -h, --help          print this help
`

// chromeArgs are the switches of a Chrome run for others: headless, no
// first-run screens, no calls home, shared memory in /tmp (/dev/shm is
// 64 MB in a container).
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
	"--remote-debugging-address=127.0.0.1",
	"--remote-debugging-port=0",
}

// devToolsLine is what Chrome prints once DevTools listens.
var devToolsLine = regexp.MustCompile(`DevTools listening on ws://127\.0\.0\.1:(\d+)/`)

func (c *cli) chrome(ctx context.Context, args []string) error {
	const cmd = "chrome"
	fs := newFlagSet(cmd)
	addr := fs.String("addr", "127.0.0.1:9222", "")
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
	chrome := or(*chromePath, c.getenv("ROSTERON_CHROME"))
	path, err := browser.FindChrome(chrome)
	switch {
	case errors.Is(err, browser.ErrNoChrome):
		return err
	case err != nil:
		return usagef(cmd, "invalid --chrome %q (or ROSTERON_CHROME): no such program", chrome)
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
	go forward(ln, net.JoinHostPort("127.0.0.1", port))

	select {
	case err := <-exited:
		exited <- err
		return fmt.Errorf("chrome exited: %v", err)
	case <-ctx.Done():
		return nil
	}
}

// forward copies each connection to ln to and from target until either
// side closes it, until ln is closed. DevTools' HTTP answers name the host
// the request named, so clients connect back through ln.
func forward(ln net.Listener, target string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			up, err := net.DialTimeout("tcp", target, 10*time.Second)
			if err != nil {
				return
			}
			defer up.Close()
			var wg sync.WaitGroup
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				_, _ = io.Copy(dst, src)
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
			}
			go pipe(up, conn)
			go pipe(conn, up)
			wg.Wait()
		}()
	}
}
