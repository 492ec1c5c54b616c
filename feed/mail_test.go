package feed

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosteron/rosteron/internal/syncbuf"
)

// The email tests run a real SMTP server, go-smtp's, on loopback: plain,
// with STARTTLS or with TLS from the first byte, with AUTH PLAIN and
// LOGIN, answering as a test scripts it.

const (
	smtpUser     = "alerts@example.org"
	smtpPassword = "Sm7p-pa55word-secret"
	mailHost     = "mail.example.org" // the name a "remote" server is reached by
)

// testCert is a self-signed certificate for localhost, 127.0.0.1 and
// mailHost, and a pool that trusts it.
type testCert struct {
	cert tls.Certificate
	pool *x509.CertPool
}

var (
	certOnce sync.Once
	theCert  testCert
)

func newTestCert(t *testing.T) testCert {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "rosteron test SMTP"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			DNSNames:              []string{"localhost", mailHost},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		parsed, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		theCert.pool = x509.NewCertPool()
		theCert.pool.AddCert(parsed)
		theCert.cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}
	})
	return theCert
}

// received is one message the server took.
type received struct {
	from string
	to   []string
	data string
	tls  bool
	user string
}

// smtpServer is a go-smtp server on loopback that records what it takes
// and what it is told. Each RCPT is answered with the next of rcptFail's
// errors, then taken.
type smtpServer struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	got      []received
	rcpts    int
	auths    []string // "PLAIN user", "LOGIN user"
	rcptFail []error
	needAuth bool
	mechs    []string      // nil: PLAIN and LOGIN
	each     chan struct{} // a token per RCPT answered
	log      syncbuf.Buffer
}

type serverMode int

const (
	plainSMTP   serverMode = iota // no STARTTLS offered
	startTLS                      // STARTTLS offered
	implicitTLS                   // TLS from the first byte
)

func newSMTPServer(t *testing.T, mode serverMode, needAuth bool, rcptFail ...error) *smtpServer {
	t.Helper()
	s := &smtpServer{rcptFail: rcptFail, needAuth: needAuth, each: make(chan struct{}, 100)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = testLogger{&s.log}
	// Its own protocol log, password and all, to show that it crossed
	// the connection as the server sees it.
	s.srv.Debug = &s.log
	var ln net.Listener
	var err error
	switch mode {
	case plainSMTP:
		s.srv.AllowInsecureAuth = true
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case startTLS:
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{newTestCert(t).cert}}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case implicitTLS:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{newTestCert(t).cert}})
	}
	require.NoError(t, err)
	s.addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

type testLogger struct{ w io.Writer }

func (l testLogger) Printf(format string, v ...any) {
	_, _ = io.WriteString(l.w, strings.TrimSpace(fmt.Sprintf(format, v...))+"\n")
}
func (l testLogger) Println(v ...any) {
	_, _ = io.WriteString(l.w, strings.TrimSpace(fmt.Sprint(v...))+"\n")
}

func (s *smtpServer) authsSeen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitRcpts waits until the server has answered n RCPTs in all.
func (s *smtpServer) waitRcpts(t *testing.T, n int) {
	t.Helper()
	for {
		s.mu.Lock()
		done := s.rcpts >= n
		s.mu.Unlock()
		if done {
			return
		}
		select {
		case <-s.each:
		case <-time.After(10 * time.Second):
			t.Fatalf("the SMTP server had no RCPT within 10s; has %d, want %d", s.rcpts, n)
		}
	}
}

// waitMessages waits until the server has taken n messages.
func (s *smtpServer) waitMessages(t *testing.T, n int) []received {
	t.Helper()
	for len(s.messages()) < n {
		select {
		case <-s.each:
		case <-time.After(10 * time.Second):
			t.Fatalf("the SMTP server took no message within 10s; has %d, want %d", len(s.messages()), n)
		}
	}
	return s.messages()
}

type smtpSession struct {
	s    *smtpServer
	conn *smtp.Conn
	user string
	cur  received
}

