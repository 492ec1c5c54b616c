package feed

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

// LoadOrCreateToken returns the token kept in dir's TokenFile, or makes
// one, saves it there (0600) and reports that it did. dir must exist.
func LoadOrCreateToken(dir string) (tok string, created bool, err error) {
	path := filepath.Join(dir, TokenFile)
	data, err := os.ReadFile(path)
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
