package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

// The user the feed tests log in as: not the demo user, so that a password
// in the output would be this one.
const (
	feedUser     = "nina.nurse"
	feedPassword = "feed-e2e-Pa55word"
)

func feedUserWith(roster []snapshot.Item) mockserver.User {
	return mockserver.User{Username: feedUser, Password: feedPassword, Name: "NURSE, NINA", Roster: roster}
}

func feedEnv(url string) []string {
	return []string{"ROSTERON_URL=" + url, "ROSTERON_USERNAME=" + feedUser, "ROSTERON_PASSWORD=" + feedPassword}
}

// feedProc is `rosteron serve` running as a process of its own.
type feedProc struct {
	cmd       *exec.Cmd
	tmp       string
	ics, json string // on loopback, where the test reaches them
	page      string
	public    string // the iCalendar feed's address as printed: --public-url's when given
	health    string
	token     string
	stdout    *syncbuf.Buffer
	stderr    *syncbuf.Buffer
	done      chan struct{}
}

var (
	feedURLLine = regexp.MustCompile(`^rosteron serve: (iCalendar|JSON) feed (https?://\S+)/([^/]+)/(roster\.ics|roster\.json)$`)
	// healthLine gives the address serve listens on, whatever
	// --public-url says people reach it at.
	healthLine = regexp.MustCompile(`(?m)^rosteron serve: health at (http://[^/]+)/healthz;`)
)

// startFeed starts `rosteron serve` on a free port, with an isolated
// TMPDIR as cli has, and reads the feeds' addresses as a person would:
// with `rosteron address --state DIR`, since serve, whose stdout is no
// terminal, prints no token. args must give --state.
func startFeed(t *testing.T, env []string, args ...string) *feedProc {
	t.Helper()
	state := stateOf(t, args)
	tmp := t.TempDir()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", listenHost() + ":0"}, args...)...)
	cmd.Env = append(cleanEnv(), append([]string{"TMPDIR=" + tmp}, env...)...)
	p := &feedProc{cmd: cmd, tmp: tmp, stdout: new(syncbuf.Buffer), stderr: new(syncbuf.Buffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	// An addresses file left by an earlier run is not this one's: wait
	// for this run to say where it listens, which it says once the file
	// is written.
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	var local string
	p.waitFor(t, "the address serve listens on", 30*time.Second, func() bool {
		m := healthLine.FindStringSubmatch(p.stderr.String())
		if m != nil {
			local = m[1]
		}
		return m != nil
	})
	out, err := exec.Command(bin, "address", "--state", state).Output()
	require.NoError(t, err, "rosteron address --state %s", state)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, 3, "%s", out)
	for _, line := range lines[:2] {
		m := feedURLLine.FindStringSubmatch(line)
		require.NotNil(t, m, "unexpected line %q", line)
		p.token = m[3]
		if m[4] == "roster.ics" {
			p.public = m[2] + "/" + m[3] + "/" + m[4]
		}
	}
	require.NotEmpty(t, p.public)
	assert.NotContains(t, p.stdout.String()+p.stderr.String(), p.token, "the token goes to no log")
	p.ics = local + "/" + p.token + "/roster.ics"
	p.json = local + "/" + p.token + "/roster.json"
	p.page = local + "/" + p.token + "/"
	// With the token: the detail (the last error, the shifts) that the
	// public /healthz leaves out.
	p.health = local + "/" + p.token + "/healthz"
	return p
}

// stateOf is the folder args give serve's --state.
func stateOf(t *testing.T, args []string) string {
	t.Helper()
	for i, a := range args {
		if a == "--state" && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatal("startFeed needs --state, where the addresses are read from")
	return ""
}

// stop sends SIGTERM and returns the exit status, checking that no Chrome
// is left behind.
func (p *feedProc) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("rosteron serve did not exit within 20s of SIGTERM; stderr: %s", p.stderr)
	}
	assertNoChromeLeft(t, p.tmp)
	return p.cmd.ProcessState.ExitCode()
}

type feedHealth struct {
	OK          bool   `json:"ok"`
	Stale       bool   `json:"stale"`
	Shifts      int    `json:"shifts"`
	LastSuccess string `json:"last_success"`
	LastError   string `json:"last_error"`
	Failures    int    `json:"failures"`
}

func (p *feedProc) healthz(t *testing.T) (int, feedHealth, string) {
	t.Helper()
	resp, body := fetch(t, "GET", p.health)
	var h feedHealth
	require.NoError(t, json.Unmarshal([]byte(body), &h), body)
	return resp.StatusCode, h, body
}