func (x *smtpSession) AuthMechanisms() []string {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.mechs != nil {
		return x.s.mechs
	}
	return []string{sasl.Plain, sasl.Login}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(mech, user, pass string) error {
		x.s.mu.Lock()
		x.s.auths = append(x.s.auths, mech+" "+user)
		x.s.mu.Unlock()
		if user != smtpUser || pass != smtpPassword {
			return smtp.ErrAuthFailed
		}
		x.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check("PLAIN", user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error { return check("LOGIN", user, pass) }}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.needAuth && x.user == "" {
		return smtp.ErrAuthRequired
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.cur = received{from: from, tls: isTLS, user: x.user}
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := x.s
	s.mu.Lock()
	s.rcpts++
	var err error
	if len(s.rcptFail) > 0 {
		err, s.rcptFail = s.rcptFail[0], s.rcptFail[1:]
	}
	s.mu.Unlock()
	if err == nil {
		x.cur.to = append(x.cur.to, to)
	} else {
		s.each <- struct{}{}
	}
	return err
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.data = string(b)
	x.s.mu.Lock()
	x.s.got = append(x.s.got, x.cur)
	x.s.mu.Unlock()
	x.s.each <- struct{}{}
	return nil
}

// loginServer is the server side of AUTH LOGIN, which go-sasl has not.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user, l.step = string(response), 2
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}

func (x *smtpSession) Reset()        { x.cur = received{} }
func (x *smtpSession) Logout() error { return nil }

// mailer is a Mailer for the test server: server is the URL as a person
// would give it, and a "remote" host is reached at the server's loopback
// address.
func (s *smtpServer) mailer(t *testing.T, server, username, password string) *Mailer {
	t.Helper()
	m, err := NewMailer(server, "Rosteron <rosteron@example.org>", username, password)
	require.NoError(t, err)
	m.TLSConfig = &tls.Config{RootCAs: newTestCert(t).pool}
	m.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, s.addr)
	}
	return m
}

func (s *smtpServer) port() string {
	_, p, _ := net.SplitHostPort(s.addr)
	return p
}

// mailNotifier is a notifier of a feed in a new state folder that emails
// to, through m, with waits of a millisecond, logging to log.
func mailNotifier(t *testing.T, m *Mailer, log io.Writer, to ...string) (*Notifier, *clock) {
	t.Helper()
	f, c := newTestFeed(t, WithStateDir(stateDir(t)), WithSource("https://r.example/Mobile", "joe"),
		WithLocation(time.UTC))
	var targets []*Target
	for _, addr := range to {
		targets = append(targets, target(t, "mailto:"+addr))
	}
	n := NewNotifier(f, targets...)
	n.Mailer = m
	n.Log, n.Backoff = log, time.Millisecond
	n.rand = func() float64 { return 0.5 }
	require.NoError(t, n.Load())
	return n, c
}

// alertOnce gives n a baseline and then a roster with its first shift
// moved: one alert, "Shift moved: …".
func alertOnce(t *testing.T, n *Notifier, c *clock) {
	t.Helper()
	first := snap(c.Now(), "Ward 4B", "Ward 5")
	n.Observe(first)
	c.Add(time.Hour)
	n.Observe(moved(first, "09:00 - 17:30"))
}

// waitLog waits, for 10 seconds at most, until cond holds of the log.
func waitLog(t *testing.T, log *syncbuf.Buffer, cond func(string) bool) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := log.Wait(ctx, cond)
	if err != nil {
		t.Logf("the log so far:\n%s", out)
	}
	return out, err
}

// parsed is a received message read as a mail reader reads it.
type parsed struct {
	header mail.Header
	body   string
}

func readMessage(t *testing.T, data string) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	require.NoError(t, err)
	b, err := io.ReadAll(msg.Body)
	require.NoError(t, err)
	// Quoted-printable, as the header says.
	require.Equal(t, "quoted-printable", msg.Header.Get("Content-Transfer-Encoding"))
	body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(b))))
	require.NoError(t, err)
	// Lines end in CRLF on the wire, as RFC 5322 has them.
	return parsed{msg.Header, strings.ReplaceAll(string(body), "\r\n", "\n")}
}

