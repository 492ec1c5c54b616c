package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
	"github.com/rosteron/rosteron/internal/netguard"
)

// Where the CalDAV password may come from, besides --caldav-password-file:
// the same two places as RosterOn's, under names of its own.
const (
	// caldavCredentialName is the systemd credential
	// (LoadCredential=rosteron-caldav-password:/etc/rosteron/caldav-password),
	// found in $CREDENTIALS_DIRECTORY.
	caldavCredentialName = "rosteron-caldav-password"
	// caldavSecretName is the Docker or Compose secret, mounted at
	// /run/secrets/rosteron_caldav_password.
	caldavSecretName = "rosteron_caldav_password"
)

// caldavUsage documents caldavFlags in the help texts of sync and serve.
const caldavUsage = `  --caldav URL        write the roster into a CalDAV calendar: the server's
                      address (https://caldav.icloud.com,
                      https://caldav.fastmail.com, a Nextcloud's
                      https://cloud.example.org/remote.php/dav), a calendar
                      home, or the calendar itself
  --caldav-username USER
                      the CalDAV account (for iCloud, the Apple Account's
                      email address)
  --caldav-calendar NAME
                      the calendar's name, made when the server has none
                      by that name (default: --calendar-name)
  --caldav-password-file FILE
                      read the CalDAV password from the first line of FILE
                      (for iCloud, an app-specific password); without it,
                      the systemd credential rosteron-caldav-password
                      ($CREDENTIALS_DIRECTORY/rosteron-caldav-password),
                      else the Docker secret
                      /run/secrets/rosteron_caldav_password. There is no
                      flag or variable that holds the password itself.
`

// caldavFlags are the flags of a CalDAV calendar to sync into.
type caldavFlags struct {
	url          string
	username     string
	calendar     string
	passwordFile string
	// noCreate is set by a dry run: a missing calendar is not made.
	noCreate bool
}

func (f *caldavFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "caldav", "", "")
	fs.StringVar(&f.username, "caldav-username", "", "")
	fs.StringVar(&f.calendar, "caldav-calendar", "", "")
	fs.StringVar(&f.passwordFile, "caldav-password-file", "", "")
}

// given reports whether any CalDAV flag was given: the command is to sync
// into CalDAV, and openCalDAV says what is missing.
func (f caldavFlags) given() bool {
	return f.url != "" || f.username != "" || f.calendar != "" || f.passwordFile != ""
}

// caldavPasswordFile returns the file the CalDAV password is to be read
// from: --caldav-password-file, else the systemd credential, else the
// Docker secret, whichever exists. named is true for the flag's file,
// which must then be readable.
func (c *cli) caldavPasswordFile(flagFile string) (path string, named bool) {
	return c.secretFile(flagFile, caldavCredentialName, caldavSecretName)
}

// openCalDAV checks the CalDAV flags, reads the password and opens the
// calendar: found by its name (--caldav-calendar, else defaultName) or
// made. allowHTTP is --allow-http, already resolved. Missing or bad flags
// are usage errors; the server's refusals are the calendar's errors
// (calendar.ErrCalendar, *calendar.AuthError for the credentials).
func (c *cli) openCalDAV(ctx context.Context, cmd string, f caldavFlags, defaultName string, allowHTTP bool) (calendar.Calendar, error) {
	if f.url == "" {
		return nil, usagef(cmd, "--caldav-username, --caldav-calendar and --caldav-password-file need --caldav URL, the CalDAV server")
	}
	u, err := url.Parse(strings.TrimSpace(f.url))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef(cmd, "invalid --caldav %q: want the https:// address of a CalDAV server, such as https://caldav.icloud.com", redactURL(f.url))
	}
	if u.User != nil {
		return nil, usagef(cmd, "invalid --caldav: it holds credentials; give --caldav-username and --caldav-password-file instead")
	}
	if err := netguard.CheckURL(u, "--caldav"); err != nil {
		if !allowHTTP {
			return nil, usagef(cmd, "%v: use its https:// address, or give --allow-http (or set ROSTERON_ALLOW_HTTP=1) "+
				"to send it in clear all the same", err)
		}
		c.errorf("warning: --allow-http: %v", err)
	}
	username := strings.TrimSpace(f.username)
	if username == "" {
		return nil, usagef(cmd, "--caldav needs --caldav-username, the CalDAV account's username")
	}
	name := strings.TrimSpace(f.calendar)
	if name == "" {
		name = strings.TrimSpace(defaultName)
	}
	file, named := c.caldavPasswordFile(f.passwordFile)
	if file == "" {
		return nil, usagef(cmd, "no CalDAV password: give a file with --caldav-password-file, "+
			"or the systemd credential %s, or the Docker secret %s", caldavCredentialName, caldavSecretName)
	}
	password, err := readPasswordFile(ctx, cmd, file)
	if err != nil {
		if !named {
			err = fmt.Errorf("%w (the %s found there)", caldavNote(err), filepath.Base(file))
		}
		return nil, caldavNote(err)
	}
	c.warnOpenPasswordFile(file)
	c.addSecrets(f.username, password)
	cal, err := caldav.Open(ctx, caldav.Config{
		URL:       u.String(),
		Username:  username,
		Password:  password,
		Calendar:  name,
		AllowHTTP: allowHTTP,
		NoCreate:  f.noCreate,
	})
	if err != nil {
		return nil, err // not a nil *caldav.Calendar in a non-nil interface
	}
	return cal, nil
}

// redactURL quotes a --caldav that could not be read, without what may be
// a password in it.
func redactURL(raw string) string {
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "…" + raw[i:]
		}
		return "…" + raw[i:]
	}
	return raw
}

// caldavNote says that the password file of readPasswordFile's usage
// error is the CalDAV one.
func caldavNote(err error) error {
	u, ok := err.(*usageError)
	if !ok {
		return err
	}
	r := strings.NewReplacer("no password file", "no CalDAV password file",
		"the password file", "the CalDAV password file", "no password on", "no CalDAV password on")
	return &usageError{cmd: u.cmd, msg: r.Replace(u.msg)}
}
