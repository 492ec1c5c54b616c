package e2e

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/mockserver"
)

// cliOnTerminal is cli with the binary's standard error on a
// pseudo-terminal, as when a person runs it; it returns what the terminal
// showed.
func cliOnTerminal(t *testing.T, env []string, args ...string) (code int, stdout, shown string) {
	t.Helper()
	ptm, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptm.Close()
	require.NoError(t, pty.Setsize(ptm, &pty.Winsize{Rows: 40, Cols: 100}))
	seen := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptm) // ends with EIO once no process holds the terminal
		seen <- b.String()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	tmp := t.TempDir()
	cmd.Env = append(cleanEnv(), append([]string{"TMPDIR=" + tmp}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	err = cmd.Run()
	require.NoError(t, tty.Close())
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	assertNoChromeLeft(t, tmp)
	select {
	case s := <-seen:
		return code, out.String(), withoutPlainWarnings(strings.ReplaceAll(s, "\r\n", "\n"))
	case <-time.After(30 * time.Second):
		t.Fatal("the terminal did not close")
		return
	}
}

// A person at a terminal sees each step as it happens; --quiet shows
// nothing; --verbose each request; and never a secret.
func TestCLIProgressOnATerminal(t *testing.T) {
	needChrome(t)
	requireReachable(t)
	code, stdout, shown := cliOnTerminal(t, demoEnv(), "roster", "--format", "json")
	require.Equal(t, 0, code, shown)
	assert.Regexp(t, `^rosteron: starting the browser… done in \S+ m?s
rosteron: opening the login page… done in \S+ m?s
rosteron: logging in… done in \S+ m?s
rosteron: reading the roster… done in \S+ m?s
rosteron: logging out… done in \S+ m?s
$`, shown)
	assert.Contains(t, stdout, `"items"`)

	code, _, shown = cliOnTerminal(t, demoEnv(), "roster", "--format", "json", "--quiet")
	require.Equal(t, 0, code, shown)
	assert.Empty(t, shown)

	code, _, shown = cliOnTerminal(t, demoEnv(), "roster", "--format", "json", "--verbose")
	require.Equal(t, 0, code, shown)
	assert.Regexp(t, `(?m)^rosteron:   GET \S+/Roster/List\?pageNo=1&row=1 → 200 OK in \d+ m?s$`, shown)
	assert.NotContains(t, shown, mockserver.DemoPassword)
	assert.NotContains(t, shown, ".ASPXAUTH")

	env := append(demoEnv(), "ROSTERON_PASSWORD=not-the-Pa55word")
	code, _, shown = cliOnTerminal(t, env, "roster", "--format", "json")
	assert.Equal(t, 3, code, shown)
	assert.Regexp(t, `rosteron: logging in… failed after \S+ m?s\nrosteron: RosterOn rejected the login credentials for username 'joe.bloggs'\n$`, shown)
	assert.NotContains(t, shown, "not-the-Pa55word")
}