// An alert arrives as a short plain-text email, through STARTTLS and
// AUTH PLAIN to a server that is not loopback: subject, body, From, To,
// Date and Message-ID as a mail reader reads them, and the password
// nowhere in the log.
func TestMailAlertDelivered(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, startTLS, true)
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), smtpUser, smtpPassword)
	var log syncbuf.Buffer
	n, c := mailNotifier(t, m, &log, "joe.bloggs@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)

	msgs := srv.waitMessages(t, 1)
	require.Len(t, msgs, 1)
	got := msgs[0]
	assert.True(t, got.tls, "over STARTTLS")
	assert.Equal(t, smtpUser, got.user, "logged in")
	assert.Equal(t, "rosteron@example.org", got.from)
	assert.Equal(t, []string{"joe.bloggs@example.com"}, got.to)
	assert.Equal(t, []string{"PLAIN " + smtpUser}, srv.authsSeen())

	p := readMessage(t, got.data)
	assert.Equal(t, `"Rosteron" <rosteron@example.org>`, p.header.Get("From"))
	assert.Equal(t, "<joe.bloggs@example.com>", p.header.Get("To"))
	assert.Equal(t, "Shift moved: Sat 4 Apr", p.header.Get("Subject"))
	assert.Equal(t, "text/plain; charset=utf-8", p.header.Get("Content-Type"))
	assert.Equal(t, "auto-generated", p.header.Get("Auto-Submitted"))
	date, err := p.header.Date()
	require.NoError(t, err)
	assert.True(t, c.Now().Truncate(time.Second).Equal(date), "Date is the feed's clock: %v", date)
	assert.Regexp(t, `^<[A-Za-z0-9_-]+\.[a-z0-9]+@example\.org>$`, p.header.Get("Message-ID"))
	assert.Equal(t, "Moved: Sat 4 Apr Day Shift, 07:00–15:30 → 09:00–17:30\n", p.body)
	assert.NotContains(t, got.data, "<html", "no HTML")
	for _, line := range strings.Split(got.data, "\r\n") {
		assert.LessOrEqual(t, len(line), 78, "line %q", line)
	}

	_, err = waitLog(t, &log, func(s string) bool { return strings.Contains(s, "alert delivered to mailto:…@example.com") })
	require.NoError(t, err)
	assert.NotContains(t, log.String(), smtpPassword)
	assert.NotContains(t, log.String(), smtpUser)
	assert.NotContains(t, log.String(), "joe.bloggs")
	assert.Contains(t, srv.log.String(), "AUTH PLAIN", "the server's own log saw the login")
}

// A title that is not ASCII is encoded (RFC 2047), and a mail reader
// reads it back as it was; smtps:// speaks TLS from the first byte.
func TestMailNonASCIISubject(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, implicitTLS, false)
	m := srv.mailer(t, "smtps://"+mailHost+":"+srv.port(), "", "")
	n, _ := mailNotifier(t, m, io.Discard, "zoe@example.com")
	a := notice("test", "Roster feed: Zoë's shift moved → 09:00, and Łukasz Wróblewski's → 11:00", "Zoë Nguyễn: 07:00–15:30 → 09:00–17:30", "")
	a.Created = time.Now()
	require.NoError(t, n.sendMail(context.Background(), n.targets[0], a))
	msgs := srv.waitMessages(t, 1)
	assert.True(t, msgs[0].tls)
	raw := msgs[0].data
	assert.Contains(t, raw, "\r\nSubject:\r\n =?utf-8?q?Roster_feed:_Zo=C3=AB's_shift", "encoded words, folded")
	for _, line := range strings.Split(raw, "\r\n") {
		assert.LessOrEqual(t, len(line), 78, "line %q", line)
	}
	for _, r := range raw {
		assert.Less(t, r, rune(128), "the message is ASCII on the wire")
	}
	p := readMessage(t, raw)
	subject, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "Roster feed: Zoë's shift moved → 09:00, and Łukasz Wróblewski's → 11:00", subject)
	assert.Equal(t, "Zoë Nguyễn: 07:00–15:30 → 09:00–17:30\n", p.body)
}

