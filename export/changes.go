package export

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rosteron/rosteron/internal/oneline"
	"github.com/rosteron/rosteron/snapshot"
)

// WriteChangesText writes the changes for people, one shift a line,
// nothing at all when there are none:
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
// one. The roster's text is cleaned as in WriteTable: white space becomes
// one space and other control characters U+FFFD, so a page can neither
// move the cursor nor split a line.
func WriteChangesText(w io.Writer, c snapshot.Changes) error {
	var b strings.Builder
	for _, ch := range c.Shifts {
		writeChange(&b, ch)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const changeIndent = "      "

func writeChange(b *strings.Builder, ch snapshot.Change) {
	var sign string
	var head *snapshot.Item
	switch ch.Kind {
	case snapshot.Removed:
		sign, head = "-", ch.Old
	case snapshot.Added:
		sign, head = "+", ch.New
	default:
		sign, head = "~", ch.New
	}
	if head == nil { // a Change built by hand
		head = &snapshot.Item{}
	}
	b.WriteString(sign)
	b.WriteByte(' ')
	b.WriteString(ch.Date.Weekday().String()[:3])
	b.WriteByte(' ')
	b.WriteString(ch.Date.String())
	cols := [...]struct {
		part  string
		value func(*snapshot.Item) string
	}{
		{snapshot.PartTimes, func(it *snapshot.Item) string { return detailText(it, detailTime, "") }},
		{snapshot.PartName, func(it *snapshot.Item) string { return detailText(it, detailShift, "") }},
		{snapshot.PartTitle, func(it *snapshot.Item) string { return it.Title }},
	}
	for _, col := range cols {
		v := oneline.Text(col.value(head))
		if ch.Kind == snapshot.Changed && ch.Old != nil && slices.Contains(ch.Parts, col.part) {
			v = FromTo(oneline.Text(col.value(ch.Old)), v)
		}
		if v != "" {
			b.WriteString("  ")
			b.WriteString(v)
		}
	}
	b.WriteByte('\n')

	if ch.Kind != snapshot.Changed || ch.Old == nil || ch.New == nil {
		for _, w := range head.Warnings {
			changeLine(b, "warning: ", w)
		}
		return
	}
	for _, p := range ch.Parts {
		switch p {
		case snapshot.PartNote:
			detailLine(b, "note: ", ch, detailNote)
		case snapshot.PartRole:
			detailLine(b, "role: ", ch, detailRole)
		case snapshot.PartDetail:
			for i := knownDetails; i < max(len(ch.Old.Detail), len(ch.New.Detail)); i++ {
				if !sameDetail(ch.Old, ch.New, i) {
					detailLine(b, "detail "+strconv.Itoa(i+1)+": ", ch, i)
				}
			}
		case snapshot.PartWarnings:
			came, gone := ch.Warnings()
			for _, w := range gone {
				changeLine(b, "- warning: ", w)
			}
			for _, w := range came {
				changeLine(b, "+ warning: ", w)
			}
			if len(gone)+len(came) == 0 {
				changeLine(b, "warnings reordered", "")
			}
		}
	}
}

func detailLine(b *strings.Builder, label string, ch snapshot.Change, i int) {
	changeLine(b, label, detailText(ch.Old, i, "(none)")+" → "+detailText(ch.New, i, "(none)"))
}

func changeLine(b *strings.Builder, label, text string) {
	b.WriteString(changeIndent)
	b.WriteString(label)
	b.WriteString(oneline.Text(text))
	b.WriteByte('\n')
}

// detailText returns detail i for display: "(empty)" for an empty field,
// missing for one the item does not have.
func detailText(it *snapshot.Item, i int, missing string) string {
	switch {
	case i >= len(it.Detail):
		return missing
	case !it.Detail[i].Valid:
		return "(empty)"
	}
	return it.Detail[i].Value
}

// sameDetail reports whether both items have detail i, or neither, and
// it reads the same.
func sameDetail(a, b *snapshot.Item, i int) bool {
	hasA, hasB := i < len(a.Detail), i < len(b.Detail)
	if !hasA || !hasB {
		return hasA == hasB
	}
	fa, fb := a.Detail[i], b.Detail[i]
	return fa.Valid == fb.Valid && (!fa.Valid || fa.Value == fb.Value)
}
