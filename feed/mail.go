package feed

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosteron/rosteron/internal/netguard"
	"github.com/rosteron/rosteron/internal/oneline"
)

// Alerts by email: a Target made from "mailto:ADDRESS" is told through
// the Notifier's Mailer, an SMTP server that takes mail for delivery (a
// submission server, such as smtp.fastmail.com:465, or a relay on this
// machine). Each alert is one short plain-text message: its title as
// the subject, its text as the body.

// MailtoPrefix begins a notify URL that asks for email: "mailto:ADDRESS".
const MailtoPrefix = "mailto:"

// Ports of the two ways to reach a submission server (RFC 8314).
const (
	DefaultSMTPPort  = "587" // smtp://: STARTTLS
	DefaultSMTPSPort = "465" // smtps://: TLS from the first byte
)

// ErrBadMailer is matched by NewMailer's errors. Their messages never
// quote the password.
var ErrBadMailer = errors.New("invalid SMTP settings")

// Mailer sends alerts by SMTP. Make it with NewMailer and set it as a
// Notifier's Mailer. Mail never crosses the network in clear: an smtp://
// server that is not this machine's loopback must offer STARTTLS, and
// every server's certificate is checked. On loopback, STARTTLS is not
// used: the mail does not leave the machine, and a local relay's
// certificate is seldom one that can be checked.
type Mailer struct {
	// TLSConfig is the TLS configuration to check the server with; nil
	// means the system's roots. Its ServerName is set to the server's
	// host. Tests give one with their own RootCAs.
	TLSConfig *tls.Config
	// Dial connects to the server; nil means a net.Dialer. Tests give one
	// that reaches a server on loopback under another host's name.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Hello is the name given in EHLO; "" means "localhost".
	Hello string

	host     string // as in the URL, without brackets
	port     string
	implicit bool // smtps://
	from     *mail.Address
	username string
	password string
}

// NewMailer checks the settings of an SMTP server: server is
// smtp://HOST[:PORT] (STARTTLS, port 587 by default) or
// smtps://HOST[:PORT] (TLS, port 465 by default), from the address the
// mail is from ("alerts@example.org", or with a name, "Roster
// <alerts@example.org>"). username and password, both or neither, log in
// with AUTH PLAIN (or LOGIN, when that is all the server offers), only
// over TLS or to loopback.
func NewMailer(server, from, username, password string) (*Mailer, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil {
		return nil, fmt.Errorf("%w: the SMTP server is not a URL", ErrBadMailer)
	}
	m := &Mailer{username: username, password: password}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		m.port = DefaultSMTPPort
	case "smtps":
		m.port, m.implicit = DefaultSMTPSPort, true
	default:
		return nil, fmt.Errorf("%w: want smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT (TLS) for the SMTP server", ErrBadMailer)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("%w: the SMTP server's URL holds credentials: give the username and the password file apart", ErrBadMailer)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%w: the SMTP server's URL has no host", ErrBadMailer)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: the SMTP server's URL is only smtp://HOST:PORT, with no path or query", ErrBadMailer)
	}
	m.host = u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: the SMTP server's port %q is not a port", ErrBadMailer, p)
		}
		m.port = p
	}
	if m.from, err = parseMailAddress(from, true); err != nil {
		return nil, fmt.Errorf("%w: the From address: %v", ErrBadMailer, err)
	}
	switch {
	case username != "" && password == "":
		return nil, fmt.Errorf("%w: an SMTP username without a password", ErrBadMailer)
	case username == "" && password != "":
		return nil, fmt.Errorf("%w: an SMTP password without a username", ErrBadMailer)
	case strings.ContainsAny(username+password, "\x00\r\n"):
		return nil, fmt.Errorf("%w: the SMTP username or password holds a line break or NUL", ErrBadMailer)
	}
	return m, nil
}

// String names the server, without credentials: "smtps://smtp.example.org:465".
func (m *Mailer) String() string {
	scheme := "smtp"
	if m.implicit {
		scheme = "smtps"
	}
	return scheme + "://" + net.JoinHostPort(m.host, m.port)
}

// From is the address the mail is from, as the From header gives it.
func (m *Mailer) From() string { return m.from.String() }

// Secrets returns what must never be logged, for a caller that scrubs
// its own output: the credentials, as given and as AUTH sends them.
func (m *Mailer) Secrets() []string { return m.secrets() }