// A server that is not loopback and offers no STARTTLS gets neither the
// password nor the mail: the alert is given up, saying why.
func TestMailNeedsTLSToAnotherMachine(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, plainSMTP, true)
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), smtpUser, smtpPassword)
	var log syncbuf.Buffer
	n, c := mailNotifier(t, m, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	out, err := waitLog(t, &log, func(s string) bool { return strings.Contains(s, "given up") })
	require.NoError(t, err)
	assert.Contains(t, out, "alert to mailto:…@example.com given up: smtp://mail.example.org:"+srv.port()+
		" offers no STARTTLS, and rosteron sends no mail or password in clear to another machine")
	assert.Contains(t, out, "check the address and the SMTP settings, and restart")
	assert.Empty(t, srv.messages())
	assert.Empty(t, srv.authsSeen(), "no AUTH sent")
	assert.NotContains(t, srv.log.String(), "\r\nAUTH ", "the client sent no AUTH")

	// The same server on loopback, as a local relay is: no TLS needed,
	// and the password may go in clear, since it does not leave the
	// machine.
	local := srv.mailer(t, "smtp://127.0.0.1:"+srv.port(), smtpUser, smtpPassword)
	a := notice("test", "Roster feed working again", "RosterOn was read again just now.", "")
	a.Created = time.Now()
	n2, _ := mailNotifier(t, local, io.Discard, "joe@example.com")
	require.NoError(t, n2.sendMail(context.Background(), n2.targets[0], a))
	msgs := srv.waitMessages(t, 1)
	assert.False(t, msgs[0].tls)
	assert.Equal(t, smtpUser, msgs[0].user)
}

// The password is sent only over TLS even should the checks before AUTH
// be bypassed: smtpAuth itself refuses a connection without TLS to
// another machine, and LOGIN is used when PLAIN is not offered.
func TestSMTPAuthRefusesClearText(t *testing.T) {
	t.Parallel()
	a := &smtpAuth{username: "u", password: smtpPassword, host: mailHost}
	_, _, err := a.Start(&netsmtp.ServerInfo{Name: mailHost, TLS: false, Auth: []string{"PLAIN"}})
	var final *finalError
	require.ErrorAs(t, err, &final)
	assert.NotContains(t, err.Error(), smtpPassword)

	mech, resp, err := a.Start(&netsmtp.ServerInfo{Name: mailHost, TLS: true, Auth: []string{"LOGIN"}})
	require.NoError(t, err)
	assert.Equal(t, "LOGIN", mech)
	assert.Nil(t, resp)
	user, err := a.Next([]byte("Username:"), true)
	require.NoError(t, err)
	assert.Equal(t, "u", string(user))
	pass, err := a.Next([]byte("Password:"), true)
	require.NoError(t, err)
	assert.Equal(t, smtpPassword, string(pass))

	_, _, err = (&smtpAuth{host: mailHost}).Start(&netsmtp.ServerInfo{Name: mailHost, TLS: true, Auth: []string{"CRAM-MD5"}})
	assert.ErrorIs(t, err, errNoAuth)
}

// A server that offers only AUTH LOGIN gets that.
func TestMailAuthLogin(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, startTLS, true)
	srv.mu.Lock()
	srv.mechs = []string{sasl.Login}
	srv.mu.Unlock()
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), smtpUser, smtpPassword)
	n, _ := mailNotifier(t, m, io.Discard, "joe@example.com")
	a := notice("test", "Roster feed working again", "RosterOn was read again just now.", "")
	a.Created = time.Now()
	require.NoError(t, n.sendMail(context.Background(), n.targets[0], a))
	msgs := srv.waitMessages(t, 1)
	assert.Equal(t, smtpUser, msgs[0].user)
	assert.Equal(t, []string{"LOGIN " + smtpUser}, srv.authsSeen())
}

// A wrong password is a 535: the alert is given up, and the log holds
// neither the password nor the username.
func TestMailWrongPasswordNotLogged(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, startTLS, true)
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), smtpUser, "wrong-"+smtpPassword)
	var log syncbuf.Buffer
	n, c := mailNotifier(t, m, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	out, err := waitLog(t, &log, func(s string) bool { return strings.Contains(s, "given up") })
	require.NoError(t, err)
	assert.Contains(t, out, "given up: the SMTP server answered 535 5.7.8 Authentication failed")
	assert.NotContains(t, out, smtpPassword)
	assert.NotContains(t, out, smtpUser)
	assert.Empty(t, srv.messages())
}

