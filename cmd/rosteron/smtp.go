package main

import (
	"context"
	"flag"

	"github.com/rosteron/rosteron/feed"
)

// Where the SMTP password may come from: a file, as for RosterOn's, and
// never argv or the environment.
const (
	// smtpCredentialName is the systemd credential
	// (LoadCredential=rosteron-smtp-password:/etc/rosteron/smtp-password).
	smtpCredentialName = "rosteron-smtp-password"
	// smtpSecretName is the Docker or Compose secret, mounted at
	// /run/secrets/rosteron_smtp_password.
	smtpSecretName = "rosteron_smtp_password"
)

// smtpUsage documents smtpFlags in serve's help text.
const smtpUsage = `  --smtp URL          the mail server that sends --notify mailto:ADDRESS
                      alerts: smtp://HOST:PORT, with STARTTLS, which is
                      required unless HOST is loopback (port 587 by
                      default), or smtps://HOST:PORT, TLS (port 465)
  --smtp-from ADDRESS the address alerts are sent from, such as
                      rosteron@example.org or "Roster <rosteron@example.org>"
  --smtp-username USER
                      log in to the mail server as USER (AUTH PLAIN or
                      LOGIN, never without TLS to another machine); the
                      password is the first line of --smtp-password-file,
                      else of the systemd credential rosteron-smtp-password,
                      else of /run/secrets/rosteron_smtp_password
  --smtp-password-file FILE
                      read the mail server's password from FILE
`

// smtpFlags are serve's settings of the mail server for email alerts.
type smtpFlags struct {
	server, from, username, passwordFile string
}

func (f *smtpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "smtp", "", "")
	fs.StringVar(&f.from, "smtp-from", "", "")
	fs.StringVar(&f.username, "smtp-username", "", "")
	fs.StringVar(&f.passwordFile, "smtp-password-file", "", "")
}

func (f smtpFlags) given() bool {
	return f.server != "" || f.from != "" || f.username != "" || f.passwordFile != ""
}

// mailer checks the SMTP flags and reads the password: the Mailer that
// sends the email alerts of targets, or nil when none is an address.
// Every mistake is a usage error, which never quotes the password.
func (c *cli) mailer(ctx context.Context, cmd string, f smtpFlags, targets []*feed.Target) (*feed.Mailer, error) {
	mail := false
	for _, t := range targets {
		mail = mail || t.IsMail()
	}
	if !mail {
		if f.given() {
			c.errorf("warning: --smtp settings given, but no --notify mailto:ADDRESS: no email is sent")
		}
		return nil, nil
	}
	if f.server == "" || f.from == "" {
		return nil, usagef(cmd, "--notify mailto: needs a mail server to send with: --smtp smtp://HOST:PORT "+
			"(or smtps://HOST:465) and --smtp-from ADDRESS")
	}
	var password string
	switch path, named := c.smtpPasswordFile(f.passwordFile); {
	case f.username == "" && f.passwordFile != "":
		return nil, usagef(cmd, "--smtp-password-file goes with --smtp-username")
	case f.username == "":
	case path == "":
		return nil, usagef(cmd, "--smtp-username needs the mail server's password: give --smtp-password-file FILE, "+
			"the systemd credential %s or the Docker secret %s", smtpCredentialName, smtpSecretName)
	default:
		var err error
		if password, err = readPasswordFile(ctx, cmd, path); err != nil {
			return nil, err
		}
		if named {
			c.warnOpenPasswordFile(path)
		}
	}
	m, err := feed.NewMailer(f.server, f.from, f.username, password)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return m, nil
}

// smtpPasswordFile returns the file the SMTP password is to be read from:
// --smtp-password-file, else the systemd credential or the Docker secret
// that exists. named is true for the file the user named.
func (c *cli) smtpPasswordFile(flagFile string) (path string, named bool) {
	return c.secretFile(flagFile, smtpCredentialName, smtpSecretName)
}
