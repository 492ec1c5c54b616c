package snapshot

import (
	"strconv"
	"strings"
	"time"
)

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