// A 4xx is retried, and the alert delivered once; a 5xx (a recipient
// refused) is given up with a log line, and the next alert goes out.
func TestMailRetriesTemporaryGivesUpPermanent(t *testing.T) {
	t.Parallel()
	busy := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	srv := newSMTPServer(t, startTLS, false, busy, busy)
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), "", "")
	var log syncbuf.Buffer
	n, c := mailNotifier(t, m, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	msgs := srv.waitMessages(t, 1)
	assert.Len(t, msgs, 1)
	out, err := waitLog(t, &log, func(s string) bool { return strings.Contains(s, "alert delivered") })
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(out, "failed: the SMTP server answered 451 4.3.0 Try again later; next try in"), out)
	srv.mu.Lock()
	assert.Equal(t, 3, srv.rcpts)
	srv.mu.Unlock()

	// No more tries once delivered: the next RCPT the server sees is the
	// next alert's, refused for good.
	srv.mu.Lock()
	srv.rcptFail = []error{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<joe@example.com>: no such user"}}
	srv.mu.Unlock()
	c.Add(time.Hour)
	n.Observe(moved(snap(c.Now(), "Ward 4B", "Ward 5"), "11:00 - 19:30"))
	out, err = waitLog(t, &log, func(s string) bool { return strings.Contains(s, "given up") })
	require.NoError(t, err)
	assert.Contains(t, out, "alert to mailto:…@example.com given up: the SMTP server answered 550 5.1.1 <[REDACTED]>: no such user")
	srv.waitRcpts(t, 4)
	assert.Len(t, srv.messages(), 1)
	n.mu.Lock()
	assert.Empty(t, n.outbox, "nothing left to send")
	n.mu.Unlock()
}

// A server that is down is retried until it is up.
func TestMailServerDownRetried(t *testing.T) {
	t.Parallel()
	// A port with nothing on it, until the server is up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := ln.Addr().String()
	require.NoError(t, ln.Close())
	srv := newSMTPServer(t, plainSMTP, false)
	var addr atomic.Value
	addr.Store(down)

	var log syncbuf.Buffer
	m, err := NewMailer("smtp://127.0.0.1:25", "rosteron@example.org", "", "")
	require.NoError(t, err)
	m.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr.Load().(string))
	}
	n, c := mailNotifier(t, m, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	_, err = waitLog(t, &log, func(s string) bool {
		return strings.Count(s, "alert to mailto:…@example.com failed: ") >= 2
	})
	require.NoError(t, err)
	assert.Contains(t, log.String(), "connection refused")
	assert.NotContains(t, log.String(), "given up")

	// The server comes up: the alert goes out, once.
	addr.Store(srv.addr)
	msgs := srv.waitMessages(t, 1)
	assert.Equal(t, []string{"joe@example.com"}, msgs[0].to)
	_, err = waitLog(t, &log, func(s string) bool { return strings.Contains(s, "alert delivered") })
	require.NoError(t, err)
	assert.Len(t, srv.messages(), 1)
}

func TestNewMailer(t *testing.T) {
	t.Parallel()
	m, err := NewMailer("smtp://mail.example.org", "a@example.org", "", "")
	require.NoError(t, err)
	assert.Equal(t, "smtp://mail.example.org:587", m.String())
	m, err = NewMailer("SMTPS://[::1]", "Roster <a@example.org>", "u", "p")
	require.NoError(t, err)
	assert.Equal(t, "smtps://[::1]:465", m.String())
	assert.Equal(t, `"Roster" <a@example.org>`, m.From())

	for _, tc := range []struct{ server, from, user, pass, want string }{
		{"mail.example.org:587", "a@example.org", "", "", "want smtp://HOST:PORT"},
		{"https://mail.example.org", "a@example.org", "", "", "want smtp://HOST:PORT"},
		{"smtp://u:" + smtpPassword + "@mail.example.org", "a@example.org", "", "", "holds credentials"},
		{"smtp://", "a@example.org", "", "", "no host"},
		{"smtp://mail.example.org/x", "a@example.org", "", "", "no path or query"},
		{"smtp://mail.example.org:99999", "a@example.org", "", "", "is not a port"},
		{"smtp://mail.example.org", "", "", "", "From address: no address"},
		{"smtp://mail.example.org", "nobody", "", "", "From address: not an email address"},
		{"smtp://mail.example.org", "a@example.org, b@example.org", "", "", "more than one address"},
		{"smtp://mail.example.org", "a@example.org", "u", "", "username without a password"},
		{"smtp://mail.example.org", "a@example.org", "", smtpPassword, "password without a username"},
		{"smtp://mail.example.org", "a@example.org", "u", "x\n" + smtpPassword, "line break"},
	} {
		_, err := NewMailer(tc.server, tc.from, tc.user, tc.pass)
		require.ErrorIs(t, err, ErrBadMailer, tc.server)
		assert.Contains(t, err.Error(), tc.want, tc.server)
		assert.NotContains(t, err.Error(), smtpPassword)
	}
}

