package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

// The binary turns core dumps off as it starts, soft and hard, whatever
// limit it was started with: a core file of rosteron or of its Chrome
// could hold the password. A shell raises the soft limit to the hard one
// and runs serve in its place; /proc/PID/limits shows serve's own.
func TestNoCoreDumps(t *testing.T) {
	if _, err := os.Stat("/proc/self/limits"); err != nil {
		t.Skip("no /proc/PID/limits here")
	}
	hard, err := exec.Command("sh", "-c", "ulimit -H -c").Output()
	require.NoError(t, err)
	if strings.TrimSpace(string(hard)) == "0" {
		t.Skip("the hard limit on core files is 0 already: the test would prove nothing")
	}
	state := t.TempDir()
	cmd := exec.Command("sh", "-c", `ulimit -S -c "$(ulimit -H -c)" && exec "$0" "$@"`, bin,
		"serve", "--addr", "127.0.0.1:0", "--state", state, "--url", "https://rosteron.example.com/Mobile",
		"--username", "joe", "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	cmd.Env = append(cleanEnv(), "ROSTERON_PASSWORD=core-e2e-Pa55word", "TMPDIR="+t.TempDir())
	stderr := new(syncbuf.Buffer)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	// Once serve listens, the shell has long become serve.
	deadline := time.Now().Add(30 * time.Second)
	for !healthLine.MatchString(stderr.String()) {
		select {
		case <-done:
			t.Fatalf("serve exited: %s", stderr)
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "serve did not start: %s", stderr)
	}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "limits"))
	require.NoError(t, err)
	defer f.Close()
	var row string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Max core file size") {
			row = sc.Text()
		}
	}
	require.NotEmpty(t, row)
	assert.Equal(t, []string{"Max", "core", "file", "size", "0", "0", "bytes"}, strings.Fields(row))
}

// As root, a Chrome that rosteron starts has no sandbox, and the run says
// so on stderr, with what to do.
func TestRootWarns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: no warning to hear")
	}
	if os.Getenv("ROSTERON_BROWSER") != "" {
		t.Skip("a remote Chrome: rosteron starts none")
	}
	needChrome(t)
	r := cli(t, []string{"ROSTERON_NO_SANDBOX=0"}, "", "demo", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "rosteron: warning: running as root, so Chrome starts without its sandbox")
	assert.Contains(t, r.stderr, "run rosteron as another user")
}

// rosteron serve's token reaches no log: serve, with its output in a
// pipe, says where the addresses are, and 'rosteron address' prints them.
func TestServeTokenInNoLog(t *testing.T) {
	state := t.TempDir()
	p := startFeed(t, []string{"ROSTERON_URL=https://rosteron.example.com/Mobile", "ROSTERON_USERNAME=joe",
		"ROSTERON_PASSWORD=addr-e2e-Pa55word"}, "--state", state, "--browser", "ws://127.0.0.1:1", "--refresh", "1h")
	assert.Equal(t, 0, p.stop(t))
	assert.Empty(t, p.stdout.String())
	assert.Contains(t, p.stderr.String(), "'rosteron address --state "+state+"' prints them")
	assert.NotContains(t, p.stderr.String(), p.token)
}