func (m *Mailer) secrets() []string {
	if m == nil || m.password == "" {
		return nil
	}
	plain := "\x00" + m.username + "\x00" + m.password
	out := []string{
		m.password,
		base64.StdEncoding.EncodeToString([]byte(plain)),
		base64.StdEncoding.EncodeToString([]byte(m.password)),
	}
	if len(m.username) >= 3 {
		// A shorter one would hide bits of every word, and no message
		// quotes it anyway.
		out = append(out, m.username, base64.StdEncoding.EncodeToString([]byte(m.username)))
	}
	return out
}

// parseMailAddress reads one address. A name with it ("Roster <a@b>")
// is allowed only when named is true: a mailto: target is the address
// alone.
func parseMailAddress(s string, named bool) (*mail.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no address")
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return nil, errors.New("not an email address")
	}
	list, err := mail.ParseAddressList(s)
	switch {
	case err != nil:
		return nil, errors.New("not an email address")
	case len(list) != 1:
		return nil, errors.New("more than one address")
	case !named && list[0].Name != "":
		return nil, errors.New("want the address alone, with no name")
	case !strings.Contains(list[0].Address, "@"):
		return nil, errors.New("not an email address")
	}
	return list[0], nil
}

// parseMailto reads "mailto:ADDRESS", percent-encoding and all; it takes
// one address and nothing after it (no ?subject=).
func parseMailto(spec string) (string, error) {
	raw := spec[len(MailtoPrefix):]
	if strings.ContainsAny(raw, "?#") {
		return "", fmt.Errorf("%w: a mailto: target is the address alone, with no ?subject= or other fields", ErrBadTarget)
	}
	addr, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("%w: a mailto: target that cannot be read", ErrBadTarget)
	}
	if strings.Contains(addr, ",") {
		return "", fmt.Errorf("%w: one address to a mailto: target; give --notify again for another", ErrBadTarget)
	}
	a, err := parseMailAddress(addr, false)
	if err != nil {
		return "", fmt.Errorf("%w: mailto: %v", ErrBadTarget, err)
	}
	return a.Address, nil
}

// mailTarget makes the target of an address.
func mailTarget(addr string) *Target {
	key := MailtoPrefix + strings.ToLower(addr)
	t := &Target{mail: addr, key: hashKey(key)}
	local, domain, _ := strings.Cut(addr, "@")
	// The address names a person: logs name the domain alone, and
	// messages that quote it (a server's refusal) are scrubbed of it.
	t.name = MailtoPrefix + "…@" + domain
	t.secrets = slices.DeleteFunc([]string{addr, local}, func(s string) bool { return len(s) < 3 })
	return t
}

