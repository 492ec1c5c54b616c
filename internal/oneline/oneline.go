// Package oneline makes messages safe to print as one line of a log or of
// standard error.
package oneline

import (
	"strings"
	"unicode"
)

// Redacted stands where a secret was.
const Redacted = "[REDACTED]"

// Clean makes msg one line of harmless text without any of the secrets: a
// message may quote a page or a browser's error, which can hold line
// breaks or terminal escape sequences, and must never hold a password or a
// token. Empty secrets are ignored.
func Clean(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	msg = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return unicode.ReplacementChar
		}
		return r
	}, msg)
	return strings.TrimSpace(msg)
}
