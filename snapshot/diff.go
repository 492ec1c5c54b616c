package snapshot

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ChangeKind says how a shift changed between two snapshots.
type ChangeKind string

// The kinds of change. The strings are the JSON forms.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// The parts of a shift that Change.Parts names, in the order it names them.
const (
	PartTitle    = "title"
	PartTimes    = "times"  // the first detail
	PartNote     = "note"   // the second, often empty, detail
	PartName     = "name"   // the third detail
	PartRole     = "role"   // the fourth detail
	PartDetail   = "detail" // any detail after the fourth
	PartWarnings = "warnings"
)

// Change is one shift added, removed or changed on a date.
type Change struct {
	Kind ChangeKind
	Date Date
	// Old is the shift in the old snapshot, nil when Added; New is the
	// shift in the new one, nil when Removed.
	Old, New *Item
	// Parts lists what differs in a Changed shift, as Part constants in
	// their order; it is empty for Added and Removed.
	Parts []string
}

// Changes is the difference between two snapshots.
type Changes struct {
	// OldTime and NewTime are the snapshots' times.
	OldTime, NewTime time.Time
	// Shifts are in date order; within a date, removed shifts come first
	// in old page order, then changed and then added ones in new page
	// order.
	Shifts []Change
}

// Empty reports whether the two snapshots hold the same shifts.
func (c Changes) Empty() bool { return len(c.Shifts) == 0 }

// Diff compares two snapshots shift by shift; a nil snapshot is an empty
// roster. Snapshot times, page order and the order of dates do not count:
// the same shifts listed in another order are no change.
//
// Shifts are compared date by date, since a date is what a person asks
// about ("what happened to Tuesday?"). On each date:
//
//  1. A new shift equal to an old one (same title, details and warnings)
//     is unchanged; equal shifts pair in page order.
//  2. The remaining shifts pair by likeness, the likeliest first: the same
//     shift name counts 4, the same title 2, the same times 2, the same
//     role 1; ties go to the earlier old shift, then the earlier new one.
//  3. Shifts still unpaired pair in page order, however different, so a
//     date with one shift before and one after always shows one changed
//     shift rather than one removed and one added.
//  4. Old shifts left over were removed; new ones were added.
//
// A date with more shifts than any roster has (over 10,000 old-new pairs
// to weigh) skips step 2, so that Diff stays fast on any input.
func Diff(before, after *Snapshot) Changes {
	var c Changes
	var oldItems, newItems []Item
	if before != nil {
		c.OldTime, oldItems = before.Time, before.Items
	}
	if after != nil {
		c.NewTime, newItems = after.Time, after.Items
	}
	oldByDate, newByDate := byDate(oldItems), byDate(newItems)
	dates := make([]Date, 0, len(oldByDate)+len(newByDate))
	for d := range oldByDate {
		dates = append(dates, d)
	}
	for d := range newByDate {
		if _, ok := oldByDate[d]; !ok {
			dates = append(dates, d)
		}
	}
	slices.SortFunc(dates, Date.Compare)
	for _, d := range dates {
		c.Shifts = diffDate(c.Shifts, d, oldByDate[d], newByDate[d])
	}
	return c
}

// maxLikenessPairs bounds the pairs Diff weighs on one date. Real rosters
// have one to three shifts a date.
const maxLikenessPairs = 10000

func byDate(items []Item) map[Date][]*Item {
	m := make(map[Date][]*Item)
	for i := range items {
		m[items[i].Date] = append(m[items[i].Date], &items[i])
	}
	return m
}

func diffDate(out []Change, d Date, olds, news []*Item) []Change {
	oldPair, newPair, equal := pairDate(olds, news)
	for i, o := range olds {
		if oldPair[i] < 0 {
			out = append(out, Change{Kind: Removed, Date: d, Old: o})
		}
	}
	for j, n := range news {
		if i := newPair[j]; i >= 0 && !equal[i] {
			out = append(out, Change{Kind: Changed, Date: d, Old: olds[i], New: n, Parts: parts(olds[i], n)})
		}
	}
	for j, n := range news {
		if newPair[j] < 0 {
			out = append(out, Change{Kind: Added, Date: d, New: n})
		}
	}
	return out
}

