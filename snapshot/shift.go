package snapshot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind says what sort of entry a shift is.
type Kind string

// The kinds of shift. The strings are the JSON and CSV forms.
const (
	// KindWork is a shift with readable times that is neither on-call nor
	// leave.
	KindWork Kind = "work"
	// KindOnCall is an on-call period: the first detail or the shift name
	// says "Oncall", "On call" or "On-call" in any case. It may lack times.
	KindOnCall Kind = "on-call"
	// KindLeave is leave: the shift name holds the word "leave" in any
	// case. It is an all-day entry whatever times it shows.
	KindLeave Kind = "leave"
	// KindUnknown is an item whose times cannot be read and that says
	// neither on-call nor leave.
	KindUnknown Kind = "unknown"
)

// The positions of a shift's details as RosterOn lays them out.
const (
	detailTimes = 0
	detailNote  = 1
	detailName  = 2
	detailRole  = 3
)

// Shift is an Item read in a time zone: the raw fields, unchanged, beside
// what they mean.
//
// Start and End are both zero or both set. They are set for a work or
// on-call shift whose times are readable (see Item.Shift), and are then
// instants in the zone the shift was read in, with End never before Start.
// Leave and items without readable times have zero Start and End; leave
// has AllDay set instead.
type Shift struct {
	Date     Date
	Title    string
	Detail   []Field
	Warnings []string

	Kind   Kind
	Start  time.Time
	End    time.Time
	AllDay bool
	// Name is the third detail's text and Role the fourth's, "" when the
	// shift has no such detail or it is empty.
	Name string
	Role string
}

// Floating is the zone of "no zone": a shift read in it keeps the times
// the roster shows, on the wall clock, with no offset and no
// daylight-saving changes. Writers give such times without an offset:
// iCalendar's floating times, which calendar programs show at the same
// clock time in whatever zone they are in, and RFC 3339 times without
// their offset in JSON and CSV (see FormatTime).
//
// Read a roster in Floating when its zone is not known, rather than in a
// guessed one: a machine's zone is UTC in most containers and servers, and
// a shift read there as UTC moves by the whole offset of the roster's zone.
// The cost is that a night across a daylight-saving change has its clock
// length, not its true one.
var Floating = time.FixedZone("floating", 0)

// IsFloating reports whether t was read in Floating.
func IsFloating(t time.Time) bool { return t.Location() == Floating }

// FormatTime writes t as RFC 3339 text, such as
// "2026-12-02T07:00:00+11:00"; a floating time (see Floating) has no
// offset to write, so it is the same text without one,
// "2026-12-02T07:00:00", which ISO 8601 reads as a local time.
func FormatTime(t time.Time) string {
	if IsFloating(t) {
		return t.Format(floatingLayout)
	}
	return t.Format(time.RFC3339)
}

const floatingLayout = "2006-01-02T15:04:05"

// HasTimes reports whether the shift has a start and an end.
func (s Shift) HasTimes() bool { return !s.Start.IsZero() }

