// Package radicaletest runs a real Radicale, the CalDAV server of Debian's
// radicale package, on loopback for tests: htpasswd users, its own storage
// folder and its log in a file, so that a test can read the iCalendar files
// the server keeps and count the writes it was sent.
//
// Outside CI a machine without radicale skips the tests that need it; in CI
// (CI=true) it fails them, since a CalDAV test that skips proves nothing.
package radicaletest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvRadicale names the radicale binary to run, when it is not the one on
// $PATH (or /usr/bin/radicale).
const EnvRadicale = "ROSTERON_RADICALE"

// startTimeout bounds how long Radicale may take to listen. It starts in
// about half a second; a loaded CI machine gets plenty more.
const startTimeout = 30 * time.Second

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of Radicale.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Binary returns the radicale to run, or "" when there is none.
func Binary() string {
	if p := os.Getenv(EnvRadicale); p != "" {
		return p
	}
	if p, err := exec.LookPath("radicale"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/radicale"); err == nil {
		return "/usr/bin/radicale"
	}
	return ""
}

// Server is a Radicale running for one test.
type Server struct {
	// URL is the server's root, "http://127.0.0.1:PORT", without a
	// trailing slash.
	URL string
	// Dir is the server's folder: its configuration, users, storage and
	// log.
	Dir string

	t       testing.TB
	bin     string
	addr    string
	config  string
	logPath string
	storage string
	users   map[string]string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a Radicale on a free loopback port with users (username →
// password) in a plain htpasswd file, and stops it when the test ends.
// Plain, because Debian's 3.1.8 checks bcrypt only with python3-bcrypt,
// which the radicale package does not pull in; the file is private to the
// test's folder.
func Start(t testing.TB, users map[string]string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if InCI() {
			t.Fatal("radicale is not installed (apt-get install radicale): the CalDAV tests need it in CI")
		}
		t.Skip("radicale is not installed (apt-get install radicale; set CI=true to make this a failure)")
	}
	dir := t.TempDir()
	s := &Server{
		Dir:     dir,
		t:       t,
		bin:     bin,
		config:  filepath.Join(dir, "config"),
		logPath: filepath.Join(dir, "radicale.log"),
		storage: filepath.Join(dir, "collections"),
		users:   map[string]string{},
	}
	for u, p := range users {
		s.users[u] = p
	}
	if err := s.writeUsers(); err != nil {
		t.Fatal(err)
	}
	// The port is chosen by the kernel and freed for Radicale, which
	// another process could take first: try a few.
	var err error
	for range 5 {
		var ln net.Listener
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("radicaletest: no loopback port: %v", err)
		}
		s.addr = ln.Addr().String()
		ln.Close()
		if err = s.writeConfig(); err != nil {
			t.Fatal(err)
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("radicaletest: %v\n%s", err, s.Log())
	}
	s.URL = "http://" + s.addr
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) writeUsers() error {
	var b strings.Builder
	names := make([]string, 0, len(s.users))
	for u := range s.users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		if strings.ContainsAny(u, ":\r\n") || strings.ContainsAny(s.users[u], "\r\n") {
			return fmt.Errorf("radicaletest: user %q: no colon in a username, no line break in either", u)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, s.users[u])
	}
	return os.WriteFile(filepath.Join(s.Dir, "users"), []byte(b.String()), 0o600)
}

func (s *Server) writeConfig() error {
	conf := fmt.Sprintf(`[server]
hosts = %s
max_content_length = 100000000

[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[web]
type = none

[logging]
level = info
mask_passwords = True
`, s.addr, filepath.Join(s.Dir, "users"), s.storage)
	return os.WriteFile(s.config, []byte(conf), 0o600)
}

// start runs Radicale and waits until it says it is ready, it exits, or
// startTimeout passes. Its own log line, not an answer on the port, is
// the sign: another process could have taken the port meanwhile.
func (s *Server) start() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fi, err := logf.Stat()
	if err != nil {
		return err
	}
	offset := fi.Size() // what earlier runs logged
	cmd := exec.Command(s.bin, "--config", s.config)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = s.Dir
	// A clean environment: no user configuration of the machine's is read.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + s.Dir, "LANG=C.UTF-8"}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if log := s.Log(); int64(len(log)) > offset && strings.Contains(log[offset:], "Radicale server ready") {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("radicale exited before it listened on %s", s.addr)
		case <-ctx.Done():
			s.kill()
			return fmt.Errorf("radicale did not start on %s within %v", s.addr, startTimeout)
		case <-tick.C:
		}
	}
}

