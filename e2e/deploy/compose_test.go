package deploy

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The end-to-end suite in containers, exactly as the README runs it: the
// e2e service's tests against the mock's and Chrome's containers, which
// it waits for through their health checks.
func TestComposeE2E(t *testing.T) {
	needDocker(t)
	p := newProject(t, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	out, err := p.command(ctx, "up", "--build", "--no-color", "--exit-code-from", "e2e", "e2e").CombinedOutput()
	log := string(out)
	require.NoError(t, err, "the compose e2e run failed:\n%s", tail(log, 200))
	// It ran the suite, against the other containers, and passed.
	assert.Regexp(t, `(?m)^e2e[-_0-9a-z]*\s+\| ok\s+github.com/rosteron/rosteron/e2e\s`, log)
	passed := len(regexp.MustCompile(`--- PASS: Test`).FindAllString(log, -1))
	assert.GreaterOrEqual(t, passed, 20, "tests that passed in the container")
	assert.NotContains(t, log, "--- FAIL")
	// rosteron sync wrote into compose's Radicale, over its network.
	assert.Contains(t, log, "--- PASS: TestCLISyncIntoCalDAV")
	assert.Contains(t, log, "--- PASS: TestCLISyncWrongCalDAVPassword")
	if skipped := regexp.MustCompile(`--- SKIP: \S+`).FindAllString(log, -1); len(skipped) > 0 {
		t.Logf("skipped in containers (they need a local Chrome): %v", skipped)
	}
}

// The calendar feed as a user runs it, `docker compose --profile serve up
// serve`, against the mock: with its own Chrome, sandboxed, and no chrome
// service; reachable on 127.0.0.1:8765, the password only as a secret, its
// state kept across restarts, the last good roster served while RosterOn
// (the mock) is down, and back once it is up.
func TestComposeServe(t *testing.T) {
	needDocker(t)
	const password = "ann-demo-password"
	secrets := t.TempDir()
	require.NoError(t, os.Chmod(secrets, 0o755))
	secret := filepath.Join(secrets, "rosteron_password")
	require.NoError(t, os.WriteFile(secret, []byte(password+"\n"), 0o444))
	// The .env a user writes, and, for the test only, refreshes every
	// 20 seconds, the secret from the test's folder, and the mock's plain
	// http:// by name allowed.
	env := "ROSTERON_URL=http://mock:8080/RosterOnProd/Mobile\nROSTERON_USERNAME=ann.nurse\nROSTERON_TZ=Australia/Melbourne\n"
	override := `services:
  serve:
    command: ["serve", "--addr", "0.0.0.0:8765", "--refresh", "20s",
              "--public-url", "${ROSTERON_PUBLIC_URL:-http://127.0.0.1:8765}"]
    environment:
      ROSTERON_ALLOW_HTTP: "1"
secrets:
  rosteron_password:
    file: ` + secret + "\n"
	p := newProject(t, env, override)
	p.run("--profile", "serve", "up", "-d", "mock", "serve")
	// serve's Chrome is its own, started through a pipe, with its sandbox
	// (the image's Chrome refuses to start without it when
	// ROSTERON_NO_SANDBOX is 0): no chrome service, no DevTools port.
	ps, err := p.output("ps", "-q", "chrome")
	require.NoError(t, err, ps)
	assert.Empty(t, strings.TrimSpace(ps), "a chrome container runs")

	const health = "http://127.0.0.1:8765/healthz"
	var st feedHealth
	waitFor(t, "the feed's first roster", 5*time.Minute, func() bool {
		st = healthz(t, health)
		return st.OK && !st.Stale
	})
	token := feedToken(t, p)
	icsURL := "http://127.0.0.1:8765/" + token + "/roster.ics"
	// With the token, /healthz in full: the last error and the number of
	// shifts, which the public one leaves out.
	full := "http://127.0.0.1:8765/" + token + "/healthz"
	st = healthz(t, full)
	// The address `rosteron address` gives is the one that works on this
	// machine, and docker logs, read by more people, never hold the token.
	assert.Contains(t, addresses(t, p), "iCalendar feed "+icsURL)
	logs := p.run("logs", "--no-color", "serve")
	assert.NotContains(t, logs, token)
	assert.Contains(t, logs, "rosteron address")

	// A calendar app on the host subscribes: the events, read in the
	// zone ROSTERON_TZ gave, and 304 when nothing changed.
	resp, body := get(t, icsURL)
	require.NotNil(t, resp, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "text/calendar; charset=utf-8", resp.Header.Get("Content-Type"))
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	require.NoError(t, err)
	events := cal.Events()
	require.NotEmpty(t, events)
	assert.Equal(t, st.Shifts, len(events))
	assert.Regexp(t, `(?m)^DTSTART:\d{8}T\d{6}Z\r$`, body, "instants, read in ROSTERON_TZ")
	resp, _ = get(t, icsURL, "If-None-Match", resp.Header.Get("ETag"))
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	first := uids(t, body)

	// The password is a secret file: in no environment, no log, no
	// configuration.
	assert.Equal(t, "healthy", waitHealth(t, p, "serve"))
	inspect := docker(t, "inspect", p.container("serve"))
	assert.NotContains(t, inspect, password)
	assert.Contains(t, inspect, "/run/secrets/rosteron_password")
	assert.NotContains(t, p.run("--profile", "serve", "config"), password)
	assert.NotContains(t, p.run("logs", "--no-color", "serve"), password)
	assert.Contains(t, inspect, "ROSTERON_NO_SANDBOX=0")
	assert.Contains(t, inspect, `"seccomp=`)
	environs, err := outputOf("docker", "exec", p.container("serve"), "sh", "-c",
		`for p in /proc/[0-9]*; do tr '\0' '\n' < $p/environ; done`)
	require.NoError(t, err)
	assert.Contains(t, environs, "ROSTERON_USERNAME=ann.nurse", "the environments were read")
	assert.NotContains(t, environs, password)

	// Restarted, the feed keeps its token and its roster.
	p.run("restart", "serve")
	waitFor(t, "the feed after a restart", 3*time.Minute, func() bool {
		resp, _ := get(t, icsURL)
		return resp != nil && resp.StatusCode == http.StatusOK
	})
	assert.Equal(t, token, feedToken(t, p))
	_, body = get(t, icsURL)
	assert.Equal(t, first, uids(t, body))

	// RosterOn (the mock's container) stopped, then killed: the last good
	// roster is served, marked stale; once it is back the feed recovers.
	for _, down := range []string{"stop", "kill"} {
		p.run(down, "mock")
		waitFor(t, "a refresh to fail with the mock "+down+"ped", 3*time.Minute, func() bool {
			st = healthz(t, full)
			return st.Stale && st.LastError != ""
		})
		resp, body = get(t, icsURL)
		require.NotNil(t, resp, body)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "served while RosterOn is down")
		assert.Equal(t, "true", resp.Header.Get("X-Roster-Stale"))
		assert.Equal(t, first, uids(t, body))
		assert.NotContains(t, st.LastError, password)

		failedAt := time.Now()
		p.run("start", "mock")
		waitFor(t, "the feed to recover once RosterOn is back", 3*time.Minute, func() bool {
			st = healthz(t, health)
			return !st.Stale && st.LastSuccess != nil && st.LastSuccess.After(failedAt.Add(-time.Second))
		})
		resp, _ = get(t, icsURL)
		require.NotNil(t, resp)
		assert.Equal(t, "false", resp.Header.Get("X-Roster-Stale"))
	}

	// rosteron itself killed inside its container: Docker restarts it
	// (restart: unless-stopped), with the same token and roster.
	started := docker(t, "inspect", "-f", "{{.State.StartedAt}}", p.container("serve"))
	_, _ = outputOf("docker", "exec", p.container("serve"), "sh", "-c", `kill -9 $(pidof rosteron)`)
	waitFor(t, "Docker to restart the feed", 3*time.Minute, func() bool {
		now, err := outputOf("docker", "inspect", "-f", "{{.State.StartedAt}}", p.container("serve"))
		return err == nil && now != started
	})
	waitFor(t, "the feed after a crash", 3*time.Minute, func() bool {
		resp, _ := get(t, icsURL)
		return resp != nil && resp.StatusCode == http.StatusOK
	})
	assert.Equal(t, token, feedToken(t, p))
}

