package export

import (
	"strings"
	"unicode"

	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// Shift times as people read them, shared by the table, the iCalendar
// description and the feed's page and alerts, so that all say the same
// thing the same way: the roster's own clock times, as written. They are
// what a person compares with the roster, and they stay true whatever
// zone the shift is read in, even for a time that the zone's clocks skip
// (02:30 on the day they go forward reads "02:30", as on the roster).

// enDash joins a start and an end, as typesetters write a range of times.
const enDash = "–"

// Clock is a shift's times as the roster writes them, on its clock: the
// same in any zone.
type Clock struct {
	// Start and End are "HH:MM"; End may be "24:00".
	Start, End string
	// NextDay is set when the shift ends the day after it starts, at a
	// time other than midnight ("21:00 - 07:00"): a shift ending at the
	// midnight that ends its date ("15:30 - 00:00", "00:00 - 00:00")
	// ends on its own day, as people say.
	NextDay bool
}

// ReadClock returns the item's times, and false when its first detail
// holds no readable times. Leave has its nominal times here.
func ReadClock(it snapshot.Item) (Clock, bool) {
	start, end := it.Clock()
	if start == "" {
		return Clock{}, false
	}
	c := Clock{Start: start, End: end}
	// "HH:MM" compares as text in time order.
	c.NextDay = end <= start && end != "00:00" && end != "24:00"
	return c, true
}

// String is the range, "07:00–15:30", without any next-day mark.
func (c Clock) String() string { return c.Start + enDash + c.End }

// Times is a shift's times as people read them: "07:00–15:30";
// "20:30–08:30 on call"; "on call" for on-call without readable times;
// "all day" for leave, whose times are nominal; and otherwise the first
// detail as the roster writes it ("TBA"), made one line, or "". nextDay
// follows the range of a shift that ends the next day: the table, short
// of room, gives "", the page and alerts " (+1)".
func Times(sh snapshot.Shift, nextDay string) string {
	if sh.Kind == snapshot.KindLeave {
		return "all day"
	}
	c, ok := ReadClock(sh.Item())
	when := c.String()
	if ok && c.NextDay {
		when += nextDay
	}
	switch {
	case ok && sh.Kind == snapshot.KindOnCall:
		return when + " on call"
	case ok:
		return when
	case sh.Kind == snapshot.KindOnCall:
		return "on call"
	}
	return oneline.Text(firstDetail(sh.Item()))
}

// OnlyOnCall reports whether text says no more than "on call", in any of
// the spellings a roster uses ("On-Call", "ONCALL", "On call"): a shift
// name or a first detail that adds nothing to the shift's kind.
func OnlyOnCall(text string) bool { return squeeze(text) == "oncall" }

// squeeze is text in lower case without spaces and hyphens, so that
// "On-call", "On call" and "ONCALL" all read "oncall".
func squeeze(text string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, text)
}

// FromTo writes a part of a shift that changed, "old → new", with
// "(none)" for a side that is empty.
func FromTo(old, new string) string { return orNone(old) + " → " + orNone(new) }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// firstDetail is the item's first detail, "" when it has none or it is
// empty.
func firstDetail(it snapshot.Item) string {
	if len(it.Detail) > 0 && it.Detail[0].Valid {
		return it.Detail[0].Value
	}
	return ""
}
