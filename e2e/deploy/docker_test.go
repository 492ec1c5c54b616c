// Package deploy tests rosteron where people deploy it: the image on its
// own, docker-compose.yml's services as real containers that these tests
// stop, kill and restart, and the systemd unit.
//
// The container tests need a Docker Engine with Compose (v2's `docker
// compose`, or v1's `docker-compose`; ROSTERON_COMPOSE names another).
// They build the images first, with `make images`. Outside CI a machine
// without Docker skips them; with CI=true they fail.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the repository's top folder, where docker-compose.yml is,
// relative to this package's.
const root = "../.."

// The images docker-compose.yml builds.
const (
	image    = "rosteron:local"
	e2eImage = "rosteron-e2e:local"
)

var (
	setupOnce sync.Once
	setupErr  error
	compose   []string // the Compose command
)

func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// needDocker makes sure Docker, Compose and the images are there, once for
// the package: it skips the test without Docker outside CI, and fails it
// in CI or when the images cannot be built.
func needDocker(t *testing.T) {
	t.Helper()
	setupOnce.Do(setup)
	if setupErr == nil {
		return
	}
	var missing *missingError
	if errors.As(setupErr, &missing) && !inCI() {
		t.Skipf("%v (set CI=true to make this a failure)", setupErr)
	}
	t.Fatal(setupErr)
}

type missingError struct{ what string }

func (e *missingError) Error() string { return e.what }

func setup() {
	if _, err := exec.LookPath("docker"); err != nil {
		setupErr = &missingError{"no docker command on this machine"}
		return
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		setupErr = &missingError{fmt.Sprintf("the Docker daemon does not answer: %v: %s", err, bytes.TrimSpace(out))}
		return
	}
	compose = findCompose()
	if compose == nil {
		setupErr = &missingError{"no Docker Compose: neither `docker compose` nor `docker-compose` works"}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "images")
	cmd.Dir = root
	cmd.Env = append(hostEnv(), "COMPOSE="+strings.Join(compose, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		setupErr = fmt.Errorf("make images: %v\n%s", err, out)
	}
}

// findCompose returns $ROSTERON_COMPOSE, else Compose v2, else v1.
func findCompose() []string {
	if c := os.Getenv("ROSTERON_COMPOSE"); c != "" {
		return strings.Fields(c)
	}
	for _, c := range [][]string{{"docker", "compose"}, {"docker-compose"}} {
		if exec.Command(c[0], append(c[1:], "version")...).Run() == nil {
			return c
		}
	}
	return nil
}

// hostEnv is this process's environment without anything that would
// reach the containers unasked: a developer's own account or zone.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ROSTERON_") || k == "TZ" || strings.HasPrefix(k, "COMPOSE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// project is one Compose project of the tests: docker-compose.yml as users
// have it, plus an override of the test's own, under a name of its own, so
// that it never touches a stack a developer runs.
type project struct {
	t        *testing.T
	name     string
	dir      string // the test's folder: env file, override, secret
	override string
	// secrets is a Compose file naming stand-in files for the secrets
	// that docker-compose.yml reads from ./secrets/, which a clean clone
	// has not: Compose warns of each missing one on every command, in
	// the output the tests read. A test's own override names its own.
	secrets string
}

// newProject writes envFile (the .env a user would write) and override (a
// Compose file merged over docker-compose.yml, "" for none) to a folder of
// the test's, and removes every container and volume of the project when
// the test ends.
func newProject(t *testing.T, envFile, override string) *project {
	t.Helper()
	p := &project{t: t, name: fmt.Sprintf("rosteron-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6), dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(p.dir, "env"), []byte(envFile), 0o600); err != nil {
		t.Fatal(err)
	}
	var stand strings.Builder
	// A service, merged as it is: Compose v1 takes a file without one
	// (services: {} too) for its first format, and refuses to merge that
	// over docker-compose.yml.
	stand.WriteString("services:\n  mock: {}\nsecrets:\n")
	for _, name := range []string{"rosteron_password", "rosteron_key", "rosteron_database_password"} {
		f := filepath.Join(p.dir, "stand-in-"+name)
		if err := os.WriteFile(f, []byte("stand-in, never used\n"), 0o444); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&stand, "  %s:\n    file: %s\n", name, f)
	}
	p.secrets = filepath.Join(p.dir, "secrets.yml")
	if err := os.WriteFile(p.secrets, []byte(stand.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if override != "" {
		p.override = filepath.Join(p.dir, "override.yml")
		if err := os.WriteFile(p.override, []byte(override), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := p.output("logs", "--no-color", "--tail", "60")
			t.Logf("the containers' last logs:\n%s", out)
		}
		if out, err := p.output("down", "--volumes", "--remove-orphans", "--timeout", "5"); err != nil {
			t.Logf("compose down: %v\n%s", err, out)
		}
	})
	return p
}

func (p *project) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{}, compose[1:]...)
	full = append(full, "--project-name", p.name, "--env-file", filepath.Join(p.dir, "env"),
		"-f", "docker-compose.yml")
	if p.secrets != "" {
		full = append(full, "-f", p.secrets)
	}
	if p.override != "" {
		full = append(full, "-f", p.override)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, compose[0], full...)
	cmd.Dir = root
	cmd.Env = hostEnv()
	return cmd
}

// outputOf runs a command and returns its standard output.
func outputOf(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	return string(out), err
}

// runQuiet runs a command for its effect, as cleanups do.
func runQuiet(name string, args ...string) error {
	_, err := outputOf(name, args...)
	return err
}

// output runs a compose command and returns what it printed.
func (p *project) output(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := p.command(ctx, args...).CombinedOutput()
	return string(out), err
}

// run runs a compose command that must succeed.
func (p *project) run(args ...string) string {
	p.t.Helper()
	out, err := p.output(args...)
	if err != nil {
		p.t.Fatalf("compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// container returns the id of a service's container.
func (p *project) container(service string) string {
	p.t.Helper()
	id := strings.TrimSpace(p.run("ps", "-q", service))
	if id == "" {
		p.t.Fatalf("no container for %s", service)
	}
	return id
}

// health is a container's health status: starting, healthy or unhealthy.
func (p *project) health(service string) string {
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", p.container(service)).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// waitFor polls cond until it holds, failing the test after limit. The
// limit is a bound on a hang, not a measure of speed: containers start
// slowly on a busy machine.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// get fetches url from the host, as a calendar app on it would.
func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.String()
}

// docker runs a docker command that must succeed and returns its output.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