// The chrome service, for the e2e suite: healthy through a health check
// that sends its token; no port on the host, on an internal network; a
// client on that network without the token gets 401; and its Chrome keeps
// its sandbox.
func TestComposeChrome(t *testing.T) {
	needDocker(t)
	// serve's secret, unused here, so that Compose does not warn of it
	// into what these commands print.
	secret := filepath.Join(t.TempDir(), "rosteron_password")
	require.NoError(t, os.WriteFile(secret, []byte("unused\n"), 0o444))
	p := newProject(t, "", "services:\n  chrome:\n    restart: unless-stopped\nsecrets:\n  rosteron_password:\n    file: "+secret+"\n")
	p.run("up", "-d", "chrome")
	require.Equal(t, "healthy", waitHealth(t, p, "chrome"), "the health check sends the token")
	id := p.container("chrome")
	assert.Regexp(t, `^(\{\}|null|map\[\])?\s*$`, docker(t, "inspect", "-f", "{{json .HostConfig.PortBindings}}", id), "ports on the host")
	assert.Equal(t, "true\n", docker(t, "network", "inspect", "-f", "{{.Internal}}", p.name+"_devtools"))

	// The rosteron image, on chrome's network (as the mock's service),
	// asking DevTools without the token.
	out, err := p.output("run", "--rm", "--no-deps", "-T", "mock", "healthcheck", "http://chrome:9222/json/version")
	require.Error(t, err, out)
	assert.Contains(t, out, "answered 401 Unauthorized")
	assert.NotContains(t, out, "Chrome/")

	// Chrome in there runs with its sandbox: a zygote, no --no-sandbox.
	cmdlines := docker(t, "exec", id, "sh", "-c", `for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null; echo; done`)
	assert.Contains(t, cmdlines, "--type=zygote")
	assert.NotContains(t, cmdlines, "--no-sandbox")
	// The token is in no process's command line.
	token := strings.TrimSpace(docker(t, "exec", id, "cat", "/state/chrome-token"))
	require.Len(t, token, 43)
	assert.NotContains(t, cmdlines, token)
	assert.NotContains(t, p.run("logs", "--no-color", "chrome"), token)
}

