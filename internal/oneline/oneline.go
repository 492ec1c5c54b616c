// Package oneline makes text safe to print as one line of a terminal or a
// log: roster text in a table or a diff, and messages on standard error.
// It is the project's one cleaner, one truncation and one redaction, so
// that every output treats a page's text the same way.
package oneline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted stands where a secret was: in messages, logs and saved logs.
const Redacted = "[REDACTED]"

// Text makes s one line of harmless text for a terminal: each run of white
// space (line breaks, tabs, no-break and Unicode line separators included)
// becomes one space, with none at either end, and other control
// characters, which could move the cursor or recolour the screen, become
// U+FFFD, as does invalid UTF-8.
func Text(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r):
			r = utf8.RuneError
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Redact replaces every occurrence of each secret in msg by Redacted.
// Occurrences that overlap or touch, of one secret or of several, become
// one Redacted: a password inside a longer token (a notify URL's) takes
// the whole token with it, whatever order the secrets come in, and what
// stands for one secret is never searched for another. Empty secrets are
// ignored.
func Redact(msg string, secrets ...string) string {
	var hidden []bool // by byte of msg; nil while there is nothing to hide
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for i := 0; ; i++ {
			j := strings.Index(msg[i:], s)
			if j < 0 {
				break
			}
			i += j
			if hidden == nil {
				hidden = make([]bool, len(msg))
			}
			for k := i; k < i+len(s); k++ {
				hidden[k] = true
			}
		}
	}
	if hidden == nil {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch {
		case !hidden[i]:
			b.WriteByte(msg[i])
		case i == 0 || !hidden[i-1]:
			b.WriteString(Redacted)
		}
	}
	return b.String()
}

// Clean makes msg one line of harmless text without any of the secrets: a
// message may quote a page or a browser's error, which can hold line
// breaks or terminal escape sequences, and must never hold a password or a
// token. The secrets go first, so cleaning cannot hide one.
func Clean(msg string, secrets ...string) string {
	return Text(Redact(msg, secrets...))
}

// Truncate cuts s to at most n runes, ending it with "…" when it was cut;
// n of zero or less gives "".
func Truncate(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
