package feed

import (
	"strconv"
	"strings"
	"time"

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
	// When is the times, such as "07:00–15:30" or "21:30–07:30 (+1)";
	// "" for leave and for times the roster writes in a way that cannot
	// be read, which Raw then holds.
	When string
	Raw  string
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

// readShift reads it in loc for people. Text from the roster is made one
// line, so that no page can split an alert's lines or a log's.
func readShift(it snapshot.Item, loc *time.Location) shiftText {
	s := it.Shift(loc)
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
	if v.OnCall && isOnCallName(v.Name) {
		v.Name = ""
	}
	switch {
	case v.Leave:
	case s.HasTimes():
		v.When = clockRange(s.Start, s.End, loc)
	case len(it.Detail) > 0 && !v.OnCall:
		v.Raw = oneline.Clean(it.Detail[0].Value)
	}
	return v
}

// isOnCallName reports whether a shift's name says no more than "on call".
func isOnCallName(name string) bool {
	n := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(name))
	return n == "oncall"
}

// clockRange writes start to end on loc's clocks: "07:00–15:30", with
// "(+1)" when the end is on a later day, except an end at midnight, which
// people write "00:00" as the end of the day.
func clockRange(start, end time.Time, loc *time.Location) string {
	start, end = start.In(loc), end.In(loc)
	out := start.Format("15:04") + "–" + end.Format("15:04")
	days := int(snapshot.DateOf(end).Time(time.UTC).Sub(snapshot.DateOf(start).Time(time.UTC)).Hours() / 24)
	if end.Hour() == 0 && end.Minute() == 0 && days > 0 {
		days--
	}
	if days > 0 {
		out += " (+" + strconv.Itoa(days) + ")"
	}
	return out
}

// times is what the page shows first, in bold: the times, with "on call"
// after them for on-call; the name of the leave ("Annual Leave"); the
// roster's own text when it cannot be read.
func (v shiftText) times() string {
	switch {
	case v.Leave && v.Name != "":
		return v.Name
	case v.Leave:
		return "Leave"
	case v.OnCall && v.When != "":
		return v.When + " on call"
	case v.OnCall:
		return "on call"
	case v.When != "":
		return v.When
	}
	return v.Raw
}

// String is the shift in one line, for an alert: "07:00–15:30 Day Shift",
// "20:30–08:30 (+1) on call", "Annual Leave (all day)".
func (v shiftText) String() string {
	if v.Leave {
		return v.times() + " (all day)"
	}
	return strings.TrimSpace(v.times() + " " + v.Name)
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
