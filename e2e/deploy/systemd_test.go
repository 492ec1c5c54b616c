package deploy

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const unitFile = root + "/deploy/rosteron-serve.service"

// The shipped unit runs serve as a user of its own, with its state in a
// state directory and the password as a credential, and systemd accepts
// it: systemd-analyze verify says nothing at all about it.
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile(unitFile)
	require.NoError(t, err)
	unit := unitSettings(string(data))
	assert.Equal(t, []string{"yes"}, unit["DynamicUser"])
	assert.Equal(t, []string{"rosteron"}, unit["StateDirectory"])
	assert.Equal(t, []string{"0700"}, unit["StateDirectoryMode"])
	require.Len(t, unit["LoadCredential"], 1)
	assert.True(t, strings.HasPrefix(unit["LoadCredential"][0], "rosteron-password:/"), unit["LoadCredential"])
	require.Len(t, unit["ExecStart"], 1)
	exec0 := strings.Fields(unit["ExecStart"][0])
	assert.Equal(t, []string{"/usr/local/bin/rosteron", "serve"}, exec0[:2])
	assert.Contains(t, unit["ExecStart"][0], "--state %S/rosteron")
	for _, env := range unit["Environment"] {
		assert.NotContains(t, env, "PASSWORD", "the password is a credential, not an environment variable")
	}

	bin := buildRosteron(t)

	// The credential's name is the one rosteron reads: with it, a run gets
	// past the password (and fails later, at the closed browser address: exit 6);
	// without it, there is no password.
	creds := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(creds, "rosteron-password"), []byte("from-credential\n"), 0o400))
	args := []string{"roster", "--url", "http://127.0.0.1:1/RosterOnProd/Mobile", "--username", "joe",
		"--browser", "ws://127.0.0.1:1", "--timeout", "5s"}
	code, stderr := runBin(t, bin, []string{"CREDENTIALS_DIRECTORY=" + creds}, args...)
	assert.Equal(t, 6, code, stderr, "the browser failed")
	assert.NotContains(t, stderr, "no password")
	code, stderr = runBin(t, bin, []string{"CREDENTIALS_DIRECTORY=" + t.TempDir()}, args...)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "no password")

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if inCI() {
			t.Fatal("no systemd-analyze to check the unit with (apt-get install systemd)")
		}
		t.Skip("no systemd-analyze on this machine (set CI=true to make this a failure)")
	}
	// verify checks that ExecStart's program exists: point it at the one
	// just built, and change nothing else.
	dir := t.TempDir()
	checked := strings.ReplaceAll(string(data), "/usr/local/bin/rosteron", bin)
	path := filepath.Join(dir, "rosteron-serve.service")
	require.NoError(t, os.WriteFile(path, []byte(checked), 0o644))
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	assert.NoError(t, err)
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify has something to say")
}

// unitSettings reads a unit file's Key=value lines, comments aside.
func unitSettings(unit string) map[string][]string {
	settings := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			settings[k] = append(settings[k], v)
		}
	}
	return settings
}

// buildRosteron builds the command into a folder of the test's.
func buildRosteron(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rosteron")
	out, err := exec.Command("go", "build", "-o", bin, root+"/cmd/rosteron").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// runBin runs the command with only the given environment (and PATH).
func runBin(t *testing.T, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}