// feedHealth is what serve's /healthz says.
type feedHealth struct {
	OK          bool       `json:"ok"`
	Stale       bool       `json:"stale"`
	Shifts      int        `json:"shifts"`
	Failures    int        `json:"failures"`
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
}

func healthz(t *testing.T, url string) feedHealth {
	t.Helper()
	var h feedHealth
	resp, body := get(t, url)
	if resp == nil {
		return h
	}
	_ = json.Unmarshal([]byte(body), &h)
	return h
}

// waitHealth waits for a container's health check to settle.
func waitHealth(t *testing.T, p *project, service string) string {
	t.Helper()
	var s string
	waitFor(t, service+"'s health check", 3*time.Minute, func() bool {
		s = p.health(service)
		return s == "healthy" || s == "unhealthy"
	})
	return s
}

var feedLine = regexp.MustCompile(`iCalendar feed http://[^/\s]+/([A-Za-z0-9_.~-]+)/roster\.ics`)

// feedToken is the token in the address serve printed last.
func feedToken(t *testing.T, p *project) string {
	t.Helper()
	m := feedLine.FindAllStringSubmatch(addresses(t, p), -1)
	require.NotEmpty(t, m, "serve wrote its addresses")
	return m[len(m)-1][1]
}

// addresses is what `rosteron address` prints in serve's container, as the
// docs tell a user to read the feed's addresses.
func addresses(t *testing.T, p *project) string {
	t.Helper()
	return p.run("--profile", "serve", "exec", "-T", "serve", "rosteron", "address")
}

func uids(t *testing.T, body string) []string {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	require.NoError(t, err)
	var ids []string
	for _, ev := range cal.Events() {
		ids = append(ids, ev.Id())
	}
	return ids
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
