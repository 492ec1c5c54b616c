package snapshot

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// writePyRepr writes s the way Python 3's repr() writes a str, so that
// String output matches the original library character for character.
//
// Go strings may hold bytes that are not UTF-8, which a Python str cannot;
// such a byte is written as Python's surrogateescape decoding shows it
// (\udcNN), so it stays visible and distinct from the code point U+00NN.
func writePyRepr(b *strings.Builder, s string) {
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

// writeISOFormat writes t as Python's datetime.isoformat() writes an aware
// datetime: microseconds only when nonzero (Python keeps no nanoseconds, so
// they are truncated), and the offset as ±hh:mm, with :ss when it has seconds.
func writeISOFormat(b *strings.Builder, t time.Time) {
	b.WriteString(t.Format("2006-01-02T15:04:05"))
	if us := t.Nanosecond() / 1000; us != 0 {
		b.WriteByte('.')
		writePadded(b, us, 6)
	}
	_, offset := t.Zone()
	sign := byte('+')
	if offset < 0 {
		sign = '-'
		offset = -offset
	}
	b.WriteByte(sign)
	writePadded(b, offset/3600, 2)
	b.WriteByte(':')
	writePadded(b, offset/60%60, 2)
	if sec := offset % 60; sec != 0 {
		b.WriteByte(':')
		writePadded(b, sec, 2)
	}
}

func writePadded(b *strings.Builder, n, width int) {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

// PyRepr returns s quoted as Python 3's repr() quotes a str, for messages
// that should read exactly as the original library's.
func PyRepr(s string) string {
	var b strings.Builder
	writePyRepr(&b, s)
	return b.String()
}
