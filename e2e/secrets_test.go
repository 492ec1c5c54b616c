package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
	"github.com/rosteron/rosteron/mockserver"
)

// The password given in ROSTERON_PASSWORD is in no environment of any
// Chrome process the CLI starts (/proc/PID/environ, which crash reports
// carry too): only the CLI, which reads it, has it.
func TestCLIPasswordNotInChromeEnvironment(t *testing.T) {
	chrometest.NeedLocal(t) // a remote Chrome's environment is its own
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc to read environments from")
	}
	// The mock holds the roster request, so Chrome is alive to look at.
	m, url := newMock(t, mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	t.Cleanup(m.Close)
	r := start(t, demoEnv(), "roster", "--url", url)
	waitHanging(t, m)

	// The test can fail: the CLI's own environment holds the password.
	secret := "ROSTERON_PASSWORD=" + mockserver.DemoPassword
	require.Contains(t, chrometest.Environ(t, r.cmd.Process.Pid), secret)

	// Every process of this run's Chrome: its profile is under the run's
	// TMPDIR, and the main one's children too.
	var pids []int
	for _, p := range chrometest.Mentioning(r.tmp) {
		pids = append(pids, chrometest.Tree(p)...)
	}
	require.NotEmpty(t, pids, "Chrome runs")
	var main bool
	for _, pid := range pids {
		env := chrometest.Environ(t, pid)
		if env == "" {
			continue // gone since
		}
		assert.NotContains(t, env, mockserver.DemoPassword, "Chrome process %d", pid)
		assert.NotContains(t, env, "ROSTERON_", "Chrome process %d", pid)
		// Chrome's helpers write their titles over their environment;
		// the main process's reads as one, with Chrome's own TMPDIR.
		main = main || strings.Contains(env, "TMPDIR="+r.tmp+"\x00")
	}
	assert.True(t, main, "the environment of Chrome's main process was read")

	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	r.wait(t, 10*time.Second)
}
