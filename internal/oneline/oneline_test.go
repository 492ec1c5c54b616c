package oneline

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg     string
		secrets []string
		want    string
	}{
		{"plain", nil, "plain"},
		{"  line one\nline\ttwo\r\n", nil, "line one line two"},
		{"bell\x07 and escape\x1b[31m", nil, "bell\ufffd and escape\ufffd[31m"},
		{"password hunter2 in hunter2", []string{"hunter2"}, "password [REDACTED] in [REDACTED]"},
		{"nothing to hide", []string{""}, "nothing to hide"},
		{"tok abc and pw xyz", []string{"abc", "xyz"}, "tok [REDACTED] and pw [REDACTED]"},
		// A secret holding what cleaning changes is still found.
		{"pw a\tb!", []string{"a\tb"}, "pw [REDACTED]!"},
		// A secret inside a longer one, given first, leaves nothing of
		// the longer one behind.
		{"token tok-hunter2-xyz", []string{"hunter2", "tok-hunter2-xyz"}, "token [REDACTED]"},
		// What stands for a secret is not searched again.
		{"key ACT", []string{"key", "ACT"}, "[REDACTED] [REDACTED]"},
		// Secrets that overlap go whole, the one that starts first too.
		{"id abcdefg.", []string{"ab", "bcdefg"}, "id [REDACTED]."},
		{"aaaa!", []string{"aaa"}, "[REDACTED]!"},
	} {
		assert.Equal(t, tc.want, Clean(tc.msg, tc.secrets...), tc.msg)
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                          "",
		"Ward 4B":                   "Ward 4B",
		"  Ward\n\n4B \t":           "Ward 4B",
		"Evil\x1b[2J - \tTitle\r\n": "Evil\ufffd[2J - Title",
		"Bell\a":                    "Bell\ufffd",
		"Role\u0085 next line":      "Role next line",
		"one\u2028two\u00a0three":   "one two three",
		"bad \xff byte":             "bad \ufffd byte",
		"del\x7f":                   "del\ufffd",
		"Ωé😀":                       "Ωé😀",
	} {
		assert.Equal(t, want, Text(in), "%q", in)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ëëëë", 3, "ëë…"},
		{"ëëë", 3, "ëëë"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 0, ""},
		{"abc", -1, ""},
	} {
		assert.Equal(t, tc.want, Truncate(tc.in, tc.n), "Truncate(%q, %d)", tc.in, tc.n)
	}
}