// waitFor polls cond until it holds, for up to limit; the feeds refresh
// through a real Chrome, so limits are generous.
func (p *feedProc) waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > limit {
			t.Fatalf("%s: not within %v; stderr: %s", what, limit, p.stderr)
		}
		select {
		case <-p.done:
			t.Fatalf("%s: rosteron serve exited: %s", what, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return time.Since(began)
}

var feedClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}

func fetch(t *testing.T, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := feedClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func items(t *testing.T, body string) []snapshot.Item {
	t.Helper()
	var s snapshot.Snapshot
	require.NoError(t, json.Unmarshal([]byte(body), &s), body)
	return s.Items
}

func TestServeFeeds(t *testing.T) {
	needChrome(t)
	roster := mockserver.DemoRoster(time.Now())
	m, url := newMock(t, mockserver.WithUsers(feedUserWith(roster)))
	p := startFeed(t, feedEnv(url), "--refresh", "10m", "--tz", "Australia/Melbourne",
		"--state", t.TempDir(), "--calendar-name", "Nina's shifts")
	p.waitFor(t, "the first refresh", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.OK })
	logins := m.Logins()
	assert.Equal(t, 1, logins, "one login at start")

	// Content and content type of both feeds.
	ics, icsBody := fetch(t, "GET", p.ics)
	require.Equal(t, http.StatusOK, ics.StatusCode)
	assert.Equal(t, "text/calendar; charset=utf-8", ics.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(icsBody, "BEGIN:VCALENDAR\r\n"), icsBody)
	assert.Contains(t, icsBody, "X-WR-CALNAME:Nina's shifts\r\n")
	assert.Equal(t, len(roster), strings.Count(icsBody, "BEGIN:VEVENT\r\n"))
	assert.Contains(t, icsBody, "LOCATION:"+roster[0].Title)
	assert.Equal(t, "false", ics.Header.Get("X-Roster-Stale"))
	assert.NotEmpty(t, ics.Header.Get("X-Roster-Fetched"))
	assert.NotEmpty(t, ics.Header.Get("X-Roster-Age"))
	assert.NotEmpty(t, ics.Header.Get("Last-Modified"))

	js, jsBody := fetch(t, "GET", p.json)
	require.Equal(t, http.StatusOK, js.StatusCode)
	assert.Equal(t, "application/json", js.Header.Get("Content-Type"))
	assert.Equal(t, roster, items(t, jsBody))
	assert.Regexp(t, `"start": "\d{4}-\d\d-\d\dT\d\d:\d\d:00\+1[01]:00"`, jsBody, "read in --tz")

	// HEAD: the headers without the body.
	head, headBody := fetch(t, "HEAD", p.ics)
	assert.Equal(t, http.StatusOK, head.StatusCode)
	assert.Empty(t, headBody)
	assert.Equal(t, ics.Header.Get("ETag"), head.Header.Get("ETag"))

	// A wrong token is a plain 404.
	first := "x"
	if p.token[0] == 'x' {
		first = "y" // a token made at random may start with x
	}
	wrong := []string{
		strings.Replace(p.ics, p.token, first+p.token[1:], 1),
		strings.Replace(p.json, p.token, p.token[:len(p.token)-1], 1),
		strings.Replace(p.ics, "/"+p.token, "", 1),
	}
	for _, u := range wrong {
		resp, body := fetch(t, "GET", u)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, u)
		assert.Equal(t, "404 page not found\n", body)
		assert.Empty(t, resp.Header.Get("ETag"))
	}

	// ETag and Last-Modified: 304.
	resp, body := fetch(t, "GET", p.ics, "If-None-Match", ics.Header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)
	resp, _ = fetch(t, "GET", p.json, "If-Modified-Since", js.Header.Get("Last-Modified"))
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	resp, _ = fetch(t, "GET", p.json, "If-None-Match", ics.Header.Get("ETag"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, "each feed has its own ETag")

	// 20 clients, 400 requests, no login.
	const clients, each = 20, 20
	var ok, notModified, other atomic.Int32
	var wg sync.WaitGroup
	began := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				u, hdr := p.ics, []string{}
				switch (c + i) % 4 {
				case 1:
					u = p.json
				case 2:
					hdr = []string{"If-None-Match", ics.Header.Get("ETag")}
				}
				req, _ := http.NewRequest("GET", u, nil)
				for k := 0; k+1 < len(hdr); k += 2 {
					req.Header.Set(hdr[k], hdr[k+1])
				}
				resp, err := feedClient.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusNotModified:
					notModified.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	assert.Zero(t, other.Load(), "every request answered")
	assert.Equal(t, int32(clients*each), ok.Load()+notModified.Load())
	assert.Equal(t, logins, m.Logins(), "feed traffic never logs in")
	t.Logf("%d requests from %d clients in %v: %d 200, %d 304; logins %d before, %d after",
		clients*each, clients, took.Round(time.Millisecond), ok.Load(), notModified.Load(), logins, m.Logins())

	// SIGTERM: exit 0, no Chrome left, logged out.
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	assert.Zero(t, m.Sessions(), "every session logged out")
	out := p.stderr.String()
	assert.Regexp(t, `(?m)^rosteron serve: \S+ refresh ok in \S+: \d+ shifts, changed; next in `, out)
	assert.Contains(t, out, "rosteron serve: stopped")
	assert.NotContains(t, out, "less than 5m")
	assert.NotContains(t, out, feedPassword)
	assert.NotContains(t, out, p.token)
}

