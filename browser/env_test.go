package browser_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/internal/chrometest"
)

func TestChromeEnvKeepsWhatChromeUses(t *testing.T) {
	t.Parallel()
	environ := []string{
		"PATH=/usr/bin:/bin", "HOME=/home/joe", "TMPDIR=/tmp/x", "LANG=en_AU.UTF-8", "LC_ALL=C.UTF-8",
		"TZ=Australia/Melbourne", "XDG_RUNTIME_DIR=/run/user/1000", "XDG_CONFIG_HOME=/home/joe/.config",
		"FONTCONFIG_PATH=/etc/fonts", "https_proxy=http://proxy:3128", "NO_PROXY=localhost",
		"SystemRoot=C:\\Windows", "LOCALAPPDATA=C:\\Users\\joe\\AppData\\Local", "__CF_USER_TEXT_ENCODING=0x1F5:0:0",
		// Secrets, and what Chrome has no use for.
		"ROSTERON_PASSWORD=s3cret-Pa55", "rosteron_password=s3cret-Pa55", "ROSTERON_FEED_TOKEN=tok",
		"AWS_SECRET_ACCESS_KEY=key", "GITHUB_TOKEN=ghp", "PASSWORD=pw", "SSH_AUTH_SOCK=/tmp/agent",
		"LD_PRELOAD=/evil.so", "PATHOLOGICAL=1", "=C:=C:\\", "NOEQUALS",
	}
	assert.Equal(t, environ[:14], browser.ChromeEnv(environ))
	assert.Empty(t, browser.ChromeEnv(nil))
}

// environOf reads the environment a process runs with, once exec has
// set it up (see chrometest.Environ), and fails the test when there is
// none to read.
func environOf(t *testing.T, pid int) []byte {
	t.Helper()
	env := chrometest.Environ(t, pid)
	require.NotEmpty(t, env, "process %d's environment", pid)
	return []byte(env)
}

// A launched Chrome's processes, every one of them, hold none of the
// program's secrets in their environment (/proc/PID/environ, which crash
// reports carry too), but do get what Chrome uses.
func TestLaunchedChromeEnvironmentHoldsNoSecret(t *testing.T) {
	path := chrometest.NeedLocal(t)
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc to read environments from")
	}
	const password = "s3cret-Pa55-in-the-environment"
	t.Setenv("ROSTERON_PASSWORD", password)
	t.Setenv("XDG_ROSTERON_TEST", "marker-chrome-gets")
	// The test can fail: a child started the usual way inherits the
	// password, and reading its environment shows it.
	child := exec.Command("sleep", "60")
	require.NoError(t, child.Start())
	inherited := environOf(t, child.Process.Pid)
	_ = child.Process.Kill()
	_ = child.Wait()
	require.Contains(t, string(inherited), "ROSTERON_PASSWORD="+password)

	ctx := ctxT(t)
	b, err := browser.Launch(ctx, browser.WithExecPath(path))
	require.NoError(t, err)
	defer b.Close()
	// Renderers start with the first page.
	tab, err := b.NewTab(ctx)
	require.NoError(t, err)
	_, err = tab.Navigate(ctx, site(t).URL+"/page")
	require.NoError(t, err)

	// The main process's environment is what every other inherits; it is
	// read as it is, with what Chrome does get. (Chrome's helpers write
	// their titles over theirs, so theirs read as command lines.)
	main := environOf(t, b.PID())
	assert.True(t, bytes.Contains(main, []byte("XDG_ROSTERON_TEST=marker-chrome-gets\x00")), "Chrome's own environment: %q", main)
	pids := chrometest.Alive(chrometest.Tree(b.PID()))
	require.GreaterOrEqual(t, len(pids), 2, "Chrome and its helpers")
	read := 0
	for _, pid := range pids {
		// "" is a helper gone since it was listed, or one whose
		// environment a sandbox hides from a test that is not root.
		env := chrometest.Environ(t, pid)
		if env == "" {
			continue
		}
		read++
		assert.NotContains(t, env, password, "process %d", pid)
		assert.NotContains(t, env, "ROSTERON_PASSWORD", "process %d", pid)
	}
	require.GreaterOrEqual(t, read, 2, "Chrome's environment and a helper's at least, of %d processes", len(pids))
}

// withEnv replaces the default environment, and still passes no
// ROSTERON_* variable.
func TestLaunchWithEnv(t *testing.T) {
	path := chrometest.NeedLocal(t)
	ctx := ctxT(t)
	b, err := browser.Launch(ctx, browser.WithExecPath(path),
		browser.WithEnvForTest("HOME="+t.TempDir(), "LANG=C.UTF-8", "ROSTERON_PASSWORD=never", "MY_CHROME_SETTING=on"))
	require.NoError(t, err)
	defer b.Close()
	env := string(environOf(t, b.PID()))
	assert.Contains(t, env, "MY_CHROME_SETTING=on")
	assert.Contains(t, env, "LANG=C.UTF-8")
	assert.NotContains(t, env, "ROSTERON_PASSWORD")
	assert.NotContains(t, env, "PATH=", "only what withEnv gave")
}
