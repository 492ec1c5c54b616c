package export

import (
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// Shift times as people read them, shared by the table and the iCalendar
// description so that both say the same thing the same way.

// enDash joins a start and an end, as typesetters write a range of times.
const enDash = "–"

// clockRange is a shift's times as the roster writes them, on its clock:
// the same in any zone.
type clockRange struct {
	start, end string // "HH:MM"; end may be "24:00"
	// nextDay is set when the shift ends the day after it starts, at a
	// time other than midnight; midnight when it ends at the midnight
	// that ends its date.
	nextDay, midnight bool
}

// readClock returns the item's times, and false when its first detail
// holds no readable times.
func readClock(it snapshot.Item) (clockRange, bool) {
	start, end := it.Clock()
	if start == "" {
		return clockRange{}, false
	}
	c := clockRange{start: start, end: end}
	switch {
	case end == "00:00" || end == "24:00":
		// "00:00 - 00:00" is a whole day, ending at midnight too.
		c.midnight = true
	case end <= start: // "HH:MM" compares as text in time order
		c.nextDay = true
	}
	return c, true
}

func (c clockRange) String() string { return c.start + enDash + c.end }

// timesCell is what the table's TIME column shows for a shift:
// "07:00–15:30"; "20:30–08:30 on call"; "on call" for on-call without
// readable times; "all day" for leave, whose times are nominal; and
// otherwise the first detail as the roster writes it ("TBA"), or nothing.
func timesCell(sh snapshot.Shift) string {
	if sh.Kind == snapshot.KindLeave {
		return "all day"
	}
	c, ok := readClock(sh.Item())
	switch {
	case ok && sh.Kind == snapshot.KindOnCall:
		return c.String() + " on call"
	case ok:
		return c.String()
	case sh.Kind == snapshot.KindOnCall:
		return "on call"
	}
	return oneline.Text(firstDetail(sh.Item()))
}

// firstDetail is the item's first detail, "" when it has none or it is
// empty.
func firstDetail(it snapshot.Item) string {
	if len(it.Detail) > 0 && it.Detail[0].Valid {
		return it.Detail[0].Value
	}
	return ""
}
