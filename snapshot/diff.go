package snapshot

import (
	"slices"
	"strconv"
	"strings"
	"time"
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
