package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/mockserver"
	"github.com/rosteron/rosteron/snapshot"
)

const (
	smtpTestUser     = "rosteron-alerts"
	smtpTestPassword = "Sm7p-s3cret-pa55"
)

func TestServeMailUsageErrors(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(smtpTestPassword+"\n"), 0o600))
	base := []string{"serve", "--url", goodURL, "--username", "joe", "--state", t.TempDir(), "--notify", "mailto:joe@example.com"}
	with := func(args ...string) []string { return append(append([]string(nil), base...), args...) }
	smtpOK := []string{"--smtp", "smtp://mail.example.org", "--smtp-from", "rosteron@example.org"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no --smtp", with("--smtp-from", "rosteron@example.org"), "--notify mailto: needs a mail server to send with: --smtp smtp://HOST:PORT"},
		{"no --smtp-from", with("--smtp", "smtp://mail.example.org"), "--notify mailto: needs a mail server"},
		{"not an smtp URL", with("--smtp", "mail.example.org:587", "--smtp-from", "rosteron@example.org"), "invalid SMTP settings: want smtp://HOST:PORT"},
		{"credentials in the URL", with("--smtp", "smtp://u:"+smtpTestPassword+"@mail.example.org", "--smtp-from", "a@example.org"), "holds credentials"},
		{"bad from", with("--smtp", "smtp://mail.example.org", "--smtp-from", "rosteron"), "the From address: not an email address"},
		{"username without a password", with(append(smtpOK, "--smtp-username", smtpTestUser)...), "--smtp-username needs the mail server's password"},
		{"password file without a username", with(append(smtpOK, "--smtp-password-file", pwFile)...), "--smtp-password-file goes with --smtp-username"},
		{"missing password file", with(append(smtpOK, "--smtp-username", "u", "--smtp-password-file", filepath.Join(dir, "nope"))...), "no password file"},
		{"bad address", append(with(smtpOK...), "--notify", "mailto:joe@example.com?subject=hi"), "--notify #2: invalid notify URL: a mailto: target is the address alone"},
		{"mailto in the file, no --smtp", append(base, "--notify-file", notifyFile(t, "mailto:nina@example.org\n")), "--notify mailto: needs a mail server"},
		{"json mailto", append(with(smtpOK...), "--notify", "json+mailto:joe@example.com"), "--notify #2: invalid notify URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, withPassword, "", tc.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assertOneErrorLine(t, r)
			assert.Contains(t, r.stderr, tc.want)
			assert.Contains(t, r.stderr, "(see 'rosteron serve --help')")
			assert.NotContains(t, r.stderr, smtpTestPassword)
		})
	}
}

// The SMTP password comes from --smtp-password-file, else the systemd
// credential, else the Docker secret; the first line of each.
func TestSMTPPasswordSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
		return p
	}
	flagFile := write("flag", "from-flag\nignored\n")
	creds := filepath.Dir(write("creds/"+smtpCredentialName, "from-credential"))
	secrets := filepath.Dir(write("secrets/"+smtpSecretName, "from-secret\n"))
	empty := t.TempDir()
	targets := []*feed.Target{mustTarget(t, "mailto:joe@example.com")}
	for _, tc := range []struct {
		name, flag, credDir, secrets, want string
	}{
		{"flag first", flagFile, creds, secrets, "from-flag"},
		{"then the systemd credential", "", creds, secrets, "from-credential"},
		{"then the Docker secret", "", empty, secrets, "from-secret"},
	} {
		var stderr strings.Builder
		c := &cli{stderr: &stderr, getenv: func(k string) string {
			if k == "CREDENTIALS_DIRECTORY" {
				return tc.credDir
			}
			return ""
		}, secretsDir: tc.secrets}
		m, err := c.mailer(context.Background(), "serve",
			smtpFlags{server: "smtps://mail.example.org", from: "a@example.org", username: "alerts", passwordFile: tc.flag}, targets)
		require.NoError(t, err, tc.name)
		assert.Contains(t, m.Secrets(), tc.want, tc.name)
		assert.Contains(t, m.Secrets(), "alerts", "%s: the username is kept out of logs too", tc.name)
		assert.Empty(t, stderr.String(), tc.name)
	}

	// No mailto: target: no mailer, and a warning that the settings do
	// nothing.
	var stderr strings.Builder
	c := &cli{stderr: &stderr, getenv: func(string) string { return "" }, secretsDir: empty}
	m, err := c.mailer(context.Background(), "serve", smtpFlags{server: "smtp://mail.example.org"},
		[]*feed.Target{mustTarget(t, "https://ntfy.sh/topic")})
	require.NoError(t, err)
	assert.Nil(t, m)
	assert.Contains(t, stderr.String(), "no --notify mailto:ADDRESS: no email is sent")
}

func mustTarget(t *testing.T, spec string) *feed.Target {
	t.Helper()
	tg, err := feed.ParseTarget(spec)
	require.NoError(t, err)
	return tg
}

