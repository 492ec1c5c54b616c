package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

var (
	// bin is the rosteron binary built for this test run.
	bin string
	// mockURL is the base URL of the shared mock server.
	mockURL string
	chrome  chrometest.Shared
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rosteron-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "rosteron")
	build := exec.Command("go", "build", "-o", bin, "../cmd/rosteron")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the CLI:", err)
		return 1
	}

	mockURL = os.Getenv("ROSTERON_E2E_URL")
	if mockURL == "" {
		stop, url, err := startMock(bin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "starting `rosteron mock`:", err)
			return 1
		}
		defer stop()
		mockURL = url
	}
	code := m.Run()
	chrome.Close()
	return code
}

// startMock runs `rosteron mock` on a free port and reads its URL from the
// first line it prints.
func startMock(bin string) (stop func(), url string, err error) {
	cmd := exec.Command(bin, "mock", "--addr", listenHost()+":0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		const prefix = "rosteron mock serving "
		if !ok || !strings.HasPrefix(line, prefix) {
			stop()
			return nil, "", fmt.Errorf("unexpected first line %q", line)
		}
		url = strings.TrimPrefix(line, prefix)
	case <-time.After(30 * time.Second):
		stop()
		return nil, "", fmt.Errorf("no URL within 30s")
	}
	return stop, forBrowser(url), nil
}

// forBrowser is url as the browser the tests use reaches it: a server of
// the tests listening on all addresses is reached by ROSTERON_E2E_HOST
// from a Chrome in another container.
func forBrowser(url string) string {
	if h := os.Getenv("ROSTERON_E2E_HOST"); h != "" {
		return strings.Replace(url, "://0.0.0.0:", "://"+h+":", 1)
	}
	return url
}

// listenHost is where servers of the tests listen: loopback, unless a
// remote Chrome must reach them.
func listenHost() string {
	if os.Getenv("ROSTERON_E2E_HOST") != "" {
		return "0.0.0.0"
	}
	return "127.0.0.1"
}

// newMock starts an in-process mock server, for the fault modes, reachable
// by the browser the tests use.
func newMock(t testing.TB, opts ...mockserver.Option) (*mockserver.Server, string) {
	t.Helper()
	m := mockserver.New(opts...)
	l, err := net.Listen("tcp", listenHost()+":0")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(m)
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	t.Cleanup(ts.Close)
	host := "127.0.0.1"
	if h := os.Getenv("ROSTERON_E2E_HOST"); h != "" {
		host = h
	}
	return m, fmt.Sprintf("http://%s:%d%s", host, l.Addr().(*net.TCPAddr).Port, m.BasePath())
}

// result is a finished CLI run.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the binary with the given environment additions (the tests'
// own environment is kept, so ROSTERON_BROWSER passes through) and an
// isolated TMPDIR, so the Chrome it starts can be found and counted.
func cli(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	tmp := t.TempDir()
	cmd.Env = append(cleanEnv(), append([]string{"TMPDIR=" + tmp}, env...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running rosteron %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	assertNoChromeLeft(t, tmp)
	return result{code: code, stdout: out.String(), stderr: withoutPlainWarnings(errb.String())}
}

// withoutPlainWarnings drops the warnings of --allow-http from a run's
// standard error when the suite runs with ROSTERON_ALLOW_HTTP, as in
// Compose, where the mock and Chrome are reached by name over plain http
// and ws: every run warns of it, and the tests check the rest of what it
// says. cmd/rosteron's tests check the warnings themselves.
func withoutPlainWarnings(stderr string) string {
	if !chrometest.AllowHTTP() {
		return stderr
	}
	lines := strings.SplitAfter(stderr, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "rosteron: warning: --allow-http: ") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}

// cleanEnv is the test's environment without the variables a test sets
// itself.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "ROSTERON_PASSWORD", "ROSTERON_URL", "ROSTERON_USERNAME", "TMPDIR":
			continue
		}
		env = append(env, kv)
	}
	if os.Geteuid() == 0 && os.Getenv("ROSTERON_NO_SANDBOX") == "" {
		// Chrome gets no sandbox as root, and rosteron warns of it on
		// every run that does not ask for none itself: the tests ask, so
		// that their runs' stderr holds what each checks (TestRootWarns
		// hears the warning).
		env = append(env, "ROSTERON_NO_SANDBOX=1")
	}
	return env
}

// assertNoChromeLeft checks that no process still uses a Chrome profile
// under tmp: the CLI's Chrome and all its children are gone when it exits.
func assertNoChromeLeft(t *testing.T, tmp string) {
	t.Helper()
	var left []int
	deadline := time.Now().Add(3 * time.Second)
	for {
		left = chrometest.Mentioning(tmp)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		var procs []string
		for _, p := range left {
			line := strings.Join(chrometest.Args(p), " ")
			procs = append(procs, fmt.Sprintf("%d: %s", p, line[:min(len(line), 100)]))
		}
		t.Errorf("Chrome processes left behind: %v", procs)
	}
}

// requireReachable fails early with a clear message when the shared mock
// is down.
func requireReachable(t *testing.T) {
	t.Helper()
	resp, err := http.Get(mockURL + "/Account/Login")
	if err != nil {
		t.Fatalf("the mock at %s is not reachable: %v", mockURL, err)
	}
	resp.Body.Close()
}