func (s *Server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Stop stops the server, to show what a client does when its calendar is
// down. Stopping a stopped server does nothing.
func (s *Server) Stop() { s.kill() }

// Restart starts a stopped server again on the same address, with the
// same storage.
func (s *Server) Restart() {
	s.t.Helper()
	s.kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("radicaletest: restarting: %v\n%s", err, s.Log())
	}
}

// Log returns what Radicale logged so far.
func (s *Server) Log() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	return string(data)
}

// Radicale logs each answer as
// "PUT response status for '/user/cal/x.ics' in 0.004 seconds: 201 Created"
// before it sends it, so a client that has its answer finds the line.
var responseLine = regexp.MustCompile(`\] ([A-Z]+) response status for '([^']*)'.*: (\d{3}) `)

// Request is one request Radicale answered, from its log.
type Request struct {
	Method string
	Path   string
	Status int
}

// Requests returns the requests Radicale answered so far, in order.
func (s *Server) Requests() []Request {
	var out []Request
	sc := bufio.NewScanner(strings.NewReader(s.Log()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := responseLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		code, _ := strconv.Atoi(m[3])
		out = append(out, Request{Method: m[1], Path: m[2], Status: code})
	}
	return out
}

// Writes counts the requests that changed something and succeeded: PUT,
// DELETE, MKCALENDAR, MKCOL, PROPPATCH, MOVE, with a 2xx answer.
func (s *Server) Writes() int {
	n := 0
	for _, r := range s.Requests() {
		switch r.Method {
		case "PUT", "DELETE", "MKCALENDAR", "MKCOL", "PROPPATCH", "MOVE":
			if r.Status/100 == 2 {
				n++
			}
		}
	}
	return n
}

// Count counts the requests of method answered so far, whatever their
// status.
func (s *Server) Count(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// Objects returns the iCalendar files of the collection at path (such as
// "/alice/roster/"), by file name, as Radicale stores them.
func (s *Server) Objects(path string) map[string]string {
	s.t.Helper()
	dir := filepath.Join(s.storage, "collection-root", filepath.FromSlash(strings.Trim(path, "/")))
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.t.Fatalf("radicaletest: reading the collection %s: %v", path, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			s.t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// Collections returns the paths of user's collections ("/alice/roster/")
// with their display names, from the storage folder.
func (s *Server) Collections(user string) map[string]string {
	s.t.Helper()
	dir := filepath.Join(s.storage, "collection-root", user)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		props, _ := os.ReadFile(filepath.Join(dir, e.Name(), ".Radicale.props"))
		m := regexp.MustCompile(`"D:displayname": "((?:[^"\\]|\\.)*)"`).FindSubmatch(props)
		name := ""
		if m != nil {
			name, _ = strconv.Unquote(`"` + string(m[1]) + `"`)
		}
		out["/"+user+"/"+e.Name()+"/"] = name
	}
	return out
}

// Do sends one request as user, for a test to set the server up as a
// person's calendar app would (their own event, an edit), and returns
// the status, the ETag and the body.
func (s *Server) Do(method, user, path string, header http.Header, body string) (status int, etag string, respBody string) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.SetBasicAuth(user, s.users[user])
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatalf("radicaletest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = io.Copy(&b, io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, resp.Header.Get("ETag"), b.String()
}

// Put stores ics at path as user, as a calendar app would, and returns its
// ETag; a status other than 2xx fails the test.
func (s *Server) Put(user, path, ics string) string {
	s.t.Helper()
	status, etag, body := s.Do(http.MethodPut, user, path, http.Header{"Content-Type": {"text/calendar; charset=utf-8"}}, ics)
	if status/100 != 2 {
		s.t.Fatalf("radicaletest: PUT %s: HTTP %d: %s", path, status, body)
	}
	return etag
}

// Get returns the object at path as user, and its ETag; "" when there is
// none.
func (s *Server) Get(user, path string) (ics, etag string) {
	s.t.Helper()
	status, etag, body := s.Do(http.MethodGet, user, path, nil, "")
	if status == http.StatusNotFound {
		return "", ""
	}
	if status/100 != 2 {
		s.t.Fatalf("radicaletest: GET %s: HTTP %d: %s", path, status, body)
	}
	return body, etag
}

// MkCalendar makes a calendar collection at path (ending in "/") named
// name, as user.
func (s *Server) MkCalendar(user, path, name string) {
	s.t.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>` +
		xmlEscape(name) + `</D:displayname></D:prop></D:set></C:mkcalendar>`
	status, _, resp := s.Do("MKCALENDAR", user, path, http.Header{"Content-Type": {"application/xml; charset=utf-8"}}, body)
	if status != http.StatusCreated {
		s.t.Fatalf("radicaletest: MKCALENDAR %s: HTTP %d: %s", path, status, resp)
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
