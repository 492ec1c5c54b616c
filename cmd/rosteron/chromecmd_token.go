package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// minTokenLen is the shortest DevTools token rosteron chrome accepts from
// a file: the ones it makes are 43 characters (32 random bytes).
const minTokenLen = 16

// chromeTokenPath is where rosteron chrome keeps its token without
// --token-file: $XDG_STATE_HOME/rosteron/chrome-token, else
// ~/.local/state/rosteron/chrome-token.
func chromeTokenPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "rosteron", "chrome-token"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no folder for the DevTools token: set XDG_STATE_HOME or HOME, or give --token-file: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "rosteron", "chrome-token"), nil
}

// chromeToken reads the DevTools token in path, or, when there is no such
// file, makes one and saves it there, 0600, in a folder made 0700 if
// missing. It refuses a file that others may read or write, or that holds
// no usable token. made reports a new token.
func chromeToken(path string) (token string, made bool, err error) {
	token, err = readOwnToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return token, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("making the folder of the DevTools token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("making a DevTools token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another rosteron chrome made it just now: use that one.
		token, err = readOwnToken(path)
		return token, false, err
	}
	if err != nil {
		return "", false, fmt.Errorf("saving the DevTools token: %w", err)
	}
	_, err = f.WriteString(token + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", false, fmt.Errorf("saving the DevTools token in %s: %w", path, err)
	}
	return token, true, nil
}

// readOwnToken reads the token file of rosteron chrome, refusing one that
// is not a regular file of this user's that nobody else may read or write.
// Its error matches fs.ErrNotExist when there is no file.
func readOwnToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("DevTools token file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("DevTools token file %s may be read or written by others (mode %04o): "+
			"chmod 600 it, or remove it for a new token", path, perm)
	}
	if owner, ok := fileOwner(fi); ok && owner != os.Geteuid() {
		return "", fmt.Errorf("DevTools token file %s belongs to user %d, not to this one (%d): "+
			"chown it, or remove it for a new token", path, owner, os.Geteuid())
	}
	token, err := readToken(path)
	if err != nil {
		return "", err
	}
	if len(token) < minTokenLen {
		return "", fmt.Errorf("DevTools token file %s holds %d characters: want at least %d, or remove it for a new token",
			path, len(token), minTokenLen)
	}
	return token, nil
}

// readToken reads a token file: its one line, trimmed. It refuses an empty
// one, or one with characters an HTTP header cannot carry, without quoting
// it.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("DevTools token file %s is empty", path)
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] >= 0x7f {
			return "", fmt.Errorf("DevTools token file %s holds spaces, control or non-ASCII characters: want one line of printable ASCII", path)
		}
	}
	return token, nil
}