// Duration returns End minus Start, or 0 for a shift without times.
func (s Shift) Duration() time.Duration {
	if !s.HasTimes() {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Item returns the raw item the shift was read from; it shares Detail and
// Warnings with s.
func (s Shift) Item() Item {
	return Item{Date: s.Date, Title: s.Title, Detail: s.Detail, Warnings: s.Warnings}
}

// Clock returns the shift's start and end as the roster wrote them,
// normalised to "HH:MM", whatever zone the shift was read in; both are ""
// when the first detail holds no readable times. Leave keeps its nominal
// times here. Exports use it where a value must not depend on the zone,
// such as an iCalendar UID.
func (it Item) Clock() (start, end string) {
	t := it.times()
	if !t.timed {
		return "", ""
	}
	return t.start.String(), t.end.String()
}

// Shifts reads every item of s in loc, in page order.
func (s Snapshot) Shifts(loc *time.Location) []Shift {
	out := make([]Shift, len(s.Items))
	for i, it := range s.Items {
		out[i] = it.Shift(loc)
	}
	return out
}

// Shift reads the item in loc; a nil loc means UTC, and Floating means no
// zone (see Floating). It never fails: an
// item whose times cannot be read is returned without times (and, unless
// it says on-call or leave, with Kind unknown), so nothing is ever dropped.
//
// The first detail holds the times, "HH:MM - HH:MM" (the hour may have one
// digit; spaces around the dash are optional; en and em dashes count as
// dashes). An on-call marker ("Oncall", "On call", "On-call", any case,
// any spacing) may come before or after the times, which may then be in
// parentheses: "Oncall (20:30 - 08:30)". Anything else in the first
// detail makes the times unreadable rather than guessed at.
//
// An end at or before the start, on the clock, ends the next day:
// "23:00 - 08:30" and "14:30 - 00:00" end on the day after Date; "23:59"
// ends on Date itself; "24:00", accepted as an end only, is midnight at
// the end of Date. Start and End are instants computed in loc, so a night
// shift across a daylight-saving change has its true length: in
// Australia/Melbourne, 21:00 on 4 April 2026 to 07:00 the next morning is
// 11 hours, and 22:00 on 3 October 2026 to 07:00 is 8 hours.
//
// A local time that does not exist or occurs twice in loc is resolved as
// RFC 5545 (section 3.3.5) resolves such times, and so as calendar
// programs do, rather than as time.Date does (whose choice depends on the
// zone's offset):
//
//   - a time skipped when clocks go forward is read with the offset in
//     force before the change, so it moves forward by the length of the
//     gap: 02:30 on 4 October 2026 in Melbourne is 03:30 AEDT;
//   - a time that occurs twice when clocks go back is its first
//     occurrence: 02:30 on 5 April 2026 in Melbourne is 02:30 AEDT
//     (+11:00), not the later 02:30 AEST.
//
// If that makes the end fall before the start, as it does for a shift
// that starts in a skipped hour and ends soon after it ("02:30 - 03:15" on
// 4 October 2026 in Melbourne), End is set to Start. Times whose instants fall outside
// the years 1 to 9999, in loc or in UTC, cannot be written as RFC 3339 or
// iCalendar text and are treated as unreadable.
//
// The shift is on-call when the first detail or the name carries an
// on-call marker, and leave when the name holds the word "leave" in any
// case ("Annual Leave", "Sick Leave", "Long Service Leave", "LEAVE");
// leave wins over on-call. Leave is an all-day entry on Date: AllDay is
// set, Start and End are zero, and its nominal times are only in Detail.
// A shift with readable times is otherwise work; one without is unknown,
// unless it says on-call, in which case it is on-call without times.
func (it Item) Shift(loc *time.Location) Shift {
	if loc == nil {
		loc = time.UTC
	}
	s := Shift{
		Date:     it.Date,
		Title:    it.Title,
		Detail:   it.Detail,
		Warnings: it.Warnings,
		Name:     it.detail(detailName),
		Role:     it.detail(detailRole),
	}
	t := it.times()
	switch {
	case hasFold(s.Name, "leave") && leaveWord.MatchString(s.Name):
		s.Kind, s.AllDay = KindLeave, true
		return s
	case t.onCall || hasFold(s.Name, "call") && onCallWord.MatchString(s.Name):
		s.Kind = KindOnCall
	case t.timed:
		s.Kind = KindWork
	default:
		s.Kind = KindUnknown
	}
	if !t.timed || !it.Date.Valid() {
		return s
	}
	start := localInstant(it.Date, t.start, loc)
	endDate := it.Date
	if t.end.minutes() <= t.start.minutes() {
		endDate = endDate.AddDays(1)
	}
	end := localInstant(endDate, t.end, loc)
	if end.Before(start) {
		end = start
	}
	if !representable(start) || !representable(end) {
		if s.Kind == KindWork {
			s.Kind = KindUnknown
		}
		return s
	}
	s.Start, s.End = start, end
	return s
}

// detail returns the text of detail i, "" when it is missing or empty.
func (it Item) detail(i int) string {
	if i < len(it.Detail) {
		return it.Detail[i].Value
	}
	return ""
}

// clock is a time of day as a roster writes it; hour 24 only ends a shift.
type clock struct{ hour, minute int }

func (c clock) minutes() int { return c.hour*60 + c.minute }

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", c.hour, c.minute) }

// shiftTimes is what the first detail says.
type shiftTimes struct {
	start, end clock
	timed      bool // start and end were read
	onCall     bool
}

var (
	// onCallWord matches the on-call marker in its spellings. It runs on
	// text whose white space normalise has made single ASCII spaces and
	// whose dashes it has made hyphens, so \s and - cover the variants.
	onCallWord = regexp.MustCompile(`(?i)\bon[\s-]*call\b`)
	leaveWord  = regexp.MustCompile(`(?i)\bleave\b`)
	timeRange  = regexp.MustCompile(`^(\d{1,2}):(\d{2}) ?- ?(\d{1,2}):(\d{2})$`)
	// dashes are the characters a roster or an editor may put for the
	// hyphen between two times.
	dashes = strings.NewReplacer("\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2212", "-")
)

// hasFold reports whether s holds word, lower-case ASCII letters, in any
// case: what the (?i) patterns above need before they can match, since
// the letters of "leave" and "call" fold to no character outside ASCII.
// It spares the regexps nearly every shift's text.
func hasFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && s[i+j]|0x20 == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

// matchTimeRange is timeRange.FindStringSubmatch(s), without the regexp:
// m[1] to m[4] are the hours and minutes, ok false where it finds no match.
func matchTimeRange(s string) (m [5]string, ok bool) {
	digits := func(i, lo, hi int) int { // the end of lo to hi digits at i, or -1
		j := i
		for j < len(s) && j-i < hi && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j-i < lo {
			return -1
		}
		return j
	}
	// A one- or two-digit hour is followed by ":", which no digit is, so
	// taking as many digits as there are is the only way to match.
	i := 0
	h1 := digits(i, 1, 2)
	if h1 < 0 || h1 >= len(s) || s[h1] != ':' {
		return m, false
	}
	m1 := digits(h1+1, 2, 2)
	if m1 < 0 {
		return m, false
	}
	k := m1
	if k < len(s) && s[k] == ' ' {
		k++
	}
	if k >= len(s) || s[k] != '-' {
		return m, false
	}
	k++
	if k < len(s) && s[k] == ' ' {
		k++
	}
	h2 := digits(k, 1, 2)
	if h2 < 0 || h2 >= len(s) || s[h2] != ':' {
		return m, false
	}
	m2 := digits(h2+1, 2, 2)
	if m2 != len(s) {
		return m, false
	}
	return [5]string{s, s[:h1], s[h1+1 : m1], s[k:h2], s[h2+1 : m2]}, true
}

// times reads the first detail. timed is false when the detail is missing,
// empty, or not entirely understood; onCall may still be set then.
func (it Item) times() (t shiftTimes) {
	if len(it.Detail) == 0 || !it.Detail[detailTimes].Valid {
		return t
	}
	text := dashes.Replace(strings.Join(strings.Fields(it.Detail[detailTimes].Value), " "))
	if hasFold(text, "call") && onCallWord.MatchString(text) {
		t.onCall = true
		// What may join the marker to the times: "On-call: 20:30-08:30",
		// "(20:30 - 08:30) on call".
		text = strings.Trim(onCallWord.ReplaceAllString(text, " "), " :-")
	}
	if inner, ok := strings.CutPrefix(text, "("); ok {
		if inner, ok = strings.CutSuffix(inner, ")"); ok {
			text = strings.TrimSpace(inner)
		}
	}
	m, ok := matchTimeRange(text)
	if !ok {
		return t
	}
	start, ok1 := readClock(m[1], m[2], false)
	end, ok2 := readClock(m[3], m[4], true)
	if ok1 && ok2 {
		t.start, t.end, t.timed = start, end, true
	}
	return t
}

func readClock(h, m string, isEnd bool) (clock, bool) {
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || minute > 59 {
		return clock{}, false
	}
	if hour > 23 && !(isEnd && hour == 24 && minute == 0) {
		return clock{}, false
	}
	return clock{hour, minute}, true
}

// localInstant returns the instant at which loc's clocks show c on d,
// resolving skipped and repeated times as RFC 5545 does (see Item.Shift).
// time.Date is not used for this because the occurrence it picks is not
// specified, and in practice differs between zones east and west of UTC.
func localInstant(d Date, c clock, loc *time.Location) time.Time {
	// wall is the local time's digits read as if they were UTC.
	wall := time.Date(d.Year, d.Month, d.Day, c.hour, c.minute, 0, 0, time.UTC).Unix()
	offsetAt := func(unix int64) int {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return off
	}
	// A day either side of wall is before and after any transition near
	// it, since offsets stay within a day; the offset time.Date picks
	// covers zones whose transitions come closer together than that.
	before := offsetAt(wall - 86400)
	candidates := [...]int{
		before,
		offsetAt(wall + 86400),
		offsetAt(time.Date(d.Year, d.Month, d.Day, c.hour, c.minute, 0, 0, loc).Unix()),
	}
	best, found := int64(0), false
	for _, off := range candidates {
		unix := wall - int64(off)
		if offsetAt(unix) != off {
			continue // loc's clocks do not show c at this instant
		}
		if !found || unix < best {
			best, found = unix, true
		}
	}
	if !found {
		// Skipped: keep the offset of before the gap.
		best = wall - int64(before)
	}
	return time.Unix(best, 0).In(loc)
}

// representable reports whether t can be written as RFC 3339 text both in
// its own zone and in UTC.
func representable(t time.Time) bool {
	y, yu := t.Year(), t.UTC().Year()
	return y >= 1 && y <= 9999 && yu >= 1 && yu <= 9999
}

// jsonShift is Shift's JSON form: the raw fields in Item's names, then the
// interpretation.
type jsonShift struct {
	Date     Date      `json:"date"`
	Title    string    `json:"title"`
	Detail   []Field   `json:"detail"`
	Warnings []string  `json:"warnings"`
	Start    *jsonTime `json:"start"`
	End      *jsonTime `json:"end"`
	AllDay   bool      `json:"all_day"`
	Kind     Kind      `json:"kind"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
}

// MarshalJSON writes the raw fields as Item does, except that "warnings"
// is always an array, then the interpretation: "start" and "end" as
// RFC 3339 with the offset of the zone the shift was read in (without an
// offset when it was read in Floating), or null without times; "all_day", "kind", "name" and "role":
//
//	{"date":"2026-04-04","title":"Ward 4B","detail":["21:00 - 07:00",null,"Night Shift","RN"],
//	 "warnings":[],"start":"2026-04-04T21:00:00+11:00","end":"2026-04-05T07:00:00+10:00",
//	 "all_day":false,"kind":"work","name":"Night Shift","role":"RN"}
//
// Item's UnmarshalJSON reads it back, ignoring the interpretation.
func (s Shift) MarshalJSON() ([]byte, error) {
	j := jsonShift{
		Date: s.Date, Title: s.Title, Detail: s.Detail, Warnings: s.Warnings,
		AllDay: s.AllDay, Kind: s.Kind, Name: s.Name, Role: s.Role,
	}
	if j.Detail == nil {
		j.Detail = []Field{}
	}
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	if s.HasTimes() {
		start, end := jsonTime(s.Start), jsonTime(s.End)
		j.Start, j.End = &start, &end
	}
	return marshal(j)
}

// jsonTime is a shift's start or end in JSON: FormatTime's text.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTime(time.Time(t)) + `"`), nil
}
