package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The image runs every command on its own: Chrome inside, not root, a
// health check, and nothing of anyone's account baked in.
func TestImage(t *testing.T) {
	needDocker(t)
	var inspect []struct {
		Config struct {
			User        string
			Env         []string
			Entrypoint  []string
			Healthcheck struct{ Test []string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(docker(t, "image", "inspect", image)), &inspect))
	require.Len(t, inspect, 1)
	cfg := inspect[0].Config
	assert.Equal(t, "10001:10001", cfg.User, "not root")
	assert.Equal(t, []string{"CMD", "rosteron", "healthcheck"}, cfg.Healthcheck.Test)
	assert.Equal(t, []string{"rosteron"}, cfg.Entrypoint)
	for _, kv := range cfg.Env {
		if kv == "ROSTERON_NO_SANDBOX=1" {
			continue // the image's one setting of its own (see the Dockerfile)
		}
		assert.False(t, strings.HasPrefix(kv, "ROSTERON_") || strings.HasPrefix(kv, "TZ="), "baked into the image: %s", kv)
	}
	assert.Contains(t, cfg.Env, "ROSTERON_NO_SANDBOX=1")
	assert.Equal(t, "10001\n", docker(t, "run", "--rm", "--entrypoint", "id", image, "-u"))

	// The whole flow, in the image's own Chrome, in a container whose
	// zone is UTC and which has no TZ: the table, then the calendar with
	// the roster's clock times, floating, not read as UTC.
	out := docker(t, "run", "--rm", image, "demo")
	assert.Contains(t, out, "Roster as of ")
	assert.Contains(t, out, "rosteron demo: started a mock RosterOn")
	ics := docker(t, "run", "--rm", image, "demo", "--format", "ics")
	starts := regexp.MustCompile(`(?m)^DTSTART:(\d{8}T\d{6}Z?)\r$`).FindAllStringSubmatch(ics, -1)
	require.NotEmpty(t, starts, ics)
	for _, m := range starts {
		assert.False(t, strings.HasSuffix(m[1], "Z"), "a floating time, not UTC: %s", m[1])
	}
	// With TZ, the instants in that zone.
	js := docker(t, "run", "--rm", "-e", "TZ=Australia/Melbourne", image, "demo", "--format", "json")
	assert.Regexp(t, `"start": "\d{4}-\d\d-\d\dT\d\d:\d\d:00\+1[01]:00"`, js)

	// The health check is the image's own binary.
	assert.Contains(t, docker(t, "run", "--rm", image, "healthcheck", "--help"), "Usage: rosteron healthcheck")
}

// A password given to the container reaches rosteron and no Chrome
// process: each one's environment in the container is read while Chrome
// is running (the mock answers slowly, to keep it running).
func TestImageChromeEnvironment(t *testing.T) {
	needDocker(t)
	const password = "ann-demo-password"
	network := "rosteron-test-net-" + filepath.Base(t.TempDir())
	docker(t, "network", "create", network)
	t.Cleanup(func() { _ = runQuiet("docker", "network", "rm", network) })
	mock := strings.TrimSpace(docker(t, "run", "-d", "--rm", "--network", network, "--network-alias", "mock",
		image, "mock", "--addr", "0.0.0.0:8080", "--latency", "2s"))
	t.Cleanup(func() { _ = runQuiet("docker", "rm", "-f", mock) })

	secrets := t.TempDir()
	require.NoError(t, os.Chmod(secrets, 0o755))
	secretFile := filepath.Join(secrets, "rosteron_password")
	require.NoError(t, os.WriteFile(secretFile, []byte(password+"\n"), 0o444))

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"environment", []string{"-e", "ROSTERON_PASSWORD=" + password}},
		{"Docker secret", []string{"-v", secretFile + ":/run/secrets/rosteron_password:ro"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "rosteron-test-roster-" + filepath.Base(t.TempDir())
			args := append([]string{"run", "-d", "--name", name, "--network", network,
				"-e", "ROSTERON_URL=http://mock:8080/RosterOnProd/Mobile", "-e", "ROSTERON_USERNAME=ann.nurse",
				// The mock's plain http:// by name, on the test's own network.
				"-e", "ROSTERON_ALLOW_HTTP=1"}, tc.args...)
			args = append(args, image, "roster", "--format", "json", "--timeout", "2m")
			docker(t, args...)
			t.Cleanup(func() { _ = runQuiet("docker", "rm", "-f", name) })

			// Every process but rosteron: Chrome and its helpers.
			const script = `for p in /proc/[0-9]*; do
  c=$(tr '\0' ' ' < $p/cmdline 2>/dev/null) || continue
  case "$c" in /usr/lib/chromium/*) echo "== $c"; tr '\0' '\n' < $p/environ ;; esac
done`
			var envs string
			waitFor(t, "Chrome to start in the container", 2*time.Minute, func() bool {
				out, err := outputOf("docker", "exec", name, "sh", "-c", script)
				envs = out
				return err == nil && strings.Contains(out, "== ")
			})
			assert.NotContains(t, envs, password)
			assert.NotContains(t, envs, "ROSTERON_")
			assert.Contains(t, envs, "PATH=", "the environments were read")

			code := strings.TrimSpace(docker(t, "wait", name))
			logs := docker(t, "logs", name)
			assert.Equal(t, "0", code, logs)
			assert.Contains(t, logs, `"items": [`)
			assert.NotContains(t, logs, password)
		})
	}
}

// Under deploy/chrome-seccomp.json, which compose gives serve and chrome,
// the image's Chrome starts with its sandbox, as a user without
// privileges or capabilities; under Docker's default profile it cannot,
// which is why the image alone sets ROSTERON_NO_SANDBOX=1.
func TestImageChromeSandbox(t *testing.T) {
	needDocker(t)
	profile, err := filepath.Abs(filepath.Join(root, "deploy", "chrome-seccomp.json"))
	require.NoError(t, err)
	base := []string{"run", "--rm", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
		"-e", "ROSTERON_NO_SANDBOX=0"}
	out := docker(t, append(base, "--security-opt", "seccomp="+profile, image, "demo", "--format", "json")...)
	assert.Contains(t, out, `"items": [`)
	assert.NotContains(t, out, "No usable sandbox")

	cmd := exec.Command("docker", append(base, image, "demo", "--format", "json")...)
	b, err := cmd.CombinedOutput()
	require.Error(t, err, "Chrome's sandbox under Docker's default seccomp profile:\n%s", b)
	assert.Contains(t, string(b), "No usable sandbox")
}
