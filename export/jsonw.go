package export

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rosteron/rosteron/snapshot"
)

// jsonBuf writes snapshots and shifts as writeJSON would, byte for byte,
// without reflection or a MarshalJSON call per value: encoding/json
// re-parses what each MarshalJSON returns to compact it, then the whole
// again to indent it, which on a large roster costs more than reading the
// page. Anything it cannot write exactly as encoding/json would (an
// invalid date, a time outside years 0 to 9999) makes it give up, ok
// false, and writeJSON's error is the caller's answer.
type jsonBuf struct {
	b  []byte
	ok bool
}

// sizePerItem is about what one shift takes, indented, so that the buffer
// is grown once.
const sizePerItem = 400

// writeSnapshotJSON writes s as WriteJSON does, in one Write, or returns
// ok false having written nothing.
func writeSnapshotJSON(w io.Writer, s *snapshot.Snapshot) (ok bool, err error) {
	j := jsonBuf{b: make([]byte, 0, 64+len(s.Items)*sizePerItem), ok: true}
	j.b = append(j.b, "{\n  \"time\": "...)
	j.time(s.Time)
	j.b = append(j.b, ",\n  \"items\": "...)
	if len(s.Items) == 0 {
		j.b = append(j.b, "[]"...)
	} else {
		j.b = append(j.b, '[')
		for i := range s.Items {
			it := &s.Items[i]
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j.b = append(j.b, "\n    {"...)
			j.raw(it.Date, it.Title, it.Detail)
			if len(it.Warnings) > 0 {
				j.b = append(j.b, ",\n      \"warnings\": "...)
				j.strings(it.Warnings)
			}
			j.b = append(j.b, "\n    }"...)
		}
		j.b = append(j.b, "\n  ]"...)
	}
	j.b = append(j.b, "\n}\n"...)
	if !j.ok {
		return false, nil
	}
	_, err = w.Write(j.b)
	return true, err
}

// writeShiftsJSON writes shifts as WriteShiftsJSON does, in one Write, or
// returns ok false having written nothing.
func writeShiftsJSON(w io.Writer, when time.Time, shifts []snapshot.Shift) (ok bool, err error) {
	j := jsonBuf{b: make([]byte, 0, 64+len(shifts)*sizePerItem), ok: true}
	j.b = append(j.b, "{\n  \"time\": "...)
	j.time(when)
	j.b = append(j.b, ",\n  \"items\": "...)
	if len(shifts) == 0 {
		j.b = append(j.b, "[]"...)
	} else {
		j.b = append(j.b, '[')
		for i := range shifts {
			s := &shifts[i]
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j.b = append(j.b, "\n    {"...)
			j.raw(s.Date, s.Title, s.Detail)
			j.b = append(j.b, ",\n      \"warnings\": "...)
			j.strings(s.Warnings)
			j.b = append(j.b, ",\n      \"start\": "...)
			j.shiftTime(s.HasTimes(), s.Start)
			j.b = append(j.b, ",\n      \"end\": "...)
			j.shiftTime(s.HasTimes(), s.End)
			j.b = append(j.b, ",\n      \"all_day\": "...)
			j.b = strconv.AppendBool(j.b, s.AllDay)
			j.b = append(j.b, ",\n      \"kind\": "...)
			j.string(string(s.Kind))
			j.b = append(j.b, ",\n      \"name\": "...)
			j.string(s.Name)
			j.b = append(j.b, ",\n      \"role\": "...)
			j.string(s.Role)
			j.b = append(j.b, "\n    }"...)
		}
		j.b = append(j.b, "\n  ]"...)
	}
	j.b = append(j.b, "\n}\n"...)
	if !j.ok {
		return false, nil
	}
	_, err = w.Write(j.b)
	return true, err
}

// raw writes an item's "date", "title" and "detail", at an item's depth.
func (j *jsonBuf) raw(d snapshot.Date, title string, detail []snapshot.Field) {
	j.b = append(j.b, "\n      \"date\": "...)
	if !d.Valid() {
		j.ok = false
		return
	}
	// d.String()'s text, appended in place: a valid date has a year of
	// four digits at most.
	y, m, dd := d.Year, int(d.Month), d.Day
	j.b = append(j.b, '"',
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10), '"')
	j.b = append(j.b, ",\n      \"title\": "...)
	j.string(title)
	j.b = append(j.b, ",\n      \"detail\": "...)
	if len(detail) == 0 {
		j.b = append(j.b, "[]"...)
		return
	}
	j.b = append(j.b, '[')
	for i, f := range detail {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = append(j.b, "\n        "...)
		if f.Valid {
			j.string(f.Value)
		} else {
			j.b = append(j.b, "null"...)
		}
	}
	j.b = append(j.b, "\n      ]"...)
}

// strings writes a list of strings at an item's field's depth.
func (j *jsonBuf) strings(list []string) {
	if len(list) == 0 {
		j.b = append(j.b, "[]"...)
		return
	}
	j.b = append(j.b, '[')
	for i, s := range list {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = append(j.b, "\n        "...)
		j.string(s)
	}
	j.b = append(j.b, "\n      ]"...)
}

// time writes t as time.Time's MarshalJSON does.
func (j *jsonBuf) time(t time.Time) {
	b, err := t.MarshalJSON()
	if err != nil {
		j.ok = false
		return
	}
	j.b = append(j.b, b...)
}

// shiftTime writes a shift's start or end: snapshot.FormatTime's text, or
// null for a shift without times.
func (j *jsonBuf) shiftTime(has bool, t time.Time) {
	if !has {
		j.b = append(j.b, "null"...)
		return
	}
	// snapshot.FormatTime's text, appended in place rather than made a
	// string for each of thousands of shifts.
	j.b = append(j.b, '"')
	if snapshot.IsFloating(t) {
		j.b = t.AppendFormat(j.b, "2006-01-02T15:04:05")
	} else {
		j.b = t.AppendFormat(j.b, time.RFC3339)
	}
	j.b = append(j.b, '"')
}

const hexDigits = "0123456789abcdef"

// string writes s quoted as encoding/json does with HTML escaping off:
// '"' and '\\' escaped, control characters as \b, \f, \n, \r, \t or
// \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped, the rest as
// it is.
func (j *jsonBuf) string(s string) {
	b := append(j.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	j.b = append(b, '"')
}
