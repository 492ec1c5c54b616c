package e2e

import (
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

// started is a CLI run in progress.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	tmp            string
	done           chan struct{}
}

// start runs the CLI without waiting for it, with an isolated TMPDIR.
func start(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), append([]string{"TMPDIR=" + tmp}, env...)...)
	r := &started{cmd: cmd, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, tmp: tmp, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	require.NoError(t, cmd.Start())
	go func() { cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
	})
	return r
}

func (r *started) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		t.Fatalf("rosteron did not exit within %v; stderr: %s", limit, r.stderr)
	}
	assertNoChromeLeft(t, r.tmp)
	return r.cmd.ProcessState.ExitCode()
}

// waitHanging waits until the mock holds a request it will never answer.
func waitHanging(t *testing.T, m *mockserver.Server) {
	t.Helper()
	require.Eventually(t, func() bool { return m.Hanging() > 0 }, 30*time.Second, 10*time.Millisecond)
}

func TestCLISignalsLogOutAndExit(t *testing.T) {
	needChrome(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			m, url := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
			t.Cleanup(m.Close)
			logs := filepath.Join(t.TempDir(), "logs")
			r := start(t, demoEnv(), "roster", "--url", url, "--save-logs", logs)
			waitHanging(t, m)
			require.Equal(t, 1, m.Sessions(), "logged in, waiting for the roster")
			require.NoError(t, r.cmd.Process.Signal(tc.sig))
			code := r.wait(t, 10*time.Second)
			assert.Equal(t, tc.code, code, "stderr: %s", r.stderr)
			assert.Equal(t, 0, m.Sessions(), "logged out on the way out")
			var logoff bool
			for _, q := range m.Requests() {
				logoff = logoff || strings.HasSuffix(q.Path, "/Account/LogOff")
			}
			assert.True(t, logoff)
			entries, err := os.ReadDir(logs)
			require.NoError(t, err)
			assert.NotEmpty(t, entries, "the logs of an interrupted run are saved")
		})
	}
}

func TestCLITimeoutWhenTheServerNeverAnswers(t *testing.T) {
	needChrome(t)
	m, url := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	t.Cleanup(m.Close)
	// The run's limit: long enough for Chrome to start and log in on a
	// busy machine, so that the roster is the step that times out.
	const limit = 8 * time.Second
	began := time.Now()
	r := start(t, demoEnv(), "roster", "--url", url, "--timeout", limit.String())
	code := r.wait(t, time.Minute)
	took := time.Since(began)
	assert.Equal(t, 4, code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr.String(), "timed out waiting for 'roster'")
	// Behaviour, not speed: the run ends at its own deadline (plus the
	// second it gives the logout), not at some other limit such as a
	// step's default of a minute, which a hanging server would reach.
	assert.Less(t, took, 2*limit, "exited %v after starting", took)
}

func TestCLISessionExpiryExit5(t *testing.T) {
	needChrome(t)
	_, url := newMock(t, mockserver.WithSessionExpiry(1))
	r := cli(t, demoEnv(), "", "roster", "--url", url)
	assert.Equal(t, 5, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "ended the session")
}

// The password never shows in any process's command line: not ours, not
// Chrome's.
func TestCLIPasswordNotInProcessList(t *testing.T) {
	needChrome(t)
	m, url := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	t.Cleanup(m.Close)
	r := start(t, demoEnv(), "roster", "--url", url)
	waitHanging(t, m)
	assert.Empty(t, chrometest.Mentioning(mockserver.DemoPassword))
	if os.Getenv("ROSTERON_BROWSER") == "" {
		assert.NotEmpty(t, chrometest.Mentioning(r.tmp), "Chrome runs, with its profile under the run's TMPDIR")
	}
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	r.wait(t, 10*time.Second)
}

// Chrome dying mid-run is the browser's failure, not RosterOn's: exit 6,
// with a message naming the browser and the step, promptly.
func TestCLIChromeCrashExit6IsAnErrorNotAHang(t *testing.T) {
	chrometest.NeedLocal(t) // a remote Chrome's process is not ours to kill
	m, url := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	t.Cleanup(m.Close)
	r := start(t, demoEnv(), "roster", "--url", url, "--timeout", "60s")
	waitHanging(t, m)
	// Kill Chrome's main process: the one started with our profile and no
	// --type (its children have one).
	var killed bool
	for _, p := range chrometest.Mentioning(r.tmp) {
		if slices.ContainsFunc(chrometest.Args(p), func(a string) bool { return strings.HasPrefix(a, "--type=") }) {
			continue
		}
		require.NoError(t, syscall.Kill(p, syscall.SIGKILL))
		killed = true
	}
	require.True(t, killed, "found Chrome's main process")
	code := r.wait(t, 15*time.Second)
	assert.Equal(t, 6, code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr.String(), "rosteron: the browser failed while reading the roster: the browser tab is gone")
	assert.NotContains(t, r.stderr.String(), "RosterOn returned")
	assert.NotContains(t, r.stderr.String(), "timed out")
}

func TestCLIVerifiesTLSUnlessInsecure(t *testing.T) {
	chrometest.NeedLocal(t) // --insecure applies to a Chrome rosteron starts
	m := mockserver.New()
	ts := httptest.NewUnstartedServer(m)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // Chrome's refused handshakes are expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	url := ts.URL + m.BasePath()

	r := cli(t, demoEnv(), "", "roster", "--url", url)
	assert.Equal(t, 4, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "ERR_CERT")
	for _, q := range m.Requests() {
		assert.NotEqual(t, "POST", q.Method, "no password sent to an unverified server")
	}

	r = cli(t, demoEnv(), "", "roster", "--url", url, "--insecure", "--format", "json")
	assert.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "warning: --insecure")
	assert.Contains(t, r.stdout, `"items"`)
}