// mailbox is a real SMTP server, go-smtp's, on loopback, with AUTH PLAIN
// (allowed without TLS on loopback) that takes smtpTestUser's password.
type mailbox struct {
	addr string
	mu   sync.Mutex
	got  []string // each message as sent
	rcpt []string
	each chan struct{}
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{each: make(chan struct{}, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{mb: mb}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mb.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

func (mb *mailbox) wait(t *testing.T) (msg string, rcpt []string) {
	t.Helper()
	select {
	case <-mb.each:
	case <-time.After(20 * time.Second):
		t.Fatal("no email within 20s")
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.got[len(mb.got)-1], append([]string(nil), mb.rcpt...)
}

type mailboxSession struct {
	mb     *mailbox
	authed bool
}

func (s *mailboxSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailboxSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpTestUser || pass != smtpTestPassword {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailboxSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	s.mb.rcpt = append(s.mb.rcpt, to)
	s.mb.mu.Unlock()
	return nil
}
func (s *mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.got = append(s.mb.got, string(b))
	s.mb.mu.Unlock()
	s.mb.each <- struct{}{}
	return nil
}
func (s *mailboxSession) Reset()        {}
func (s *mailboxSession) Logout() error { return nil }

// serve --notify mailto: emails the alerts it has to send, through
// --smtp with the password from a file, which no line of its log holds.
// No Chrome is needed: the alert is one an earlier run left undelivered
// in the state folder.
func TestServeEmailsAlerts(t *testing.T) {
	mb := newMailbox(t)
	state := t.TempDir()
	fd := feed.New(feed.WithStateDir(state), feed.WithSource(goodURL, "joe"))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: mockserver.DemoRoster(time.Now())})
	require.NoError(t, err)
	// An alert queued for the address, as Notifier keeps it (its key is
	// a hash of the target).
	sum := sha256.Sum256([]byte("mailto:joe@example.com"))
	pending, err := json.Marshal(map[string]any{
		"source": map[string]string{},
		"outbox": []map[string]any{{
			"id": "alert-1", "created": time.Now().UTC(), "title": "Shift moved: Tue 7 Apr",
			"text": "Moved: Tue 7 Apr Day Shift, 07:00–15:30 → 09:00–17:30", "json": map[string]string{},
			"pending": []string{hex.EncodeToString(sum[:12])},
		}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(state, feed.NotifyFile), pending, 0o600))
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(smtpTestPassword+"\n"), 0o600))

	env := map[string]string{"ROSTERON_PASSWORD": "s3cret-Pa55", "ROSTERON_FEED_TOKEN": goodToken}
	s := startServe(t, env, "--url", goodURL, "--username", "joe", "--state", state, "--browser", "ws://127.0.0.1:1",
		"--refresh", "1h", "--notify", "mailto:joe@example.com",
		"--smtp", "smtp://"+mb.addr, "--smtp-from", "Roster <rosteron@example.org>",
		"--smtp-username", smtpTestUser, "--smtp-password-file", pwFile)
	raw, rcpt := mb.wait(t)
	assert.Equal(t, []string{"joe@example.com"}, rcpt)
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, "Shift moved: Tue 7 Apr", msg.Header.Get("Subject"))
	assert.Equal(t, `"Roster" <rosteron@example.org>`, msg.Header.Get("From"))
	assert.Equal(t, "<joe@example.com>", msg.Header.Get("To"))
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	assert.Equal(t, "Moved: Tue 7 Apr Day Shift, 07:00–15:30 → 09:00–17:30\r\n", string(body))
	out := awaitOutput(t, s.stderr, (chan int)(nil), 20*time.Second, "the delivery line", func(s string) bool {
		return strings.Contains(s, "alert delivered to mailto:…@example.com: Shift moved: Tue 7 Apr")
	})
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	for _, secret := range []string{smtpTestPassword, smtpTestUser} {
		assert.NotContains(t, out, secret)
		assert.NotContains(t, s.stderr.String(), secret)
	}
}

// With Chrome, against the mock: a refresh that finds a shift added
// emails the alert.
func TestServeEmailsAChangeWithChrome(t *testing.T) {
	needChrome(t)
	mb := newMailbox(t)
	mock := mockserver.New()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	// The roster an earlier run saved lacks the last shift: the first
	// refresh finds it added.
	state := t.TempDir()
	demo := mockserver.DemoRoster(time.Now())
	fd := feed.New(feed.WithStateDir(state))
	_, err := fd.Update(&snapshot.Snapshot{Time: time.Now().UTC(), Items: demo[:len(demo)-1]})
	require.NoError(t, err)
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(smtpTestPassword+"\n"), 0o600))

	env := chromeEnv(map[string]string{
		"ROSTERON_URL": ts.URL + mock.BasePath(), "ROSTERON_USERNAME": mockserver.DemoUsername,
		"ROSTERON_PASSWORD": mockserver.DemoPassword,
	})
	s := startServe(t, env, "--state", state, "--tz", "Australia/Melbourne", "--timeout", "30s",
		"--notify", "mailto:joe@example.com", "--smtp", "smtp://"+mb.addr, "--smtp-from", "rosteron@example.org",
		"--smtp-username", smtpTestUser, "--smtp-password-file", pwFile)
	raw, rcpt := mb.wait(t)
	assert.Equal(t, []string{"joe@example.com"}, rcpt)
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	require.NoError(t, err)
	assert.Regexp(t, `^Shift added: `, msg.Header.Get("Subject"))
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	assert.Regexp(t, `^Added: `, string(body))
	awaitOutput(t, s.stderr, (chan int)(nil), 20*time.Second, "the delivery line", func(s string) bool {
		return strings.Contains(s, "alert delivered to mailto:…@example.com: Shift added: ")
	})
	assert.Equal(t, exitOK, s.stop(syscall.SIGTERM))
	assert.NotContains(t, s.stderr.String(), smtpTestPassword)
	assert.NotContains(t, s.stderr.String(), smtpTestUser)
	assert.NotContains(t, s.stderr.String(), mockserver.DemoPassword)
}