// pairDate pairs one date's old and new shifts as Diff documents:
// oldPair[i] is the index in news of the shift olds[i] became and
// newPair[j] that in olds of the one news[j] was, -1 when there is none;
// equal[i] is set when olds[i] is unchanged.
func pairDate(olds, news []*Item) (oldPair, newPair []int, equal []bool) {
	oldPair = make([]int, len(olds)) // index into news, or -1
	newPair = make([]int, len(news)) // index into olds, or -1
	for i := range oldPair {
		oldPair[i] = -1
	}
	for j := range newPair {
		newPair[j] = -1
	}
	pair := func(i, j int) { oldPair[i], newPair[j] = j, i }

	// 1. Equal shifts, found by key so that a long list stays linear.
	waiting := make(map[string][]int)
	for i, o := range olds {
		k := itemKey(o)
		waiting[k] = append(waiting[k], i)
	}
	for j, n := range news {
		k := itemKey(n)
		if q := waiting[k]; len(q) > 0 {
			pair(q[0], j)
			waiting[k] = q[1:]
		}
	}
	equal = make([]bool, len(olds))
	for i, j := range oldPair {
		equal[i] = j >= 0
	}

	// 2. By likeness.
	if len(olds)*len(news) <= maxLikenessPairs {
		type candidate struct{ i, j, score int }
		var cands []candidate
		for i, o := range olds {
			if oldPair[i] >= 0 {
				continue
			}
			for j, n := range news {
				if newPair[j] >= 0 {
					continue
				}
				if s := likeness(o, n); s > 0 {
					cands = append(cands, candidate{i, j, s})
				}
			}
		}
		slices.SortStableFunc(cands, func(a, b candidate) int { return b.score - a.score })
		for _, c := range cands {
			if oldPair[c.i] < 0 && newPair[c.j] < 0 {
				pair(c.i, c.j)
			}
		}
	}

	// 3. By position.
	j := 0
	for i := range olds {
		if oldPair[i] >= 0 {
			continue
		}
		for j < len(news) && newPair[j] >= 0 {
			j++
		}
		if j == len(news) {
			break
		}
		pair(i, j)
	}

	// 4. What is left was removed or added.
	return oldPair, newPair, equal
}

// itemKey is equal for two items on one date exactly when they are the
// same shift: every string is length-prefixed, so no text can forge
// another's key, and empty fields differ from "".
func itemKey(it *Item) string {
	var b strings.Builder
	put := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	put(it.Title)
	b.WriteString(strconv.Itoa(len(it.Detail)))
	for _, f := range it.Detail {
		if f.Valid {
			b.WriteByte('v')
			put(f.Value)
		} else {
			b.WriteByte('e')
		}
	}
	b.WriteString(strconv.Itoa(len(it.Warnings)))
	for _, w := range it.Warnings {
		put(w)
	}
	return b.String()
}

func likeness(a, b *Item) int {
	score := 0
	same := func(i int) bool {
		fa, oka := field(a, i)
		fb, okb := field(b, i)
		return oka && okb && fa.Valid && fb.Valid && fa.Value == fb.Value
	}
	if same(detailName) {
		score += 4
	}
	if a.Title == b.Title {
		score += 2
	}
	if same(detailTimes) {
		score += 2
	}
	if same(detailRole) {
		score++
	}
	return score
}

// field returns detail i of it and whether it has one.
func field(it *Item, i int) (Field, bool) {
	if i < len(it.Detail) {
		return it.Detail[i], true
	}
	return Field{}, false
}

func sameField(a, b *Item, i int) bool {
	fa, oka := field(a, i)
	fb, okb := field(b, i)
	return oka == okb && fa.Valid == fb.Valid && (!fa.Valid || fa.Value == fb.Value)
}

