package chrometest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/chrometest"
)

// The fields of /proc/PID/stat are read past a command name that holds
// spaces and parentheses, as a process may name itself anything; the
// command line is read as words.
func TestProcessesAreReadFromProc(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	odd := filepath.Join(t.TempDir(), "a) (b c")
	require.NoError(t, os.Symlink(sleep, odd))
	cmd := exec.Command(odd, "60")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	f := chrometest.Stat(cmd.Process.Pid)
	require.Greater(t, len(f), 14)
	assert.Equal(t, strconv.Itoa(os.Getpid()), f[1], "the parent's id")
	assert.Contains(t, chrometest.Tree(os.Getpid()), cmd.Process.Pid)
	assert.Equal(t, []int{cmd.Process.Pid}, chrometest.Alive([]int{cmd.Process.Pid}))
	assert.Equal(t, []string{filepath.Dir(odd) + "/a)", "(b", "c", "60"}, chrometest.Args(cmd.Process.Pid), "words split at NULs and spaces")
	assert.Equal(t, []int{cmd.Process.Pid}, chrometest.Mentioning(odd))

	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()
	assert.Nil(t, chrometest.Stat(cmd.Process.Pid), "a process reaped is gone")
	assert.Empty(t, chrometest.Alive([]int{cmd.Process.Pid}))
	assert.Nil(t, chrometest.Args(cmd.Process.Pid))
}
