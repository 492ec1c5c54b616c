package feed

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

// TokenFile is the name of the feed's token in the state folder.
const TokenFile = "feed-token"

// MinTokenLength is the shortest token accepted: 22 URL-safe characters
// hold the 128 random bits of a generated token's minimum.
const MinTokenLength = 22

// tokenBytes is the randomness of a generated token: 192 bits, 32
// characters.
const tokenBytes = 24

// ErrBadToken is matched by the error of CheckToken.
var ErrBadToken = errors.New("invalid feed token")

// newToken returns a random token of 192 bits, URL-safe.
func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// CheckToken reports whether tok can be a feed's token: at least
// MinTokenLength characters, each a letter, a digit, '-', '_', '.' or '~',
// so that it is one URL path segment as it is. Its message never quotes
// the token.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLength {
		return fmt.Errorf("%w: %d characters, want at least %d (such as the output of 'openssl rand -hex 16')",
			ErrBadToken, len(tok), MinTokenLength)
	}
	for _, r := range tok {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9',
			r == '-', r == '_', r == '.', r == '~':
		default:
			return fmt.Errorf("%w: want only letters, digits, '-', '_', '.' and '~'", ErrBadToken)
		}
	}
	return nil
}

// ErrNotOwned is matched by the error of LoadOrCreateToken for a token
// file that belongs to another user: whoever owns it can read and change
// the feed's secret.
var ErrNotOwned = errors.New("belongs to another user")

// TokenOption is an option of LoadOrCreateToken.
type TokenOption func(*tokenConfig)

type tokenConfig struct {
	notice func(msg string)
}

// TokenNotices has LoadOrCreateToken tell fn, one sentence each time, what
// it changed on its own: a token file open to other users made 0600.
func TokenNotices(fn func(msg string)) TokenOption {
	return func(c *tokenConfig) { c.notice = fn }
}

// LoadOrCreateToken returns the token kept in dir's TokenFile, or makes
// one, saves it there (0600) and reports that it did. dir must exist.
//
// On Unix, a token file that belongs to another user is refused (an error
// matching ErrNotOwned), and one whose mode is not 0600 is made 0600, as
// TokenNotices then hears.
func LoadOrCreateToken(dir string, opts ...TokenOption) (tok string, created bool, err error) {
	var cfg tokenConfig
	for _, o := range opts {
		o(&cfg)
	}
	path := filepath.Join(dir, TokenFile)
	data, err := readOwnFile(path, cfg.notice)
	switch {
	case err == nil:
		tok = strings.TrimSpace(string(data))
		if err := CheckToken(tok); err != nil {
			return "", false, fmt.Errorf("%s: %w (delete the file for a new one)", path, err)
		}
		return tok, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("reading the feed token: %w", err)
	}
	tok = newToken()
	if err := writeFileAtomic(path, []byte(tok+"\n")); err != nil {
		return "", false, fmt.Errorf("saving the feed token: %w", err)
	}
	return tok, true, nil
}

// readOwnFile reads the file at path once it has checked, on the open
// file, that it is ours and made its mode 0600 if it was not.
func readOwnFile(path string, notice func(string)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return nil, fmt.Errorf("%s %w (uid %d), not to uid %d that rosteron runs as: "+
			"whoever owns it holds the feed's secret; delete it for a new one, or run rosteron as its owner",
			path, ErrNotOwned, uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); hasModes && perm != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("%s is mode %04o, open to other users, and making it 0600 failed: %w", path, perm, err)
		}
		if notice != nil {
			notice(fmt.Sprintf("the feed token file %s was mode %04o: made it 0600, readable by this user only", path, perm))
		}
	}
	return io.ReadAll(f)
}
