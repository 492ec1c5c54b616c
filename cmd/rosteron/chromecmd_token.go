package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
// missing. It refuses a folder that others may write to, where they could
// swap the file; a file that is a symbolic link, is not this user's, or
// that others may read or write; and one that holds no usable token. made
// reports a new token.
func chromeToken(path string) (token string, made bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("making the folder of the DevTools token: %w", err)
	}
	if err := checkTokenDir(dir); err != nil {
		return "", false, err
	}
	token, err = readOwnToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return token, false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("making a DevTools token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	// O_EXCL: never through a symbolic link or into a file someone else
	// made meanwhile.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
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

// checkTokenDir refuses a folder for the token file that another user may
// write to, or that belongs to another user than this one or root: either
// could replace the file between rosteron's checks and its reading, with a
// link to a file of their own, and so choose the token.
func checkTokenDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("the folder of the DevTools token: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the folder of the DevTools token, %s, is not a folder", dir)
	}
	if perm := fi.Mode().Perm(); fileModes && perm&0o022 != 0 {
		return fmt.Errorf("the folder of the DevTools token, %s, may be written by others (mode %04o), "+
			"who could swap the token file: chmod go-w it, or give a --token-file in a folder of this user's", dir, perm)
	}
	if owner, ok := fileOwner(fi); ok && owner != os.Geteuid() && owner != 0 {
		return fmt.Errorf("the folder of the DevTools token, %s, belongs to user %d, not to this one (%d), "+
			"who could swap the token file: give a --token-file in a folder of this user's", dir, owner, os.Geteuid())
	}
	return nil
}

// maxTokenFile bounds what is read of a token file.
const maxTokenFile = 4 << 10

// readOwnToken reads the token file of rosteron chrome, refusing one that
// is a symbolic link, or not a regular file of this user's that nobody
// else may read or write. It checks the file it has opened, and reads
// that same one: a file swapped for another after the check is never
// read. Its error matches fs.ErrNotExist when there is no file.
func readOwnToken(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("DevTools token file %s is a symbolic link: give the file itself, a regular file of this user's", path)
		}
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("DevTools token file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); fileModes && perm&0o077 != 0 {
		return "", fmt.Errorf("DevTools token file %s may be read or written by others (mode %04o): "+
			"chmod 600 it, or remove it for a new token", path, perm)
	}
	if owner, ok := fileOwner(fi); ok && owner != os.Geteuid() {
		return "", fmt.Errorf("DevTools token file %s belongs to user %d, not to this one (%d): "+
			"chown it, or remove it for a new token", path, owner, os.Geteuid())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	token, err := parseToken(b, path)
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
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("reading the DevTools token: %w", err)
	}
	return parseToken(b, path)
}

// parseToken is the token in b, the content of the token file at path.
func parseToken(b []byte, path string) (string, error) {
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("DevTools token file %s is larger than %d bytes: want one line", path, maxTokenFile)
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