// mockHost is a mock RosterOn that can be stopped and started again on the
// same address, serving one mockserver.Server or another, or forwarding
// to a mock in another process.
type mockHost struct {
	t    *testing.T
	addr string
	cur  atomic.Pointer[mockserver.Server] // what it serves, unless fwd is set
	fwd  http.Handler
	mu   sync.Mutex
	srv  *http.Server
}

func newMockHost(t *testing.T, m *mockserver.Server) (*mockHost, string) {
	t.Helper()
	h := &mockHost{t: t, addr: listenHost() + ":0"}
	h.cur.Store(m)
	return h, h.begin(m.BasePath())
}

// newProxyHost is a mockHost in front of the mock at base (such as the
// shared one, changed through its control endpoint), so that a test can
// take that RosterOn down and bring it back. Requests keep the Host they
// name, so that any address the mock writes leads back here.
func newProxyHost(t *testing.T, base string) (*mockHost, string) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	target := &url.URL{Scheme: u.Scheme, Host: u.Host}
	h := &mockHost{t: t, addr: listenHost() + ":0", fwd: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}}
	return h, h.begin(u.Path)
}

// begin starts serving, until the test ends, and returns the address of
// path there as the browser reaches it.
func (h *mockHost) begin(path string) string {
	h.t.Helper()
	h.start()
	h.t.Cleanup(h.stop)
	host := "127.0.0.1"
	if e := os.Getenv("ROSTERON_E2E_HOST"); e != "" {
		host = e
	}
	_, port, _ := net.SplitHostPort(h.addr)
	return fmt.Sprintf("http://%s:%s%s", host, port, path)
}

func (h *mockHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.fwd != nil {
		h.fwd.ServeHTTP(w, r)
		return
	}
	h.cur.Load().ServeHTTP(w, r)
}

func (h *mockHost) start() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var l net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free
		if l, err = net.Listen("tcp", h.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(h.t, err)
	h.addr = l.Addr().String()
	h.srv = &http.Server{Handler: h}
	go func() { _ = h.srv.Serve(l) }()
}

// stop closes the listener and every connection: RosterOn is down.
func (h *mockHost) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		_ = h.srv.Close()
		h.srv = nil
	}
}

