package feed

import (
	"strings"
	"time"

	"github.com/rosteron/rosteron/export"
	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// The page and the change alerts write shifts as people read them, not as
// the roster lays them out: "Tue 2 Dec", "07:00–15:30", a night
// "21:30–07:30 (+1)", on-call and leave said in words.

// dayText writes d as "Tue 2 Dec", with the year when it is not thisYear.
func dayText(d snapshot.Date, thisYear int) string {
	t := d.Time(time.UTC)
	if d.Year != thisYear {
		return t.Format("Mon 2 Jan 2006")
	}
	return t.Format("Mon 2 Jan")
}

// shiftText is a shift read for people.
type shiftText struct {
	// Times is what the page shows first, in bold, and alerts after the
	// date: the roster's clock times ("07:00–15:30", a night
	// "21:30–07:30 (+1)", as export.Times reads them), with "on call"
	// after them for on-call; the name of the leave ("Annual Leave");
	// the roster's own text when it cannot be read.
	Times string
	// OnCall and Leave say what kind of entry it is.
	OnCall, Leave bool
	// Name is the shift's name ("Day Shift", "Annual Leave"), "" when it
	// only repeats what OnCall says.
	Name  string
	Place string // the divider's title, such as "Ward 4B - Royal Melbourne"
	Role  string
	Note  string // the often empty second detail
	// Warnings are the roster's, as it wrote them.
	Warnings []string
}

// nextDayMark follows the times of a shift that ends the next day.
const nextDayMark = " (+1)"

// readShift reads it for people. Text from the roster is made one line,
// so that no page can split an alert's lines or a log's.
func readShift(it snapshot.Item) shiftText {
	s := it.Shift(nil) // its kind and its clock times are the same in any zone
	v := shiftText{
		OnCall: s.Kind == snapshot.KindOnCall,
		Leave:  s.Kind == snapshot.KindLeave,
		Name:   oneline.Clean(s.Name),
		Place:  oneline.Clean(s.Title),
		Role:   oneline.Clean(s.Role),
	}
	if len(it.Detail) > 1 {
		v.Note = oneline.Clean(it.Detail[1].Value)
	}
	for _, w := range it.Warnings {
		v.Warnings = append(v.Warnings, oneline.Clean(w))
	}
	if v.OnCall && export.OnlyOnCall(v.Name) {
		v.Name = ""
	}
	switch {
	case v.Leave && v.Name != "":
		v.Times = v.Name
	case v.Leave:
		v.Times = "Leave"
	default:
		v.Times = export.Times(s, nextDayMark)
	}
	return v
}

// String is the shift in one line, for an alert: "07:00–15:30 Day Shift",
// "20:30–08:30 (+1) on call", "Annual Leave (all day)".
func (v shiftText) String() string {
	if v.Leave {
		return v.Times + " (all day)"
	}
	return strings.TrimSpace(v.Times + " " + v.Name)
}

// wall returns t as the roster's clocks show it: in the feed's zone, or,
// for a roster read in no zone (snapshot.Floating), on the machine's wall
// clock, as a floating time. Only "today" and "when was it fetched" need
// it: the shifts themselves are read in the feed's zone as they are.
func (f *Feed) wall(t time.Time) time.Time {
	if f.loc != snapshot.Floating {
		return t.In(f.loc)
	}
	l := t.In(time.Local)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), snapshot.Floating)
}

// upcoming counts the items dated today or later, today being the
// roster's (see wall): for a floating roster, the machine's wall clock
// read as the roster's.
func (f *Feed) upcoming(items []snapshot.Item) int {
	today := snapshot.DateOf(f.wall(f.now()))
	n := 0
	for _, it := range items {
		if !it.Date.Before(today) {
			n++
		}
	}
	return n
}

// emptied reports whether snap has no shift from today on where the
// roster served has some: was is how many the served one has (0 when
// snap is no such roster), left how many shifts snap has in all.
func (f *Feed) emptied(snap *snapshot.Snapshot) (was, left int) {
	c, _, _ := f.current()
	if c == nil || f.upcoming(snap.Items) > 0 {
		return 0, len(snap.Items)
	}
	return f.upcoming(c.snap.Items), len(snap.Items)
}