func parts(a, b *Item) []string {
	var p []string
	if a.Title != b.Title {
		p = append(p, PartTitle)
	}
	for i, name := range [...]string{detailTimes: PartTimes, detailNote: PartNote, detailName: PartName, detailRole: PartRole} {
		if !sameField(a, b, i) {
			p = append(p, name)
		}
	}
	for i := detailRole + 1; i < max(len(a.Detail), len(b.Detail)); i++ {
		if !sameField(a, b, i) {
			p = append(p, PartDetail)
			break
		}
	}
	if !slices.Equal(a.Warnings, b.Warnings) {
		p = append(p, PartWarnings)
	}
	return p
}

// WriteText writes the changes for people, one shift a line, nothing at
// all when there are none:
//
//	~ Tue 2026-04-07  07:00 - 15:30 → 09:00 - 17:30  Day Shift  Ward 4B
//	      role: Registered Nurse → Associate Nurse Unit Manager
//	      + warning: BLOGGS, JOE: Minimum 10 hours between Allocations
//	- Wed 2026-04-08  13:00 - 21:30  Late Shift  Ward 4B
//	+ Thu 2026-04-09  07:00 - 15:30  Day Shift  Ward 4B
//	      warning: BLOGGS, JOE: Allocation for overtime
//
// A line starts "-" for a removed shift, "+" for an added one and "~" for
// a changed one, then the date, the times (first detail), the shift name
// and the title; a changed part shows "old → new" in place. Indented lines
// follow for the other changed details ("(empty)" for an empty one,
// "(none)" for one that is not there) and for warnings: those of an added
// or removed shift, and those added ("+") or removed ("-") in a changed
// one. Control characters in the roster's text are written as spaces, so a
// page cannot move the cursor or split a line.
func (c Changes) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, ch := range c.Shifts {
		writeChange(&b, ch)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const indent = "      "

func writeChange(b *strings.Builder, ch Change) {
	var sign string
	var head *Item
	switch ch.Kind {
	case Removed:
		sign, head = "-", ch.Old
	case Added:
		sign, head = "+", ch.New
	default:
		sign, head = "~", ch.New
	}
	if head == nil { // a Change built by hand
		head = &Item{}
	}
	b.WriteString(sign)
	b.WriteByte(' ')
	b.WriteString(ch.Date.Weekday().String()[:3])
	b.WriteByte(' ')
	b.WriteString(ch.Date.String())
	cols := [...]struct {
		part  string
		value func(*Item) string
	}{
		{PartTimes, func(it *Item) string { return detailText(it, detailTimes, "") }},
		{PartName, func(it *Item) string { return detailText(it, detailName, "") }},
		{PartTitle, func(it *Item) string { return it.Title }},
	}
	for _, col := range cols {
		v := clean(col.value(head))
		if ch.Kind == Changed && ch.Old != nil && slices.Contains(ch.Parts, col.part) {
			v = orNone(clean(col.value(ch.Old))) + " → " + orNone(v)
		}
		if v != "" {
			b.WriteString("  ")
			b.WriteString(v)
		}
	}
	b.WriteByte('\n')

	if ch.Kind != Changed || ch.Old == nil || ch.New == nil {
		for _, w := range head.Warnings {
			line(b, "warning: ", w)
		}
		return
	}
	for _, p := range ch.Parts {
		switch p {
		case PartNote:
			detailLine(b, "note: ", ch, detailNote)
		case PartRole:
			detailLine(b, "role: ", ch, detailRole)
		case PartDetail:
			for i := detailRole + 1; i < max(len(ch.Old.Detail), len(ch.New.Detail)); i++ {
				if !sameField(ch.Old, ch.New, i) {
					detailLine(b, "detail "+strconv.Itoa(i+1)+": ", ch, i)
				}
			}
		case PartWarnings:
			gone, came := warningsDiff(ch.Old.Warnings, ch.New.Warnings)
			for _, w := range gone {
				line(b, "- warning: ", w)
			}
			for _, w := range came {
				line(b, "+ warning: ", w)
			}
			if len(gone)+len(came) == 0 {
				line(b, "warnings reordered", "")
			}
		}
	}
}

func detailLine(b *strings.Builder, label string, ch Change, i int) {
	line(b, label, detailText(ch.Old, i, "(none)")+" → "+detailText(ch.New, i, "(none)"))
}

func line(b *strings.Builder, label, text string) {
	b.WriteString(indent)
	b.WriteString(label)
	b.WriteString(clean(text))
	b.WriteByte('\n')
}

// detailText returns detail i for display: "(empty)" for an empty field,
// missing for one the item does not have.
func detailText(it *Item, i int, missing string) string {
	f, ok := field(it, i)
	switch {
	case !ok:
		return missing
	case !f.Valid:
		return "(empty)"
	}
	return f.Value
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// warningsDiff returns the warnings only in old and those only in new,
// counting repeats.
func warningsDiff(before, after []string) (gone, came []string) {
	return missingFrom(before, after), missingFrom(after, before)
}

// missingFrom returns the strings of a that b lacks, counting repeats.
func missingFrom(a, b []string) []string {
	have := make(map[string]int, len(b))
	for _, s := range b {
		have[s]++
	}
	var out []string
	for _, s := range a {
		if have[s] > 0 {
			have[s]--
		} else {
			out = append(out, s)
		}
	}
	return out
}

// clean makes roster text safe for one line of a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// jsonChange is Change's JSON form.
type jsonChange struct {
	Kind  ChangeKind `json:"change"`
	Date  Date       `json:"date"`
	Parts []string   `json:"parts"`
	Old   *Item      `json:"old"`
	New   *Item      `json:"new"`
}

// MarshalJSON writes the change as
//
//	{"change":"changed","date":"2026-04-07","parts":["times"],"old":{…},"new":{…}}
//
// with "old" and "new" in Item's JSON form, null when absent, and "parts"
// always an array.
func (c Change) MarshalJSON() ([]byte, error) {
	j := jsonChange{Kind: c.Kind, Date: c.Date, Parts: c.Parts, Old: c.Old, New: c.New}
	if j.Parts == nil {
		j.Parts = []string{}
	}
	return marshal(j)
}

// MarshalJSON writes the changes as
//
//	{"old_time":"…","new_time":"…","changes":[…]}
//
// with "changes" always an array, empty when the snapshots hold the same
// shifts.
func (c Changes) MarshalJSON() ([]byte, error) {
	j := struct {
		OldTime time.Time `json:"old_time"`
		NewTime time.Time `json:"new_time"`
		Changes []Change  `json:"changes"`
	}{c.OldTime, c.NewTime, c.Shifts}
	if j.Changes == nil {
		j.Changes = []Change{}
	}
	return marshal(j)
}

// InterpretedChanges is Changes with every shift read in one zone: what
// the command line writes as JSON.
type InterpretedChanges struct {
	Changes  Changes
	Location *time.Location
}

// Interpret returns the changes with their shifts to be read in loc (nil
// means UTC; see Item.Shift).
func (c Changes) Interpret(loc *time.Location) InterpretedChanges {
	return InterpretedChanges{Changes: c, Location: loc}
}

// interpretedChange is Change's JSON form with Shifts for Items.
type interpretedChange struct {
	Kind  ChangeKind `json:"change"`
	Date  Date       `json:"date"`
	Parts []string   `json:"parts"`
	Old   *Shift     `json:"old"`
	New   *Shift     `json:"new"`
}

// MarshalJSON writes the changes as Changes.MarshalJSON does, except that
// "old" and "new" are in Shift's JSON form: the raw fields, then "start",
// "end", "all_day", "kind", "name" and "role" read in the Location.
func (in InterpretedChanges) MarshalJSON() ([]byte, error) {
	shift := func(it *Item) *Shift {
		if it == nil {
			return nil
		}
		s := it.Shift(in.Location)
		return &s
	}
	changes := make([]interpretedChange, len(in.Changes.Shifts))
	for i, c := range in.Changes.Shifts {
		changes[i] = interpretedChange{Kind: c.Kind, Date: c.Date, Parts: c.Parts, Old: shift(c.Old), New: shift(c.New)}
		if changes[i].Parts == nil {
			changes[i].Parts = []string{}
		}
	}
	return marshal(struct {
		OldTime time.Time           `json:"old_time"`
		NewTime time.Time           `json:"new_time"`
		Changes []interpretedChange `json:"changes"`
	}{in.Changes.OldTime, in.Changes.NewTime, changes})
}