func TestParseMailtoTarget(t *testing.T) {
	t.Parallel()
	a, b := target(t, "mailto:Joe.Bloggs@Example.com"), target(t, " MAILTO:joe.bloggs%40example.com ")
	assert.True(t, a.IsMail())
	assert.Equal(t, a.key, b.key, "one address, one target")
	assert.Equal(t, "mailto:…@Example.com", a.String())
	assert.Contains(t, a.Secrets(), "Joe.Bloggs@Example.com")
	assert.False(t, target(t, "https://ntfy.sh/topic").IsMail())
	n := NewNotifier(New(), a, b)
	assert.Len(t, n.targets, 1)

	for _, spec := range []string{"mailto:", "mailto:joe", "mailto:joe@example.com?subject=x", "mailto:a@example.com,b@example.com",
		"mailto:Joe <joe@example.com>", "json+mailto:joe@example.com", "mailto:joe@example.com%0d%0aBcc:x@example.com"} {
		_, err := ParseTarget(spec)
		assert.ErrorIs(t, err, ErrBadTarget, spec)
		if err != nil {
			assert.NotContains(t, err.Error(), "joe", spec)
		}
	}
}

// Without a Mailer, a mailto: target's alerts are given up, not kept.
func TestMailWithoutMailer(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	n, c := mailNotifier(t, nil, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	out, err := waitLog(t, &log, func(s string) bool { return strings.Contains(s, "given up") })
	require.NoError(t, err)
	assert.Contains(t, out, "no SMTP server is set for email alerts")
}

// The message of a failure alert reads as its push text does.
func TestMailMessageOfANotice(t *testing.T) {
	t.Parallel()
	m, err := NewMailer("smtp://127.0.0.1:1", "rosteron@example.org", "", "")
	require.NoError(t, err)
	f, _ := newTestFeed(t)
	a := troubleAlert(StateStopped, Status{Stopped: StopRejected}, f)
	a.Created = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	p := readMessage(t, string(m.message("joe@example.com", a, a.Created)))
	assert.Equal(t, "Roster feed stopped: password rejected", p.header.Get("Subject"))
	assert.Equal(t, a.Text+"\n", p.body)
	assert.Equal(t, "Wed, 01 Apr 2026 08:00:00 +0000", p.header.Get("Date"))
	assert.Equal(t, a.ID, p.header.Get("X-Rosteron-Alert"))
	// The same alert, the same Message-ID.
	q := readMessage(t, string(m.message("joe@example.com", a, a.Created.Add(time.Hour))))
	assert.Equal(t, p.header.Get("Message-ID"), q.header.Get("Message-ID"))
}

// The server's certificate is checked: one the system does not trust is
// a failure, retried (a certificate can be mended), never skipped.
func TestMailChecksTheCertificate(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, startTLS, false)
	m := srv.mailer(t, "smtp://"+mailHost+":"+srv.port(), "", "")
	m.TLSConfig = nil // the system's roots, which do not hold the test's
	var log syncbuf.Buffer
	n, c := mailNotifier(t, m, &log, "joe@example.com")
	runNotifier(t, n)
	alertOnce(t, n, c)
	out, err := waitLog(t, &log, func(s string) bool { return strings.Count(s, "failed: ") >= 2 })
	require.NoError(t, err)
	assert.Contains(t, out, "STARTTLS with smtp://mail.example.org:"+srv.port()+": tls: failed to verify certificate")
	assert.NotContains(t, out, "given up")
	assert.Empty(t, srv.messages())
}
