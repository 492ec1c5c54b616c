// Package pyrepr quotes strings as Python 3's repr() quotes a str, so that
// what rosteron prints (an Item's String, the names in error messages)
// reads exactly as the original python-rosteron library's.
package pyrepr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quote returns s quoted as Python 3's repr() quotes a str.
func Quote(s string) string {
	var b strings.Builder
	Write(&b, s)
	return b.String()
}

const hexDigits = "0123456789abcdef"

// Write writes s the way Python 3's repr() writes a str.
//
// Go strings may hold bytes that are not UTF-8, which a Python str cannot;
// such a byte is written as Python's surrogateescape decoding shows it
// (\udcNN), so it stays visible and distinct from the code point U+00NN.
func Write(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			writeEscape(b, 'u', 4, 0xdc00|rune(s[i]))
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			writeEscape(b, 'x', 2, r)
		case r < 0x7f:
			b.WriteByte(byte(r))
		// unicode.IsPrint covers the categories L, M, N, P, S and the ASCII
		// space, which is exactly Python's str.isprintable set.
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			writeEscape(b, 'x', 2, r)
		case r <= 0xffff:
			writeEscape(b, 'u', 4, r)
		default:
			writeEscape(b, 'U', 8, r)
		}
	}
	b.WriteByte(quote)
}

func writeEscape(b *strings.Builder, kind byte, width int, r rune) {
	b.WriteByte('\\')
	b.WriteByte(kind)
	for shift := 4 * (width - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}
