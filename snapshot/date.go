package snapshot

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosteron/rosteron/internal/oneline"
)

// Date is a calendar day with no time or zone: the day a roster divider
// names. The zero Date is not a valid day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// isoDate is the layout of Date's text and JSON forms.
const isoDate = "2006-01-02"

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads an ISO 8601 calendar date such as "2019-06-11". It is
// strict: two-digit month and day, four-digit year, a day that exists.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(isoDate, s)
	if err != nil {
		// time.Parse's error quotes the whole input, several times: say
		// what was wrong with a bounded quote instead.
		return Date{}, fmt.Errorf("snapshot: invalid date %q (want YYYY-MM-DD)", oneline.Truncate(s, maxFound))
	}
	d := DateOf(t)
	if !d.Valid() {
		// time.Parse accepts year 0000, which no roster can hold.
		return Date{}, fmt.Errorf("snapshot: invalid date %q: year out of range", oneline.Truncate(s, maxFound))
	}
	return d, nil
}

// String returns the date as YYYY-MM-DD, the form Python's date prints.
func (d Date) String() string {
	if 0 <= d.Year && d.Year <= 9999 && 0 <= d.Month && d.Month <= 99 && 0 <= d.Day && d.Day <= 99 {
		// fmt's result, without fmt: a roster writes thousands.
		y, m, dd := d.Year, int(d.Month), d.Day
		b := [10]byte{
			byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + m/10), byte('0' + m%10), '-',
			byte('0' + dd/10), byte('0' + dd%10),
		}
		return string(b[:])
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d names a real day between years 1 and 9999, the
// range the four-digit text forms can carry.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(year int, month time.Month) int {
	// Day 0 of the next month normalises to the last day of this one.
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Time returns midnight at the start of d in loc; a nil loc means UTC
// (time.Date would panic on nil).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time(time.UTC).Weekday() }

// AddDays returns d moved by n days (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// MarshalText writes d as YYYY-MM-DD. An invalid date is an error rather
// than text that would not read back.
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("snapshot: cannot encode invalid date %s", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads YYYY-MM-DD strictly (see ParseDate).
func (d *Date) UnmarshalText(text []byte) error {
	v, err := ParseDate(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes d as a JSON string "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	text, err := d.MarshalText()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(text)+2)
	out = append(out, '"')
	out = append(out, text...)
	return append(out, '"'), nil
}

// UnmarshalJSON reads a JSON string "YYYY-MM-DD". Following encoding/json's
// convention, null leaves d unchanged; Item.UnmarshalJSON then rejects a
// missing date.
func (d *Date) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("snapshot: date must be a JSON string, got %s: %w", oneline.Truncate(string(data), maxFound), err)
	}
	return d.UnmarshalText([]byte(s))
}
