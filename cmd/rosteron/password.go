package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Where a password may come from, besides standard input and the prompt:
// files, so that it need never sit in an environment, where every child
// process inherits it and /proc/PID/environ shows it.
const (
	// credentialName is the systemd credential the unit loads
	// (LoadCredential=rosteron-password:/etc/rosteron/password), found in
	// $CREDENTIALS_DIRECTORY.
	credentialName = "rosteron-password"
	// dockerSecretName is the Docker or Compose secret, mounted at
	// /run/secrets/rosteron_password.
	dockerSecretName = "rosteron_password"
	// defaultSecretsDir is where Docker and Compose mount secrets.
	defaultSecretsDir = "/run/secrets"
)

// passwordUsage documents passwordFlags in the commands' help texts.
const passwordUsage = `  --password-stdin    read the password from the first line of standard input
  --password-file FILE
                      read the password from the first line of FILE
                      (default $ROSTERON_PASSWORD_FILE)
`

// passwordSources says, for help texts, where the password is looked for.
const passwordSources = `There is no password flag, so that the password stays out of shell history
and process lists. It is read from the first of these that is given:
standard input (--password-stdin); a file (--password-file, else
$ROSTERON_PASSWORD_FILE); the systemd credential rosteron-password
($CREDENTIALS_DIRECTORY/rosteron-password); the Docker secret
/run/secrets/rosteron_password; $ROSTERON_PASSWORD; else a prompt, when
standard input is a terminal. From a stream or a file, the first line.
`

// passwordFlags are the flags that say where the password comes from.
type passwordFlags struct {
	stdin bool
	file  string
}

func (p *passwordFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.stdin, "password-stdin", false, "")
	fs.StringVar(&p.file, "password-file", "", "")
}

// passwordFile returns the file the password is to be read from, if any:
// --password-file, else $ROSTERON_PASSWORD_FILE, else a systemd credential
// or a Docker secret that exists. named is true for a file the user named,
// which must then be readable; the other two are only looked for.
func (c *cli) passwordFile(flagFile string) (path string, named bool) {
	if flagFile == "" {
		flagFile = c.getenv("ROSTERON_PASSWORD_FILE")
	}
	return c.secretFile(flagFile, credentialName, dockerSecretName)
}

// secretFile returns the file a secret is to be read from: named, a file
// the user named, which must then be readable (named is then true); else
// the systemd credential called credential in $CREDENTIALS_DIRECTORY, else
// the Docker secret called dockerSecret in the secrets folder, whichever
// exists; else none.
func (c *cli) secretFile(flagFile, credential, dockerSecret string) (path string, named bool) {
	if flagFile != "" {
		return flagFile, true
	}
	if dir := c.getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		if p := filepath.Join(dir, credential); exists(p) {
			return p, false
		}
	}
	dir := c.secretsDir
	if dir == "" {
		dir = defaultSecretsDir
	}
	if p := filepath.Join(dir, dockerSecret); exists(p) {
		return p, false
	}
	return "", false
}

// warnOpenPasswordFile warns when the password file at path may be read
// by other users: its mode lets its group or everyone read it, and its
// folder lets them in. A folder with no permission for them keeps them
// out whatever the file's mode: systemd's credentials directory is such a
// folder, as is a host folder made with 'install -d -m 0700'. Docker and
// Compose mount a secret file (often 0444) in /run/secrets, which only the
// container sees: no warning there either. The warning never quotes what
// the file holds.
func (c *cli) warnOpenPasswordFile(path string) { c.warnOpenFile("password file", path) }

// warnOpenFile is warnOpenPasswordFile for any file of secrets, what
// naming it ("password file").
func (c *cli) warnOpenFile(what, path string) {
	if runtime.GOOS == "windows" {
		return // modes say nothing there: ACLs do
	}
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	dir := filepath.Dir(path)
	secrets := c.secretsDir
	if secrets == "" {
		secrets = defaultSecretsDir
	}
	if filepath.Clean(dir) == filepath.Clean(secrets) {
		return
	}
	di, err := os.Stat(dir)
	if err != nil {
		return
	}
	file, folder := fi.Mode().Perm(), di.Mode().Perm()
	var who []string
	if file&0o040 != 0 && folder&0o010 != 0 {
		who = append(who, "its group")
	}
	if file&0o004 != 0 && folder&0o001 != 0 {
		who = append(who, "every user")
	}
	if len(who) == 0 {
		return
	}
	c.errorf("warning: the %s %s (mode %04o, in a folder of mode %04o) can be read by %s of this machine: "+
		"make it private with 'chmod 600 %s'", what, path, file, folder, strings.Join(who, " and "), path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readPasswordFile returns the first line of the file at path, without its
// line ending. Its errors name the file, never what it holds.
func readPasswordFile(ctx context.Context, cmd, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", usagef(cmd, "no password file %s", path)
		}
		return "", fmt.Errorf("reading the password: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return "", usagef(cmd, "the password file %s is a directory", path)
	}
	data, err := readAll(ctx, f, maxPasswordLine, true)
	if errors.Is(err, errTooLong) {
		return "", usagef(cmd, "the password file %s has no line break in its first %d KiB: it is not a password", path, maxPasswordLine>>10)
	}
	if err != nil {
		return "", fmt.Errorf("reading the password from %s: %w", path, err)
	}
	line := firstLine(data)
	if line == "" {
		return "", usagef(cmd, "no password on the first line of %s", path)
	}
	return line, nil
}