// message is the email of an alert to one address: plain text, its
// subject the alert's title (encoded as RFC 2047 words when it is not
// ASCII), its body the alert's text in quoted-printable, so that any
// server carries it. The same alert always has the same Message-ID, so
// that a mailbox can tell a delivery repeated after a lost reply.
func (m *Mailer) message(to string, a *alert, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) {
		if !strings.HasPrefix(v, "\r\n") {
			v = " " + v
		}
		b.WriteString(k + ":" + v + "\r\n")
	}
	header("From", m.from.String())
	header("To", (&mail.Address{Address: to}).String())
	header("Subject", mailSubject(a.Title))
	header("Date", now.Format(time.RFC1123Z))
	_, domain, _ := strings.Cut(m.from.Address, "@")
	header("Message-ID", "<"+a.ID+"."+strconv.FormatInt(a.Created.Unix(), 36)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: no out-of-office replies to it.
	header("Auto-Submitted", "auto-generated")
	header("X-Rosteron-Alert", a.ID)
	b.WriteString("\r\n")
	text := strings.ReplaceAll(strings.ReplaceAll(a.Text, "\r\n", "\n"), "\r", "\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = io.WriteString(qp, strings.TrimRight(text, "\n")+"\n") // a bytes.Buffer never fails
	_ = qp.Close()
	return b.Bytes()
}

// mailSubject is title as a Subject header's value: as it is when it is
// ASCII, else RFC 2047 encoded words, each on a line of its own, so that
// every line keeps within RFC 5322's 78 characters.
func mailSubject(title string) string {
	title = oneline.Text(title)
	enc := mime.QEncoding.Encode("utf-8", title)
	if enc == title {
		return title
	}
	return "\r\n " + strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// send delivers one message to one address. Its errors are *finalError
// for what trying again cannot mend: a 5xx reply (a recipient refused,
// the credentials refused), or a server that offers no way to send the
// password or the mail safely. 4xx replies and network failures are
// left to retry.
func (m *Mailer) send(ctx context.Context, to string, msg []byte) error {
	dial := m.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	addr := net.JoinHostPort(m.host, m.port)
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// Every wait is bounded by ctx: its deadline, and its end.
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if m.implicit {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return fmt.Errorf("TLS with %s: %w", m, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		_ = conn.Close()
		return smtpError(err)
	}
	defer c.Close()
	if err := c.Hello(cmpOr(m.Hello, "localhost")); err != nil {
		return smtpError(err)
	}
	loopback := netguard.IsLoopback(m.host)
	if !m.implicit && !loopback {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &finalError{fmt.Sprintf("%s offers no STARTTLS, and rosteron sends no mail or password in clear to another machine: "+
				"use a server that offers it, or smtps:// (port 465)", m)}
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return smtpError(fmt.Errorf("STARTTLS with %s: %w", m, err))
		}
	}
	if m.password != "" {
		_, secure := c.TLSConnectionState()
		if !secure && !loopback {
			// Cannot happen with the checks above; kept so that no
			// change to them sends a password in clear.
			return &finalError{"not sending the SMTP password without TLS"}
		}
		if err := c.Auth(&smtpAuth{username: m.username, password: m.password, host: m.host, loopback: loopback}); err != nil {
			return smtpError(err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return smtpError(err)
	}
	if err := c.Rcpt(to); err != nil {
		return smtpError(err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError(err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError(err)
	}
	if err := w.Close(); err != nil {
		return smtpError(err)
	}
	_ = c.Quit() // the server has the mail: a failed goodbye changes nothing
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m *Mailer) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if m.TLSConfig != nil {
		cfg = m.TLSConfig.Clone()
	}
	cfg.ServerName = m.host
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	return cfg
}

// smtpError sorts a failure: a 5xx reply is final, as are a server that
// takes no AUTH and a refusal to send the password; the rest is retried.
func smtpError(err error) error {
	var reply *textproto.Error
	var final *finalError
	switch {
	case errors.As(err, &final):
		return final
	case errors.As(err, &reply) && reply.Code >= 500:
		return &finalError{"the SMTP server answered " + strconv.Itoa(reply.Code) + " " + reply.Msg}
	case errors.As(err, &reply):
		return fmt.Errorf("the SMTP server answered %d %s", reply.Code, reply.Msg)
	case errors.Is(err, errNoAuth):
		return &finalError{err.Error()}
	}
	return err
}

var errNoAuth = errors.New("the SMTP server offers neither AUTH PLAIN nor AUTH LOGIN for the username given")

// smtpAuth logs in with PLAIN, or LOGIN when that is all the server
// offers, and only over TLS or to loopback.
type smtpAuth struct {
	username, password, host string
	loopback                 bool
	login                    bool // LOGIN chosen
	step                     int
}

func (a *smtpAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.loopback {
		return "", nil, &finalError{"not sending the SMTP password without TLS"}
	}
	if server.Name != a.host {
		return "", nil, errors.New("SMTP: wrong host name")
	}
	switch {
	case slices.Contains(server.Auth, "PLAIN"):
		return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
	case slices.Contains(server.Auth, "LOGIN"):
		a.login = true
		return "LOGIN", nil, nil
	}
	return "", nil, errNoAuth
}

func (a *smtpAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if !a.login {
		return nil, errors.New("SMTP: unexpected AUTH PLAIN challenge")
	}
	// LOGIN asks for the username, then the password; the prompts'
	// wording varies, so they are told apart by order.
	a.step++
	switch a.step {
	case 1:
		return []byte(a.username), nil
	case 2:
		return []byte(a.password), nil
	}
	return nil, errors.New("SMTP: unexpected AUTH LOGIN challenge")
}

// sendMail emails one alert, as the HTTP targets' send POSTs it: a
// delivery under way when parent ends gets a moment to finish.
func (n *Notifier) sendMail(parent context.Context, t *Target, a *alert) error {
	if n.Mailer == nil {
		return &finalError{"no SMTP server is set for email alerts"}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), DefaultNotifyTimeout)
	defer cancel()
	stop := context.AfterFunc(parent, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	err := n.Mailer.send(ctx, t.mail, n.Mailer.message(t.mail, a, n.feed.now()))
	if err == nil {
		return nil
	}
	var final *finalError
	if errors.As(err, &final) {
		return &finalError{n.scrub(final.msg)}
	}
	return errors.New(n.scrub(err.Error()))
}