// An outage: before any roster the feed answers 503; once it has one, a
// RosterOn that answers badly or not at all leaves it served, marked
// stale; a restart while RosterOn is down serves it from the state
// folder; and when RosterOn is back with a changed roster the feed follows.
func TestServeSurvivesOutages(t *testing.T) {
	needChrome(t)
	rosterA := mockserver.DemoRoster(time.Now())
	rosterB := append([]snapshot.Item(nil), rosterA[1:]...)
	rosterB[0].Title = "Ward 9 - Changed Hospital"

	first := mockserver.New(mockserver.WithUsers(feedUserWith(rosterA)), mockserver.WithFault(mockserver.FaultProxy403))
	host, url := newMockHost(t, first)
	state := t.TempDir()
	args := []string{"--refresh", "2s", "--state", state, "--timeout", "20s"}

	p := startFeed(t, feedEnv(url), args...)
	// No roster yet: 503 with Retry-After, never an empty calendar.
	resp, body := fetch(t, "GET", p.ics)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.NotContains(t, body, "VCALENDAR")
	p.waitFor(t, "a failed refresh", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.LastError != "" })
	code, h, healthBody := p.healthz(t)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, h.LastError, "403")
	assert.NotContains(t, healthBody, feedPassword)
	assert.Equal(t, http.StatusServiceUnavailable, func() int { r, _ := fetch(t, "GET", p.json); return r.StatusCode }())

	// RosterOn answers: the feed has its roster.
	first.SetFaults(0)
	p.waitFor(t, "the roster after the fault cleared", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.OK })
	good, goodBody := fetch(t, "GET", p.ics)
	require.Equal(t, http.StatusOK, good.StatusCode)
	_, js := fetch(t, "GET", p.json)
	assert.Equal(t, rosterA, items(t, js))

	// RosterOn answers badly (a proxy's 403): the last roster, stale.
	first.SetFaults(mockserver.FaultProxy403)
	p.waitFor(t, "stale after the proxy's 403", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.Stale })
	resp, body = fetch(t, "GET", p.ics)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, goodBody, body, "the last good roster, never an empty one")
	assert.Equal(t, good.Header.Get("ETag"), resp.Header.Get("ETag"))
	assert.Equal(t, "true", resp.Header.Get("X-Roster-Stale"))
	resp, _ = fetch(t, "GET", p.ics, "If-None-Match", good.Header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("X-Roster-Stale"), "a 304 is marked too")

	// RosterOn stops altogether.
	host.stop()
	p.waitFor(t, "a refresh failing on a closed port", 60*time.Second, func() bool {
		_, h, _ := p.healthz(t)
		return strings.Contains(h.LastError, "CONNECTION_REFUSED")
	})
	resp, body = fetch(t, "GET", p.ics)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, goodBody, body)
	assert.Equal(t, "true", resp.Header.Get("X-Roster-Stale"))
	assert.NotEmpty(t, resp.Header.Get("X-Roster-Age"))
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	out := p.stderr.String()
	assert.Contains(t, out, "rosteron: warning: --refresh 2s is less than 5m: logging in to RosterOn that often is impolite")
	assert.Contains(t, out, "nothing to serve yet")
	assert.Regexp(t, `(?m) refresh failed after \S+: .*; serving the roster fetched \S+ ago; next in `, out)
	assert.NotContains(t, out, feedPassword)
	assert.NotContains(t, out, p.token)

	// A restart while RosterOn is down serves the saved roster at once.
	p = startFeed(t, feedEnv(url), args...)
	resp, body = fetch(t, "GET", p.ics)
	require.Equal(t, http.StatusOK, resp.StatusCode, "stderr: %s", p.stderr)
	assert.Equal(t, goodBody, body)
	assert.Equal(t, good.Header.Get("ETag"), resp.Header.Get("ETag"))
	assert.Equal(t, "true", resp.Header.Get("X-Roster-Stale"))
	_, js = fetch(t, "GET", p.json)
	assert.Equal(t, rosterA, items(t, js))
	p.waitFor(t, "a failed refresh after the restart", 60*time.Second, func() bool { _, h, _ := p.healthz(t); return h.Failures > 0 })
	code, h, _ = p.healthz(t)
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, h.Stale)
	assert.Equal(t, len(rosterA), h.Shifts)

	// RosterOn is back, with a changed roster: the feed follows within a
	// refresh or two (the backoff never exceeds --refresh).
	second := mockserver.New(mockserver.WithUsers(feedUserWith(rosterB)))
	host.cur.Store(second)
	host.start()
	took := p.waitFor(t, "the changed roster", 60*time.Second, func() bool {
		_, js := fetch(t, "GET", p.json)
		return len(items(t, js)) == len(rosterB)
	})
	t.Logf("the feed served the changed roster %v after RosterOn came back (--refresh 2s)", took.Round(100*time.Millisecond))
	resp, js = fetch(t, "GET", p.json)
	assert.Equal(t, rosterB, items(t, js))
	assert.Equal(t, "false", resp.Header.Get("X-Roster-Stale"))
	resp, _ = fetch(t, "GET", p.ics, "If-None-Match", good.Header.Get("ETag"))
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a new roster, a new ETag")
	assert.GreaterOrEqual(t, second.Logins(), 1)
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	assert.Zero(t, second.Sessions(), "every session logged out")
	assert.Contains(t, p.stderr.String(), "shifts, changed")
	assert.NotContains(t, p.stderr.String(), feedPassword)
}

// SIGTERM in the middle of a refresh: the run is cut short, Chrome is
// stopped and the exit status is still 0.
func TestServeSIGTERMDuringRefresh(t *testing.T) {
	needChrome(t)
	m, url := newMock(t, mockserver.WithUsers(feedUserWith(mockserver.DemoRoster(time.Now()))),
		mockserver.WithStepFault(mockserver.StepRoster, mockserver.FaultHang))
	t.Cleanup(m.Close)
	p := startFeed(t, feedEnv(url), "--state", t.TempDir())
	waitHanging(t, m)
	began := time.Now()
	assert.Equal(t, 0, p.stop(t), "stderr: %s", p.stderr)
	assert.Less(t, time.Since(began), 10*time.Second)
	assert.Zero(t, m.Sessions(), "logged out on the way out")
	assert.Contains(t, p.stderr.String(), "refresh stopped after")
}
